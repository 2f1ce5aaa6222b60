import Foundation
import Testing

/// The same database read plain, gzip-compressed and from standard input gives the same
/// report, apart from `file.path` and `file.compressed`.
@Suite struct InputFormsTests {
    static func gzip(_ data: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-c", "-n"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(data)
        try input.fileHandleForWriting.close()
        let compressed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return compressed
    }

    static func comparable(_ json: Any?) -> String {
        guard var report = json as? [String: Any] else { return "" }
        report["file"] = (report["file"] as? [String: Any])?.filter { $0.key == "size" }
        let data = try? JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    @Test(arguments: ["clean/rich_types.modelvault", "damaged/basic__payload_flip_record.modelvault",
                      "damaged/basic__header_crc.modelvault", "damaged/checkpoint__replay_from_past_eof.modelvault"])
    func plainCompressedAndPipedReportsAgree(name: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mvfsck-gz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try Data(contentsOf: CLI.fixtures.appendingPathComponent(name))
        let gz = dir.appendingPathComponent("db.modelvault.gz")
        try Self.gzip(data).write(to: gz)

        let plain = try CLI.run(["--json", CLI.fixture(name)])
        let compressed = try CLI.run(["--json", gz.path])
        let piped = try CLI.run(["--json", "-"], stdin: try Self.gzip(data))
        #expect(compressed.status == plain.status && piped.status == plain.status)
        #expect(Self.comparable(compressed.json) == Self.comparable(plain.json))
        #expect(Self.comparable(piped.json) == Self.comparable(plain.json))
        let file = (compressed.json as? [String: Any])?["file"] as? [String: Any]
        #expect(file?["compressed"] as? Bool == true)
        #expect((file?["size"] as? Int) == data.count)
    }

    @Test func truncatedGzipIsAContainerFindingAndTheDataBeforeItIsReported() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mvfsck-gzt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try Data(contentsOf: CLI.fixtures.appendingPathComponent("clean/many_rows.modelvault"))
        let compressed = try Self.gzip(data)
        let cut = dir.appendingPathComponent("cut.modelvault.gz")
        try compressed.prefix(compressed.count * 2 / 3).write(to: cut)
        let r = try CLI.run(["--json", cut.path])
        #expect(r.status == 4)
        let report = try #require(r.json as? [String: Any])
        let codes = (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(codes.contains("container.gzip_truncated"))
        #expect(((report["segments"] as? [String: Any])?["count"] as? Int ?? 0) > 10)

        var corrupt = compressed
        corrupt[corrupt.count / 2] ^= 0xff
        let bad = dir.appendingPathComponent("bad.modelvault.gz")
        try corrupt.write(to: bad)
        let c = try CLI.run(["--json", bad.path])
        let codes2 = ((c.json as? [String: Any])?["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(codes2.contains("container.gzip_corrupt") || codes2.contains("container.gzip_truncated"))
        #expect(c.status == 4)
    }

    @Test func reportFileIsWrittenAtomicallyPlainOrCompressed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mvfsck-rep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("r.json").path
        let gz = dir.appendingPathComponent("r.json.gz").path
        let a = try CLI.run(["--quiet", "--report", plain, CLI.fixture("damaged/basic__header_crc.modelvault")])
        let b = try CLI.run(["--quiet", "--report", gz, CLI.fixture("damaged/basic__header_crc.modelvault")])
        #expect(a.status == 4 && b.status == 4)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: plain))) as? [String: Any]
        #expect(report?["verdict"] as? String == "repairable")
        let unzip = Process()
        unzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        unzip.arguments = ["-dc", gz]
        let out = Pipe()
        unzip.standardOutput = out
        try unzip.run()
        let inflated = out.fileHandleForReading.readDataToEndOfFile()
        unzip.waitUntilExit()
        #expect(inflated == (try Data(contentsOf: URL(fileURLWithPath: plain))))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == ["r.json", "r.json.gz"], "no temporary files left: \(names)")
        let unwritable = try CLI.run(["--quiet", "--report", "/proc/no/such/dir/r.json", CLI.fixture("clean/basic.modelvault")])
        #expect(unwritable.status == 8)
    }
}
