import ModelVaultCheck
import ModelVaultFormat

/// One unit of replay in the source: a transaction from its TxnBegin to its TxnCommit (format
/// minor 6), or, where the log has no markers (minors 3–5, an upgraded file's legacy prefix), a
/// Schema segment or a Record with the Index segments written for it.
public struct LogUnit: Sendable, Equatable, BitwiseCopyable {
    public enum Kind: Sendable, Equatable {
        case transaction
        /// Data applied as soon as it is read: no markers frame it.
        case unframed
    }

    /// Where it starts (its TxnBegin, or the damaged bytes that stand in for one) and ends.
    public var offset: UInt64
    public var end: UInt64
    /// Why it cannot be replayed as it stands (nil: every byte of it is intact).
    public var damageCause: UnitDamage?
    /// `damageCause` in words.
    public var damage: String? { damageCause?.description }
    private var rawTxnId: UInt64 = 0
    /// The first collection id its Records write to or its Schema segments register or
    /// change (0: none); the others, rare, are the ledger's (`TransactionLedger.collections(of:)`).
    public var firstCollection: UInt32 = 0
    private var recordCount: UInt32 = 0
    /// A long log holds millions of units: the rest of each is one byte of flags.
    private var flags: UInt8 = 0

    private static let unframedFlag: UInt8 = 1
    private static let hasTxnIdFlag: UInt8 = 2
    private static let committedFlag: UInt8 = 4
    private static let abortedFlag: UInt8 = 8
    private static let changesCatalogFlag: UInt8 = 16
    private static let rowsUnknownFlag: UInt8 = 32

    public init(kind: Kind, txnId: UInt64?, offset: UInt64, end: UInt64, committed: Bool) {
        self.offset = offset
        self.end = end
        self.kind = kind
        self.txnId = txnId
        self.committed = committed
    }

    private func flag(_ bit: UInt8) -> Bool { flags & bit != 0 }
    private mutating func set(_ bit: UInt8, _ on: Bool) { flags = on ? flags | bit : flags & ~bit }

    public var kind: Kind {
        get { flag(Self.unframedFlag) ? .unframed : .transaction }
        set { set(Self.unframedFlag, newValue == .unframed) }
    }

    /// The transaction id of its markers (nil for an unframed unit, or when no marker survives).
    public var txnId: UInt64? {
        get { flag(Self.hasTxnIdFlag) ? rawTxnId : nil }
        set {
            set(Self.hasTxnIdFlag, newValue != nil)
            rawTxnId = newValue ?? 0
        }
    }

    /// Whether an intact TxnCommit with its id closes it (always, for an unframed unit), even
    /// when damage lies between the two.
    public var committed: Bool {
        get { flag(Self.committedFlag) }
        set { set(Self.committedFlag, newValue) }
    }

    /// Closed by a TxnAbort: never applied.
    public var aborted: Bool {
        get { flag(Self.abortedFlag) }
        set { set(Self.abortedFlag, newValue) }
    }

    /// Whether it holds a Schema segment.
    public var changesCatalog: Bool {
        get { flag(Self.changesCatalogFlag) }
        set { set(Self.changesCatalogFlag, newValue) }
    }

    /// Records in it; nil when damage hides how many.
    public var rows: Int? {
        get { flag(Self.rowsUnknownFlag) ? nil : Int(recordCount) }
        set {
            set(Self.rowsUnknownFlag, newValue == nil)
            recordCount = UInt32(clamping: newValue ?? 0)
        }
    }

    /// Whether a salvage that leaves it out drops data: it was committed, or damage hides
    /// whether it was.
    public var isReported: Bool { !aborted && (committed || damage != nil) }

    /// Notes a collection; true when it is one besides the first.
    mutating func touch(_ collectionId: UInt32) -> Bool {
        if firstCollection == 0 {
            firstCollection = collectionId
            return false
        }
        return collectionId != firstCollection
    }
}

/// A segment outside every unit that a salvage may keep as it is.
public struct KeptStructure: Sendable, Equatable, BitwiseCopyable {
    public var type: SegmentType
    public var offset: UInt64
    public var end: UInt64
}

