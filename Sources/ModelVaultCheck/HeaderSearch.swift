import ModelVaultFormat

#if canImport(Glibc)
    import Glibc
#endif

/// The one test of where a segment can begin when the framing is lost: a `TSG0` whose 32-byte
/// header passes every check the engine makes, its CRC included (docs/file-format.md §5). The
/// resynchronisation after an unreadable header and the search inside a payload whose length
/// is damaged (`EmbeddedHeaderScan`) both ask it.
enum HeaderSearch {
    enum Outcome: Equatable {
        /// A sound header begins at this index.
        case found(Int)
        /// None before this index, where a candidate begins too close to the end to be judged.
        case cut(Int)
        /// None at all.
        case none
    }

    /// The first index of `bytes` where a sound segment header begins. `candidates` counts the
    /// `T`s tried, across calls: a stop request is polled once per 4096 of them.
    static func first(
        in bytes: UnsafeRawBufferPointer, candidates: inout Int
    ) throws(StopRequest.Interrupted) -> Outcome {
        guard let base = bytes.baseAddress else { return .none }
        let size = Layout.segmentHeaderSize
        var from = 0
        while from < bytes.count, let hit = memchr(base + from, 0x54, bytes.count - from) {
            let i = base.distance(to: UnsafeRawPointer(hit))
            candidates += 1
            try StopRequest.check(every: candidates)
            if bytes.count - i < size { return .cut(i) }
            // Most candidates fail at the magic: test it before the header is decoded.
            if UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self)) == SegmentHeader.magicWord,
                SegmentHeader(parsing: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + size)])).fault == nil
            {
                return .found(i)
            }
            from = i + 1
        }
        return .none
    }
}
