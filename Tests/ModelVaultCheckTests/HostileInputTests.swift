import TestSupport
import Testing

@testable import ModelVaultCheck
@testable import ModelVaultFormat

/// Any byte sequence yields a report: random flips and truncations of real files never crash
/// or hang the walk, and the verdict always agrees with the findings.
@Suite struct HostileInputTests {
    @Test func randomFlipsAndTruncationsAlwaysYieldAReport() throws {
        let sources = try Fixtures.files("clean").map { try Fixtures.bytes($0) }
        try #require(!sources.isEmpty)
        var rng = SeededGenerator(seed: 0x5eed)
        var verdicts: [Verdict: Int] = [:]
        for round in 0..<3000 {
            var bytes = sources[round % sources.count]
            switch round % 4 {
            case 0:
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
                }
            case 1:
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            case 2:
                let i = Int.random(in: Int(Layout.logStart)..<bytes.count, using: &rng)
                bytes[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                bytes = Array(bytes.prefix(Int.random(in: i...bytes.count, using: &rng)))
            default:
                let start = Int.random(in: 0..<bytes.count, using: &rng)
                let length = Int.random(in: 1...64, using: &rng)
                for i in start..<min(bytes.count, start + length) { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
            }
            let report = try Fixtures.check(bytes)
            verdicts[report.verdict, default: 0] += 1
            #expect(
                (report.verdict == .clean)
                    == (report.errorCount == 0 && report.engine.strictOpens
                        && report.engine.truncatedBytes == 0),
                "round \(round): verdict \(report.verdict) with \(report.errorCount) errors")
            #expect(report.file.size == UInt64(bytes.count))
        }
        #expect(verdicts.count >= 3, "the damage should produce several verdicts, got \(verdicts)")
    }

    @Test func deepDecodingSurvivesDamageUnderValidChecksums() throws {
        // Flip bytes inside payloads and fix every CRC, so the damage reaches the decoders.
        let sources = try Fixtures.files("clean").map { try Fixtures.bytes($0) }
        var rng = SeededGenerator(seed: 0xdee9)
        for round in 0..<1500 {
            var bytes = sources[round % sources.count]
            var offsets: [Int] = []
            var at = Int(Layout.logStart)
            while at + 32 <= bytes.count {
                let length = bytes.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: at + 12, as: UInt64.self)) }
                offsets.append(at)
                at += 32 + length
            }
            let target = offsets[Int.random(in: 0..<offsets.count, using: &rng)]
            let length = bytes.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: target + 12, as: UInt64.self)) }
            guard length > 0 else { continue }
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                bytes[target + 32 + Int.random(in: 0..<length, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            bytes.resealSegment(at: target)
            let report = try Fixtures.check(bytes, deep: true)
            #expect(report.engine.basis == .deep)
            #expect((report.verdict == .clean) == (report.errorCount == 0 && report.engine.strictOpens))
        }
    }

    @Test func pureNoiseIsAFindingNotAFailure() throws {
        var rng = SeededGenerator(seed: 42)
        for length in [1, 31, 32, 100, 8223, 8224, 9000, 70_000] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let report = try Fixtures.check(bytes)
            #expect(report.verdict == .unrecoverable)
            #expect(report.errorCount > 0)
        }
    }

    @Test func pointersNearTheTopOfTheOffsetRangeAreFindingsNotOverflows() throws {
        var bytes = try Fixtures.bytes("clean/checkpoint.modelvault")
        for (slot, pointer) in [(32, 36), (4128, 16)] {
            // Slot A's checkpoint pointer and slot B's manifest pointer, resealed with a valid CRC.
            bytes.put(littleEndian: UInt64.max - 8, at: slot + pointer)
            bytes.put(littleEndian: CRC32C.checksum(Array(bytes[slot..<(slot + 48)])), at: slot + 48)
        }
        let report = try Fixtures.check(bytes)
        #expect(report.superblocks.allSatisfy { $0.0.isSound })
        #expect(
            report.findings.contains {
                $0.code == .superblockCheckpointOutOfBounds || $0.code == .superblockManifestOutOfBounds
            })
    }

    @Test func hugeClaimedLengthsAllocateNothing() throws {
        var bytes = try Fixtures.bytes(Fixtures.files("clean")[0])
        // A Schema header claiming the maximum payload, with nothing behind it.
        bytes = Array(bytes.prefix(Int(Layout.logStart)))
        let header = Bytes.segmentHeader(type: 1, payload: [], payloadLength: Layout.maxPayloadLength)
        let report = try Fixtures.check(bytes + header + [1, 2, 3])
        #expect(report.findings.contains { $0.code == .segmentPayloadPastEOF })
    }
}
