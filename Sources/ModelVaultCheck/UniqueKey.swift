import ModelVaultFormat

/// A unique-index entry as the deep check replays it: the slot it names (collection, index
/// and key) and the primary key it gives the slot, each as a 64-bit FNV-1a hash.
package struct UniqueKey: Hashable, Sendable {
    package var slot: UInt64
    package var primaryKey: UInt64
}

extension UniqueKey {
    package init(_ entry: IndexEntry.View) {
        var slot = FNV()
        slot.add(entry.collectionId)
        slot.add(entry.name)
        slot.add(entry.key)
        var primaryKey = FNV()
        primaryKey.add(entry.primaryKey)
        self.init(slot: slot.value, primaryKey: primaryKey.value)
    }
}
