import Foundation
import Testing

/// A verdict is a promise: `recoverable` or `repairable` means `repair` writes a DST that
/// verifies clean (exit 1), `unrecoverable` means it writes nothing (exit 4), `clean` means an
/// identical copy (exit 0). Checked on every damaged, quirk and fuzzed fixture.
@Suite struct VerdictPromiseTests {
    static let names = CLI.fixtureNames("damaged") + CLI.fixtureNames("quirks") + CLI.fixtureNames("fuzzed")

    @Test(arguments: names)
    func repairDeliversWhatTheVerdictPromises(name: String) throws {
        let verify = try CLI.run(["verify", "--json", CLI.fixture(name)])
        let verdict = try #require((verify.json as? [String: Any])?["verdict"] as? String)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("promise-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let dst = dir.appendingPathComponent("out.modelvault").path
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
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).count == (written ? 1 : 0))
    }
}
