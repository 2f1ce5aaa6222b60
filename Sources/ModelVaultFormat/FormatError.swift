/// A decoding failure at an absolute byte offset of the input.
///
/// Decoders never decide policy: they report what was expected and what was found, and the
/// forensic walk turns the error into a finding.
public struct FormatError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The field or structure a fault names; `description` is its name in messages.
    public enum Field: String, Sendable, CustomStringConvertible {
        case catalogVersion = "catalog version"
        case catalogEntryKind = "catalog entry kind"
        case collectionName = "collection name"
        case primaryField = "primary field"
        case fieldCount = "field count"
        case fieldTypeTag = "field type tag"
        case fieldPathSegment = "field path segment"
        case enumVariant = "enum variant"
        case constraintTag = "constraint tag"
        case regex = "regex"
        case indexKind = "index kind"
        case indexName = "index name"
        /// The length prefix of a string or bytes value (Record and Index payloads).
        case fieldLength = "field length"
        case checkpointVersion = "checkpoint version"
        case recordVersion = "record version"
        case manifestVersion = "manifest version"
        case txnMarkerPayload = "txn marker payload"
        case txnPayloadVersion = "txn payload version"
        case txnMarkerInner = "txn marker inner"

        public var description: String { rawValue }
    }

    public enum Kind: Equatable, Sendable {
        /// Fewer bytes remained than a field needs.
        case truncated(needed: Int, available: Int)
        /// A magic number did not match.
        case badMagic(expected: String, found: [UInt8])
        /// A version, kind or tag outside the accepted set.
        case unsupported(field: Field, value: UInt64)
        /// A length claim larger than the format allows.
        case tooLong(field: Field, length: UInt64, maximum: UInt64)
        /// A structure of fixed size found with another size.
        case wrongLength(field: Field, expected: Int, got: Int)
        /// Bytes left over after a structure that must fill its container exactly.
        case trailingBytes(count: Int)
        /// A checksum did not match.
        case checksumMismatch(field: Field, computed: UInt32, stored: UInt32)
        /// More definitions than the reader was allowed to build: a limit of the checker's own
        /// memory, not a fault of the input.
        case overBudget(limit: Int)
        /// Text that must be UTF-8 and is not.
        case notUTF8(field: Field)
        /// A type nested deeper than the engine allows.
        case nestingTooDeep(maximum: Int)
        /// A name or path segment that must not be empty and is.
        case empty(field: Field)
        /// A field path that names no segment.
        case pathWithoutSegments
        /// A collection created with a schema version other than 1.
        case createSchemaVersion(got: UInt32)
        /// A stop was requested (SIGINT, SIGTERM) while decoding: not a fault of the input.
        case interrupted(signal: Int32)
        /// Any other violated rule, described for people.
        case invalid(String)
    }

    public var offset: UInt64
    public var kind: Kind

    public init(_ kind: Kind, at offset: UInt64) {
        self.kind = kind
        self.offset = offset
    }

    /// Whether a decoder stopped at a limit of the checker's own memory.
    public var isOverBudget: Bool {
        if case .overBudget = kind { return true }
        return false
    }

    public var description: String {
        switch kind {
        case .truncated(let needed, let available):
            return "needs \(needed) bytes at offset \(offset), only \(available) remain"
        case .badMagic(let expected, let found):
            return "expected magic \"\(expected)\", found \(Hex.bytes(found)) at offset \(offset)"
        case .unsupported(let field, let value):
            return "unsupported \(field) \(value) at offset \(offset)"
        case .tooLong(let field, let length, let maximum):
            return "\(field) \(length) exceeds maximum \(maximum) at offset \(offset)"
        case .wrongLength(let field, let expected, let got):
            return "\(field): expected \(expected) bytes, got \(got) at offset \(offset)"
        case .trailingBytes(let count):
            return "\(count) unexpected trailing bytes at offset \(offset)"
        case .checksumMismatch(let field, let computed, let stored):
            return "\(field) CRC-32C \(Hex.u32(computed)) does not match stored \(Hex.u32(stored))"
        case .overBudget(let limit):
            return "more than \(limit) catalog definitions at offset \(offset)"
        case .notUTF8(let field):
            return "\(field) is not valid UTF-8 at offset \(offset)"
        case .nestingTooDeep(let maximum):
            return "type nesting deeper than \(maximum) at offset \(offset)"
        case .empty(let field):
            return "empty \(field) at offset \(offset)"
        case .pathWithoutSegments:
            return "field path with no segments at offset \(offset)"
        case .createSchemaVersion(let got):
            return "create collection with schema version \(got), expected 1 at offset \(offset)"
        case .interrupted(let signal):
            return "interrupted by signal \(signal) at offset \(offset)"
        case .invalid(let text):
            return "\(text) at offset \(offset)"
        }
    }
}

/// Hexadecimal formatting shared by messages.
public enum Hex {
    public static func u32(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    public static func bytes(_ bytes: [UInt8]) -> String {
        "["
            + bytes.map { b in
                let d = String(b, radix: 16)
                return d.count == 1 ? "0" + d : d
            }.joined(separator: " ") + "]"
    }
}
