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
/// Only for a regular, uncompressed file that can be read again: the second thread reads the
/// payloads through a descriptor of its own, by offset.
final class SpeculativeChecks: @unchecked Sendable {
    /// A check taken on trust failed, or the second thread could not read the file.
    struct Failed: Error {}

    /// One segment read where it lies: its header's checksum and its payload's are to be proved.
    struct Item: Sendable {
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

    /// What the walk hands over at once.
    struct Batch: Sendable {
        var items: [Item] = []
        var catalogs: [Catalog] = []
        /// The generation of the catalog last appended.
        var catalogGeneration = -1

        /// Whether it is due to be handed over.
        var isFull: Bool {
            items.count >= SpeculativeChecks.batchSize || catalogs.count >= SpeculativeChecks.catalogsPerBatch
        }

        mutating func append(segmentAt offset: UInt64, payloadLength: Int, payloadCRC: UInt32) {
            items.append(
                Item(
                    segmentOffset: offset, payloadLength: UInt32(payloadLength), payloadCRC: payloadCRC, catalog: -1,
                    decode: .nothing))
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
    /// Catalogs per batch: a batch that needs more is handed over early.
    static let catalogsPerBatch = 64
    /// Decodes are taken on trust only while the catalog holds at most this many structures
    /// (`CheckOptions.catalogStructureLimit`).
    static let catalogStructureLimit = 4096

    private let fd: Int32
    private let windowCapacity: Int
    /// At most `backlog` batches wait: memory stays flat, and past them the walk proves a
    /// batch itself (`submit`).
    private let queue: BatchQueue<Batch>
    private let failed = Atomic<Bool>(false)
    private var thread: WorkerThread?
    // The second thread's, read once it has been joined.
    private var valuesVisited = 0
    /// The walk's own window and count, for the batches it proves itself (`submit`).
    private var walkWindow: ReadWindow?
    private var valuesVisitedByWalk = 0
    /// Batches the walk proved itself because the second thread lagged.
    private(set) var batchesCheckedByWalk = 0

    /// Reads of the walk's source the second thread does when it gets to them first.
    private let fillAhead: FillAhead?

    /// Nil when `path` cannot be opened here or is not a regular file, or no thread can be
    /// started. `largestSegment`: no segment handed over is longer. `fillAhead`: the walk's
    /// reads to do ahead of it while this thread waits for work (`FillAhead`).
    init?(path: String, largestSegment: Int, backlog: Int = 4, fillAhead: FillAhead? = nil) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            return nil
        }
        self.fd = fd
        self.fillAhead = fillAhead
        windowCapacity = max(largestSegment, 4 << 20)
        queue = BatchQueue(capacity: backlog, spinNanoseconds: 200_000)
        thread = WorkerThread(stackSize: 1 << 20) { [self] in run() }
        if thread == nil { return nil }
    }

    deinit {
        cancel()
        walkWindow?.release()
        close(fd)
    }

    /// Hands `batch` over and empties it; when the second thread lags (the queue is full),
    /// the walk's thread proves the batch itself rather than wait, so the two cores share
    /// whatever the work is. Throws once a check has failed.
    func submit(_ batch: inout Batch) throws(Failed) {
        if failed.load(ordering: .relaxed) { throw Failed() }
        if !queue.tryPush([batch], bytes: 1) {
            if walkWindow == nil { walkWindow = ReadWindow(fd: fd, capacity: windowCapacity) }
            batchesCheckedByWalk += 1
            guard Self.check(batch, &walkWindow!, valuesVisited: &valuesVisitedByWalk) else {
                failed.store(true, ordering: .relaxed)
                throw Failed()
            }
        }
        batch = Batch()
        batch.items.reserveCapacity(Self.batchSize)
    }

    /// Hands over what is left and waits for the second thread; the row values its decodes
    /// visited. Throws when a check failed.
    func finish(_ batch: inout Batch) throws(Failed) -> Int {
        if !batch.items.isEmpty { try submit(&batch) }
        queue.close()
        thread?.join()
        thread = nil
        if failed.load(ordering: .relaxed) { throw Failed() }
        return valuesVisited + valuesVisitedByWalk
    }

    /// Stops the second thread without waiting for its checks (the walk ended otherwise).
    func cancel() {
        guard let thread else { return }
        failed.store(true, ordering: .relaxed)
        queue.close()
        thread.join()
        self.thread = nil
    }

    private func run() {
        var window = ReadWindow(fd: fd, capacity: windowCapacity)
        defer { window.release() }
        // The walk's next read is done while this thread waits for a batch, not between checks:
        // in a full decode it seldom waits, and its checks are what the walk waits for.
        let fillAhead = fillAhead
        while let batches = queue.pop(whileWaiting: { fillAhead?.serve() }) {
            for batch in batches where !failed.load(ordering: .relaxed) {
                if !Self.check(batch, &window, valuesVisited: &valuesVisited) { failed.store(true, ordering: .relaxed) }
            }
        }
    }

    /// Whether every check of `batch` holds, reading its segments through `window`.
    private static func check(_ batch: Batch, _ window: inout ReadWindow, valuesVisited: inout Int) -> Bool {
        let headerSize = Layout.segmentHeaderSize
        // Changed with the catalog, not for each item.
        var schemas = RecordSchemas(Catalog())
        var catalogIndex: Int32 = -1
        for item in batch.items {
            guard let segment = window.bytes(at: item.segmentOffset, count: headerSize + Int(item.payloadLength)) else {
                return false
            }
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

/// A stretch of a file read by offset into one buffer, read again from the offset asked for
/// whenever a range falls outside it.
struct ReadWindow {
    private let fd: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private var start: UInt64 = 0
    private var count = 0

    static let readAhead = 1 << 20

    init(fd: Int32, capacity: Int) {
        self.fd = fd
        buffer = .allocate(byteCount: capacity, alignment: 64)
    }

    func release() { buffer.deallocate() }

    /// Bytes `offset..<offset + length` of the file; nil when they cannot be read.
    mutating func bytes(at offset: UInt64, count length: Int) -> UnsafeRawBufferPointer? {
        if offset >= start, offset + UInt64(length) <= start + UInt64(count) {
            let from = Int(offset - start)
            return UnsafeRawBufferPointer(rebasing: buffer[from..<(from + length)])
        }
        guard length <= buffer.count else { return nil }
        start = offset
        count = 0
        // Read ahead 1 MiB at a time, more only for a longer segment: the pages of the buffer
        // that are never filled take no memory.
        let wanted = min(buffer.count, max(length, Self.readAhead))
        while count < wanted {
            let got = pread(fd, buffer.baseAddress! + count, wanted - count, off_t(offset) + off_t(count))
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            count += got
        }
        return count >= length ? UnsafeRawBufferPointer(rebasing: buffer[0..<length]) : nil
    }
}
