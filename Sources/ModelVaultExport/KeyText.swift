import ModelVaultFormat

/// How `--key VALUE` names a key: a string as itself; an integer, bool or float in decimal (as
/// the JSON shows it); a uuid as 8-4-4-4-12 hex; bytes as base64; a timestamp as its RFC 3339
/// text or its integer microseconds.
enum KeyText {
    static func matches(_ key: RowValue, _ text: String) -> Bool {
        switch key {
        case .string(let value): return value == text
        case .int64(let value): return Int64(text) == value
        case .uint64(let value): return UInt64(text) == value
        case .bool(let value): return text == (value ? "true" : "false")
        case .float64(let value): return Double(text).map { $0 == value || ($0.isNaN && value.isNaN) } ?? false
        case .uuid(let bytes): return RowText.uuidText(bytes) == text.lowercased()
        case .bytes(let bytes): return Base64.encode(bytes) == text
        case .timestamp(let micros): return Int64(text) == micros || Timestamp.text(microseconds: micros) == text
        case .none, .list, .object: return false
        }
    }
}
