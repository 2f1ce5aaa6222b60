import Foundation
import ModelVaultCheck
import ModelVaultFormat
import TestSupport
import Testing

@testable import ModelVaultRepair

/// A salvage's result is its source's prefix: its check takes the checksums the source's walk
/// proved as stored, and reports what a check proving every one reports.
@Suite struct ProvedPrefixTests {
    @Test func theResultsCheckReportsWhatAFullCheckOfItReports() throws {
        let directory = try TemporaryDirectory("mvfsck-proved-prefix")
        var trusted = 0
        var written = 0
        for url in Fixtures.files("damaged") + Fixtures.files("clean") {
            let name = url.lastPathComponent
            let destination = directory.path(name)
            let outcome: Salvage.Outcome
            do {
                outcome = try Salvage.run(source: url.path, destination: destination, force: true, dryRun: false)
            } catch {
                continue  // refused (nothing to salvage): nothing written to check
            }
            guard outcome.written, let output = outcome.output else { continue }
            written += 1
            if Salvage.provedPrefix(of: outcome.source, keepEnd: outcome.plan.keepEnd) > 0 { trusted += 1 }
            let full = try Checker.check(path: destination, command: "verify")
            #expect(output.verdict == full.verdict, "\(name)")
            #expect(output.findings == full.findings, "\(name)")
            #expect(output.engine == full.engine, "\(name)")
            #expect(output.segments.count == full.segments.count, "\(name)")
        }
        #expect(written > 50)
        #expect(trusted > 20)
    }

    @Test func aSourceWithAFindingBeforeTheCutProvesNothing() throws {
        let flipped = try #require(
            Fixtures.files("damaged").first { $0.lastPathComponent.contains("payload_flip_record") })
        let report = try Checker.check(path: flipped.path, command: "repair", options: CheckOptions(deep: true))
        let first = try #require(report.findings.map(\.offset).min())
        #expect(Salvage.provedPrefix(of: report, keepEnd: first) == first)
        #expect(Salvage.provedPrefix(of: report, keepEnd: first + 1) == 0)
    }

    /// Checksums below the bound are taken as stored, those above it computed: a damaged
    /// payload is found only above it.
    @Test func checksumsBelowTheBoundAreTakenAsStoredAndAboveItProved() throws {
        let flipped = try #require(
            Fixtures.files("damaged").first { $0.lastPathComponent.contains("payload_flip_record") })
        let plain = try Checker.check(path: flipped.path, command: "verify")
        let damage = try #require(plain.findings.first { $0.code == .segmentPayloadChecksum })
        for (bound, found) in [(UInt64(0), true), (damage.offset + damage.length, false), (damage.offset + 1, true)] {
            var options = CheckOptions()
            options.checksumsProvedBelow = bound
            options.secondCore = false
            let report = try Checker.check(path: flipped.path, command: "verify", options: options)
            #expect(report.findings.contains { $0.code == .segmentPayloadChecksum } == found, "bound \(bound)")
        }
    }
}
