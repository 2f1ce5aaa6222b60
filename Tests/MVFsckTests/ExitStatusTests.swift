import Foundation
import TestSupport
import Testing

/// fsck(8) exit statuses, as docs/report-format.md §7 lists them.
@Suite struct ExitStatusTests {
    @Test func cleanFileExitsZeroAndSaysNoErrorsFound() throws {
        let r = try CLI.run([CLI.fixture("clean/basic.modelvault")])
        #expect(r.status == 0)
        #expect(r.stdout.contains("clean"))
        #expect(r.stdout.contains("no errors found"))
    }

    @Test func verifyIsTheDefaultCommand() throws {
        let plain = try CLI.run([CLI.fixture("damaged/basic__payload_flip_record.modelvault")])
        let verify = try CLI.run(["verify", CLI.fixture("damaged/basic__payload_flip_record.modelvault")])
        #expect(plain.status == 4)
        #expect(plain.stdout == verify.stdout)
    }

    @Test func damagedFileExitsFourAndNamesTheOffset() throws {
        let r = try CLI.run([CLI.fixture("damaged/basic__payload_flip_record.modelvault")])
        #expect(r.status == 4)
        #expect(r.stdout.contains("recoverable"))
        // The flipped Record starts at 8597, after the TxnBegin at 8541 (32-byte header, 24-byte payload).
        let finding = try #require(r.stdout.split(separator: "\n").first { $0.contains("segment.payload_checksum") })
        #expect(finding.split(separator: " ").prefix(2) == ["error", "8597"], "\(finding)")
    }

    @Test func unrecognisableBytesAreAFindingNotAnOperationalError() throws {
        let r = try CLI.run([CLI.fixture("damaged/basic__file_bad_magic.modelvault")])
        #expect(r.status == 4)
        let empty = try CLI.run([CLI.fixture("damaged/basic__empty_file.modelvault")])
        #expect(empty.status == 4)
        #expect(empty.stdout.contains("unrecoverable"))
    }

    @Test func missingFileExitsEightNamingThePath() throws {
        let r = try CLI.run(["no/such/file.modelvault"])
        #expect(r.status == 8)
        #expect(r.stderr.contains("no/such/file.modelvault"))
    }

    @Test func usageErrorsExitSixteen() throws {
        #expect(try CLI.run(["--no-such-option", "x"]).status == 16)
        #expect(try CLI.run(["verify"]).status == 16)
        #expect(try CLI.run(["inspect"]).status == 16)
    }

    @Test func helpAndVersionExitZero() throws {
        let help = try CLI.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("verify"))
        let version = try CLI.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.contains("0.1.0"))
    }

    @Test func severalFilesOrTheirStatuses() throws {
        let r = try CLI.run([
            CLI.fixture("clean/basic.modelvault"), CLI.fixture("damaged/basic__header_crc.modelvault"),
            "missing.modelvault",
        ])
        #expect(r.status == 4 | 8)
    }

    @Test func quietPrintsNothing() throws {
        let r = try CLI.run(["--quiet", CLI.fixture("damaged/basic__header_crc.modelvault")])
        #expect(r.status == 4)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.isEmpty)
    }

    @Test func standardInputIsReadLikeAFile() throws {
        let name = "damaged/basic__torn_in_last_record.modelvault"
        let piped = try CLI.run(["--json", "-"], stdin: try Fixtures.data(name))
        let direct = try CLI.run(["--json", CLI.fixture(name)])
        #expect(piped.status == direct.status)
        let a = try #require(piped.json as? [String: Any])
        let b = try #require(direct.json as? [String: Any])
        #expect(a["verdict"] as? String == b["verdict"] as? String)
        #expect((a["findings"] as? [Any])?.count == (b["findings"] as? [Any])?.count)
        #expect((a["file"] as? [String: Any])?["path"] as? String == "-")
    }
}
