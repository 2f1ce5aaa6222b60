import Threads

/// Runs jobs on N threads and hands their results over in the listed order, as soon as each
/// is due. At most `window` jobs (eight per worker) run or wait ahead of the next result to
/// hand over, so memory stays bounded; the window is wide enough that while one slow job (a
/// large compressed file) runs, the other workers go on with the files after it.
///
/// Unchecked `Sendable`: every mutable property is read and written only while `condition`
/// is locked.
final class OrderedRunner<Result: Sendable>: @unchecked Sendable {
    private let count: Int
    private let workers: Int
    private let window: Int
    private let condition = Condition()
    private var next = 0
    private var delivered = 0
    private var results: [Int: Result] = [:]

    init(count: Int, workers: Int) {
        self.count = count
        self.workers = max(1, min(workers, max(count, 1)))
        window = max(1, workers) * 8
    }

    /// `shouldStart(i)` is asked before job i starts; a job not started yields `skipped(i)`.
    func run(
        job: @escaping @Sendable (Int) -> Result, skipped: @escaping @Sendable (Int) -> Result,
        shouldStart: @escaping @Sendable (Int) -> Bool, deliver: (Int, Result) -> Void
    ) {
        let threads = (0..<workers).compactMap { _ in
            WorkerThread(stackSize: 8 << 20) { [self] in
                while let index = claim() {
                    let result = shouldStart(index) ? job(index) : skipped(index)
                    condition.lock()
                    results[index] = result
                    condition.broadcast()
                    condition.unlock()
                }
            }
        }
        guard !threads.isEmpty else {
            // No thread could be started: the jobs run here, one after another.
            for index in 0..<count { deliver(index, shouldStart(index) ? job(index) : skipped(index)) }
            return
        }
        while delivered < count {
            condition.lock()
            while results[delivered] == nil { condition.wait() }
            let result = results.removeValue(forKey: delivered)!
            let index = delivered
            delivered += 1
            condition.broadcast()
            condition.unlock()
            deliver(index, result)
        }
        for thread in threads { thread.join() }
    }

    private func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while next < count && next >= delivered + window { condition.wait() }
        guard next < count else { return nil }
        defer { next += 1 }
        return next
    }
}
