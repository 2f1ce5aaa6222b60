/// The 32-byte file header (docs/file-format.md §3). It has no checksum; the engine checks only
/// the magic, the major version and the minor range.
public struct FileHeader: Equatable, Sendable {
    public static let magic: [UInt8] = Array("TDB0".utf8)

    public var magic: [UInt8]
    public var formatMajor: UInt16
    public var formatMinor: UInt16
    public var headerSize: UInt32
    public var flags: UInt64
    /// Whether bytes 20..31 hold anything but zero (tolerated by the engine).
    public var reservedNonZero: Bool

    /// Decodes the fixed fields; `bytes` must hold at least 32 bytes.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(FormatError) {
        var reader = ByteReader(bytes)
        magic = try reader.bytes(4)
        formatMajor = try reader.u16()
        formatMinor = try reader.u16()
        headerSize = try reader.u32()
        flags = try reader.u64()
        reservedNonZero = try reader.bytes(12).contains { $0 != 0 }
    }

    public var hasValidMagic: Bool { magic == Self.magic }

    /// Whether the engine accepts this major/minor pair.
    public var isSupportedVersion: Bool {
        formatMajor == 0 && Layout.supportedMinors.contains(formatMinor)
    }

    public var magicText: String {
        magic.allSatisfy { $0 >= 0x20 && $0 < 0x7f } ? String(decoding: magic, as: UTF8.self) : Hex.bytes(magic)
    }
}
