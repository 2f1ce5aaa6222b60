import ModelVaultFormat

/// The JSON text of decoded values, as export lines carry them (docs/export-format.md): JSON's
/// own types where they fit, and a one-key object where they do not — `{"$bytes": …}`,
/// `{"$uuid": …}`, `{"$timestamp": …}`, and `{"$float": "nan" | "inf" | "-inf"}`. Nothing is
/// lost: integers are exact, a float reads back to the same bits (`-0.0` included).
///
/// Written as UTF-8 bytes straight into the caller's buffer: an export renders every value of
/// every row, and building Strings would cost more than decoding them.
public enum RowText {
    /// Appends the JSON text of `value` to `out`. With a redacting `redactor`, every string,
    /// byte string and uuid is written as its redacted form (a JSON string), lists and objects
    /// keeping their shape; numbers, bools and timestamps are kept: they are not text a person
    /// wrote.
    public static func append(_ value: RowValue, redactor: Redactor = .keep, to out: inout [UInt8]) {
        switch value {
        case .bool(let flag): appendASCII(flag ? "true" : "false", to: &out)
        case .int64(let number):
            if number < 0 { out.append(UInt8(ascii: "-")) }
            appendDigits(number.magnitude, to: &out)
        case .uint64(let number): appendDigits(number, to: &out)
        case .float64(let number): appendFloat(number, to: &out)
        case .string(let text) where redactor.redacts: appendString(Redactor.redacted(text.utf8), to: &out)
        case .string(let text): appendString(text, to: &out)
        case .bytes(let bytes) where redactor.redacts, .uuid(let bytes) where redactor.redacts:
            appendString(Redactor.redacted(bytes), to: &out)
        case .bytes(let bytes): tagged("$bytes", to: &out) { Base64.append(bytes, to: &$0) }
        case .uuid(let bytes): tagged("$uuid", to: &out) { appendUUID(bytes, to: &$0) }
        case .timestamp(let micros):
            tagged("$timestamp", to: &out) { appendASCII(Timestamp.text(microseconds: micros), to: &$0) }
        case .none: appendASCII("null", to: &out)
        case .list(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                append(element, redactor: redactor, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            var tree = ObjectTree()
            for member in members {
                var json: [UInt8] = []
                append(member.value, redactor: redactor, to: &json)
                tree.insert(path: member.path.segments, json: json)
            }
            tree.append(to: &out)
        }
    }

    /// Appends the JSON text of a key: as `append` writes it, or (whatever its type) the
    /// redacted form of its canonical key bytes, so a key redacts alike here, in `walk` and in
    /// findings.
    static func appendKey(_ key: RowValue, redactor: Redactor, to out: inout [UInt8]) {
        guard redactor.redacts, let bytes = key.canonicalKey else { return append(key, to: &out) }
        appendString(Redactor.redacted(bytes), to: &out)
    }

    /// The JSON text of `value`.
    public static func text(_ value: RowValue) -> String {
        var out: [UInt8] = []
        append(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A finite float as the shortest decimal that reads back to the same bits (always with a
    /// fraction or an exponent, so it reads back as a float); the others tagged.
    static func appendFloat(_ number: Double, to out: inout [UInt8]) {
        if number.isNaN {
            tagged("$float", to: &out) { appendASCII("nan", to: &$0) }
        } else if number.isInfinite {
            tagged("$float", to: &out) { appendASCII(number < 0 ? "-inf" : "inf", to: &$0) }
        } else {
            appendASCII(number.description, to: &out)
        }
    }

    /// `{"tag":"…"}` with `body` writing the text between the quotes (which needs no escaping).
    static func tagged(_ tag: StaticString, to out: inout [UInt8], _ body: (inout [UInt8]) -> Void) {
        appendASCII("{\"", to: &out)
        out.append(contentsOf: UnsafeRawBufferPointer(start: tag.utf8Start, count: tag.utf8CodeUnitCount))
        appendASCII("\":\"", to: &out)
        body(&out)
        appendASCII("\"}", to: &out)
    }

    /// A JSON string literal: `"` and `\` escaped, control characters as `\n`, `\t`, … or
    /// `\u00XX`; every other byte of the UTF-8 as it is.
    public static func appendString(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendString(utf8: UnsafeRawBufferPointer($0), to: &out) }
    }

    /// `appendString` of text given as valid UTF-8.
    static func appendString(utf8 raw: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        do {
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            var start = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                start = index + 1
                switch byte {
                case 0x22: appendASCII("\\\"", to: &out)
                case 0x5C: appendASCII("\\\\", to: &out)
                case 0x0A: appendASCII("\\n", to: &out)
                case 0x0D: appendASCII("\\r", to: &out)
                case 0x09: appendASCII("\\t", to: &out)
                default:
                    appendASCII("\\u00", to: &out)
                    out.append(hexDigit(byte >> 4))
                    out.append(hexDigit(byte & 15))
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// 8-4-4-4-12 lowercase hex of 16 bytes.
    static func appendUUID(_ bytes: [UInt8], to out: inout [UInt8]) {
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hexDigit(byte >> 4))
            out.append(hexDigit(byte & 15))
        }
    }

    static func uuidText(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        appendUUID(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendASCII(_ text: String, to out: inout [UInt8]) {
        out.append(contentsOf: text.utf8)
    }

    static func appendDigits(_ value: UInt64, to out: inout [UInt8]) {
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

/// Members given by path (one or more segments) gathered into nested JSON objects, in the
/// order their first segments were first seen: a row whose schema has `dims.w` and `dims.h`
/// comes out as `"dims": {"w": …, "h": …}`, as the engine shows it.
struct ObjectTree {
    private enum Node {
        case leaf([UInt8])
        case branch(ObjectTree)
    }
    private var names: [String] = []
    private var nodes: [Node] = []

    mutating func insert(path: some Collection<String>, json: [UInt8]) {
        guard let first = path.first else { return }
        let index = names.firstIndex(of: first)
        if path.count == 1 {
            if let index { nodes[index] = .leaf(json) } else { add(first, .leaf(json)) }
            return
        }
        var child = ObjectTree()
        if let index, case .branch(let existing) = nodes[index] { child = existing }
        child.insert(path: path.dropFirst(), json: json)
        if let index { nodes[index] = .branch(child) } else { add(first, .branch(child)) }
    }

    private mutating func add(_ name: String, _ node: Node) {
        names.append(name)
        nodes.append(node)
    }

    func append(to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (index, name) in names.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            RowText.appendString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            switch nodes[index] {
            case .leaf(let json): out += json
            case .branch(let tree): tree.append(to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
    }
}
