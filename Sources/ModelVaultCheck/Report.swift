import ModelVaultFormat

/// The verdict on one file (docs/report-format.md §6, "Verdicts").
public enum Verdict: String, Sendable, CaseIterable {
    case clean, recoverable, repairable, unrecoverable
}

/// Everything a check learned about one input: plain data, rendered as text or JSON elsewhere.
public struct Report: Sendable {
    public struct FileInfo: Sendable {
        public var path: String
        public var size: UInt64
        public var compressed: Bool
    }

    public struct SegmentStats: Sendable {
        public var count = 0
        public var bytes: UInt64 = 0
        /// Counts and bytes (headers included) indexed by type code, and the order in which
        /// types were first seen.
        // Inline, not arrays: `add` runs for every segment, and an array would be checked for
        // uniqueness on each change.
        private var counts = InlineArray<10, Int>(repeating: 0)
        private var bytesByCode = InlineArray<10, UInt64>(repeating: 0)
        private var firstSeen: [SegmentType] = []

        /// Per type, in the order types were first seen.
        public var byType: [(SegmentType, Int)] { firstSeen.map { ($0, counts[Int($0.rawValue)]) } }

        /// Segments of `type` and the bytes they take.
        public func total(of type: SegmentType) -> (count: Int, bytes: UInt64) {
            (counts[Int(type.rawValue)], bytesByCode[Int(type.rawValue)])
        }

        mutating func add(_ type: SegmentType, bytes length: UInt64) {
            count += 1
            bytes += length
            let i = Int(type.rawValue)
            if counts[i] == 0 { noteFirstSeen(type) }
            counts[i] += 1
            bytesByCode[i] += length
        }

        /// Apart from `add`, which runs for every segment, so that it stays small enough to be
        /// inlined there.
        @inline(never)
        private mutating func noteFirstSeen(_ type: SegmentType) { firstSeen.append(type) }
    }

    public struct TransactionStats: Sendable {
        public var committed = 0
        public var aborted = 0
        public var uncommitted = 0
        public var maxTxnId: UInt64?
    }

    public var command: String
    public var file: FileInfo
    public var verdict: Verdict
    public var header: FileHeader?
    public var superblocks: [(Superblock, selected: Bool)]
    public var segments: SegmentStats
    public var transactions: TransactionStats
    public var catalog: Catalog
    public var engine: EnginePrediction
    public var findings: [Finding]
    /// Findings not kept because there were too many (counted in the totals).
    public var findingsDropped: Int
    public var errorCount: Int
    public var warningCount: Int
    /// Where a salvage would end: the longest clean committed prefix of the log.
    public var salvageEnd: UInt64
    public var formatMinor: UInt16
    /// The prefix of whole committed transactions the engine would keep or replay.
    public var committedPrefix: CommittedPrefix
    /// The selected superblock's checkpoint when it is sound for the whole file: an open that
    /// reads the whole file takes its state from it. (`checkpoint` says what this file's own
    /// open does, which a cut before the checkpoint can change; a salvage that keeps the bytes
    /// past the damage needs this.)
    public var checkpointInUse: CheckpointInUse?
    /// The checkpoint pointer, what it leads to, and the log's Checkpoint segments; nil when
    /// the file has neither.
    public var checkpoint: CheckpointSummary?
    /// Row values the full decode visited: a work counter that stays in proportion to the
    /// input's size, whatever its declared types ask for.
    public var valuesVisited = 0
    /// Rows only a second walk can validate as the engine will (full decode); empty when none
    /// or when this report comes from that walk.
    public var revalidationPlan = RowRevalidationPlan()
    /// Catalog structures built (see `CheckOptions.catalogStructureLimit`): a memory counter.
    public var catalogStructures = 0
    /// Whether messages quote user data redacted (`CheckOptions.redactor`).
    public var redacted = false
}

/// A checkpoint the engine loads on open, and where it resumes replaying the log.
public struct CheckpointInUse: Sendable, Equatable {
    public var offset: UInt64
    /// Its payload length, as the superblock records it.
    public var length: UInt32
    public var replayFrom: UInt64
}

/// The longest prefix of the file holding only whole committed transactions that replay, and
/// what in the file's pointers still fits it: the facts a prefix salvage rests on (the choices
/// are `ModelVaultRepair`'s), gathered by the same walk that produced the report.
public struct CommittedPrefix: Sendable {
    /// End of the log prefix to keep: what an AutoTruncate open keeps when the engine can open
    /// the file, else the longest clean prefix of whole committed transactions.
    public var keepEnd: UInt64
    /// Whether `keepEnd` is the engine's own AutoTruncate cut.
    public var followsEngine: Bool
    /// The newest intact Manifest inside the kept prefix.
    public var keptManifest: UInt64?
    /// The selected superblock's checkpoint, when it lies inside the prefix and checks out.
    public var keptCheckpoint: (offset: UInt64, length: UInt32)?
    /// Per slot: sound, and every pointer it holds is valid for the kept prefix.
    public var consistentSlots: Set<Superblock.Slot>
    /// Committed transactions (as counted by the walk) beyond `keepEnd`.
    public var droppedTransactions: Int
}
