/// A Record payload (FORMAT.md §6, versions 1–3) decoded against the catalog, following the
/// decode order of ModelVault 0.16.0 so the first error is the one the engine reports:
///
/// 1. u16 record version, u32 collection id; an unknown collection → `unknown_collection`
///    (before the version is judged and before anything after the id is needed);
/// 2. a version outside 1..3 → `unknown_record_payload_version`;
/// 3. u32 schema version, u8 op, the primary key (a tagged scalar whose tag must be the primary
///    field's), u32 field count, the fields (decoded against the version the record names, or
///    the current one when it names none), then no bytes may remain;
/// 4. only then a schema version above the current one → `invalid_schema_version`.
///
/// Memory is bounded by the record: counts are checked against the schema before any field is
/// read, and values are appended as they decode.
public struct RecordPayload: Equatable, Sendable {
    public enum Operation: Equatable, Sendable {
        case insert, replace, delete
        /// Any other op byte: 0.16.0 applies every op other than 3 as an upsert.
        case other(UInt8)

        public init(rawValue: UInt8) {
            switch rawValue {
            case 1: self = .insert
            case 2: self = .replace
            case 3: self = .delete
            default: self = .other(rawValue)
            }
        }

        public var rawValue: UInt8 {
            switch self {
            case .insert: return 1
            case .replace: return 2
            case .delete: return 3
            case let .other(raw): return raw
            }
        }
    }

    public struct Field: Equatable, Sendable {
        public var path: FieldPath
        public var value: RowValue

        public init(path: FieldPath, value: RowValue) {
            self.path = path
            self.value = value
        }
    }

    /// Record payload version (1, 2 or 3).
    public var version: UInt16
    public var collectionId: UInt32
    /// The schema version as written (0 = none named).
    public var schemaVersion: UInt32
    /// The schema version the fields were decoded against.
    public var decodedSchemaVersion: UInt32
    public var op: Operation
    public var primaryKey: RowValue
    /// Non-key fields in payload order (schema order for v1/v2; v3 as written, which the
    /// engine accepts in any order). Empty for a delete. A record naming no schema version may
    /// carry only a leading part of the current version's fields (see `init`).
    public var fields: [Field]

    public init(parsing bytes: UnsafeRawBufferPointer, at offset: UInt64, catalog: Catalog) throws {
        var reader = ByteReader(bytes, baseOffset: offset)
        try self.init(parsing: &reader, collections: { catalog.collection(id: $0) })
    }

