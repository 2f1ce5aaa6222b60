import Foundation
import ModelVaultCheck
import TestSupport
import Testing

@testable import ModelVaultRepair

/// A salvage beyond the first damage keeps the promise a plain one does: a result it writes
/// verifies clean with the full decode, whatever the source's damage. Checked on every damaged,
/// quirk and fuzzed fixture.
@Suite struct ScavengePromiseTests {
    static let names = Fixtures.names("damaged") + Fixtures.names("quirks") + Fixtures.names("fuzzed")

    /// Salvages fixture `name` into `destination` (a fresh file in a temporary directory when nil).
    static func salvage(_ name: String, _ choices: SalvageChoices, into destination: String? = nil) throws
        -> Salvage.Outcome
    {
        let dir = destination == nil ? try TemporaryDirectory("mvfsck-scavenge-promise") : nil
        return try Salvage.run(
            source: Fixtures.url(name).path, destination: destination ?? dir!.path("out.modelvault"), force: false,
            dryRun: false, choices: choices)
    }

    /// With `--scavenge` alone, and leaving out the first transaction with id 1 too (where
    /// there is one): what is kept past damage is judged afresh, not as the source's walk saw it.
    @Test(arguments: names)
    func aScavengedResultVerifiesCleanWithTheFullDecode(name: String) throws {
        let choices = [
            SalvageChoices(scavenge: true),
            SalvageChoices(scavenge: true, dropTxns: [TransactionReference(id: 1)]),
        ]
        for choice in choices {
            let dir = try TemporaryDirectory("mvfsck-scavenge-promise")
            let destination = dir.path("out.modelvault")
            let outcome: Salvage.Outcome
            do {
                outcome = try Self.salvage(name, choice, into: destination)
            } catch Salvage.Failure.choice {
                // No transaction 1 to leave out, or more than one.
                #expect(choice.mode == .dropTxn, "\(name)")
                continue
            }
            let label = "\(name) \(choice.mode.rawValue)"
            #expect(FileManager.default.fileExists(atPath: destination) == outcome.written, "\(label)")
            guard outcome.written else { continue }
            let verified = try Checker.check(path: destination, command: "verify", options: CheckOptions(deep: true))
            #expect(
                verified.verdict == .clean,
                "\(label): \(verified.findings.map { "\($0.code.rawValue)@\($0.offset)" })")
        }
    }

    /// A Record outside any transaction whose payload ends short: the decode fails just past
    /// its last byte, and the fault is the Record's (not the Manifest's after it), so the
    /// Record is left out and the rest kept.
    @Test func aDecodeFaultAtAPayloadsEndIsBlamedOnItsSegment() throws {
        let name = "fuzzed/fz-de4daeaa8a49.modelvault"
        let outcome = try Self.salvage(name, SalvageChoices(scavenge: true))
        let fault = try #require(outcome.source.findings.first { $0.code == .recordBadPayload })
        #expect(fault.offset == 8512)
        #expect(fault.blamedOffset == 8511)
        #expect(outcome.written)
        let summary = try #require(outcome.summary)
        #expect(summary.dropped.map(\.offset) == [8453])
        #expect(summary.dropped.map(\.reason) == [.doesNotReplay])
    }

    /// Hundreds of transactions whose payloads do not decode (a fuzzed file of 300 KB): they
    /// are left out together, in a few rounds rather than one round of rewriting and decoding
    /// the whole result per transaction.
    @Test func undecodablePayloadsAreLeftOutInFewRounds() throws {
        let name = "fuzzed/fz-111c2cddfad2.modelvault"
        let outcome = try Self.salvage(name, SalvageChoices(scavenge: true))
        let summary = try #require(outcome.summary)
        let undecodable = summary.dropped.filter { $0.detail.hasPrefix("record.bad_payload") }.count
        #expect(undecodable > 150)
        #expect(outcome.written)
        #expect(outcome.rounds <= 8)
    }

    /// Past unreadable bytes the engine stops at, the source's walk does not replay as the
    /// engine replays the result (which reads on): the same short Record, kept past a damaged
    /// Manifest, is found by decoding the result in full, and left out.
    @Test func unitsKeptPastUnreadableBytesAreJudgedAfresh() throws {
        let name = "fuzzed/fz-1cf138541ecd.modelvault"
        let outcome = try Self.salvage(name, SalvageChoices(scavenge: true, dropTxns: [TransactionReference(id: 1)]))
        #expect(outcome.source.findings.contains { $0.code == .segmentBadMagic && $0.offset == 8224 })
        #expect(!outcome.source.findings.contains { $0.code == .recordBadPayload })
        #expect(outcome.written)
        let summary = try #require(outcome.summary)
        #expect(summary.dropped.map(\.offset) == [8453, 8824])
        #expect(summary.dropped.map(\.reason) == [.doesNotReplay, .requested])
    }
}
