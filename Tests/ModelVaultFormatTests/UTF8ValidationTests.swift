import Testing

@testable import ModelVaultFormat

/// `UTF8Validation` must accept exactly what the standard library's validating initialiser
/// accepts (both follow Unicode table 3-7, as the engine's Rust decoder does).
@Suite struct UTF8ValidationTests {
    /// The standard library's judgement without `String(validating:)`, which throws (and the
    /// test runner records a backtrace for every throw): decoding repairs exactly the invalid
    /// sequences, so the bytes survive the round trip exactly when they are valid.
    private func agrees(_ bytes: [UInt8]) -> Bool {
        let ours = bytes.withUnsafeBytes { UTF8Validation.isValid($0) }
        return ours == (Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes)
    }

    @Test func everyOneAndTwoByteSequenceIsJudgedLikeTheStandardLibrary() {
        for a in 0...255 {
            #expect(agrees([UInt8(a)]), "\(a)")
            for b in 0...255 where !agrees([UInt8(a), UInt8(b)]) {
                Issue.record("disagrees on \(a) \(b)")
            }
        }
    }

    @Test func everyThreeByteSequenceWithAMultiByteLeadIsJudgedLikeTheStandardLibrary() {
        for a in 0xC0...0xFF {
            for b in 0...255 {
                for c in stride(from: 0, through: 255, by: 1) where !agrees([UInt8(a), UInt8(b), UInt8(c)]) {
                    Issue.record("disagrees on \(a) \(b) \(c)")
                }
            }
        }
    }

    @Test func randomMixturesAroundTheASCIIFastPathAreJudgedLikeTheStandardLibrary() {
        var generator = SystemRandomNumberGenerator()
        let pieces: [[UInt8]] = [
            Array("plain ascii text".utf8), Array("é".utf8), Array("€".utf8), Array("𝄞".utf8),
            [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0x80], [0xF0, 0x9F], [0xFF],
        ]
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &generator) {
                bytes += pieces.randomElement(using: &generator)!
            }
            #expect(agrees(bytes), "\(bytes)")
        }
        #expect(agrees([]))
    }
}
