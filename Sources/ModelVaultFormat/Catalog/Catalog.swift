/// The schema catalog as replay builds it: entries applied in log order, checked against the
/// engine's catalog rules (docs/file-format.md §6.4). Memory grows with the catalog, never with
/// rows.
public struct Catalog: Sendable {
    /// One schema version. Immutable once built, and held by reference: every Record names
    /// one and is decoded against it, so a copy costs one retain, not one per array inside.
    public struct Version: Equatable, Sendable {
        // Unchecked: `nonKeyScalarTags` is written once, in init, and only read after.
        private final class Storage: @unchecked Sendable {
            let version: UInt32
            let segmentOffset: UInt64
            let fields: [FieldDefinition]
            let indexes: [IndexDefinition]
            let nonKeyFields: [FieldDefinition]
            let primaryFieldType: FieldType?
            let hasNestedNonKeyField: Bool
            let nonKeySkipPlans: [SkipPlan]
            /// Per non-key field, the tag of its scalar type, or `noScalarTag`: read for every
            /// value of every Record, so kept where reading it retains nothing.
            let nonKeyScalarTags: UnsafeMutableBufferPointer<UInt8>
            /// The primary field type's scalar tag, or `noScalarTag` (none, or not a scalar).
            let primaryScalarTag: UInt8
            /// Per non-key field, its path as a v3 Record writes it (`RecordPayload.encodedV3Path`),
            /// absent when no Record can write it so; compared with a Record's bytes as they are.
            let nonKeyV3Paths: PackedBytes
            /// The position of the first non-key field with a nested path (which v1 and v2
            /// Records cannot carry); `nonKeyFields.count` when there is none.
            let firstNestedNonKeyField: Int
            /// The UTF-8 names of the indexes, in order.
            let indexNames: PackedBytes

            init(
                version: UInt32, segmentOffset: UInt64, fields: [FieldDefinition], indexes: [IndexDefinition],
                primaryField: String?
            ) {
                self.version = version
                self.segmentOffset = segmentOffset
                self.fields = fields
                self.indexes = indexes
                let nonKeyFields =
                    primaryField.map { key in
                        fields.filter { !($0.path.segments.count == 1 && $0.path.segments[0] == key) }
                    } ?? fields
                self.nonKeyFields = nonKeyFields
                primaryFieldType = primaryField.flatMap { key in
                    fields.first { $0.path.segments.count == 1 && $0.path.segments[0] == key }?.type
                }
                hasNestedNonKeyField = nonKeyFields.contains { $0.path.segments.count > 1 }
                nonKeySkipPlans = nonKeyFields.map { SkipPlan($0.type) }
                primaryScalarTag = primaryFieldType?.scalarTag ?? Version.noScalarTag
                nonKeyScalarTags = .allocate(capacity: nonKeyFields.count)
                for (i, field) in nonKeyFields.enumerated() {
                    nonKeyScalarTags[i] = field.type.scalarTag ?? Version.noScalarTag
                }
                nonKeyV3Paths = PackedBytes(nonKeyFields.map { RecordPayload.encodedV3Path($0.path) })
                firstNestedNonKeyField =
                    nonKeyFields.firstIndex { $0.path.segments.count > 1 } ?? nonKeyFields.count
                indexNames = PackedBytes(indexes.map { Array($0.name.utf8) })
            }

            deinit {
                nonKeyScalarTags.deallocate()
                nonKeyV3Paths.deallocate()
                indexNames.deallocate()
            }
        }

        static let noScalarTag: UInt8 = 0xFF

        /// Whether the schema has the primary field, and its tag when it is a scalar (read for
        /// every Record without copying the type).
        @inline(__always)
        public var primaryScalarTag: (present: Bool, tag: UInt8?) {
            let tag = storage.primaryScalarTag
            return tag != Self.noScalarTag ? (true, tag) : (storage.primaryFieldType != nil, nil)
        }

        /// The tag values of non-key field `index` carry when its type is a scalar (what its
        /// skip plan's `.scalar` case holds), else nil.
        @inline(__always)
        public func nonKeyScalarTag(_ index: Int) -> UInt8? {
            let tag = storage.nonKeyScalarTags[index]
            return tag == Self.noScalarTag ? nil : tag
        }

        /// Non-key field `index`'s path as a v3 Record writes it; nil when none can.
        @inline(__always)
        public func nonKeyV3Path(_ index: Int) -> UnsafeRawBufferPointer? { storage.nonKeyV3Paths[index] }

        /// How many non-key fields there are (without copying the array).
        public var nonKeyFieldCount: Int { storage.nonKeyV3Paths.count }

        /// The position of the first non-key field with a nested path, or `nonKeyFieldCount`.
        public var firstNestedNonKeyField: Int { storage.firstNestedNonKeyField }

