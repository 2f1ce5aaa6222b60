import ModelVaultFormat

/// Little-endian byte building for hand-made structures: segment headers, superblocks and the
/// values inside payloads.
public struct Bytes {
    public var bytes: [UInt8] = []

    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    public mutating func string(_ s: String) {
        u32(UInt32(s.utf8.count))
        bytes += Array(s.utf8)
    }
    public mutating func path(_ segments: [String]) {
        u32(UInt32(segments.count))
        for segment in segments { string(segment) }
    }
    public mutating func pad(to count: Int) { bytes += [UInt8](repeating: 0, count: max(0, count - bytes.count)) }

    public static func segmentHeader(
        type: UInt16, payload: [UInt8], version: UInt16 = 0, headerLength: UInt32 = 32,
        kind: UInt8 = 0, payloadLength: UInt64? = nil
    ) -> [UInt8] {
        var b = Bytes()
        b.bytes += Array("TSG0".utf8)
        b.u16(version)
        b.u16(type)
        b.u32(headerLength)
        b.u64(payloadLength ?? UInt64(payload.count))
        b.u32(CRC32C.checksum(payload))
        b.u8(kind)
        b.bytes += [0, 0, 0]
        b.u32(CRC32C.checksum(b.bytes))
        return b.bytes
    }

    public static func superblock(version: UInt16 = 1, generation: UInt64, manifest: UInt64 = 0, kind: UInt8 = 0)
        -> [UInt8]
    {
        var b = Bytes()
        b.bytes += Array("TSB0".utf8)
        b.u16(version)
        b.u16(0)
        b.u64(generation)
        b.u64(manifest)
        b.u32(18)
        b.u8(kind)
        if version == 1 {
            b.pad(to: 48)
            b.u32(CRC32C.checksum(b.bytes))
        } else {
            b.pad(to: 32)
            b.u32(CRC32C.checksum(b.bytes))
        }
        b.pad(to: 4096)
        return b.bytes
    }
}
