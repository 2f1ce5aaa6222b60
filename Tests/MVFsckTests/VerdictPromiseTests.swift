import Foundation
import TestSupport
import Testing

/// A verdict is a promise: `recoverable` or `repairable` means `repair` writes a DST that
/// verifies clean (exit 1), `unrecoverable` means it writes nothing (exit 4), `clean` means an
/// identical copy (exit 0). Checked on every damaged, quirk and fuzzed fixture.
@Suite struct VerdictPromiseTests {
    static let names = Fixtures.names("damaged") + Fixtures.names("quirks") + Fixtures.names("fuzzed")

    @Test(arguments: names)
    func repairDeliversWhatTheVerdictPromises(name: String) throws {
        let verify = try CLI.run(["verify", "--json", CLI.fixture(name)])
        let verdict = try #require((verify.json as? [String: Any])?["verdict"] as? String)
        let dir = try TemporaryDirectory("mvfsck-promise")
        let dst = dir.path("out.modelvault")
        let repair = try CLI.run(["repair", "--quiet", CLI.fixture(name), "--to", dst])
        let written = FileManager.default.fileExists(atPath: dst)
        switch verdict {
        case "clean":
            #expect(repair.status == 0, "\(name): clean source, repair exit \(repair.status)")
            #expect(written)
        case "recoverable", "repairable":
            #expect(repair.status == 1, "\(name): \(verdict) source, repair exit \(repair.status)")
            #expect(written)
            if written {
                #expect(try CLI.run(["verify", "--quiet", dst]).status == 0, "\(name): DST does not verify clean")
            }
        default:
            #expect(repair.status == 4, "\(name): unrecoverable source, repair exit \(repair.status)")
            #expect(!written)
        }
        #expect(dir.names.count == (written ? 1 : 0))
    }
}
