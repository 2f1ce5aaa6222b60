import Foundation
import TestSupport
import Testing

/// `mvfsck export`: live rows and the history of row versions, on a database whose writes are
/// known (fixtures/generate.py, step_history) and its damaged variants (fixtures/damage.py).
@Suite struct ExportTests {
    /// (key, op, txn id, state) of each history line, the summary left out.
    static func history(_ fixture: String, _ extra: [String] = []) throws -> [String] {
        let result = try CLI.run(["export", "--history", "--quiet"] + extra + [CLI.fixture(fixture)])
        let lines = result.jsonLines
        #expect(lines.last?["kind"] as? String == "summary", "\(fixture): the last line is the summary")
        return lines.dropLast().map { line in
            let key = line["key"] as? String ?? "-"
            let txn = (line["txn_id"] as? Int).map(String.init) ?? "-"
            return "\(key) \(line["op"] as? String ?? "-") \(txn) \(line["state"] as? String ?? "?")"
        }
    }

    @Test func historyOfACleanLogListsEveryVersionAsCommitted() throws {
        #expect(
            try Self.history("clean/history.modelvault") == [
                "k1 put 2 committed", "k2 put 3 committed", "k1 put 3 committed", "k2 delete 5 committed",
                "k2 put 6 committed", "k4 put 7 committed", "k1 delete 7 committed",
            ])
    }

    @Test func historyMarksAbortedAndUncommittedTransactions() throws {
        let committed = [
            "k1 put 2 committed", "k2 put 3 committed", "k1 put 3 committed", "k2 delete 5 committed",
            "k2 put 6 committed",
        ]
        #expect(
            try Self.history("damaged/history__last_commit_as_abort.modelvault")
                == committed + ["k4 put 7 aborted", "k1 delete 7 aborted"])
        #expect(
            try Self.history("damaged/history__torn_in_last_txncommit.modelvault")
                == committed + ["k4 put 7 uncommitted", "k1 delete 7 uncommitted"])
    }

    @Test func historyMarksTheDamagedVersionAndWhatLiesPastTheCut() throws {
        #expect(
            try Self.history("damaged/history__payload_flip_t3_record.modelvault") == [
                "k1 put 2 committed", "- put 3 damaged", "k1 put 3 beyond_cut", "k2 delete 5 beyond_cut",
                "k2 put 6 beyond_cut", "k4 put 7 beyond_cut", "k1 delete 7 beyond_cut",
            ])
        let result = try CLI.run([
            "export", "--history", CLI.fixture("damaged/history__payload_flip_t3_record.modelvault"),
        ])
        let damaged = result.jsonLines[1]
        #expect(damaged["row"] is NSNull)
        #expect((damaged["error"] as? String)?.contains("record_payload_type_mismatch") == true)
        #expect(result.status == 4, "the file's own status")
    }

    @Test func historySummaryCountsLinesByState() throws {
        let result = try CLI.run([
            "export", "--history", CLI.fixture("damaged/history__last_commit_as_abort.modelvault"),
        ])
        let summary = try #require(result.jsonLines.last)
        #expect(summary["lines"] as? Int == 7)
        let byState = try #require(summary["by_state"] as? [String: Int])
        #expect(byState == ["committed": 5, "beyond_cut": 0, "uncommitted": 0, "aborted": 2, "damaged": 0])
    }

    @Test func keyFollowsOneRowThroughTheLog() throws {
        #expect(
            try Self.history("clean/history.modelvault", ["--collection", "notes", "--key", "k2"]) == [
                "k2 put 3 committed", "k2 delete 5 committed", "k2 put 6 committed",
            ])
    }

    @Test func liveRowsAreTheLastCommittedVersionOfEachKey() throws {
        let result = try CLI.run(["export", CLI.fixture("clean/history.modelvault")])
        #expect(result.status == 0)
        #expect(
            result.stdout.split(separator: "\n") == [
                #"{"collection":"notes","key":"k2","row":{"id":"k2","text":"second, again","n":20}}"#,
                #"{"collection":"notes","key":"k4","row":{"id":"k4","text":"fourth","n":4}}"#,
            ])
    }

    @Test func liveRowsOfADamagedFileAreWhatRepairKeeps() throws {
        let result = try CLI.run([
            "export", "--quiet", CLI.fixture("damaged/history__payload_flip_t3_record.modelvault"),
        ])
        #expect(result.status == 1, "damage left out, as repair exits")
        #expect(result.stdout == #"{"collection":"notes","key":"k1","row":{"id":"k1","text":"first","n":1}}"# + "\n")
        let aborted = try CLI.run([
            "export", "--quiet", CLI.fixture("damaged/history__last_commit_as_abort.modelvault"),
        ])
        #expect(aborted.jsonLines.map { $0["key"] as? String } == ["k1", "k2"])
    }

    @Test func untilTxnExportsAnEarlierState() throws {
        let result = try CLI.run(["export", "--quiet", "--until-txn", "3", CLI.fixture("clean/history.modelvault")])
        #expect(result.jsonLines.compactMap { ($0["row"] as? [String: Any])?["n"] as? Int } == [10, 2])
        #expect(result.status == 0)
    }

    @Test func collectionNarrowsTheExport() throws {
        let result = try CLI.run(["export", "--collection", "events", CLI.fixture("clean/rich_types.modelvault")])
        #expect(result.jsonLines.map { $0["collection"] as? String } == ["events", "events"])
        #expect(result.jsonLines.map { $0["key"] as? Int } == [-1, 7], "integer keys in numeric order")
    }

    @Test func aFileThatIsNotADatabaseExits4WithNoRows() throws {
        let dir = try TemporaryDirectory("mvfsck-export")
        try Data(repeating: 0x41, count: 10_000).write(to: dir.url("junk.modelvault"))
        let result = try CLI.run(["export", dir.path("junk.modelvault")])
        #expect(result.status == 4)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("nothing written"))
    }

    @Test(arguments: [
        ["--key", "k1"], ["--key", "k1", "--collection", "notes"], ["--history", "--scavenge"],
        ["--collection", "nope"], ["--history", "--collection", "nope"],
    ])
    func misuseIsAUsageError(arguments: [String]) throws {
        let result = try CLI.run(["export"] + arguments + [CLI.fixture("clean/history.modelvault")])
        #expect(result.status == 16, "\(arguments): \(result.stderr)")
    }

    @Test func outputFileIsWrittenAtomicallyAndCompressedForGz() throws {
        let dir = try TemporaryDirectory("mvfsck-export")
        let plain = try CLI.run(["export", CLI.fixture("clean/rich_types.modelvault")])
        let written = try CLI.run([
            "export", "--output", dir.path("rows.jsonl.gz"), CLI.fixture("clean/rich_types.modelvault"),
        ])
        #expect(written.status == 0)
        #expect(written.stdout.isEmpty)
        let unpacked = try Gzip.run(["-dc", dir.path("rows.jsonl.gz")])
        #expect(String(decoding: unpacked.output, as: UTF8.self) == plain.stdout)
        #expect(dir.names == ["rows.jsonl.gz"], "no temporary file left: \(dir.names)")
    }

    @Test func standardInputIsExportedEvenWhenItMustBeRepaired() throws {
        let bytes = try Fixtures.data("damaged/history__payload_flip_t3_record.modelvault")
        let fromStdin = try CLI.run(["export", "--quiet", "-"], stdin: bytes)
        let fromFile = try CLI.run([
            "export", "--quiet", CLI.fixture("damaged/history__payload_flip_t3_record.modelvault"),
        ])
        #expect(fromStdin.status == 1)
        #expect(fromStdin.stdout == fromFile.stdout)
        let gzipped = try CLI.run(["export", "--quiet", "-"], stdin: try Gzip.compress(bytes))
        #expect(gzipped.stdout == fromFile.stdout)
    }
}