        /// Whether an index of this version is named by these UTF-8 bytes.
        public func hasIndex(named name: UnsafeRawBufferPointer) -> Bool { storage.indexNames.contains(name) }

        private let storage: Storage

        public var version: UInt32 { storage.version }
        /// File offset of the Schema segment that introduced this version.
        public var segmentOffset: UInt64 { storage.segmentOffset }
        public var fields: [FieldDefinition] { storage.fields }
        public var indexes: [IndexDefinition] { storage.indexes }
        /// The fields a Record carries besides its key, in schema order, worked out once per
        /// version: every field except the top-level one named by the primary field. Nested paths
        /// count one field each (a schema with `dims.w` and `dims.h` has two), as v3 records show.
        public var nonKeyFields: [FieldDefinition] { storage.nonKeyFields }
        /// The type of the top-level field named by the collection's primary field, if any.
        public var primaryFieldType: FieldType? { storage.primaryFieldType }
        /// Whether a non-key field has a nested path (which only a v3 record can carry).
        public var hasNestedNonKeyField: Bool { storage.hasNestedNonKeyField }
        /// How to step over each non-key field's value, parallel to `nonKeyFields`.
        public var nonKeySkipPlans: [SkipPlan] { storage.nonKeySkipPlans }

        init(
            version: UInt32, segmentOffset: UInt64, fields: [FieldDefinition], indexes: [IndexDefinition],
            primaryField: String?
        ) {
            storage = Storage(
                version: version, segmentOffset: segmentOffset, fields: fields, indexes: indexes,
                primaryField: primaryField)
        }

        public static func == (a: Version, b: Version) -> Bool {
            a.storage === b.storage
                || (a.version == b.version && a.segmentOffset == b.segmentOffset && a.fields == b.fields
                    && a.indexes == b.indexes && a.nonKeyFields == b.nonKeyFields)
        }
    }

    /// One collection and its versions. Held by reference and copied on change, as `Version`
    /// is: the full decode looks one up for every Record.
    public struct Collection: Equatable, Sendable {
        // Unchecked: shared only while unchanged; a change to a shared one copies it first.
        private final class Storage: @unchecked Sendable {
            var id: UInt32
            var name: String
            var primaryField: String?
            var versions: [Version]

            init(id: UInt32, name: String, primaryField: String?, versions: [Version]) {
                self.id = id
                self.name = name
                self.primaryField = primaryField
                self.versions = versions
            }
        }

        private var storage: Storage

        public init(id: UInt32, name: String, primaryField: String?, versions: [Version]) {
            storage = Storage(id: id, name: name, primaryField: primaryField, versions: versions)
        }

        private mutating func makeUnique() {
            if !isKnownUniquelyReferenced(&storage) {
                storage = Storage(
                    id: storage.id, name: storage.name, primaryField: storage.primaryField, versions: storage.versions)
            }
        }

        public var id: UInt32 {
            get { storage.id }
            set {
                makeUnique()
                storage.id = newValue
            }
        }
        public var name: String {
            get { storage.name }
            set {
                makeUnique()
                storage.name = newValue
            }
        }
        public var primaryField: String? {
            get { storage.primaryField }
            set {
                makeUnique()
                storage.primaryField = newValue
            }
        }
        public var hasPrimaryField: Bool { storage.primaryField != nil }
        public var versions: [Version] {
            get { storage.versions }
            _modify {
                makeUnique()
                yield &storage.versions
            }
        }
        public var currentVersion: UInt32 { storage.versions.last?.version ?? 0 }
        public var current: Version? { storage.versions.last }

        public static func == (a: Collection, b: Collection) -> Bool {
            a.storage === b.storage
                || (a.id == b.id && a.name == b.name && a.primaryField == b.primaryField && a.versions == b.versions)
        }
    }

    /// Why an entry cannot be applied; `variant` is the engine's error variant.
    public struct Violation: Error, Equatable, Sendable {
        public var variant: EngineVariant
        public var message: String
    }

    public private(set) var collections: [Collection] = []
    /// Collection ids by name, so a registration's name check costs one lookup, not a scan.
    private var idsByName: [String: UInt32] = [:]

    public init() {}

    public func collection(id: UInt32) -> Collection? {
        guard id >= 1, Int(id) <= collections.count else { return nil }
        return collections[Int(id) - 1]
    }

    public func hasCollection(named name: String) -> Bool { idsByName[name] != nil }

    /// Whether the current version of any collection defines a unique index.
    public var hasUniqueIndex: Bool {
        collections.contains { $0.versions.last?.indexes.contains { $0.kind == .unique } ?? false }
    }

    /// Whether the current version of collection `collectionId` defines an index whose name
    /// is these UTF-8 bytes.
    public func hasIndex(collectionId: UInt32, named name: UnsafeRawBufferPointer) -> Bool {
        guard let current = collection(id: collectionId)?.current else { return false }
        return current.hasIndex(named: name)
    }

