import ModelVaultFormat

/// The checkpoint the selected superblock points at, whether the engine will use it, what it
/// holds and what replays after it; and every Checkpoint segment of the log (`inspect`).
public struct CheckpointSummary: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var offset: UInt64
        /// Header and payload.
        public var length: UInt64
        /// The payload checksum holds (a segment with a bad header is never read as one).
        public var checksumsOK: Bool

        public init(offset: UInt64, length: UInt64, checksumsOK: Bool) {
            self.offset = offset
            self.length = length
            self.checksumsOK = checksumsOK
        }
    }

    public struct Collection: Sendable, Equatable {
        public var id: UInt32
        public var name: String
        /// Its schema versions in the checkpoint's catalog.
        public var versions: Int
        public var rows: Int

        public init(id: UInt32, name: String, versions: Int, rows: Int) {
            self.id = id
            self.name = name
            self.versions = versions
            self.rows = rows
        }
    }

    /// The selected superblock's checkpoint pointer (nil: it has none) and payload length.
    public var offset: UInt64?
    public var length: UInt32?
    /// The payload version, when the payload decodes.
    public var version: UInt16?
    public var usedByEngine: Bool
    /// Why the engine does not use it, in words; nil when it does.
    public var notUsedBecause: String?
    public var replayFromOffset: UInt64?
    /// Whether `replay_from_offset` falls on a segment boundary outside any transaction (nil
    /// when it lies at or past the end of the log).
    public var replayFromOnBoundary: Bool?
    public var collections: [Collection] = []
    /// Rows naming a collection the checkpoint's catalog lacks.
    public var otherRows = 0
    public var indexStateBytes: UInt64?
    /// Committed transactions before the checkpoint (its snapshot covers them).
    public var transactionsCovered: Int?
    /// Committed transactions, and bytes, from `replay_from_offset` to the end of the log.
    public var transactionsReplayedAfter: Int?
    public var bytesReplayedAfter: UInt64?
    /// Every Checkpoint segment but the target, in log order (at most 1000; `othersOmitted` more).
    public var others: [Segment] = []
    public var othersOmitted = 0
    /// Checkpoint segments after the target: newer ones the pointer does not name.
    public var newerSegments = 0
}
