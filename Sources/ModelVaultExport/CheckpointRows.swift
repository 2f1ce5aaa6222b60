import FileOutput
import ModelVaultFormat

enum ExportDecodeError: Error {
    case spill(SpillFile.Failure)
    case decode(String)
}

/// The rows of a Checkpoint payload (docs/file-format.md §8), to be decoded against the
/// checkpoint's own catalog, which stand for the log before `replayFrom`.
struct CheckpointRows {
    let catalog: Catalog
    let replayFrom: UInt64
    private let section: UnsafeRawBufferPointer
    private let sectionOffset: UInt64
    private let count: UInt32

    /// Reads the payload's framing and catalog; `bytes` must outlive the value.
    init(parsing bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(ExportDecodeError) {
        let framing: CheckpointPayload
        do { framing = try CheckpointPayload(parsing: bytes, at: offset) } catch {
            throw .decode("\(error)")
        }
        var catalog = Catalog()
        for entry in framing.catalogEntries {
            do { _ = try catalog.apply(entry, segmentOffset: offset) } catch { throw .decode(error.message) }
        }
        self.catalog = catalog
        replayFrom = framing.replayFromOffset
        section = UnsafeRawBufferPointer(rebasing: bytes[framing.rowSection])
        sectionOffset = offset + UInt64(framing.rowSection.lowerBound)
        count = framing.rowCount
    }

    /// Hands each row's Record payload and its file offset to `body`.
    func forEachRow(_ body: (UnsafeRawBufferPointer, UInt64) throws(ExportDecodeError) -> Void)
        throws(ExportDecodeError)
    {
        var reader = ByteReader(section, baseOffset: sectionOffset)
        for _ in 0..<count {
            let row: UnsafeRawBufferPointer
            let at: UInt64
            do {
                let length = try reader.u32()
                at = reader.offset
                row = try reader.view(Int(length))
            } catch {
                throw .decode("\(error)")
            }
            try body(row, at)
        }
    }
}
