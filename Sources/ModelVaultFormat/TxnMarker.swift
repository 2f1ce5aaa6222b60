/// A TxnBegin / TxnCommit / TxnAbort payload (docs/file-format.md §6.1): 24 bytes with an inner CRC
/// over bytes 0..17. In minor 6 the engine refuses the file when a marker it reaches is malformed.
public struct TxnMarker: Equatable, Sendable {
    public static let length = 24

    public var version: UInt16
    public var txnId: UInt64
    public var storedCRC: UInt32
    public var computedCRC: UInt32

    /// Why a marker payload does not decode. Plain values (no strings or arrays), so a segment
    /// event that carries one is copied as bytes: the walk meets two markers per transaction.
    public struct Fault: Error, Equatable, Sendable {
        public enum Kind: Equatable, Sendable {
            /// The payload is not `TxnMarker.length` bytes long.
            case wrongLength(got: Int)
            case unsupportedVersion(UInt16)
            /// The inner checksum over bytes 0..17 does not match.
            case innerChecksum(computed: UInt32, stored: UInt32)
        }

        public var kind: Kind
        /// Where the faulty field lies.
        public var offset: UInt64

        public init(_ kind: Kind, at offset: UInt64) {
            self.kind = kind
            self.offset = offset
        }

        /// The fault as a decoding error, as findings and messages name it.
        public var formatError: FormatError {
            switch kind {
            case .wrongLength(let got):
                FormatError(.wrongLength(field: .txnMarkerPayload, expected: TxnMarker.length, got: got), at: offset)
            case .unsupportedVersion(let version):
                FormatError(.unsupported(field: .txnPayloadVersion, value: UInt64(version)), at: offset)
            case .innerChecksum(let computed, let stored):
                FormatError(.checksumMismatch(field: .txnMarkerInner, computed: computed, stored: stored), at: offset)
            }
        }
    }

    public init(parsing bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(Fault) {
        guard bytes.count == Self.length else { throw Fault(.wrongLength(got: bytes.count), at: offset) }
        version = bytes.loadUnaligned(fromByteOffset: 0, as: UInt16.self).littleEndian
        txnId = bytes.loadUnaligned(fromByteOffset: 2, as: UInt64.self).littleEndian
        storedCRC = bytes.loadUnaligned(fromByteOffset: 18, as: UInt32.self).littleEndian
        computedCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<18]))
        guard version == 0 else { throw Fault(.unsupportedVersion(version), at: offset) }
        guard storedCRC == computedCRC else {
            throw Fault(.innerChecksum(computed: computedCRC, stored: storedCRC), at: offset + 18)
        }
    }
}
