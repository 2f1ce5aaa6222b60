import Foundation
import TestSupport
import Testing

/// `repair --scavenge`, `--until-txn`, `--drop-txn`: the result verifies clean, keeps at least
/// what the committed prefix keeps, and the source is untouched. (What the engine shows of the
/// result is checked against the engine itself by scripts/scavenge-crosscheck.)
@Suite struct ScavengeTests {
    static let damaged = Fixtures.names("damaged").filter {
        !["basic__empty_file", "basic__truncated_header_20", "basic__truncated_superblock_5000"]
            .contains(($0 as NSString).lastPathComponent.replacingOccurrences(of: ".modelvault", with: ""))
    }

    static func repair(_ src: String, _ options: [String], in scratch: TemporaryDirectory, to name: String) throws
        -> (status: Int32, report: [String: Any], stderr: String)
    {
        let r = try CLI.run(["repair", "--json", src, "--to", scratch.path(name)] + options)
        return (r.status, r.json as? [String: Any] ?? [:], r.stderr)
    }

    @Test(arguments: damaged)
    func scavengingKeepsAtLeastThePrefixAndVerifiesClean(name: String) throws {
        let scratch = try TemporaryDirectory("mvfsck-scavenge")
        let src = scratch.path("src.modelvault")
        try FileManager.default.copyItem(atPath: Fixtures.url(name).path, toPath: src)
        let before = try Data(contentsOf: URL(fileURLWithPath: src))
        let plain = try Self.repair(src, [], in: scratch, to: "plain.modelvault")
        let scavenged = try Self.repair(src, ["--scavenge"], in: scratch, to: "scavenged.modelvault")
        let plainSalvage = try #require(plain.report["salvage"] as? [String: Any], "\(name): \(plain.stderr)")
        let salvage = try #require(scavenged.report["salvage"] as? [String: Any], "\(name): \(scavenged.stderr)")
        #expect(plainSalvage["mode"] as? String == "prefix")
        #expect(salvage["mode"] as? String == "scavenge")
        #expect(
            (salvage["kept_transactions"] as? Int ?? -1) >= (plainSalvage["kept_transactions"] as? Int ?? 0),
            "\(name): scavenging kept fewer transactions than the prefix")
        if scavenged.report["verdict"] as? String == "clean" {
            // A clean source is copied as it is, unless the checkpoint the engine uses covers
            // what does not replay (then it is left out and the log replayed instead).
            #expect(scavenged.status == 0)
            let out = try Data(contentsOf: URL(fileURLWithPath: scratch.path("scavenged.modelvault")))
            #expect(out == before || (salvage["dropped"] as? [Any])?.isEmpty == false)
            #expect(try CLI.run([scratch.path("scavenged.modelvault")]).status == 0)
        } else if salvage["kept_transactions"] as? Int == 0 {
            // Nothing committed survives: nothing is written.
            #expect(scavenged.status == 4, "\(name): \(scavenged.stderr)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path("scavenged.modelvault")))
        } else {
            #expect([0, 1].contains(scavenged.status), "\(name): \(scavenged.stderr)")
            let verify = try CLI.run([scratch.path("scavenged.modelvault")])
            #expect(verify.status == 0, "\(name): \(verify.stdout)")
        }
        for dropped in salvage["dropped"] as? [[String: Any]] ?? [] {
            let reason = dropped["reason"] as? String ?? ""
            #expect(["damaged", "does_not_replay"].contains(reason), "\(name): \(dropped)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: src)) == before)
        #expect(
            Set(scratch.names).isSubset(of: ["src.modelvault", "plain.modelvault", "scavenged.modelvault"]),
            "no temporary files: \(scratch.names)")
    }

    @Test func aFlippedRecordLosesOnlyItsOwnTransaction() throws {
        let scratch = try TemporaryDirectory("mvfsck-scavenge")
        let src = CLI.fixture("damaged/basic__payload_flip_record.modelvault")
        let r = try Self.repair(src, ["--scavenge"], in: scratch, to: "out.modelvault")
        #expect(r.status == 1)
        let salvage = try #require(r.report["salvage"] as? [String: Any])
        #expect(salvage["kept_transactions"] as? Int == 2)
        let dropped = try #require(salvage["dropped"] as? [[String: Any]])
        #expect(dropped.count == 1)
        #expect(dropped.first?["txn_id"] as? Int == 2)
        #expect(dropped.first?["offset"] as? Int == 8541)
        #expect(dropped.first?["reason"] as? String == "damaged")
        let walk = try CLI.run(["walk", scratch.path("out.modelvault")])
        #expect(walk.stdout.contains("key \"Heidi\""))
        #expect(walk.stdout.contains("8541  Temp"))
    }

    @Test func untilKeepsTheStateAsOfOneTransactionOfACleanFile() throws {
        let scratch = try TemporaryDirectory("mvfsck-scavenge")
        let r = try Self.repair(
            CLI.fixture("clean/basic.modelvault"), ["--until-txn", "2"], in: scratch, to: "out.modelvault")
        #expect(r.status == 0)
        let salvage = try #require(r.report["salvage"] as? [String: Any])
        #expect(salvage["mode"] as? String == "until_txn")
        #expect(salvage["kept_transactions"] as? Int == 2)
        let dropped = try #require(salvage["dropped"] as? [[String: Any]])
        #expect(dropped.map { $0["reason"] as? String } == ["after_until"])
        let walk = try CLI.run(["walk", scratch.path("out.modelvault")])
        #expect(!walk.stdout.contains("Heidi"))
        #expect(try CLI.run([scratch.path("out.modelvault")]).status == 0)
    }

    @Test func droppingATransactionOthersNeedDropsThemToo() throws {
        let scratch = try TemporaryDirectory("mvfsck-scavenge")
        // Transaction 1 creates the collection both later ones write to: nothing is left.
        let r = try Self.repair(
            CLI.fixture("clean/basic.modelvault"), ["--drop-txn", "1"], in: scratch, to: "out.modelvault")
        #expect(r.status == 4)
        let salvage = try #require(r.report["salvage"] as? [String: Any])
        let dropped = try #require(salvage["dropped"] as? [[String: Any]])
        #expect(dropped.map { $0["reason"] as? String } == ["requested", "does_not_replay", "does_not_replay"])
        #expect(scratch.names.isEmpty)
    }

    @Test func anUnknownTransactionIdIsAUsageErrorNamingTheHighest() throws {
        let scratch = try TemporaryDirectory("mvfsck-scavenge")
        let r = try CLI.run(
            ["repair", CLI.fixture("clean/basic.modelvault"), "--to", scratch.path("out"), "--until-txn", "999999"])
        #expect(r.status == 16)
        #expect(r.stderr.contains("highest committed transaction id is 3"))
        #expect(scratch.names.isEmpty)
    }

    @Test func aRepeatedIdNeedsItsOffset() throws {
        let scratch = try TemporaryDirectory("mvfsck-scavenge")
        let src = CLI.fixture("clean/reopened.modelvault")
        let r = try CLI.run(["repair", src, "--to", scratch.path("out"), "--drop-txn", "2"])
        #expect(r.status == 16)
        #expect(r.stderr.contains("8530, 9003"))
        let picked = try CLI.run(["repair", "--quiet", src, "--to", scratch.path("out"), "--drop-txn", "2@9003"])
        #expect([0, 4].contains(picked.status), "\(picked.stderr)")
    }

    @Test(arguments: [["--until-txn", "x"], ["--drop-txn", "1@"], ["--until-txn", "1", "--drop-txn", "2"]])
    func malformedChoicesAreUsageErrors(options: [String]) throws {
        let scratch = try TemporaryDirectory("mvfsck-scavenge")
        let r = try CLI.run(["repair", CLI.fixture("clean/basic.modelvault"), "--to", scratch.path("out")] + options)
        #expect(r.status == 16)
        #expect(scratch.names.isEmpty)
    }

    @Test func aDryRunOfAChoiceWritesNothing() throws {
        let scratch = try TemporaryDirectory("mvfsck-scavenge")
        let r = try Self.repair(
            CLI.fixture("damaged/basic__payload_flip_record.modelvault"), ["--scavenge", "--dry-run"], in: scratch,
            to: "out.modelvault")
        let salvage = try #require(r.report["salvage"] as? [String: Any])
        #expect(salvage["kept_transactions"] as? Int == 2)
        #expect(scratch.names.isEmpty)
    }
}
