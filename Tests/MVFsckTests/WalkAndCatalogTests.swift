import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct WalkTests {
    @Test(arguments: Fixtures.names("clean"))
    func jsonLinesListEverySegmentInFileOrder(name: String) throws {
        let r = try CLI.run(["walk", "--json", CLI.fixture(name)])
        #expect(r.status == 0)
        let rawLines = r.stdout.split(separator: "\n")
        let objects = r.jsonLines
        #expect(objects.count == rawLines.count, "every line parses on its own")
        #expect(objects.first?["kind"] as? String == "header")
        #expect(objects.filter { $0["kind"] as? String == "superblock" }.count == 2)
        let segments = objects.filter { $0["kind"] as? String == "segment" }
        // Segments tile the log from 8224 to the end of the file, with no gaps.
        var expected = 8224
        for s in segments {
            #expect(s["offset"] as? Int == expected)
            expected += 32 + (s["payload_length"] as? Int ?? 0)
        }
        let size =
            try FileManager.default.attributesOfItem(atPath: Fixtures.url(name).path)[.size]
            as? Int
        #expect(expected == size)
        let verify = try CLI.run(["--json", CLI.fixture(name)])
        let count = ((verify.json as? [String: Any])?["segments"] as? [String: Any])?["count"] as? Int
        #expect(segments.count == count)
    }

    @Test func filtersNarrowTheListingButNotTheCheck() throws {
        let name = CLI.fixture("damaged/basic__payload_flip_record.modelvault")
        let all = try CLI.run(["walk", "--json", name]).jsonLines
        let records = try CLI.run([
            "walk", "--json", "--type", "Record", "--type", "TxnCommit", "--from", "8600", "--limit", "2", name,
        ])
        let segments = records.jsonLines.filter { $0["kind"] as? String == "segment" }
        #expect(segments.count == 2)
        #expect(
            segments.allSatisfy {
                ["Record", "TxnCommit"].contains($0["type"] as? String ?? "") && ($0["offset"] as? Int ?? 0) >= 8600
            })
        #expect(records.status == 4)
        #expect(
            all.contains { $0["kind"] as? String == "finding" && $0["code"] as? String == "segment.payload_checksum" })
    }

    @Test func statsCountEveryTypeAndShareOfTheFile() throws {
        let r = try CLI.run(["walk", "--stats", CLI.fixture("clean/basic.modelvault")])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Manifest"))
        #expect(r.stdout.contains("total"))
        let j = try CLI.run(["walk", "--stats", "--json", CLI.fixture("clean/basic.modelvault")])
        let stats = try #require(j.jsonLines.first)
        let byType = try #require(stats["by_type"] as? [String: [String: Any]])
        #expect(byType["Manifest"]?["count"] as? Int == 4)
        #expect(byType["TxnBegin"]?["count"] as? Int == 3)
    }

    @Test func eachSegmentLineGivesItsTransactionOnce() throws {
        let r = try CLI.run(["walk", CLI.fixture("clean/basic.modelvault")])
        #expect(r.status == 0)
        let segmentLines = r.stdout.split(separator: "\n").filter { $0.contains("  crc ") }
        #expect(segmentLines.count == 13)
        for line in segmentLines {
            #expect(line.split(separator: " ").filter { $0 == "txn" }.count == 1, "\(line)")
        }
        #expect(segmentLines.contains { $0.contains("TxnBegin") && $0.contains("txn 1 ") && $0.hasSuffix("begin") })
        #expect(
            segmentLines.contains {
                $0.contains("TxnCommit") && $0.contains("txn 1 ")
                    && $0.hasSuffix("commit of the transaction begun at 8274")
            })
        let json = try CLI.run(["walk", "--json", CLI.fixture("clean/basic.modelvault")]).jsonLines
        let commit = try #require(json.first { $0["type"] as? String == "TxnCommit" })
        #expect(commit["txn_id"] as? Int == 1)
        #expect(commit["summary"] as? String == "commit of the transaction begun at 8274")
    }

    /// Findings follow the structure they concern; those settled only at the end of the input
    /// come last, and the help says so.
    @Test func helpTellsWhereFindingsAppear() throws {
        let help = try CLI.run(["walk", "--help"])
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(!text.contains("findings where they occur"))
        #expect(
            text.contains("A finding follows the structure it concerns; those settled only at the end of the input"))
        #expect(text.contains("come last"))
        let lines = try CLI.run(["walk", CLI.fixture("damaged/basic__torn_in_last_record.modelvault")]).stdout.split(
            separator: "\n")
        let lastSegment = try #require(lines.lastIndex { $0.contains("  crc ") })
        #expect(
            lines[(lastSegment + 1)...].contains { $0.contains("txn.uncommitted") },
            "settled at the end, listed at the end")
    }

    @Test func segmentTypesAreOfferedByShellCompletion() throws {
        let script = try CLI.run(["--generate-completion-script", "bash"])
        #expect(script.status == 0)
        let names = [
            "Schema", "Record", "Manifest", "Checkpoint", "Index", "TxnBegin", "TxnCommit", "TxnAbort", "Temp",
        ]
        let line = script.stdout.split(separator: "\n").first { line in names.allSatisfy { line.contains($0) } }
        #expect(line != nil, "one completion list holds every segment type")
    }

    @Test func unknownTypeIsAUsageError() throws {
        #expect(try CLI.run(["walk", "--type", "Bogus", CLI.fixture("clean/basic.modelvault")]).status == 16)
    }

    @Test(arguments: ["walk", "dump-catalog"])
    func interruptionStopsWithStatus32(command: String) throws {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = [command, "-"]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The walk blocks on standard input, which never ends, until it is interrupted.
        input.fileHandleForWriting.write(
            try Fixtures.data("clean/basic.modelvault").prefix(8224))
        Thread.sleep(forTimeInterval: 0.5)
        process.interrupt()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            Issue.record("\(command) ignored SIGINT")
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        #expect(process.terminationStatus == 32)
    }
}

