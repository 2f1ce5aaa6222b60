/// A field's declared type (docs/file-format.md §6.4): a tag byte, nested for optional, list and
/// object.
public indirect enum FieldType: Equatable, Sendable {
    case bool, int64, uint64, float64, string, bytes, uuid, timestamp
    case optional(FieldType)
    case list(FieldType)
    case object([ObjectMember])
    case enumeration([String])

    public struct ObjectMember: Equatable, Sendable {
        public var path: FieldPath
        public var type: FieldType
    }

    /// The deepest nesting the engine accepts.
    public static let maximumDepth = 32

    static let scalarTags: [UInt8: FieldType] = [
        0: .bool, 1: .int64, 2: .uint64, 3: .float64, 4: .string, 5: .bytes, 6: .uuid, 7: .timestamp,
    ]

    public init(parsing reader: inout ByteReader, depth: Int = 0) throws(FormatError) {
        let at = reader.offset
        guard depth <= Self.maximumDepth else {
            throw FormatError(.nestingTooDeep(maximum: Self.maximumDepth), at: at)
        }
        try reader.countStructure()
        let tag = try reader.u8()
        if let scalar = Self.scalarTags[tag] {
            self = scalar
            return
        }
        switch tag {
        case 8: self = .optional(try FieldType(parsing: &reader, depth: depth + 1))
        case 9: self = .list(try FieldType(parsing: &reader, depth: depth + 1))
        case 10:
            let count = try reader.u32()
            var members: [ObjectMember] = []
            for index in 0..<Int(count) {
                try StopRequest.check(every: index, decodingAt: reader.offset)
                let path = try FieldPath(parsing: &reader)
                members.append(ObjectMember(path: path, type: try FieldType(parsing: &reader, depth: depth + 1)))
            }
            self = .object(members)
        case 11:
            let count = try reader.u32()
            var variants: [String] = []
            for index in 0..<Int(count) {
                try StopRequest.check(every: index, decodingAt: reader.offset)
                try reader.countStructure()
                variants.append(
                    try reader.budgetedString(field: .enumVariant, bytesPerStructure: CatalogLimits.bytesPerStructure)
                )
            }
            self = .enumeration(variants)
        default:
            throw FormatError(.unsupported(field: .fieldTypeTag, value: UInt64(tag)), at: at)
        }
    }

    /// The tag a tagged value of this type carries, for primitives; nil for the others.
    public var scalarTag: UInt8? {
        switch self {
        case .bool: return 0
        case .int64: return 1
        case .uint64: return 2
        case .float64: return 3
        case .string: return 4
        case .bytes: return 5
        case .uuid: return 6
        case .timestamp: return 7
        case .optional, .list, .object, .enumeration: return nil
        }
    }

    public var name: String {
        switch self {
        case .bool: return "bool"
        case .int64: return "int64"
        case .uint64: return "uint64"
        case .float64: return "float64"
        case .string: return "string"
        case .bytes: return "bytes"
        case .uuid: return "uuid"
        case .timestamp: return "timestamp"
        case .optional(let inner): return "optional<\(inner.name)>"
        case .list(let inner): return "list<\(inner.name)>"
        case .object(let members):
            return "object{" + members.map { "\($0.path.dotted): \($0.type.name)" }.joined(separator: ", ") + "}"
        case .enumeration(let variants): return "enum(" + variants.joined(separator: "|") + ")"
        }
    }
}

/// A field path: one or more non-empty segments (u32 count, then strings).
public struct FieldPath: Hashable, Sendable {
    public var segments: [String]

    public init(_ segments: [String]) { self.segments = segments }

    public init(parsing reader: inout ByteReader) throws(FormatError) {
        let at = reader.offset
        let count = try reader.u32()
        guard count >= 1 else { throw FormatError(.pathWithoutSegments, at: at) }
        var segments: [String] = []
        for index in 0..<Int(count) {
            try StopRequest.check(every: index, decodingAt: reader.offset)
            try reader.countStructure()
            let segmentAt = reader.offset
            let segment = try reader.budgetedString(
                field: .fieldPathSegment, bytesPerStructure: CatalogLimits.bytesPerStructure)
            guard !segment.isEmpty else { throw FormatError(.empty(field: .fieldPathSegment), at: segmentAt) }
            segments.append(segment)
        }
        self.segments = segments
    }

    public var dotted: String { segments.joined(separator: ".") }
}

/// Sizes the catalog decoder accepts.
public enum CatalogLimits {
    public static let maxFields = 4096
    /// Collection, primary-field and index names.
    public static let maxName = 1023
    /// Field path segments, enum variants and regexes have no limit in the engine but what the
    /// payload holds: their bytes count against the catalog's structure budget instead, one
    /// structure per 128 bytes (a structure stands for about 100 bytes of memory).
    public static let bytesPerStructure = 128
}
