import Foundation
import TestSupport
import Testing

/// Every committed fixture's report equals the one recorded beside it in fixtures/expected
/// (rewritten by scripts/update-golden when a change to the reports is intended).
@Suite struct GoldenReportTests {
    static let names =
        Fixtures.names("clean") + Fixtures.names("damaged") + Fixtures.names("quirks")
        + Fixtures.names("fuzzed")

    @Test(arguments: names)
    func reportMatchesTheRecordedOne(name: String) throws {
        let expectedURL = Fixtures.url("expected/" + name.replacingOccurrences(of: ".modelvault", with: ".json"))
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: expectedURL)) as? NSDictionary
        let r = try CLI.run(["verify", "--json", CLI.fixture(name)])
        let actual = r.json as? NSDictionary
        #expect(actual != nil)
        #expect(
            actual == expected,
            "\(name): the report differs from fixtures/expected (run scripts/update-golden if intended)")
    }
}
