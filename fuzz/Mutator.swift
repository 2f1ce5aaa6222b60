import ModelVaultFormat

@_silgen_name("LLVMFuzzerMutate")
func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

/// Byte mutations half of the time; otherwise one segment of a plain input is mutated, copied
/// or removed as a unit, its length and checksums rewritten. Inserting bytes into a payload
/// then keeps the chain of segments intact, which byte mutations alone almost never do.
@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    var random = SplitMix64(seed: UInt64(seed))
    let base = 1 + Int(Layout.logStart)
    guard size >= base + Layout.segmentHeaderSize, random.next() & 1 == 0 else {
        return LLVMFuzzerMutate(data, size, maxSize)
    }
    var input = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = Segments.find(in: input, from: base).filter { $0.payload != nil }
    guard !whole.isEmpty else { return LLVMFuzzerMutate(data, size, maxSize) }
    let segment = whole[Int(random.next() % UInt64(whole.count))]
    let range = segment.start..<segment.end
    switch random.next() % 4 {
    case 0, 1:
        var payload = Array(input[segment.payload!])
        let room = maxSize - (size - payload.count)
        guard room > 0 else { return LLVMFuzzerMutate(data, size, maxSize) }
        if payload.isEmpty { payload = [0] }
        let used = payload.count
        let capacity = max(used, min(room, used * 2 + 64))
        payload += [UInt8](repeating: 0, count: capacity - used)
        let n = payload.withUnsafeMutableBufferPointer { LLVMFuzzerMutate($0.baseAddress!, used, capacity) }
        payload.removeLast(payload.count - n)
        input.replaceSubrange(
            range,
            with: rebuilt(
                header: Array(input[segment.start..<segment.start + Layout.segmentHeaderSize]), payload: payload))
    case 2:
        guard size + range.count <= maxSize else { return LLVMFuzzerMutate(data, size, maxSize) }
        let at = whole[Int(random.next() % UInt64(whole.count))].end
        input.insert(contentsOf: input[range], at: at)
    default:
        guard whole.count > 1 else { return LLVMFuzzerMutate(data, size, maxSize) }
        input.removeSubrange(range)
    }
    guard input.count <= maxSize else { return LLVMFuzzerMutate(data, size, maxSize) }
    input.withUnsafeBytes { data.update(from: $0.bindMemory(to: UInt8.self).baseAddress!, count: input.count) }
    return input.count
}

/// A segment header with the payload's length and CRC and its own CRC stored.
func rebuilt(header: [UInt8], payload: [UInt8]) -> [UInt8] {
    var header = header
    func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) {
            header.replaceSubrange(offset..<offset + MemoryLayout<T>.size, with: $0)
        }
    }
    store(UInt64(payload.count), at: 12)
    store(CRC32C.checksum(payload), at: 20)
    store(header.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<28])) }, at: 28)
    return header + payload
}

struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
