import ModelVaultFormat

/// Edits of real files' bytes that keep their checksums valid, so that the damage reaches past
/// the checksum checks.
extension Array where Element == UInt8 {
    /// Writes `value` little-endian over the bytes at `offset`.
    public mutating func put<T: FixedWidthInteger>(littleEndian value: T, at offset: Int) {
        Swift.withUnsafeBytes(of: value.littleEndian) { replaceSubrange(offset..<(offset + $0.count), with: $0) }
    }

    /// Recomputes the payload and header checksums of the segment whose 32-byte header starts at
    /// `offset`, its payload (of the length the header states) right after it.
    public mutating func resealSegment(at offset: Int) {
        let length = withUnsafeBytes {
            Int(UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset + 12, as: UInt64.self)))
        }
        let payload = (offset + 32)..<(offset + 32 + length)
        put(littleEndian: CRC32C.checksum(Array(self[payload])), at: offset + 20)
        put(littleEndian: CRC32C.checksum(Array(self[offset..<(offset + 28)])), at: offset + 28)
    }
}
