/// A Record payload (docs/file-format.md §6.5, versions 1–3) decoded against the catalog,
/// following the decode order of ModelVault 0.16.0 so the first error is the one the engine
/// reports:
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
/// read, and values are appended as they decode. `validate` walks the same reader (`read`) but
/// only checks each value where it lies, for callers that need the verdict, not the row.
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
            case .other(let raw): return raw
            }
        }
    }

    public struct Field: Equatable, Sendable {
        public var path: FieldPath
        public var value: RowValue
        /// Its position among the non-key fields of the schema version it was decoded against
        /// (`Catalog.Version.nonKeyFields`).
        public var schemaIndex: Int

        public init(path: FieldPath, value: RowValue, schemaIndex: Int = 0) {
            self.path = path
            self.value = value
            self.schemaIndex = schemaIndex
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

    public init(parsing bytes: UnsafeRawBufferPointer, at offset: UInt64, catalog: Catalog) throws(RecordDecodeError) {
        var reader = ByteReader(bytes, baseOffset: offset)
        var schemas = RecordSchemas(catalog)
        try self.init(parsing: &reader, schemas: &schemas)
    }

    /// Decodes a whole payload from `reader` against `schemas`.
    public init(parsing reader: inout ByteReader, schemas: inout RecordSchemas) throws(RecordDecodeError) {
        var key = RowValue.none
        var decoded: [Field] = []
        let frame = try Self.read(
            &reader, schemas: &schemas,
            primaryKey: { reader, tag throws(RecordDecodeError) in
                if let tag {
                    key = try TaggedScalar.decode(&reader, expecting: tag, what: "primary key")
                } else {
                    key = try TaggedScalar.decode(&reader)
                }
            },
            field: { reader, schema, index throws(RecordDecodeError) in
                let field = schema.nonKeyFields[index]
                decoded.append(
                    Field(path: field.path, value: try RowValue(parsing: &reader, as: field.type), schemaIndex: index))
            })
        version = frame.version
        collectionId = frame.collectionId
        schemaVersion = frame.schemaVersion
        decodedSchemaVersion = frame.decodedSchemaVersion
        op = frame.op
        primaryKey = key
        fields = decoded
    }

    /// What a payload says besides its key and field values.
    public struct Header: Sendable {
        public var collectionId: UInt32
        /// The schema version the fields were decoded against.
        public var decodedSchemaVersion: UInt32
        public var op: Operation
    }

    /// Reads a payload in the engine's order, as `init(parsing:at:catalog:)` does (same frame
    /// faults, same order): the key is decoded and handed over; each field's value is left to
    /// `field`, with the reader at its start, its declared type and its position among the
    /// decoded version's non-key fields, to read in its own way (export turns it into JSON as
    /// it reads). `field` must consume exactly the value.
    public static func visit(
        _ bytes: UnsafeRawBufferPointer, at offset: UInt64, catalog: Catalog, key: (RowValue) -> Void,
        field: (inout ByteReader, FieldType, Int) throws(RecordDecodeError) -> Void
    ) throws(RecordDecodeError) -> Header {
        var reader = ByteReader(bytes, baseOffset: offset)
        var schemas = RecordSchemas(catalog)
        let frame = try read(
            &reader, schemas: &schemas,
            primaryKey: { reader, tag throws(RecordDecodeError) in
                if let tag {
                    key(try TaggedScalar.decode(&reader, expecting: tag, what: "primary key"))
                } else {
                    key(try TaggedScalar.decode(&reader))
                }
            },
            field: { reader, schema, index throws(RecordDecodeError) in
                try field(&reader, schema.nonKeyFields[index].type, index)
            })
        return Header(collectionId: frame.collectionId, decodedSchemaVersion: frame.decodedSchemaVersion, op: frame.op)
    }

    /// Checks a payload exactly as `init(parsing:at:catalog:)` decodes it (same faults, same
    /// order, same offsets) without building any value: the deep check's path.
    public static func validate(_ bytes: UnsafeRawBufferPointer, at offset: UInt64, catalog: Catalog)
        throws(PayloadCheckError)
    {
        var reader = ByteReader(bytes, baseOffset: offset)
        var schemas = RecordSchemas(catalog)
        try validate(&reader, schemas: &schemas)
    }

    /// `validate`, over a confined reader; `schemas` keeps what it looked up for the next
    /// Record.
    public static func validate(_ reader: inout ByteReader, schemas: inout RecordSchemas) throws(PayloadCheckError) {
        _ = try read(
            &reader, schemas: &schemas,
            primaryKey: { reader, tag throws(PayloadCheckError) in
                try PayloadCheckError.lifting { () throws(RecordDecodeError) in
                    try TaggedScalar.skip(&reader, expecting: tag, what: "primary key")
                }
            },
            field: { reader, schema, index throws(PayloadCheckError) in
                if let tag = schema.nonKeyScalarTag(index) {
                    // What `RowValue.skip` does for a `.scalar` plan, without copying the plan.
                    reader.steps += 1
                    try PayloadCheckError.checkStop(every: reader.steps)
                    try PayloadCheckError.lifting { () throws(RecordDecodeError) in
                        try TaggedScalar.skip(
                            &reader, expecting: tag, what: "\(schema.nonKeyFields[index].type.name) value")
                    }
                } else {
                    try RowValue.skip(&reader, plan: schema.nonKeySkipPlans[index])
                }
            })
    }

    /// What a payload says besides its values.
    struct Frame {
        var version: UInt16
        var collectionId: UInt32
        var schemaVersion: UInt32
        var decodedSchemaVersion: UInt32
        var op: Operation
    }

    /// Reads a whole payload in the engine's order, handing each value to `primaryKey` (with
    /// the tag it must carry, nil when the collection names no primary field) or `field` (with
    /// the field it belongs to) to decode or skip. Whatever they throw, and every decode fault
    /// (as a `Failure`), ends the read.
    ///
    /// Schema version resolution: a version 1...current is decoded against that version with
    /// exactly its non-key field count; a version above current against the current version
    /// (exact count), then rejected; version 0 against the current version, where 0.16.0 also
    /// accepts fewer fields than the version declares (v1/v2: a leading run; v3: any of them
    /// when every path is a single segment) and leaves the rest to row validation, while a v3
    /// record naming version 0 for a collection with nested paths must carry every field and is
    /// then refused as a stale layout (`invalid_catalog_payload`).
    static func read<Failure: RecordReadError>(
        _ reader: inout ByteReader, schemas: inout RecordSchemas,
        primaryKey: (inout ByteReader, UInt8?) throws(Failure) -> Void,
        field: (inout ByteReader, Catalog.Version, Int) throws(Failure) -> Void
    ) throws(Failure) -> Frame {
        func fault(_ variant: RecordDecodeError.Variant, _ message: String, at offset: UInt64) -> Failure {
            Failure(RecordDecodeError(variant, message, at: offset))
        }
        let start = reader.offset
        let version = try Failure.mapping { () throws(FormatError) in try reader.u16() }
        let collectionAt = reader.offset
        let collectionId = try Failure.mapping { () throws(FormatError) in try reader.u32() }
        guard schemas.resolveCollection(collectionId) else {
            var error = RecordDecodeError(.unknownCollection, "unknown collection id \(collectionId)", at: collectionAt)
            error.recordVersionUnknown = !(1...3).contains(version)
            throw Failure(error)
        }
        guard (1...3).contains(version) else {
            throw fault(
                .unknownRecordPayloadVersion, "unknown record payload version \(version)", at: start)
        }
        let schemaVersionAt = reader.offset
        let schemaVersion = try Failure.mapping { () throws(FormatError) in try reader.u32() }
        let op = Operation(rawValue: try Failure.mapping { () throws(FormatError) in try reader.u8() })
        schemas.resolveSchema(schemaVersion)
        let schema = schemas.schema!
        let currentVersion = schemas.current!.version

        let tag = try Failure.lifting { () throws(RecordDecodeError) in
            try Self.primaryKeyTag(at: reader.offset, collection: schemas.collection!, schema: schema)
        }
        try primaryKey(&reader, tag)

        let countAt = reader.offset
        let count = try Failure.mapping { () throws(FormatError) in try reader.u32() }
        // The fields themselves are looked at only to word a fault: every Record reads the
        // version's tables instead.
        let nonKeyCount = schema.nonKeyFieldCount
        let namesNoVersion = schemaVersion == 0
        let nested = schema.hasNestedNonKeyField

        if op == .delete {
            guard count == 0 else {
                throw fault(
                    .recordPayloadTypeMismatch, "delete record carries \(count) fields, expected 0", at: countAt)
            }
        } else {
            let acceptsFewer = namesNoVersion && (version != 3 || !nested)
            guard count == nonKeyCount || (acceptsFewer && count < nonKeyCount) else {
                throw fault(
                    .recordPayloadTypeMismatch,
                    "record carries \(count) fields "
                        + "where schema version \(schema.version) of collection \(collectionId) "
                        + "has \(nonKeyCount) non-key fields",
                    at: countAt)
            }
            switch version {
            case 1, 2:
                if schema.firstNestedNonKeyField < Int(count) {
                    let deep = schema.nonKeyFields[schema.firstNestedNonKeyField]
                    throw fault(
                        .recordPayloadTypeMismatch,
                        "record v\(version) cannot carry nested field \"\(deep.path.dotted)\" (needs v3)", at: countAt)
                }
                for index in 0..<Int(count) {
                    if version == 1 && schema.nonKeyScalarTag(index) == nil {
                        let definition = schema.nonKeyFields[index]
                        throw fault(
                            .recordPayloadUnsupportedType,
                            "field \"\(definition.path.dotted)\" of type \(definition.type.name) "
                                + "cannot be carried by record v1",
                            at: reader.offset)
                    }
                    try field(&reader, schema, index)
                }
            default:
                // The engine looks each path up, so any order is accepted; it writes schema
                // order, so the positional guess almost always hits and the table is rarely built.
                var byPath: [FieldPath: Int]?
                // Fields already read: bits of a word for up to 64 of them (no allocation per
                // Record), else an array.
                var seenBits: UInt64 = 0
                var seen = nonKeyCount > 64 ? [Bool](repeating: false, count: nonKeyCount) : []
                for position in 0..<Int(count) {
                    let pathAt = reader.offset
                    func notUnused(_ path: FieldPath) -> Failure {
                        fault(
                            .recordPayloadTypeMismatch,
                            "field path \"\(path.dotted)\" is not an unused non-key field "
                                + "of schema version \(schema.version)",
                            at: pathAt)
                    }
                    let found: Int
                    if Self.skipV3Path(&reader, ifItIs: schema.nonKeyV3Path(position)) {
                        found = position
                    } else {
                        let path = try Failure.lifting { () throws(RecordDecodeError) in try Self.decodeV3Path(&reader)
                        }
                        if byPath == nil {
                            byPath = Dictionary(
                                schema.nonKeyFields.enumerated().map { ($0.element.path, $0.offset) },
                                uniquingKeysWith: { first, _ in first })
                        }
                        guard let index = byPath?[path] else { throw notUnused(path) }
                        found = index
                    }
                    if seen.isEmpty {
                        guard seenBits & (1 << found) == 0 else { throw notUnused(schema.nonKeyFields[found].path) }
                        seenBits |= 1 << found
                    } else {
                        guard !seen[found] else { throw notUnused(schema.nonKeyFields[found].path) }
                        seen[found] = true
                    }
                    try field(&reader, schema, found)
                }
            }
        }

        if !reader.isAtEnd {
            throw fault(
                .trailingRecordPayload, "\(reader.remaining) trailing bytes in record payload", at: reader.offset)
        }
        if schemaVersion > currentVersion {
            throw fault(
                .invalidSchemaVersion,
                "invalid schema version: expected \(currentVersion), got \(schemaVersion)", at: schemaVersionAt)
        }
        if namesNoVersion && version == 3 && nested && op != .delete {
            throw fault(
                .invalidCatalogPayload,
                "stale record schema_version 0 layout incompatible with catalog version \(currentVersion)",
                at: schemaVersionAt)
        }
        return Frame(
            version: version, collectionId: collectionId, schemaVersion: schemaVersion,
            decodedSchemaVersion: schema.version, op: op)
    }

    /// The tag the primary key must carry: nil (any) for a collection without a primary field.
    static func primaryKeyTag(at offset: UInt64, collection: Catalog.Collection, schema: Catalog.Version)
        throws(RecordDecodeError) -> UInt8?
    {
        guard collection.hasPrimaryField else { return nil }
        let primary = schema.primaryScalarTag
        if let tag = primary.tag { return tag }
        guard primary.present, let type = schema.primaryFieldType else {
            throw RecordDecodeError(
                .recordPayloadTypeMismatch,
                "primary field \"\(collection.primaryField!)\" is missing from schema version \(schema.version)",
                at: offset)
        }
        guard let tag = type.scalarTag else {
            // 0.16.0 registers such a collection but refuses to insert into it.
            throw RecordDecodeError(
                .recordPayloadTypeMismatch,
                "primary field \"\(collection.primaryField!)\" has non-primitive type \(type.name)", at: offset)
        }
        return tag
    }

    /// Steps over a v3 field path when its bytes are exactly `expected` (an `encodedV3Path`;
    /// nil matches nothing); otherwise leaves the reader where it was.
    @inline(__always)
    static func skipV3Path(_ reader: inout ByteReader, ifItIs expected: UnsafeRawBufferPointer?) -> Bool {
        guard let expected, reader.remaining >= expected.count else { return false }
        let start = reader.offset
        let held = reader.hold()
        defer { reader.release(held) }
        if let bytes = try? reader.view(expected.count), PackedBytes.equal(bytes, expected) { return true }
        reader.rewind(to: start)
        return false
    }

    /// A field path as a v3 Record writes it: u8 segment count, each segment a u16 length and
    /// its UTF-8 bytes. Nil when no Record can write it so (more than 255 segments, or a
    /// segment empty or longer than 65535 bytes): `decodeV3Path` refuses an empty segment.
    static func encodedV3Path(_ path: FieldPath) -> [UInt8]? {
        guard path.segments.count <= 255 else { return nil }
        var bytes: [UInt8] = [UInt8(path.segments.count)]
        for segment in path.segments {
            let utf8 = Array(segment.utf8)
            guard !utf8.isEmpty, utf8.count <= 0xFFFF else { return nil }
            bytes.append(UInt8(utf8.count & 0xFF))
            bytes.append(UInt8(utf8.count >> 8))
            bytes.append(contentsOf: utf8)
        }
        return bytes
    }

    /// A v3 field path: u8 segment count (≥ 1), each segment u16 length (≥ 1) + UTF-8.
    static func decodeV3Path(_ reader: inout ByteReader) throws(RecordDecodeError) -> FieldPath {
        let at = reader.offset
        let count = try RecordDecodeError.mapping { () throws(FormatError) in try reader.u8() }
        guard count >= 1 else { throw RecordDecodeError(.invalidFieldPath, "field path with no segments", at: at) }
        var segments: [String] = []
        for _ in 0..<count {
            let segmentAt = reader.offset
            let raw = try RecordDecodeError.mapping { () throws(FormatError) -> [UInt8] in
                let length = try reader.u16()
                return try reader.bytes(Int(length))
            }
            guard !raw.isEmpty, let segment = String(validating: raw, as: UTF8.self) else {
                throw RecordDecodeError(
                    .invalidFieldPath, raw.isEmpty ? "empty field path segment" : "field path segment is not UTF-8",
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
        // Versions are numbered 1, 2, … in order, so the position is tried before the search.
        if schemaVersion >= 1, schemaVersion <= versions.count,
            versions[Int(schemaVersion) - 1].version == schemaVersion
        {
            return versions[Int(schemaVersion) - 1]
        }
        return versions.first(where: { $0.version == schemaVersion }) ?? current
    }
}
