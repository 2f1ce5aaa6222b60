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

    /// Writes the rows through `line` (one JSON object, without its newline); returns how many.
    /// The merge picks each row's deciding version on this thread; the rows are rendered and
    /// written on a second one (`RowRenderer`) when it can be started, batch by batch.
    func write(from runs: RowRuns, line: ([UInt8]) throws -> Void) throws -> Int {
        try withoutActuallyEscaping(line) { line in
            let renderer = RowRenderer(writer: self, line: line)
            defer { _ = try? renderer.finish() }
            // Reused buffers: the current row's first version (its collection and key), and
            // the last version of it the engine keeps.
            var group: [UInt8] = []
            var last: [UInt8] = []
            var hasLast = false
            func flush() throws {
                guard hasLast else { return }
                hasLast = false
                let isDelete = last.withUnsafeBytes { RowVersion.Head($0).isDelete }
                if !isDelete { try renderer.add(last) }
            }
            try runs.forEachInOrder { bytes in
                if group.isEmpty || !group.withUnsafeBytes({ RowVersion.compareHead($0, bytes) == 0 }) {
                    try flush()
                    group.removeAll(keepingCapacity: true)
                    group.append(contentsOf: bytes)
                }
                if keeps(bytes) {
                    last.removeAll(keepingCapacity: true)
                    last.append(contentsOf: bytes)
                    hasLast = true
                }
            }
            try flush()
            return try renderer.finish()
        }
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

    /// `{"collection":…,"key":…,"row":{…}}`; false when the catalog lacks the collection.
    func append(_ version: RowVersion, to out: inout [UInt8]) -> Bool {
        guard let collection = catalog.collection(id: version.collectionId) else { return false }
        out += #"{"collection":"#.utf8
        RowText.appendString(collection.name, to: &out)
        out += #","key":"#.utf8
        out += version.keyJSON
        out += #","row":"#.utf8
        RowObject.append(
            shown: collection.current,
            written: collection.versions.first { $0.version == version.schemaVersion },
            primaryField: collection.primaryField, keyJSON: version.keyJSON, fields: version.fields, to: &out)
        out.append(UInt8(ascii: "}"))
        return true
    }
}
