import Synchronization
import Testing

@testable import Threads

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct BatchQueueTests {
    /// A consumer that looks for batches before it sleeps gets every batch once, in order,
    /// whether they come while it looks (pushed at once) or after it has gone to sleep (pushed
    /// a few milliseconds apart), and nil once the queue is closed and drained.
    @Test(arguments: [0, 200_000])
    func aPopThatSpinsFirstStillGetsEveryBatchInOrderThenNil(spinNanoseconds: Int) throws {
        let queue = BatchQueue<Int>(capacity: 4, spinNanoseconds: spinNanoseconds)
        let received = Mutex<[Int]>([])
        let ended = Atomic<Bool>(false)
        let consumer = try #require(
            WorkerThread(stackSize: 1 << 20) {
                while let batch = queue.pop() { received.withLock { $0 += batch } }
                ended.store(true, ordering: .releasing)
            })
        for value in 0..<200 {
            queue.push([value], bytes: 1)
            // Every tenth batch comes after the consumer's look has run out: it has to be woken.
            if value % 10 == 9 { usleep(3000) }
        }
        queue.close()
        consumer.join()
        let consumerEnded = ended.load(ordering: .acquiring)
        #expect(consumerEnded)
        #expect(received.withLock { $0 } == Array(0..<200))
        #expect(queue.pop() == nil)
    }
}
