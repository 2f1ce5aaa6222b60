/// The engine's validation of a row against a schema version, as ModelVault 0.16.0 applies it
/// to every row it replays (against the collection's last version) and at every insert: the
/// same checks in the same order with the same messages.
///
/// Order: the row's top-level names in byte order (one the version lacks is an "unknown
/// field"); then the version's fields in schema order, the primary field skipped: absent (an
/// optional may be), null where required, then by type, each composite's members or items
/// before its own constraints, constraints in declared order.
public enum RowValidator {
    /// Why the engine refuses a row: "validation error at PATH: MESSAGE".
    public struct Failure: Equatable, Sendable {
        public var path: [String]
        public var message: String

        public var dottedPath: String { path.joined(separator: ".") }
    }

    public enum Outcome: Equatable, Sendable {
        case valid
        case invalid(Failure)
        /// A regex constraint whose pattern this build cannot evaluate as the engine would.
        case undecidable(path: [String])
    }

    /// A row as a record carries it: the primary key and each non-key top-level field present.
    /// A value a message quotes (one outside a numeric constraint's bounds) is rendered by
    /// `redactor`.
    public static func validate(
        row: [(name: String, value: RowValue)], against version: Catalog.Version, primaryField: String?,
        redactor: Redactor = .keep
    ) -> Outcome {
        let names = Set(version.fields.map { $0.path.segments[0] })
        if let unknown = row.map(\.name).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            .first(where: { !names.contains($0) })
        {
            return .invalid(Failure(path: [unknown], message: "unknown field"))
        }
        let values = Dictionary(row.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        do throws(Stop) {
            for field in version.fields {
                let name = field.path.segments[0]
                if name == primaryField { continue }
                let optional = field.type.isOptional
                guard let value = values[name] else {
                    if optional { continue }
                    return .invalid(Failure(path: [name], message: "missing field"))
                }
                if value == .none && !optional {
                    return .invalid(Failure(path: [name], message: "unexpected null for required field"))
                }
                var path = [name]
                try check(value, as: field.type, constraints: field.constraints, at: &path, redactor: redactor)
            }
            return .valid
        } catch {
            switch error {
            case .invalid(let failure): return .invalid(failure)
            case .undecidable(let path): return .undecidable(path: path)
            }
        }
    }

    /// What ends a check short of a valid row.
    private enum Stop: Error {
        case invalid(Failure)
        /// A regex constraint this build cannot evaluate, at this path.
        case undecidable(path: [String])
    }

    private static func check(
        _ value: RowValue, as type: FieldType, constraints: [Constraint], at path: inout [String], redactor: Redactor
    ) throws(Stop) {
        func fail(_ message: String) -> Stop { .invalid(Failure(path: path, message: message)) }
        switch type {
        case .optional(let inner):
            if value == .none { return }
            try check(value, as: inner, constraints: [], at: &path, redactor: redactor)
        case .bool:
            guard case .bool = value else { throw fail("expected bool") }
        case .int64:
            guard case .int64 = value else { throw fail("expected int64") }
        case .uint64:
            guard case .uint64 = value else { throw fail("expected uint64") }
        case .float64:
            guard case .float64 = value else { throw fail("expected float64") }
        case .string:
            guard case .string = value else { throw fail("expected string") }
        case .bytes:
            guard case .bytes = value else { throw fail("expected bytes") }
        case .uuid:
            guard case .uuid = value else { throw fail("expected uuid") }
        case .timestamp:
            guard case .timestamp = value else { throw fail("expected timestamp") }
        case .list(let inner):
            guard case .list(let items) = value else { throw fail("expected list") }
            for (index, item) in items.enumerated() {
                path.append(String(index))
                try check(item, as: inner, constraints: [], at: &path, redactor: redactor)
                path.removeLast()
            }
        case .object(let members):
            guard case .object(let present) = value else { throw fail("expected object") }
            let byName = Dictionary(
                present.map { ($0.path.segments[0], $0.value) }, uniquingKeysWith: { first, _ in first })
            for member in members {
                let name = member.path.segments[0]
                let child: RowValue
                if let found = byName[name] {
                    child = found
                } else if member.type.isOptional {
                    child = .none
                } else {
                    path.append(name)
                    throw fail("missing object field")
                }
                path.append(name)
                try check(child, as: member.type, constraints: [], at: &path, redactor: redactor)
                path.removeLast()
            }
            let declared = Set(members.map { $0.path.segments[0] })
            if let unknown = byName.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
                .first(where: { !declared.contains($0) })
            {
                path.append(unknown)
                throw fail("unknown field in object")
            }
        case .enumeration(let variants):
            guard case .string(let text) = value else { throw fail("expected string (enum)") }
            guard variants.contains(text) else {
                throw fail("enum value must be one of [\(variants.map(RustText.debug).joined(separator: ", "))]")
            }
        }
        try apply(constraints, to: value, at: path, redactor: redactor)
    }

    private static func apply(_ constraints: [Constraint], to value: RowValue, at path: [String], redactor: Redactor)
        throws(Stop)
    {
        func fail(_ message: String) -> Stop { .invalid(Failure(path: path, message: message)) }
        /// The row's value as a message quotes it.
        func quoted(_ shown: @autoclosure () -> String) -> String { redactor.scalar(value, shown: shown()) }
        for constraint in constraints {
            switch constraint {
            case .minI64(let minimum):
                guard case .int64(let n) = value else { throw fail("MinI64 constraint requires int64") }
                if n < minimum { throw fail("value \(quoted(String(n))) is below minimum \(minimum)") }
            case .maxI64(let maximum):
                guard case .int64(let n) = value else { throw fail("MaxI64 constraint requires int64") }
                if n > maximum { throw fail("value \(quoted(String(n))) is above maximum \(maximum)") }
            case .minU64(let minimum):
                guard case .uint64(let n) = value else { throw fail("MinU64 constraint requires uint64") }
                if n < minimum { throw fail("value \(quoted(String(n))) is below minimum \(minimum)") }
            case .maxU64(let maximum):
                guard case .uint64(let n) = value else { throw fail("MaxU64 constraint requires uint64") }
                if n > maximum { throw fail("value \(quoted(String(n))) is above maximum \(maximum)") }
            case .minF64(let minimum):
                guard case .float64(let n) = value else { throw fail("MinF64 constraint requires float64") }
                if n < minimum {
                    throw fail("value \(quoted(RustText.float(n))) is below minimum \(RustText.float(minimum))")
                }
            case .maxF64(let maximum):
                guard case .float64(let n) = value else { throw fail("MaxF64 constraint requires float64") }
                if n > maximum {
                    throw fail("value \(quoted(RustText.float(n))) is above maximum \(RustText.float(maximum))")
                }
            case .minLength(let minimum):
                guard let (kind, length) = measured(value) else {
                    throw fail("MinLength applies to string, bytes, or list")
                }
                if length < minimum { throw fail("\(kind) length \(length) is below minimum \(minimum)") }
            case .maxLength(let maximum):
                guard let (kind, length) = measured(value) else {
                    throw fail("MaxLength applies to string, bytes, or list")
                }
                if length > maximum { throw fail("\(kind) length \(length) is above maximum \(maximum)") }
            case .regex(let pattern):
                guard case .string(let text) = value else { throw fail("Regex constraint requires string") }
                // A pattern Swift's Regex does not accept cannot be judged as the engine's regex would.
                guard let regex = try? Regex(pattern) else { throw .undecidable(path: path) }
                if text.firstMatch(of: regex) == nil { throw fail("string does not match regex") }
            case .email:
                guard case .string(let text) = value else { throw fail("Email constraint requires string") }
                if !text.contains("@") || !text.contains(".") { throw fail("string is not a valid email shape") }
            case .url:
                guard case .string(let text) = value else { throw fail("Url constraint requires string") }
                if !text.hasPrefix("http://") && !text.hasPrefix("https://") {
                    throw fail("string must be an http(s) URL")
                }
            case .nonempty:
                guard let (kind, length) = measured(value) else {
                    throw fail("NonEmpty applies to string, bytes, or list")
                }
                if length == 0 { throw fail("\(kind) must be non-empty") }
            }
        }
    }

    /// A string's length in UTF-8 bytes, as Rust counts it; a byte string's; a list's.
    private static func measured(_ value: RowValue) -> (String, UInt64)? {
        switch value {
        case .string(let text): ("string", UInt64(text.utf8.count))
        case .bytes(let bytes): ("bytes", UInt64(bytes.count))
        case .list(let items): ("list", UInt64(items.count))
        default: nil
        }
    }
}

extension FieldType {
    var isOptional: Bool {
        if case .optional = self { return true }
        return false
    }
}
