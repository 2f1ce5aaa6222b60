/// Lines waiting for their transaction's outcome, in order: held in memory up to
/// `memoryBudget` bytes, the rest in a scratch file, so a transaction of any size costs bounded
/// memory.
final class PendingLines {
    let memoryBudget: Int
    private var lines: [[UInt8]] = []
    private var bytes = 0
    private var spill: SpillFile?
    private var spilled: Range<UInt64>?

    init(memoryBudget: Int = 8 << 20) { self.memoryBudget = memoryBudget }

    var isEmpty: Bool { lines.isEmpty && spilled == nil }

    func add(_ line: [UInt8]) throws(SpillFile.Failure) {
        lines.append(line)
        bytes += line.count
        if bytes >= memoryBudget { try spillMemory() }
    }

    /// Hands every line, in the order added, to `body`, and forgets them.
    func drain(_ body: ([UInt8]) throws -> Void) throws {
        if let spill, let spilled {
            var reader = RunReader(spill: spill, range: spilled)
            while try reader.advance() { try body(reader.current) }
        }
        for line in lines { try body(line) }
        lines.removeAll(keepingCapacity: true)
        bytes = 0
        spilled = nil
    }

    private func spillMemory() throws(SpillFile.Failure) {
        let file = try SpillFile.reusing(spill)
        spill = file
        let start = spilled?.lowerBound ?? file.length
        var writer = RunWriter(spill: file)
        for line in lines { try writer.write(line) }
        try writer.flush()
        spilled = start..<file.length
        lines.removeAll(keepingCapacity: true)
        bytes = 0
    }
}
