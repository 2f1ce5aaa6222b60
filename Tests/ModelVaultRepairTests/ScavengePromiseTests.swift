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

    @Test(arguments: names)
    func aScavengedResultVerifiesCleanWithTheFullDecode(name: String) throws {
        let dir = try TemporaryDirectory("mvfsck-scavenge-promise")
        let destination = dir.path("out.modelvault")
        let outcome = try Salvage.run(
            source: Fixtures.url(name).path, destination: destination, force: false, dryRun: false,
            choices: SalvageChoices(scavenge: true))
        #expect(FileManager.default.fileExists(atPath: destination) == outcome.written, "\(name)")
        guard outcome.written else { return }
        let verified = try Checker.check(path: destination, command: "verify", options: CheckOptions(deep: true))
        #expect(
            verified.verdict == .clean,
            "\(name): \(verified.findings.map { "\($0.code.rawValue)@\($0.offset)" })")
    }

    /// A Record outside any transaction whose payload ends short: the decode fails just past
    /// its last byte, and the fault is the Record's (not the Manifest's after it), so the
    /// Record is left out and the rest kept.
    @Test func aDecodeFaultAtAPayloadsEndIsBlamedOnItsSegment() throws {
        let name = "fuzzed/fz-de4daeaa8a49.modelvault"
        let dir = try TemporaryDirectory("mvfsck-scavenge-promise")
        let outcome = try Salvage.run(
            source: Fixtures.url(name).path, destination: dir.path("out.modelvault"), force: false, dryRun: false,
            choices: SalvageChoices(scavenge: true))
        let fault = try #require(outcome.source.findings.first { $0.code == .recordBadPayload })
        #expect(fault.offset == 8512)
        #expect(fault.blamedOffset == 8511)
        #expect(outcome.written)
        let summary = try #require(outcome.summary)
        #expect(summary.dropped.map(\.offset) == [8453])
        #expect(summary.dropped.map(\.reason) == [.doesNotReplay])
    }
}
