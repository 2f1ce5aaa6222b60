import FileOutput

/// Row versions sorted by collection, key and position with bounded memory: versions gather in
/// memory up to `memoryBudget` bytes, are sorted there and written out as a run of a scratch
/// file, and the runs are merged at the end (in rounds of at most `fanIn` runs, so neither
/// memory nor the number of readers grows with the input). A file whose versions fit the
/// budget is never written out.
final class RowRuns {
    let memoryBudget: Int
    let fanIn: Int
    private var arena: [UInt8] = []
    private var entries: [Range<Int>] = []
    private var spill: SpillFile?
    private var runs: [Range<UInt64>] = []
    /// Versions added, and the most held in memory at once (counters for tests and the bench).
    private(set) var count = 0
    private(set) var largestArena = 0

    init(memoryBudget: Int = 32 << 20, fanIn: Int = 64) {
        self.memoryBudget = memoryBudget
        self.fanIn = max(2, fanIn)
    }

    func add(_ version: RowVersion) throws(SpillFile.Failure) {
        let start = arena.count
        version.encode(into: &arena)
        try added(from: start)
    }

    /// Adds the version `encode` writes in `RowVersion`'s layout; nothing when it returns false.
    func add(encodingWith encode: (inout [UInt8]) -> Bool) throws(SpillFile.Failure) {
        let start = arena.count
        guard encode(&arena) else {
            arena.removeSubrange(start...)
            return
        }
        try added(from: start)
    }

    /// Adds a version as `RowVersion.encode` wrote it.
    func add(encoded bytes: some Collection<UInt8>) throws(SpillFile.Failure) {
        let start = arena.count
        arena += bytes
        try added(from: start)
    }

    /// Adds many encoded versions at once: `entries` are ranges of `bytes`.
    func add(contentsOf bytes: [UInt8], entries added: [Range<Int>]) throws(SpillFile.Failure) {
        let base = arena.count
        arena += bytes
        entries += added.lazy.map { ($0.lowerBound + base)..<($0.upperBound + base) }
        count += added.count
        largestArena = max(largestArena, arena.count)
        if arena.count >= memoryBudget { try spillMemory() }
    }

    private func added(from start: Int) throws(SpillFile.Failure) {
        entries.append(start..<arena.count)
        count += 1
        largestArena = max(largestArena, arena.count)
        if arena.count >= memoryBudget { try spillMemory() }
    }

    /// Calls `body` with every version in order (borrowed bytes, as `RowVersion` encodes them).
    func forEachInOrder(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        if spill == nil {
            sortMemory()
            try arena.withUnsafeBytes { raw in
                for range in entries { try body(UnsafeRawBufferPointer(rebasing: raw[range])) }
            }
            return
        }
        try spillMemory()
        guard let spill else { return }
        while runs.count > fanIn {
            var merged: [Range<UInt64>] = []
            for group in stride(from: 0, to: runs.count, by: fanIn) {
                let slice = Array(runs[group..<min(runs.count, group + fanIn)])
                let start = spill.length
                var writer = RunWriter(spill: spill)
                try Self.merge(slice, in: spill) { bytes throws in try writer.write(bytes) }
                try writer.flush()
                merged.append(start..<spill.length)
            }
            runs = merged
        }
        try Self.merge(runs, in: spill, body)
    }

    private func sortMemory() {
        arena.withUnsafeBytes { raw in
            entries.sort {
                RowVersion.precedes(
                    UnsafeRawBufferPointer(rebasing: raw[$0]), UnsafeRawBufferPointer(rebasing: raw[$1]))
            }
        }
    }

    private func spillMemory() throws(SpillFile.Failure) {
        guard !entries.isEmpty else { return }
        sortMemory()
        let file = try SpillFile.reusing(spill)
        spill = file
        let start = file.length
        var writer = RunWriter(spill: file)
        for range in entries { try writer.write(arena[range]) }
        try writer.flush()
        runs.append(start..<file.length)
        arena.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
    }

