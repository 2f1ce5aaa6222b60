/// A 32-byte segment header (docs/file-format.md §5).
public struct SegmentHeader: Equatable, Sendable {
    public static let magic: [UInt8] = Array("TSG0".utf8)
    public static let magicWord: UInt32 = 0x3047_5354  // "TSG0" read little-endian

    public var magicWord: UInt32
    public var version: UInt16
    public var rawType: UInt16
    public var headerLength: UInt32
    public var payloadLength: UInt64
    public var payloadCRC: UInt32
    public var checksumKind: UInt8
    public var storedHeaderCRC: UInt32
    public var computedHeaderCRC: UInt32

    /// Decodes the fields of the 32 bytes at `bytes` without judging them. `trustingChecksum`
    /// takes the stored header checksum as computed (someone else proves it).
    public init(parsing bytes: UnsafeRawBufferPointer, trustingChecksum: Bool = false) {
        precondition(bytes.count >= Layout.segmentHeaderSize)
        func load<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T {
            T(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: T.self))
        }
        magicWord = load(0, UInt32.self)
        version = load(4, UInt16.self)
        rawType = load(6, UInt16.self)
        headerLength = load(8, UInt32.self)
        payloadLength = load(12, UInt64.self)
        payloadCRC = load(20, UInt32.self)
        checksumKind = bytes[24]
        storedHeaderCRC = load(28, UInt32.self)
        computedHeaderCRC =
            trustingChecksum ? storedHeaderCRC : CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<28]))
    }

    public var type: SegmentType? { SegmentType(rawValue: rawType) }
    public var totalLength: UInt64 { UInt64(Layout.segmentHeaderSize) + payloadLength }
    public var magicBytes: [UInt8] { withUnsafeBytes(of: magicWord.littleEndian) { Array($0) } }

    /// Whether it passes every check of `fault` (asked of every segment: it builds nothing).
    @inline(__always)
    public var isSound: Bool {
        magicWord == Self.magicWord && version == 0 && type != nil
            && headerLength == UInt32(Layout.segmentHeaderSize) && payloadLength <= Layout.maxPayloadLength
            && checksumKind == 0 && storedHeaderCRC == computedHeaderCRC
    }

    /// The first check the engine fails on this header, in the engine's order, or nil.
    public var fault: SegmentHeaderFault? {
        if magicWord != Self.magicWord { return .badMagic(found: magicBytes) }
        if version != 0 { return .unsupportedVersion(version) }
        if type == nil { return .unknownType(rawType) }
        if headerLength != UInt32(Layout.segmentHeaderSize) { return .badHeaderLength(headerLength) }
        if payloadLength > Layout.maxPayloadLength { return .payloadTooLong(payloadLength) }
        if checksumKind != 0 { return .unsupportedChecksumKind(checksumKind) }
        if storedHeaderCRC != computedHeaderCRC {
            return .headerChecksum(computed: computedHeaderCRC, stored: storedHeaderCRC)
        }
        return nil
    }
}

/// Why a segment header is unreadable, in the order the engine checks.
public enum SegmentHeaderFault: Equatable, Sendable {
    case badMagic(found: [UInt8])
    case unsupportedVersion(UInt16)
    case unknownType(UInt16)
    case badHeaderLength(UInt32)
    case payloadTooLong(UInt64)
    case unsupportedChecksumKind(UInt8)
    case headerChecksum(computed: UInt32, stored: UInt32)

    public var description: String {
        switch self {
        case .badMagic(let found): return "bad segment magic: expected \"TSG0\", found \(Hex.bytes(found))"
        case .unsupportedVersion(let v): return "unsupported segment version \(v)"
        case .unknownType(let t): return "unknown segment type \(t)"
        case .badHeaderLength(let l): return "segment header length \(l), expected 32"
        case .payloadTooLong(let l): return "segment payload length \(l) exceeds maximum \(Layout.maxPayloadLength)"
        case .unsupportedChecksumKind(let k): return "unsupported segment checksum kind \(k)"
        case .headerChecksum(let computed, let stored):
            return "segment header CRC-32C \(Hex.u32(computed)) does not match stored \(Hex.u32(stored))"
        }
    }
}
