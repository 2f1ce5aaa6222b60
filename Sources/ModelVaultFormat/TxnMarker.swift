/// A TxnBegin / TxnCommit / TxnAbort payload (docs/file-format.md §6.1): 24 bytes with an inner CRC
/// over bytes 0..17. In minor 6 the engine refuses the file when a marker it reaches is malformed.
public struct TxnMarker: Equatable, Sendable {
    public static let length = 24

    public var version: UInt16
    public var txnId: UInt64
    public var storedCRC: UInt32
    public var computedCRC: UInt32

    public init(parsing bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FormatError) {
        guard bytes.count == Self.length else {
            throw FormatError(
                .wrongLength(field: .txnMarkerPayload, expected: Self.length, got: bytes.count), at: offset)
        }
        var reader = ByteReader(bytes, baseOffset: offset)
        version = try reader.u16()
        txnId = try reader.u64()
        try reader.skip(8)
        storedCRC = try reader.u32()
        computedCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<18]))
        guard version == 0 else {
            throw FormatError(.unsupported(field: .txnPayloadVersion, value: UInt64(version)), at: offset)
        }
        guard storedCRC == computedCRC else {
            throw FormatError(
                .checksumMismatch(field: .txnMarkerInner, computed: computedCRC, stored: storedCRC), at: offset + 18)
        }
    }
}
