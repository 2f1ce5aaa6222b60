/// A field constraint (docs/file-format.md §6.4): a tag byte and its value.
public enum Constraint: Equatable, Sendable {
    case minI64(Int64)
    case maxI64(Int64)
    case minU64(UInt64)
    case maxU64(UInt64)
    case minF64(Double)
    case maxF64(Double)
    case minLength(UInt64)
    case maxLength(UInt64)
    case regex(String)
    case email, url, nonempty

    public init(parsing reader: inout ByteReader) throws(FormatError) {
        let at = reader.offset
        let tag = try reader.u8()
        switch tag {
        case 1: self = .minI64(try reader.i64())
        case 2: self = .maxI64(try reader.i64())
        case 3: self = .minU64(try reader.u64())
        case 4: self = .maxU64(try reader.u64())
        case 5: self = .minF64(try reader.f64())
        case 6: self = .maxF64(try reader.f64())
        case 7: self = .minLength(try reader.u64())
        case 8: self = .maxLength(try reader.u64())
        case 9:
            self = .regex(try reader.budgetedString(field: .regex, bytesPerStructure: CatalogLimits.bytesPerStructure))
        case 10: self = .email
        case 11: self = .url
        case 12: self = .nonempty
        default: throw FormatError(.unsupported(field: .constraintTag, value: UInt64(tag)), at: at)
        }
    }

    /// The key the engine's `fields_json` uses for this constraint.
    public var key: String {
        switch self {
        case .minI64: return "min_i64"
        case .maxI64: return "max_i64"
        case .minU64: return "min_u64"
        case .maxU64: return "max_u64"
        case .minF64: return "min_f64"
        case .maxF64: return "max_f64"
        case .minLength: return "min_length"
        case .maxLength: return "max_length"
        case .regex: return "regex"
        case .email: return "email"
        case .url: return "url"
        case .nonempty: return "nonempty"
        }
    }
}

/// A field of a schema version: path, type and (catalog v3+) constraints.
public struct FieldDefinition: Equatable, Sendable {
    public var path: FieldPath
    public var type: FieldType
    public var constraints: [Constraint]
}

/// An index definition (catalog v4+).
public struct IndexDefinition: Equatable, Sendable {
    public enum Kind: UInt8, Sendable {
        case unique = 1
        case nonUnique = 2
    }
    public var kind: Kind
    public var path: FieldPath
    public var name: String
}
