import Threads

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a source ahead on a thread of its own, into a ring of chunks, so that the walk's
/// thread spends no time in the read itself (nor, for a compressed input, in inflating it): it
/// copies what is ready. At most `chunkCount` × `chunkSize` bytes are held, whatever the input's
/// size. An error the source throws comes out of the `read` that reaches where it happened.
final class ReadAhead: ByteSource {
    let knownSize: UInt64?
    private let ring: Ring
    private let thread: WorkerThread
    /// The chunk being copied out, and how far.
    private var copiedFromChunk = 0

    static let chunkSize = 256 << 10
    static let chunkCount = 4

    /// Nil when no thread can be started (the source is then read in line).
    init?(_ source: ByteSource) {
        knownSize = source.knownSize
        let ring = Ring(source: source)
        guard let thread = WorkerThread(stackSize: 256 << 10, { ring.fill() }) else {
            ring.release()
            return nil
        }
        self.ring = ring
        self.thread = thread
    }

    deinit {
        ring.stop()
        thread.join()
        ring.release()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let chunk = try ring.nextReady() else { return 0 }
        let n = min(buffer.count, chunk.count - copiedFromChunk)
        buffer.baseAddress!.copyMemory(from: chunk.baseAddress! + copiedFromChunk, byteCount: n)
        copiedFromChunk += n
        if copiedFromChunk == chunk.count {
            copiedFromChunk = 0
            ring.consumed()
        }
        return n
    }

    /// The chunks and what the two threads know of them. Unchecked `Sendable`: its counters
    /// are read and written only while `condition` is locked, and a chunk's bytes only by the
    /// thread that owns it at the time (the reader from when it is free until it is produced,
    /// the walk from then until it is consumed).
    private final class Ring: @unchecked Sendable {
        private let source: ByteSource
        private let storage: UnsafeMutableRawBufferPointer
        private var filled = [Int](repeating: 0, count: ReadAhead.chunkCount)
        private let condition = Condition()
        private var produced = 0
        private var consumedCount = 0
        private var ended = false
        private var failure: (any Error)?
        private var stopped = false

        init(source: ByteSource) {
            self.source = source
            storage = .allocate(byteCount: ReadAhead.chunkSize * ReadAhead.chunkCount, alignment: 64)
        }

        func release() { storage.deallocate() }

        private func chunk(_ index: Int) -> UnsafeMutableRawBufferPointer {
            let slot = index % ReadAhead.chunkCount
            return UnsafeMutableRawBufferPointer(
                rebasing: storage[(slot * ReadAhead.chunkSize)..<((slot + 1) * ReadAhead.chunkSize)])
        }

        /// The reader thread: fills free chunks until the source ends, fails, or `stop`.
        func fill() {
            while true {
                condition.lock()
                while produced - consumedCount == ReadAhead.chunkCount && !stopped { condition.wait() }
                let index = produced
                let stop = stopped
                condition.unlock()
                if stop { return }
                let n: Int
                do {
                    n = try source.read(into: chunk(index))
                } catch {
                    condition.lock()
                    failure = error
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                condition.lock()
                if n == 0 {
                    ended = true
                } else {
                    filled[index % ReadAhead.chunkCount] = n
                    produced += 1
                }
                condition.broadcast()
                condition.unlock()
                if n == 0 { return }
            }
        }

        /// The next chunk produced and not consumed; nil at the end of the input.
        func nextReady() throws -> UnsafeRawBufferPointer? {
            condition.lock()
            defer { condition.unlock() }
            while produced == consumedCount && !ended && failure == nil { condition.wait() }
            guard produced > consumedCount else {
                if let failure { throw failure }
                return nil
            }
            let index = consumedCount
            return UnsafeRawBufferPointer(rebasing: chunk(index)[0..<filled[index % ReadAhead.chunkCount]])
        }

        /// The chunk `nextReady` returned is copied out: the reader may fill it again.
        func consumed() {
            condition.lock()
            consumedCount += 1
            condition.broadcast()
            condition.unlock()
        }

        /// Asks the reader to finish (the walk ended before the input did).
        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }
    }
}
