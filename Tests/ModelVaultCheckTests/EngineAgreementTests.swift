import Foundation
import TestSupport
import Testing

@testable import ModelVaultCheck

/// Every committed fixture carries the real engine's observed behaviour (recorded by
/// fixtures/damage.py from modelvault 0.16.0); the walk's prediction must match it exactly.
@Suite struct EngineAgreementTests {
    /// Damage that only a full decode of Record or Index contents reveals: a framing-basis
    /// prediction does not claim to see it (docs/report-format.md §4, `engine.basis`).
    static let needsDeepDecode: Set<String> = [
        "damaged/basic__record_field_count.modelvault",
        "damaged/indexed__unique_index_clash.modelvault",
        // Rows the engine judges by value against a version registered with force.
        "quirks/schema_forced_min_length.modelvault",
        "quirks/schema_forced_enum.modelvault",
        "quirks/schema_forced_type_change.modelvault",
        "quirks/schema_forced_float_bound.modelvault",
        "quirks/schema_forced_regex.modelvault",
        "quirks/schema_forced_list_items.modelvault",
    ]

    static let cases: [String] = ((try? Fixtures.engineOutcomes()) ?? [:]).keys.sorted()

    @Test func outcomesAreRecordedForEveryFixture() throws {
        let recorded = Set(try Fixtures.engineOutcomes().keys)
        for folder in ["clean", "damaged"] {
            for url in Fixtures.files(folder) {
                #expect(
                    recorded.contains("\(folder)/\(url.lastPathComponent)"),
                    "no engine outcome for \(url.lastPathComponent)")
            }
        }
    }

    @Test(arguments: cases.filter { !needsDeepDecode.contains($0) })
    func framingPredictionMatchesTheEngine(name: String) throws {
        try compare(name, deep: false)
    }

    @Test(arguments: cases)
    func deepPredictionMatchesTheEngine(name: String) throws {
        try compare(name, deep: true)
    }

    /// "Exception: message" as Python prints what an open raised, from the recorded outcome
    /// (nil when it opened). The exception class follows from the message's prefix.
    static func raised(_ open: [String: Any]) -> String? {
        guard open["ok"] as? Bool != true, open["opens"] as? Bool != true else { return nil }
        // An OSError is recorded as "OSError: message" alone.
        guard
            let message = open["message"] as? String
                ?? (open["error"] as? String)?.replacingOccurrences(of: "OSError: ", with: "")
        else { return nil }
        // A validation error is recorded with its class, as Python prints it.
        if message.hasPrefix(EngineError.Exception.validation.rawValue + ": ") { return message }
        let exception =
            message.hasPrefix("format error: ")
            ? "ModelVaultFormatError"
            : message.hasPrefix("schema error: ") ? "ModelVaultSchemaError" : "OSError"
        return "\(exception): \(message)"
    }

    func compare(_ name: String, deep: Bool) throws {
        let outcome = try #require(try Fixtures.engineOutcomes()[name])
        let strict = try #require(outcome["strict"] as? [String: Any])
        let auto = try #require(outcome["auto_truncate"] as? [String: Any])
        // As a user runs it: a file that can be read again, walked twice when rows must be
        // validated by value against a version known only at its end.
        let report = try Checker.check(
            path: Fixtures.url(name).path, command: "verify", options: CheckOptions(deep: deep))
        #expect(report.engine.basis == (deep ? .deep : .framing))
        let e = report.engine
        #expect(
            e.strictOpens == (strict["ok"] as? Bool),
            "strict open: \(e.strictError.map(String.init(describing:)) ?? "ok") vs \(strict["error"] ?? "ok")")
        let autoTruncateError = e.autoTruncateError.map(String.init(describing:)) ?? "opens"
        #expect(
            e.autoTruncateOpens == (auto["opens"] as? Bool),
            "AutoTruncate: \(autoTruncateError) vs \(auto["error"] ?? "opens")")
        if deep {
            // The engine's own words: a report is matched against the text a user saw.
            #expect(e.strictError.map(String.init(describing:)) == Self.raised(strict), "\(name): strict error")
            #expect(
                e.autoTruncateError.map(String.init(describing:)) == Self.raised(auto), "\(name): AutoTruncate error")
        }
        #expect(e.modifiesFile == (auto["modifies_file"] as? Bool))
        // A failing open reports no recovery_info: the cut it made shows in the size it left.
        let size = (outcome["size"] as? NSNumber)?.uint64Value ?? 0
        let sizeAfter = (auto["size_after"] as? NSNumber)?.uint64Value ?? size
        let truncated = (auto["truncated_bytes"] as? NSNumber)?.uint64Value ?? (size > sizeAfter ? size - sizeAfter : 0)
        #expect(e.truncatedBytes == truncated)
        if auto["opens"] as? Bool == true {
            #expect(e.truncateReason?.rawValue == auto["truncate_reason"] as? String)
        }
        let verdictMatches: Bool
        switch report.verdict {
        case .clean: verdictMatches = e.strictOpens && truncated == 0 && auto["opens"] as? Bool == true
        case .recoverable: verdictMatches = auto["opens"] as? Bool == true
        case .repairable, .unrecoverable:
            verdictMatches = auto["opens"] as? Bool != true || outcome["size"] as? Int == 0
        }
        #expect(verdictMatches, "verdict \(report.verdict)")
    }
}
