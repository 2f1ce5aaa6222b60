import ModelVaultCheck
import ModelVaultFormat

#if canImport(Glibc)
    import Glibc
#endif

/// Whether leaving units out can make a kept one fail to replay. Only three things a unit
/// holds reach beyond it: a catalog change (every later record and row is judged against the
/// catalog), a unique-index delete (a later insert of the same key clashes without it), and
/// whatever damage hides. A drop with none of these is inert: the kept units replay exactly
/// as they did in the source, whose walk has already decoded them in full, but for the unique
/// keys the dropped units inserted (which can only cure a later clash, never cause one).
enum DropImpact {
    /// The most bytes of one dropped unit read back to judge it; past it, it is not inert.
    static let readLimit: UInt64 = 64 << 20

    /// Reads the dropped units that lie before the last kept one from `path` (a copy of the
    /// source) and judges them.
    static func dropsAreInert<Units: RandomAccessCollection<LogUnit>>(
        units: Units, kept: [Bool], dropped: [Int], copy path: String
    ) -> Bool where Units.Index == Int {
        guard let lastKept = kept.lastIndex(of: true) else { return true }
        let relevant = dropped.filter { $0 < lastKept }
        guard !relevant.isEmpty else { return true }
        return reading(path) { fd in relevant.allSatisfy { isInert(units[$0], fd: fd) } } ?? false
    }

    /// Of `faulting` (a round's faults in kept units, in unit order), the units whose unique
    /// clash no drop, this round or later, can cure: every faulting unit before the clash is
    /// inert, so no drop makes a new fault, and none inserts the key as it stood at the clash
    /// (one may be the insert that holds it). Reads those units from `path`.
    static func uncurableClashes<Units: RandomAccessCollection<LogUnit>>(
        _ faulting: [(unit: Int, finding: Finding)], units: Units, copy path: String
    ) -> Set<Int> where Units.Index == Int {
        let holders = Set(faulting.compactMap(\.finding.uniqueHolder))
        guard !holders.isEmpty else { return [] }
        return reading(path) { fd in
            var sure = Set<Int>()
            var insertedBefore = Set<UniqueKey>()
            var at = 0
            while at < faulting.count {
                let unit = faulting[at].unit
                var next = at
                while next < faulting.count && faulting[next].unit == unit {
                    if let holder = faulting[next].finding.uniqueHolder, !insertedBefore.contains(holder) {
                        sure.insert(unit)
                    }
                    next += 1
                }
                let reach = reach(of: units[unit], fd: fd, inserting: holders)
                guard reach.inert else { break }
                insertedBefore.formUnion(reach.inserts)
                at = next
            }
            return sure
        } ?? []
    }

    /// `body` given a descriptor of `path` open for reading; nil when it cannot be opened.
    private static func reading<T>(_ path: String, _ body: (Int32) -> T) -> T? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return body(fd)
    }

    static func isInert(_ unit: LogUnit, fd: Int32) -> Bool {
        reach(of: unit, fd: fd, inserting: []).inert
    }

    /// What a unit holds that reaches beyond it.
    struct Reach {
        /// Whether leaving it out leaves every later unit's replay as it was, but for the
        /// unique keys it inserted (see `DropImpact`).
        var inert: Bool
        /// Which of the asked-for unique keys it inserts (complete only when `inert`).
        var inserts: Set<UniqueKey> = []
    }

    /// Reads `unit` back from `fd` and judges it; `wanted` are the unique keys whose inserts
    /// to report (a bounded set: the keys the faults of one round name).
    static func reach(of unit: LogUnit, fd: Int32, inserting wanted: Set<UniqueKey>) -> Reach {
        let refused = Reach(inert: false)
        guard unit.end - unit.offset <= readLimit else { return refused }
        var bytes = [UInt8](repeating: 0, count: Int(unit.end - unit.offset))
        let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(unit.offset)) }
        guard read == bytes.count else { return refused }
        return bytes.withUnsafeBytes { all in
            var reach = Reach(inert: true)
            var at = 0
            while at < all.count {
                guard all.count - at >= Layout.segmentHeaderSize else { return refused }
                let header = SegmentHeader(
                    parsing: UnsafeRawBufferPointer(rebasing: all[at..<(at + Layout.segmentHeaderSize)]))
                guard header.fault == nil, let type = header.type,
                    header.payloadLength <= UInt64(all.count - at - Layout.segmentHeaderSize)
                else { return refused }
                let start = at + Layout.segmentHeaderSize
                let payload = UnsafeRawBufferPointer(rebasing: all[start..<(start + Int(header.payloadLength))])
                switch type {
                case .schema:
                    return refused
                case .index:
                    guard CRC32C.checksum(payload) == header.payloadCRC,
                        Self.addUniqueInserts(payload, at: unit.offset + UInt64(start), wanted: wanted, to: &reach)
                    else { return refused }
                default:
                    break
                }
                at = start + payload.count
            }
            return reach
        }
    }

    /// Adds the payload's inserts of `wanted` keys to `reach`; false when it holds a delete
    /// entry or does not decode (it may hold one).
    static func addUniqueInserts(
        _ payload: UnsafeRawBufferPointer, at offset: UInt64, wanted: Set<UniqueKey>, to reach: inout Reach
    ) -> Bool {
        do throws(RecordDecodeError) {
            var index = try IndexPayload(parsing: payload, at: offset)
            while let entry = try index.nextView() {
                if entry.op == .delete { return false }
                guard !wanted.isEmpty, entry.kind == .unique else { continue }
                let key = UniqueKey(entry)
                if wanted.contains(key) { reach.inserts.insert(key) }
            }
            return true
        } catch {
            return false
        }
    }
}
