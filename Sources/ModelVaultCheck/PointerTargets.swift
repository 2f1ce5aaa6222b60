import ModelVaultFormat

/// What lies where the selected superblock's manifest pointer leads (docs/file-format.md §9,
/// step 3: a strict open reads it before anything else). Settled from bytes captured as the walk
/// passes.
struct ManifestTarget {
    let offset: UInt64
    let probe: StreamCursor.Probe

    /// Why a strict open fails on this pointer, or nil when it reads a version-0 Manifest.
    func strictFailure(fileLength: UInt64) -> EngineError? {
        let bytes = probe.bytes
        guard offset < fileLength, bytes.count >= Layout.segmentHeaderSize else { return .readPastEnd }
        let header = bytes.withUnsafeBytes { SegmentHeader(parsing: $0) }
        if let fault = header.fault { return .segmentHeader(fault) }
        guard header.type == .manifest else { return .unsupportedVersion(major: 0, minor: 0) }
        guard offset + header.totalLength <= fileLength else { return .readPastEnd }
        guard header.payloadLength >= UInt64(ManifestPayload.length), bytes.count >= Layout.segmentHeaderSize + 2 else {
            return .truncatedHeader(got: header.payloadLength, expected: ManifestPayload.length)
        }
        let version = UInt16(bytes[32]) | UInt16(bytes[33]) << 8
        guard version == 0 else { return .unsupportedVersion(major: 0, minor: UInt64(version)) }
        return nil
    }
}

/// What lies where the selected superblock's checkpoint pointer leads (docs/file-format.md §9,
/// step 7; the payload is §6.7).
struct CheckpointTarget {
    enum State {
        /// The walk has not settled it yet (or the pointer leads past the input).
        case unseen
        /// A segment header there fails the engine's checks (also: pointer off a boundary).
        case badHeader(EngineError)
        /// A readable header of another type: ignored by the engine.
        case otherType(SegmentType)
        /// The Checkpoint's payload is unusable: strict fails, AutoTruncate replays in full.
        case badPayload(EngineError)
        /// `replay_from_offset` lies before the checkpoint's own end: fatal in both modes.
        case replayBeforeEnd(replayFrom: UInt64, end: UInt64)
        /// A usable checkpoint.
        case usable(replayFrom: UInt64, end: UInt64)
    }

    let offset: UInt64
    let length: UInt32
    let probe: StreamCursor.Probe
    var state: State = .unseen
    /// Whether a segment boundary was seen at `replay_from_offset`, and whether a
    /// transaction was open there.
    var replayFromBoundary: (hit: Bool, insideTransaction: Bool) = (false, false)
    /// The bytes at `replay_from_offset`: what the engine reads as a segment header there.
    var replayFromProbe: StreamCursor.Probe?

    /// The engine's error for a `replay_from_offset` off every segment boundary: the header
    /// check of the bytes found there.
    var replayFromHeaderError: EngineError {
        guard let probe = replayFromProbe, probe.isComplete else { return .readPastEnd }
        let header = probe.bytes.withUnsafeBytes { SegmentHeader(parsing: $0) }
        return header.fault.map(EngineError.segmentHeader) ?? .unsupportedVersion(major: 0, minor: 0)
    }

    /// Settles a pointer the walk passed without landing on a segment boundary.
    mutating func settleFromProbe() {
        guard case .unseen = state, probe.isComplete else { return }
        let header = probe.bytes.withUnsafeBytes { SegmentHeader(parsing: $0) }
        if let fault = header.fault {
            state = .badHeader(.segmentHeader(fault))
        } else if let type = header.type, type != .checkpoint {
            state = .otherType(type)
        } else {
            state = .badHeader(.unsupportedVersion(major: 0, minor: 0))
        }
    }

    /// How the engine uses this checkpoint when the file is `fileLength` bytes long.
    enum Use {
        case ignored
        /// Strict fails with this message; AutoTruncate replays the whole log.
        case strictFailsAutoTruncateReplaysAll(EngineError)
        /// Fatal in both modes.
        case fatal(EngineError)
        /// State comes from the checkpoint; replay from this offset (nil: nothing to replay).
        case replayFrom(UInt64?)
    }

    func use(fileLength: UInt64) -> Use {
        guard offset != 0, length != 0, offset >= Layout.logStart, offset < fileLength else { return .ignored }
        switch state {
        case .unseen:
            return .strictFailsAutoTruncateReplaysAll(.readPastEnd)
        case .badHeader(let error), .badPayload(let error):
            return .strictFailsAutoTruncateReplaysAll(error)
        case .otherType:
            return .ignored
        case .replayBeforeEnd(let replayFrom, let end):
            return .fatal(
                .invalidCheckpointPayload("replay_from_offset \(replayFrom) is before checkpoint segment end \(end)"))
        case .usable(let replayFrom, let end):
            if end > fileLength {
                return .strictFailsAutoTruncateReplaysAll(.readPastEnd)
            }
            guard replayFrom < fileLength else { return .replayFrom(nil) }
            guard replayFromBoundary.hit else {
                return .fatal(replayFromHeaderError)
            }
            if replayFromBoundary.insideTransaction {
                return .fatal(.commitOutsideTransaction)
            }
            return .replayFrom(replayFrom)
        }
    }
}
