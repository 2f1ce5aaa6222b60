/// Segment types (docs/file-format.md §5, "Segment types").
public enum SegmentType: UInt16, CaseIterable, Sendable, BitwiseCopyable {
    case schema = 1
    case record, manifest, checkpoint, index, txnBegin, txnCommit, txnAbort, temp

    public var name: String {
        switch self {
        case .schema: return "Schema"
        case .record: return "Record"
        case .manifest: return "Manifest"
        case .checkpoint: return "Checkpoint"
        case .index: return "Index"
        case .txnBegin: return "TxnBegin"
        case .txnCommit: return "TxnCommit"
        case .txnAbort: return "TxnAbort"
        case .temp: return "Temp"
        }
    }

    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name.lowercased() == name.lowercased() }) else { return nil }
        self = match
    }

    /// Schema, Record and Index: the segments a transaction stages and replay applies.
    public var isData: Bool { self == .schema || self == .record || self == .index }
    public var isMarker: Bool { self == .txnBegin || self == .txnCommit || self == .txnAbort }
    /// Whether the engine's log scan checks this type's payload CRC (not Checkpoint, not Temp).
    public var payloadCheckedByScan: Bool { self != .checkpoint && self != .temp }
}
