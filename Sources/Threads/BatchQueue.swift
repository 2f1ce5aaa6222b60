import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A queue of batches between two threads, bounded by the bytes it holds: `push` waits while
/// the queue is over `capacity`, `pop` while it is empty and open.
public final class BatchQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = Condition()
    private var batches: [(items: [Element], bytes: Int)] = []
    private var head = 0
    private var held = 0
    private var closed = false
    public let capacity: Int
    /// Whether a batch waits or the queue is closed: what a spinning `pop` looks at without
    /// the lock.
    private let ready = Atomic<Bool>(false)
    /// How long an empty `pop` looks at `ready` before it sleeps, in nanoseconds (`init`).
    private let spinNanoseconds: Int

    /// - Parameter spinNanoseconds: how long an empty `pop` keeps looking for a batch before
    ///   it sleeps: for a consumer that usually waits briefly, so that the producer seldom has
    ///   to wake it (a system call on the producer's thread each time).
    public init(capacity: Int, spinNanoseconds: Int = 0) {
        self.capacity = capacity
        self.spinNanoseconds = spinNanoseconds
    }

    /// Looks at `ready` until it is set or `spinNanoseconds` have passed, doing `work` in
    /// between.
    private func spin(_ work: (() -> Void)?) {
        guard spinNanoseconds > 0, !ready.load(ordering: .acquiring) else { return }
        let deadline = Self.now() + spinNanoseconds
        while !ready.load(ordering: .acquiring) && Self.now() < deadline {
            if let work { work() }
            // Lets a sibling hardware thread (or another process) run meanwhile.
            sched_yield()
        }
    }

    private static func now() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec * 1_000_000_000 + time.tv_nsec
    }

    public func push(_ items: [Element], bytes: Int) {
        condition.lock()
        defer { condition.unlock() }
        while held >= capacity && !closed { condition.wait() }
        enqueue(items, bytes: bytes)
    }

    /// `push` unless the queue is over `capacity`: false then, and nothing is queued.
    public func tryPush(_ items: [Element], bytes: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard held < capacity || closed else { return false }
        enqueue(items, bytes: bytes)
        return true
    }

    /// Queues a batch; the lock is held.
    private func enqueue(_ items: [Element], bytes: Int) {
        batches.append((items, bytes))
        held += bytes
        ready.store(true, ordering: .releasing)
        condition.broadcast()
    }

    /// The next batch; nil once the queue is closed and empty. `work` is done while it looks
    /// for one before sleeping (`spinNanoseconds`).
    public func pop(whileWaiting work: (() -> Void)? = nil) -> [Element]? {
        spin(work)
        condition.lock()
        defer { condition.unlock() }
        while head == batches.count && !closed { condition.wait() }
        guard head < batches.count else { return nil }
        return take()
    }

    /// Takes the batch at `head`; the lock is held and one waits.
    private func take() -> [Element] {
        let batch = batches[head]
        batches[head] = ([], 0)
        head += 1
        if head == batches.count {
            batches.removeAll(keepingCapacity: true)
            head = 0
            if !closed { ready.store(false, ordering: .relaxed) }
        }
        held -= batch.bytes
        condition.broadcast()
        return batch.items
    }

    /// The next batch if one waits, without waiting for one.
    public func tryPop() -> [Element]? {
        guard ready.load(ordering: .acquiring) else { return nil }
        condition.lock()
        defer { condition.unlock() }
        return head < batches.count ? take() : nil
    }

    public func close() {
        condition.lock()
        closed = true
        ready.store(true, ordering: .releasing)
        condition.broadcast()
        condition.unlock()
    }
}
