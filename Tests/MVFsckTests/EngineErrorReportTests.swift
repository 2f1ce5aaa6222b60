import Foundation
import TestSupport
import Testing

/// `engine.strict_error` and `engine.auto_truncate.error` carry the engine's own exception class
/// and message, so a report can be matched against the text a user saw.
@Suite struct EngineErrorReportTests {
    static func errors(_ result: CLI.Result) throws -> (strict: [String: Any]?, auto: [String: Any]?) {
        let report = try #require(result.json as? [String: Any])
        let engine = try #require(report["engine"] as? [String: Any])
        let auto = try #require(engine["auto_truncate"] as? [String: Any])
        return (engine["strict_error"] as? [String: Any], auto["error"] as? [String: Any])
    }

    @Test func randomBytesGetTheEnginesBadMagicMessageNotASuperblockParaphrase() throws {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[0...3] = [0x53, 0x13, 0xfe, 0x66]
        let dir = try TemporaryDirectory("mvfsck-random")
        let url = dir.url("random.bin")
        try Data(bytes).write(to: url)
        let result = try CLI.run(["verify", "--json", url.path])
        #expect(result.status == 4)
        let (strict, auto) = try Self.errors(result)
        let expected = "format error: bad magic bytes: expected \"TDB0\", got [53, 13, fe, 66]"
        #expect(strict?["exception"] as? String == "ModelVaultFormatError")
        #expect(strict?["message"] as? String == expected)
        #expect(auto?["message"] as? String == expected)
        let text = try CLI.run(["verify", url.path])
        #expect(text.stdout.contains("ModelVaultFormatError: " + expected))
    }

    @Test func aCleanFileHasNullErrors() throws {
        let result = try CLI.run(["verify", "--json", CLI.fixture("clean/basic.modelvault")])
        let report = try #require(result.json as? [String: Any])
        let engine = try #require(report["engine"] as? [String: Any])
        #expect(engine["strict_error"] is NSNull)
        #expect((engine["auto_truncate"] as? [String: Any])?["error"] is NSNull)
    }

    @Test func aRecoverableFileNamesTheStrictRefusalAndNoAutoTruncateError() throws {
        let result = try CLI.run(["verify", "--json", CLI.fixture("damaged/basic__payload_flip_record.modelvault")])
        let (strict, auto) = try Self.errors(result)
        #expect(strict?["exception"] as? String == "ModelVaultFormatError")
        let strictMessage =
            "format error: unclean log tail (strict open): uncommitted_transaction; safe truncate end offset 8541"
        #expect(strict?["message"] as? String == strictMessage)
        #expect(auto == nil)
    }

    @Test func aTornFileWhoseSuperblockPointsPastTheEndIsAnOSError() throws {
        let result = try CLI.run(["verify", "--json", CLI.fixture("damaged/basic__torn_in_last_manifest.modelvault")])
        let (strict, _) = try Self.errors(result)
        #expect(strict?["exception"] as? String == "OSError")
        #expect(strict?["message"] as? String == "read past end of store")
    }
}