/// Reads the walk's segments into units of replay (`LogUnit`) and the intact Manifests and
/// Checkpoints between them: what a salvage beyond the first damage chooses from. It judges
/// the bytes for itself — checksums, marker ids, unreadable stretches — rather than the
/// framing's view, which stops trusting the log at the first damage.
public final class TransactionLedger: SegmentAnalyser {
    /// In file order. A long log holds millions: past a few tens of thousands they wait in a
    /// scratch file (`SpilledArray`), so memory stays flat.
    public let units = SpilledArray<LogUnit>()
    public let structures = SpilledArray<KeptStructure>()
    /// Unreadable stretches and damaged segments outside every unit.
    public private(set) var damagedStretches: [Range<UInt64>] = []
    /// Collection names as the log registers them.
    public private(set) var collectionNames: [UInt32: String] = [:]
    /// Collections a unit touches besides its first, by the unit's index (rare: one write
    /// usually touches one collection).
    private var moreCollections: [Int: [UInt32]] = [:]
    /// Those of the open unit, moved to `moreCollections` when it closes.
    private var openMore: [UInt32] = []
    /// Where the last whole segment ends.
    public private(set) var logEnd = UInt64(Layout.logStart)

    /// The format minor whose rules apply: below 6 no markers frame the data.
    private var minor = Layout.transactionalMinor
    /// Whether a TxnBegin has been read: after one, data outside a transaction is refused.
    private var seenBegin = false
    /// The unit being read: a transaction, or data no marker frames.
    private var open: LogUnit?
    /// Damage outside any unit not yet followed by an intact structure: data or a TxnCommit
    /// after it with no TxnBegin belong to a transaction whose beginning the damage destroyed.
    private var damageSince: UInt64?
    /// Units made of nothing but unreadable bytes between transactions (see `unreadable`).
    private var unreadableUnits = Set<Int>()
    /// Where the walk could not read, and the type the header there claimed.
    private var lastUnreadable: (range: Range<UInt64>, claimed: SegmentType?)?

    public init() {}

    /// Everything it reads of a payload comes decoded with the segment.
    public func payloadBytesWanted(for type: SegmentType) -> Int { 0 }
    public var readsRecordCatalog: Bool { false }
    public var takesTransactionBodies: Bool { true }

    public func transactionBodies(_ bodies: UnsafeBufferPointer<TransactionBody>) {
        for body in bodies {
            reach(body.offset, end: body.end)
            data(body.type, at: body.offset, end: body.end, intact: true, record: body.record, catalogEntry: nil)
        }
    }

    public func prelude(header: FileHeader?, superblocks: [(Superblock, selected: Bool)]) {
        if let header, header.hasValidMagic, header.formatMajor == 0, (3...6).contains(header.formatMinor) {
            minor = header.formatMinor
        } else {
            let slots = superblocks.map(\.0)
            minor =
                slots.contains { $0.isSound && $0.version == 1 } || !slots.contains(where: \.isSound)
                ? Layout.transactionalMinor : 5
        }
    }

    public func unreadable(_ range: Range<UInt64>, claimedType: SegmentType?) {
        lastUnreadable = (range, claimedType)
    }

    public func resumed(at offset: UInt64) { disown(from: offset) }

    public func segment(_ s: ObservedSegment, payload: UnsafeRawBufferPointer) {
        let offset = s.summary.offset
        let end = offset + s.summary.totalLength
        reach(offset, end: end)
        // A Manifest a superblock may point at must decode, not only check out. (Content faults
        // of an intact payload are not damage: whether a unit replays is judged on the result.)
        let intact =
            s.summary.type == .manifest ? s.manifestDecodes : s.summary.payloadCRCMatches || s.summary.type == .temp
        switch s.summary.type {
        case .txnBegin: begin(s, intact: intact, end: end)
        case .txnCommit: commit(s, intact: intact, end: end)
        case .txnAbort: abort(s, intact: intact, end: end)
        case .schema, .record, .index:
            data(s.summary.type, at: offset, end: end, intact: intact, record: s.record, catalogEntry: s.catalogEntry)
        case .manifest, .checkpoint, .temp: structure(s, intact: intact, end: end)
        }
    }

    /// A segment at `offset` ends the log read so far at `end`; bytes skipped before it are
    /// unreadable.
    private func reach(_ offset: UInt64, end: UInt64) {
        if offset > logEnd { unreadable(logEnd..<offset) }
        logEnd = end
    }

    /// Closes what is still open; call once the walk has run. Bytes after the last whole
    /// segment (a torn or unreadable tail) are damage to what they interrupt.
    public func finish() {
        if let tail = lastUnreadable, tail.range.lowerBound >= logEnd { unreadable(tail.range) }
        if let unit = open { close(unit) }
        open = nil
    }

    /// Collection ids unit `index` touches, in order of first appearance.
    public func collections(of index: Int) -> [UInt32] {
        let unit = units[index]
        guard unit.firstCollection != 0 else { return [] }
        return [unit.firstCollection] + (moreCollections[index] ?? [])
    }

    /// The unit whose bytes include `offset`.
    public func unitIndex(containing offset: UInt64) -> Int? {
        var low = 0
        var high = units.count
        while low < high {
            let mid = (low + high) / 2
            if units[mid].end <= offset { low = mid + 1 } else { high = mid }
        }
        return low < units.count && units[low].offset <= offset ? low : nil
    }

