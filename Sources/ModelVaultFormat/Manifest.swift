/// A Manifest payload (docs/file-format.md §6.2): version 0 and a pointer the engine never checks.
public struct ManifestPayload: Equatable, Sendable {
    public static let length = 18

    public var version: UInt16
    public var lastSegmentOffset: UInt64
    public var lastSegmentLength: UInt64
    /// Bytes after the 18 the engine reads (it ignores them).
    public var trailingBytes: Int

    public init(parsing bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FormatError) {
        var reader = ByteReader(bytes, baseOffset: offset)
        version = try reader.u16()
        guard version == 0 else {
            throw FormatError(.unsupported(field: .manifestVersion, value: UInt64(version)), at: offset)
        }
        lastSegmentOffset = try reader.u64()
        lastSegmentLength = try reader.u64()
        trailingBytes = reader.remaining
    }
}
