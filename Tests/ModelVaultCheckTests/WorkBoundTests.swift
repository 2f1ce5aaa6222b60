import Foundation
import ModelVaultFormat
import Testing

@testable import ModelVaultCheck

/// Counts read from a file are claims about work: the crafted inputs of scripts/hostile-inputs,
/// every checksum valid, ask for billions of steps or for work quadratic in their size, and
/// the full check does work in proportion to their bytes.
@Suite(.serialized) struct WorkBoundTests {
    /// The crafted files, written once per test run into one place that each run overwrites.
    static let directory: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mvfsck-hostile-inputs")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Fixtures.root.deletingLastPathComponent().appendingPathComponent("scripts/hostile-inputs").path,
            dir.path,
        ]
        try? process.run()
        process.waitUntilExit()
        return dir
    }()

    static func report(_ name: String, options: CheckOptions = CheckOptions(deep: true)) throws -> (Report, size: Int) {
        let bytes = try Fixtures.bytes(directory.appendingPathComponent(name + ".modelvault"))
        let report = try LogWalker(source: MemorySource(bytes, chunk: 1 << 16), options: options).run(
            command: "verify", path: name)
        return (report, bytes.count)
    }

    @Test(arguments: ["empty_object_lists", "empty_object_lists_checkpoint"])
    func valuesThatTakeNoBytesCostNoSteps(name: String) throws {
        let (report, size) = try Self.report(name)
        // 6000 lists of 2^20 empty objects: 6.3e9 values as declared, 24 KB as stored.
        #expect(report.valuesVisited > 6000)
        #expect(report.valuesVisited <= size, "\(report.valuesVisited) values visited for \(size) bytes")
        #expect(report.verdict == .clean)
        #expect(report.engine.basis == .deep)
    }

    @Test func sixtyThousandCollectionsAreRegisteredByNameLookups() throws {
        var unbounded = CheckOptions(deep: true)
        unbounded.catalogStructureLimit = .max
        let (report, _) = try Self.report("many_collections", options: unbounded)
        #expect(report.catalog.collections.count == 60000)
        #expect(report.catalog.hasCollection(named: "c60000"))
        #expect(report.verdict == .clean)
    }

    @Test(arguments: ["many_collections", "many_enum_variants", "many_constraints"])
    func aCatalogPastTheMemoryLimitIsFrozenAndSaysSo(name: String) throws {
        let (report, _) = try Self.report(name)
        let limit = CheckOptions().catalogStructureLimit
        #expect(report.catalogStructures <= limit + CatalogEntry.structureWeight)
        let frozen = report.findings.filter { $0.code == .catalogTooLarge }
        #expect(frozen.count == 1)
        #expect(frozen.first?.severity == .warning)
        #expect(report.engine.basis == .framing, "nothing after the freeze is decoded")
        #expect(report.verdict == .clean)
    }

    @Test func stagedCatalogEntriesAreAppliedOnceEachNotPerRecord() throws {
        let (report, _) = try Self.report("staged_entries")
        #expect(report.catalog.collections.count == 3000)
        // Every record decodes against a collection created earlier in its own transaction.
        #expect(report.findings.allSatisfy { $0.severity != .error })
        #expect(report.verdict == .clean)
    }

    @Test func recordsNamingAnyOfTwentyThousandVersionsResolveByBinarySearch() throws {
        let (report, _) = try Self.report("many_versions")
        #expect(report.catalog.collection(id: 1)?.currentVersion == 20000)
        #expect(report.verdict == .clean)
    }

    /// A 24 MiB Checkpoint (24 rows of 1 MiB) is decoded as it streams, one row held at a time,
    /// and used as the engine uses it; a 20 MiB Record is held whole, as the engine decodes it,
    /// and refused as the engine refuses it.
    @Test func aCheckpointLargerThanTheCaptureLimitIsDecodedRowByRow() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mvfsck-hostile-large")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Fixtures.root.deletingLastPathComponent().appendingPathComponent("scripts/hostile-inputs").path,
            dir.path, "big_checkpoint", "big_record", "big_valid_record", "big_index",
        ]
        try process.run()
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(at: dir) }

        let checkpoint = try Fixtures.bytes(dir.appendingPathComponent("big_checkpoint.modelvault"))
        let walker = LogWalker(source: MemorySource(checkpoint, chunk: 1 << 16), options: CheckOptions(deep: true))
        let report = try walker.run(command: "verify", path: "big_checkpoint")
        #expect(checkpoint.count > 24 << 20)
        #expect(walker.largestPayloadHeld <= 64, "\(walker.largestPayloadHeld) bytes held")
        #expect(report.verdict == .clean)
        #expect(report.engine.basis == .deep)
        #expect(report.valuesVisited >= 24, "every row was decoded")

        let record = try Fixtures.bytes(dir.appendingPathComponent("big_record.modelvault"))
        let recordWalker = LogWalker(source: MemorySource(record, chunk: 1 << 16), options: CheckOptions(deep: true))
        let refused = try recordWalker.run(command: "verify", path: "big_record")
        // Refused at its length prefix: nothing of the 20 MiB value is held.
        #expect(recordWalker.largestPayloadHeld <= 1 << 20, "\(recordWalker.largestPayloadHeld) bytes held")
        #expect(
            refused.engine.strictError?.message
                == "format error: invalid catalog payload: field length 20971520 exceeds maximum 16777216")
    }

    /// Large Record and Index payloads are decoded as they stream: one value (a record's
    /// string) or one entry (an index key) is held, never the payload.
    @Test func aLargeRecordOrIndexIsDecodedHoldingOneValueAtATime() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mvfsck-hostile-streamed")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Fixtures.root.deletingLastPathComponent().appendingPathComponent("scripts/hostile-inputs").path,
            dir.path, "big_valid_record", "big_index",
        ]
        try process.run()
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(at: dir) }

        let record = try Fixtures.bytes(dir.appendingPathComponent("big_valid_record.modelvault"))
        let recordWalker = LogWalker(source: MemorySource(record, chunk: 1 << 16), options: CheckOptions(deep: true))
        let recordReport = try recordWalker.run(command: "verify", path: "big_valid_record")
        #expect(record.count > 60 << 20)
        #expect(recordReport.verdict == .clean)
        #expect(recordReport.engine.basis == .deep)
        // One 15 MiB string and the read-ahead around it.
        #expect(recordWalker.largestPayloadHeld <= 16 << 20, "\(recordWalker.largestPayloadHeld) bytes held")

        let index = try Fixtures.bytes(dir.appendingPathComponent("big_index.modelvault"))
        let indexWalker = LogWalker(source: MemorySource(index, chunk: 1 << 16), options: CheckOptions(deep: true))
        let indexReport = try indexWalker.run(command: "verify", path: "big_index")
        #expect(index.count > 45 << 20)
        #expect(indexReport.verdict == .clean)
        #expect(indexReport.engine.basis == .deep)
        // All three entries of 15 MiB are checked, one held at a time... an entry is held whole
        // (name, key and primary key borrowed together), so at most one key and a little more.
        #expect(indexWalker.largestPayloadHeld <= 16 << 20, "\(indexWalker.largestPayloadHeld) bytes held")
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
