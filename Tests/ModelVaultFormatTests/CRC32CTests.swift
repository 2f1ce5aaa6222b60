import CCRC32C
import Testing

@testable import ModelVaultFormat

@Suite struct CRC32CTests {
    static let vectors: [([UInt8], UInt32)] = [
        (Array("123456789".utf8), 0xE306_9283),
        ([], 0),
        ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
        ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        (Array(0..<32), 0x46DD_794E),
    ]

    @Test func portablePathMatchesStandardVectors() {
        for (input, expected) in Self.vectors {
            #expect(CRC32C.portableChecksum(input) == expected)
        }
    }

    @Test func hardwarePathMatchesStandardVectors() throws {
        try #require(CRC32C.isHardwareAccelerated, "no SSE4.2 on this CPU")
        for (input, expected) in Self.vectors {
            #expect(CRC32C.hardwareChecksum(input) == expected)
        }
    }

    @Test func dispatchedPathMatchesStandardVectors() {
        for (input, expected) in Self.vectors {
            #expect(CRC32C.checksum(input) == expected)
        }
    }

    @Test func pathsAgreeOnRandomBuffersAndSplits() {
        var generator = SystemRandomNumberGenerator()
        for length in [1, 7, 8, 63, 64, 255, 256, 257, 4095, 8192, 8193, 24_577, 100_003] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let whole = CRC32C.portableChecksum(bytes)
            #expect(CRC32C.checksum(bytes) == whole)
            if CRC32C.isHardwareAccelerated { #expect(CRC32C.hardwareChecksum(bytes) == whole) }
            let split = Int.random(in: 0...length, using: &generator)
            let chained = CRC32C.checksum(Array(bytes[split...]), continuing: CRC32C.checksum(Array(bytes[..<split])))
            #expect(chained == whole)
        }
    }

    /// Short payloads (a marker's 18 bytes) are read with unaligned loads wherever they lie,
    /// long ones aligned first: every start within a word and every length up to past the
    /// striped loop's threshold give the portable path's checksum.
    @Test func hardwarePathAgreesAtEveryAlignmentAndLength() throws {
        try #require(CRC32C.isHardwareAccelerated, "no SSE4.2 on this CPU")
        var generator = SystemRandomNumberGenerator()
        let buffer = (0..<1024).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var mismatches = 0
        var cases = 0
        buffer.withUnsafeBytes { raw in
            for start in 0..<8 {
                for length in Array(0...80) + [767, 768, 769, 1000] where start + length <= raw.count {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])
                    let portable = CRC32C.portableChecksum(Array(slice), continuing: 0x1234_5678)
                    let hardware = slice.baseAddress.map { mv_crc32c_update_hardware(0x1234_5678, $0, length) }
                    if (hardware ?? 0x1234_5678) != portable { mismatches += 1 }
                    cases += 1
                }
            }
        }
        #expect(cases == 8 * 85)
        #expect(mismatches == 0)
    }
}
