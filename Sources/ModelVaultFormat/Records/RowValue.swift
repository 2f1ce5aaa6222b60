/// A decoded field value of a Record (docs/file-format.md §6.5).
///
/// An optional that is present decodes to its inner value; an absent one is `.none`. Enum values
/// travel as tagged strings and decode to `.string` (variant membership is a validation matter,
/// not a decode one: see `RowValue.init(parsing:as:)`).
public indirect enum RowValue: Equatable, Sendable {
    case bool(Bool)
    case int64(Int64)
    case uint64(UInt64)
    case float64(Double)
    case string(String)
    case bytes([UInt8])
    /// 16 bytes in RFC 4122 (big-endian) order.
    case uuid([UInt8])
    /// Microseconds since the Unix epoch (UTC); any i64 is accepted.
    case timestamp(Int64)
    /// An absent optional.
    case none
    case list([RowValue])
    /// An object's members in declared order.
    case object([Member])

    public struct Member: Equatable, Sendable {
        public var path: FieldPath
        public var value: RowValue

        public init(path: FieldPath, value: RowValue) {
            self.path = path
            self.value = value
        }
    }

    /// The canonical key bytes of a scalar (docs/file-format.md §6.6), as Index entries carry
    /// them; nil for none, list and object.
    public var canonicalKey: [UInt8]? {
        switch self {
        case .bool(let value): return [0, value ? 1 : 0]
        case .int64(let value), .timestamp(let value): return Self.littleEndian(UInt64(bitPattern: value))
        case .uint64(let value): return Self.littleEndian(value)
        case .float64(let value): return Self.littleEndian((value == 0 ? 0.0 : value).bitPattern)
        case .string(let value): return Array(value.utf8)
        case .bytes(let value), .uuid(let value): return value
        case .none, .list, .object: return nil
        }
    }

    private static func littleEndian(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        return bytes
    }
}

/// A tag byte (0..7) and the scalar it announces: the encoding of primary keys, of every v1
/// field and of every primitive inside a row value.
///
/// Each reader comes in two forms that accept and refuse exactly the same bytes: `decode`
/// builds the value, `skip` only checks it (the deep check's path, which builds nothing).
public enum TaggedScalar {
    /// Decodes any tagged scalar. An unknown tag → `record_payload_type_mismatch`; a string or
    /// bytes length above 16 MiB → `invalid_catalog_payload` (checked before the bytes are
    /// looked for); invalid UTF-8 → `invalid_record_utf8`.
    public static func decode(_ reader: inout ByteReader) throws(RecordDecodeError) -> RowValue {
        let at = reader.offset
        return try decodeValue(tag: try readTag(&reader, expecting: nil, what: ""), tagOffset: at, &reader)
    }

    /// Decodes a tagged scalar whose tag must be `expected`.
    public static func decode(_ reader: inout ByteReader, expecting expected: UInt8, what: @autoclosure () -> String)
        throws(RecordDecodeError) -> RowValue
    {
        let at = reader.offset
        return try decodeValue(tag: try readTag(&reader, expecting: expected, what: what()), tagOffset: at, &reader)
    }

    /// Checks a tagged scalar (whose tag must be `expected` unless it is nil) and steps over it.
    public static func skip(_ reader: inout ByteReader, expecting expected: UInt8?, what: @autoclosure () -> String)
        throws(RecordDecodeError)
    {
        let at = reader.offset
        try skipValue(tag: try readTag(&reader, expecting: expected, what: what()), tagOffset: at, &reader)
    }

    private static func readTag(_ reader: inout ByteReader, expecting expected: UInt8?, what: @autoclosure () -> String)
        throws(RecordDecodeError) -> UInt8
    {
        let at = reader.offset
        let tag = try RecordDecodeError.mapping { () throws(FormatError) in try reader.u8() }
        if let expected, tag != expected {
            throw RecordDecodeError(
                .recordPayloadTypeMismatch,
                "\(what()) carries tag \(tag) where tag \(expected) was expected", at: at)
        }
        return tag
    }

    static func decodeValue(tag: UInt8, tagOffset: UInt64, _ reader: inout ByteReader) throws(RecordDecodeError)
        -> RowValue
    {
        guard tag <= 7 else { throw unknownTag(tag, at: tagOffset) }
        let at = reader.offset
        // nil: a string whose bytes are not UTF-8.
        let value = try RecordDecodeError.mapping { () throws(FormatError) -> RowValue? in
            switch tag {
            case 0: return .bool(try reader.u8() != 0)  // the engine reads any non-zero byte as true
            case 1: return .int64(try reader.i64())
            case 2: return .uint64(try reader.u64())
            case 3: return .float64(try reader.f64())
            case 4:
                return try reader.utf8String(field: .fieldLength, maximum: RecordLimits.maxValueLength).map {
                    .string($0)
                }
            case 5: return .bytes(try reader.lengthPrefixed(field: .fieldLength, maximum: RecordLimits.maxValueLength))
            case 6: return .uuid(try reader.bytes(16))
            default: return .timestamp(try reader.i64())  // 7
            }
        }
        guard let value else { throw invalidUTF8(at: at) }
        return value
    }

