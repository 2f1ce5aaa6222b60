import ModelVaultFormat
import TestSupport
import Testing

@testable import ModelVaultRepair

/// The structures a salvage writes decode, with ModelVaultFormat's own parsers, to the fields
/// they were made from, every checksum valid; and they are byte for byte what the engine writes.
@Suite struct ImagesTests {
    static func header(_ bytes: [UInt8]) throws -> FileHeader {
        try bytes.withUnsafeBytes { try FileHeader(parsing: $0) }
    }

    static func superblock(_ slot: Superblock.Slot, _ bytes: [UInt8]) throws -> Superblock {
        try bytes.withUnsafeBytes { try Superblock(slot: slot, parsing: $0) }
    }

    /// A slot's 4096 bytes in a file.
    static func slotBytes(_ file: [UInt8], _ slot: Superblock.Slot) -> [UInt8] {
        Array(file[Int(slot.offset)..<(Int(slot.offset) + Layout.superblockSize)])
    }

    @Test(arguments: Layout.supportedMinors)
    func aFileHeaderImageDecodesToTheMinorItWasMadeFor(minor: UInt16) throws {
        let image = Images.fileHeader(minor: minor)
        #expect(image.count == Layout.fileHeaderSize)
        let header = try Self.header(image)
        #expect(header.hasValidMagic)
        #expect(header.formatMajor == 0)
        #expect(header.formatMinor == minor)
        #expect(header.headerSize == UInt32(Layout.fileHeaderSize))
        #expect(header.flags == 0)
        #expect(!header.reservedNonZero)
        #expect(header.isSupportedVersion)
    }

    @Test func aFileHeaderImageIsTheEnginesHeader() throws {
        let file = try Fixtures.bytes("clean/basic.modelvault")
        let source = try Self.header(file)
        #expect(Images.fileHeader(minor: source.formatMinor) == Array(file.prefix(Layout.fileHeaderSize)))
    }

    @Test(arguments: Superblock.Slot.allCases)
    func aVersion1SuperblockImageDecodesToItsFieldsWithAValidChecksum(slot: Superblock.Slot) throws {
        let image = Images.superblock(
            version: 1, generation: 7, manifestOffset: 8947, checkpoint: (offset: 9100, length: 321))
        #expect(image.count == Layout.superblockSize)
        let decoded = try Self.superblock(slot, image)
        #expect(decoded.hasValidMagic)
        #expect(decoded.version == 1)
        #expect(decoded.generation == 7)
        #expect(decoded.manifestOffset == 8947)
        #expect(decoded.manifestLength == UInt32(ManifestPayload.length))
        #expect(decoded.checksumKind == 0)
        #expect(decoded.checkpointOffset == 9100)
        #expect(decoded.checkpointLength == 321)
        #expect(decoded.storedCRC == decoded.computedCRC)
        #expect(decoded.isSound)
        #expect(image[52...].allSatisfy { $0 == 0 }, "nothing after the CRC at 48..<52")
    }

    @Test func aVersion0SuperblockImageHasNoCheckpointAndItsChecksumAt32() throws {
        let image = Images.superblock(
            version: 0, generation: 3, manifestOffset: 8400, checkpoint: (offset: 9100, length: 321))
        #expect(image.count == Layout.superblockSize)
        let decoded = try Self.superblock(.b, image)
        #expect(decoded.version == 0)
        #expect(decoded.generation == 3)
        #expect(decoded.manifestOffset == 8400)
        #expect(decoded.manifestLength == UInt32(ManifestPayload.length))
        #expect(decoded.checkpointOffset == 0 && decoded.checkpointLength == 0)
        #expect(decoded.storedCRC == decoded.computedCRC)
        #expect(decoded.isSound)
        #expect(image[36...].allSatisfy { $0 == 0 }, "nothing after the CRC at 32..<36")
    }

    @Test func aSuperblockWithoutAManifestStatesNoManifestLength() throws {
        let image = Images.superblock(version: 1, generation: 2, manifestOffset: 0, checkpoint: nil)
        let decoded = try Self.superblock(.a, image)
        #expect(decoded.manifestOffset == 0)
        #expect(decoded.manifestLength == 0)
        #expect(decoded.checkpointOffset == 0 && decoded.checkpointLength == 0)
        #expect(decoded.isSound)
    }

    /// Re-encoding the engine's own slots from their decoded fields gives back their bytes.
    @Test(arguments: ["clean/basic.modelvault", "clean/checkpoint.modelvault", "clean/typra070_minor5.modelvault"])
    func superblockImagesAreTheEnginesSlots(name: String) throws {
        let file = try Fixtures.bytes(name)
        for slot in Superblock.Slot.allCases {
            let source = try Self.superblock(slot, Self.slotBytes(file, slot))
            try #require(source.isSound, "\(name) slot \(slot.rawValue)")
            let image = Images.superblock(
                version: source.version, generation: source.generation, manifestOffset: source.manifestOffset,
                checkpoint: source.version == 1 ? (source.checkpointOffset, source.checkpointLength) : nil)
            #expect(image == Self.slotBytes(file, slot), "\(name) slot \(slot.rawValue)")
        }
    }

    @Test(arguments: [8224, 8997, 123_456_789] as [UInt64])
    func aManifestImageIsAValidSegmentPointingAtItself(offset: UInt64) throws {
        let image = Images.manifest(at: offset)
        #expect(image.count == Layout.segmentHeaderSize + ManifestPayload.length)
        let header = image.withUnsafeBytes { SegmentHeader(parsing: UnsafeRawBufferPointer(rebasing: $0[0..<32])) }
        #expect(header.fault == nil, "\(String(describing: header.fault))")
        #expect(header.type == .manifest)
        #expect(header.payloadLength == UInt64(ManifestPayload.length))
        let payload = Array(image[Layout.segmentHeaderSize...])
        #expect(header.payloadCRC == CRC32C.checksum(payload))
        let manifest = try payload.withUnsafeBytes { try ManifestPayload(parsing: $0, at: offset + 32) }
        #expect(manifest.version == 0)
        #expect(manifest.lastSegmentOffset == offset)
        #expect(manifest.lastSegmentLength == UInt64(image.count))
        #expect(manifest.trailingBytes == 0)
    }

    /// The engine's last Manifest of a clean file, rebuilt at its offset, is the same bytes.
    @Test func aManifestImageIsTheEnginesManifest() throws {
        let file = try Fixtures.bytes("clean/basic.modelvault")
        let slot = try Self.superblock(.a, Self.slotBytes(file, .a))
        let at = Int(slot.manifestOffset)
        let length = Layout.segmentHeaderSize + ManifestPayload.length
        try #require(at > 0 && at + length <= file.count)
        #expect(Images.manifest(at: slot.manifestOffset) == Array(file[at..<(at + length)]))
    }
}
