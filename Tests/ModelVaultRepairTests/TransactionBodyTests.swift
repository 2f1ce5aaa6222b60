import Foundation
import ModelVaultFormat
import TestSupport
import Testing

@testable import ModelVaultCheck
@testable import ModelVaultRepair

/// The ledger takes the bulk of a log (Records and Indexes staged in an open transaction)
/// without the walk building an event for each: what it learns is what it learns when told of
/// every segment.
@Suite struct TransactionBodyTests {
    /// An analyser that takes every segment as an event, so the walk builds one for each.
    final class EveryEvent: SegmentAnalyser {
        var bodies = 0
        func payloadBytesWanted(for type: SegmentType) -> Int { 0 }
        func prelude(header: FileHeader?, superblocks: [(Superblock, selected: Bool)]) {}
        func segment(_ segment: ObservedSegment, payload: UnsafeRawBufferPointer) {
            if case .staged = segment.role, segment.summary.type == .record || segment.summary.type == .index {
                bodies += 1
            }
        }
    }

    static func ledger(_ url: URL, everyEvent: Bool, batch: Int = 256) throws -> (TransactionLedger, EveryEvent?) {
        let ledger = TransactionLedger()
        let watcher = everyEvent ? EveryEvent() : nil
        var options = CheckOptions(deep: false)
        options.transactionBodyBatch = batch
        _ = try Checker.check(
            path: url.path, command: "repair", options: options,
            configure: { walker in
                walker.add(ledger)
                if let watcher { walker.add(watcher) }
            })
        ledger.finish()
        return (ledger, watcher)
    }

    /// Bodies reach the ledger in runs (one body at a time, three, or up to 256): before
    /// anything else it is told.
    @Test(arguments: [1, 3, 256])
    func theLedgerLearnsFromTransactionBodiesWhatItLearnsFromTheirEvents(batch: Int) throws {
        var bodies = 0
        for url in Fixtures.files("clean") + Fixtures.files("damaged") {
            let (fast, _) = try Self.ledger(url, everyEvent: false, batch: batch)
            let (slow, watcher) = try Self.ledger(url, everyEvent: true)
            let name = url.lastPathComponent
            #expect(Array(fast.units) == Array(slow.units), "\(name)")
            #expect(Array(fast.structures) == Array(slow.structures), "\(name)")
            #expect(fast.damagedStretches == slow.damagedStretches, "\(name)")
            #expect(fast.collectionNames == slow.collectionNames, "\(name)")
            #expect(fast.logEnd == slow.logEnd, "\(name)")
            for index in fast.units.indices {
                #expect(fast.collections(of: index) == slow.collections(of: index), "\(name) unit \(index)")
            }
            bodies += watcher?.bodies ?? 0
        }
        // The fixtures hold transaction bodies enough for the two ways to differ if they could.
        #expect(bodies > 500)
    }
}
