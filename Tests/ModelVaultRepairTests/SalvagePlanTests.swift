import Foundation
import ModelVaultCheck
import ModelVaultFormat
import TestSupport
import Testing

@testable import ModelVaultRepair

/// What a salvage keeps, drops and rewrites, as planned from the report of the same deep walk
/// `repair` makes; every rebuilt structure decodes to a sound one.
@Suite struct SalvagePlanTests {
    static func report(_ path: String) throws -> Report {
        try Checker.check(path: path, command: "repair", options: CheckOptions(deep: true))
    }

    static func plan(_ name: String) throws -> (SalvagePlan, Report) {
        let report = try report(Fixtures.url(name).path)
        return (SalvagePlan(report: report), report)
    }

    static func superblock(_ slot: Superblock.Slot, _ bytes: [UInt8]?) throws -> Superblock {
        let bytes = try #require(bytes, "slot \(slot.rawValue) is not rebuilt")
        return try bytes.withUnsafeBytes { try Superblock(slot: slot, parsing: $0) }
    }

    /// The engine's choice between the slots of the salvaged file: a rebuilt slot's image,
    /// else the source's.
    static func selection(_ plan: SalvagePlan, _ report: Report) throws -> SuperblockSelection {
        var slots: [Superblock.Slot: Superblock] = [:]
        for (source, _) in report.superblocks { slots[source.slot] = source }
        for (slot, image) in plan.superblocks { slots[slot] = try superblock(slot, image) }
        return SuperblockSelection(a: slots[.a], b: slots[.b])
    }

