import ModelVaultCheck
import ModelVaultFormat

/// `dump-catalog`: the catalog replayed by a structural walk, listed as the command lists it.
@_cdecl("LLVMFuzzerTestOneInput")
public func catalogOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzInput(data, size)
    guard let report = input.walk(command: "dump-catalog", deep: false) else { return 0 }
    for line in lines(report.catalog) { Sink.keep(line) }
    return 0
}

/// The text listing of `dump-catalog`, with every value its JSON form carries.
func lines(_ catalog: Catalog) -> [String] {
    var lines: [String] = []
    for c in catalog.collections {
        lines.append("collection #\(c.id) \(c.name) \(c.primaryField ?? "(none)") \(c.currentVersion)")
        if catalog.collection(id: c.id)?.id != c.id { lines.append("lookup") }
        for v in c.versions {
            lines.append(
                "  version \(v.version) at \(v.segmentOffset) \(v.nonKeyFields.count) \(v.hasNestedNonKeyField)")
            if let key = v.primaryFieldType { lines.append("  key: \(key.name)") }
            for f in v.fields {
                let constraints = f.constraints.map { "\($0.key)=\(value($0))" }.joined(separator: " ")
                let path = "\(f.path.dotted) [\(f.path.segments.count)]"
                lines.append("    \(path): \(f.type.name) \(f.type.scalarTag ?? 255) \(constraints)")
                lines.append(contentsOf: structure(f.type))
            }
            for i in v.indexes {
                lines.append("    index \(i.name) on \(i.path.dotted) (\(i.kind == .unique ? "unique" : "non-unique"))")
            }
        }
    }
    return lines
}

/// The nested shapes `CatalogJSON.type` walks.
func structure(_ t: FieldType, depth: Int = 0) -> [String] {
    switch t {
    case .optional(let inner), .list(let inner): return structure(inner, depth: depth + 1)
    case .object(let members):
        return members.flatMap { ["\(depth) \($0.path.segments)"] + structure($0.type, depth: depth + 1) }
    case .enumeration(let variants): return variants
    default: return []
    }
}

func value(_ c: Constraint) -> String {
    switch c {
    case .minI64(let v), .maxI64(let v): return "\(v)"
    case .minU64(let v), .maxU64(let v), .minLength(let v), .maxLength(let v): return "\(v)"
    case .minF64(let v), .maxF64(let v): return "\(v)"
    case .regex(let pattern): return pattern
    case .email, .url, .nonempty: return "true"
    }
}
