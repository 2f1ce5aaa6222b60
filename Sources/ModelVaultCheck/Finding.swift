import ModelVaultFormat

/// One fault or anomaly, located by byte offset. The walk collects every one it sees; nothing
/// stops at the first.
public struct Finding: Equatable, Sendable {
    public enum Severity: String, Sendable, Comparable {
        case info, warning, error
        private var rank: Int { self == .info ? 0 : self == .warning ? 1 : 2 }
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    public var code: Code
    public var severity: Severity
    public var offset: UInt64
    public var length: UInt64
    public var segmentIndex: Int?
    public var segmentType: SegmentType?
    public var txnId: UInt64?
    public var message: String
    /// For `index.unique_violation`: the key as the replay held it when the entry came (its
    /// slot, and the primary key that held it), so a salvage can tell which unit holds it.
    package var uniqueHolder: UniqueKey?

    public init(
        _ code: Code, _ severity: Severity, offset: UInt64, length: UInt64,
        segmentIndex: Int? = nil, segmentType: SegmentType? = nil, txnId: UInt64? = nil,
        message: String
    ) {
        self.code = code
        self.severity = severity
        self.offset = offset
        self.length = length
        self.segmentIndex = segmentIndex
        self.segmentType = segmentType
        self.txnId = txnId
        self.message = message
    }

    /// A byte of the segment (or stretch) the finding is about. Its offset, except for a fault
    /// met decoding a payload: that lies where the decode stopped, which is just past the
    /// payload's last byte when it needed more, so the byte before it is the one blamed (any
    /// such offset lies past the segment's header, so that byte is always the segment's own).
    public var blamedOffset: UInt64 {
        code.isPayloadDecodeFault && offset > 0 ? offset - 1 : offset
    }
}

extension Finding.Code {
    /// A Record or Index payload that does not decode against the schema version it names;
    /// such a finding lies where the decode stopped.
    public var isPayloadDecodeFault: Bool { self == .recordBadPayload || self == .indexBadPayload }
}

extension Finding {
    /// Stable finding codes. Each is documented in man/mvfsck.1.
    public enum Code: String, Sendable, CaseIterable {
        case headerTruncated = "header.truncated"
        case headerBadMagic = "header.bad_magic"
        case headerUnsupportedVersion = "header.unsupported_version"
        case headerBadSize = "header.bad_size"
        case headerNonzeroReserved = "header.nonzero_reserved"
        case headerLegacyStub = "header.legacy_stub"
        case superblockTruncated = "superblock.truncated"
        case superblockBadMagic = "superblock.bad_magic"
        case superblockUnsupportedVersion = "superblock.unsupported_version"
        case superblockBadChecksum = "superblock.bad_checksum"
        case superblockNoneValid = "superblock.none_valid"
        case superblockManifestOutOfBounds = "superblock.manifest_out_of_bounds"
        case superblockManifestNotAManifest = "superblock.manifest_not_a_manifest"
        case superblockCheckpointOutOfBounds = "superblock.checkpoint_out_of_bounds"
        case superblockCheckpointNotACheckpoint = "superblock.checkpoint_not_a_checkpoint"
        case segmentBadMagic = "segment.bad_magic"
        case segmentHeaderChecksum = "segment.header_checksum"
        case segmentUnsupportedVersion = "segment.unsupported_version"
        case segmentUnknownType = "segment.unknown_type"
        case segmentPayloadTooLong = "segment.payload_too_long"
        case segmentTruncatedHeader = "segment.truncated_header"
        case segmentPayloadPastEOF = "segment.payload_past_eof"
        case segmentPayloadChecksum = "segment.payload_checksum"
        case logResynchronized = "log.resynchronized"
        case logDataBeyondCut = "log.data_beyond_cut"
        case logDataBeyondBreak = "log.data_beyond_break"
        case tailTrailingGarbage = "tail.trailing_garbage"
        case tailZeroFilled = "tail.zero_filled"
        case txnUncommitted = "txn.uncommitted"
        case txnOrphanCommit = "txn.orphan_commit"
        case txnNestedBegin = "txn.nested_begin"
        case txnIdMismatch = "txn.id_mismatch"
        case txnBadMarker = "txn.bad_marker"
        case txnUnframedSegment = "txn.unframed_segment"
        case txnAborted = "txn.aborted"
        case manifestBadPayload = "manifest.bad_payload"
        case checkpointPayloadChecksum = "checkpoint.payload_checksum"
        case checkpointBadPayload = "checkpoint.bad_payload"
        case checkpointReplayFrom = "checkpoint.replay_from"
        case checkpointHidesCommits = "checkpoint.hides_commits"
        case catalogBadPayload = "catalog.bad_payload"
        case catalogTooLarge = "catalog.too_large"
        case catalogInconsistent = "catalog.inconsistent"
        case recordBadPayload = "record.bad_payload"
        case recordUnknownCollection = "record.unknown_collection"
        case recordUnknownSchemaVersion = "record.unknown_schema_version"
        case recordFailsValidation = "record.fails_validation"
        case recordValidationUnchecked = "record.validation_unchecked"
        case indexBadPayload = "index.bad_payload"
        case indexUniqueViolation = "index.unique_violation"
        case deepUniqueBudget = "deep.unique_budget"
        case tempPayloadChecksum = "temp.payload_checksum"
        case fileWriterActive = "file.writer_active"
        case containerGzipTruncated = "container.gzip_truncated"
        case containerGzipCorrupt = "container.gzip_corrupt"
        case containerTrailingGarbage = "container.trailing_garbage"
    }
}

/// Collects findings in the order they are seen.
public struct FindingSink {
    public private(set) var findings: [Finding] = []
    /// Findings beyond this many are counted, not kept, so a hostile input cannot grow memory.
    public let limit: Int
    public private(set) var dropped = 0

    public init(limit: Int = 10_000) { self.limit = limit }

    public private(set) var errorCount = 0
    public private(set) var warningCount = 0

    /// Sees every finding as it is added (listings that interleave findings with structures).
    public var observer: ((Finding) -> Void)?

    public mutating func add(_ finding: Finding) {
        observer?(finding)
        switch finding.severity {
        case .error: errorCount += 1
        case .warning: warningCount += 1
        case .info: break
        }
        if findings.count < limit { findings.append(finding) } else { dropped += 1 }
    }

    /// Rewrites kept findings in place (a severity settled only at the end of the walk) and
    /// keeps the counts true.
    public mutating func revise(_ transform: (inout Finding) -> Void) {
        for i in findings.indices {
            let before = findings[i].severity
            transform(&findings[i])
            let after = findings[i].severity
            guard before != after else { continue }
            if before == .error { errorCount -= 1 } else if before == .warning { warningCount -= 1 }
            if after == .error { errorCount += 1 } else if after == .warning { warningCount += 1 }
        }
    }
}
