import ModelVaultFormat

/// A row as the engine shows it: an object with the primary field and every field of a schema
/// version (`shown`), in that version's order, nested paths as nested objects. A field `shown`
/// has and the row was not written with (a row from before an optional field was added) is
/// `null`, as the engine shows it; a field the row has and `shown` lacks follows the rest.
enum RowObject {
    /// - Parameters:
    ///   - shown: the version whose fields are listed (the collection's current one for live
    ///     rows, the written one for history).
    ///   - written: the version the row's fields were decoded against (`fields` index its
    ///     non-key fields).
    static func append(
        shown: Catalog.Version?, written: Catalog.Version?, primaryField: String?, keyJSON: ArraySlice<UInt8>,
        fields: [RowVersion.Field], to out: inout [UInt8]
    ) {
        if let shown, let written, shown.version == written.version, !shown.hasNestedNonKeyField {
            appendFlat(shown, primaryField: primaryField, keyJSON: keyJSON, fields: fields, to: &out)
            return
        }
        var tree = ObjectTree()
        var placed = Set<Int>()
        var keyPlaced = false
        for definition in shown?.fields ?? [] {
            let path = definition.path.segments
            if path.count == 1, path[0] == primaryField {
                tree.insert(path: path, json: Array(keyJSON))
                keyPlaced = true
                continue
            }
            let match = fields.firstIndex { field in
                written.map {
                    field.index < $0.nonKeyFields.count && $0.nonKeyFields[field.index].path.segments == path
                }
                    ?? false
            }
            if let match { placed.insert(match) }
            tree.insert(path: path, json: match.map { Array(fields[$0].json) } ?? Array("null".utf8))
        }
        if !keyPlaced, let primaryField { tree.insert(path: [primaryField], json: Array(keyJSON)) }
        for (index, field) in fields.enumerated() where !placed.contains(index) {
            guard let written, field.index < written.nonKeyFields.count else { continue }
            tree.insert(path: written.nonKeyFields[field.index].path.segments, json: Array(field.json))
        }
        tree.append(to: &out)
    }

    /// The common case, without building a tree: the row was written under the version shown,
    /// whose paths are all top-level.
    private static func appendFlat(
        _ version: Catalog.Version, primaryField: String?, keyJSON: ArraySlice<UInt8>, fields: [RowVersion.Field],
        to out: inout [UInt8]
    ) {
        out.append(UInt8(ascii: "{"))
        var nonKey = 0
        var keyPlaced = false
        for (position, definition) in version.fields.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            let name = definition.path.segments.first ?? ""
            RowText.appendString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            if !keyPlaced, definition.path.segments.count == 1, name == primaryField {
                out += keyJSON
                keyPlaced = true
                continue
            }
            // Fields come in schema order (v1, v2) or in any order (v3).
            if nonKey < fields.count, fields[nonKey].index == nonKey {
                out += fields[nonKey].json
            } else if let field = fields.first(where: { $0.index == nonKey }) {
                out += field.json
            } else {
                out += "null".utf8
            }
            nonKey += 1
        }
        if !keyPlaced, let primaryField {
            if !version.fields.isEmpty { out.append(UInt8(ascii: ",")) }
            RowText.appendString(primaryField, to: &out)
            out.append(UInt8(ascii: ":"))
            out += keyJSON
        }
        out.append(UInt8(ascii: "}"))
    }
}
