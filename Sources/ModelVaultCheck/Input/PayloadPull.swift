import ModelVaultFormat

#if canImport(Glibc)
    import Glibc
#endif

/// One payload too large to hold, read from the cursor as a streaming `ByteReader` asks for it.
///
/// Bytes pass through once: each is checksummed (CRC-32C) and its first `prefixLength` kept as
/// it leaves the cursor, and searched for a segment header (`EmbeddedHeaderScan`, should the
/// checksum fail). The window a reader reads from holds only what its current read (or
/// hold) needs: at most one value, bounded by the engine's 16 MiB value limit, however large
/// the payload.
final class PayloadPull: ByteRefill {
    private let cursor: StreamCursor
    let start: UInt64
    let length: UInt64
    let prefixLength: Int
    private(set) var crc: UInt32 = 0
    /// The payload's first `prefixLength` bytes (fewer if it ended first).
    private(set) var prefix: [UInt8] = []
    /// Bytes taken from the cursor so far.
    private(set) var pulled: UInt64 = 0
    /// Set when the input ended inside the payload (a reader then sees the bytes it asked for
    /// as zeros: its results are discarded with the torn payload).
    private(set) var inputEnded = false
    /// The error the cursor threw, rethrown by the walk once the reader returns.
    private(set) var failure: (any Error)?
    /// The search for a sound segment header inside the payload.
    private(set) var scan: EmbeddedHeaderScan

    private var window = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    /// Absolute offset of `window[0]`, and how many window bytes are filled.
    private var windowStart: UInt64
    private var filled = 0
    /// The most window bytes allocated at once: a memory counter.
    private(set) var largestWindow = 0

    /// `searching`: whether to look for a segment header inside the payload.
    init(cursor: StreamCursor, start: UInt64, length: UInt64, prefixLength: Int, searching: Bool) {
        self.cursor = cursor
        self.start = start
        self.length = length
        self.prefixLength = prefixLength
        windowStart = start
        scan = EmbeddedHeaderScan(payloadOffset: start, length: length, searching: searching)
    }

    /// The search for a header inside the payload, given up to the walk once the payload has
    /// passed (what it holds is not copied).
    func takeScan() -> EmbeddedHeaderScan {
        var taken = EmbeddedHeaderScan(payloadOffset: start, length: 0)
        swap(&taken, &scan)
        return taken
    }

    deinit { window.deallocate() }

    /// A reader over the whole payload.
    func reader() -> ByteReader { ByteReader(run: start, length: length, refill: self) }

    func bytes(from offset: UInt64, count: Int) -> UnsafeRawBufferPointer {
        precondition(offset >= windowStart && offset + UInt64(count) <= start + length)
        // Drop what lies before `offset`, then fill up to `count` bytes, reading ahead in runs
        // of at least 1 MiB so small reads do not each reach the cursor.
        let drop = Int(offset - windowStart)
        if drop > 0 {
            if filled > drop, let base = window.baseAddress { memmove(base, base + drop, filled - drop) }
            if drop > filled { skip(UInt64(drop - filled)) }
            filled = max(0, filled - drop)
            windowStart = offset
        }
        let target = min(max(count, 1 << 20), Int(start + length - windowStart))
        if target > window.count { grow(to: target) }
        while filled < count {
            pull(into: target)
            if inputEnded || failure != nil {
                // Nothing more will come: zeros stand in, and the walk reports the torn payload.
                if let base = window.baseAddress { memset(base + filled, 0, count - filled) }
                filled = count
            }
        }
        return UnsafeRawBufferPointer(rebasing: window[0..<filled])
    }

    /// Sends whatever a reader did not ask for through the checksum; returns how many payload
    /// bytes the input held in all.
    func finish() throws -> UInt64 {
        if let failure { throw failure }
        skip(length - pulled)
        if let failure { throw failure }
        return pulled
    }

    /// Sends `count` bytes a reader stepped over through the checksum, keeping none.
    private func skip(_ count: UInt64) {
        guard count > 0, !inputEnded, failure == nil else { return }
        do {
            let passed = try cursor.stream(count) { chunk in try take(chunk) }
            pulled += passed
            if passed < count { inputEnded = true }
        } catch {
            failure = error
        }
    }

    private func grow(to size: Int) {
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        if filled > 0, let base = window.baseAddress { larger.baseAddress!.copyMemory(from: base, byteCount: filled) }
        window.deallocate()
        window = larger
        largestWindow = max(largestWindow, size)
    }

    /// Moves bytes from the cursor into the window, up to `target` filled bytes.
    private func pull(into target: Int) {
        do {
            let left = Int(min(UInt64(target - filled), length - pulled))
            let available = try cursor.request(min(left, cursor.capacity))
            guard available > 0 else {
                inputEnded = true
                return
            }
            let n = min(available, left)
            let chunk = UnsafeRawBufferPointer(rebasing: cursor.window[0..<n])
            try take(chunk)
            UnsafeMutableRawBufferPointer(rebasing: window[filled..<(filled + n)]).copyMemory(from: chunk)
            filled += n
            pulled += UInt64(n)
            try cursor.consume(n)
        } catch {
            failure = error
        }
    }

    private func take(_ chunk: UnsafeRawBufferPointer) throws(StopRequest.Interrupted) {
        crc = CRC32C.checksum(chunk, continuing: crc)
        try scan.feed(chunk)
        if prefix.count < prefixLength { prefix.append(contentsOf: chunk.prefix(prefixLength - prefix.count)) }
    }
}