    /// Merges sorted runs, smallest first; among equal heads the earlier run first (stable).
    private static func merge(
        _ runs: [Range<UInt64>], in spill: SpillFile, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var readers: [RunReader] = []
        for run in runs {
            var reader = RunReader(spill: spill, range: run)
            if try reader.advance() { readers.append(reader) }
        }
        // A binary min-heap of reader indices.
        var heap = Array(readers.indices)
        func less(_ a: Int, _ b: Int) -> Bool {
            readers[a].current.withUnsafeBytes { x in
                readers[b].current.withUnsafeBytes { y in
                    RowVersion.precedes(x, y) || (!RowVersion.precedes(y, x) && a < b)
                }
            }
        }
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { return }
                var child = left
                if left + 1 < heap.count && less(heap[left + 1], heap[left]) { child = left + 1 }
                guard less(heap[child], heap[parent]) else { return }
                heap.swapAt(child, parent)
                parent = child
            }
        }
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
        while let top = heap.first {
            try readers[top].current.withUnsafeBytes { try body($0) }
            if try readers[top].advance() {
                siftDown(0)
            } else {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
                if !heap.isEmpty { siftDown(0) }
            }
        }
    }
}

/// Writes length-prefixed entries to a run of the scratch file through a buffer.
struct RunWriter {
    let spill: SpillFile
    private var buffer: [UInt8] = []

    init(spill: SpillFile) {
        self.spill = spill
        buffer.reserveCapacity(1 << 20)
    }

    mutating func write(_ entry: some Collection<UInt8>) throws(SpillFile.Failure) {
        try write(head: EmptyCollection(), entry)
    }

    /// Writes one entry made of `head` then `tail`, without joining them first.
    mutating func write(head: some Collection<UInt8>, _ tail: some Collection<UInt8>) throws(SpillFile.Failure) {
        withUnsafeBytes(of: UInt32(head.count + tail.count).bigEndian) { buffer += $0 }
        buffer += head
        buffer += tail
        if buffer.count >= 1 << 20 { try flush() }
    }

    mutating func flush() throws(SpillFile.Failure) {
        try spill.append(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Reads a run's entries back one at a time through a 64 KiB buffer.
struct RunReader {
    let spill: SpillFile
    private var next: UInt64
    private let end: UInt64
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)
    private var bufferStart: UInt64 = 0
    private var bufferCount = 0
    /// The entry `advance` read last.
    private(set) var current: [UInt8] = []

    init(spill: SpillFile, range: Range<UInt64>) {
        self.spill = spill
        next = range.lowerBound
        end = range.upperBound
    }

    /// Reads the next entry into `current` (its storage reused); false at the end of the run.
    mutating func advance() throws(SpillFile.Failure) -> Bool {
        guard next < end else { return false }
        // The entry is read into `current`'s storage, taken out while `read` runs.
        var entry: [UInt8] = []
        swap(&entry, &current)
        entry.removeAll(keepingCapacity: true)
        try read(at: next, count: 4, into: &entry)
        let length = Int(UInt32(bigEndian: entry.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
        entry.removeAll(keepingCapacity: true)
        try read(at: next + 4, count: length, into: &entry)
        swap(&entry, &current)
        next += 4 + UInt64(length)
        return true
    }

    /// Appends `count` bytes of the run at `offset` to `out`.
    private mutating func read(at offset: UInt64, count: Int, into out: inout [UInt8]) throws(SpillFile.Failure) {
        if count > buffer.count {
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: count))
            let spill = spill
            _ = try out.withUnsafeMutableBytes { raw in
                Result { () throws(SpillFile.Failure) in
                    try spill.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
                }
            }.get()
            return
        }
        if offset < bufferStart || offset + UInt64(count) > bufferStart + UInt64(bufferCount) {
            bufferStart = offset
            let want = Int(min(UInt64(buffer.count), end - offset))
            let spill = spill
            bufferCount = try buffer.withUnsafeMutableBytes { raw in
                Result { () throws(SpillFile.Failure) in
                    try spill.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]))
                }
            }.get()
        }
        let start = Int(offset - bufferStart)
        out.append(contentsOf: buffer[start..<(start + count)])
    }
}
