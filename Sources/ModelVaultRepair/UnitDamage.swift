import ModelVaultFormat

/// Why a unit of replay cannot be replayed as it stands. Plain values, so the ledger can hold
/// millions of units in a scratch file; the words are made when asked (`description`).
public enum UnitDamage: Sendable, Equatable, BitwiseCopyable, CustomStringConvertible {
    /// The next transaction begins (its TxnBegin at `nextBegin`) before this one commits.
    case noCommitBefore(nextBegin: UInt64)
    case beginDamaged(at: UInt64)
    /// Its TxnCommit (at `commit`) survives; its TxnBegin lies in unreadable bytes before.
    case beginUnreadable(commit: UInt64)
    case commitIdMismatch(at: UInt64, commitId: UInt64, beginId: UInt64)
    case commitDamaged(at: UInt64)
    case abortDamaged(at: UInt64)
    /// Data where the engine refuses unframed data: its TxnBegin is gone.
    case beginMissing(dataAt: UInt64)
    case payloadChecksum(SegmentType, at: UInt64)
    case unreadable(bytes: UInt64, at: UInt64)
    /// Unreadable bytes between transactions, which may have held a whole one.
    case unreadableBetween(bytes: UInt64, at: UInt64)

    public var description: String {
        switch self {
        case .noCommitBefore(let next): "no TxnCommit before the TxnBegin at \(next)"
        case .beginDamaged(let at): "TxnBegin at \(at) is damaged"
        case .beginUnreadable(let commit): "its TxnBegin lies in unreadable bytes before \(commit)"
        case .commitIdMismatch(let at, let commitId, let beginId):
            "TxnCommit at \(at) carries id \(commitId), its TxnBegin \(beginId)"
        case .commitDamaged(let at): "TxnCommit at \(at) is damaged"
        case .abortDamaged(let at): "TxnAbort at \(at) is damaged"
        case .beginMissing(let at): "data outside any transaction at \(at): its TxnBegin is missing"
        case .payloadChecksum(let type, let at): "\(type.name) at \(at): payload checksum"
        case .unreadable(let bytes, let at): "\(bytes) unreadable bytes at \(at)"
        case .unreadableBetween(let bytes, let at): "\(bytes) unreadable bytes at \(at): whatever they held is lost"
        }
    }
}
