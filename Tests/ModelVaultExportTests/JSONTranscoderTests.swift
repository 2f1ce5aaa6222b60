import Foundation
import ModelVaultCheck
import ModelVaultFormat
import TestSupport
import Testing

@testable import ModelVaultExport

/// The transcoder (payload bytes → JSON, export's path) and the decoder followed by `RowText`
/// (payload bytes → RowValue → JSON) must accept the same payloads and write the same text.
@Suite struct JSONTranscoderTests {
    /// Every Record payload of a file with the catalog it is decoded against.
    final class Records: SegmentAnalyser {
        var found: [(payload: [UInt8], offset: UInt64, catalog: Catalog)] = []
        func payloadBytesWanted(for type: SegmentType) -> Int { type == .record ? Int.max : 0 }
        func prelude(header: FileHeader?, superblocks: [(Superblock, selected: Bool)]) {}
        func segment(_ segment: ObservedSegment, payload: UnsafeRawBufferPointer) {
            guard segment.summary.type == .record, let catalog = segment.catalog,
                payload.count == segment.summary.payloadLength
            else { return }
            found.append((Array(payload), segment.payloadOffset, catalog))
        }
    }

    static func records(_ folder: String) throws -> [(payload: [UInt8], offset: UInt64, catalog: Catalog)] {
        var all: [(payload: [UInt8], offset: UInt64, catalog: Catalog)] = []
        for url in Fixtures.files(folder) {
            let records = Records()
            _ = try Checker.check(path: url.path, command: "verify", configure: { $0.add(records) })
            all += records.found
        }
        return all
    }

    /// Each field's JSON by the decoder, or nil when the payload does not decode.
    static func decoded(_ payload: [UInt8], at offset: UInt64, _ catalog: Catalog) -> [String]? {
        payload.withUnsafeBytes { raw in
            guard let record = try? RecordPayload(parsing: raw, at: offset, catalog: catalog) else { return nil }
            return record.fields.map { RowText.text($0.value) }
        }
    }

    /// Each field's JSON by the transcoder, or nil when it refuses the payload.
    static func transcoded(_ payload: [UInt8], at offset: UInt64, _ catalog: Catalog) -> [String]? {
        payload.withUnsafeBytes { raw in
            var fields: [String] = []
            do {
                _ = try RecordPayload.visit(
                    raw, at: offset, catalog: catalog, key: { _ in },
                    field: { reader, type, _ throws(RecordDecodeError) in
                        var out: [UInt8] = []
                        try JSONTranscoder.append(&reader, as: type, to: &out)
                        fields.append(String(decoding: out, as: UTF8.self))
                    })
                return fields
            } catch {
                return nil
            }
        }
    }

    @Test(arguments: ["clean", "damaged", "fuzzed"])
    func transcoderWritesWhatTheDecoderReads(folder: String) throws {
        let records = try Self.records(folder)
        #expect(records.count > 20)
        for record in records {
            let expected = Self.decoded(record.payload, at: record.offset, record.catalog)
            #expect(
                Self.transcoded(record.payload, at: record.offset, record.catalog) == expected,
                "record at \(record.offset)")
        }
    }

    @Test func transcoderRefusesWhatTheDecoderRefuses() throws {
        var random = SeededGenerator(seed: 7)
        var compared = 0
        var refused = 0
        for record in try Self.records("clean") {
            for _ in 0..<30 {
                var mutated = record.payload
                let index = Int.random(in: 0..<mutated.count, using: &random)
                mutated[index] = UInt8.random(in: 0...255, using: &random)
                let expected = Self.decoded(mutated, at: record.offset, record.catalog)
                #expect(Self.transcoded(mutated, at: record.offset, record.catalog) == expected)
                compared += 1
                if expected == nil { refused += 1 }
            }
        }
        #expect(compared > 1_000)
        #expect(refused > 100, "the mutations reach the refusals")
    }
}