    static func skipValue(tag: UInt8, tagOffset: UInt64, _ reader: inout ByteReader) throws(RecordDecodeError) {
        guard tag <= 7 else { throw unknownTag(tag, at: tagOffset) }
        let at = reader.offset
        // false: a string whose bytes are not UTF-8.
        let valid = try RecordDecodeError.mapping { () throws(FormatError) -> Bool in
            switch tag {
            case 0: try reader.skip(1)
            case 4:
                return UTF8Validation.isValid(
                    try reader.lengthPrefixedView(field: .fieldLength, maximum: RecordLimits.maxValueLength))
            case 5: try reader.skipLengthPrefixed(field: .fieldLength, maximum: RecordLimits.maxValueLength)
            case 6: try reader.skip(16)
            default: try reader.skip(8)  // 1, 2, 3, 7
            }
            return true
        }
        guard valid else { throw invalidUTF8(at: at) }
    }

    private static func invalidUTF8(at offset: UInt64) -> RecordDecodeError {
        RecordDecodeError(.invalidRecordUTF8, "string value is not valid UTF-8", at: offset)
    }

    private static func unknownTag(_ tag: UInt8, at offset: UInt64) -> RecordDecodeError {
        RecordDecodeError(.recordPayloadTypeMismatch, "unknown scalar tag \(tag)", at: offset)
    }
}

extension RowValue {
    /// Decodes a row value by its declared type (docs/file-format.md §6.5): a primitive is a tagged
    /// scalar with the matching tag; optional a presence byte 0/1 (other → mismatch) then the inner
    /// value; list a u32 count (≤ 2^20, checked before any element) then the elements; object each
    /// member's value in declared order; enum a tagged string.
    ///
    /// Enum membership is not checked: 0.16.0 decodes a non-member and only then rejects the
    /// row as a validation error (`ModelVaultValidationError`, no variant), like a constraint.
    /// Recursion follows the declared type, whose depth the catalog bounds; a deeper type built
    /// by hand is refused rather than followed.
    public init(parsing reader: inout ByteReader, as type: FieldType, depth: Int = 0) throws(RecordDecodeError) {
        try Self.checkDepth(depth, at: reader.offset)
        if let tag = type.scalarTag {
            self = try TaggedScalar.decode(&reader, expecting: tag, what: "\(type.name) value")
            return
        }
        switch type {
        case .optional(let inner):
            self = try Self.readPresence(&reader) ? RowValue(parsing: &reader, as: inner, depth: depth + 1) : .none
        case .list(let element):
            let count = try Self.readListCount(&reader)
            var elements: [RowValue] = []
            for _ in 0..<count { elements.append(try RowValue(parsing: &reader, as: element, depth: depth + 1)) }
            self = .list(elements)
        case .object(let members):
            var values: [Member] = []
            for member in members {
                values.append(
                    Member(path: member.path, value: try RowValue(parsing: &reader, as: member.type, depth: depth + 1)))
            }
            self = .object(values)
        case .enumeration:
            self = try TaggedScalar.decode(&reader, expecting: 4, what: "enum value")
        default:
            preconditionFailure("primitive types are handled above")
        }
    }

    private static func checkDepth(_ depth: Int, at offset: UInt64) throws(RecordDecodeError) {
        guard depth <= FieldType.maximumDepth + 1 else {
            throw RecordDecodeError(
                .recordPayloadTypeMismatch, "declared type nests deeper than \(FieldType.maximumDepth)", at: offset)
        }
    }

    /// An optional's presence byte: 0 absent, 1 present, anything else a mismatch.
    static func readPresence(_ reader: inout ByteReader) throws(RecordDecodeError) -> Bool {
        let at = reader.offset
        let presence = try RecordDecodeError.mapping { () throws(FormatError) in try reader.u8() }
        guard presence <= 1 else {
            throw RecordDecodeError(
                .recordPayloadTypeMismatch, "optional presence byte \(presence), expected 0 or 1", at: at)
        }
        return presence == 1
    }

    /// A list's element count, refused above 2^20 before any element is looked for.
    static func readListCount(_ reader: inout ByteReader) throws(RecordDecodeError) -> UInt32 {
        let at = reader.offset
        let count = try RecordDecodeError.mapping { () throws(FormatError) in try reader.u32() }
        guard count <= RecordLimits.maxEntryCount else {
            throw RecordDecodeError(
                .invalidCatalogPayload, "list count \(count) exceeds maximum \(RecordLimits.maxEntryCount)", at: at)
        }
        return count
    }
}
