import Foundation
import TestSupport
import Testing

/// Nightly verification spread over many machines: `--subset K/N`, or `--subset env` reading
/// a scheduler's shard index (0-based, as a Kubernetes Indexed Job sets `JOB_COMPLETION_INDEX`)
/// and `MVFSCK_SHARDS`.
@Suite struct ShardingTests {
    /// 60 databases in nested directories, a few of them damaged.
    final class Store {
        let directory: TemporaryDirectory
        var path: String { directory.path }
        let count = 60

        init() throws {
            directory = try TemporaryDirectory("mvfsck-store")
            let fm = FileManager.default
            for i in 0..<count {
                let dir = directory.url("host\(i % 7)/day\(i % 3)")
                try fm.createDirectory(at: dir, withIntermediateDirectories: true)
                let fixture = i % 10 == 0 ? "damaged/basic__payload_flip_record.modelvault" : "clean/basic.modelvault"
                try fm.copyItem(at: Fixtures.url(fixture), to: dir.appendingPathComponent("db\(i).modelvault"))
            }
        }
    }

    /// No shard variable leaks in from the environment the tests run in.
    static func shard(_ index: String?, of count: String?, as alternative: String? = nil) -> [String: String?] {
        ["JOB_COMPLETION_INDEX": index, "MVFSCK_SHARDS": count, "MVFSCK_SHARD_INDEX": alternative]
    }

    static func paths(_ lines: [[String: Any]]) -> [String] {
        lines.compactMap { ($0["file"] as? [String: Any])?["path"] as? String }
    }

    static func samples(_ metrics: URL) throws -> [String: Int] {
        var samples: [String: Int] = [:]
        for line in try String(contentsOf: metrics, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            samples[String(parts[0])] = Int(parts[1])
        }
        return samples
    }

    @Test func shardsFromTheEnvironmentCoverEveryFileExactlyOnce() throws {
        let store = try Store()
        let out = try TemporaryDirectory("mvfsck-shards")
        let all = try CLI.run(["--json-lines", store.path])
        let everyFile = Self.paths(all.jsonLines)
        #expect(everyFile.count == store.count)
        let shards = 5
        var seen: [String] = []
        var byVerdict: [String: Int] = [:]
        for index in 0..<shards {
            let metrics = out.url("shard-\(index).prom")
            let r = try CLI.run(
                ["verify", "--json-lines", "--subset", "env", "--metrics", metrics.path, store.path],
                environment: Self.shard("\(index)", of: "\(shards)"))
            #expect(r.status == 0 || r.status == 4, "\(r.stderr)")
            let lines = r.jsonLines
            let summary = try #require(lines.last)
            #expect(summary["kind"] as? String == "summary")
            #expect(summary["files"] as? Int == lines.count - 1)
            seen += Self.paths(lines)
            let samples = try Self.samples(metrics)
            #expect(samples["mvfsck_subset_share"] == index + 1)
            #expect(samples["mvfsck_subset_shards"] == shards)
            for verdict in ["clean", "recoverable", "repairable", "unrecoverable"] {
                byVerdict[verdict, default: 0] += samples["mvfsck_files{verdict=\"\(verdict)\"}"] ?? 0
            }
        }
        #expect(seen.count == everyFile.count, "no file is checked by two shards")
        #expect(Set(seen) == Set(everyFile), "every file is checked by some shard")
        // What a recording rule summing mvfsck_files by verdict over the shards shows.
        let whole = try #require(all.jsonLines.last?["by_verdict"] as? [String: Int])
        #expect(byVerdict == whole)
    }

    @Test func theEnvironmentIndexIsZeroBasedAndMeansTheSameShareAsKOfN() throws {
        let store = try Store()
        for k in 1...3 {
            let explicit = try CLI.run(["--json-lines", "--subset", "\(k)/3", store.path])
            let fromEnvironment = try CLI.run(
                ["--json-lines", "--subset", "env", store.path], environment: Self.shard("\(k - 1)", of: "3"))
            #expect(Self.paths(fromEnvironment.jsonLines) == Self.paths(explicit.jsonLines))
        }
    }

    @Test func mvfsckShardIndexTakesPrecedenceOverTheSchedulersIndex() throws {
        let store = try Store()
        let explicit = try CLI.run(["--json-lines", "--subset", "2/4", store.path])
        let r = try CLI.run(
            ["--json-lines", "--subset", "env", store.path], environment: Self.shard("3", of: "4", as: "1"))
        #expect(Self.paths(r.jsonLines) == Self.paths(explicit.jsonLines))
    }

    @Test(arguments: [
        (shard(nil, of: nil), "--subset env: MVFSCK_SHARDS is not set"),
        (shard("0", of: ""), "--subset env: MVFSCK_SHARDS is not set"),
        (shard(nil, of: "4"), "--subset env: JOB_COMPLETION_INDEX is not set"),
        (shard("0", of: "four"), "MVFSCK_SHARDS must be a whole number of at least 1, got 'four'"),
        (shard("0", of: "0"), "MVFSCK_SHARDS must be a whole number of at least 1, got '0'"),
        (shard("0", of: "-3"), "MVFSCK_SHARDS must be a whole number of at least 1, got '-3'"),
        (shard("4", of: "4"), "JOB_COMPLETION_INDEX must be a whole number from 0 to 3 (MVFSCK_SHARDS is 4), got '4'"),
        (
            shard("1.5", of: "4"),
            "JOB_COMPLETION_INDEX must be a whole number from 0 to 3 (MVFSCK_SHARDS is 4), got '1.5'"
        ),
        (
            shard(" 1", of: "4"),
            "JOB_COMPLETION_INDEX must be a whole number from 0 to 3 (MVFSCK_SHARDS is 4), got ' 1'"
        ),
        (
            shard("1", of: "4", as: "x"),
            "MVFSCK_SHARD_INDEX must be a whole number from 0 to 3 (MVFSCK_SHARDS is 4), got 'x'"
        ),
    ])
    func malformedShardVariablesAreUsageErrorsNamingTheVariable(environment: [String: String?], message: String)
        throws
    {
        let r = try CLI.run(
            ["verify", "--subset", "env", CLI.fixture("clean/basic.modelvault")], environment: environment)
        #expect(r.status == 16)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }
}
