import Foundation
import ModelVaultFormat
import TestSupport
import Testing

@testable import ModelVaultCheck

/// The man page and docs/report-format.md list every finding code the tool can emit, and the
/// published JSON Schema allows every value the report can hold.
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

    /// A definition of schema/report-v1.schema.json (the scripts validate the output against it).
    static func schemaDefinition(_ path: String...) throws -> [String: Any] {
        let url = repositoryRoot.appendingPathComponent("schema/report-v1.schema.json")
        var node = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        for key in ["$defs"] + path { node = node?[key] as? [String: Any] }
        return try #require(node, "schema/report-v1.schema.json has no $defs/\(path.joined(separator: "/"))")
    }

    @Test func theSchemaAllowsEveryVerdictSegmentTypeReasonAndException() throws {
        #expect(try Self.schemaDefinition("verdict")["enum"] as? [String] == Verdict.allCases.map(\.rawValue))
        #expect(try Self.schemaDefinition("segment_type")["enum"] as? [String] == SegmentType.allCases.map(\.name))
        let autoTruncate = try #require(
            (try Self.schemaDefinition("engine", "properties", "auto_truncate")["properties"] as? [String: Any])?[
                "truncate_reason"] as? [String: Any])
        let reasons = (autoTruncate["enum"] as? [Any])?.compactMap { $0 as? String }
        #expect(Set(reasons ?? []) == Set(TruncateReason.allCases.map(\.rawValue)))
        let exception = try Self.schemaDefinition("engine_error", "properties", "exception")
        #expect(Set(exception["enum"] as? [String] ?? []) == Set(EngineError.Exception.allCases.map(\.rawValue)))
    }

    @Test func everyFindingCodeMatchesTheSchemasPattern() throws {
        let pattern = try #require(
            try Self.schemaDefinition("finding_fields", "properties", "code")["pattern"] as? String)
        let regex = try NSRegularExpression(pattern: pattern)
        for code in Finding.Code.allCases {
            let range = NSRange(code.rawValue.startIndex..., in: code.rawValue)
            #expect(
                regex.firstMatch(in: code.rawValue, range: range) != nil, "\(code.rawValue) does not match \(pattern)")
        }
    }
}
