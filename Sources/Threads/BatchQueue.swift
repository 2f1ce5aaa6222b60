/// A queue of batches between two threads, bounded by the bytes it holds: `push` waits while
/// the queue is over `capacity`, `pop` while it is empty and open.
public final class BatchQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = Condition()
    private var batches: [(items: [Element], bytes: Int)] = []
    private var head = 0
    private var held = 0
    private var closed = false
    public let capacity: Int

    public init(capacity: Int) { self.capacity = capacity }

    public func push(_ items: [Element], bytes: Int) {
        condition.lock()
        defer { condition.unlock() }
        while held >= capacity && !closed { condition.wait() }
        batches.append((items, bytes))
        held += bytes
        condition.broadcast()
    }

    /// `push` unless the queue is over `capacity`: false then, and nothing is queued.
    public func tryPush(_ items: [Element], bytes: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard held < capacity || closed else { return false }
        batches.append((items, bytes))
        held += bytes
        condition.broadcast()
        return true
    }

    /// The next batch; nil once the queue is closed and empty.
    public func pop() -> [Element]? {
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

    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
