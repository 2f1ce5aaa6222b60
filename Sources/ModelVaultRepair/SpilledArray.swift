import FileOutput

/// An append-mostly array of plain values with flat memory: past `memoryLimit` elements, full
/// blocks go to an unlinked scratch file and are read back a block at a time when asked for.
/// Reading in order costs one read per block; the last elements stay in memory, where the
/// ledger changes them. Where no scratch file can be written, everything stays in memory.
/// Not for concurrent use (reads fill a cache).
public final class SpilledArray<Element: BitwiseCopyable>: RandomAccessCollection {
    public typealias Index = Int

    /// Elements per block written out.
    let blockSize: Int
    /// Elements held in memory before blocks are written out.
    let memoryLimit: Int
    private var spill: SpillFile?
    /// Whether writing the scratch file failed: from then on nothing more is written out.
    private var spillFailed = false
    /// Elements in the scratch file (whole blocks): indices `0..<spilled`.
    private var spilled = 0
    /// The elements after them.
    private var tail: [Element] = []
    /// The block last read back, and its number.
    private var cache: [Element] = []
    private var cachedBlock = -1

    public init(blockSize: Int = 4096, memoryLimit: Int = 16384) {
        precondition(blockSize > 0 && memoryLimit >= blockSize)
        self.blockSize = blockSize
        self.memoryLimit = memoryLimit
    }

    /// Elements in the scratch file.
    var writtenOut: Int { spilled }

    public var startIndex: Int { 0 }
    public var endIndex: Int { spilled + tail.count }

    public subscript(position: Int) -> Element {
        precondition(position >= 0 && position < endIndex, "index out of range")
        if position >= spilled { return tail[position - spilled] }
        let block = position / blockSize
        if block != cachedBlock { load(block) }
        return cache[position - block * blockSize]
    }

    public func append(_ element: Element) {
        tail.append(element)
        if tail.count >= memoryLimit + blockSize { writeOutBlock() }
    }

    /// Changes the element at `position`, which must be among the last `memoryLimit`.
    public func update(_ position: Int, _ change: (inout Element) -> Void) {
        if position < spilled { bringBack(to: position) }
        change(&tail[position - spilled])
    }

    public func removeLast() {
        precondition(!isEmpty, "removeLast of an empty array")
        if tail.isEmpty { bringBack(to: endIndex - 1) }
        tail.removeLast()
    }

    /// Moves the written-out blocks from the one holding `position` on back into memory.
    private func bringBack(to position: Int) {
        let first = position / blockSize
        var restored: [Element] = []
        for block in first..<(spilled / blockSize) {
            load(block)
            restored += cache
        }
        tail = restored + tail
        spilled = first * blockSize
        cachedBlock = -1
    }

    private func writeOutBlock() {
        guard !spillFailed else { return }
        let bytes = blockSize * MemoryLayout<Element>.stride
        let written = tail.withUnsafeBytes { raw in write(UnsafeRawBufferPointer(rebasing: raw[0..<bytes])) }
        guard written else {
            spillFailed = true
            return
        }
        tail.removeFirst(blockSize)
        spilled += blockSize
    }

    /// Writes one block's bytes after the blocks already out; false when the scratch file
    /// cannot be made or written.
    private func write(_ block: UnsafeRawBufferPointer) -> Bool {
        do throws(SpillFile.Failure) {
            if spill == nil { spill = try SpillFile(purpose: "ledger") }
            let file = spill!
            let offset = UInt64(spilled) * UInt64(MemoryLayout<Element>.stride)
            if file.length != offset { try file.truncate(to: offset) }
            try file.append(block)
            return true
        } catch {
            return false
        }
    }

    private func load(_ block: Int) {
        let stride = MemoryLayout<Element>.stride
        var failure: SpillFile.Failure?
        cache = [Element](unsafeUninitializedCapacity: blockSize) { buffer, initialized in
            do throws(SpillFile.Failure) {
                let got = try spill!.read(
                    at: UInt64(block * blockSize * stride), into: UnsafeMutableRawBufferPointer(buffer))
                initialized = got / stride
            } catch {
                failure = error
                initialized = 0
            }
        }
        guard failure == nil, cache.count == blockSize else {
            fatalError("the ledger's scratch file cannot be read back: \(failure.map { "\($0)" } ?? "it is short")")
        }
        cachedBlock = block
    }
}
