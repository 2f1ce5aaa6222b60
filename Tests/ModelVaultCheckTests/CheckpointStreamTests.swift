import Foundation
import ModelVaultFormat
import TestSupport
import Testing

@testable import ModelVaultCheck

/// A Checkpoint too large to hold is decoded as it streams past, and that decode says exactly
/// what the whole-payload decode says: the same framing, the same fault at the same offset,
/// the same content fault, whatever the chunks.
@Suite struct CheckpointStreamTests {
    /// Every Checkpoint payload of the committed fixtures whose checksum holds, with its offset.
    static let payloads: [(name: String, offset: UInt64, bytes: [UInt8])] = {
        var found: [(String, UInt64, [UInt8])] = []
        for folder in ["clean", "damaged"] {
            for url in Fixtures.files(folder) {
                guard let bytes = try? Fixtures.bytes(url) else { continue }
                var offset = Int(Layout.logStart)
                while offset + Layout.segmentHeaderSize <= bytes.count {
                    let header = bytes[offset..<(offset + Layout.segmentHeaderSize)].withUnsafeBytes {
                        SegmentHeader(parsing: $0)
                    }
                    guard header.fault == nil else { break }
                    let start = offset + Layout.segmentHeaderSize
                    let end = start + Int(header.payloadLength)
                    guard end <= bytes.count else { break }
                    if header.type == .checkpoint {
                        found.append((url.lastPathComponent, UInt64(start), Array(bytes[start..<end])))
                    }
                    offset = end
                }
            }
        }
        return found
    }()

    struct Decoded: Equatable {
        var replayFrom: UInt64?
        var entries: [CatalogEntry]?
        var error: FormatError?
        var contentFault: String?
        var contentEngineError: EngineError?
    }

    static func whole(_ bytes: [UInt8], at offset: UInt64) -> Decoded {
        bytes.withUnsafeBytes { raw in
            do {
                let decoded = try CheckpointPayload(parsing: raw, at: offset)
                var deep = DeepCheck()
                let fault = deep.checkpoint(raw, at: offset, decoded: decoded)
                return Decoded(
                    replayFrom: decoded.replayFromOffset, entries: decoded.catalogEntries,
                    contentFault: fault?.0, contentEngineError: fault?.1)
            } catch {
                return Decoded(error: error as? FormatError)
            }
        }
    }

    static func streamed(_ bytes: [UInt8], at offset: UInt64, chunk: Int) -> Decoded {
        var stream = CheckpointStream(
            payloadOffset: offset, length: UInt64(bytes.count), deep: true, structureLimit: .max)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + chunk)
            bytes[start..<end].withUnsafeBytes { stream.feed($0) }
            start = end
        }
        let outcome = stream.finish().0
        switch outcome.framing {
        case .success(let framing):
            return Decoded(
                replayFrom: framing.replayFromOffset, entries: framing.catalogEntries,
                contentFault: outcome.contentFault?.0, contentEngineError: outcome.contentFault?.1)
        case .failure(let error):
            return Decoded(error: error)
        }
    }

    @Test func theFixturesHoldCheckpointsToCompare() {
        #expect(Self.payloads.count >= 10)
    }

    @Test(arguments: [1, 7, 64, 1 << 20])
    func aStreamedDecodeMatchesTheWholeDecode(chunk: Int) {
        for (name, offset, bytes) in Self.payloads {
            #expect(
                Self.streamed(bytes, at: offset, chunk: chunk) == Self.whole(bytes, at: offset), "\(name) at \(offset)")
        }
    }

    /// Cut short or lengthened, the payload fails the same way under both decodes.
    @Test func cutAndExtendedPayloadsFailAlikeInBothDecodes() {
        var compared = 0
        for (name, offset, bytes) in Self.payloads.prefix(4) {
            for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
                let short = Array(bytes.prefix(cut))
                #expect(
                    Self.streamed(short, at: offset, chunk: 5) == Self.whole(short, at: offset), "\(name) cut to \(cut)"
                )
                compared += 1
            }
            let long = bytes + [0, 1, 2]
            #expect(Self.streamed(long, at: offset, chunk: 3) == Self.whole(long, at: offset), "\(name) + 3 bytes")
            #expect(Self.whole(long, at: offset).error != nil)
        }
        #expect(compared > 40)
    }
}
