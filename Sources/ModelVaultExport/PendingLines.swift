import FileOutput

/// Lines waiting for their transaction's outcome, in order, each with whether its own
/// Record was damaged: held in memory up to `memoryBudget` bytes, the rest in a scratch file
/// (an entry is the flag byte, then the line), so a transaction of any size costs bounded
/// memory.
final class PendingLines {
    let memoryBudget: Int
    private var lines: [(damaged: Bool, line: [UInt8])] = []
    private var bytes = 0
    private var spill: SpillFile?
    private var spilled: Range<UInt64>?

    init(memoryBudget: Int = 8 << 20) { self.memoryBudget = memoryBudget }

    var isEmpty: Bool { lines.isEmpty && spilled == nil }

    func add(_ line: [UInt8], damaged: Bool) throws(SpillFile.Failure) {
        lines.append((damaged, line))
        bytes += line.count
        if bytes >= memoryBudget { try spillMemory() }
    }

    /// Hands every line, in the order added, to `body`, and forgets them.
    func drain(_ body: (_ damaged: Bool, _ line: ArraySlice<UInt8>) throws -> Void) throws {
        if let spill, let spilled {
            var reader = RunReader(spill: spill, range: spilled)
            while try reader.advance() { try body(reader.current[0] != 0, reader.current[1...]) }
        }
        for (damaged, line) in lines { try body(damaged, line[...]) }
        lines.removeAll(keepingCapacity: true)
        bytes = 0
        spilled = nil
    }

    private func spillMemory() throws(SpillFile.Failure) {
        let file = try SpillFile.reusing(spill)
        spill = file
        let start = spilled?.lowerBound ?? file.length
        var writer = RunWriter(spill: file)
        for (damaged, line) in lines { try writer.write(head: CollectionOfOne(UInt8(damaged ? 1 : 0)), line) }
        try writer.flush()
        spilled = start..<file.length
        lines.removeAll(keepingCapacity: true)
        bytes = 0
    }
}
