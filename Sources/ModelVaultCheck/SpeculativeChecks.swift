import ModelVaultFormat
import Synchronization
import Threads

#if canImport(Glibc)
    import Glibc
#endif

/// Checks the walk takes on trust while a second thread proves them: the header and payload
/// checksums of every segment read where it lies and, in the full decode, every such Record's
/// decode against the catalog in force where it lies, and every such Index's while the catalog
/// has no unique index. The walk goes on as if each held, so the two cores share the
/// work; a valid file (the common case) needs nothing more. When one fails, the walk is
/// abandoned (`Failed`) and `Checker` walks the file again with every check in line: a report
/// is always the one the sequential walk makes.
///
/// The second thread reads each segment where the walk read it, in the walk's buffer: the
/// file is copied from the system once. The walk keeps those bytes in place until they are
/// proved (`release`, before its cursor writes over any part of its buffer).
final class SpeculativeChecks: @unchecked Sendable {
    /// A check taken on trust failed.
    struct Failed: Error {}

    /// One segment read where it lies: its header's checksum and its payload's are to be proved.
    /// Unchecked `Sendable`: `segment` points into the walk's buffer, which the walk leaves
    /// alone until the batch holding the item is proved.
    struct Item: @unchecked Sendable {
        /// The segment's bytes, header first.
        var segment: UnsafeRawPointer
        var segmentOffset: UInt64
        var payloadLength: UInt32
        var payloadCRC: UInt32
        /// Index into the batch's catalogs of the one to decode the payload against; -1: none.
        var catalog: Int32
        var decode: Decode
    }

    /// What a payload is decoded as, besides checksummed.
    enum Decode: UInt8, Sendable {
        case nothing
        /// A Record, against the catalog.
        case record
        /// An Index, whose entries must all name indexes of the catalog and none be unique
        /// (unique entries are replayed in order by the walk itself).
        case index
    }

    /// Set once a batch is proved (or passed over after a failure), by whichever thread did.
    final class Completion: Sendable {
        private let proved = Atomic<Bool>(false)
        var isDone: Bool { proved.load(ordering: .acquiring) }
        func finish() { proved.store(true, ordering: .releasing) }
    }

    /// What the walk hands over at once.
    struct Batch: Sendable {
        var items: [Item] = []
        var catalogs: [Catalog] = []
        /// The generation of the catalog last appended.
        var catalogGeneration = -1
        /// The lowest and one past the highest address of the items' bytes in the walk's buffer.
        private var low = UInt.max
        private var high = UInt(0)
        let completion = Completion()

        /// Whether it is due to be handed over.
        var isFull: Bool {
            items.count >= SpeculativeChecks.batchSize || catalogs.count >= SpeculativeChecks.catalogsPerBatch
                || high &- low >= SpeculativeChecks.batchBytes
        }

        /// The addresses the items' bytes span (empty: no item).
        var span: Range<UInt> { low..<max(low, high) }

        /// Whether an item's bytes lie in `range` of addresses.
        func overlaps(_ range: Range<UInt>) -> Bool { span.overlaps(range) }

        mutating func append(segment: UnsafeRawPointer, at offset: UInt64, payloadLength: Int, payloadCRC: UInt32) {
            items.append(
                Item(
                    segment: segment, segmentOffset: offset, payloadLength: UInt32(payloadLength),
                    payloadCRC: payloadCRC, catalog: -1, decode: .nothing))
            let start = UInt(bitPattern: segment)
            low = min(low, start)
            high = max(high, start + UInt(Layout.segmentHeaderSize + payloadLength))
        }

        /// Whether the catalog of `generation` is not the one last appended: `decodeLast` is
        /// then to be given it.
        func needsCatalog(_ generation: Int) -> Bool { generation != catalogGeneration }

