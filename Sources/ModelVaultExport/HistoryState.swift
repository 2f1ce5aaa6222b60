/// Where a row version stands (docs/export-format.md, `--history`).
public enum HistoryState: String, CaseIterable, Sendable {
    /// Committed, in what the engine keeps.
    case committed
    /// Committed, but after where the engine's AutoTruncate cuts the log.
    case beyondCut = "beyond_cut"
    /// In a transaction that never commits, or outside any transaction where the engine
    /// applies nothing.
    case uncommitted
    case aborted
    /// Its own checksum fails.
    case damaged
}
