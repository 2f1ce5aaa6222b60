import Foundation
import ModelVaultFormat
import TestSupport
import Testing

@testable import ModelVaultCheck

/// A payload too large to hold is decoded as it streams (`PayloadPull`), and that says
/// exactly what the decode of the whole payload says. With the capture limit at zero and the
/// smallest read buffer, every Schema, Record and Index payload of every committed fixture
/// takes the streaming path, and every Checkpoint, Manifest and marker its bounded one.
@Suite struct StreamedPayloadTests {
    static let inputs = ["clean", "damaged", "quirks", "fuzzed"].flatMap { Fixtures.files($0) }

    static func report(_ bytes: [UInt8], deep: Bool, streamed: Bool) throws -> Report {
        var options = CheckOptions(deep: deep)
        if streamed {
            options.payloadCaptureLimit = 0
            options.readBufferCapacity = 0
        }
        return try LogWalker(source: MemorySource(bytes, chunk: 4093), options: options)
            .run(command: "verify", path: "memory")
    }

    @Test func everyFixtureIsCompared() {
        #expect(Self.inputs.count >= 100)
    }

    @Test(arguments: [true, false])
    func streamedPayloadsReportWhatWholePayloadsReport(deep: Bool) throws {
        for url in Self.inputs {
            let bytes = try Fixtures.bytes(url)
            let whole = try Self.report(bytes, deep: deep, streamed: false)
            let streamed = try Self.report(bytes, deep: deep, streamed: true)
            let name = url.lastPathComponent
            #expect(streamed.verdict == whole.verdict, "\(name)")
            #expect(streamed.findings == whole.findings, "\(name)")
            #expect(streamed.engine == whole.engine, "\(name)")
            // A streamed payload is decoded before its checksum is known, so also when it fails.
            #expect(streamed.valuesVisited >= whole.valuesVisited, "\(name)")
            #expect(streamed.catalogStructures == whole.catalogStructures, "\(name)")
        }
    }

    /// The streamed path really is taken: with the limit at zero, what is held of a payload
    /// is the pull's window, not the payload.
    @Test func withTheLimitAtZeroRecordsAreReadThroughTheWindow() throws {
        let url = try #require(Self.inputs.first { $0.lastPathComponent.contains("many") } ?? Self.inputs.first)
        let bytes = try Fixtures.bytes(url)
        var options = CheckOptions(deep: true)
        options.payloadCaptureLimit = 0
        let walker = LogWalker(source: MemorySource(bytes, chunk: 4093), options: options)
        _ = try walker.run(command: "verify", path: "memory")
        #expect(walker.payloadsStreamed > 0)
    }
}
