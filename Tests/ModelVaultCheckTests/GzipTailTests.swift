import Foundation
import TestSupport
import Testing

@testable import ModelVaultCheck

/// What follows a gzip member is read as `gzip -d` reads it, however the compressed input
/// arrives in pieces.
@Suite struct GzipTailTests {
    /// Inflates `compressed` through a source handing out `chunk` bytes per read.
    static func inflate(_ compressed: [UInt8], chunk: Int) throws -> (bytes: [UInt8], finding: Finding?) {
        let source = try GzipSource(upstream: MemorySource(compressed, chunk: chunk))
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1000)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            out += buffer.prefix(n)
        }
        return (out, source.finding)
    }

    static let data: [UInt8] = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
    static let chunks = [1, 2, 3, 4096, Int.max]

    @Test(arguments: chunks)
    func zeroPaddingAfterTheLastMemberIsIgnored(chunk: Int) throws {
        let member = try Gzip.compress(Self.data)
        for padding in [1, 2, 4096, 300_000] {
            let result = try Self.inflate(member + [UInt8](repeating: 0, count: padding), chunk: chunk)
            #expect(result.bytes == Self.data, "padding \(padding)")
            #expect(result.finding == nil, "padding \(padding)")
        }
    }

    @Test(arguments: chunks)
    func concatenatedMembersAreOneStream(chunk: Int) throws {
        let a = try Gzip.compress(Array(Self.data[..<20_001]))
        let b = try Gzip.compress(Array(Self.data[20_001...]))
        let empty = try Gzip.compress([UInt8]())
        let result = try Self.inflate(a + empty + b + [0, 0, 0], chunk: chunk)
        #expect(result.bytes == Self.data)
        #expect(result.finding == nil)
    }

    @Test(arguments: chunks)
    func otherTrailingBytesAreAWarningLocatedInTheCompressedStream(chunk: Int) throws {
        let member = try Gzip.compress(Self.data)
        let end = UInt64(member.count)
        let cases: [(tail: [UInt8], offset: UInt64, length: UInt64)] = [
            (Array("junk".utf8), end, 4),
            ([UInt8](repeating: 0, count: 100) + Array("junk".utf8), end + 100, 4),
            ([0x1f], end, 1),
            ([0x1f, 0x00, 0x1f, 0x8b], end, 4),
            // After zero padding nothing starts a member again, as with gzip -d.
            ([0, 0] + member, end + 2, end),
        ]
        for c in cases {
            let result = try Self.inflate(member + c.tail, chunk: chunk)
            #expect(result.bytes == Self.data, "tail \(c.tail.prefix(8))")
            let finding = try #require(result.finding)
            #expect(finding.code == .containerTrailingGarbage)
            #expect(finding.severity == .warning)
            #expect(finding.offset == c.offset, "tail \(c.tail.prefix(8))")
            #expect(finding.length == c.length, "tail \(c.tail.prefix(8))")
        }
    }

    @Test(arguments: chunks)
    func aDamagedMemberIsStillAnErrorWhateverFollows(chunk: Int) throws {
        let member = try Gzip.compress(Self.data)
        var badCRC = member
        badCRC[badCRC.count - 8] ^= 0xff
        let corrupt = try Self.inflate(badCRC + [UInt8](repeating: 0, count: 512), chunk: chunk)
        #expect(corrupt.finding?.code == .containerGzipCorrupt)
        #expect(corrupt.finding?.severity == .error)

        let truncated = try Self.inflate(Array(member.dropLast(3)), chunk: chunk)
        #expect(truncated.finding?.code == .containerGzipTruncated)
        #expect(truncated.finding?.severity == .error)
        #expect(truncated.bytes == Self.data)

        let secondCut = try Self.inflate(member + member.prefix(member.count / 2), chunk: chunk)
        #expect(secondCut.finding?.code == .containerGzipTruncated)
        #expect(secondCut.bytes.starts(with: Self.data))
    }
}
