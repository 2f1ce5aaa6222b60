import ModelVaultFormat

#if canImport(Glibc)
    import Glibc
#endif

/// Whether leaving units out can make a kept one fail to replay. Only three things a unit
/// holds reach beyond it: a catalog change (every later record and row is judged against the
/// catalog), a unique-index delete (a later insert of the same key clashes without it), and
/// whatever damage hides. A drop with none of these is inert: the kept units replay exactly
/// as they did in the source, whose walk has already decoded them in full.
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
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return relevant.allSatisfy { isInert(units[$0], fd: fd) }
    }

    static func isInert(_ unit: LogUnit, fd: Int32) -> Bool {
        guard unit.end - unit.offset <= readLimit else { return false }
        var bytes = [UInt8](repeating: 0, count: Int(unit.end - unit.offset))
        let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(unit.offset)) }
        guard read == bytes.count else { return false }
        return bytes.withUnsafeBytes { all in
            var at = 0
            while at < all.count {
                guard all.count - at >= Layout.segmentHeaderSize else { return false }
                let header = SegmentHeader(
                    parsing: UnsafeRawBufferPointer(rebasing: all[at..<(at + Layout.segmentHeaderSize)]))
                guard header.fault == nil, let type = header.type,
                    header.payloadLength <= UInt64(all.count - at - Layout.segmentHeaderSize)
                else { return false }
                let start = at + Layout.segmentHeaderSize
                let payload = UnsafeRawBufferPointer(rebasing: all[start..<(start + Int(header.payloadLength))])
                switch type {
                case .schema:
                    return false
                case .index:
                    guard CRC32C.checksum(payload) == header.payloadCRC,
                        !holdsDelete(payload, at: unit.offset + UInt64(start))
                    else { return false }
                default:
                    break
                }
                at = start + payload.count
            }
            return true
        }
    }

    /// Whether an Index payload holds a delete entry (or does not decode: it may).
    static func holdsDelete(_ payload: UnsafeRawBufferPointer, at offset: UInt64) -> Bool {
        do throws(RecordDecodeError) {
            var index = try IndexPayload(parsing: payload, at: offset)
            while let entry = try index.nextView() {
                if entry.op == .delete { return true }
            }
            return false
        } catch {
            return true
        }
    }
}
