import ModelVaultFormat

/// One segment as the walk saw it: a readable header and a payload that is fully present.
struct SegmentEvent {
    var index: Int
    var offset: UInt64
    var header: SegmentHeader
    var type: SegmentType
    var payloadCRC: UInt32
    /// Whether this segment lies after an unreadable stretch the engine never reads past.
    var beyondBreak: Bool
    /// The decoded marker, or why it is malformed (markers only). Plain values: an event is
    /// copied as bytes.
    var marker: Result<TxnMarker, TxnMarker.Fault>?

    var end: UInt64 { offset + header.totalLength }
    var payloadOffset: UInt64 { offset + UInt64(Layout.segmentHeaderSize) }
    var payloadCRCMatches: Bool { payloadCRC == header.payloadCRC }
    var txnId: UInt64? {
        if case .success(let marker)? = marker { return marker.txnId }
        return nil
    }
}