@Suite struct DumpCatalogTests {
    @Test func jsonUsesTheEngineShapes() throws {
        let r = try CLI.run(["dump-catalog", "--json", CLI.fixture("clean/rich_types.modelvault")])
        #expect(r.status == 0)
        let catalog = try #require(r.json as? [String: Any])
        let collections = try #require(catalog["collections"] as? [[String: Any]])
        let users = try #require(collections.first { $0["name"] as? String == "users" })
        #expect(users["primary_field"] as? String == "id")
        let version = try #require((users["versions"] as? [[String: Any]])?.first)
        #expect((version["offset"] as? Int ?? 0) >= 8224)
        let fields = try #require(version["fields"] as? [[String: Any]])
        let site = try #require(fields.first { ($0["path"] as? [String]) == ["site"] })
        #expect((site["type"] as? [String: Any])?["optional"] as? String == "string")
        #expect((site["constraints"] as? [[String: Any]])?.first?["url"] as? Bool == true)
        let role = try #require(fields.first { ($0["path"] as? [String]) == ["role"] })
        #expect((role["type"] as? [String: Any])?["enum"] as? [String] == ["admin", "user", "guest"])
        let indexes = try #require(version["indexes"] as? [[String: Any]])
        #expect(indexes.contains { $0["name"] as? String == "by_email" && $0["kind"] as? String == "unique" })
    }

    @Test func schemaVersionsAreListedWithTheirSegments() throws {
        let r = try CLI.run(["dump-catalog", "--json", CLI.fixture("clean/schema_versions.modelvault")])
        let collections = try #require((r.json as? [String: Any])?["collections"] as? [[String: Any]])
        let versioned = collections.filter { ($0["current_version"] as? Int ?? 0) > 1 }
        #expect(!versioned.isEmpty)
        for c in versioned {
            let versions = c["versions"] as? [[String: Any]] ?? []
            #expect(versions.count == c["current_version"] as? Int)
            #expect(versions.map { $0["version"] as? Int ?? 0 } == Array(1...versions.count))
        }
        let text = try CLI.run(["dump-catalog", CLI.fixture("clean/schema_versions.modelvault")])
        #expect(text.stdout.contains("version 2"))
    }
}

/// The full decode, the default, sees damage under valid checksums that a framing-only check
/// cannot; `--framing-only` says that its "clean" is limited to framing.
@Suite struct DecodeDepthTests {
    @Test(arguments: [
        ("damaged/basic__record_field_count.modelvault", "record.bad_payload"),
        ("damaged/indexed__unique_index_clash.modelvault", "index.unique_violation"),
    ])
    func theDefaultCheckSeesCorruptedValuesUnderValidCRCs(name: String, code: String) throws {
        let framing = try CLI.run(["--json", "--framing-only", CLI.fixture(name)])
        #expect(framing.status == 0)
        #expect(((framing.json as? [String: Any])?["engine"] as? [String: Any])?["basis"] as? String == "framing")
        for arguments in [["--json"], ["verify", "--json"], ["verify", "--json", "--deep"]] {
            let full = try CLI.run(arguments + [CLI.fixture(name)])
            #expect(full.status == 4, "\(arguments)")
            let report = try #require(full.json as? [String: Any])
            #expect((report["engine"] as? [String: Any])?["basis"] as? String == "deep")
            #expect((report["engine"] as? [String: Any])?["strict_open"] as? String == "fails")
            let codes = (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            #expect(codes.contains(code))
        }
        let inspect = try CLI.run(["inspect", "--json", CLI.fixture(name)])
        #expect(inspect.status == 4)
        #expect(((inspect.json as? [String: Any])?["engine"] as? [String: Any])?["basis"] as? String == "deep")
    }

    @Test func aFramingOnlyCleanVerdictSaysTheContentsWereNotDecoded() throws {
        let name = CLI.fixture("damaged/basic__record_field_count.modelvault")
        let framing = try CLI.run(["verify", "--framing-only", name])
        #expect(framing.status == 0)
        #expect(framing.stdout.contains("clean at framing level: contents not decoded"))
        let full = try CLI.run(["verify", name])
        #expect(!full.stdout.contains("framing level"))
        let exclusive = try CLI.run(["verify", "--framing-only", "--deep", name])
        #expect(exclusive.status == 16)
    }

    @Test(arguments: Fixtures.names("clean"))
    func cleanFilesDecodeCompletely(name: String) throws {
        let r = try CLI.run(["--quiet", CLI.fixture(name)])
        #expect(r.status == 0)
        let framing = try CLI.run(["--quiet", "--framing-only", CLI.fixture(name)])
        #expect(framing.status == 0)
    }
}
