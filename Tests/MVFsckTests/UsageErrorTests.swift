import Foundation
import TestSupport
import Testing

/// Usage errors name the problem: a mistyped command is not taken for a file, and a negative
/// number is not reported as a missing value.
@Suite struct UsageErrorTests {
    @Test(arguments: [
        (["veriffy", "db"], "veriffy", "verify"),
        (["repiar", "db", "--to", "x"], "repiar", "repair"),
        (["insepct", "db"], "insepct", "inspect"),
        (["wakl", "db"], "wakl", "walk"),
        (["dump-catalg", "--json", "db"], "dump-catalg", "dump-catalog"),
    ])
    func aMistypedCommandIsSuggested(arguments: [String], typo: String, command: String) throws {
        let r = try CLI.run(arguments)
        #expect(r.status == 16)
        #expect(r.stderr.contains("mvfsck: unknown command '\(typo)'; did you mean '\(command)'?"), "\(r.stderr)")
        #expect(!r.stderr.contains("--json'?"), "no option is suggested")
        #expect(r.stdout.isEmpty)
    }

    @Test func anExistingFileNamedLikeACommandIsStillChecked() throws {
        let directory = try TemporaryDirectory("mvfsck-typo")
        try FileManager.default.copyItem(at: Fixtures.url("clean/basic.modelvault"), to: directory.url("veriffy"))
        let r = try CLI.run(
            ["-c", "cd \"$1\" && exec \"$0\" veriffy", CLI.binary.path, directory.path], executable: "/bin/sh")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("clean"))
    }

    @Test func aMissingFileUnlikeAnyCommandIsAnOperationalError() throws {
        let r = try CLI.run(["nightly.modelvault"])
        #expect(r.status == 8)
        #expect(!r.stderr.contains("unknown command"))
    }

    @Test(arguments: [
        (["walk", "--limit", "-1"], "--limit must be a non-negative number of segments, got '-1'"),
        (["walk", "--from", "-1"], "--from must be a non-negative byte offset, got '-1'"),
        (["verify", "--jobs", "-1"], "--jobs must be a whole number of at least 1, got '-1'"),
        (["verify", "--jobs", "0"], "--jobs must be a whole number of at least 1, got '0'"),
        (["verify", "--max-duration", "-1"], "--max-duration must be a non-negative number of seconds, got '-1'"),
        (["verify", "--max-duration", "-0.5"], "--max-duration must be a non-negative number of seconds, got '-0.5'"),
        (["verify", "--subset", "-1/3"], "--subset takes K/N with 1 ≤ K ≤ N, e.g. 3/7, or env, got '-1/3'"),
    ])
    func aNegativeNumberIsNamedAsTheProblem(arguments: [String], message: String) throws {
        let r = try CLI.run(arguments + [CLI.fixture("clean/basic.modelvault")])
        #expect(r.status == 16)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(!r.stderr.contains("Missing value"))
    }
}