    // MARK: the units, as the segments come

    /// Whether data outside a transaction is applied as it comes (no markers frame it).
    private var dataIsUnframed: Bool { minor < Layout.transactionalMinor || !seenBegin }

    private func begin(_ s: ObservedSegment, intact: Bool, end: UInt64) {
        seenBegin = true
        if var unit = open {
            // A transaction the next one begins before it commits: damage (its TxnCommit is
            // gone), unless it is data no marker frames.
            if unit.kind == .transaction, unit.damageCause == nil {
                unit.damageCause = .noCommitBefore(nextBegin: s.summary.offset)
            }
            close(unit)
        }
        let marker = intact ? try? s.marker?.get() : nil
        var unit = LogUnit(
            kind: .transaction, txnId: marker?.txnId, offset: s.summary.offset, end: end, committed: false)
        if marker == nil { unit.damageCause = .beginDamaged(at: s.summary.offset) }
        open = unit
        damageSince = nil
    }

    private func commit(_ s: ObservedSegment, intact: Bool, end: UInt64) {
        let marker = intact ? try? s.marker?.get() : nil
        if open == nil || open?.kind == .unframed {
            if let unit = open { close(unit) }
            open = nil
            // No TxnBegin: the end of a transaction whose beginning lies in damaged bytes, or a
            // stray commit (nothing to keep either way).
            guard let start = damageSince else {
                damaged(s.summary.offset..<end)
                return
            }
            var unit = LogUnit(kind: .transaction, txnId: marker?.txnId, offset: start, end: end, committed: false)
            unit.damageCause = .beginUnreadable(commit: s.summary.offset)
            unit.rows = nil
            removeDamage(from: start)
            units.append(unit)
            damageSince = nil
            return
        }
        var unit = open!
        open = nil
        unit.end = end
        if let marker {
            if let id = unit.txnId, id != marker.txnId {
                unit.damageCause =
                    unit.damageCause ?? .commitIdMismatch(at: s.summary.offset, commitId: marker.txnId, beginId: id)
            } else {
                unit.txnId = unit.txnId ?? marker.txnId
                unit.committed = true
            }
        } else {
            unit.damageCause = unit.damageCause ?? .commitDamaged(at: s.summary.offset)
        }
        close(unit)
    }

    private func abort(_ s: ObservedSegment, intact: Bool, end: UInt64) {
        guard var unit = open, unit.kind == .transaction else {
            if let unit = open { close(unit) }
            open = nil
            if !intact { damaged(s.summary.offset..<end) }
            return
        }
        open = nil
        unit.end = end
        if intact {
            unit.aborted = true
        } else {
            unit.damageCause = unit.damageCause ?? .abortDamaged(at: s.summary.offset)
        }
        close(unit)
    }

    private func data(
        _ type: SegmentType, at offset: UInt64, end: UInt64, intact: Bool, record: RecordPreamble?,
        catalogEntry: Result<CatalogEntry, FormatError>?
    ) {
        if open == nil, dataIsUnframed {
            open = LogUnit(kind: .unframed, txnId: nil, offset: offset, end: end, committed: true)
        } else if open == nil {
            // Outside every transaction where the engine refuses unframed data: what is left of
            // a transaction whose TxnBegin is gone.
            var unit = LogUnit(
                kind: .transaction, txnId: nil, offset: damageSince ?? offset, end: end, committed: false)
            unit.damageCause = .beginMissing(dataAt: offset)
            if damageSince != nil {
                removeDamage(from: unit.offset)
                unit.rows = nil
            }
            damageSince = nil
            open = unit
        }
        var unit = open!
        unit.end = end
        if !intact { unit.damageCause = unit.damageCause ?? .payloadChecksum(type, at: offset) }
        note(type, record: record, catalogEntry: catalogEntry, in: &unit)
        if unit.kind == .unframed && type != .index {
            // A Schema segment, or a Record with the Index segments written before it.
            close(unit)
            open = nil
        } else {
            open = unit
        }
    }

    /// A Manifest, Checkpoint or Temp: inside a unit it is part of it (a legacy writer puts a
    /// Manifest between a Record's Index and the Record); outside, kept as it is when intact.
    private func structure(_ s: ObservedSegment, intact: Bool, end: UInt64) {
        if var unit = open {
            unit.end = end
            if !intact, unit.damageCause == nil {
                unit.damageCause = .payloadChecksum(s.summary.type, at: s.summary.offset)
            }
            open = unit
        } else if intact {
            damageSince = nil
            structures.append(KeptStructure(type: s.summary.type, offset: s.summary.offset, end: end))
        } else {
            damaged(s.summary.offset..<end)
        }
    }

