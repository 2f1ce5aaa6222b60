import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Nightly verification of a backup tree: directories, workers, ordering, subsets, metrics.
@Suite struct ManyFilesTests {
    /// A tree with nested directories, plain and gzip files, a damaged database, a file that is
    /// not a database, a symlink loop and a link to a database (not followed inside the walk).
    final class Tree {
        let directory: TemporaryDirectory
        var root: URL { directory.url }
        init() throws {
            directory = try TemporaryDirectory("mvfsck-tree")
            let fm = FileManager.default
            for dir in ["a/b", "c", "d/e/f"] {
                try fm.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
            }
            func copy(_ fixture: String, _ to: String) throws {
                try fm.copyItem(at: Fixtures.url(fixture), to: root.appendingPathComponent(to))
            }
            try copy("clean/basic.modelvault", "a/basic.modelvault")
            try copy("damaged/basic__header_crc.modelvault", "a/b/damaged.modelvault")
            try copy("damaged/basic__payload_flip_record.modelvault", "a/b/torn.modelvault")
            try copy("clean/indexed.modelvault", "c/indexed.modelvault")
            try copy("clean/many_rows.modelvault", "d/e/f/rows.modelvault")
            try copy("clean/checkpoint.modelvault", "d/e/no-suffix.db")
            try Gzip.compress(Fixtures.data("clean/rich_types.modelvault"))
                .write(to: root.appendingPathComponent("c/rich.modelvault.gz"))
            try Data("not a database\n".utf8).write(to: root.appendingPathComponent("c/notes.modelvault"))
            try fm.createSymbolicLink(
                atPath: root.appendingPathComponent("d/loop").path, withDestinationPath: root.path)
            try fm.createSymbolicLink(
                atPath: root.appendingPathComponent("d/link.modelvault").path,
                withDestinationPath: root.appendingPathComponent("a/basic.modelvault").path)
        }
        var path: String { root.path }
    }

    static func paths(_ lines: [[String: Any]]) -> [String] {
        lines.compactMap { ($0["file"] as? [String: Any])?["path"] as? String }
    }

