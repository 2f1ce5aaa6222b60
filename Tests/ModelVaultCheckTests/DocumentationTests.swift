import Foundation
import Testing
@testable import ModelVaultCheck

/// The man page lists every finding code the tool can emit.
@Suite struct DocumentationTests {
    @Test func manPageListsEveryFindingCode() throws {
        let page = try String(contentsOf: Fixtures.root.deletingLastPathComponent().appendingPathComponent("man/mvfsck.1"), encoding: .utf8)
            .replacingOccurrences(of: "\\&", with: "").replacingOccurrences(of: "\\.", with: ".")
        for code in Finding.Code.allCases {
            #expect(page.contains(code.rawValue), "man/mvfsck.1 does not document \(code.rawValue)")
        }
    }
}