    /// Applies one entry, or throws the rule it breaks (and leaves the catalog unchanged).
    /// Returns what it changed, which `revert` undoes.
    @discardableResult
    public mutating func apply(_ entry: CatalogEntry, segmentOffset: UInt64) throws(Violation) -> Change {
        let change = try Self.change(
            entry, segmentOffset: segmentOffset, count: collections.count,
            collection: collection(id:), nameTaken: hasCollection(named:))
        switch change {
        case .create(let created):
            collections.append(created)
            idsByName[created.name] = created.id
        case .newVersion(let id, let version):
            collections[Int(id) - 1].versions.append(version)
        }
        return change
    }

    /// Undoes the last change `apply` made (changes are undone newest first).
    public mutating func revert(_ change: Change) {
        switch change {
        case .create(let created):
            collections.removeLast()
            idsByName[created.name] = nil
        case .newVersion(let id, _):
            collections[Int(id) - 1].versions.removeLast()
        }
    }

    /// What one entry does to a catalog.
    public enum Change: Sendable {
        case create(Collection)
        case newVersion(collectionId: UInt32, Version)
    }

    /// What `entry` does to a catalog of `count` collections described by `collection` and
    /// `nameTaken`, or the rule it breaks.
    static func change(
        _ entry: CatalogEntry, segmentOffset: UInt64, count: Int,
        collection: (UInt32) -> Collection?, nameTaken: (String) -> Bool
    ) throws(Violation) -> Change {
        switch entry.kind {
        case .createCollection(let name, let primaryField):
            let expected = UInt32(count + 1)
            guard entry.collectionId == expected else {
                throw Violation(
                    variant: .unexpectedCollectionId,
                    message:
                        "unexpected collection id in catalog replay: expected \(expected), got \(entry.collectionId)")
            }
            guard !nameTaken(name) else {
                throw Violation(
                    variant: .invalidCatalogPayload, message: "collection name \"\(name)\" already exists")
            }
            try checkFields(entry.fields, primaryField: primaryField, creating: true)
            return .create(
                Collection(
                    id: entry.collectionId, name: name, primaryField: primaryField,
                    versions: [
                        Version(
                            version: 1, segmentOffset: segmentOffset, fields: entry.fields, indexes: entry.indexes,
                            primaryField: primaryField)
                    ]))
        case .newSchemaVersion:
            guard let existing = collection(entry.collectionId) else {
                throw Violation(variant: .unknownCollection, message: "unknown collection id \(entry.collectionId)")
            }
            guard entry.schemaVersion == existing.currentVersion + 1 else {
                throw Violation(
                    variant: .invalidSchemaVersion,
                    message:
                        "invalid schema version: expected \(existing.currentVersion + 1), got \(entry.schemaVersion)")
            }
            try checkFields(entry.fields, primaryField: existing.primaryField, creating: false)
            return .newVersion(
                collectionId: entry.collectionId,
                Version(
                    version: entry.schemaVersion, segmentOffset: segmentOffset, fields: entry.fields,
                    indexes: entry.indexes, primaryField: existing.primaryField))
        }
    }

    /// Rejects duplicate or prefix-conflicting paths (in linear time: hostile catalogs may
    /// declare thousands of fields) and a primary field missing from the top level (worded by
    /// the engine differently for a new collection and for a new version).
    static func checkFields(_ fields: [FieldDefinition], primaryField: String?, creating: Bool) throws(Violation) {
        var fullPaths = Set<[String]>()
        var properPrefixes = Set<[String]>()
        for field in fields {
            let segments = field.path.segments
            if fullPaths.contains(segments) || properPrefixes.contains(segments) {
                throw Violation(
                    variant: .invalidCatalogPayload,
                    message: "field path \"\(field.path.dotted)\" is declared twice or conflicts with another path")
            }
            if segments.count <= 64 {
                for length in 1..<segments.count {
                    let prefix = Array(segments.prefix(length))
                    if fullPaths.contains(prefix) {
                        let other = prefix.joined(separator: ".")
                        throw Violation(
                            variant: .invalidCatalogPayload,
                            message: "field path \"\(field.path.dotted)\" conflicts with \"\(other)\""
                        )
                    }
                    properPrefixes.insert(prefix)
                }
            }
            fullPaths.insert(segments)
        }
        if let primary = primaryField, !fullPaths.contains([primary]) {
            throw
                creating
                ? Violation(
                    variant: .primaryFieldNotFound,
                    message: "primary field \"\(primary)\" not found as a top-level field")
                : Violation(
                    variant: .primaryFieldMissingInSchema,
                    message: "schema update must retain top-level primary field \"\(primary)\"")
        }
    }
}
