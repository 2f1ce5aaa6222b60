import ModelVaultFormat

/// Rows the engine will validate at open against a version that judges them by their values
/// (another type, other constraints or enum variants than the version they were written
/// under): which (collection, written version) pairs, and the last version each meets. A first
/// walk finds them once the whole catalog is known; a second walk over a file that can be read
/// again validates each such row as the engine will (`Checker`).
public struct RowRevalidationPlan: Sendable, Equatable {
    struct Key: Hashable, Sendable {
        var collectionId: UInt32
        var schemaVersion: UInt32
    }

    struct Target: Sendable, Equatable {
        var last: Catalog.Version
        var primaryField: String?
    }

    var targets: [Key: Target] = [:]

    public var isEmpty: Bool { targets.isEmpty }

    /// The plan without `keys` (rows a walk could not decide).
    func subtracting(_ keys: Set<Key>) -> RowRevalidationPlan {
        var rest = self
        for key in keys { rest.targets[key] = nil }
        return rest
    }

    func target(collectionId: UInt32, schemaVersion: UInt32) -> Target? {
        targets[Key(collectionId: collectionId, schemaVersion: schemaVersion)]
    }
}
