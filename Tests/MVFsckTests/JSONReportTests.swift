import Foundation
import TestSupport
import Testing

/// The JSON report's shape (docs/report-format.md §4, §5 and §8, report_version 1): every
/// field present, absent values null, several files an array.
@Suite struct JSONReportTests {
    static let topLevel = [
        "report_version", "tool", "command", "redacted", "file", "verdict", "header", "superblocks",
        "segments", "transactions", "catalog", "engine", "findings",
    ]
    static let findingKeys = [
        "code", "severity", "offset", "length", "segment_index", "segment_type", "txn_id", "message",
    ]

    @Test(arguments: Fixtures.names("clean") + Fixtures.names("damaged"))
    func everyReportHasTheContractFields(name: String) throws {
        let r = try CLI.run(["--json", CLI.fixture(name)])
        let report = try #require(r.json as? [String: Any], "not a JSON object: \(r.stdout.prefix(200))")
        for key in Self.topLevel { #expect(report.keys.contains(key), "\(name): missing \(key)") }
        #expect(report["report_version"] as? Int == 1)
        let verdict = try #require(report["verdict"] as? String)
        #expect(["clean", "recoverable", "repairable", "unrecoverable"].contains(verdict))
        #expect(r.status == (verdict == "clean" ? 0 : 4))
        let engine = try #require(report["engine"] as? [String: Any])
        #expect(["ok", "fails"].contains(engine["strict_open"] as? String ?? ""))
        let auto = try #require(engine["auto_truncate"] as? [String: Any])
        for key in ["opens", "truncated_bytes", "truncate_reason", "modifies_file", "committed_transactions_lost"] {
            #expect(auto.keys.contains(key), "\(name): engine.auto_truncate.\(key) missing")
        }
        #expect(engine["basis"] as? String == "deep")
        let findings = try #require(report["findings"] as? [[String: Any]])
        for finding in findings {
            for key in Self.findingKeys { #expect(finding.keys.contains(key), "\(name): finding without \(key)") }
            #expect(["error", "warning", "info"].contains(finding["severity"] as? String ?? ""))
        }
        let errors = findings.filter { $0["severity"] as? String == "error" }.count
        #expect((verdict == "clean") == (errors == 0), "\(name): verdict \(verdict) with \(errors) errors")
    }

    @Test func absentValuesAreNullNotOmitted() throws {
        let r = try CLI.run(["--json", CLI.fixture("damaged/basic__truncated_header_20.modelvault")])
        #expect(r.stdout.contains("\"header\": null"))
        let clean = try CLI.run(["--json", CLI.fixture("clean/basic.modelvault")])
        #expect(clean.stdout.contains("\"truncate_reason\": null"))
    }

    @Test func severalFilesGiveAnArrayInArgumentOrder() throws {
        let files = [CLI.fixture("damaged/basic__header_crc.modelvault"), CLI.fixture("clean/basic.modelvault")]
        let r = try CLI.run(["--json"] + files)
        let array = try #require(r.json as? [[String: Any]])
        #expect(array.count == 2)
        #expect((array[0]["file"] as? [String: Any])?["path"] as? String == files[0])
        #expect(array[1]["verdict"] as? String == "clean")
        #expect(r.status == 4)
    }

    @Test func anUnreadableFileStillGetsAnEntry() throws {
        let r = try CLI.run(["--json", "missing.modelvault", CLI.fixture("clean/basic.modelvault")])
        let array = try #require(r.json as? [[String: Any]])
        #expect(array[0]["verdict"] is NSNull)
        #expect(array[0]["error"] as? String != nil)
        #expect(r.status == 8)
    }

    @Test func inspectSharesTheReport() throws {
        let r = try CLI.run(["inspect", "--json", CLI.fixture("clean/checkpoint.modelvault")])
        let report = try #require(r.json as? [String: Any])
        #expect(report["command"] as? String == "inspect")
        let sb = try #require(report["superblocks"] as? [[String: Any]])
        #expect(sb.filter { $0["selected"] as? Bool == true }.count == 1)
        let text = try CLI.run(["inspect", CLI.fixture("clean/checkpoint.modelvault")])
        #expect(text.stdout.contains("selected"))
        #expect(text.stdout.contains("checkpoint @"))
    }
}