    private func note(
        _ type: SegmentType, record: RecordPreamble?, catalogEntry: Result<CatalogEntry, FormatError>?,
        in unit: inout LogUnit
    ) {
        switch type {
        case .record:
            unit.rows = unit.rows.map { $0 + 1 }
            if let record { touch(record.collectionId, in: &unit) }
        case .schema:
            unit.changesCatalog = true
            if case .success(let entry)? = catalogEntry {
                touch(entry.collectionId, in: &unit)
                if case .createCollection(let name, _) = entry.kind, collectionNames[entry.collectionId] == nil {
                    collectionNames[entry.collectionId] = name
                }
            }
        default:
            break
        }
    }

    private func touch(_ collectionId: UInt32, in unit: inout LogUnit) {
        if unit.touch(collectionId), !openMore.contains(collectionId) { openMore.append(collectionId) }
    }

    private func close(_ unit: LogUnit) {
        if !openMore.isEmpty {
            moreCollections[units.count] = openMore
            openMore = []
        }
        units.append(unit)
    }

    /// Bytes no segment could be read from: damage to the unit they interrupt. Outside every
    /// unit, where data is applied as it comes, a stretch whose header named a data type (or
    /// no type at all) held a unit of its own: it is reported lost; one that named a Manifest,
    /// Checkpoint or Temp loses nothing.
    private func unreadable(_ range: Range<UInt64>) {
        let claimed = lastUnreadable.flatMap { $0.range.lowerBound == range.lowerBound ? $0.claimed : nil }
        if var unit = open {
            unit.damageCause = unit.damageCause ?? .unreadable(bytes: UInt64(range.count), at: range.lowerBound)
            unit.rows = nil
            unit.end = max(unit.end, range.upperBound)
            if unit.kind == .unframed && claimed.map({ $0.isData }) ?? true {
                // The Record an Index segment waited for is lost in the damage: the unit ends.
                close(unit)
                open = nil
            } else {
                open = unit
            }
        } else if dataIsUnframed, claimed.map({ $0.isData }) ?? true {
            var unit = LogUnit(
                kind: .unframed, txnId: nil, offset: range.lowerBound, end: range.upperBound, committed: false)
            unit.damageCause = .unreadable(bytes: UInt64(range.count), at: range.lowerBound)
            unit.rows = nil
            close(unit)
        } else if claimed.map({ $0.isData || $0.isMarker }) ?? true {
            // Between transactions, bytes that named no type (or a transaction's) may have held
            // a whole transaction: reported, so nothing is lost unsaid.
            damaged(range)
            var unit = LogUnit(
                kind: .transaction, txnId: nil, offset: range.lowerBound, end: range.upperBound, committed: false)
            unit.damageCause = .unreadableBetween(bytes: UInt64(range.count), at: range.lowerBound)
            unit.rows = nil
            unreadableUnits.insert(units.count)
            close(unit)
        } else {
            damaged(range)
        }
    }

    /// The last segment's length is damaged and the walk reads on from `offset`, inside it: the
    /// unit, damaged stretch or unreadable bytes that segment reached into end there.
    private func disown(from offset: UInt64) {
        logEnd = min(logEnd, offset)
        if var unit = open, unit.end > offset {
            unit.end = offset
            open = unit
        } else if let last = units.indices.last, units[last].end > offset {
            units.update(last) { $0.end = offset }
        }
        if let last = damagedStretches.last, last.contains(offset) {
            damagedStretches[damagedStretches.count - 1] = last.lowerBound..<offset
        }
        if let last = lastUnreadable, last.range.contains(offset) {
            lastUnreadable = (last.range.lowerBound..<offset, last.claimed)
        }
    }

    private func damaged(_ range: Range<UInt64>) {
        if damageSince == nil { damageSince = range.lowerBound }
        if let last = damagedStretches.last, last.upperBound == range.lowerBound {
            damagedStretches[damagedStretches.count - 1] = last.lowerBound..<range.upperBound
        } else {
            damagedStretches.append(range)
        }
    }

    /// Damage from `start` on turned out to be part of a unit.
    private func removeDamage(from start: UInt64) {
        while let last = units.indices.last, unreadableUnits.contains(last), units[last].offset >= start {
            units.removeLast()
            unreadableUnits.remove(last)
        }
        while let last = damagedStretches.last, last.lowerBound >= start { damagedStretches.removeLast() }
        if let last = damagedStretches.last, last.upperBound > start {
            damagedStretches[damagedStretches.count - 1] = last.lowerBound..<start
        }
    }
}
