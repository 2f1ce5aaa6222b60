import ModelVaultFormat

enum ExportDecodeError: Error {
    case spill(SpillFile.Failure)
    case decode(String)
}

/// The rows of a Checkpoint payload (docs/file-format.md §8), decoded against the checkpoint's
/// own catalog, each with the offset the log's replay resumes at.
enum CheckpointRows {
    struct Row {
        var payload: RecordPayload
        var replayFrom: UInt64
    }

    /// Hands each row to `body`; returns the checkpoint's catalog and where replay resumes.
    @discardableResult
    static func forEach(
        in bytes: UnsafeRawBufferPointer, at offset: UInt64, _ body: (Row) throws(SpillFile.Failure) -> Void
    ) throws(ExportDecodeError) -> (catalog: Catalog, replayFrom: UInt64) {
        let framing: CheckpointPayload
        do { framing = try CheckpointPayload(parsing: bytes, at: offset) } catch {
            throw .decode("\(error)")
        }
        var catalog = Catalog()
        for entry in framing.catalogEntries {
            do { _ = try catalog.apply(entry, segmentOffset: offset) } catch { throw .decode(error.message) }
        }
        var reader = ByteReader(
            UnsafeRawBufferPointer(rebasing: bytes[framing.rowSection]),
            baseOffset: offset + UInt64(framing.rowSection.lowerBound))
        for _ in 0..<framing.rowCount {
            let record: RecordPayload
            do {
                let length = try reader.u32()
                var row = try reader.slice(Int(length))
                record = try RecordPayload(parsing: &row, collections: { catalog.collection(id: $0) })
            } catch {
                throw .decode("\(error)")
            }
            do { try body(Row(payload: record, replayFrom: framing.replayFromOffset)) } catch { throw .spill(error) }
        }
        return (catalog, framing.replayFromOffset)
    }
}