    /// Decodes a whole payload from `reader`, resolving collections through `collections`.
    ///
    /// Schema version resolution: a version 1...current is decoded against that version with
    /// exactly its non-key field count; a version above current against the current version
    /// (exact count), then rejected; version 0 against the current version, where 0.16.0 also
    /// accepts fewer fields than the version declares (v1/v2: a leading run; v3: any of them
    /// when every path is a single segment) and leaves the rest to row validation, while a v3
    /// record naming version 0 for a collection with nested paths must carry every field and is
    /// then refused as a stale layout (`invalid_catalog_payload`).
    public init(parsing reader: inout ByteReader, collections: (UInt32) -> Catalog.Collection?) throws {
        let start = reader.offset
        version = try RecordDecodeError.mapping { try reader.u16() }
        let collectionAt = reader.offset
        collectionId = try RecordDecodeError.mapping { try reader.u32() }
        guard let collection = collections(collectionId), let current = collection.current else {
            throw RecordDecodeError(.unknownCollection, "unknown collection id \(collectionId)", at: collectionAt)
        }
        guard (1...3).contains(version) else {
            throw RecordDecodeError(.unknownRecordPayloadVersion, "unknown record payload version \(version)", at: start)
        }
        let schemaVersionAt = reader.offset
        schemaVersion = try RecordDecodeError.mapping { try reader.u32() }
        op = Operation(rawValue: try RecordDecodeError.mapping { try reader.u8() })
        let schema = collection.recordSchema(forSchemaVersion: schemaVersion) ?? current
        decodedSchemaVersion = schema.version

        primaryKey = try Self.decodePrimaryKey(&reader, collection: collection, schema: schema)

        let countAt = reader.offset
        let count = try RecordDecodeError.mapping { try reader.u32() }
        let nonKey = schema.nonKeyFields
        let namesNoVersion = schemaVersion == 0
        let nested = nonKey.contains { $0.path.segments.count > 1 }

        fields = []
        if op == .delete {
            guard count == 0 else {
                throw RecordDecodeError(.recordPayloadTypeMismatch, "delete record carries \(count) fields, expected 0", at: countAt)
            }
        } else {
            let acceptsFewer = namesNoVersion && (version != 3 || !nested)
            guard count == nonKey.count || (acceptsFewer && count < nonKey.count) else {
                throw RecordDecodeError(.recordPayloadTypeMismatch,
                                        "record carries \(count) fields where schema version \(schema.version) of collection \(collectionId) has \(nonKey.count) non-key fields",
                                        at: countAt)
            }
            let carried = nonKey.prefix(Int(count))
            switch version {
            case 1, 2:
                if let deep = carried.first(where: { $0.path.segments.count > 1 }) {
                    throw RecordDecodeError(.recordPayloadTypeMismatch,
                                            "record v\(version) cannot carry nested field \"\(deep.path.dotted)\" (needs v3)", at: countAt)
                }
                for field in carried {
                    let value: RowValue
                    if version == 1 {
                        guard let tag = field.type.scalarTag else {
                            throw RecordDecodeError(.recordPayloadUnsupportedType,
                                                    "field \"\(field.path.dotted)\" of type \(field.type.name) cannot be carried by record v1",
                                                    at: reader.offset)
                        }
                        value = try TaggedScalar.decode(&reader, expecting: tag, what: "field \"\(field.path.dotted)\"")
                    } else {
                        value = try RowValue(parsing: &reader, as: field.type)
                    }
                    fields.append(Field(path: field.path, value: value))
                }
            default:
                // The engine looks each path up, so any order is accepted; it writes schema
                // order, so the positional guess almost always hits and the table is rarely built.
                var byPath: [FieldPath: Int]?
                var seen = [Bool](repeating: false, count: nonKey.count)
                for position in 0..<Int(count) {
                    let pathAt = reader.offset
                    let path = try Self.decodeV3Path(&reader)
                    var index: Int? = nonKey[position].path == path ? position : nil
                    if index == nil {
                        if byPath == nil {
                            byPath = Dictionary(nonKey.enumerated().map { ($0.element.path, $0.offset) }, uniquingKeysWith: { first, _ in first })
                        }
                        index = byPath?[path]
                    }
                    guard let found = index, !seen[found] else {
                        throw RecordDecodeError(.recordPayloadTypeMismatch,
                                                "field path \"\(path.dotted)\" is not an unused non-key field of schema version \(schema.version)",
                                                at: pathAt)
                    }
                    seen[found] = true
                    fields.append(Field(path: path, value: try RowValue(parsing: &reader, as: nonKey[found].type)))
                }
            }
        }

        if !reader.isAtEnd {
            throw RecordDecodeError(.trailingRecordPayload, "\(reader.remaining) trailing bytes in record payload", at: reader.offset)
        }
        if schemaVersion > current.version {
            throw RecordDecodeError(.invalidSchemaVersion,
                                    "invalid schema version: expected \(current.version), got \(schemaVersion)", at: schemaVersionAt)
        }
        if namesNoVersion && version == 3 && nested && op != .delete {
            throw RecordDecodeError(.invalidCatalogPayload,
                                    "stale record schema_version 0 layout incompatible with catalog version \(current.version)",
                                    at: schemaVersionAt)
        }
    }

    static func decodePrimaryKey(_ reader: inout ByteReader, collection: Catalog.Collection,
                                 schema: Catalog.Version) throws -> RowValue {
        let at = reader.offset
        guard let primary = collection.primaryField else { return try TaggedScalar.decode(&reader) }
        guard let type = schema.fields.first(where: { $0.path.segments == [primary] })?.type else {
            throw RecordDecodeError(.recordPayloadTypeMismatch,
                                    "primary field \"\(primary)\" is missing from schema version \(schema.version)", at: at)
        }
        guard let tag = type.scalarTag else {
            // 0.16.0 registers such a collection but refuses to insert into it.
            throw RecordDecodeError(.recordPayloadTypeMismatch,
                                    "primary field \"\(primary)\" has non-primitive type \(type.name)", at: at)
        }
        return try TaggedScalar.decode(&reader, expecting: tag, what: "primary key")
    }

    /// A v3 field path: u8 segment count (≥ 1), each segment u16 length (≥ 1) + UTF-8.
    static func decodeV3Path(_ reader: inout ByteReader) throws -> FieldPath {
        let at = reader.offset
        let count = try RecordDecodeError.mapping { try reader.u8() }
        guard count >= 1 else { throw RecordDecodeError(.invalidFieldPath, "field path with no segments", at: at) }
        var segments: [String] = []
        for _ in 0..<count {
            let segmentAt = reader.offset
            let raw = try RecordDecodeError.mapping { () -> [UInt8] in
                let length = try reader.u16()
                return try reader.bytes(Int(length))
            }
            guard !raw.isEmpty, let segment = String(validating: raw, as: UTF8.self) else {
                throw RecordDecodeError(.invalidFieldPath, raw.isEmpty ? "empty field path segment" : "field path segment is not UTF-8",
                                        at: segmentAt)
            }
            segments.append(segment)
        }
        return FieldPath(segments)
    }
}

extension Catalog.Collection {
    /// The schema version a record naming `schemaVersion` is decoded against: that version if
    /// it exists, else (0, or above current) the current one.
    public func recordSchema(forSchemaVersion schemaVersion: UInt32) -> Catalog.Version? {
        versions.first(where: { $0.version == schemaVersion }) ?? current
    }
}

extension Catalog.Version {
}
