import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `repair`: a fresh file that verifies clean, the source untouched, nothing half-written.
@Suite struct RepairTests {
    static let repairable = Fixtures.names("damaged").filter {
        !["basic__empty_file", "basic__truncated_header_20", "basic__truncated_superblock_5000"]
            .contains(($0 as NSString).lastPathComponent.replacingOccurrences(of: ".modelvault", with: ""))
    }

    @Test(arguments: repairable)
    func repairedFileVerifiesCleanAndTheSourceIsUntouched(name: String) throws {
        let scratch = try TemporaryDirectory("mvfsck-repair")
        let src = scratch.path("src.modelvault")
        try FileManager.default.copyItem(atPath: Fixtures.url(name).path, toPath: src)
        let past = Date(timeIntervalSince1970: 1_600_000_000)
        try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: src)
        let before = try Data(contentsOf: URL(fileURLWithPath: src))
        let dst = scratch.path("dst.modelvault")
        let r = try CLI.run(["repair", "--json", src, "--to", dst])
        let report = try #require(r.json as? [String: Any], "\(name): \(r.stderr)")
        let repair = try #require(report["repair"] as? [String: Any])
        let sourceClean = report["verdict"] as? String == "clean"
        #expect(r.status == (sourceClean ? 0 : 1), "\(name): status \(r.status) \(repair)")
        #expect(repair["output_verdict"] as? String == "clean")
        let verify = try CLI.run([dst])
        #expect(verify.status == 0, "\(name): \(verify.stdout)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: src)) == before)
        #expect(try FileManager.default.attributesOfItem(atPath: src)[.modificationDate] as? Date == past)
        #expect(scratch.names == ["dst.modelvault", "src.modelvault"], "no temporary files: \(scratch.names)")
        // The kept log is the source's own bytes.
        let out = try Data(contentsOf: URL(fileURLWithPath: dst))
        let kept = repair["kept_bytes"] as? Int ?? 0
        if sourceClean {
            #expect(out == before)
        } else {
            #expect(kept >= 8224)
            #expect(out.subdata(in: 8224..<kept) == before.subdata(in: 8224..<kept))
        }
    }

    @Test(arguments: Fixtures.names("clean"))
    func cleanSourceGivesAByteIdenticalCopy(name: String) throws {
        let scratch = try TemporaryDirectory("mvfsck-repair")
        let dst = scratch.path("copy.modelvault")
        let r = try CLI.run(["repair", "--quiet", CLI.fixture(name), "--to", dst])
        #expect(r.status == 0)
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: dst))
                == (try Fixtures.data(name)))
    }

    @Test func existingDestinationNeedsForce() throws {
        let scratch = try TemporaryDirectory("mvfsck-repair")
        let dst = scratch.path("dst.modelvault")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: dst))
        let r = try CLI.run(["repair", CLI.fixture("damaged/basic__zero_tail_64.modelvault"), "--to", dst])
        #expect(r.status == 8)
        #expect(try String(contentsOfFile: dst, encoding: .utf8) == "keep me")
        let forced = try CLI.run([
            "repair", "--force", "--quiet", CLI.fixture("damaged/basic__zero_tail_64.modelvault"), "--to", dst,
        ])
        #expect(forced.status == 1)
        #expect(try CLI.run([dst]).status == 0)
    }

    @Test func destinationEqualToTheSourceIsRefused() throws {
        let scratch = try TemporaryDirectory("mvfsck-repair")
        let src = scratch.path("db.modelvault")
        try FileManager.default.copyItem(
            atPath: Fixtures.url("damaged/basic__zero_tail_64.modelvault").path, toPath: src)
        let before = try Data(contentsOf: URL(fileURLWithPath: src))
        for dst in [src, scratch.path("./db.modelvault")] {
            let r = try CLI.run(["repair", "--force", src, "--to", dst])
            #expect(r.status == 8)
            #expect(r.stderr.contains("source"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: src)) == before)
    }

    @Test func unwritableDestinationDirectoryIsAnOperationalError() throws {
        let r = try CLI.run([
            "repair", CLI.fixture("damaged/basic__zero_tail_64.modelvault"), "--to", "/proc/mvfsck/dst.modelvault",
        ])
        #expect(r.status == 8)
        #expect(r.stderr.contains("/proc/mvfsck"))
    }

    @Test func dryRunWritesNothing() throws {
        let scratch = try TemporaryDirectory("mvfsck-repair")
        let dst = scratch.path("dst.modelvault")
        let r = try CLI.run(["repair", "--dry-run", CLI.fixture("damaged/basic__sb_newer_crc.modelvault"), "--to", dst])
        #expect(r.status == 4)
        #expect(r.stdout.contains("plan: superblock"))
        #expect(scratch.names.isEmpty)
        let j = try CLI.run([
            "repair", "--dry-run", "--json", CLI.fixture("damaged/basic__sb_newer_crc.modelvault"), "--to", dst,
        ])
        let repair = try #require((j.json as? [String: Any])?["repair"] as? [String: Any])
        #expect(repair["dry_run"] as? Bool == true)
        #expect(repair["superblocks_rewritten"] as? [String] != [])
    }

    @Test func nothingSalvageableWritesNothing() throws {
        let scratch = try TemporaryDirectory("mvfsck-repair")
        let dst = scratch.path("dst.modelvault")
        let r = try CLI.run(["repair", CLI.fixture("damaged/basic__truncated_superblock_5000.modelvault"), "--to", dst])
        #expect(r.status == 4)
        #expect(scratch.names.isEmpty)
    }

    @Test func outOfSpaceLeavesNoPartialFile() throws {
        let scratch = try TemporaryDirectory("mvfsck-repair")
        let dst = scratch.path("dst.modelvault")
        // A file-size limit of 4 KiB makes every write past it fail with EFBIG.
        let r = try CLI.run(
            [
                "-c", "ulimit -f 4; exec \"$0\" repair \"$1\" --to \"$2\"", CLI.binary.path,
                Fixtures.url("damaged/basic__zero_tail_64.modelvault").path, dst,
            ],
            executable: "/bin/sh")
        #expect(r.status == 8, "\(r.stderr)")
        #expect(r.stderr.contains("write failed"))
        #expect(scratch.names.isEmpty, "\(scratch.names)")
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func interruptionRemovesTheTemporaryFile(signal: Int32) throws {
        let scratch = try TemporaryDirectory("mvfsck-repair")
        // A large source arriving slowly through a pipe, interrupted mid-copy.
        let fixture = try Fixtures.data("clean/basic.modelvault")
        let dst = scratch.path("dst.modelvault")
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["repair", "-", "--to", dst]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(fixture.prefix(8224))
        for _ in 0..<200 { input.fileHandleForWriting.write(Data(repeating: 0, count: 64 << 10)) }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(scratch.names.contains { $0.contains(".tmp-") }, "the copy is under way in a temporary file")
        kill(process.processIdentifier, signal)
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 32, "\(message)")
        #expect(scratch.names.isEmpty, "\(scratch.names)")
    }

    /// A temporary file of this DST's exact pattern, a regular file nobody holds locked, was
    /// left by a killed run: repair removes it first and says so. Lookalikes stay.
    @Test func staleTemporaryFilesOfThisDestinationAreRemoved() throws {
        let scratch = try TemporaryDirectory("mvfsck-repair")
        let dst = scratch.path("dst.modelvault")
        let stale = scratch.path(".dst.modelvault.tmp-Ab3xY9")
        try Data("half a database".utf8).write(to: URL(fileURLWithPath: stale))
        let lookalikes = [
            ".dst.modelvault.tmp-abc12", ".dst.modelvault.tmp-abc1234", ".other.modelvault.tmp-abc123",
            ".dst.modelvault.tmp-a_c123", "dst.modelvault.tmp-abc123",
        ]
        for name in lookalikes { try Data("x".utf8).write(to: URL(fileURLWithPath: scratch.path(name))) }
        try FileManager.default.createDirectory(
            atPath: scratch.path(".dst.modelvault.tmp-dir123"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(
            atPath: scratch.path(".dst.modelvault.tmp-lnk123"), withDestinationPath: stale)
        let kept = Set(lookalikes + [".dst.modelvault.tmp-dir123", ".dst.modelvault.tmp-lnk123"])

        let dry = try CLI.run([
            "repair", "--dry-run", "--quiet", CLI.fixture("damaged/basic__zero_tail_64.modelvault"), "--to", dst,
        ])
        #expect(dry.status == 4)
        #expect(FileManager.default.fileExists(atPath: stale), "a dry run writes and removes nothing")

        let r = try CLI.run(["repair", "--quiet", CLI.fixture("damaged/basic__zero_tail_64.modelvault"), "--to", dst])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("removed stale temporary file \(stale)"), "\(r.stderr)")
        #expect(Set(scratch.names) == kept.union(["dst.modelvault"]), "\(scratch.names)")
        #expect(try CLI.run([dst]).status == 0)
    }

    /// A temporary file someone holds an flock on is in use (a live repair holds one on its
    /// own): it is left alone, and removed by a later run once the lock is gone.
    @Test func aLockedTemporaryFileIsLeftAlone() throws {
        let scratch = try TemporaryDirectory("mvfsck-repair")
        let dst = scratch.path("dst.modelvault")
        let busy = scratch.path(".dst.modelvault.tmp-LCK999")
        try Data("being written".utf8).write(to: URL(fileURLWithPath: busy))
        let fd = open(busy, O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        #expect(flock(fd, LOCK_EX) == 0)
        let r = try CLI.run(["repair", "--quiet", CLI.fixture("damaged/basic__zero_tail_64.modelvault"), "--to", dst])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(!r.stderr.contains("stale"), "\(r.stderr)")
        #expect(scratch.names == [".dst.modelvault.tmp-LCK999", "dst.modelvault"])
        close(fd)
        let again = try CLI.run([
            "repair", "--quiet", "--force", CLI.fixture("damaged/basic__zero_tail_64.modelvault"), "--to", dst,
        ])
        #expect(again.status == 1)
        #expect(again.stderr.contains("removed stale temporary file \(busy)"), "\(again.stderr)")
        #expect(scratch.names == ["dst.modelvault"])
    }

    /// Two repairs to one DST: the second leaves the first one's temporary file, which is
    /// being written, alone.
    @Test func aLiveRepairsTemporaryFileIsNotTakenForStale() throws {
        let scratch = try TemporaryDirectory("mvfsck-repair")
        let dst = scratch.path("dst.modelvault")
        let first = Process()
        first.executableURL = CLI.binary
        first.arguments = ["repair", "--quiet", "-", "--to", dst]
        let input = Pipe()
        first.standardInput = input
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        // Half a database, and the pipe left open: the first repair waits with its copy under way.
        let fixture = try Fixtures.data("clean/basic.modelvault")
        input.fileHandleForWriting.write(fixture.prefix(fixture.count / 2))
        var live: [String] = []
        for _ in 0..<250 where live.isEmpty {
            Thread.sleep(forTimeInterval: 0.02)
            live = scratch.names.filter { $0.hasPrefix(".dst.modelvault.tmp-") }
        }
        try #require(live.count == 1, "the first repair's temporary file: \(scratch.names)")

        let second = try CLI.run([
            "repair", "--quiet", CLI.fixture("damaged/basic__zero_tail_64.modelvault"), "--to", dst,
        ])
        #expect(first.isRunning)
        #expect(second.status == 1, "\(second.stderr)")
        #expect(!second.stderr.contains("stale"), "\(second.stderr)")
        #expect(scratch.names == (live + ["dst.modelvault"]).sorted())

        kill(first.processIdentifier, SIGTERM)
        try? input.fileHandleForWriting.close()
        first.waitUntilExit()
        #expect(first.terminationStatus == 32)
        #expect(scratch.names == ["dst.modelvault"])
    }
}
