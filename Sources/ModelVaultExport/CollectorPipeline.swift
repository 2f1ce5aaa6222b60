import ModelVaultCheck
import ModelVaultFormat
import Threads

/// Runs a `LiveRowCollector` on a second thread, so that turning rows into JSON and sorting
/// them overlaps the walk's own decode on a machine with two cores. The walk's thread copies
/// what the collector reads of each segment into a batch and hands batches over through a
/// queue bounded to `capacity` bytes (memory stays flat: the walk waits when the collector
/// falls behind); the collector sees the segments in the walk's order, as if it were an
/// analyser of the walk itself.
final class CollectorPipeline: SegmentAnalyser {
    /// One segment as the collector reads it: the judged segment and a copy of its payload
    /// (empty for types whose payload the collector does not read).
    struct Item: Sendable {
        var segment: ObservedSegment
        var payload: [UInt8]
    }

    /// The collector, handed to the worker thread: the walk's thread touches it only before the
    /// first batch is queued (`prelude`) and after the worker has been joined (`finish`).
    private final class Owned: @unchecked Sendable {
        let collector: LiveRowCollector
        init(_ collector: LiveRowCollector) { self.collector = collector }
    }

    let collector: LiveRowCollector
    private let queue: BatchQueue<Item>
    private var batch: [Item] = []
    private var batchBytes = 0
    private var worker: WorkerThread?
    private var checkpointTarget: UInt64?
    static let batchBytesLimit = 1 << 20

    /// Starts the worker thread; nil when the system cannot start one (the caller then adds
    /// the collector to the walk directly).
    init?(_ collector: LiveRowCollector, capacity: Int = 16 << 20) {
        self.collector = collector
        let queue = BatchQueue<Item>(capacity: capacity)
        self.queue = queue
        let owned = Owned(collector)
        guard
            let worker = WorkerThread(
                stackSize: 8 << 20,
                {
                    while let items = queue.pop() {
                        for item in items {
                            item.payload.withUnsafeBytes { owned.collector.segment(item.segment, payload: $0) }
                        }
                    }
                })
        else { return nil }
        self.worker = worker
    }

    deinit { finish() }

    func payloadBytesWanted(for type: SegmentType) -> Int { collector.payloadBytesWanted(for: type) }

    func prelude(header: FileHeader?, superblocks: [(Superblock, selected: Bool)]) {
        collector.prelude(header: header, superblocks: superblocks)
        checkpointTarget = superblocks.first { $0.selected }.flatMap {
            $0.0.checkpointOffset == 0 ? nil : $0.0.checkpointOffset
        }
    }

    func segment(_ segment: ObservedSegment, payload: UnsafeRawBufferPointer) {
        let type = segment.summary.type
        let readsPayload =
            type == .record || (type == .checkpoint && segment.summary.offset == checkpointTarget)
        var marksTransaction = false
        switch segment.role {
        case .begin, .commit, .abort: marksTransaction = true
        default: break
        }
        guard readsPayload || marksTransaction || segment.catalogEntry != nil else { return }
        let copy = readsPayload ? Array(payload) : []
        batch.append(Item(segment: segment, payload: copy))
        batchBytes += copy.count + 256
        if batchBytes >= Self.batchBytesLimit || batch.count >= 4096 { flush() }
    }

    /// Hands the last batch over, waits for the worker to finish it; idempotent.
    func finish() {
        guard let worker else { return }
        flush()
        queue.close()
        worker.join()
        self.worker = nil
    }

    private func flush() {
        guard !batch.isEmpty else { return }
        queue.push(batch, bytes: batchBytes)
        batch = []
        batchBytes = 0
    }
}

/// A queue of batches between two threads, bounded by the bytes it holds: `push` waits while
/// the queue is over `capacity`, `pop` while it is empty and open.
final class BatchQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = Condition()
    private var batches: [(items: [Element], bytes: Int)] = []
    private var head = 0
    private var held = 0
    private var closed = false
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func push(_ items: [Element], bytes: Int) {
        condition.lock()
        defer { condition.unlock() }
        while held >= capacity && !closed { condition.wait() }
        batches.append((items, bytes))
        held += bytes
        condition.broadcast()
    }

    /// The next batch; nil once the queue is closed and empty.
    func pop() -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        while head == batches.count && !closed { condition.wait() }
        guard head < batches.count else { return nil }
        let batch = batches[head]
        batches[head] = ([], 0)
        head += 1
        if head == batches.count {
            batches.removeAll(keepingCapacity: true)
            head = 0
        }
        held -= batch.bytes
        condition.broadcast()
        return batch.items
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
