import Foundation
import ModelVaultFormat
import TestSupport
import Testing

@testable import ModelVaultCheck

/// Checks taken on trust and proved on a second core never change a report: a file whose
/// checks all hold gets the sequential walk's report, and one where any fails is walked again
/// with every check in line.
@Suite struct SpeculativeChecksTests {
    static func walk(_ url: URL, deep: Bool) throws -> (report: Report, speculation: Checker.Speculation) {
        let path = url.path
        return try Checker.walk(
            try OpenedInput.open(path: path), path: path, command: "verify", options: CheckOptions(deep: deep),
            progress: nil, configure: { _ in })
    }

    /// When the second thread lags, the walk's own thread proves the batch it would hand
    /// over: with no backlog allowed it proves every one, and each report is still the
    /// sequential walk's, a check that fails included.
    @Test(arguments: [false, true])
    func batchesTheWalkProvesItselfLeaveEveryReportAsTheSequentialWalksIs(deep: Bool) throws {
        var provedByWalk = 0
        var walkedAgain = 0
        for url in Fixtures.files("clean") + Fixtures.files("damaged") {
            var options = CheckOptions(deep: deep)
            options.secondCoreBacklog = 0
            var walkers: [LogWalker] = []
            let (report, speculation) = try Checker.walk(
                try OpenedInput.open(path: url.path), path: url.path, command: "verify", options: options,
                progress: nil, configure: { walkers.append($0) })
            let sequential = try Fixtures.check(try Fixtures.bytes(url), deep: deep)
            let name = url.lastPathComponent
            #expect(report.findings == sequential.findings, "\(name)")
            #expect(report.engine == sequential.engine, "\(name)")
            #expect(report.valuesVisited == sequential.valuesVisited, "\(name)")
            if speculation == .held { provedByWalk += walkers[0].batchesProvedByWalk }
            if speculation == .walkedAgain { walkedAgain += 1 }
        }
        #expect(provedByWalk > 50)
        #expect(walkedAgain > 10)
    }

    @Test(arguments: [false, true])
    func everyFixtureGetsTheSequentialWalksReport(deep: Bool) throws {
        var held = 0
        var walkedAgain = 0
        for url in Fixtures.files("clean") + Fixtures.files("damaged") {
            let (report, speculation) = try Self.walk(url, deep: deep)
            let sequential = try Fixtures.check(try Fixtures.bytes(url), deep: deep)
            let name = url.lastPathComponent
            #expect(speculation != .none, "\(name)")
            #expect(report.verdict == sequential.verdict, "\(name)")
            #expect(report.findings == sequential.findings, "\(name)")
            #expect(report.engine == sequential.engine, "\(name)")
            #expect(report.valuesVisited == sequential.valuesVisited, "\(name)")
            #expect(report.segments.count == sequential.segments.count, "\(name)")
            #expect(report.segments.bytes == sequential.segments.bytes, "\(name)")
            if speculation == .held { held += 1 } else { walkedAgain += 1 }
        }
        // Both ways are taken: clean files keep what was taken on trust; damaged checksums or
        // decodes do not (other damage, a torn tail or a lost superblock, may).
        #expect(held > 50)
        #expect(walkedAgain > 10)
    }

    @Test func aCleanFileIsWalkedOnceAndADamagedChecksumTwice() throws {
        #expect(try Self.walk(Fixtures.url("clean/basic.modelvault"), deep: true).speculation == .held)
        let flipped = try #require(
            Fixtures.files("damaged").first { $0.lastPathComponent.contains("payload_flip_record") })
        #expect(try Self.walk(flipped, deep: false).speculation == .walkedAgain)
    }

    /// The first walk ends by throwing when a check it took on trust fails: its second thread
    /// is stopped with it, not left waiting for batches (holding the file and its window) for
    /// the rest of the process, as it would in a run over many damaged files.
    @Test func aWalkBegunAgainStopsTheFirstWalksSecondThread() throws {
        // A clean log, then Temp segments enough for three batches, the first one's checksum
        // failing: the failure is seen as the walk hands over a later batch, mid-walk.
        var bytes = try Fixtures.bytes(Fixtures.url("clean/basic.modelvault"))
        let firstTemp = bytes.count
        for _ in 0..<(3 * SpeculativeChecks.batchSize) {
            let payload: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
            bytes += Bytes.segmentHeader(type: SegmentType.temp.rawValue, payload: payload) + payload
        }
        bytes[firstTemp + Layout.segmentHeaderSize] ^= 0xff
        let directory = try TemporaryDirectory("mvfsck-speculation")
        let path = directory.path("flipped-early.modelvault")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        weak var firstChecks: SpeculativeChecks?
        try {
            var walkers: [LogWalker] = []
            let (_, speculation) = try Checker.walk(
                try OpenedInput.open(path: path), path: path, command: "verify",
                options: CheckOptions(), progress: nil, configure: { walkers.append($0) })
            #expect(speculation == .walkedAgain)
            firstChecks = walkers[0].speculative
            #expect(firstChecks != nil)
        }()
        #expect(firstChecks == nil)
    }

    @Test func standardInputAndGzipAreWalkedWithEveryCheckInLine() throws {
        let directory = try TemporaryDirectory("mvfsck-speculation")
        let gz = directory.path("basic.modelvault.gz")
        try Data(try Gzip.compress(try Fixtures.bytes(Fixtures.url("clean/basic.modelvault")))).write(
            to: URL(fileURLWithPath: gz))
        #expect(try Self.walk(URL(fileURLWithPath: gz), deep: true).speculation == .none)
    }
}
