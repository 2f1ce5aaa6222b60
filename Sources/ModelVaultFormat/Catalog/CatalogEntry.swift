/// One Schema segment's payload (docs/file-format.md §6.4, catalog versions 1–4).
public struct CatalogEntry: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// kind 1: a new collection (its schema version is always 1).
        case createCollection(name: String, primaryField: String?)
        /// kind 2: a new schema version of an existing collection.
        case newSchemaVersion
    }

    public var catalogVersion: UInt16
    public var kind: Kind
    public var collectionId: UInt32
    public var schemaVersion: UInt32
    public var fields: [FieldDefinition]
    public var indexes: [IndexDefinition]

    public init(parsing bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FormatError) {
        var reader = ByteReader(bytes, baseOffset: offset)
        try self.init(parsing: &reader)
    }

    /// What an entry costs in `ByteReader.countStructure` units before its fields: the
    /// collection or version it adds holds several arrays of its own.
    public static let structureWeight = 4

    /// Reads an entry that fills the rest of `reader`. As 0.16.0 decodes it, a create's schema
    /// version is judged only once the whole entry has decoded, trailing bytes included.
    public init(parsing reader: inout ByteReader) throws(FormatError) {
        try reader.countStructure(weight: Self.structureWeight)
        let versionAt = reader.offset
        catalogVersion = try reader.u16()
        guard (1...4).contains(catalogVersion) else {
            throw FormatError(.unsupported(field: .catalogVersion, value: UInt64(catalogVersion)), at: versionAt)
        }
        let kindAt = reader.offset
        let rawKind = try reader.u16()
        var createVersionAt: UInt64?
        switch rawKind {
        case 1:
            collectionId = try reader.u32()
            let nameAt = reader.offset
            let name = try reader.string(field: .collectionName, maximum: CatalogLimits.maxName)
            guard !name.isEmpty else { throw FormatError(.empty(field: .collectionName), at: nameAt) }
            createVersionAt = reader.offset
            schemaVersion = try reader.u32()
            fields = try Self.parseFields(&reader, catalogVersion: catalogVersion)
            indexes = catalogVersion >= 4 ? try Self.parseIndexes(&reader) : []
            var primary: String?
            if catalogVersion >= 2 {
                let text = try reader.string(field: .primaryField, maximum: CatalogLimits.maxName)
                primary = text.isEmpty ? nil : text
            }
            kind = .createCollection(name: name, primaryField: primary)
        case 2:
            collectionId = try reader.u32()
            schemaVersion = try reader.u32()
            fields = try Self.parseFields(&reader, catalogVersion: catalogVersion)
            indexes = catalogVersion >= 4 ? try Self.parseIndexes(&reader) : []
            kind = .newSchemaVersion
        default:
            throw FormatError(.unsupported(field: .catalogEntryKind, value: UInt64(rawKind)), at: kindAt)
        }
        try reader.expectEnd()
        if let createVersionAt, schemaVersion != 1 {
            throw FormatError(.createSchemaVersion(got: schemaVersion), at: createVersionAt)
        }
    }

    static func parseFields(_ reader: inout ByteReader, catalogVersion: UInt16) throws(FormatError) -> [FieldDefinition]
    {
        let at = reader.offset
        let count = try reader.u32()
        guard count <= CatalogLimits.maxFields else {
            throw FormatError(
                .tooLong(field: .fieldCount, length: UInt64(count), maximum: UInt64(CatalogLimits.maxFields)), at: at)
        }
        var fields: [FieldDefinition] = []
        for _ in 0..<count {
            try reader.countStructure()
            let path = try FieldPath(parsing: &reader)
            let type = try FieldType(parsing: &reader)
            var constraints: [Constraint] = []
            if catalogVersion >= 3 {
                let n = try reader.u32()
                for index in 0..<Int(n) {
                    try StopRequest.check(every: index, decodingAt: reader.offset)
                    try reader.countStructure()
                    constraints.append(try Constraint(parsing: &reader))
                }
            }
            fields.append(FieldDefinition(path: path, type: type, constraints: constraints))
        }
        return fields
    }

    static func parseIndexes(_ reader: inout ByteReader) throws(FormatError) -> [IndexDefinition] {
        let count = try reader.u32()
        var indexes: [IndexDefinition] = []
        for index in 0..<Int(count) {
            try StopRequest.check(every: index, decodingAt: reader.offset)
            try reader.countStructure()
            let kindAt = reader.offset
            let rawKind = try reader.u8()
            guard let kind = IndexDefinition.Kind(rawValue: rawKind) else {
                throw FormatError(.unsupported(field: .indexKind, value: UInt64(rawKind)), at: kindAt)
            }
            let path = try FieldPath(parsing: &reader)
            let nameAt = reader.offset
            let name = try reader.string(field: .indexName, maximum: CatalogLimits.maxName)
            guard !name.isEmpty else { throw FormatError(.empty(field: .indexName), at: nameAt) }
            indexes.append(IndexDefinition(kind: kind, path: path, name: name))
        }
        return indexes
    }
}
