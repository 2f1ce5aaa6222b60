import Foundation
import TestSupport
import Testing

/// The same database read plain, gzip-compressed and from standard input gives the same
/// report, apart from `file.path` and `file.compressed`.
@Suite struct InputFormsTests {
    static func comparable(_ json: Any?) -> String {
        guard var report = json as? [String: Any] else { return "" }
        report["file"] = (report["file"] as? [String: Any])?.filter { $0.key == "size" }
        let data = try? JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    @Test(arguments: [
        "clean/rich_types.modelvault", "damaged/basic__payload_flip_record.modelvault",
        "damaged/basic__header_crc.modelvault", "damaged/checkpoint__replay_from_past_eof.modelvault",
    ])
    func plainCompressedAndPipedReportsAgree(name: String) throws {
        let dir = try TemporaryDirectory("mvfsck-gz")
        let data = try Fixtures.data(name)
        let gz = dir.url("db.modelvault.gz")
        try Gzip.compress(data).write(to: gz)

        let plain = try CLI.run(["--json", CLI.fixture(name)])
        let compressed = try CLI.run(["--json", gz.path])
        let piped = try CLI.run(["--json", "-"], stdin: try Gzip.compress(data))
        #expect(compressed.status == plain.status && piped.status == plain.status)
        #expect(Self.comparable(compressed.json) == Self.comparable(plain.json))
        #expect(Self.comparable(piped.json) == Self.comparable(plain.json))
        let file = (compressed.json as? [String: Any])?["file"] as? [String: Any]
        #expect(file?["compressed"] as? Bool == true)
        #expect((file?["size"] as? Int) == data.count)
    }

    @Test func truncatedGzipIsAContainerFindingAndTheDataBeforeItIsReported() throws {
        let dir = try TemporaryDirectory("mvfsck-gzt")
        let data = try Fixtures.data("clean/many_rows.modelvault")
        let compressed = try Gzip.compress(data)
        let cut = dir.url("cut.modelvault.gz")
        try compressed.prefix(compressed.count * 2 / 3).write(to: cut)
        let r = try CLI.run(["--json", cut.path])
        #expect(r.status == 4)
        let report = try #require(r.json as? [String: Any])
        let codes = (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(codes.contains("container.gzip_truncated"))
        #expect(((report["segments"] as? [String: Any])?["count"] as? Int ?? 0) > 10)

        var corrupt = compressed
        corrupt[corrupt.count / 2] ^= 0xff
        let bad = dir.url("bad.modelvault.gz")
        try corrupt.write(to: bad)
        let c = try CLI.run(["--json", bad.path])
        let codes2 = ((c.json as? [String: Any])?["findings"] as? [[String: Any]] ?? []).compactMap {
            $0["code"] as? String
        }
        #expect(codes2.contains("container.gzip_corrupt") || codes2.contains("container.gzip_truncated"))
        #expect(c.status == 4)
    }

    static func findings(_ json: Any?) -> [[String: Any]] {
        (json as? [String: Any])?["findings"] as? [[String: Any]] ?? []
    }

    /// Checks `compressed` as a file and from standard input; both must give the same report.
    static func checkBothWays(_ compressed: Data, _ arguments: [String] = ["--json"]) throws -> CLI.Result {
        let dir = try TemporaryDirectory("mvfsck-gzp")
        let gz = dir.url("db.modelvault.gz")
        try compressed.write(to: gz)
        let file = try CLI.run(arguments + [gz.path])
        let piped = try CLI.run(arguments + ["-"], stdin: compressed)
        #expect(piped.status == file.status)
        #expect(Self.comparable(piped.json) == Self.comparable(file.json))
        return file
    }

    @Test(arguments: ["clean/basic.modelvault", "damaged/basic__payload_flip_record.modelvault"])
    func zeroPaddingAfterTheLastMemberIsIgnoredAsGzipDoes(name: String) throws {
        let data = try Fixtures.data(name)
        let padded = try Gzip.compress(data) + Data(count: 4096)
        let dir = try TemporaryDirectory("mvfsck-gzt")
        let gz = dir.url("padded.gz")
        try padded.write(to: gz)
        #expect(try Gzip.run(["-t", gz.path]).status == 0, "gzip -t accepts zero padding")

        let plain = try CLI.run(["--json", CLI.fixture(name)])
        let r = try Self.checkBothWays(padded)
        #expect(r.status == plain.status)
        #expect(Self.comparable(r.json) == Self.comparable(plain.json))
        #expect(!Self.findings(r.json).contains { ($0["code"] as? String)?.hasPrefix("container.") == true })
    }

    @Test func concatenatedMembersReportLikeThePlainFile() throws {
        let name = "clean/many_rows.modelvault"
        let data = try Fixtures.data(name)
        let cut = data.count / 3
        let joined = try Gzip.compress(data.prefix(cut)) + Gzip.compress(data.dropFirst(cut))
        let plain = try CLI.run(["--json", CLI.fixture(name)])
        let r = try Self.checkBothWays(joined)
        #expect(r.status == 0 && plain.status == 0)
        #expect(Self.comparable(r.json) == Self.comparable(plain.json))
    }

    @Test(arguments: ["clean/basic.modelvault", "damaged/basic__payload_flip_record.modelvault"])
    func trailingGarbageIsAWarningAndTheDatabaseIsJudgedAlone(name: String) throws {
        let data = try Fixtures.data(name)
        let member = try Gzip.compress(data)
        let plain = try CLI.run(["--json", CLI.fixture(name)])
        let plainReport = try #require(plain.json as? [String: Any])
        for (tail, junkStart) in [
            (Data("junk".utf8), member.count), (Data(count: 100) + Data("junk".utf8), member.count + 100),
        ] {
            let r = try Self.checkBothWays(member + tail)
            #expect(r.status == plain.status)
            let report = try #require(r.json as? [String: Any])
            #expect(report["verdict"] as? String == plainReport["verdict"] as? String)
            let summary = report["summary"] as? [String: Any]
            let plainSummary = plainReport["summary"] as? [String: Any]
            #expect(summary?["errors"] as? Int == plainSummary?["errors"] as? Int)
            #expect(summary?["warnings"] as? Int == (plainSummary?["warnings"] as? Int ?? -1) + 1)
            let garbage = Self.findings(r.json).filter { $0["code"] as? String == "container.trailing_garbage" }
            #expect(garbage.count == 1)
            #expect(garbage.first?["severity"] as? String == "warning")
            #expect(garbage.first?["offset"] as? Int == junkStart)
            #expect(garbage.first?["length"] as? Int == 4)
            #expect(Self.findings(r.json).count == Self.findings(plain.json).count + 1)
        }
    }

    @Test func verdictLineAgreesWithTheEngineLine() throws {
        // The database is whole, but the gzip trailer is cut: a strict open succeeds, and the
        // file is recoverable only for the container error.
        let data = try Fixtures.data("clean/basic.modelvault")
        let r = try Self.checkBothWays(try Gzip.compress(data).dropLast(4), [])
        #expect(r.status == 4)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let engine = try #require(lines.first { $0.hasPrefix("  engine: ") })
        let verdict = try #require(lines.first { $0.hasPrefix("  verdict: ") })
        #expect(engine.contains("a strict open succeeds"))
        #expect(verdict.hasPrefix("  verdict: recoverable: a strict open succeeds and nothing is cut"))
        #expect(verdict.contains("container.gzip_truncated"))
        #expect(!verdict.contains("AutoTruncate"))

        let cut = try CLI.run([CLI.fixture("damaged/basic__payload_flip_record.modelvault")])
        #expect(cut.stdout.contains("a strict open fails"))
        #expect(cut.stdout.contains("  verdict: recoverable: the engine's own AutoTruncate open succeeds"))
    }

    @Test func reportFileIsWrittenAtomicallyPlainOrCompressed() throws {
        let dir = try TemporaryDirectory("mvfsck-rep")
        let plain = dir.path("r.json")
        let gz = dir.path("r.json.gz")
        let a = try CLI.run(["--quiet", "--report", plain, CLI.fixture("damaged/basic__header_crc.modelvault")])
        let b = try CLI.run(["--quiet", "--report", gz, CLI.fixture("damaged/basic__header_crc.modelvault")])
        #expect(a.status == 4 && b.status == 4)
        let report =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: plain))) as? [String: Any]
        #expect(report?["verdict"] as? String == "repairable")
        let inflated = try Gzip.run(["-dc", gz]).output
        #expect(inflated == (try Data(contentsOf: URL(fileURLWithPath: plain))))
        #expect(dir.names == ["r.json", "r.json.gz"], "no temporary files left: \(dir.names)")
        let unwritable = try CLI.run([
            "--quiet", "--report", "/proc/no/such/dir/r.json", CLI.fixture("clean/basic.modelvault"),
        ])
        #expect(unwritable.status == 8)
    }

    /// A raw database whose damaged header merely starts like gzip (`1f 8b`, but no parseable
    /// gzip header: method not 8, or reserved flag bits set) is a raw file with a bad magic,
    /// as the engine sees it, not a corrupt gzip stream; its committed prefix is salvageable.
    @Test(
        arguments: [[0x1f, 0x8b], [0x1f, 0x8b, 0x08, 0xe0], [0x1f, 0x8b, 0x08, 0x20], [0x1f, 0x8b, 0x09, 0x00]]
            as [[UInt8]])
    func rawFileStartingWithTheGzipMagicIsNotTakenForGzip(head: [UInt8]) throws {
        let dir = try TemporaryDirectory("mvfsck-gzs")
        var data = try Fixtures.data("clean/basic.modelvault")
        data.replaceSubrange(0..<head.count, with: head)
        let src = dir.url("src.modelvault")
        try data.write(to: src)

        let r = try CLI.run(["--json", src.path])
        #expect(r.status == 4)
        let report = try #require(r.json as? [String: Any], "\(r.stderr)")
        let codes = Self.findings(report).compactMap { $0["code"] as? String }
        #expect(codes == ["header.bad_magic"], "\(codes)")
        #expect((report["file"] as? [String: Any])?["compressed"] as? Bool == false)
        #expect((report["file"] as? [String: Any])?["size"] as? Int == data.count)
        #expect(report["verdict"] as? String == "repairable")
        let engine = try #require(report["engine"] as? [String: Any])
        #expect(engine["strict_open"] as? String == "fails")
        let magic = data.prefix(4).map { String(format: "%02x", $0) }.joined(separator: ", ")
        let strictError = try #require(engine["strict_error"] as? [String: Any])
        let exception = strictError["exception"] as? String
        let message = strictError["message"] as? String
        #expect(exception == "ModelVaultFormatError")
        #expect(message == "format error: bad magic bytes: expected \"TDB0\", got [" + magic + "]")

        let piped = try CLI.run(["--json", "-"], stdin: data)
        #expect(piped.status == 4)
        #expect((piped.json as? [String: Any])?["verdict"] as? String == "repairable")

        let dst = dir.url("dst.modelvault")
        let repair = try CLI.run(["repair", "--quiet", src.path, "--to", dst.path])
        #expect(repair.status == 1, "\(repair.stderr)")
        #expect(try CLI.run([dst.path]).status == 0)
    }
}
