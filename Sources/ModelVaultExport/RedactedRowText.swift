import ModelVaultFormat

extension Redactor {
    /// The JSON text of a field value: as `RowText` writes it, or with every string, byte string
    /// and uuid replaced by its redacted form (a JSON string), lists and objects kept in shape.
    /// Numbers, bools and timestamps are kept: they are not text a person wrote.
    func json(_ value: RowValue) -> String {
        guard redacts else { return RowText.text(value) }
        switch value {
        case .string(let text): return Self.quoted(Self.redacted(text.utf8))
        case .bytes(let bytes), .uuid(let bytes): return Self.quoted(Self.redacted(bytes))
        case .list(let elements): return "[" + elements.map(json).joined(separator: ",") + "]"
        case .object(let members): return objectJSON(members)
        default: return RowText.text(value)
        }
    }

    /// The JSON text of a key: as `RowText` writes it, or (whatever its type) the redacted form
    /// of its canonical key bytes, so a key redacts alike here, in `walk` and in findings.
    func jsonKey(_ key: RowValue) -> String {
        guard redacts, let bytes = key.canonicalKey else { return RowText.text(key) }
        return Self.quoted(Self.redacted(bytes))
    }

    private func objectJSON(_ members: [RowValue.Member]) -> String {
        var tree = ObjectTree()
        for member in members { tree.insert(path: member.path.segments, json: json(member.value)) }
        var out = ""
        tree.append(to: &out)
        return out
    }

    private static func quoted(_ text: String) -> String {
        var out = ""
        RowText.appendString(text, to: &out)
        return out
    }
}
