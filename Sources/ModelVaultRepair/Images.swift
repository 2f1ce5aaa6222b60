import ModelVaultFormat

/// Byte images of the structures a salvage rewrites: file header, superblocks, a Manifest.
enum Images {
    static func fileHeader(minor: UInt16) -> [UInt8] {
        var b = LittleEndianBytes()
        b.append(FileHeader.magic)
        b.u16(0)
        b.u16(minor)
        b.u32(UInt32(Layout.fileHeaderSize))
        b.u64(0)
        b.zeros(12)
        return b.bytes
    }

    /// A superblock slot (4096 bytes): version 1 carries the checkpoint pointer.
    static func superblock(
        version: UInt16, generation: UInt64, manifestOffset: UInt64,
        checkpoint: (offset: UInt64, length: UInt32)?
    ) -> [UInt8] {
        var b = LittleEndianBytes()
        b.append(Superblock.magic)
        b.u16(version)
        b.u16(0)
        b.u64(generation)
        b.u64(manifestOffset)
        b.u32(manifestOffset == 0 ? 0 : UInt32(ManifestPayload.length))
        b.u8(0)
        if version == 1 {
            b.zeros(7)
            b.u64(checkpoint?.offset ?? 0)
            b.u32(checkpoint?.length ?? 0)
            b.u32(CRC32C.checksum(b.bytes))
        } else {
            b.zeros(3)
            b.u32(CRC32C.checksum(b.bytes))
        }
        b.zeros(Layout.superblockSize - b.bytes.count)
        return b.bytes
    }

    /// The header of a Temp segment whose payload is `payloadLength` zero bytes: filler the
    /// engine never reads.
    static func zeroTempHeader(payloadLength: UInt64) -> [UInt8] {
        segmentHeader(type: .temp, payloadLength: payloadLength, payloadCRC: zeroChecksum(count: payloadLength))
    }

    /// CRC-32C of `count` zero bytes.
    static func zeroChecksum(count: UInt64) -> UInt32 {
        let chunk = [UInt8](repeating: 0, count: 1 << 16)
        var crc: UInt32 = 0
        var left = count
        while left > 0 {
            let n = Int(min(left, UInt64(chunk.count)))
            crc = chunk.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<n]), continuing: crc) }
            left -= UInt64(n)
        }
        return crc
    }

    static func segmentHeader(type: SegmentType, payloadLength: UInt64, payloadCRC: UInt32) -> [UInt8] {
        var header = LittleEndianBytes()
        header.append(SegmentHeader.magic)
        header.u16(0)
        header.u16(type.rawValue)
        header.u32(UInt32(Layout.segmentHeaderSize))
        header.u64(payloadLength)
        header.u32(payloadCRC)
        header.u8(0)
        header.zeros(3)
        header.u32(CRC32C.checksum(header.bytes))
        return header.bytes
    }

    /// A Manifest segment at `offset` pointing at itself, as every engine writes it.
    static func manifest(at offset: UInt64) -> [UInt8] {
        var payload = LittleEndianBytes()
        payload.u16(0)
        payload.u64(offset)
        payload.u64(UInt64(Layout.segmentHeaderSize + ManifestPayload.length))
        let header = segmentHeader(
            type: .manifest, payloadLength: UInt64(payload.bytes.count), payloadCRC: CRC32C.checksum(payload.bytes))
        return header + payload.bytes
    }
}

struct LittleEndianBytes {
    var bytes: [UInt8] = []
    mutating func append(_ more: [UInt8]) { bytes += more }
    mutating func zeros(_ n: Int) { bytes += [UInt8](repeating: 0, count: n) }
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
}
