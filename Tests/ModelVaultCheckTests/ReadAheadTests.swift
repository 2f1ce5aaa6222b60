import Foundation
import TestSupport
import Testing

@testable import ModelVaultCheck

/// A compressed input inflated ahead on a thread of its own reads as the input itself: the
/// same bytes in the same order, its errors where they happen, and no thread left behind.
@Suite struct ReadAheadTests {
    /// A source that hands out `bytes` in reads of at most `chunk`, then fails when `failing`.
    final class Scripted: ByteSource {
        struct Broken: Error, Equatable {}
        let bytes: [UInt8]
        let chunk: Int
        let failing: Bool
        var position = 0
        var knownSize: UInt64? { UInt64(bytes.count) }
        init(_ bytes: [UInt8], chunk: Int, failing: Bool = false) {
            self.bytes = bytes
            self.chunk = chunk
            self.failing = failing
        }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let n = min(buffer.count, chunk, bytes.count - position)
            if n == 0 && failing { throw Broken() }
            bytes.withUnsafeBytes {
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[position..<(position + n)]))
            }
            position += n
            return n
        }
    }

    static func readAll(_ source: ByteSource, into size: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: size)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += buffer.prefix(n)
        }
    }

    static let data: [UInt8] = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }

    @Test(arguments: [(1, 7), (4096, 1000), (300_000, 70_000), (Int.max, 1 << 20)])
    func theBytesComeOutAsTheSourceGivesThem(chunk: Int, readSize: Int) throws {
        let ahead = try #require(ReadAhead(Scripted(Self.data, chunk: chunk)))
        #expect(ahead.knownSize == UInt64(Self.data.count))
        #expect(try Self.readAll(ahead, into: readSize) == Self.data)
        // Past the end it stays at the end.
        #expect(try Self.readAll(ahead, into: readSize).isEmpty)
    }

    @Test func aFailureComesOutAfterTheBytesBeforeIt() throws {
        let ahead = try #require(ReadAhead(Scripted(Array(Self.data.prefix(1_000_000)), chunk: 65_536, failing: true)))
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 100_000)
        #expect(throws: Scripted.Broken.self) {
            while true {
                let n = try buffer.withUnsafeMutableBytes { try ahead.read(into: $0) }
                if n == 0 { break }
                out += buffer.prefix(n)
            }
        }
        #expect(out == Array(Self.data.prefix(1_000_000)))
    }

    /// A walk that stops early releases the reader, which is blocked on a full ring.
    @Test func droppedBeforeTheEndItStopsItsThread() throws {
        for _ in 0..<50 {
            let ahead = try #require(ReadAhead(Scripted(Self.data, chunk: 4096)))
            var buffer = [UInt8](repeating: 0, count: 10)
            _ = try buffer.withUnsafeMutableBytes { try ahead.read(into: $0) }
        }
    }

    /// A gzip-compressed file checked with a core to spare is inflated ahead, and reported as
    /// it is without.
    @Test(arguments: ["clean/basic.modelvault", "clean/checkpoint.modelvault"])
    func aCompressedFileGetsTheSameReportInflatedAhead(name: String) throws {
        let directory = try TemporaryDirectory("mvfsck-read-ahead")
        let path = directory.path("file.modelvault.gz")
        try Data(try Gzip.compress(try Fixtures.bytes(Fixtures.url(name)))).write(to: URL(fileURLWithPath: path))
        var reports: [Report] = []
        for secondCore in [true, false] {
            var options = CheckOptions(deep: true)
            options.secondCore = secondCore
            var sources: [String] = []
            let (report, _) = try Checker.walk(
                try OpenedInput.open(path: path), path: path, command: "verify", options: options, progress: nil,
                configure: { sources.append(String(describing: type(of: $0.cursor.source))) })
            #expect(sources == [secondCore ? "ReadAhead" : "GzipSource"])
            reports.append(report)
        }
        #expect(reports[0].findings == reports[1].findings)
        #expect(reports[0].verdict == reports[1].verdict)
        #expect(reports[0].engine == reports[1].engine)
        #expect(reports[0].valuesVisited == reports[1].valuesVisited)
        #expect(reports[0].file.size == reports[1].file.size)
    }
}
