import Threads

/// Renders and writes the rows the merge has picked, on a second thread when one can be
/// started (else as they come): the merge hands over each row's deciding version, batched, and
/// the renderer turns it into its line and writes it. The first error the writing throws stops
/// the rendering and is rethrown by `add` or `finish`.
final class RowRenderer {
    /// A batch of encoded versions, concatenated.
    struct Batch: Sendable {
        var bytes: [UInt8] = []
        var ends: [Int] = []
    }

    /// What the render thread uses: the writer (`Sendable` data), the line sink (called on that
    /// thread only, while the merge's thread waits in `finish` before it returns), and the
    /// outcome, read after the join.
    private final class Shared: @unchecked Sendable {
        let writer: LiveRowWriter
        let line: ([UInt8]) throws -> Void
        private let lock = Lock()
        private var count = 0
        private var firstFailure: (any Error)?
        var written: Int {
            lock.lock()
            defer { lock.unlock() }
            return count
        }
        var failure: (any Error)? {
            lock.lock()
            defer { lock.unlock() }
            return firstFailure
        }
        init(writer: LiveRowWriter, line: @escaping ([UInt8]) throws -> Void) {
            self.writer = writer
            self.line = line
        }

        func render(_ batch: Batch) {
            guard failure == nil else { return }
            var text: [UInt8] = []
            var start = 0
            var rendered = 0
            defer {
                lock.lock()
                count += rendered
                lock.unlock()
            }
            for end in batch.ends {
                let version = RowVersion(decoding: batch.bytes[start..<end])
                start = end
                text.removeAll(keepingCapacity: true)
                guard writer.append(version, to: &text) else { continue }
                do {
                    try line(text)
                    rendered += 1
                } catch {
                    lock.lock()
                    firstFailure = error
                    lock.unlock()
                    return
                }
            }
        }
    }

    private let shared: Shared
    private let queue = BatchQueue<Batch>(capacity: 8 << 20)
    private var worker: WorkerThread?
    private var batch = Batch()
    private var finished = false

    init(writer: LiveRowWriter, line: @escaping ([UInt8]) throws -> Void) {
        let shared = Shared(writer: writer, line: line)
        self.shared = shared
        let queue = queue
        worker = WorkerThread(stackSize: 1 << 20) {
            while let items = queue.pop() {
                for batch in items { shared.render(batch) }
            }
        }
    }

    /// Dropped without `finish` (the export failed): the render thread still stops.
    deinit {
        if !finished {
            queue.close()
            worker?.join()
        }
    }

    /// Queues one version (as `RowVersion` encodes it).
    func add(_ version: [UInt8]) throws {
        batch.bytes += version
        batch.ends.append(batch.bytes.count)
        if batch.bytes.count >= 1 << 20 { try send() }
    }

    /// Renders what is left, waits for the render thread; returns the rows written. Idempotent;
    /// rethrows the first error the writing threw.
    @discardableResult
    func finish() throws -> Int {
        if !finished {
            finished = true
            try? send()
            queue.close()
            worker?.join()
        }
        if let failure = shared.failure { throw failure }
        return shared.written
    }

    private func send() throws {
        guard !batch.ends.isEmpty else { return }
        let full = batch
        batch = Batch()
        if worker == nil {
            shared.render(full)
        } else {
            queue.push([full], bytes: full.bytes.count)
        }
        if let failure = shared.failure { throw failure }
    }
}
