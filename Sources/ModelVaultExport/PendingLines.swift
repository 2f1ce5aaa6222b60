/// Lines waiting for their transaction's outcome, in order: held in memory up to
/// `memoryBudget` bytes, the rest in a scratch file, so a transaction of any size costs bounded
/// memory.
final class PendingLines {
    let memoryBudget: Int
    private var lines: [String] = []
    private var bytes = 0
    private var spill: SpillFile?
    private var spilled: Range<UInt64>?

    init(memoryBudget: Int = 8 << 20) { self.memoryBudget = memoryBudget }

    var isEmpty: Bool { lines.isEmpty && spilled == nil }

    func add(_ line: String) throws(SpillFile.Failure) {
        lines.append(line)
        bytes += line.utf8.count
        if bytes >= memoryBudget { try spillMemory() }
    }

    /// Hands every line, in the order added, to `body`, and forgets them.
    func drain(_ body: (String) throws -> Void) throws {
        if let spill, let spilled {
            var reader = RunReader(spill: spill, range: spilled)
            while try reader.advance() { try body(String(decoding: reader.current, as: UTF8.self)) }
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
        for line in lines { try writer.write(line.utf8) }
        try writer.flush()
        spilled = start..<file.length
        lines.removeAll(keepingCapacity: true)
        bytes = 0
    }
}
