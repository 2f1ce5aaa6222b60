import Foundation
import ModelVaultFormat
import Synchronization
import TestSupport
import Testing

@testable import ModelVaultCheck

#if canImport(Glibc)
    import Glibc
#endif

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

    /// Also with a read buffer of 16 KiB, where a fixture's walk moves the buffer, restarts it
    /// and reads bytes again (after a damaged length) many times over.
    @Test(arguments: [false, true], [StreamCursor.defaultCapacity, 16 << 10])
    func everyFixtureGetsTheSequentialWalksReport(deep: Bool, capacity: Int) throws {
        var held = 0
        var walkedAgain = 0
        var options = CheckOptions(deep: deep)
        options.readBufferCapacity = capacity
        var sequentialOptions = options
        sequentialOptions.secondCore = false
        for url in Fixtures.files("clean") + Fixtures.files("damaged") {
            let path = url.path
            let (report, speculation) = try Checker.walk(
                try OpenedInput.open(path: path), path: path, command: "verify", options: options, progress: nil,
                configure: { _ in })
            let (sequential, _) = try Checker.walk(
                try OpenedInput.open(path: path), path: path, command: "verify", options: sequentialOptions,
                progress: nil, configure: { _ in })
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

    /// A clean log of `count` Temp segments of `payloadLength` bytes after clean/basic, the
    /// segment at `flipped` (if any) with a payload byte changed.
    static func tempLog(count: Int, payloadLength: Int, flipped: Int? = nil) throws -> [UInt8] {
        var bytes = try Fixtures.bytes(Fixtures.url("clean/basic.modelvault"))
        for i in 0..<count {
            let payload = (0..<payloadLength).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
            var segment = Bytes.segmentHeader(type: SegmentType.temp.rawValue, payload: payload) + payload
            if i == flipped { segment[Layout.segmentHeaderSize] ^= 0xff }
            bytes += segment
        }
        return bytes
    }

    /// The second thread proves segments in the walk's own buffer, which the walk writes over
    /// as it moves on (at every move of the buffer, every read, every read asked for ahead):
    /// a file many times the buffer's size keeps every check taken on trust, and gets the
    /// sequential walk's report; a checksum that fails near its end is still caught.
    @Test(arguments: [64 << 10, 1 << 20])
    func checksFromTheWalksBufferHoldAcrossAFileManyTimesItsSize(capacity: Int) throws {
        let directory = try TemporaryDirectory("mvfsck-speculation")
        for flipped in [nil, 11_000] as [Int?] {
            let bytes = try Self.tempLog(count: 12_000, payloadLength: 400, flipped: flipped)
            let path = directory.path("temp-\(flipped ?? 0).modelvault")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            var options = CheckOptions(deep: true)
            options.readBufferCapacity = capacity
            let (report, speculation) = try Checker.walk(
                try OpenedInput.open(path: path), path: path, command: "verify", options: options, progress: nil,
                configure: { _ in })
            var sequentialOptions = options
            sequentialOptions.secondCore = false
            let (sequential, none) = try Checker.walk(
                try OpenedInput.open(path: path), path: path, command: "verify", options: sequentialOptions,
                progress: nil, configure: { _ in })
            #expect(bytes.count > 4 * capacity)
            #expect(none == .none)
            #expect(speculation == (flipped == nil ? .held : .walkedAgain), "flipped \(String(describing: flipped))")
            #expect(report.findings == sequential.findings)
            #expect(report.verdict == sequential.verdict)
            #expect(report.findings.contains { $0.code == .tempPayloadChecksum } == (flipped != nil))
        }
    }

    /// A source whose first read waits until it is let go: the second thread, serving it
    /// while it waits for work, is held there.
    final class HeldSource: ByteSource, @unchecked Sendable {
        let begun = Atomic<Bool>(false)
        let letGo = Atomic<Bool>(false)
        var knownSize: UInt64? { nil }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            begun.store(true, ordering: .releasing)
            while !letGo.load(ordering: .acquiring) { usleep(100) }
            return 0
        }
    }

    /// Before the walk writes over its buffer (`release`), every batch handed over that reads
    /// those bytes is proved: by the walk itself when the second thread is busy. Without it,
    /// the second thread would prove the bytes written over, and fail.
    @Test(arguments: [true, false])
    func bytesTheWalkWritesOverAreProvedFirst(released: Bool) throws {
        let log = try Self.tempLog(count: 3 * 1000, payloadLength: 100)
        let start = try Fixtures.bytes(Fixtures.url("clean/basic.modelvault")).count
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: log.count - start, alignment: 64)
        defer { buffer.deallocate() }
        log.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start...])) }
        // The second thread is held serving a read until the batches are handed over.
        let source = HeldSource()
        let fillAhead = FillAhead(source: source)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 16)
        defer { scratch.deallocate() }
        fillAhead.request(into: scratch)
        let checks = try #require(SpeculativeChecks(backlog: 4, fillAhead: fillAhead))
        while !source.begun.load(ordering: .acquiring) { usleep(100) }
        var batch = SpeculativeChecks.Batch()
        let segmentLength = Layout.segmentHeaderSize + 100
        for i in 0..<3000 {
            let segment = UnsafeRawPointer(buffer.baseAddress! + i * segmentLength)
            let header = SegmentHeader(parsing: UnsafeRawBufferPointer(start: segment, count: segmentLength))
            batch.append(
                segment: segment, at: UInt64(i * segmentLength), payloadLength: 100, payloadCRC: header.payloadCRC)
            if i % 1000 == 999 { try checks.submit(&batch) }
        }
        let whole = UInt(bitPattern: buffer.baseAddress!)..<(UInt(bitPattern: buffer.baseAddress!) + UInt(buffer.count))
        if released { try checks.release(whole) }
        #expect(checks.batchesCheckedByWalk == (released ? 3 : 0))
        // The walk writes over its buffer; then the second thread goes on.
        memset(buffer.baseAddress!, 0x5a, buffer.count)
        source.letGo.store(true, ordering: .releasing)
        #expect(try fillAhead.complete() == 0)
        if released {
            #expect(try checks.finish(&batch) == 0)
        } else {
            #expect(throws: SpeculativeChecks.Failed.self) { _ = try checks.finish(&batch) }
        }
    }
}
