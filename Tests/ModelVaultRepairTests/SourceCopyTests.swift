import FileOutput
import Foundation
import ModelVaultCheck
import TestSupport
import Testing

@testable import ModelVaultRepair

/// Repair's copy of a regular source file, made by a second thread behind the walk.
@Suite struct SourceCopyTests {
    /// A source of `count` seeded random bytes, the salvage's output file beside it, and a
    /// started copy of the one into the other.
    struct Setup {
        let directory: TemporaryDirectory
        let path: String
        let bytes: [UInt8]
        let file: AtomicFile
        let copy: SourceCopy

        init(bytes count: Int, chunk: UInt64 = 32 << 20) throws {
            directory = try TemporaryDirectory("mvfsck-copy")
            var generator = SeededGenerator(seed: 7)
            bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            path = directory.path("source.modelvault")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            file = try AtomicFile(destination: directory.path("out.modelvault"))
            copy = try #require(SourceCopy(source: path, into: file, chunk: chunk))
            #expect(copy.start())
        }

        func output() throws -> [UInt8] { [UInt8](try Data(contentsOf: directory.url("out.modelvault"))) }
    }

    @Test func theCopyHoldsExactlyTheBytesWalked() throws {
        let setup = try Setup(bytes: 1_000_003, chunk: 65536)
        let (bytes, copy) = (setup.bytes, setup.copy)
        // The walk reads in uneven pieces; the copier follows whole chunks behind it.
        var walked = 0
        while walked < bytes.count {
            let piece = min(12_345, bytes.count - walked)
            copy.walked(piece)
            walked += piece
        }
        try copy.finish(upTo: UInt64(bytes.count))
        try setup.file.commit()
        #expect(try setup.output() == bytes)
    }

    @Test func appendsAfterTheCopyGoOnFromItsEnd() throws {
        let setup = try Setup(bytes: 5000)
        try setup.copy.finish(upTo: 4000)
        try setup.file.write([1, 2, 3])
        try setup.file.commit()
        #expect(try setup.output() == Array(setup.bytes[..<4000]) + [1, 2, 3])
    }

    @Test func aSourceThatChangesDuringTheWalkIsRefused() throws {
        let setup = try Setup(bytes: 5000)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: setup.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        #expect(throws: InputError.self) { try setup.copy.finish(upTo: UInt64(setup.bytes.count)) }
    }

    @Test func gzipAndStandardInputAreCopiedFromTheWalkInstead() throws {
        let directory = try TemporaryDirectory("mvfsck-copy")
        let gz = directory.path("source.modelvault.gz")
        try Data(try Gzip.compress([UInt8](repeating: 7, count: 1000))).write(to: URL(fileURLWithPath: gz))
        let file = try AtomicFile(destination: directory.path("out.modelvault"))
        #expect(SourceCopy(source: gz, into: file) == nil)
        #expect(SourceCopy(source: "-", into: file) == nil)
        #expect(SourceCopy(source: directory.path, into: file) == nil)
        #expect(SourceCopy(source: directory.path("missing"), into: file) == nil)
    }
}

/// Repair's walk may take checks on trust; when one fails it begins again, and the ledger and
/// the copy it leaves are those of a walk with every check in line.
@Suite struct RestartedWalkTests {
    @Test(arguments: [
        "damaged/basic__payload_flip_record.modelvault", "clean/basic.modelvault",
        "damaged/basic__zero_tail_64.modelvault",
    ])
    func theLedgerAndTheCopyAreTheSequentialWalks(name: String) throws {
        let url = Fixtures.url(name)
        let bytes = try Fixtures.bytes(url)
        let directory = try TemporaryDirectory("mvfsck-restart")
        let file = try AtomicFile(destination: directory.path("out.modelvault"))
        let (report, ledger) = try Salvage.copyAndWalk(source: url.path, into: file, progress: nil)
        try file.commit()

        let reference = TransactionLedger()
        let walker = LogWalker(source: MemorySource(bytes), options: CheckOptions(deep: true))
        walker.add(reference)
        let sequential = try walker.run(command: "repair", path: url.path)
        reference.finish()

        #expect(report.findings == sequential.findings)
        #expect(Array(ledger.units) == Array(reference.units))
        #expect(Array(ledger.structures) == Array(reference.structures))
        #expect(ledger.damagedStretches == reference.damagedStretches)
        #expect([UInt8](try Data(contentsOf: directory.url("out.modelvault"))) == bytes)
    }
}
