import ModelVaultCheck
import ModelVaultFormat

/// The catalog as the engine holds it when it loads a checkpoint: the checkpoint's own
/// entries, then the Schema entries the log applies from `replay_from_offset` on (a
/// transaction's entries once it commits; the open transaction's already, for its Records).
/// The walk's catalog is the log's from its start, which a damaged log before the checkpoint
/// can make differ.
struct CheckpointCatalogView {
    let checkpointOffset: UInt64
    let replayFrom: UInt64
    private(set) var committed: Catalog
    /// `committed` with the open transaction's entries applied.
    private(set) var working: Catalog

    init(checkpointOffset: UInt64, replayFrom: UInt64, catalog: Catalog) {
        self.checkpointOffset = checkpointOffset
        self.replayFrom = replayFrom
        committed = catalog
        working = catalog
    }

    /// Follows one segment of the log (those before `replayFrom` change nothing).
    mutating func observe(_ segment: ObservedSegment) {
        guard segment.summary.offset >= replayFrom else { return }
        switch segment.role {
        case .begin, .abort: working = committed
        case .commit: committed = working
        default: break
        }
        guard case .success(let entry)? = segment.catalogEntry else { return }
        switch segment.role {
        case .staged: _ = try? working.apply(entry, segmentOffset: segment.summary.offset)
        case .unframed(legal: true):
            _ = try? working.apply(entry, segmentOffset: segment.summary.offset)
            committed = working
        default: break
        }
    }
}
