import ModelVaultFormat

/// A row as the engine shows it: an object with the primary field and every field of a schema
/// version, in that version's order, nested paths as nested objects. A field the version has
/// and the row was not written with (a row from before an optional field was added) is
/// `null`, as the engine shows it; a field the row has and the version lacks follows the rest.
enum RowObject {
    static func text(
        version: Catalog.Version?, primaryField: String?, keyJSON: String, fields: [(path: [String], json: String)]
    ) -> String {
        var tree = ObjectTree()
        var written: [[String]: String] = [:]
        for field in fields { written[field.path] = field.json }
        var placed = Set<[String]>()
        var keyPlaced = false
        for definition in version?.fields ?? [] {
            let path = definition.path.segments
            if path.count == 1, path[0] == primaryField {
                tree.insert(path: path, json: keyJSON)
                keyPlaced = true
            } else {
                tree.insert(path: path, json: written[path] ?? "null")
                placed.insert(path)
            }
        }
        if !keyPlaced, let primaryField { tree.insert(path: [primaryField], json: keyJSON) }
        for field in fields where !placed.contains(field.path) { tree.insert(path: field.path, json: field.json) }
        var out = ""
        tree.append(to: &out)
        return out
    }
}
