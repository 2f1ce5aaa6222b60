import ModelVaultFormat
import Testing

@testable import ModelVaultCheck

@Suite struct TransactionBodyBatchTests {
    /// Record preamble bytes: version 1, collection `i`, schema version 1, op 1.
    static func preamble(_ i: Int) -> RecordPreamble? {
        let bytes: [UInt8] = [1, 0, UInt8(i), 0, 0, 0, 1, 0, 0, 0, 1]
        return bytes.withUnsafeBytes { try? RecordPreamble(parsing: $0, at: 0) }
    }

    static func body(_ i: Int) -> TransactionBody {
        TransactionBody(
            type: i.isMultiple(of: 2) ? .record : .index, offset: UInt64(i * 100), end: UInt64(i * 100 + 60),
            record: i.isMultiple(of: 2) ? preamble(i) : nil)
    }

    /// Bodies come out in the order they went in, in runs no longer than the capacity, and
    /// each exactly once.
    @Test func bodiesAreHandedOverInOrderOnceEachInRunsUpToTheCapacity() {
        var batch = TransactionBodyBatch(capacity: 4)
        var delivered: [TransactionBody] = []
        var runs: [Int] = []
        for i in 0..<10 where batch.append(Self.body(i)) {
            batch.drain { run in
                runs.append(run.count)
                delivered += run
            }
        }
        #expect(batch.count == 2)
        batch.drain { run in
            runs.append(run.count)
            delivered += run
        }
        batch.drain { _ in runs.append(-1) }
        #expect(runs == [4, 4, 2])
        #expect(delivered == (0..<10).map(Self.body))
        #expect(batch.count == 0)
    }
}
