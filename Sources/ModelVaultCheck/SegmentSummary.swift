import ModelVaultFormat

/// One segment's framing: where it lies, its type, lengths, checksums and transaction.
public struct SegmentSummary: Sendable {
    public var index: Int
    public var offset: UInt64
    public var type: SegmentType
    public var payloadLength: UInt64
    public var payloadCRCMatches: Bool
    public var txnId: UInt64?
    public var beyondBreak: Bool
    public var storedPayloadCRC: UInt32
    public var computedPayloadCRC: UInt32

    public var totalLength: UInt64 { UInt64(Layout.segmentHeaderSize) + payloadLength }

    init(event: SegmentEvent, effect: TransactionFraming.Effect) {
        storedPayloadCRC = event.header.payloadCRC
        computedPayloadCRC = event.payloadCRC
        index = event.index
        offset = event.offset
        type = event.type
        payloadLength = event.header.payloadLength
        payloadCRCMatches = event.payloadCRCMatches
        beyondBreak = event.beyondBreak
        switch effect {
        case .staged(let id), .begin(let id), .commit(let id, _): txnId = id
        default: txnId = event.txnId
        }
    }
}
