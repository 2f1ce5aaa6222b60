import Foundation
import ModelVaultFormat
import TestSupport
import Testing

@testable import ModelVaultCheck

/// Counts read from a file are claims about work: the crafted inputs of scripts/hostile-inputs,
/// every checksum valid, ask for billions of steps or for work quadratic in their size, and
/// the full check does work in proportion to their bytes.
@Suite(.serialized) struct WorkBoundTests {
    /// The crafted files, written once per test run into one place that each run overwrites.
    static let directory: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mvfsck-hostile-inputs")
        _ = try? HostileInputs.write(into: dir)
        return dir
    }()

    /// A walk of `<name>.modelvault` in `directory`, read 64 KiB at a time: its report, the
    /// file's size and the largest payload the walk held at once.
    static func walk(
        _ name: String, in directory: URL = directory, options: CheckOptions = CheckOptions(deep: true)
    ) throws -> (report: Report, size: Int, largestPayloadHeld: Int) {
        let bytes = try Fixtures.bytes(directory.appendingPathComponent(name + ".modelvault"))
        let walker = LogWalker(source: MemorySource(bytes, chunk: 1 << 16), options: options)
        let report = try walker.run(command: "verify", path: name)
        return (report, bytes.count, walker.largestPayloadHeld)
    }

    @Test(arguments: ["empty_object_lists", "empty_object_lists_checkpoint"])
    func valuesThatTakeNoBytesCostNoSteps(name: String) throws {
        let (report, size, _) = try Self.walk(name)
        // 6000 lists of 2^20 empty objects: 6.3e9 values as declared, 24 KB as stored.
        #expect(report.valuesVisited > 6000)
        #expect(report.valuesVisited <= size, "\(report.valuesVisited) values visited for \(size) bytes")
        #expect(report.verdict == .clean)
        #expect(report.engine.basis == .deep)
    }

    @Test func sixtyThousandCollectionsAreRegisteredByNameLookups() throws {
        var unbounded = CheckOptions(deep: true)
        unbounded.catalogStructureLimit = .max
        let report = try Self.walk("many_collections", options: unbounded).report
        #expect(report.catalog.collections.count == 60000)
        #expect(report.catalog.hasCollection(named: "c60000"))
        #expect(report.verdict == .clean)
    }

    @Test(arguments: ["many_collections", "many_enum_variants", "many_constraints"])
    func aCatalogPastTheMemoryLimitIsFrozenAndSaysSo(name: String) throws {
        let report = try Self.walk(name).report
        let limit = CheckOptions().catalogStructureLimit
        #expect(report.catalogStructures <= limit + CatalogEntry.structureWeight)
        let frozen = report.findings.filter { $0.code == .catalogTooLarge }
        #expect(frozen.count == 1)
        #expect(frozen.first?.severity == .warning)
        #expect(report.engine.basis == .framing, "nothing after the freeze is decoded")
        #expect(report.verdict == .clean)
    }

    /// Read by path, a file's checks are taken on trust and proved on a second thread, each
    /// batch holding the catalogs its decodes need: a catalog that changes between every two
    /// Records is handed over only while it is small, and the report is the sequential walk's.
    @Test(arguments: ["many_versions", "staged_entries", "many_collections", "empty_object_lists"])
    func checksTakenOnTrustGiveTheSequentialReport(name: String) throws {
        let path = Self.directory.appendingPathComponent(name + ".modelvault").path
        let (report, speculation) = try Checker.walk(
            try OpenedInput.open(path: path), path: path, command: "verify", options: CheckOptions(deep: true),
            progress: nil, configure: { _ in })
        let sequential = try Self.walk(name).report
        #expect(speculation == .held)
        #expect(report.verdict == sequential.verdict)
        #expect(report.findings == sequential.findings)
        #expect(report.valuesVisited == sequential.valuesVisited)
    }

    @Test func stagedCatalogEntriesAreAppliedOnceEachNotPerRecord() throws {
        let report = try Self.walk("staged_entries").report
        #expect(report.catalog.collections.count == 3000)
        // Every record decodes against a collection created earlier in its own transaction.
        #expect(report.findings.allSatisfy { $0.severity != .error })
        #expect(report.verdict == .clean)
    }

    @Test func recordsNamingAnyOfTwentyThousandVersionsResolveByBinarySearch() throws {
        let report = try Self.walk("many_versions").report
        #expect(report.catalog.collection(id: 1)?.currentVersion == 20000)
        #expect(report.verdict == .clean)
    }

    /// A 24 MiB Checkpoint (24 rows of 1 MiB) is decoded as it streams, one row held at a time,
    /// and used as the engine uses it; a 20 MiB Record is held whole, as the engine decodes it,
    /// and refused as the engine refuses it.
    @Test func aCheckpointLargerThanTheCaptureLimitIsDecodedRowByRow() throws {
        let dir = try TemporaryDirectory("mvfsck-hostile-large")
        try #require(try HostileInputs.write(into: dir.url, ["big_checkpoint", "big_record"]) == 0)

        let checkpoint = try Self.walk("big_checkpoint", in: dir.url)
        #expect(checkpoint.size > 24 << 20)
        #expect(checkpoint.largestPayloadHeld <= 64, "\(checkpoint.largestPayloadHeld) bytes held")
        #expect(checkpoint.report.verdict == .clean)
        #expect(checkpoint.report.engine.basis == .deep)
        #expect(checkpoint.report.valuesVisited >= 24, "every row was decoded")

        let record = try Self.walk("big_record", in: dir.url)
        // Refused at its length prefix: nothing of the 20 MiB value is held.
        #expect(record.largestPayloadHeld <= 1 << 20, "\(record.largestPayloadHeld) bytes held")
        #expect(
            record.report.engine.strictError?.message
                == "format error: invalid catalog payload: field length 20971520 exceeds maximum 16777216")
    }

    /// Large Record and Index payloads are decoded as they stream: one value (a record's
    /// string) or one entry (an index key) is held, never the payload.
    @Test func aLargeRecordOrIndexIsDecodedHoldingOneValueAtATime() throws {
        let dir = try TemporaryDirectory("mvfsck-hostile-streamed")
        try #require(try HostileInputs.write(into: dir.url, ["big_valid_record", "big_index"]) == 0)

        let record = try Self.walk("big_valid_record", in: dir.url)
        #expect(record.size > 60 << 20)
        #expect(record.report.verdict == .clean)
        #expect(record.report.engine.basis == .deep)
        // One 15 MiB string and the read-ahead around it.
        #expect(record.largestPayloadHeld <= 16 << 20, "\(record.largestPayloadHeld) bytes held")

        let index = try Self.walk("big_index", in: dir.url)
        #expect(index.size > 45 << 20)
        #expect(index.report.verdict == .clean)
        #expect(index.report.engine.basis == .deep)
        // All three entries of 15 MiB are checked, one held at a time... an entry is held whole
        // (name, key and primary key borrowed together), so at most one key and a little more.
        #expect(index.largestPayloadHeld <= 16 << 20, "\(index.largestPayloadHeld) bytes held")
    }

    @Test func theVersionCountOfAPositionIsABinarySearch() {
        let positions: [UInt64] = [10, 20, 20, 30]
        #expect(ReplayModel.CatalogState.count(positions, notAfter: 5) == 0)
        #expect(ReplayModel.CatalogState.count(positions, notAfter: 10) == 1)
        #expect(ReplayModel.CatalogState.count(positions, notAfter: 20) == 3)
        #expect(ReplayModel.CatalogState.count(positions, notAfter: 99) == 4)
        #expect(ReplayModel.CatalogState.count([], notAfter: 99) == 0)
    }
}
