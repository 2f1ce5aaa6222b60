import ModelVaultFormat

/// The catalog as the open transaction will leave it, kept as an overlay of the committed
/// catalog: only the collections the transaction's staged Schema entries create or change are
/// held, each copied once when first touched. A Record inside the transaction is decoded
/// against it (a schema version bump and the rewritten Records share one transaction), at the
/// cost of the entries staged, not of the catalog or of the Records.
struct StagedCatalog {
    private(set) var changed: [UInt32: Catalog.Collection] = [:]
    private var createdNames: Set<String> = []
    private var created = 0

    var isEmpty: Bool { changed.isEmpty }

    /// Applies a staged entry over `base`; an entry that breaks a catalog rule changes nothing
    /// (the replay reports it when the transaction commits).
    mutating func apply(_ entry: CatalogEntry, segmentOffset: UInt64, over base: Catalog) {
        let count = base.collections.count + created
        let change = try? Catalog.change(entry, segmentOffset: segmentOffset, count: count,
                                         collection: { changed[$0] ?? base.collection(id: $0) },
                                         nameTaken: { base.hasCollection(named: $0) || createdNames.contains($0) })
        switch change {
        case let .create(collection)?:
            created += 1
            createdNames.insert(collection.name)
            changed[collection.id] = collection
        case let .newVersion(id, version)?:
            if changed[id] == nil { changed[id] = base.collection(id: id) }
            changed[id]?.versions.append(version)
        case nil:
            break
        }
    }

    mutating func reset() {
        if !changed.isEmpty { changed.removeAll(keepingCapacity: true) }
        if !createdNames.isEmpty { createdNames.removeAll(keepingCapacity: true) }
        created = 0
    }
}

/// A catalog to decode against: the committed one, seen through the open transaction's
/// staged entries when it has any.
struct CatalogView {
    let base: Catalog
    let staged: StagedCatalog?

    func collection(id: UInt32) -> Catalog.Collection? {
        staged?.changed[id] ?? base.collection(id: id)
    }

    func hasIndex(collectionId: UInt32, named name: UnsafeRawBufferPointer) -> Bool {
        guard let staged, let collection = staged.changed[collectionId] else {
            return base.hasIndex(collectionId: collectionId, named: name)
        }
        return Catalog.hasIndex(collection, named: name)
    }
}
