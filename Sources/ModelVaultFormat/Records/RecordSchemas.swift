/// The collection and schema version Records are decoded against, looked up in one catalog
/// and kept while consecutive Records name the same ones: most Records of a log do, and a
/// lookup copies references that every thread decoding against the catalog shares.
public struct RecordSchemas {
    public let catalog: Catalog
    /// The collection last asked for (ids start at 1: 0 is none).
    private var collectionId: UInt32 = 0
    private(set) var collection: Catalog.Collection?
    /// Its current version; nil when it has none.
    private(set) var current: Catalog.Version?
    private var schemaVersion: UInt32 = 0
    /// The version a Record naming `schemaVersion` is decoded against
    /// (`Catalog.Collection.recordSchema`).
    private(set) var schema: Catalog.Version?

    public init(_ catalog: Catalog) { self.catalog = catalog }

    /// Looks collection `id` up; false when the catalog has no such collection, or it has no
    /// version yet.
    @inline(__always)
    mutating func resolveCollection(_ id: UInt32) -> Bool {
        if id != collectionId || collection == nil {
            collectionId = id
            collection = catalog.collection(id: id)
            current = collection?.current
            schema = nil
        }
        return current != nil
    }

    /// Resolves the version a Record of the resolved collection naming `version` is decoded
    /// against.
    @inline(__always)
    mutating func resolveSchema(_ version: UInt32) {
        if schema == nil || version != schemaVersion {
            schemaVersion = version
            schema = collection!.recordSchema(forSchemaVersion: version) ?? current
        }
    }
}
