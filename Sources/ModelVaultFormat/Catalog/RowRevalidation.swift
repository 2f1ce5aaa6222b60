/// What ModelVault 0.16.0 makes, when it opens a file, of the rows written under an earlier
/// schema version of a collection: it replays every row against the collection's last version.
/// Worked out from the two versions alone, so it holds for every such row; what depends on
/// the values themselves (a changed type, new constraints or enum variants) is only flagged.
///
/// The engine's order, as measured: a record whose layout cannot be read under the last version
/// is refused as stale (`invalid_catalog_payload`); a row is then validated as at insert time,
/// first its top-level names in byte order (a name the last version lacks is an "unknown
/// field"), then the last version's fields in schema order (a required one absent is a
/// "missing field", a present one is checked by value).
public struct RowRevalidation: Equatable, Sendable {
    /// A failure every row written under the older version meets.
    public enum Failure: Equatable, Sendable {
        /// "stale record schema_version K layout incompatible with catalog version N".
        case staleLayout
        /// "validation error at NAME: unknown field".
        case unknownField(String)
        /// "validation error at NAME: missing field".
        case missingField(String)
    }

    /// The failure that is certain, if any.
    public var failure: Failure?
    /// A field, before any certain failure in the engine's order, whose check depends on the
    /// row's value: its type or constraints differ between the two versions.
    public var valueDependent: FieldPath?

    /// How rows written under `older` fare against `last` (a later version of the same
    /// collection, with primary field `primaryField`).
    public init(rowsWrittenUnder older: Catalog.Version, against last: Catalog.Version, primaryField: String?) {
        // A v3 record (nested paths) must carry fewer fields than the last version, a v2 one no
        // more.
        let written = older.nonKeyFields.count
        let expected = last.nonKeyFields.count
        if older.hasNestedNonKeyField ? written >= expected : written > expected {
            failure = .staleLayout
            return
        }
        let before = Dictionary(older.fields.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        func differs(_ field: FieldDefinition) -> Bool {
            guard let old = before[field.path] else { return false }
            let relaxed = field.type == .optional(old.type) && field.constraints == old.constraints
            return !relaxed && (old.type != field.type || old.constraints != field.constraints)
        }
        guard !last.hasNestedNonKeyField else {
            // Rows of a schema with nested paths are checked leaf by leaf; only what a value
            // decides is flagged.
            valueDependent = last.fields.first(where: differs)?.path
            return
        }
        let names = Set(older.fields.map { $0.path.segments[0] })
        let lastNames = Set(last.fields.map { $0.path.segments[0] })
        if let unknown = names.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            .first(where: { !lastNames.contains($0) })
        {
            failure = .unknownField(unknown)
            return
        }
        for field in last.fields {
            let name = field.path.segments[0]
            if name == primaryField { continue }
            if !names.contains(name) {
                if case .optional = field.type { continue }
                failure = .missingField(name)
                return
            }
            if valueDependent == nil && differs(field) { valueDependent = field.path }
        }
    }
}