    @Test(arguments: Fixtures.names("clean"))
    func aCleanFileIsCopiedWhole(name: String) throws {
        let (plan, report) = try Self.plan(name)
        #expect(report.verdict == .clean)
        #expect(plan.changesNothing)
        #expect(plan.refusal == nil)
        #expect(plan.keepEnd == report.file.size)
        #expect(plan.droppedBytes == 0 && plan.droppedTransactions == 0)
        #expect(
            plan.describe() == [
                "keep bytes 0..<\(report.file.size) of the source (\(report.file.size) bytes); "
                    + "drop 0 bytes and 0 committed transaction(s)",
                "file header: copied", "superblock A: copied unchanged", "superblock B: copied unchanged",
            ])
    }

    @Test(arguments: [
        ("damaged/basic__empty_file.modelvault", 0),
        ("damaged/basic__truncated_header_20.modelvault", 20),
        ("damaged/basic__truncated_superblock_5000.modelvault", 5000),
    ])
    func aFileEndingBeforeTheLogIsRefused(name: String, size: Int) throws {
        let (plan, report) = try Self.plan(name)
        #expect(report.file.size == UInt64(size))
        let refusal = "the file is \(size) bytes long: it ends before the segment log begins (8224)"
        #expect(plan.refusal == refusal)
        #expect(plan.describe() == ["nothing can be salvaged: " + refusal])
        #expect(plan.header == nil && plan.superblocks.isEmpty && plan.appendedManifest == nil)
    }

    @Test func aLogWhoseFirstSegmentIsDamagedIsRefused() throws {
        let dir = try TemporaryDirectory("mvfsck-plan")
        var bytes = try Fixtures.bytes("clean/basic.modelvault")
        bytes[Int(Layout.logStart) + 28] ^= 0xff  // the first segment's header CRC
        try Data(bytes).write(to: dir.url("first.modelvault"))
        let report = try Self.report(dir.path("first.modelvault"))
        let plan = SalvagePlan(report: report)
        #expect(report.committedPrefix.keepEnd == Layout.logStart)
        #expect(!report.committedPrefix.followsEngine)
        #expect(plan.refusal == "no intact committed data: the log's first segment is already damaged")
        #expect(plan.header == nil && plan.superblocks.isEmpty && plan.appendedManifest == nil)
    }

    @Test(arguments: [
        "damaged/basic__file_bad_magic.modelvault", "damaged/basic__file_major_1.modelvault",
        "damaged/basic__file_minor_7.modelvault", "damaged/basic__file_minor_2_full.modelvault",
    ])
    func anUnusableFileHeaderIsRebuiltForTheFormatMinorOfTheLog(name: String) throws {
        let (plan, report) = try Self.plan(name)
        #expect(plan.headerRewritten)
        let image = try #require(plan.header)
        #expect(image == Images.fileHeader(minor: report.formatMinor))
        let header = try image.withUnsafeBytes { try FileHeader(parsing: $0) }
        #expect(header.hasValidMagic && header.formatMajor == 0 && header.formatMinor == report.formatMinor)
        #expect(header.isSupportedVersion)
        #expect(plan.superblocks.isEmpty, "the superblocks are sound")
        #expect(plan.describe().contains("file header: rebuilt"))
    }

    /// The newer slot is damaged: it is rebuilt one generation below the sound one, pointing
    /// where that one points, so the engine selects the sound slot.
    @Test(arguments: [
        ("damaged/basic__sb_newer_crc.modelvault", Superblock.Slot.a),
        ("damaged/basic__sb_newer_checksum_kind.modelvault", Superblock.Slot.a),
        ("damaged/typra070_minor5__sb_newer_crc.modelvault", Superblock.Slot.b),
    ])
    func aDamagedNewerSlotIsRebuiltBelowTheSoundOne(name: String, damaged: Superblock.Slot) throws {
        let (plan, report) = try Self.plan(name)
        #expect(plan.superblocksRewritten == [damaged.rawValue])
        #expect(plan.keepEnd == report.file.size && plan.droppedBytes == 0)
        let sound = try #require(report.superblocks.map(\.0).first { $0.slot != damaged })
        let rebuilt = try Self.superblock(damaged, plan.superblocks[damaged])
        #expect(rebuilt.isSound)
        #expect(rebuilt.version == sound.version)
        #expect(rebuilt.generation == sound.generation - 1)
        #expect(rebuilt.manifestOffset == sound.manifestOffset)
        #expect(rebuilt.checkpointOffset == sound.checkpointOffset)
        #expect(rebuilt.checkpointLength == sound.checkpointLength)
        #expect(try Self.selection(plan, report) == .selected(sound.slot))
        #expect(plan.describe().contains("superblock \(damaged.rawValue): rebuilt"))
    }

    /// No slot fits the kept prefix: both are rebuilt over its newest intact Manifest, A one
    /// generation above B and above every generation the source had.
    @Test(arguments: [
        "damaged/basic__sb_both_zeroed.modelvault", "damaged/basic__payload_flip_record.modelvault",
        "damaged/basic__header_crc.modelvault", "damaged/checkpoint__cp_header_crc.modelvault",
    ])
    func bothSlotsAreRebuiltOverTheNewestManifestOfThePrefix(name: String) throws {
        let (plan, report) = try Self.plan(name)
        #expect(plan.superblocksRewritten == ["A", "B"])
        #expect(plan.appendedManifest == nil)
        let manifest = try #require(report.committedPrefix.keptManifest)
        #expect(manifest < plan.keepEnd)
        let a = try Self.superblock(.a, plan.superblocks[.a])
        let b = try Self.superblock(.b, plan.superblocks[.b])
        #expect(a.isSound && b.isSound)
        #expect(a.manifestOffset == manifest && b.manifestOffset == manifest)
        #expect(a.generation == b.generation + 1)
        let newest = report.superblocks.map(\.0).filter(\.isRecognised).map(\.generation).max() ?? 0
        #expect(a.generation > newest)
        #expect(a.version == (report.formatMinor >= Layout.transactionalMinor ? 1 : 0))
        #expect(try Self.selection(plan, report) == .selected(.a))
    }

    /// Nothing of the log survives but what ends before any intact Manifest: a fresh one is
    /// appended at the end of the kept prefix, and both slots point at it.
    @Test(arguments: [
        "damaged/basic__cut_to_log_start.modelvault", "damaged/basic__payload_flip_first_manifest.modelvault",
    ])
    func aPrefixWithoutAnIntactManifestGetsAFreshOneAtItsEnd(name: String) throws {
        let (plan, report) = try Self.plan(name)
        #expect(report.committedPrefix.keptManifest == nil)
        #expect(plan.appendedManifest == Images.manifest(at: plan.keepEnd))
        #expect(try Self.superblock(.a, plan.superblocks[.a]).manifestOffset == plan.keepEnd)
        #expect(try Self.superblock(.b, plan.superblocks[.b]).manifestOffset == plan.keepEnd)
        #expect(
            plan.describe().last == "append a fresh Manifest at \(plan.keepEnd) (none inside the prefix is intact)")
    }

    /// A torn tail is cut where the engine's AutoTruncate open cuts it: the bytes and
    /// committed transactions past that point are what the plan drops.
    @Test func theDroppedBytesAndTransactionsAreThosePastTheKeptPrefix() throws {
        let (plan, report) = try Self.plan("damaged/basic__payload_flip_record.modelvault")
        #expect(report.committedPrefix.followsEngine)
        #expect(plan.keepEnd == report.file.size - report.engine.truncatedBytes)
        #expect(plan.keepEnd == 8541)
        #expect(plan.droppedBytes == report.file.size - 8541)
        #expect(plan.droppedTransactions == 1)
        #expect(
            plan.describe().first
                == "keep bytes 0..<8541 of the source (8541 bytes); drop 456 bytes and 1 committed transaction(s)")
    }

    /// Trailing garbage after a whole log is dropped and nothing else changes.
    @Test(arguments: ["damaged/basic__garbage_tail_100.modelvault", "damaged/basic__zero_tail_64.modelvault"])
    func garbageAfterTheLogIsDroppedAndNothingElseIsRewritten(name: String) throws {
        let (plan, report) = try Self.plan(name)
        #expect(plan.keepEnd == 8997)
        #expect(plan.droppedBytes == report.file.size - 8997)
        #expect(!plan.changesNothing)
        #expect(plan.header == nil && plan.superblocks.isEmpty && plan.appendedManifest == nil)
    }
}