        /// The segment last appended (at `offset`) is to be decoded as `decode` against the
        /// catalog of `generation`, on trust too. False when it was not appended (its payload
        /// streamed): the walk decodes it itself. `generation` changes whenever the catalog
        /// does; `catalog` is that catalog when `needsCatalog(generation)`, else nil (not copied).
        mutating func decodeLast(
            as decode: Decode, segmentAt offset: UInt64, generation: Int, catalog: Catalog?
        ) -> Bool {
            guard let last = items.last, last.segmentOffset == offset, last.decode == .nothing else { return false }
            if generation != catalogGeneration {
                // Full of catalogs: the walk decodes this one itself (the next segment hands
                // the batch over).
                guard let catalog, catalogs.count < SpeculativeChecks.catalogsPerBatch else { return false }
                catalogs.append(catalog)
                catalogGeneration = generation
            }
            // One access to the array, not one per field.
            let catalog = Int32(catalogs.count - 1)
            items.withUnsafeMutableBufferPointer { items in
                items[items.count - 1].catalog = catalog
                items[items.count - 1].decode = decode
            }
            return true
        }
    }

    /// Items per batch handed to the second thread.
    static let batchSize = 4096
    /// Bytes of the walk's buffer a batch spans at most: the batches waiting stay well inside
    /// the buffer, so the walk seldom waits for one before it writes over their bytes.
    static let batchBytes: UInt = 512 << 10
    /// Catalogs per batch: a batch that needs more is handed over early.
    static let catalogsPerBatch = 64
    /// Decodes are taken on trust only while the catalog holds at most this many structures
    /// (`CheckOptions.catalogStructureLimit`).
    static let catalogStructureLimit = 4096

    /// At most `backlog` batches wait: memory stays flat, and past them the walk proves a
    /// batch itself (`submit`).
    private let queue: BatchQueue<Batch>
    private let failed = Atomic<Bool>(false)
    private var thread: WorkerThread?
    // The second thread's, read once it has been joined.
    private var valuesVisited = 0
    /// The walk's count, for the batches it proves itself (`submit`, `release`).
    private var valuesVisitedByWalk = 0
    /// Batches the walk proved itself because the second thread lagged.
    private(set) var batchesCheckedByWalk = 0
    /// Batches handed over that may not be proved yet, and the addresses their bytes span:
    /// the walk's, looked at before it writes over its buffer (`release`).
    private var handedOver: [(completion: Completion, span: Range<UInt>)] = []

    /// Reads of the walk's source the second thread does when it gets to them first.
    private let fillAhead: FillAhead?

    /// Nil when no thread can be started. `fillAhead`: the walk's reads to do ahead of it
    /// while this thread waits for work (`FillAhead`).
    init?(backlog: Int = 4, fillAhead: FillAhead? = nil) {
        self.fillAhead = fillAhead
        queue = BatchQueue(capacity: backlog, spinNanoseconds: 200_000)
        thread = WorkerThread(stackSize: 1 << 20) { [self] in run() }
        if thread == nil { return nil }
    }

    deinit { cancel() }

    /// Hands `batch` over and empties it; when the second thread lags (the queue is full),
    /// the walk's thread proves the batch itself rather than wait, so the two cores share
    /// whatever the work is. Throws once a check has failed.
    func submit(_ batch: inout Batch) throws(Failed) {
        if failed.load(ordering: .relaxed) { throw Failed() }
        if queue.tryPush([batch], bytes: 1) {
            handedOver.append((batch.completion, batch.span))
        } else {
            batchesCheckedByWalk += 1
            try proveHere(batch)
        }
        batch = Batch()
        batch.items.reserveCapacity(Self.batchSize)
    }

    /// Returns once no batch handed over still needs the bytes at `range` of addresses (the
    /// walk is about to write over them): the walk proves waiting batches itself meanwhile.
    /// Throws once a check has failed.
    func release(_ range: Range<UInt>) throws(Failed) {
        guard !handedOver.isEmpty else { return }
        for entry in handedOver where entry.span.overlaps(range) {
            while !entry.completion.isDone {
                if failed.load(ordering: .relaxed) { throw Failed() }
                if let batches = queue.tryPop() {
                    for batch in batches {
                        batchesCheckedByWalk += 1
                        try proveHere(batch)
                    }
                } else {
                    sched_yield()
                }
            }
        }
        handedOver.removeAll { $0.completion.isDone }
    }

