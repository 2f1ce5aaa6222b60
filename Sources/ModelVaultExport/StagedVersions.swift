import FileOutput

/// The row versions of the open transaction, waiting for its commit or abort: held in memory
/// up to `memoryBudget` bytes, the rest in a scratch file, so a transaction of any size costs
/// bounded memory.
final class StagedVersions {
    let memoryBudget: Int
    private var arena: [UInt8] = []
    private var entries: [Range<Int>] = []
    private var spill: SpillFile?
    private var spilled: Range<UInt64>?

    init(memoryBudget: Int = 8 << 20) { self.memoryBudget = memoryBudget }

    var isEmpty: Bool { entries.isEmpty && spilled == nil }

    func add(_ version: RowVersion) throws(SpillFile.Failure) {
        try add(encodingWith: {
            version.encode(into: &$0)
            return true
        })
    }

    /// Stages the version `encode` writes in `RowVersion`'s layout; nothing when it returns false.
    func add(encodingWith encode: (inout [UInt8]) -> Bool) throws(SpillFile.Failure) {
        let start = arena.count
        guard encode(&arena) else {
            arena.removeSubrange(start...)
            return
        }
        entries.append(start..<arena.count)
        if arena.count >= memoryBudget { try spillMemory() }
    }

    /// Moves every staged version, in the order staged, into `runs` (the ones in memory in
    /// one copy), and forgets them.
    func commit(into runs: RowRuns) throws(SpillFile.Failure) {
        if let spill, let spilled {
            var reader = RunReader(spill: spill, range: spilled)
            while try reader.advance() { try runs.add(encoded: reader.current) }
        }
        try runs.add(contentsOf: arena, entries: entries)
        discard()
    }

    /// Hands every staged version, in the order staged, to `body`, and forgets them.
    func drain(_ body: (ArraySlice<UInt8>) throws(SpillFile.Failure) -> Void) throws(SpillFile.Failure) {
        if let spill, let spilled {
            var reader = RunReader(spill: spill, range: spilled)
            while try reader.advance() { try body(reader.current[...]) }
        }
        for range in entries { try body(arena[range]) }
        discard()
    }

    /// Forgets every staged version (the transaction did not commit).
    func discard() {
        arena.removeAll(keepingCapacity: arena.capacity <= memoryBudget * 2)
        entries.removeAll(keepingCapacity: true)
        spilled = nil
    }

    private func spillMemory() throws(SpillFile.Failure) {
        let file = try SpillFile.reusing(spill)
        spill = file
        // One stretch of the scratch file per transaction: a new one starts where the last ended.
        let start = spilled?.lowerBound ?? file.length
        var writer = RunWriter(spill: file)
        for range in entries { try writer.write(arena[range]) }
        try writer.flush()
        spilled = start..<file.length
        arena.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
    }
}
