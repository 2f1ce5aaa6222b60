import TestSupport
import Testing

@testable import ModelVaultCheck

/// The walk reads in one forward pass: however the input is chunked, the report is the same.
@Suite struct StreamingTests {
    @Test(arguments: [1, 3, 31, 32, 33, 4096, 8224])
    func chunkingDoesNotChangeTheReport(chunk: Int) throws {
        for url in Fixtures.files("clean").prefix(6) + Fixtures.files("damaged").prefix(20) {
            let bytes = try Fixtures.bytes(url)
            let whole = try Fixtures.check(bytes)
            let chunked = try Fixtures.check(bytes, chunk: chunk)
            #expect(chunked.verdict == whole.verdict, "\(url.lastPathComponent)")
            #expect(chunked.findings == whole.findings, "\(url.lastPathComponent)")
            #expect(chunked.engine == whole.engine, "\(url.lastPathComponent)")
        }
    }

    @Test func smallCursorCapacityStillReadsEverySegment() throws {
        let url = Fixtures.files("clean").max { $0.lastPathComponent.count < $1.lastPathComponent.count }!
        let bytes = try Fixtures.bytes(url)
        let expected = try Fixtures.check(bytes)
        let cursor = StreamCursor(source: MemorySource(bytes, chunk: 7), capacity: 64)
        var total: UInt64 = 0
        while try cursor.request(33) > 0 {
            total += UInt64(min(cursor.available, 33))
            try cursor.consume(min(cursor.available, 33))
        }
        #expect(total == UInt64(bytes.count))
        #expect(expected.file.size == total)
    }

    @Test(arguments: [1, 7, 4096])
    func tapSeesEveryConsumedByteOnceInOrder(chunk: Int) throws {
        let bytes = (0..<20_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let cursor = StreamCursor(source: MemorySource(bytes, chunk: chunk), capacity: 64)
        var tapped: [UInt8] = []
        cursor.tap = { tapped.append(contentsOf: $0) }
        var generator = SystemRandomNumberGenerator()
        while cursor.position < 15_000 {
            let available = try cursor.request(Int.random(in: 1...80, using: &generator))
            try cursor.consume(Int.random(in: 0...available, using: &generator))
            #expect(tapped.count <= Int(cursor.position))
        }
        _ = try cursor.stream(1_000) { _ in }
        _ = try cursor.drain()
        #expect(tapped == bytes)
    }
}
