import ModelVaultFormat

/// What lies where the selected superblock's manifest pointer leads (FORMAT.md §9 step 3:
/// a strict open reads it before anything else). Settled from bytes captured as the walk passes.
struct ManifestTarget {
    let offset: UInt64
    let probe: StreamCursor.Probe

    /// Why a strict open fails on this pointer, or nil when it reads a version-0 Manifest.
    func strictFailure(fileLength: UInt64) -> String? {
        let bytes = probe.bytes
        guard offset < fileLength, bytes.count >= Layout.segmentHeaderSize else {
            return "manifest pointer \(offset): read past end of store"
        }
        let header = bytes.withUnsafeBytes { SegmentHeader(parsing: $0) }
        if let fault = header.fault { return "manifest pointer \(offset): \(fault.description)" }
        guard header.type == .manifest else {
            return "manifest pointer \(offset) leads to a \(header.type?.name ?? "?") segment: unsupported format version 0.0"
        }
        guard offset + header.totalLength <= fileLength else {
            return "manifest pointer \(offset): payload runs past end of store"
        }
        guard header.payloadLength >= UInt64(ManifestPayload.length), bytes.count >= Layout.segmentHeaderSize + 2 else {
            return "manifest at \(offset): payload of \(header.payloadLength) bytes is too short"
        }
        let version = UInt16(bytes[32]) | UInt16(bytes[33]) << 8
        guard version == 0 else { return "manifest at \(offset): unsupported manifest version \(version)" }
        return nil
    }
}

/// What lies where the selected superblock's checkpoint pointer leads (FORMAT.md §8).
struct CheckpointTarget {
    enum State {
        /// The walk has not settled it yet (or the pointer leads past the input).
        case unseen
        /// A segment header there fails the engine's checks (also: pointer off a boundary).
        case badHeader(String)
        /// A readable header of another type: ignored by the engine.
        case otherType(SegmentType)
        /// The Checkpoint's payload is unusable: strict fails, AutoTruncate replays in full.
        case badPayload(String)
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

    /// Settles a pointer the walk passed without landing on a segment boundary.
    mutating func settleFromProbe() {
        guard case .unseen = state, probe.isComplete else { return }
        let header = probe.bytes.withUnsafeBytes { SegmentHeader(parsing: $0) }
        if let fault = header.fault {
            state = .badHeader("checkpoint pointer \(offset) is not a segment header: \(fault.description)")
        } else if let type = header.type, type != .checkpoint {
            state = .otherType(type)
        } else {
            state = .badHeader("checkpoint pointer \(offset) is not on a segment boundary")
        }
    }

    /// How the engine uses this checkpoint when the file is `fileLength` bytes long.
    enum Use {
        case ignored
        /// Strict fails with this message; AutoTruncate replays the whole log.
        case strictFailsAutoTruncateReplaysAll(String)
        /// Fatal in both modes.
        case fatal(variant: String, message: String)
        /// State comes from the checkpoint; replay from this offset (nil: nothing to replay).
        case replayFrom(UInt64?)
    }

    func use(fileLength: UInt64) -> Use {
        guard offset != 0, length != 0, offset >= Layout.logStart, offset < fileLength else { return .ignored }
        switch state {
        case .unseen:
            return .strictFailsAutoTruncateReplaysAll("checkpoint at \(offset): read past end of store")
        case let .badHeader(message), let .badPayload(message):
            return .strictFailsAutoTruncateReplaysAll(message)
        case .otherType:
            return .ignored
        case let .replayBeforeEnd(replayFrom, end):
            return .fatal(variant: "invalid_checkpoint_payload",
                          message: "replay_from_offset \(replayFrom) is before checkpoint segment end \(end)")
        case let .usable(replayFrom, end):
            if end > fileLength {
                return .strictFailsAutoTruncateReplaysAll("checkpoint at \(offset): payload runs past end of store")
            }
            guard replayFrom < fileLength else { return .replayFrom(nil) }
            guard replayFromBoundary.hit else {
                return .fatal(variant: "bad_segment_header", message: "replay_from_offset \(replayFrom) is not on a segment boundary")
            }
            if replayFromBoundary.insideTransaction {
                return .fatal(variant: "invalid_txn_payload", message: "replay_from_offset \(replayFrom) lies inside a transaction: TxnCommit outside transaction in replay")
            }
            return .replayFrom(replayFrom)
        }
    }
}
