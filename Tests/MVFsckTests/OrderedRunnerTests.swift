import Foundation
import Synchronization
import Testing

@testable import mvfsck

/// Files checked by several workers: results in the listed order, and no worker left idle
/// behind one slow file.
@Suite struct OrderedRunnerTests {
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// While the first job runs long (a large compressed file), the other worker goes on with
    /// the jobs after it, as many as the window allows (fifteen for two workers), and every
    /// result is still handed over in order.
    @Test func whileOneJobRunsLongTheOtherWorkerGoesOn() {
        let finished = Counter()
        let finishedWhileFirstRan = Counter()
        let runner = OrderedRunner<Int>(count: 40, workers: 2)
        var order: [Int] = []
        runner.run(
            job: { index in
                if index == 0 {
                    // Waits for the others (at most ten seconds, reached only when they stall).
                    let deadline = Date().addingTimeInterval(10)
                    while finished.value.load(ordering: .relaxed) < 15 && Date() < deadline { usleep(1000) }
                    finishedWhileFirstRan.value.store(finished.value.load(ordering: .relaxed), ordering: .relaxed)
                }
                finished.value.add(1, ordering: .relaxed)
                return index
            },
            skipped: { $0 }, shouldStart: { _ in true },
            deliver: { _, result in order.append(result) })
        #expect(order == Array(0..<40))
        #expect(finishedWhileFirstRan.value.load(ordering: .relaxed) == 15)
    }
}
