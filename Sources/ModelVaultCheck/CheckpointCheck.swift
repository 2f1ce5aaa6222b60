import ModelVaultFormat

/// The log's Checkpoint segments, and how the engine will use the one the selected superblock
/// points at (docs/file-format.md §8): where replay starts, whether that is a boundary outside
/// a transaction, and what the checkpoint hides.
struct CheckpointCheck {
    /// The selected superblock's checkpoint pointer, settled as the walk passes it.
    var target: CheckpointTarget?
    /// The usable target's `replay_from_offset`.
    private(set) var replayFrom: UInt64?
    /// The first TxnBegin at or after `replayFrom`: data segments between the two are the
    /// replay's legacy prefix, which the engine accepts unframed.
    private(set) var firstBeginInReplay: UInt64?
    /// Committed transactions when the target ended, and when `replay_from_offset` was reached.
    private(set) var committedAtCheckpointEnd: Int?
    private(set) var committedAtReplayFrom: Int?
    /// A Checkpoint too large to hold being decoded as it streams past, boxed: every segment
    /// asks whether there is one, and a large optional struct would be copied to answer.
    var pending: Box<CheckpointStream>?
    /// A Checkpoint too large to hold, decoded as it streamed past, for `LogWalker.checkCheckpoint`.
    var streamed: CheckpointStream.Outcome?
    /// What the target holds, once decoded, and its payload's version field.
    private(set) var targetContents: CheckpointFraming?
    private(set) var targetVersion: UInt16?
    /// The Checkpoint segments of the log, in order, at most `listLimit` of them.
    private(set) var segments: [CheckpointSummary.Segment] = []
    private(set) var segmentsOmitted = 0
    static let listLimit = 1000

    /// What the walk does once a Checkpoint has been judged.
    enum Settlement {
        case nothing
        /// Its catalog outgrew the structure budget.
        case freezeCatalog
        /// The engine's state comes from this checkpoint: replay starts at `replayFrom`.
        case use(entries: [CatalogEntry], replayFrom: UInt64)
    }

    init(target: CheckpointTarget?) { self.target = target }

    func isTarget(_ offset: UInt64) -> Bool { target?.offset == offset }

    /// A segment boundary at `offset`.
    mutating func boundary(at offset: UInt64, transactionOpen: Bool, committed: Int) {
        guard let replayFrom, offset == replayFrom else { return }
        target?.replayFromBoundary = (true, transactionOpen)
        committedAtReplayFrom = committed
    }

    mutating func noteBegin(at offset: UInt64) {
        if firstBeginInReplay == nil, let replayFrom, offset >= replayFrom { firstBeginInReplay = offset }
    }

    mutating func headerFault(_ fault: SegmentHeaderFault, at offset: UInt64) {
        if isTarget(offset) { target?.state = .badHeader(.segmentHeader(fault)) }
    }

    mutating func payloadPastEnd(at offset: UInt64) {
        pending = nil
        if isTarget(offset) { target?.state = .badPayload(.readPastEnd) }
    }

    /// Reports on a Checkpoint and, for the target, settles how the engine uses it. `payload`
    /// is nil when the payload checksum fails.
    mutating func settle(
        _ s: SegmentEvent, _ payload: Result<CheckpointFraming, FormatError>?, contentFault: (String, EngineError)?,
        version: UInt16?, committed: Int, cursor: StreamCursor, into sink: inout FindingSink
    ) -> Settlement {
        let isTarget = isTarget(s.offset)
        if segments.count < Self.listLimit {
            segments.append(
                CheckpointSummary.Segment(
                    offset: s.offset, length: s.header.totalLength, checksumsOK: s.payloadCRCMatches))
        } else {
            segmentsOmitted += 1
        }
        func reportBadPayload(_ message: String) {
            sink.add(
                Finding(
                    .checkpointBadPayload, isTarget ? .error : .warning, offset: s.offset, length: s.header.totalLength,
                    segmentIndex: s.index, segmentType: .checkpoint,
                    message: message + (isTarget ? "" : " (not the selected checkpoint)")))
        }
        var state: CheckpointTarget.State
        var catalogEntries: [CatalogEntry] = []
        switch payload {
        case nil:
            state = .badPayload(.segmentPayloadChecksum)
        case .failure(let error) where error.isOverBudget:
            return .freezeCatalog
        case .failure(let error):
            state = .badPayload(.checkpointPayload(error))
            reportBadPayload("Checkpoint payload does not decode: \(error)")
        case .success(let decoded):
            catalogEntries = decoded.catalogEntries
            state =
                decoded.replayFromOffset < s.end
                ? .replayBeforeEnd(replayFrom: decoded.replayFromOffset, end: s.end)
                : .usable(replayFrom: decoded.replayFromOffset, end: s.end)
            if let (problem, engineError) = contentFault {
                state = .badPayload(engineError)
                reportBadPayload(problem)
            }
        }
        guard isTarget else { return .nothing }
        if case .success(let decoded)? = payload { targetContents = decoded }
        targetVersion = version
        target?.state = state
        committedAtCheckpointEnd = committed
        guard case .usable(let from, _) = state else { return .nothing }
        replayFrom = from
        if from >= s.end {
            target?.replayFromProbe = cursor.probe(at: from, length: Layout.segmentHeaderSize)
        }
        return .use(entries: catalogEntries, replayFrom: from)
    }
}
