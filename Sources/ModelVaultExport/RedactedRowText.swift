import ModelVaultFormat

extension Redactor {
    /// Appends the JSON text of a field value: as `RowText` writes it, or with every string,
    /// byte string and uuid replaced by its redacted form (a JSON string), lists and objects
    /// kept in shape. Numbers, bools and timestamps are kept: they are not text a person wrote.
    func append(_ value: RowValue, to out: inout [UInt8]) {
        guard redacts else { return RowText.append(value, to: &out) }
        switch value {
        case .string(let text): RowText.appendString(Self.redacted(text.utf8), to: &out)
        case .bytes(let bytes), .uuid(let bytes): RowText.appendString(Self.redacted(bytes), to: &out)
        case .list(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                append(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            var tree = ObjectTree()
            for member in members {
                var json: [UInt8] = []
                append(member.value, to: &json)
                tree.insert(path: member.path.segments, json: json)
            }
            tree.append(to: &out)
        default: RowText.append(value, to: &out)
        }
    }

    /// Appends the JSON text of a key: as `RowText` writes it, or (whatever its type) the
    /// redacted form of its canonical key bytes, so a key redacts alike here, in `walk` and in
    /// findings.
    func appendKey(_ key: RowValue, to out: inout [UInt8]) {
        guard redacts, let bytes = key.canonicalKey else { return RowText.append(key, to: &out) }
        RowText.appendString(Self.redacted(bytes), to: &out)
    }
}
