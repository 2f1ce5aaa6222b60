import ModelVaultCheck
import ModelVaultFormat

/// What a salvage kept and dropped, transaction by transaction (the report's `salvage` object).
public struct SalvageSummary: Sendable {
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

    public var mode: SalvageChoices.Mode
    public var keptTransactions: Int
    /// Bytes of the source the salvaged file holds as they are.
    public var keptBytes: UInt64
    public var dropped: [DroppedTransaction]

    init(
        mode: SalvageChoices.Mode, ledger: TransactionLedger, selection: UnitSelection, keptBytes: UInt64,
        catalog: Catalog
    ) {
        self.mode = mode
        self.keptBytes = keptBytes
        keptTransactions = selection.keptCount
        dropped = selection.dropped.map { drop in
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
        var lines = dropped.prefix(limit).map { d in
            let id = d.txnId.map { "transaction \($0)" } ?? "unframed data"
            let rows = d.rowsTouched.map { "\($0) row(s)" } ?? "rows unknown"
            let collections = d.collections.isEmpty ? "" : " in " + d.collections.joined(separator: ", ")
            return "dropped \(id) at \(d.offset)..<\(d.end) (\(d.reason.rawValue)): \(d.detail); \(rows)\(collections)"
        }
        if dropped.count > limit { lines.append("… and \(dropped.count - limit) more dropped transaction(s)") }
        return lines
    }
}
