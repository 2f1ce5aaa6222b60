import ModelVaultFormat

#if canImport(Glibc)
    import Glibc
#endif

/// Past an unreadable segment header: the scan for the next header that passes every check.
extension LogWalker {
    /// After an unreadable header at `offset`: finds the next offset holding a segment header
    /// that passes every check, reporting the stretch in between. Returns false at end of input.
    func resynchronise(after offset: UInt64) throws -> Bool {
        var allZero = true
        func pass(_ count: Int) throws {
            if allZero, !Self.isZero(UnsafeRawBufferPointer(rebasing: cursor.window.prefix(count))) { allZero = false }
            try cursor.consume(count)
        }
        try pass(1)
        // Every byte of a stretch of `T`s is a candidate header: poll once per 4096 of them.
        var candidates = 0
        while true {
            let available = try cursor.request(Layout.segmentHeaderSize)
            if available == 0 { break }
            let window = cursor.window
            let base = window.baseAddress!
            var from = 0
            var passUpTo = available
            while from < available, let hit = memchr(base + from, 0x54, available - from) {
                let i = base.distance(to: UnsafeRawPointer(hit))
                candidates += 1
                try StopRequest.check(every: candidates)
                if available - i < Layout.segmentHeaderSize {
                    passUpTo = cursor.sourceEnded ? available : i
                    break
                }
                let candidate = SegmentHeader(
                    parsing: UnsafeRawBufferPointer(rebasing: window[i..<(i + Layout.segmentHeaderSize)]))
                if candidate.fault == nil {
                    try pass(i)
                    let skipped = cursor.position - offset
                    beyondBreak = true
                    sink.add(
                        Finding(
                            .logResynchronized, .warning, offset: offset, length: skipped,
                            message:
                                "\(skipped) unreadable bytes\(allZero ? " (all zero)" : ""); "
                                + "the walk resumes at the next valid segment header at \(cursor.position), "
                                + "which the engine never reaches"
                        ))
                    return true
                }
                from = i + 1
            }
            if passUpTo == 0 && available < Layout.segmentHeaderSize && cursor.sourceEnded { passUpTo = available }
            try pass(passUpTo)
        }
        let skipped = cursor.position - offset
        sink.add(
            Finding(
                allZero ? .tailZeroFilled : .tailTrailingGarbage, .error, offset: offset, length: skipped,
                message: allZero
                    ? "\(skipped) zero bytes from \(offset) to the end: "
                        + "no segment can be read there (preallocated or zeroed tail)"
                    : "\(skipped) unreadable bytes from \(offset) to the end hold no valid segment header"))
        return false
    }

    private static func isZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return true }
        if base.load(as: UInt8.self) != 0 { return false }
        return memcmp(base, base + 1, bytes.count - 1) == 0
    }
}
