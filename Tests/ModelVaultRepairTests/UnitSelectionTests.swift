import ModelVaultCheck
import ModelVaultFormat
import TestSupport
import Testing

@testable import ModelVaultRepair

/// The units of replay a walk finds, which of them a salvage keeps, and where the kept ones lie
/// in the result.
@Suite struct UnitSelectionTests {
    static func ledger(_ name: String) throws -> (Report, TransactionLedger) {
        let ledger = TransactionLedger()
        let report = try Checker.check(
            path: Fixtures.url(name).path, command: "repair", options: CheckOptions(deep: true),
            configure: { $0.add(ledger) })
        ledger.finish()
        return (report, ledger)
    }

    /// A committed transaction of `length` bytes at `offset`.
    static func txn(_ id: UInt64, at offset: UInt64, length: UInt64 = 200, committed: Bool = true) -> LogUnit {
        LogUnit(kind: .transaction, txnId: id, offset: offset, end: offset + length, committed: committed)
    }

    static let three = [txn(1, at: 8274), txn(2, at: 8524), txn(3, at: 8774)]
    /// The Manifest every engine writes first, at the log's start.
    static let firstManifest = KeptStructure(type: .manifest, offset: 8224, end: 8274)

    @Test(arguments: ["clean/transactions.modelvault", "clean/reopened.modelvault", "clean/checkpoint.modelvault"])
    func theLedgerFindsEveryCommittedTransactionOfACleanFile(name: String) throws {
        let (report, ledger) = try Self.ledger(name)
        let committed = ledger.units.filter { $0.committed && $0.kind == .transaction }
        #expect(committed.count == report.transactions.committed)
        #expect(ledger.units.allSatisfy { $0.damage == nil })
        #expect(ledger.damagedStretches.isEmpty)
        #expect(zip(ledger.units, ledger.units.dropFirst()).allSatisfy { $0.end <= $1.offset })
    }

    @Test func aLegacyMinorsUnitsAreItsDataSegments() throws {
        let (_, ledger) = try Self.ledger("clean/typra051_minor5.modelvault")
        // One Schema, three Records, no markers.
        #expect(ledger.units.count == 4)
        #expect(ledger.units.allSatisfy { $0.kind == .unframed && $0.committed && $0.txnId == nil })
        #expect(ledger.units.map(\.offset) == [8274, 8453, 8584, 8715])
    }

    @Test func aDamagedRecordMarksItsTransactionAndNoOther() throws {
        let (_, ledger) = try Self.ledger("damaged/basic__payload_flip_record.modelvault")
        #expect(ledger.units.map(\.offset) == [8274, 8541, 8769])
        #expect(ledger.units.map { $0.damage != nil } == [false, true, false])
        #expect(ledger.collections(of: 2) == [1])
        #expect(ledger.collectionNames[1] == "books")
    }

    @Test func scavengingDropsOnlyTheDamagedTransaction() throws {
        var units = Self.three
        units[1].damageCause = .payloadChecksum(.record, at: 8600)
        let selection = try UnitSelection(units: units, choices: SalvageChoices(scavenge: true), prefixEnd: 8524)
        #expect(selection.kept == [true, false, true])
        #expect(selection.dropped.map(\.reason) == [.damaged])
    }

    @Test func withoutScavengingNothingAfterThePrefixStays() throws {
        var units = Self.three
        units[1].damageCause = .payloadChecksum(.record, at: 8600)
        let selection = try UnitSelection(units: units, choices: SalvageChoices(), prefixEnd: 8524)
        #expect(selection.kept == [true, false, false])
        #expect(selection.dropped.map(\.unit) == [1, 2])
    }

    @Test func untilKeepsNothingCommittedAfterTheNamedTransaction() throws {
        let choices = SalvageChoices(untilTxn: TransactionReference(id: 1))
        let selection = try UnitSelection(units: Self.three, choices: choices, prefixEnd: 9000)
        #expect(selection.kept == [true, false, false])
        #expect(selection.dropped.map(\.reason) == [.afterUntil, .afterUntil])
    }

    @Test func dropLeavesOutTheNamedTransactionOnly() throws {
        let choices = SalvageChoices(dropTxns: [TransactionReference(id: 2)])
        let selection = try UnitSelection(units: Self.three, choices: choices, prefixEnd: 9000)
        #expect(selection.kept == [true, false, true])
        #expect(selection.dropped == [.init(unit: 1, reason: .requested, detail: "named by --drop-txn")])
    }

