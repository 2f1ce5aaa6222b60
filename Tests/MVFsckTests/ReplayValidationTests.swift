import Foundation
import TestSupport
import Testing

/// Rows written under an earlier schema version are validated, as the engine validates them at
/// open, against their collection's last version. Judging a value needs that version, known
/// only at the end of the log: a file is walked a second time for it, a pipe cannot be, and the
/// report says which happened.
@Suite struct ReplayValidationTests {
    static let valueQuirk = "quirks/schema_forced_min_length.modelvault"

    static func codes(_ result: CLI.Result) throws -> [String] {
        let report = try #require(result.json as? [String: Any])
        let findings = try #require(report["findings"] as? [[String: Any]])
        return findings.compactMap { $0["code"] as? String }
    }

    @Test func aFileIsWalkedAgainAndTheRowJudgedByValue() throws {
        let result = try CLI.run(["verify", "--json", Fixtures.url(Self.valueQuirk).path])
        #expect(result.status == 4)
        #expect(try Self.codes(result).contains("record.fails_validation"))
        let engine = try #require((result.json as? [String: Any])?["engine"] as? [String: Any])
        let strict = try #require(engine["strict_error"] as? [String: Any])
        #expect(strict["exception"] as? String == "ModelVaultValidationError")
        #expect(strict["message"] as? String == "validation error at name: string length 3 is below minimum 5")
    }

    @Test func aPipeIsReadOnceAndTheReportSaysTheRowsWereNotJudged() throws {
        let bytes = try Data(contentsOf: Fixtures.url(Self.valueQuirk))
        let result = try CLI.run(["verify", "--json", "-"], stdin: bytes)
        let codes = try Self.codes(result)
        #expect(codes.contains("record.validation_unchecked"))
        #expect(!codes.contains("record.fails_validation"))
    }

    @Test func framingOnlyDoesNotJudgeValuesAndSaysSo() throws {
        let result = try CLI.run(["verify", "--json", "--framing-only", Fixtures.url(Self.valueQuirk).path])
        #expect(try Self.codes(result).contains("record.validation_unchecked"))
    }

    /// What the catalog alone decides is judged in every mode, also on a pipe.
    @Test func aMissingRequiredFieldIsFoundWithoutASecondWalk() throws {
        let bytes = try Data(contentsOf: Fixtures.url("quirks/schema_forced_required_field.modelvault"))
        let result = try CLI.run(["verify", "--json", "--framing-only", "-"], stdin: bytes)
        #expect(result.status == 4)
        #expect(try Self.codes(result).contains("record.fails_validation"))
    }
}
