import ModelVaultCheck
import ModelVaultFormat

/// Turns the gathered versions into the live rows, one JSON line each, collections by id and
/// keys in `KeyOrder`: of each row's versions the last one the engine's state keeps decides —
/// a put is the row, a delete removes it. When the engine loads a checkpoint, its snapshot
/// stands for every Record before `replay_from_offset`; otherwise snapshots are ignored.
struct LiveRowWriter {
    var catalog: Catalog
    var checkpoint: CheckpointInUse?
    /// Only these collections (nil: all).
    var collections: Set<UInt32>?

    /// Writes the rows through `line`; returns how many.
    func write(from runs: RowRuns, line: (String) throws -> Void) throws -> Int {
        var written = 0
        var group: [UInt8] = []
        var last: [UInt8]?
        func flush() throws {
            guard let kept = last else { return }
            last = nil
            let version = kept.withUnsafeBytes { RowVersion(decoding: $0) }
            guard !version.isDelete, let text = self.line(for: version) else { return }
            try line(text)
            written += 1
        }
        try runs.forEachInOrder { bytes in
            if group.isEmpty || !group.withUnsafeBytes({ RowVersion.compareHead($0, bytes) == 0 }) {
                try flush()
                group = Array(bytes)
            }
            if keeps(bytes) { last = Array(bytes) }
        }
        try flush()
        return written
    }

    /// Whether the engine's state is built from this version.
    private func keeps(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let version = RowVersion.Head(bytes)
        if let collections, !collections.contains(version.collectionId) { return false }
        switch version.source {
        case .log: return checkpoint.map { version.position >= $0.replayFrom } ?? true
        case .snapshot: return checkpoint.map { version.origin == $0.offset } ?? false
        }
    }

    private func line(for version: RowVersion) -> String? {
        guard let collection = catalog.collection(id: version.collectionId) else { return nil }
        var out = "{\"collection\":"
        RowText.appendString(collection.name, to: &out)
        out += ",\"key\":" + version.keyJSON + ",\"row\":"
        out += RowObject.text(
            version: collection.current, primaryField: collection.primaryField, keyJSON: version.keyJSON,
            fields: version.fields)
        out += "}"
        return out
    }
}
