import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One read of the walk's source asked for before it is needed, which another thread may do
/// meanwhile: the walk asks for the next bytes into the free part of its buffer
/// (`request`), and when it needs them (`complete`) either finds them read, waits for a read
/// already under way, or reads them itself if no one has begun. So the copy from the page
/// cache moves to a thread with time to spare (the one proving checks, `serve`) without the
/// walk ever waiting for that thread to wake up. Whoever claims a request reads it, and only
/// one request is outstanding at a time, so the source is never read by two threads at once.
final class FillAhead: @unchecked Sendable {
    private enum State: UInt8 {
        /// No request outstanding.
        case idle
        /// Asked for, not begun.
        case pending
        /// Being read by the thread that claimed it.
        case reading
        /// Read by the other thread: the result waits for the walk.
        case done
    }

    private let state = Atomic<UInt8>(State.idle.rawValue)
    private let source: ByteSource
    // Written by whoever holds the claim, published through `state`.
    private var target = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private var result: Result<Int, any Error> = .success(0)
    /// Requests the other thread read (the rest the walk read itself): a counter for tests.
    private let servedCount = Atomic<Int>(0)

    init(source: ByteSource) { self.source = source }

    var served: Int { servedCount.load(ordering: .relaxed) }

    /// The walk asks for up to `buffer.count` bytes of the source into `buffer`, which it
    /// leaves alone until `complete` returns. No request may be outstanding.
    func request(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(state.load(ordering: .relaxed) == State.idle.rawValue)
        target = buffer
        state.store(State.pending.rawValue, ordering: .releasing)
    }

    /// The walk takes the outstanding request's bytes: how many were read (0 at the end of the
    /// input), or the source's error.
    func complete() throws -> Int {
        if claim() {
            result = Result { try source.read(into: target) }
        } else {
            awaitOtherThread()
        }
        state.store(State.idle.rawValue, ordering: .relaxed)
        return try result.get()
    }

    /// The walk withdraws the outstanding request (it will not need the bytes): a read under
    /// way is waited for, one not begun is not done.
    func withdraw() {
        if !claim() { awaitOtherThread() }
        state.store(State.idle.rawValue, ordering: .relaxed)
    }

    /// Waits for the read the other thread claimed: a few hundred KiB from the page cache.
    private func awaitOtherThread() {
        while state.load(ordering: .acquiring) != State.done.rawValue { sched_yield() }
    }

    /// The other thread reads the outstanding request if no one has begun it; whether it did.
    /// Cheap when there is none (one atomic load).
    @discardableResult
    func serve() -> Bool {
        guard state.load(ordering: .relaxed) == State.pending.rawValue, claim() else { return false }
        result = Result { try source.read(into: target) }
        servedCount.add(1, ordering: .relaxed)
        state.store(State.done.rawValue, ordering: .releasing)
        return true
    }

    private func claim() -> Bool {
        state.compareExchange(
            expected: State.pending.rawValue, desired: State.reading.rawValue, ordering: .acquiringAndReleasing
        ).exchanged
    }
}
