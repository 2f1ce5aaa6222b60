import ModelVaultFormat

/// Reads a row value by its declared type (docs/file-format.md §6.5) and writes its JSON text
/// (as `RowText` writes the decoded value) without building the value: strings and bytes go
/// from the payload to the output in one copy. Accepts what `RowValue(parsing:as:)` accepts
/// (tags, presence bytes, list counts, lengths, UTF-8), failing with a `RecordDecodeError`
/// otherwise; the tests hold the two to the same output. With a redacting `redactor`, strings,
/// bytes and uuids are written as `RowText.append` redacts them.
enum JSONTranscoder {
    static func append(
        _ reader: inout ByteReader, as type: FieldType, redactor: Redactor = .keep, to out: inout [UInt8],
        depth: Int = 0
    ) throws(RecordDecodeError) {
        guard depth <= FieldType.maximumDepth + 1 else {
            throw RecordDecodeError(
                .recordPayloadTypeMismatch, "declared type nests deeper than \(FieldType.maximumDepth)",
                at: reader.offset)
        }
        switch type {
        case .optional(let inner):
            if try presence(&reader) {
                try append(&reader, as: inner, redactor: redactor, to: &out, depth: depth + 1)
            } else {
                out += "null".utf8
            }
        case .list(let element):
            let count = try listCount(&reader)
            out.append(UInt8(ascii: "["))
            for index in 0..<count {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                try append(&reader, as: element, redactor: redactor, to: &out, depth: depth + 1)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.allSatisfy({ $0.path.segments.count == 1 }) {
                out.append(UInt8(ascii: "{"))
                for (index, member) in members.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    RowText.appendString(member.path.segments[0], to: &out)
                    out.append(UInt8(ascii: ":"))
                    try append(&reader, as: member.type, redactor: redactor, to: &out, depth: depth + 1)
                }
                out.append(UInt8(ascii: "}"))
            } else {
                var tree = ObjectTree()
                for member in members {
                    var json: [UInt8] = []
                    try append(&reader, as: member.type, redactor: redactor, to: &json, depth: depth + 1)
                    tree.insert(path: member.path.segments, json: json)
                }
                tree.append(to: &out)
            }
        case .enumeration:
            try scalar(&reader, tag: 4, what: "enum value", redactor: redactor, to: &out)
        default:
            try scalar(&reader, tag: type.scalarTag!, what: "\(type.name) value", redactor: redactor, to: &out)
        }
    }

    /// A tagged scalar whose tag must be `tag`.
    private static func scalar(
        _ reader: inout ByteReader, tag: UInt8, what: @autoclosure () -> String, redactor: Redactor,
        to out: inout [UInt8]
    ) throws(RecordDecodeError) {
        let at = reader.offset
        let found = try read(at: at) { () throws(FormatError) in try reader.u8() }
        guard found == tag else {
            throw RecordDecodeError(
                .recordPayloadTypeMismatch, "\(what()) carries tag \(found) where tag \(tag) was expected", at: at)
        }
        switch tag {
        case 4:
            let textAt = reader.offset
            let text = try read(at: textAt) { () throws(FormatError) in
                try reader.lengthPrefixedView(field: .fieldLength, maximum: RecordLimits.maxValueLength)
            }
            guard UTF8Validation.isValid(text) else {
                throw RecordDecodeError(.invalidRecordUTF8, "string value is not valid UTF-8", at: textAt)
            }
            if redactor.redacts {
                RowText.appendString(Redactor.redacted(text), to: &out)
            } else {
                RowText.appendString(utf8: text, to: &out)
            }
        case 5:
            let bytes = try read(at: reader.offset) { () throws(FormatError) in
                try reader.lengthPrefixedView(field: .fieldLength, maximum: RecordLimits.maxValueLength)
            }
            if redactor.redacts {
                RowText.appendString(Redactor.redacted(bytes), to: &out)
            } else {
                RowText.tagged("$bytes", to: &out) { Base64.append(bytes, to: &$0) }
            }
        default:
            // Fixed-size scalars: decoded (no allocation) and written as `RowText` writes them.
            let value = try read(at: reader.offset) { () throws(FormatError) -> RowValue in
                switch tag {
                case 0: return .bool(try reader.u8() != 0)
                case 1: return .int64(try reader.i64())
                case 2: return .uint64(try reader.u64())
                case 3: return .float64(try reader.f64())
                case 6: return .uuid(try reader.bytes(16))
                default: return .timestamp(try reader.i64())
                }
            }
            RowText.append(value, redactor: redactor, to: &out)
        }
    }

    private static func presence(_ reader: inout ByteReader) throws(RecordDecodeError) -> Bool {
        let at = reader.offset
        let byte = try read(at: at) { () throws(FormatError) in try reader.u8() }
        guard byte <= 1 else {
            throw RecordDecodeError(
                .recordPayloadTypeMismatch, "optional presence byte \(byte), expected 0 or 1", at: at)
        }
        return byte == 1
    }

    private static func listCount(_ reader: inout ByteReader) throws(RecordDecodeError) -> Int {
        let at = reader.offset
        let count = try read(at: at) { () throws(FormatError) in try reader.u32() }
        guard count <= RecordLimits.maxEntryCount else {
            throw RecordDecodeError(
                .invalidCatalogPayload, "list count \(count) exceeds maximum \(RecordLimits.maxEntryCount)", at: at)
        }
        return Int(count)
    }

    /// A reader fault as the decode reports it: running short is `truncated_record_payload`.
    private static func read<T>(at offset: UInt64, _ body: () throws(FormatError) -> T) throws(RecordDecodeError) -> T {
        do { return try body() } catch {
            throw RecordDecodeError(.truncatedRecordPayload, "\(error)", at: error.offset)
        }
    }
}