    /// Proves `batch` on the walk's thread.
    private func proveHere(_ batch: Batch) throws(Failed) {
        defer { batch.completion.finish() }
        guard Self.check(batch, valuesVisited: &valuesVisitedByWalk) else {
            failed.store(true, ordering: .relaxed)
            throw Failed()
        }
    }

    /// Hands over what is left and waits for the second thread; the row values its decodes
    /// visited. Throws when a check failed.
    func finish(_ batch: inout Batch) throws(Failed) -> Int {
        if !batch.items.isEmpty { try submit(&batch) }
        queue.close()
        thread?.join()
        thread = nil
        handedOver = []
        if failed.load(ordering: .relaxed) { throw Failed() }
        return valuesVisited + valuesVisitedByWalk
    }

    /// Stops the second thread without waiting for its checks (the walk ended otherwise).
    /// Once it returns, no thread reads the walk's buffer.
    func cancel() {
        guard let thread else { return }
        failed.store(true, ordering: .relaxed)
        queue.close()
        thread.join()
        self.thread = nil
        handedOver = []
    }

    private func run() {
        // The walk's next read is done while this thread waits for a batch, not between checks:
        // in a full decode it seldom waits, and its checks are what the walk waits for.
        let fillAhead = fillAhead
        while let batches = queue.pop(whileWaiting: { fillAhead?.serve() }) {
            for batch in batches {
                if !failed.load(ordering: .relaxed) && !Self.check(batch, valuesVisited: &valuesVisited) {
                    failed.store(true, ordering: .relaxed)
                }
                batch.completion.finish()
            }
        }
    }

    /// Whether every check of `batch` holds.
    private static func check(_ batch: Batch, valuesVisited: inout Int) -> Bool {
        let headerSize = Layout.segmentHeaderSize
        // Changed with the catalog, not for each item.
        var schemas = RecordSchemas(Catalog())
        var catalogIndex: Int32 = -1
        for item in batch.items {
            let segment = UnsafeRawBufferPointer(start: item.segment, count: headerSize + Int(item.payloadLength))
            let storedHeaderCRC = UInt32(littleEndian: segment.loadUnaligned(fromByteOffset: 28, as: UInt32.self))
            let payload = UnsafeRawBufferPointer(rebasing: segment[headerSize...])
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: segment[0..<28])) == storedHeaderCRC,
                CRC32C.checksum(payload) == item.payloadCRC
            else { return false }
            switch item.decode {
            case .nothing:
                break
            case .record:
                if item.catalog != catalogIndex {
                    catalogIndex = item.catalog
                    schemas = RecordSchemas(batch.catalogs[Int(item.catalog)])
                }
                var reader = ByteReader(payload, baseOffset: item.segmentOffset + UInt64(headerSize))
                do throws(PayloadCheckError) {
                    try RecordPayload.validate(&reader, schemas: &schemas)
                } catch {
                    return false
                }
                valuesVisited += reader.steps
            case .index:
                if item.catalog != catalogIndex {
                    catalogIndex = item.catalog
                    schemas = RecordSchemas(batch.catalogs[Int(item.catalog)])
                }
                do throws(RecordDecodeError) {
                    var index = try IndexPayload(
                        ByteReader(payload, baseOffset: item.segmentOffset + UInt64(headerSize)))
                    while let entry = try index.nextView() {
                        guard entry.kind != .unique,
                            schemas.catalog.hasIndex(collectionId: entry.collectionId, named: entry.name)
                        else { return false }
                    }
                } catch {
                    return false
                }
            }
        }
        return true
    }
}
