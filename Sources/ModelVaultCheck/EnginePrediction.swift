import ModelVaultFormat

/// What ModelVault 0.16.0 does when it opens this exact file read-write, in strict mode and in
/// AutoTruncate mode (docs/report-format.md §4, `engine`).
public struct EnginePrediction: Equatable, Sendable {
    public enum Basis: String, Sendable { case framing, deep }

    public var strictOpens: Bool
    /// The engine's error when strict fails.
    public var strictError: EngineError?
    public var autoTruncateOpens: Bool
    public var autoTruncateError: EngineError?
    public var truncatedBytes: UInt64
    public var truncateReason: TruncateReason?
    public var modifiesFile: Bool
    public var committedTransactionsLost: Int
    public var basis: Basis

    static func fails(_ error: EngineError, basis: Basis) -> EnginePrediction {
        EnginePrediction(
            strictOpens: false, strictError: error, autoTruncateOpens: false, autoTruncateError: error,
            truncatedBytes: 0, truncateReason: nil, modifiesFile: false,
            committedTransactionsLost: 0, basis: basis)
    }

    /// A read-write open that rewrites the file as a fresh database and succeeds.
    static func initialises(basis: Basis) -> EnginePrediction {
        EnginePrediction(
            strictOpens: true, strictError: nil, autoTruncateOpens: true, autoTruncateError: nil,
            truncatedBytes: 0, truncateReason: nil, modifiesFile: true,
            committedTransactionsLost: 0, basis: basis)
    }
}

/// Everything the walk learned that bears on the engine's open, settled once the file length
/// is known.
struct EngineInputs {
    var fileLength: UInt64
    var manifest: ManifestTarget?
    var checkpoint: CheckpointTarget?
    var scan: EngineScan
    var replay: ReplayModel
    var versionAhead: VersionAheadRecords
    var committedTransactions: Int
    var basis: EnginePrediction.Basis

    func predict() -> EnginePrediction {
        if let fatal = scan.fatal {
            // A strict open reads the selected Manifest before it scans: its failure comes first.
            var prediction = EnginePrediction.fails(fatal.error, basis: basis)
            if let failure = manifest?.strictFailure(fileLength: fileLength) { prediction.strictError = failure }
            return prediction
        }
        let cut = scan.cut(fileLength: fileLength)
        var prediction = EnginePrediction(
            strictOpens: true, strictError: nil, autoTruncateOpens: true, autoTruncateError: nil,
            truncatedBytes: 0, truncateReason: nil, modifiesFile: false, committedTransactionsLost: 0, basis: basis)

        // Strict: manifest check, then no cut, then checkpoint and replay over the whole file.
        if let failure = manifest?.strictFailure(fileLength: fileLength) {
            prediction.strictError = failure
        } else if let cut {
            prediction.strictError = .uncleanLogTail(reason: cut.reason, safeEnd: cut.end)
        } else if let failure = replayFailure(keptEnd: fileLength, strict: true) {
            prediction.strictError = failure
        }
        prediction.strictOpens = prediction.strictError == nil

        // AutoTruncate: cut in place, then checkpoint and replay over what is left.
        let keptEnd = cut?.end ?? fileLength
        if let cut {
            prediction.truncatedBytes = fileLength - cut.end
            prediction.truncateReason = cut.reason
            prediction.modifiesFile = true
            prediction.committedTransactionsLost = max(0, committedTransactions - scan.closedCommits)
        }
        if let failure = replayFailure(keptEnd: keptEnd, strict: false) {
            prediction.autoTruncateOpens = false
            prediction.autoTruncateError = failure
        }
        return prediction
    }

    /// The error of the first fault replay meets in a log kept up to `keptEnd`.
    func replayFailure(keptEnd: UInt64, strict: Bool) -> EngineError? {
        var fromReplayStart = false
        if let checkpoint {
            switch checkpoint.use(fileLength: keptEnd) {
            case .ignored:
                break
            case .strictFailsAutoTruncateReplaysAll(let error):
                if strict { return error }
            case .fatal(let error):
                return error
            case .replayFrom(let start):
                guard start != nil else { return nil }
                fromReplayStart = true
            }
        }
        guard let first = replay.firstFault(keptEnd: keptEnd, fromCheckpoint: fromReplayStart) else { return nil }
        if first.variant == .invalidSchemaVersion, let key = first.reference,
            let decodeError = versionAhead.decodeError(for: key, catalog: replay.catalog)
        {
            return decodeError
        }
        return first.error
    }
}

/// Why an AutoTruncate open cuts the file (`recovery_info['truncate_reason']`).
public enum TruncateReason: String, Sendable, CaseIterable, CustomStringConvertible {
    /// A transaction begun and never committed (the cut is at its TxnBegin).
    case uncommittedTransaction = "uncommitted_transaction"
    /// A TxnCommit with no open transaction (the cut is at it).
    case orphanTxnCommit = "orphan_txn_commit"
    /// A TxnCommit naming another transaction than the open one.
    case txnIdMismatch = "txn_id_mismatch"
    /// Bytes after the last complete committed transaction (format minor 6).
    case tornTail = "torn_tail"
    /// Bytes after the last complete segment (format minors 3–5).
    case tornTailPreV6 = "torn_tail_pre_v6"

    /// The engine's name.
    public var description: String { rawValue }
}
