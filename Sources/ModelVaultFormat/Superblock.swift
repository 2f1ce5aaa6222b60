/// One superblock slot (docs/file-format.md §4). Version 0 (typra ≤ 0.7) has its CRC at byte 32
/// over bytes 0..31; version 1 adds a checkpoint pointer and keeps its CRC at byte 48 over 0..47.
public struct Superblock: Equatable, Sendable {
    public enum Slot: String, Sendable, CaseIterable {
        case a = "A"
        case b = "B"
        public var offset: UInt64 { self == .a ? Layout.superblockAOffset : Layout.superblockBOffset }
    }

    public static let magic: [UInt8] = Array("TSB0".utf8)

    public var slot: Slot
    public var magic: [UInt8]
    public var version: UInt16
    public var generation: UInt64
    public var manifestOffset: UInt64
    public var manifestLength: UInt32
    public var checksumKind: UInt8
    public var checkpointOffset: UInt64
    public var checkpointLength: UInt32
    public var storedCRC: UInt32
    public var computedCRC: UInt32

    /// Decodes a slot from its 4096 bytes (at least 52 are needed).
    public init(slot: Slot, parsing bytes: UnsafeRawBufferPointer) throws(FormatError) {
        self.slot = slot
        var reader = ByteReader(bytes, baseOffset: slot.offset)
        magic = try reader.bytes(4)
        version = try reader.u16()
        try reader.skip(2)
        generation = try reader.u64()
        manifestOffset = try reader.u64()
        manifestLength = try reader.u32()
        checksumKind = try reader.u8()
        if version == 1 {
            try reader.skip(7)
            checkpointOffset = try reader.u64()
            checkpointLength = try reader.u32()
            storedCRC = try reader.u32()
            computedCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<48]))
        } else {
            try reader.skip(3)
            storedCRC = try reader.u32()
            checkpointOffset = 0
            checkpointLength = 0
            computedCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<32]))
        }
    }

    public var hasValidMagic: Bool { magic == Self.magic }
    /// Magic `TSB0` and version 0 or 1: otherwise the engine treats the slot as absent.
    public var isRecognised: Bool { hasValidMagic && (version == 0 || version == 1) }
    public var checksumMatches: Bool { storedCRC == computedCRC }
    /// Recognised, checksum kind 0 and CRC matching: a slot the engine may select.
    public var isSound: Bool { isRecognised && checksumKind == 0 && checksumMatches }
}

/// The engine's choice between the two slots (docs/file-format.md §4, "Which slot the engine
/// uses"; measured on 0.16.0).
public enum SuperblockSelection: Equatable, Sendable {
    /// This slot is used.
    case selected(Superblock.Slot)
    /// No slot is sound.
    case noneSound
    /// An unsound slot has a higher raw generation than every sound one: the engine refuses.
    case newerSlotUnsound(Superblock.Slot)

    /// Applies the rule: unrecognised slots are absent; an unsound slot whose raw generation is
    /// strictly above every sound one is fatal; otherwise the sound slot with the highest
    /// generation wins, A on a tie.
    public init(a: Superblock?, b: Superblock?) {
        let slots = [a, b].compactMap { $0 }.filter(\.isRecognised)
        let sound = slots.filter(\.isSound)
        guard
            let best = sound.max(by: { lhs, rhs in
                lhs.generation < rhs.generation
                    || (lhs.generation == rhs.generation && lhs.slot == .b && rhs.slot == .a)
            })
        else {
            self = .noneSound
            return
        }
        if let newer = slots.first(where: { !$0.isSound && $0.generation > best.generation }) {
            self = .newerSlotUnsound(newer.slot)
            return
        }
        self = .selected(best.slot)
    }

    public var selectedSlot: Superblock.Slot? {
        if case .selected(let slot) = self { return slot }
        return nil
    }
}
