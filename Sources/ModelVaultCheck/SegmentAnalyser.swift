import ModelVaultFormat

/// What a segment does to the transactions, as the walk's framing judges it.
public enum TransactionRole: Sendable, Equatable {
    /// Inside the open transaction.
    case staged(txnId: UInt64)
    /// Outside any transaction: applied at once (legacy prefix or minors 3–5), or refused.
    case unframed(legal: Bool)
    case begin(txnId: UInt64)
    /// The open transaction commits.
    case commit(txnId: UInt64, beganAt: UInt64)
    /// The open transaction, if any, is dropped.
    case abort
    /// No part in replay (a bad marker, an orphan commit, a stretch after damage).
    case none
}

/// One segment as the walk has judged it, handed to each analyser.
public struct ObservedSegment: Sendable {
    public var summary: SegmentSummary
    public var role: TransactionRole
    public var payloadOffset: UInt64
    /// The decoded marker, or why it does not decode (markers only).
    public var marker: Result<TxnMarker, TxnMarker.Fault>?
    /// A Schema payload's catalog entry, or why it does not decode; nil when it was not decoded
    /// (checksum mismatch, catalog past its memory limit).
    public var catalogEntry: Result<CatalogEntry, FormatError>?
    /// A Record's preamble (collection, schema version, op); nil when its checksum fails or
    /// it does not decode.
    public var record: RecordPreamble?
    /// A Manifest whose checksum holds and whose payload decodes (what a superblock may point at).
    public var manifestDecodes: Bool
    /// For a Record: the catalog it is decoded against (the open transaction's view, staged
    /// schema changes included); nil for other types, or once the catalog is frozen.
    public var catalog: Catalog?
}

/// A reader of the walk's structures besides the checks the walk makes itself: the `walk`
/// listing, and what else needs the log segment by segment. Added with `LogWalker.add(_:)`
/// before the walk runs; calls come in file order.
public protocol SegmentAnalyser: AnyObject {
    /// How many payload bytes of a segment of `type` it reads: the walk keeps at least that
    /// many of a payload that streams through the read buffer (one that lies in it is whole).
    /// Asked once per type, when the analyser is added.
    func payloadBytesWanted(for type: SegmentType) -> Int
    /// Whether it reads `ObservedSegment.catalog` (a Record's catalog is copied for it);
    /// by default it does.
    var readsRecordCatalog: Bool { get }
    /// The file header (nil when the file is too short for one) and the superblocks.
    func prelude(header: FileHeader?, superblocks: [(Superblock, selected: Bool)])
    /// A segment, its payload borrowed for the call (whole, or the bytes kept of it).
    func segment(_ segment: ObservedSegment, payload: UnsafeRawBufferPointer)
    /// Whether it takes the bulk of a log through `transactionBodies` rather than `segment`
    /// (by default it does not). When every analyser does, such segments cost the walk no
    /// event.
    var takesTransactionBodies: Bool { get }
    /// Records and Indexes whose payloads check out, staged in the open transaction of a log
    /// whose framing holds (`TransactionRole.staged`), in file order: all that `segment` would
    /// be told of each. They come in runs, each before anything else the walk tells of what
    /// follows them. Asked only when `takesTransactionBodies`.
    func transactionBodies(_ bodies: UnsafeBufferPointer<TransactionBody>)
    /// A finding, as the walk makes it (its severity may still be revised at the end).
    func finding(_ finding: Finding)
    /// Bytes the walk could not read as segments (it resumes after them), with the type the
    /// segment header at their start claims when it names one.
    func unreadable(_ range: Range<UInt64>, claimedType: SegmentType?)
    /// The walk reads on from `offset`, a sound header inside the payload of the segment it
    /// last delivered (or found unreadable), whose length is damaged: from there the bytes
    /// belong to the segments that follow, not to that one.
    func resumed(at offset: UInt64)
}

extension SegmentAnalyser {
    public var readsRecordCatalog: Bool { true }
    public var takesTransactionBodies: Bool { false }
    public func transactionBodies(_ bodies: UnsafeBufferPointer<TransactionBody>) {}
    public func finding(_ finding: Finding) {}
    public func unreadable(_ range: Range<UInt64>, claimedType: SegmentType?) {}
    public func resumed(at offset: UInt64) {}
}
