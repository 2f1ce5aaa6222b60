import TestSupport
import Testing

@testable import ModelVaultFormat

@Suite struct SuperblockSelectionTests {
    func parse(_ slot: Superblock.Slot, _ bytes: [UInt8]) throws -> Superblock {
        try bytes.withUnsafeBytes { try Superblock(slot: slot, parsing: $0) }
    }

    @Test func higherGenerationWins() throws {
        let a = try parse(.a, Bytes.superblock(generation: 4))
        let b = try parse(.b, Bytes.superblock(generation: 5))
        #expect(SuperblockSelection(a: a, b: b) == .selected(.b))
    }

    @Test func slotAWinsATie() throws {
        let a = try parse(.a, Bytes.superblock(generation: 5))
        let b = try parse(.b, Bytes.superblock(generation: 5))
        #expect(SuperblockSelection(a: a, b: b) == .selected(.a))
    }

    @Test func newerSlotWithBadCRCIsFatal() throws {
        var damaged = Bytes.superblock(generation: 6)
        damaged[20] ^= 0x01
        let a = try parse(.a, Bytes.superblock(generation: 5))
        let b = try parse(.b, damaged)
        #expect(!b.isSound)
        #expect(SuperblockSelection(a: a, b: b) == .newerSlotUnsound(.b))
    }

    @Test func olderSlotDamageIsIgnored() throws {
        var damaged = Bytes.superblock(generation: 4)
        damaged[20] ^= 0x01
        let a = try parse(.a, damaged)
        let b = try parse(.b, Bytes.superblock(generation: 5))
        #expect(SuperblockSelection(a: a, b: b) == .selected(.b))
    }

    @Test func newerSlotWithNonzeroChecksumKindIsFatal() throws {
        let a = try parse(.a, Bytes.superblock(generation: 5))
        let b = try parse(.b, Bytes.superblock(generation: 6, kind: 1))
        #expect(SuperblockSelection(a: a, b: b) == .newerSlotUnsound(.b))
    }

    @Test func unrecognisedMagicCountsAsAbsent() throws {
        var badMagic = Bytes.superblock(generation: 9)
        badMagic[0] = 0x58
        let a = try parse(.a, badMagic)
        let b = try parse(.b, Bytes.superblock(generation: 5))
        #expect(SuperblockSelection(a: a, b: b) == .selected(.b))
    }

    @Test func bothZeroedIsNoneSound() throws {
        let zero = [UInt8](repeating: 0, count: 4096)
        #expect(SuperblockSelection(a: try parse(.a, zero), b: try parse(.b, zero)) == .noneSound)
    }

    @Test func versionZeroLayoutChecksBytesZeroTo31() throws {
        let a = try parse(.a, Bytes.superblock(version: 0, generation: 3))
        #expect(a.isSound)
        #expect(a.checkpointOffset == 0)
    }
}