    @Test func directoriesAreWalkedInSortedOrderWithoutFollowingLinks() throws {
        let tree = try Tree()
        let r = try CLI.run(["--json-lines", "--jobs", "1", tree.path])
        let lines = r.jsonLines
        let relative = Self.paths(lines).map { String($0.dropFirst(tree.path.count + 1)) }
        #expect(
            relative == [
                "a/b/damaged.modelvault", "a/b/torn.modelvault", "a/basic.modelvault",
                "c/indexed.modelvault", "c/notes.modelvault", "c/rich.modelvault.gz", "d/e/f/rows.modelvault",
            ])
        let summary = try #require(lines.last)
        #expect(summary["kind"] as? String == "summary")
        #expect(summary["files"] as? Int == 7)
        #expect((summary["by_verdict"] as? [String: Int])?["clean"] == 4)
        #expect(r.status == 4)
    }

    @Test func outputOrderAndReportsDoNotDependOnWorkers() throws {
        let tree = try Tree()
        let one = try CLI.run(["--json-lines", "--jobs", "1", tree.path])
        let four = try CLI.run(["--json-lines", "--jobs", "4", tree.path])
        let a = one.jsonLines.dropLast()
        let b = four.jsonLines.dropLast()
        #expect(Self.paths(Array(a)) == Self.paths(Array(b)))
        for (x, y) in zip(a, b) {
            #expect(x["verdict"] as? String == y["verdict"] as? String)
            #expect((x["findings"] as? [Any])?.count == (y["findings"] as? [Any])?.count)
        }
        // The same report as a single-file run.
        let single = try CLI.run(["--json", tree.root.appendingPathComponent("a/b/damaged.modelvault").path])
        let fromTree = try #require(
            b.first {
                ($0["file"] as? [String: Any])?["path"] as? String
                    == tree.root.appendingPathComponent("a/b/damaged.modelvault").path
            })
        #expect(
            ((single.json as? [String: Any])?["findings"] as? [Any])?.count == (fromTree["findings"] as? [Any])?.count)
        #expect(one.status == four.status)
    }

    @Test func allFilesSniffsTheMagicAndExcludeSkips() throws {
        let tree = try Tree()
        let r = try CLI.run(["--json-lines", "--all-files", "--exclude", "*/c/*", tree.path])
        let relative = Self.paths(r.jsonLines).map { String($0.dropFirst(tree.path.count + 1)) }
        #expect(relative.contains("d/e/no-suffix.db"))
        #expect(!relative.contains { $0.hasPrefix("c/") })
    }

    @Test func allFilesAddsSniffedFilesToTheSuffixedOnes() throws {
        let tree = try Tree()
        let plain = Set(Self.paths(try CLI.run(["--json-lines", tree.path]).jsonLines))
        let all = Set(Self.paths(try CLI.run(["--json-lines", "--all-files", tree.path]).jsonLines))
        #expect(plain.isSubset(of: all), "a *.modelvault file without the magic is still checked")
        #expect(all.subtracting(plain).map { String($0.dropFirst(tree.path.count + 1)) } == ["d/e/no-suffix.db"])
    }

    /// `--all-files` picks a file by the same rule as the check: the `TDB0` magic or a gzip
    /// header that parses; `1f 8b` followed by anything else is neither.
    @Test func allFilesSniffsAGzipHeaderNotJustItsMagic() throws {
        let tree = try Tree()
        let fm = FileManager.default
        let dir = tree.root.appendingPathComponent("g")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        var raw = try Fixtures.data("clean/basic.modelvault")
        raw.replaceSubrange(0..<4, with: [0x1f, 0x8b, 0x08, 0xe0])
        try raw.write(to: dir.appendingPathComponent("damaged.bin"))
        try Gzip.compress(Fixtures.data("clean/basic.modelvault"))
            .write(to: dir.appendingPathComponent("backup.bin"))
        let r = try CLI.run(["--json-lines", "--all-files", dir.path])
        let relative = Self.paths(r.jsonLines).map { String($0.dropFirst(dir.path.count + 1)) }
        #expect(relative == ["backup.bin"])
    }

    @Test func subsetsPartitionTheTree() throws {
        let tree = try Tree()
        let all = Set(Self.paths(try CLI.run(["--json-lines", tree.path]).jsonLines))
        var seen: [String] = []
        for k in 1...3 {
            seen += Self.paths(try CLI.run(["--json-lines", "--subset", "\(k)/3", tree.path]).jsonLines)
        }
        #expect(seen.count == all.count, "every file in exactly one share")
        #expect(Set(seen) == all)
        #expect(try CLI.run(["--subset", "4/3", tree.path]).status == 16)
    }

    @Test func maxDurationStopsStartingFilesAndCountsTheRest() throws {
        let tree = try Tree()
        let r = try CLI.run(["--json-lines", "--jobs", "1", "--max-duration", "0", tree.path])
        let summary = try #require(r.jsonLines.last)
        #expect(summary["not_reached"] as? Int == 7)
        #expect(summary["files"] as? Int == 0)
        #expect(r.status == 0)
    }

    @Test func exitStatusIsTheOrOfEveryFile() throws {
        let tree = try Tree()
        let r = try CLI.run(["--quiet", tree.path, "missing.modelvault"])
        #expect(r.status == 4 | 8)
        #expect(r.stdout.isEmpty)
    }

    @Test func textListsOneLinePerFileAndASummary() throws {
        let tree = try Tree()
        let r = try CLI.run([tree.path])
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix(tree.path) }.count == 7)
        #expect(lines.last?.hasPrefix("summary: 7 files") == true)
        #expect(r.stdout.contains("segment.header_checksum"), "findings of a damaged file are listed")
    }

    @Test func metricsAreWrittenAtomically() throws {
        let tree = try Tree()
        let metrics = tree.root.appendingPathComponent("m/mvfsck.prom")
        try FileManager.default.createDirectory(
            at: metrics.deletingLastPathComponent(), withIntermediateDirectories: true)
        let r = try CLI.run(["--quiet", "--metrics", metrics.path, tree.path])
        #expect(r.status == 4)
        let text = try String(contentsOf: metrics, encoding: .utf8)
        #expect(text.contains("mvfsck_files{verdict=\"clean\"} 4"))
        #expect(text.contains("mvfsck_file_verdict{path="))
        #expect(!text.contains("rows.modelvault"), "clean files have no per-file gauge")
        #expect(text.contains("mvfsck_last_run_timestamp_seconds"))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: metrics.deletingLastPathComponent().path) == [
                "mvfsck.prom"
            ])
    }

    @Test func aHeldWriterLockIsReportedAndNeverCreated() throws {
        let tree = try Tree()
        let db = tree.root.appendingPathComponent("a/basic.modelvault").path
        #expect(!(try CLI.run(["--json", db]).stdout.contains("file.writer_active")))
        #expect(!FileManager.default.fileExists(atPath: db + ".writer.lock"), "mvfsck never creates the lock file")
        let fd = open(db + ".writer.lock", O_CREAT | O_RDWR, 0o644)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX) == 0)
        let held = try CLI.run(["--json", db])
        #expect(held.stdout.contains("file.writer_active"))
        #expect(held.status == 0, "a warning, not an error")
        flock(fd, LOCK_UN)
        #expect(!(try CLI.run(["--json", db]).stdout.contains("file.writer_active")))
    }

    @Test func unreadableEntriesAreOperationalErrorsAndTheWalkGoesOn() throws {
        let tree = try Tree()
        let locked = tree.root.appendingPathComponent("c/locked.modelvault")
        try FileManager.default.copyItem(at: Fixtures.url("clean/basic.modelvault"), to: locked)
        chmod(locked.path, 0)
        let closedDir = tree.root.appendingPathComponent("closed")
        try FileManager.default.createDirectory(at: closedDir, withIntermediateDirectories: true)
        chmod(closedDir.path, 0)
        defer { chmod(closedDir.path, 0o755) }
        // Permissions do not bind root: run as nobody then.
        var arguments = ["--json-lines", tree.path]
        var executable: String?
        if geteuid() == 0 {
            chmod(tree.path, 0o755)
            executable = "/usr/bin/setpriv"
            arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", CLI.binary.path] + arguments
        }
        let r = try CLI.run(arguments, executable: executable)
        let lines = r.jsonLines
        let summary = try #require(lines.last)
        #expect(summary["operational_errors"] as? Int == 2, "\(summary) \(r.stderr)")
        #expect(summary["files"] as? Int == 7)
        #expect(r.status == 4 | 8)
        #expect(r.stderr.contains("locked.modelvault"))
    }

    @Test func interruptionStopsTheRunAndStillPrintsTheSummary() throws {
        let tree = try Tree()
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["--json-lines", "--jobs", "1", tree.path, "-", tree.path]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The run blocks on standard input, which never ends, until it is interrupted.
        input.fileHandleForWriting.write(Data(count: 100))
        Thread.sleep(forTimeInterval: 0.5)
        process.interrupt()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        #expect(process.terminationStatus & 32 == 32)
        let lines = text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let summary = try #require(lines.last)
        #expect(summary["kind"] as? String == "summary")
        #expect(summary["interrupted"] as? Bool == true)
        #expect(summary["files"] as? Int == 7, "the files before the interruption were checked")
        #expect(summary["not_reached"] as? Int == 8, "standard input and the second tree were not")
    }

    @Test func aDirectoryWithoutDatabasesIsAnOperationalError() throws {
        let empty = try TemporaryDirectory("mvfsck-empty")
        let r = try CLI.run(["verify", "--quiet", empty.path])
        #expect(r.status == 8)
        #expect(r.stderr.contains("no database files under \(empty.path)"), "\(r.stderr)")
        let text = try CLI.run([empty.path])
        #expect(text.status == 8)
        #expect(text.stdout.contains("summary: 0 files"))
        #expect(text.stdout.contains("1 operational errors"))
        // Other arguments are still checked.
        let mixed = try CLI.run(["--quiet", CLI.fixture("clean/basic.modelvault"), empty.path])
        #expect(mixed.status == 8)
    }

    @Test func allowEmptyAcceptsADirectoryWithoutDatabases() throws {
        let empty = try TemporaryDirectory("mvfsck-empty")
        let r = try CLI.run(["verify", "--quiet", "--allow-empty", empty.path])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
    }

    @Test func aDirectoryWhoseFilesAreAllExcludedOrNotDatabasesIsEmpty() throws {
        let scratch = try TemporaryDirectory("mvfsck-empty")
        try FileManager.default.copyItem(
            at: Fixtures.url("clean/basic.modelvault"),
            to: scratch.url("skip.modelvault"))
        try Data("notes\n".utf8).write(to: scratch.url("notes.txt"))
        let excluded = try CLI.run(["--quiet", "--exclude", "*skip*", scratch.path])
        #expect(excluded.status == 8)
        #expect(excluded.stderr.contains("no database files under"))
        #expect(try CLI.run(["--quiet", "--exclude", "*skip*", "--allow-empty", scratch.path]).status == 0)
        #expect(try CLI.run(["--quiet", scratch.path]).status == 0)
    }

    @Test func anEmptyDirectoryIsAnErrorEntryInJSON() throws {
        let empty = try TemporaryDirectory("mvfsck-empty")
        let lines = try CLI.run(["--json-lines", empty.path]).jsonLines
        #expect(lines.count == 2)
        let entry = try #require(lines.first)
        #expect((entry["file"] as? [String: Any])?["path"] as? String == empty.path)
        #expect(entry["error"] as? String == "no database files under \(empty.path)")
        #expect(entry.keys.contains("verdict"))
        let summary = try #require(lines.last)
        #expect(summary["operational_errors"] as? Int == 1)
        #expect(summary["files"] as? Int == 0)
        #expect(summary["exit_status"] as? Int == 8)
        let array = try #require(try CLI.run(["--json", empty.path]).json as? [[String: Any]])
        #expect(array.count == 1)
        #expect(array.first?["error"] as? String == "no database files under \(empty.path)")
        // Every share of a subset run reports it, and so does a run past its --max-duration.
        for k in 1...3 { #expect(try CLI.run(["--quiet", "--subset", "\(k)/3", empty.path]).status == 8) }
        #expect(try CLI.run(["--quiet", "--max-duration", "0", empty.path]).status == 8)
    }

    @Test func metricsCountAnEmptyDirectory() throws {
        let empty = try TemporaryDirectory("mvfsck-empty")
        let out = try TemporaryDirectory("mvfsck-empty")
        let metrics = out.url("mvfsck.prom")
        let r = try CLI.run(["--quiet", "--metrics", metrics.path, empty.path])
        #expect(r.status == 8)
        var samples: [String: String] = [:]
        for line in try String(contentsOf: metrics, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            samples[String(parts[0])] = String(parts[1])
        }
        #expect(samples["mvfsck_operational_errors"] == "1")
        #expect(samples["mvfsck_exit_status"] == "8")
        #expect(samples["mvfsck_files{verdict=\"clean\"}"] == "0")
    }
}
