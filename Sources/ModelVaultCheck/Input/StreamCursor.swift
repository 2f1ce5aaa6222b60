import ModelVaultFormat

#if canImport(Glibc)
    import Glibc
#endif

/// A window over a `ByteSource` that the walk moves forward through, once; it steps back only
/// over bytes the walk hands back to be read again (`rewind`).
///
/// One fixed buffer is reused for the whole input: bytes are borrowed from it, never copied per
/// segment. Reads that reach ahead (a superblock's pointer to a later Manifest) register a
/// `Probe`, which is filled as the walk passes over those bytes.
public final class StreamCursor {
    public static let defaultCapacity = 4 << 20
    /// The most bytes one read from the source asks for.
    static let readSize = 256 << 10

    /// A byte range to capture when the walk passes it.
    public final class Probe {
        public let start: UInt64
        public let length: Int
        /// One past the range's last byte, saturated: `start` comes from the input and may lie
        /// anywhere up to UInt64.max.
        let end: UInt64
        public private(set) var bytes: [UInt8] = []
        init(start: UInt64, length: Int) {
            self.start = start
            self.length = length
            let (sum, overflow) = start.addingReportingOverflow(UInt64(length))
            end = overflow ? .max : sum
        }
        /// Whether every byte of the range was seen (false when the input ended first).
        public var isComplete: Bool { bytes.count == length }

        func capture(_ chunk: UnsafeRawBufferPointer, at position: UInt64) {
            let wanted = start + UInt64(bytes.count)
            guard bytes.count < length, position <= wanted, wanted < position + UInt64(chunk.count) else { return }
            let from = Int(wanted - position)
            let count = min(length - bytes.count, chunk.count - from)
            bytes.append(contentsOf: chunk[from..<(from + count)])
        }
    }

    let source: ByteSource
    private let storage: UnsafeMutableRawBufferPointer
    private var head = 0
    private var tail = 0
    private var probes: [Probe] = []
    /// Absolute offset of the first unconsumed byte.
    public private(set) var position: UInt64 = 0
    /// Whether the source has reported its end and nothing is left to read again (`rewind`).
    public var sourceEnded: Bool { sourceDone && replay.isEmpty }
    private var sourceDone = false
    /// Bytes to read again before the source's next (`rewind`), and how many of them are read.
    private var replay: [UInt8] = []
    private var replayed = 0
    /// Called with the running total after each read from the source (progress reporting).
    public var onRead: ((UInt64) -> Void)?
    private var totalRead: UInt64 = 0

    public init(source: ByteSource, capacity: Int = StreamCursor.defaultCapacity) {
        self.source = source
        // The buffer is mapped from the system and unmapped when the walk ends, so a run over
        // many files never keeps a heap grown by earlier ones.
        let size = max(capacity, 64)
        if let region = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            region != MAP_FAILED
        {
            storage = UnsafeMutableRawBufferPointer(start: region, count: size)
            mapped = true
        } else {
            storage = .allocate(byteCount: size, alignment: 64)
            mapped = false
        }
    }

    private let mapped: Bool

    deinit {
        if fillInFlight > 0 { fillAhead?.withdraw() }
        if mapped { munmap(storage.baseAddress, storage.count) } else { storage.deallocate() }
    }

    /// Told of the part of the buffer about to be written over, when set: consumed bytes stay
    /// in place until then, and whoever still reads them (`SpeculativeChecks`) is done first.
    var beforeOverwrite: ((UnsafeRawBufferPointer) throws -> Void)?

    /// Reads the source ahead of need when set: after each read, the next `readSize` bytes are
    /// asked for into the free part of the buffer, for another thread to read meanwhile
    /// (`FillAhead`); the walk reads them itself if that thread has not begun.
    var fillAhead: FillAhead?
    /// Bytes asked for through `fillAhead`, to land at `tail` (0: none outstanding).
    private var fillInFlight = 0
    /// Whether a read asked for ahead is outstanding.
    var readsAhead: Bool { fillInFlight > 0 }

