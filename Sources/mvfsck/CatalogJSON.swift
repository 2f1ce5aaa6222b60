import ModelVaultCheck
import ModelVaultFormat

/// The catalog in exactly the JSON shapes the engine's
/// `register_collection(name, fields_json, primary_field, indexes_json)` accepts, so a dump can
/// be fed back to recreate the collections.
enum CatalogJSON {
    static func render(_ catalog: Catalog) -> JSON {
        .object([("collections", .array(catalog.collections.map(collection)))])
    }

    static func collection(_ c: Catalog.Collection) -> JSON {
        .object([
            ("id", .uint(UInt64(c.id))),
            ("name", .string(c.name)),
            ("primary_field", .optional(c.primaryField) { .string($0) }),
            ("current_version", .uint(UInt64(c.currentVersion))),
            (
                "versions",
                .array(
                    c.versions.map { v in
                        .object([
                            ("version", .uint(UInt64(v.version))),
                            ("offset", .uint(v.segmentOffset)),
                            ("fields", .array(v.fields.map(field))),
                            ("indexes", .array(v.indexes.map(index))),
                        ])
                    })
            ),
        ])
    }

    static func field(_ f: FieldDefinition) -> JSON {
        .object([
            ("path", .array(f.path.segments.map { .string($0) })),
            ("type", type(f.type)),
            ("constraints", .array(f.constraints.map(constraint))),
        ])
    }

    static func type(_ t: FieldType) -> JSON {
        switch t {
        case .optional(let inner): return .object([("optional", type(inner))])
        case .list(let inner): return .object([("list", type(inner))])
        case .object(let members):
            return .object([
                (
                    "object",
                    .array(
                        members.map { m in
                            .object([("path", .array(m.path.segments.map { .string($0) })), ("type", type(m.type))])
                        })
                )
            ])
        case .enumeration(let variants): return .object([("enum", .array(variants.map { .string($0) }))])
        default: return .string(t.name)
        }
    }

    static func constraint(_ c: Constraint) -> JSON {
        let value: JSON
        switch c {
        case .minI64(let v), .maxI64(let v): value = .int(v)
        case .minU64(let v), .maxU64(let v), .minLength(let v), .maxLength(let v): value = .uint(v)
        case .minF64(let v), .maxF64(let v): value = .double(v)
        case .regex(let pattern): value = .string(pattern)
        case .email, .url, .nonempty: value = .bool(true)
        }
        return .object([(c.key, value)])
    }

    static func index(_ i: IndexDefinition) -> JSON {
        .object([
            ("name", .string(i.name)),
            ("path", .array(i.path.segments.map { .string($0) })),
            ("kind", .string(i.kind == .unique ? "unique" : "index")),
        ])
    }

    /// Text: one block per collection, one line per field.
    static func textLines(_ catalog: Catalog) -> [String] {
        if catalog.collections.isEmpty { return ["(no collections)"] }
        var lines: [String] = []
        for c in catalog.collections {
            lines.append(
                "collection #\(c.id) \(c.name)  primary field: \(c.primaryField ?? "(none)")"
                    + "  current version: \(c.currentVersion)"
            )
            for v in c.versions {
                lines.append("  version \(v.version) (Schema segment at \(v.segmentOffset))")
                for f in v.fields {
                    let constraints = f.constraints.map { CatalogJSON.constraint($0).compact }.joined(separator: " ")
                    lines.append(
                        "    \(f.path.dotted): \(f.type.name)" + (constraints.isEmpty ? "" : "  " + constraints))
                }
                for i in v.indexes {
                    lines.append(
                        "    index \(i.name) on \(i.path.dotted) (\(i.kind == .unique ? "unique" : "non-unique"))")
                }
            }
        }
        return lines
    }
}
