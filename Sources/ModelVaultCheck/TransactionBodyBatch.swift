import ModelVaultFormat

/// A Record or Index staged in the open transaction of a log whose framing holds, its checksum
/// holding: all an analyser that takes transaction bodies is told of it
/// (`SegmentAnalyser.transactionBodies`).
public struct TransactionBody: Sendable, Equatable {
    public var type: SegmentType
    public var offset: UInt64
    public var end: UInt64
    /// A Record's preamble, when it decodes.
    public var record: RecordPreamble?
}

/// Transaction bodies gathered for the analysers and handed over in runs: a call into each
/// analyser per body would cost more than the rest of the body's walk.
struct TransactionBodyBatch: ~Copyable {
    private let storage: UnsafeMutablePointer<TransactionBody>
    let capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    /// Adds `body`; true when the batch is now full and is to be handed over.
    mutating func append(_ body: TransactionBody) -> Bool {
        (storage + count).initialize(to: body)
        count += 1
        return count == capacity
    }

    /// Hands the bodies gathered, in the order they came, to `deliver` (unless there are
    /// none), and empties the batch.
    mutating func drain(_ deliver: (UnsafeBufferPointer<TransactionBody>) -> Void) {
        guard count > 0 else { return }
        deliver(UnsafeBufferPointer(start: storage, count: count))
        storage.deinitialize(count: count)
        count = 0
    }
}