    @Test func anIdThatNamesNoCommittedTransactionNamesTheHighest() throws {
        let choices = SalvageChoices(untilTxn: TransactionReference(id: 999_999))
        #expect(throws: UnitSelection.ReferenceError.notFound(TransactionReference(id: 999_999), highest: 3)) {
            try UnitSelection(units: Self.three, choices: choices, prefixEnd: 9000)
        }
    }

    @Test func aRepeatedIdMustBeNamedWithItsOffset() throws {
        let units = [Self.txn(1, at: 8274), Self.txn(1, at: 8524)]
        #expect(
            throws: UnitSelection.ReferenceError.ambiguous(
                TransactionReference(id: 1), offsets: [8274, 8524], highest: 1)
        ) {
            try UnitSelection(
                units: units, choices: SalvageChoices(dropTxns: [TransactionReference(id: 1)]), prefixEnd: 0)
        }
        let picked = try UnitSelection(
            units: units, choices: SalvageChoices(dropTxns: [TransactionReference("1@8524")!]), prefixEnd: 9000)
        #expect(picked.kept == [true, false])
    }

    @Test func anAbortedTransactionCannotBeDropped() throws {
        var units = Self.three
        units[1].aborted = true
        let ref = TransactionReference(id: 2)
        #expect(throws: UnitSelection.ReferenceError.notCommitted(ref, offset: 8524, state: "aborted", highest: 3)) {
            try UnitSelection(units: units, choices: SalvageChoices(dropTxns: [ref]), prefixEnd: 9000)
        }
    }

    @Test(arguments: ["2", "2@8524", "18446744073709551615"])
    func aTransactionReferenceReadsIdAndOffset(text: String) throws {
        let ref = try #require(TransactionReference(text))
        #expect(ref.description == text)
    }

    @Test(arguments: ["", "x", "2@", "@5", "-1", "2@x"])
    func aMalformedTransactionReferenceIsRefused(text: String) {
        #expect(TransactionReference(text) == nil)
    }

    @Test func unitsDroppedAfterChoosingJoinTheListInUnitOrder() throws {
        var units = (0..<6).map { Self.txn(UInt64($0 + 1), at: 8274 + UInt64($0) * 250) }
        units[1].damageCause = .payloadChecksum(.record, at: 8600)
        var selection = try UnitSelection(units: units, choices: SalvageChoices(scavenge: true), prefixEnd: 0)
        selection.dropUnreplayable([(4, "clashes"), (2, "does not decode")])
        // A unit already dropped keeps its first reason.
        selection.dropForLayout([(4, "too short"), (0, "too short")])
        #expect(selection.dropped.map(\.unit) == [0, 1, 2, 4])
        #expect(selection.dropped.map(\.reason) == [.damaged, .damaged, .doesNotReplay, .doesNotReplay])
        #expect(selection.dropped[3].detail == "clashes")
        #expect(selection.kept == [false, false, false, true, false, true])
    }

    // MARK: layout

    @Test func droppedBytesBetweenKeptUnitsBecomeOneFiller() throws {
        let manifest = KeptStructure(type: .manifest, offset: 8974, end: 9024)
        let layout = try ScavengeLayout(
            units: Self.three, kept: [true, false, true], structures: [Self.firstManifest, manifest])
        #expect(layout.fillers == [8474..<8774])
        #expect(layout.end == 9024)
        #expect(layout.keptManifest == 8974)
    }

    @Test func aStretchTooShortForATempHeaderTakesInTheManifestBesideIt() throws {
        let units = [Self.txn(1, at: 8274), Self.txn(2, at: 8534)]
        let manifest = KeptStructure(type: .manifest, offset: 8474, end: 8524)
        let layout = try ScavengeLayout(units: units, kept: [true, true], structures: [Self.firstManifest, manifest])
        #expect(layout.fillers == [8474..<8534])
        #expect(layout.keptManifest == 8224)
    }

    @Test func aStretchTooShortBetweenTwoUnitsDropsTheUnitBeforeIt() throws {
        let units = [Self.txn(1, at: 8274), Self.txn(2, at: 8484)]
        let layout = try ScavengeLayout(units: units, kept: [true, true], structures: [Self.firstManifest])
        #expect(layout.leftOut == [ScavengeLayout.TooShort(unit: 0, stretch: 8474..<8484)])
        #expect(layout.fillers == [8274..<8484])
        #expect(layout.end == 8684)
    }

    @Test func aRunOfStretchesTooShortIsSettledInOnePass() throws {
        // Ten unreadable bytes after each of 5 000 units: every unit before the last goes, in
        // one layout, and one filler covers them.
        let units = (0..<5000).map { Self.txn(UInt64($0 + 1), at: 8274 + UInt64($0) * 210) }
        let layout = try ScavengeLayout(
            units: units, kept: Array(repeating: true, count: units.count), structures: [Self.firstManifest])
        #expect(layout.leftOut.map(\.unit) == Array(0..<4999))
        #expect(layout.leftOut.allSatisfy { $0.stretch.count == 10 })
        #expect(layout.fillers == [8274..<units[4999].offset])
    }

    @Test func aStretchTooShortBeforeTheFirstKeptUnitDropsIt() throws {
        // No structure beside the stretch to take in (the log's first Manifest is gone).
        let units = [Self.txn(1, at: 8234), Self.txn(2, at: 8434)]
        #expect(throws: ScavengeLayout.TooShort(unit: 0, stretch: 8224..<8234)) {
            try ScavengeLayout(units: units, kept: [true, true], structures: [])
        }
    }

    @Test func nothingKeptLeavesNothingButTheHeaderAndSuperblocks() throws {
        let layout = try ScavengeLayout(units: Self.three, kept: [false, false, false], structures: [])
        #expect(layout.end == UInt64(Layout.logStart))
        #expect(layout.fillers.isEmpty)
    }

    @Test(arguments: [0, 1, 100, 1 << 17])
    func aFillerHeaderIsASoundTempSegmentOverZeros(payloadLength: Int) throws {
        let image = Images.zeroTempHeader(payloadLength: UInt64(payloadLength))
        let header = image.withUnsafeBytes { SegmentHeader(parsing: $0) }
        #expect(header.fault == nil)
        #expect(header.type == .temp)
        #expect(header.payloadLength == UInt64(payloadLength))
        #expect(header.payloadCRC == CRC32C.checksum([UInt8](repeating: 0, count: payloadLength)))
    }
}
