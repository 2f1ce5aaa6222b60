import ModelVaultCheck
import ModelVaultFormat
import Threads

/// Runs an analyser of the walk on a second thread, so that what it does with each segment
/// (export turns rows into JSON and sorts them) overlaps the walk's own decode on a machine
/// with two cores. The walk's thread copies what the analyser reads of each segment into a
/// batch and hands batches over through a queue bounded to `capacity` bytes (memory stays
/// flat: the walk waits when the analyser falls behind); the analyser sees, in the walk's
/// order, every segment whose payload it reads, that begins, commits or aborts a transaction,
/// or that carries a catalog entry — what export's analysers read. Findings and unreadable
/// stretches are not passed on.
final class AnalyserThread: SegmentAnalyser {
    /// One segment as the analyser reads it: the judged segment and a copy of its payload
    /// (empty for types whose payload the analyser does not read).
    struct Item: Sendable {
        var segment: ObservedSegment
        var payload: [UInt8]
    }

    /// The analyser, handed to the worker thread: the walk's thread touches it only before the
    /// first batch is queued (`prelude`) and after the worker has been joined (`finish`).
    private final class Owned: @unchecked Sendable {
        let analyser: any SegmentAnalyser
        init(_ analyser: any SegmentAnalyser) { self.analyser = analyser }
    }

    let analyser: any SegmentAnalyser
    /// Payload bytes the analyser reads, by type code.
    private var wanted: [Int] = []
    private let queue: BatchQueue<Item>
    private var batch: [Item] = []
    private var batchBytes = 0
    private var worker: WorkerThread?
    static let batchBytesLimit = 1 << 20

    /// Starts the worker thread; nil when the system cannot start one (the caller then adds
    /// the analyser to the walk directly).
    init?(_ analyser: any SegmentAnalyser, capacity: Int = 16 << 20) {
        self.analyser = analyser
        wanted = (0..<16).map { code in SegmentType(rawValue: UInt16(code)).map(analyser.payloadBytesWanted) ?? 0 }
        let queue = BatchQueue<Item>(capacity: capacity)
        self.queue = queue
        let owned = Owned(analyser)
        guard
            let worker = WorkerThread(
                stackSize: 8 << 20,
                {
                    while let items = queue.pop() {
                        for item in items {
                            item.payload.withUnsafeBytes { owned.analyser.segment(item.segment, payload: $0) }
                        }
                    }
                })
        else { return nil }
        self.worker = worker
    }

    deinit { finish() }

    /// The full-decode check of `path` with `analyser` reading beside it, on a second thread
    /// when one can be started; the thread is joined on every way out (a thrown stop request
    /// included), so the analyser is the caller's alone again when this returns.
    static func check(
        path: String, options: CheckOptions, progress: ((UInt64, UInt64?) -> Void)?, with analyser: any SegmentAnalyser
    ) throws -> Report {
        let thread = AnalyserThread(analyser)
        defer { thread?.finish() }
        return try Checker.check(
            path: path, command: "export", options: options, progress: progress,
            configure: { walker in
                if let thread { walker.add(thread) } else { walker.add(analyser) }
            })
    }

    func payloadBytesWanted(for type: SegmentType) -> Int { analyser.payloadBytesWanted(for: type) }

    func prelude(header: FileHeader?, superblocks: [(Superblock, selected: Bool)]) {
        analyser.prelude(header: header, superblocks: superblocks)
    }

    func segment(_ segment: ObservedSegment, payload: UnsafeRawBufferPointer) {
        let code = Int(segment.summary.type.rawValue)
        let readsPayload = code < wanted.count && wanted[code] > 0
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
