import FileOutput
import ModelVaultCheck
import ModelVaultFormat

/// Gathers, from one walk of a sound file, the row versions its open applies: every Record of
/// a committed transaction (and, before transactions existed, every Record the log applies
/// outside one), and the rows of the checkpoint the selected superblock points at. Versions go
/// into `RowRuns`; which of them the engine's state keeps is settled after the walk
/// (`LiveRowWriter`), when it is known whether the engine loads that checkpoint.
///
/// Records are decoded against the catalog the engine holds when it reaches them: from the
/// checkpoint's `replay_from_offset` on, the checkpoint's catalog and what follows it
/// (`CheckpointCatalogView`), unless `followsCheckpoint` is false; before it, the walk's.
final class LiveRowCollector: SegmentAnalyser {
    let runs: RowRuns
    let followsCheckpoint: Bool
    /// The engine's catalog from the selected checkpoint on, once that checkpoint has decoded.
    private(set) var checkpointView: CheckpointCatalogView?
    private let staged = StagedVersions()
    /// Reused while a Record's fields are rendered.
    private var scratch: [UInt8] = []
    /// The checkpoint the selected superblock points at.
    private var checkpointTarget: UInt64?
    /// The last thing that could not be gathered, with its offset: a Record that does not
    /// decode, which a sound file holds only before the `replay_from_offset` of a checkpoint the
    /// engine loads (whose snapshot stands for it: see `problem(replayingFrom:)`).
    private var lastProblem: (offset: UInt64, message: String)?
    /// A scratch file that failed: nothing more is gathered.
    private var spillFailure: (offset: UInt64, message: String)?

    /// What keeps the rows from being the engine's, given where the engine's replay starts.
    func problem(replayingFrom start: UInt64?) -> (offset: UInt64, message: String)? {
        if let spillFailure { return spillFailure }
        guard let lastProblem, lastProblem.offset >= start ?? 0 else { return nil }
        return lastProblem
    }

    init(runs: RowRuns = RowRuns(), followsCheckpoint: Bool = true) {
        self.runs = runs
        self.followsCheckpoint = followsCheckpoint
    }

    func payloadBytesWanted(for type: SegmentType) -> Int {
        type == .record || type == .checkpoint ? ExportLimits.largestPayload : 0
    }

    func prelude(header: FileHeader?, superblocks: [(Superblock, selected: Bool)]) {
        checkpointTarget = superblocks.first { $0.selected }.flatMap {
            $0.0.checkpointOffset == 0 ? nil : $0.0.checkpointOffset
        }
    }

    func segment(_ segment: ObservedSegment, payload: UnsafeRawBufferPointer) {
        guard spillFailure == nil else { return }
        checkpointView?.observe(segment)
        do throws(SpillFile.Failure) {
            switch segment.role {
            case .begin, .abort: staged.discard()
            case .commit: try staged.commit(into: runs)
            default: break
            }
            switch segment.summary.type {
            case .record: try record(segment, payload: payload)
            case .checkpoint where segment.summary.offset == checkpointTarget: try checkpoint(segment, payload: payload)
            default: break
            }
        } catch {
            spillFailure = (segment.summary.offset, "\(error)")
        }
    }

    private func record(_ segment: ObservedSegment, payload: UnsafeRawBufferPointer) throws(SpillFile.Failure) {
        let applied: Bool
        switch segment.role {
        case .staged: applied = false
        case .unframed(legal: true): applied = true
        default: return
        }
        let offset = segment.summary.offset
        let catalog =
            checkpointView.flatMap { offset >= $0.replayFrom && followsCheckpoint ? $0.working : nil }
            ?? segment.catalog
        guard payload.count == segment.summary.payloadLength, let catalog else {
            lastProblem = (offset, "Record payload of \(segment.summary.payloadLength) bytes not decoded")
            return
        }
        var failure: RecordDecodeError?
        let encode = { [self] (out: inout [UInt8]) -> Bool in
            do throws(RecordDecodeError) {
                let written = try RowVersion.encode(
                    payload: payload, at: segment.payloadOffset, catalog: catalog, source: .log, position: offset,
                    origin: offset, scratch: &scratch, into: &out)
                if !written {
                    failure = RecordDecodeError(.recordPayloadTypeMismatch, "key is not a scalar", at: offset)
                }
                return written
            } catch {
                failure = error
                return false
            }
        }
        if applied { try runs.add(encodingWith: encode) } else { try staged.add(encodingWith: encode) }
        if let failure { lastProblem = (offset, "Record does not decode: \(failure)") }
    }

    private func checkpoint(_ segment: ObservedSegment, payload: UnsafeRawBufferPointer) throws(SpillFile.Failure) {
        let offset = segment.summary.offset
        guard segment.summary.payloadCRCMatches else { return }
        guard payload.count == segment.summary.payloadLength else {
            lastProblem = (
                offset, "Checkpoint payload of \(segment.summary.payloadLength) bytes is too large to export"
            )
            return
        }
        do throws(ExportDecodeError) {
            let rows = try CheckpointRows(parsing: payload, at: segment.payloadOffset)
            try rows.forEachRow { (row, at) throws(ExportDecodeError) in
                var failure: ExportDecodeError?
                do throws(SpillFile.Failure) {
                    try runs.add(encodingWith: { [self] out in
                        do throws(RecordDecodeError) {
                            return try RowVersion.encode(
                                payload: row, at: at, catalog: rows.catalog, source: .snapshot,
                                position: rows.replayFrom, origin: offset, scratch: &scratch, into: &out)
                        } catch {
                            failure = .decode("\(error)")
                            return false
                        }
                    })
                } catch {
                    throw .spill(error)
                }
                if let failure { throw failure }
            }
            checkpointView = CheckpointCatalogView(
                checkpointOffset: offset, replayFrom: rows.replayFrom, catalog: rows.catalog)
        } catch {
            switch error {
            case .spill(let failure): throw failure
            case .decode(let message): lastProblem = (offset, "Checkpoint rows do not decode: \(message)")
            }
        }
    }

    /// The walk is over: a transaction still open never committed.
    func finish() { staged.discard() }
}

/// Bounds of what export holds of one payload.
enum ExportLimits {
    /// The largest Record or Checkpoint payload held whole to be decoded: the walk's capture
    /// limit (`CheckOptions.payloadCaptureLimit`, 16 MiB, the engine's longest value), past
    /// which a payload streams through the read buffer and is never whole.
    static let largestPayload = CheckOptions().payloadCaptureLimit
}
