import TestSupport
import Testing

@testable import ModelVaultFormat

/// A run handed out in fresh buffers, each the requested bytes and at most `lookahead` more;
/// the previous buffer is overwritten when the next is made, so a read through a stale view
/// sees 0xA5 instead of the input.
final class PoisoningRefill: ByteRefill {
    let run: [UInt8]
    let start: UInt64
    let lookahead: Int
    private var buffers: [UnsafeMutableRawBufferPointer] = []
    private(set) var calls = 0

    init(_ run: [UInt8], at start: UInt64, lookahead: Int) {
        self.run = run
        self.start = start
        self.lookahead = lookahead
    }

    deinit { for buffer in buffers { buffer.deallocate() } }

    func bytes(from offset: UInt64, count: Int) -> UnsafeRawBufferPointer {
        calls += 1
        if let last = buffers.last { last.initializeMemory(as: UInt8.self, repeating: 0xA5) }
        let from = Int(offset - start)
        let end = min(run.count, from + count + lookahead)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, end - from), alignment: 8)
        run[from..<end].withUnsafeBytes { buffer.copyMemory(from: $0) }
        buffers.append(buffer)
        return UnsafeRawBufferPointer(rebasing: buffer[0..<(end - from)])
    }
}

@Suite struct StreamingReaderTests {
    enum Step: Equatable {
        case value(UInt64)
        case bytes([UInt8])
        case failed(FormatError)
    }

    /// Reads `bytes` with one seeded sequence of operations.
    static func read(_ reader: inout ByteReader, seed: UInt64) -> [Step] {
        var generator = SeededGenerator(seed: seed)
        func next(_ bound: Int) -> Int { Int((generator.next() >> 33) % UInt64(bound)) }
        var steps: [Step] = []
        while steps.count < 400 {
            do {
                // A length-prefixed run is rare: random lengths mostly exceed its maximum.
                switch next(25) / 4 {
                case 0: steps.append(.value(UInt64(try reader.u8())))
                case 1: steps.append(.value(UInt64(try reader.u16())))
                case 2: steps.append(.value(UInt64(try reader.u32())))
                case 3: steps.append(.value(try reader.u64()))
                case 4: steps.append(.bytes(Array(try reader.view(next(40)))))
                case 5:
                    try reader.skip(next(60))
                    steps.append(.value(reader.offset))
                default: steps.append(.bytes(try reader.lengthPrefixed(field: .fieldLength, maximum: 64)))
                }
            } catch {
                steps.append(.failed(error))
                return steps
            }
        }
        return steps
    }

    @Test(arguments: [0, 1, 5, 64])
    func aStreamingReaderReadsWhatABorrowedReaderReads(lookahead: Int) {
        var compared = 0
        for seed in UInt64(1)...60 {
            let bytes = (0..<3000).map { UInt8(truncatingIfNeeded: ($0 &* 7919) ^ Int(seed) &* 31) }
            let whole = bytes.withUnsafeBytes { raw in
                var reader = ByteReader(raw, baseOffset: 100)
                return Self.read(&reader, seed: seed)
            }
            let refill = PoisoningRefill(bytes, at: 100, lookahead: lookahead)
            var streaming = ByteReader(run: 100, length: UInt64(bytes.count), refill: refill)
            let streamed = Self.read(&streaming, seed: seed)
            #expect(streamed == whole, "seed \(seed)")
            #expect(refill.calls > 0)
            compared += whole.count
        }
        #expect(compared > 1000)
    }

    /// An Index entry's name, key and primary key are borrowed together: read through a reader
    /// whose refills move the bytes, they are still the entry's own.
    @Test(arguments: [0, 3, 1000])
    func indexEntriesReadAsTheyStreamAreTheEntriesReadWhole(lookahead: Int) throws {
        var b = Bytes()
        b.u16(2)
        b.u32(5)
        for i in 0..<5 {
            b.u32(UInt32(i + 1))
            b.u8(1)
            b.u8(i % 2 == 0 ? 1 : 2)
            b.string("index_\(i)")
            b.string(String(repeating: "k", count: 10 + 37 * i))
            b.string("pk\(i)")
        }
        let whole = try b.bytes.withUnsafeBytes { raw in
            var payload = try IndexPayload(parsing: raw, at: 50)
            var entries: [IndexEntry] = []
            while let entry = try payload.next() { entries.append(entry) }
            return entries
        }
        let refill = PoisoningRefill(b.bytes, at: 50, lookahead: lookahead)
        var payload = try IndexPayload(ByteReader(run: 50, length: UInt64(b.bytes.count), refill: refill))
        var streamed: [IndexEntry] = []
        while let entry = try payload.next() { streamed.append(entry) }
        #expect(whole.count == 5)
        #expect(streamed == whole)
    }

    /// A decoder that tries one reading and takes another rewinds inside its hold, however the
    /// bytes moved meanwhile.
    @Test func rewindingInsideAHoldRereadsTheSameBytes() throws {
        let bytes = (0..<200).map { UInt8($0) }
        let refill = PoisoningRefill(bytes, at: 0, lookahead: 0)
        var reader = ByteReader(run: 0, length: 200, refill: refill)
        try reader.skip(10)
        let held = reader.hold()
        let first = try reader.u32()
        _ = try reader.view(100)
        reader.rewind(to: 10)
        #expect(try reader.u32() == first)
        #expect(first == UInt32(10) | UInt32(11) << 8 | UInt32(12) << 16 | UInt32(13) << 24)
        reader.release(held)
        #expect(reader.offset == 14)
    }
}
