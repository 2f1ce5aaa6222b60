import Foundation
import TestSupport
import Testing

@testable import ModelVaultCheck

/// The man page and docs/report-format.md list every finding code the tool can emit.
@Suite struct DocumentationTests {
    static var repositoryRoot: URL { Fixtures.packageRoot }

    @Test func manPageListsEveryFindingCode() throws {
        let page = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("man/mvfsck.1"), encoding: .utf8)
            .replacingOccurrences(of: "\\&", with: "").replacingOccurrences(of: "\\.", with: ".")
        for code in Finding.Code.allCases {
            #expect(page.contains(code.rawValue), "man/mvfsck.1 does not document \(code.rawValue)")
        }
    }

    /// Each code has its own row in the tables of the "Finding codes" section:
    /// `| `code` | severity | meaning | engine |`.
    @Test func reportFormatListsEveryFindingCode() throws {
        let doc = try String(
            contentsOf: Self.repositoryRoot.appendingPathComponent("docs/report-format.md"), encoding: .utf8)
        let section = try #require(doc.range(of: "\n## 11. Finding codes\n")).upperBound
        let rows = Set(
            doc[section...].split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("| `") else { return nil }
                return line.dropFirst(3).split(separator: "`", maxSplits: 1).first.map(String.init)
            })
        for code in Finding.Code.allCases {
            let listed = rows.contains(code.rawValue)
            #expect(listed, "docs/report-format.md has no row for \(code.rawValue) under \"Finding codes\"")
        }
    }
}
