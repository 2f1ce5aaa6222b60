import ModelVaultFormat

/// The JSON text of decoded values, as export lines carry them (docs/export-format.md): JSON's
/// own types where they fit, and a one-key object where they do not — `{"$bytes": …}`,
/// `{"$uuid": …}`, `{"$timestamp": …}`, and `{"$float": "nan" | "inf" | "-inf"}`. Nothing is
/// lost: integers are exact, a float reads back to the same bits (`-0.0` included).
public enum RowText {
    /// Appends the JSON text of `value` to `out`.
    public static func append(_ value: RowValue, to out: inout String) {
        switch value {
        case .bool(let flag): out += flag ? "true" : "false"
        case .int64(let number): out += String(number)
        case .uint64(let number): out += String(number)
        case .float64(let number): appendFloat(number, to: &out)
        case .string(let text): appendString(text, to: &out)
        case .bytes(let bytes): tagged("$bytes", Base64.encode(bytes), to: &out)
        case .uuid(let bytes): tagged("$uuid", uuidText(bytes), to: &out)
        case .timestamp(let micros): tagged("$timestamp", Timestamp.text(microseconds: micros), to: &out)
        case .none: out += "null"
        case .list(let elements):
            out += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { out += "," }
                append(element, to: &out)
            }
            out += "]"
        case .object(let members):
            var tree = ObjectTree()
            for member in members {
                var text = ""
                append(member.value, to: &text)
                tree.insert(path: member.path.segments, json: text)
            }
            tree.append(to: &out)
        }
    }

    /// The JSON text of `value`.
    public static func text(_ value: RowValue) -> String {
        var out = ""
        append(value, to: &out)
        return out
    }

    /// A finite float as the shortest decimal that reads back to the same bits (always with a
    /// fraction or an exponent, so it reads back as a float); the others tagged.
    static func appendFloat(_ number: Double, to out: inout String) {
        if number.isNaN {
            tagged("$float", "nan", to: &out)
        } else if number.isInfinite {
            tagged("$float", number < 0 ? "-inf" : "inf", to: &out)
        } else {
            out += number.description
        }
    }

    static func tagged(_ tag: String, _ text: String, to out: inout String) {
        out += "{\""
        out += tag
        out += "\":\""
        out += text
        out += "\"}"
    }

    /// A JSON string literal: `"` and `\` escaped, control characters as `\n`, `\t`, … or
    /// `\u00XX`; everything else as UTF-8.
    public static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u00"
                out += String(scalar.value >> 4, radix: 16)
                out += String(scalar.value & 15, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// 8-4-4-4-12 lowercase hex of 16 bytes.
    static func uuidText(_ bytes: [UInt8]) -> String {
        var out = ""
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { out += "-" }
            out += String(byte >> 4, radix: 16)
            out += String(byte & 15, radix: 16)
        }
        return out
    }
}

/// Members given by path (one or more segments) gathered into nested JSON objects, in the
/// order their first segments were first seen: a row whose schema has `dims.w` and `dims.h`
/// comes out as `"dims": {"w": …, "h": …}`, as the engine shows it.
struct ObjectTree {
    private enum Node {
        case leaf(String)
        case branch(ObjectTree)
    }
    private var names: [String] = []
    private var nodes: [String: Node] = [:]

    mutating func insert(path: [String], json: String) {
        guard let first = path.first else { return }
        if path.count == 1 {
            if nodes[first] == nil { names.append(first) }
            nodes[first] = .leaf(json)
            return
        }
        var child: ObjectTree
        if case .branch(let existing) = nodes[first] {
            child = existing
        } else {
            if nodes[first] == nil { names.append(first) }
            child = ObjectTree()
        }
        child.insert(path: Array(path.dropFirst()), json: json)
        nodes[first] = .branch(child)
    }

    func append(to out: inout String) {
        out += "{"
        for (index, name) in names.enumerated() {
            if index > 0 { out += "," }
            RowText.appendString(name, to: &out)
            out += ":"
            switch nodes[name]! {
            case .leaf(let json): out += json
            case .branch(let tree): tree.append(to: &out)
            }
        }
        out += "}"
    }
}