    /// Stops reading ahead: an outstanding request's bytes are taken first.
    func stopFillingAhead() throws {
        if fillInFlight > 0 { try settleFill() }
        fillAhead = nil
    }

    public var capacity: Int { storage.count }
    public var available: Int { tail - head }
    /// The unconsumed bytes currently buffered.
    public var window: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[head..<tail]) }

    /// Registers a range to capture as the walk passes it; ranges already passed stay empty.
    public func probe(at start: UInt64, length: Int) -> Probe {
        let probe = Probe(start: start, length: length)
        probes.append(probe)
        firstProbeStart = min(firstProbeStart, start)
        return probe
    }

    /// The lowest offset any pending probe wants: below it, consuming needs no probe work.
    private var firstProbeStart = UInt64.max

    /// Buffers at least `count` bytes (at most the capacity) unless the input ends first.
    /// Returns how many are available.
    @discardableResult
    @inline(__always)
    public func request(_ count: Int) throws -> Int {
        // Asked twice for every segment, and almost always already buffered.
        if tail - head >= count { return tail - head }
        return try refill(toHold: count)
    }

    private func refill(toHold count: Int) throws -> Int {
        let wanted = min(count, storage.count)
        while available < wanted && !sourceEnded {
            if fillInFlight > 0 {
                // The bytes asked for ahead come next, before the buffer is moved or restarted.
                try settleFill()
                try askAhead()
                continue
            }
            if storage.count - head < wanted {
                try flushTap()
                let live = available
                if live > 0, let base = storage.baseAddress {
                    try beforeOverwrite?(UnsafeRawBufferPointer(rebasing: storage[0..<live]))
                    memmove(base, base + head, live)
                }
                head = 0
                tapFrom = 0
                tail = live
            } else if head == tail {
                try restart()
            }
            try fill()
        }
        return available
    }

    private func fill() throws {
        try StopRequest.check()
        let room = UnsafeMutableRawBufferPointer(rebasing: storage[tail..<storage.count])
        // A source asked for no bytes answers as at its end: with no room (bytes read ahead
        // may fill the buffer to its very end, `restart`), what is buffered is read first.
        guard !room.isEmpty else { return }
        if !replay.isEmpty {
            let n = min(room.count, replay.count - replayed)
            try beforeOverwrite?(UnsafeRawBufferPointer(rebasing: room.prefix(n)))
            replay.withUnsafeBytes {
                room.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[replayed..<(replayed + n)]))
            }
            tail += n
            replayed += n
            if replayed == replay.count {
                replay = []
                replayed = 0
            }
            return
        }
        guard !sourceDone else { return }
        if fillInFlight > 0 {
            try settleFill()
        } else {
            // At most `readSize` at a time: the bytes are read soon after they are copied in,
            // while they are still in the core's cache.
            let into = UnsafeMutableRawBufferPointer(rebasing: room.prefix(Self.readSize))
            try beforeOverwrite?(UnsafeRawBufferPointer(into))
            landed(try source.read(into: into))
        }
        try askAhead()
    }

    /// `n` bytes read from the source at `tail` (0: its end).
    private func landed(_ n: Int) {
        if n == 0 {
            sourceDone = true
        } else {
            tail += n
            totalRead += UInt64(n)
            onRead?(totalRead)
        }
    }

    /// Takes the bytes asked for ahead (`fillAhead`).
    private func settleFill() throws {
        guard let fillAhead else { return }
        fillInFlight = 0
        landed(try fillAhead.complete())
    }

    /// Asks for the next `readSize` bytes ahead, when reading ahead, into room left after
    /// `tail` (none while bytes are replayed: the source's come after them).
    private func askAhead() throws {
        guard let fillAhead, fillInFlight == 0, !sourceDone, replay.isEmpty, storage.count - tail >= Self.readSize
        else { return }
        let into = UnsafeMutableRawBufferPointer(rebasing: storage[tail..<(tail + Self.readSize)])
        try beforeOverwrite?(UnsafeRawBufferPointer(into))
        fillAhead.request(into: into)
        fillInFlight = Self.readSize
    }

    /// Sees every byte once, in order, after it is consumed (repair copies the input this way):
    /// consumed bytes are handed over in runs as large as the buffer, when the buffer is about
    /// to be reused and when the input is drained.
    public var tap: ((UnsafeRawBufferPointer) throws -> Void)?
    /// Start of the consumed bytes not yet handed to `tap` (`tapFrom..<head`).
    private var tapFrom = 0
    /// Bytes before this offset have been handed to `tap`: after a `rewind` they come again.
    private var tapped: UInt64 = 0

    private func flushTap() throws {
        guard head > tapFrom else { return }
        let runStart = position - UInt64(head - tapFrom)
        let seen = tapped > runStart ? Int(min(tapped - runStart, UInt64(head - tapFrom))) : 0
        defer {
            tapFrom = head
            tapped = max(tapped, position)
        }
        guard head - tapFrom > seen else { return }
        try tap?(UnsafeRawBufferPointer(rebasing: storage[(tapFrom + seen)..<head]))
    }

    /// Moves back to `offset` inside what has been consumed, `bytes` being the bytes from there
    /// to the current position: they are read again, then what the buffer holds, then the
    /// source. `tap` sees them once, and probes have already captured them.
    public func rewind(to offset: UInt64, replaying bytes: consuming [UInt8]) throws {
        precondition(offset + UInt64(bytes.count) == position)
        try flushTap()
        // Bytes read ahead follow the window.
        if fillInFlight > 0 { try settleFill() }
        bytes.append(contentsOf: window)
        bytes.append(contentsOf: replay[replayed...])
        replay = bytes
        replayed = 0
        head = 0
        tail = 0
        tapFrom = 0
        position = offset
    }

    /// Empties the buffer (everything in it consumed) so the next read fills it from the start;
    /// bytes read ahead are taken instead, if any.
    private func restart() throws {
        try flushTap()
        if fillInFlight > 0 {
            try settleFill()
            if head != tail { return }
        }
        head = 0
        tail = 0
        tapFrom = 0
    }

    /// Moves past `count` buffered bytes (`count` ≤ `available`).
    @inline(__always)
    public func consume(_ count: Int) throws {
        precondition(count <= available)
        if position + UInt64(count) > firstProbeStart { consumeProbed(count) }
        head += count
        position += UInt64(count)
    }

    /// What `consume` does besides moving on, when the bytes reach a probe.
    private func consumeProbed(_ count: Int) {
        let chunk = UnsafeRawBufferPointer(rebasing: storage[head..<(head + count)])
        for probe in probes { probe.capture(chunk, at: position) }
        // A probe the walk has passed is settled: drop it, so the common path stays bare.
        let reached = position + UInt64(count)
        probes.removeAll { reached >= $0.end }
        firstProbeStart = probes.map(\.start).min() ?? .max
    }

    /// Passes the next `count` bytes to `body` chunk by chunk, consuming them. Returns how many
    /// were passed: fewer than `count` when the input ended first.
    @discardableResult
    public func stream(_ count: UInt64, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> UInt64 {
        var left = count
        while left > 0 {
            if available == 0 {
                try restart()
                if sourceEnded { break }
                try fill()
                if available == 0 { break }
            }
            let n = Int(min(UInt64(available), left))
            try body(UnsafeRawBufferPointer(rebasing: storage[head..<(head + n)]))
            try consume(n)
            left -= UInt64(n)
        }
        return count - left
    }

    /// Consumes everything left (the last bytes reach `tap` before it returns); returns how
    /// many bytes that was and whether all were zero.
    public func drain() throws -> (count: UInt64, allZero: Bool) {
        var allZero = true
        let n = try stream(.max) { chunk in
            if allZero && chunk.contains(where: { $0 != 0 }) { allZero = false }
        }
        try flushTap()
        return (n, allZero)
    }
}
