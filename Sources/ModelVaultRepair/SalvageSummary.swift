import ModelVaultCheck
import ModelVaultFormat

/// What a salvage kept and dropped, transaction by transaction (the report's `salvage` object).
public struct SalvageSummary {
    public struct DroppedTransaction: Sendable, Equatable {
        /// Nil for a unit no marker frames, or whose markers the damage destroyed.
        public var txnId: UInt64?
        public var offset: UInt64
        public var end: UInt64
        public var reason: UnitSelection.Dropped.Reason
        public var detail: String
        /// Names of the collections it wrote to or changed (ids where the name is unknown).
        public var collections: [String]
        /// Records in it; nil when damage hides how many.
        public var rowsTouched: Int?
    }

    public let mode: SalvageChoices.Mode
    public var keptTransactions: Int
    /// Bytes of the source the salvaged file holds as they are.
    public var keptBytes: UInt64
    public var droppedCount: Int { selection.dropped.count }

    // Read when asked: a long log can drop hundreds of thousands of transactions.
    private let ledger: TransactionLedger
    private let selection: UnitSelection
    private let catalog: Catalog

    init(
        mode: SalvageChoices.Mode, ledger: TransactionLedger, selection: UnitSelection, keptBytes: UInt64,
        catalog: Catalog
    ) {
        self.mode = mode
        self.keptBytes = keptBytes
        self.ledger = ledger
        self.selection = selection
        self.catalog = catalog
        keptTransactions = selection.keptCount
    }

    /// The dropped transactions, in log order, each built as it is read.
    public var dropped: LazyMapSequence<[UnitSelection.Dropped], DroppedTransaction> {
        selection.dropped.lazy.map { drop in
            let unit = ledger.units[drop.unit]
            let names = ledger.collections(of: drop.unit).map { id in
                ledger.collectionNames[id] ?? catalog.collection(id: id)?.name ?? "#\(id)"
            }
            return DroppedTransaction(
                txnId: unit.txnId, offset: unit.offset, end: unit.end, reason: drop.reason, detail: drop.detail,
                collections: names, rowsTouched: unit.rows)
        }
    }

    /// One line per dropped transaction, then a count past `limit`.
    public func lines(limit: Int = 50) -> [String] {
        var lines: [String] = dropped.prefix(limit).map { d in
            let id = d.txnId.map { "transaction \($0)" } ?? "unframed data"
            let rows = d.rowsTouched.map { "\($0) row(s)" } ?? "rows unknown"
            let collections = d.collections.isEmpty ? "" : " in " + d.collections.joined(separator: ", ")
            return "dropped \(id) at \(d.offset)..<\(d.end) (\(d.reason.rawValue)): \(d.detail); \(rows)\(collections)"
        }
        if droppedCount > limit { lines.append("… and \(droppedCount - limit) more dropped transaction(s)") }
        return lines
    }
}
