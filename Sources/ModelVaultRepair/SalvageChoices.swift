/// What a salvage keeps beyond the committed prefix, or what it leaves out on request.
public struct SalvageChoices: Sendable, Equatable {
    public enum Mode: String, Sendable {
        case prefix, scavenge
        case untilTxn = "until_txn"
        case dropTxn = "drop_txn"
    }

    /// Keep every intact committed transaction that replays, past any damage.
    public var scavenge = false
    /// Keep nothing committed after this transaction.
    public var untilTxn: TransactionReference?
    /// Leave out these transactions (and what no longer replays without them).
    public var dropTxns: [TransactionReference] = []

    public init(scavenge: Bool = false, untilTxn: TransactionReference? = nil, dropTxns: [TransactionReference] = []) {
        self.scavenge = scavenge
        self.untilTxn = untilTxn
        self.dropTxns = dropTxns
    }

    public var mode: Mode {
        if untilTxn != nil { return .untilTxn }
        if !dropTxns.isEmpty { return .dropTxn }
        return scavenge ? .scavenge : .prefix
    }
}

/// A committed transaction named on the command line: `ID`, or `ID@OFFSET` (its TxnBegin's
/// offset) where the id occurs more than once (ids restart at 1 with every open).
public struct TransactionReference: Sendable, Equatable, CustomStringConvertible {
    public var id: UInt64
    public var offset: UInt64?

    public init(id: UInt64, offset: UInt64? = nil) {
        self.id = id
        self.offset = offset
    }

    /// Parses `ID` or `ID@OFFSET`; nil when it is neither.
    public init?(_ text: String) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        guard let id = UInt64(parts[0]) else { return nil }
        self.id = id
        if parts.count == 2 {
            guard let offset = UInt64(parts[1]) else { return nil }
            self.offset = offset
        }
    }

    public var description: String { offset.map { "\(id)@\($0)" } ?? "\(id)" }
}
