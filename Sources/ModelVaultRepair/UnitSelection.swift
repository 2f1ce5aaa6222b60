/// Which of the source's units a salvage keeps, and why it drops the others.
public struct UnitSelection: Sendable {
    public struct Dropped: Sendable, Equatable {
        public enum Reason: String, Sendable {
            case damaged
            case doesNotReplay = "does_not_replay"
            case afterUntil = "after_until"
            case requested
        }

        /// Index into `TransactionLedger.units`.
        public var unit: Int
        public var reason: Reason
        public var detail: String
    }

    /// A transaction named on the command line that names no single committed transaction.
    public enum ReferenceError: Error, Equatable, CustomStringConvertible {
        case notFound(TransactionReference, highest: UInt64?)
        case ambiguous(TransactionReference, offsets: [UInt64], highest: UInt64?)
        case notCommitted(TransactionReference, offset: UInt64, state: String, highest: UInt64?)

        public var description: String {
            switch self {
            case .notFound(let ref, let highest):
                return "no committed transaction \(ref) in the source (\(Self.known(highest)))"
            case .ambiguous(let ref, let offsets, let highest):
                return "transaction id \(ref.id) occurs \(offsets.count) times, begun at "
                    + offsets.map(String.init).joined(separator: ", ")
                    + "; name one as \(ref.id)@OFFSET (\(Self.known(highest)))"
            case .notCommitted(let ref, let offset, let state, let highest):
                return "transaction \(ref) begun at \(offset) was never committed (\(state)): "
                    + "name a committed one (\(Self.known(highest)))"
            }
        }

        static func known(_ highest: UInt64?) -> String {
            highest.map { "the highest committed transaction id is \($0)" }
                ?? "the source holds no committed transaction"
        }
    }

    /// Per unit of the ledger: kept (true) or not. Units that never applied (aborted,
    /// uncommitted) are not kept and not reported.
    public private(set) var kept: [Bool]
    public private(set) var dropped: [Dropped] = []

    /// The first choice, before anything is replayed: damage, the cut of `--until-txn`, the
    /// transactions `--drop-txn` names; without `--scavenge`, nothing after `prefixEnd`.
    public init<Units: RandomAccessCollection<LogUnit>>(
        units: Units, choices: SalvageChoices, prefixEnd: UInt64
    ) throws(ReferenceError) where Units.Index == Int {
        kept = units.map { $0.committed && !$0.aborted && $0.damage == nil }
        let until = try choices.untilTxn.map { ref throws(ReferenceError) in try Self.resolve(ref, in: units) }
        var requested = Set<Int>()
        for ref in choices.dropTxns { requested.insert(try Self.resolve(ref, in: units)) }
        let firstDamage = units.firstIndex { $0.isReported && $0.damage != nil }.map { units[$0].offset }
        // One text for many units: a long log shares it rather than repeating it.
        let afterDamage =
            "intact, but after the first damage\(firstDamage.map { " at \($0)" } ?? ""); --scavenge keeps it"
        let afterUntil = until.map { "committed after transaction \(units[$0].txnId.map(String.init) ?? "?")" } ?? ""
        for (i, unit) in units.enumerated() where unit.isReported {
            if let damage = unit.damage {
                drop(i, .damaged, damage)
            } else if !choices.scavenge, unit.end > prefixEnd {
                drop(i, .damaged, afterDamage)
            } else if let until, i > until {
                drop(i, .afterUntil, afterUntil)
            } else if requested.contains(i) {
                drop(i, .requested, "named by --drop-txn")
            }
        }
    }

    /// Kept units that do not replay on what is kept before them, each with why.
    public mutating func dropUnreplayable(_ units: [(unit: Int, detail: String)]) {
        drop(units.map { Dropped(unit: $0.unit, reason: .doesNotReplay, detail: $0.detail) })
    }

    /// Kept units that cannot stay for the layout's sake (see `ScavengeLayout`), each with why.
    public mutating func dropForLayout(_ units: [(unit: Int, detail: String)]) {
        drop(units.map { Dropped(unit: $0.unit, reason: .damaged, detail: $0.detail) })
    }

    public var keptCount: Int { kept.reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// Appends while choosing, in unit order.
    private mutating func drop(_ unit: Int, _ reason: Dropped.Reason, _ detail: String) {
        kept[unit] = false
        dropped.append(Dropped(unit: unit, reason: reason, detail: detail))
    }

    /// Drops kept units after choosing: merged into `dropped` in one pass, so it stays in unit
    /// order however many go at once. A unit keeps the first reason given for it.
    private mutating func drop(_ more: [Dropped]) {
        var named = Set<Int>()
        let more = more.filter { kept[$0.unit] && named.insert($0.unit).inserted }.sorted { $0.unit < $1.unit }
        guard !more.isEmpty else { return }
        var merged: [Dropped] = []
        merged.reserveCapacity(dropped.count + more.count)
        var next = 0
        for entry in dropped {
            while next < more.count && more[next].unit < entry.unit {
                merged.append(more[next])
                next += 1
            }
            merged.append(entry)
        }
        merged.append(contentsOf: more[next...])
        for entry in more { kept[entry.unit] = false }
        dropped = merged
    }

    /// The one committed transaction `ref` names.
    static func resolve<Units: RandomAccessCollection<LogUnit>>(_ ref: TransactionReference, in units: Units)
        throws(ReferenceError) -> Int where Units.Index == Int
    {
        let named = units.indices.filter {
            units[$0].kind == .transaction && units[$0].txnId == ref.id
                && (ref.offset == nil || units[$0].offset == ref.offset)
        }
        let committed = named.filter { units[$0].committed && !units[$0].aborted }
        if committed.count == 1 { return committed[0] }
        let highest = units.filter { $0.committed && !$0.aborted }.compactMap(\.txnId).max()
        if committed.count > 1 {
            throw .ambiguous(ref, offsets: committed.map { units[$0].offset }, highest: highest)
        }
        if let other = named.first {
            let state =
                units[other].aborted ? "aborted" : units[other].damage.map { "damaged: \($0)" } ?? "no TxnCommit"
            throw .notCommitted(ref, offset: units[other].offset, state: state, highest: highest)
        }
        throw .notFound(ref, highest: highest)
    }
}
