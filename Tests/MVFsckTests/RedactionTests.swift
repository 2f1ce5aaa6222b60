import Foundation
import ModelVaultFormat
import TestSupport
import Testing

/// `--redact` (shared/CONTRACT.md): every key and value string replaced by
/// `<redacted:N bytes, sha256:XXXXXXXX>`, everything else the same.
@Suite struct RedactionTests {
    static let names =
        Fixtures.names("clean") + Fixtures.names("damaged") + Fixtures.names("quirks") + Fixtures.names("fuzzed")

    static let token = #"<redacted:[0-9]+ bytes, sha256:[0-9a-f]{8}>"#

    /// What one command printed, and the `--report` file it wrote (nil without one).
    struct Output {
        var label: String
        var text: String
        /// Every string of the JSON documents printed or written (keys and values), decoded, so
        /// an escaped value is found too.
        var jsonStrings: [String]
    }

    static func run(_ arguments: [String], report: Bool, json: Bool) throws -> [Output] {
        let directory = try TemporaryDirectory("mvfsck-redact")
        let reportPath = directory.path("report.json")
        let r = try CLI.run(arguments + (report ? ["--report", reportPath] : []))
        #expect([0, 4].contains(r.status), "\(arguments.joined(separator: " ")) exited \(r.status): \(r.stderr)")
        let label = arguments.joined(separator: " ")
        var outputs = [
            Output(
                label: label, text: r.stdout,
                jsonStrings: json ? r.stdout.split(separator: "\n").flatMap { strings(inJSON: String($0)) } : [])
        ]
        if json, r.stdout.hasPrefix("{\n") { outputs[0].jsonStrings = strings(inJSON: r.stdout) }
        if report {
            let text = try String(contentsOfFile: reportPath, encoding: .utf8)
            outputs.append(Output(label: label + " --report", text: text, jsonStrings: strings(inJSON: text)))
        }
        return outputs
    }

    static func strings(inJSON text: String) -> [String] {
        guard let document = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return [] }
        var found: [String] = []
        func visit(_ node: Any) {
            if let string = node as? String {
                found.append(string)
            } else if let array = node as? [Any] {
                array.forEach(visit)
            } else if let object = node as? [String: Any] {
                for (key, value) in object {
                    found.append(key)
                    visit(value)
                }
            }
        }
        visit(document)
        return found
    }

    /// Every redacted output of walk, verify and inspect (text, --json, --report) and of
    /// export --history of a fixture.
    static func redactedOutputs(_ name: String) throws -> [Output] {
        let file = CLI.fixture(name)
        return try run(["walk", "--redact", file], report: true, json: false)
            + run(["walk", "--json", "--redact", file], report: false, json: true)
            + run(["verify", "--redact", file], report: true, json: false)
            + run(["verify", "--json", "--redact", file], report: false, json: true)
            + run(["inspect", "--redact", file], report: true, json: false)
            + run(["inspect", "--json", "--redact", file], report: false, json: true)
            + run(["export", "--history", "--redact", "--quiet", file], report: false, json: true)
    }

    /// No key or string value the fixture holds, in any segment, appears in any redacted output.
    ///
    /// Values shorter than 4 bytes are not looked for: they occur by chance in any output
    /// (digits of offsets, "ok", "txn"). Values equal to a name of the fixture's schema are
    /// not looked for either: collection, field and index names are kept on purpose, and a row
    /// may hold the same text (a key "title" in a collection with a field "title").
    @Test(arguments: names)
    func redactedOutputsHoldNoKeyOrValue(name: String) throws {
        let data = FixtureData(try Fixtures.bytes(name))
        let sought = data.values.filter { $0.utf8.count >= 4 && !data.schemaNames.contains($0) }
        let keyTokens = Set(data.keys.map(Redactor.redacted))
        for output in try Self.redactedOutputs(name) {
            // Compared as UTF-8 bytes: Foundation's `contains` stops at a NUL.
            let text = Array(output.text.utf8)
            let jsonStrings = output.jsonStrings.map { Array($0.utf8) }
            for value in sought {
                let bytes = Array(value.utf8)
                #expect(!text.contains(bytes), "\(output.label): \(value.debugDescription) survives")
                #expect(
                    !jsonStrings.contains { $0.contains(bytes) },
                    "\(output.label): \(value.debugDescription) survives in a JSON string")
            }
            // Keys of every type: walk lists a Record's key only redacted.
            let recordSummary = try Regex(#"(insert|replace|delete|op [0-9]+) collection #[0-9]+ .* key "#)
            // An unknown tag is listed as `<tag N>`: a byte of the format, no data.
            let redactedKey = try Regex(" key (" + Self.token + "|<tag [0-9]+>)$")
            let lines =
                output.jsonStrings.isEmpty ? output.text.split(separator: "\n") : output.jsonStrings.map { $0[...] }
            for line in lines where line.contains(recordSummary) {
                #expect(line.contains(redactedKey), "\(output.label): a key is shown: \(line)")
                // In a clean file every key decodes: its token is that of a key the file holds.
                if name.hasPrefix("clean/"), let match = line.firstMatch(of: try Regex(Self.token + "$")) {
                    #expect(
                        keyTokens.contains(String(line[match.range])),
                        "\(output.label): \(line) redacts no key of the file")
                }
            }
            // A value a constraint message quotes (numbers included) is redacted.
            #expect(
                !output.text.contains(try Regex(#"value -?[0-9]"#)), "\(output.label): a quoted value survives")
        }
    }

    /// The same findings (codes, severities, offsets, lengths, segments, transactions), the same
    /// verdict, engine prediction and exit status, with and without --redact: only the text of
    /// user data in messages differs, each redacted token standing for what it replaced.
    @Test(arguments: names)
    func redactionChangesNothingButUserData(name: String) throws {
        let file = CLI.fixture(name)
        let plain = try CLI.run(["verify", "--json", file])
        let redacted = try CLI.run(["verify", "--json", "--redact", file])
        #expect(plain.status == redacted.status)
        var expected = try #require(plain.json as? [String: Any])
        var actual = try #require(redacted.json as? [String: Any])
        #expect(expected["redacted"] as? Bool == false)
        #expect(actual["redacted"] as? Bool == true)
        expected["redacted"] = nil
        actual["redacted"] = nil
        try Self.expectSameButRedacted(expected, actual, at: name)

        let plainWalk = try CLI.run(["walk", "--json", file])
        let redactedWalk = try CLI.run(["walk", "--json", "--redact", file])
        #expect(plainWalk.status == redactedWalk.status)
        let plainLines = plainWalk.jsonLines
        let redactedLines = redactedWalk.jsonLines
        #expect(plainLines.count == redactedLines.count)
        for (before, after) in zip(plainLines, redactedLines) {
            try Self.expectSameButRedacted(before, after, at: "\(name) walk")
        }

        let plainInspect = try CLI.run(["inspect", file])
        let redactedInspect = try CLI.run(["inspect", "--redact", file])
        #expect(plainInspect.status == redactedInspect.status)
        let plainText = plainInspect.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let redactedText = redactedInspect.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(plainText.count == redactedText.count)
        for (before, after) in zip(plainText, redactedText) {
            try Self.expectSameButRedacted(String(before), String(after), at: "\(name) inspect")
        }
    }

    /// `after` equals `before` but where `after` holds a redacted token, which stands for
    /// some text of `before` (any, since the digest cannot be checked without the value).
    static func expectSameButRedacted(_ before: Any, _ after: Any, at path: String) throws {
        switch (before, after) {
        case (let before as [String: Any], let after as [String: Any]):
            #expect(Set(before.keys) == Set(after.keys), "\(path): keys differ")
            for (key, value) in before {
                guard let other = after[key] else { continue }
                try expectSameButRedacted(value, other, at: "\(path).\(key)")
            }
        case (let before as [Any], let after as [Any]):
            #expect(before.count == after.count, "\(path): lengths differ")
            for (index, (value, other)) in zip(before, after).enumerated() {
                try expectSameButRedacted(value, other, at: "\(path)[\(index)]")
            }
        case (let before as String, let after as String):
            // Literal text around each token; each token matches whatever it replaced.
            let pieces = after.split(separator: try Regex(token), omittingEmptySubsequences: false)
            let pattern = pieces.map { NSRegularExpression.escapedPattern(for: String($0)) }.joined(separator: ".+?")
            let regex = try NSRegularExpression(pattern: "^" + pattern + "$", options: [.dotMatchesLineSeparators])
            let range = NSRange(before.startIndex..., in: before)
            #expect(regex.firstMatch(in: before, range: range) != nil, "\(path): \(before) became \(after)")
        default:
            #expect("\(before)" == "\(after)", "\(path): \(before) became \(after)")
        }
    }

    /// The redacted form of a known value, computed apart (`printf Heidi | sha256sum`; the
    /// float 1e-7's 8 little-endian bytes, hashed by Python's hashlib).
    @Test func redactedFormIsLengthAndDigestPrefix() throws {
        let walk = try CLI.run(["walk", "--redact", CLI.fixture("clean/basic.modelvault")])
        #expect(walk.stdout.contains("insert collection #1 (schema v1) key <redacted:5 bytes, sha256:3b580a08>\n"))
        let json = try CLI.run(["walk", "--json", "--redact", CLI.fixture("clean/basic.modelvault")])
        #expect(
            json.jsonLines.contains {
                $0["summary"] as? String == "insert collection #1 (schema v1) key <redacted:5 bytes, sha256:3b580a08>"
            })
        let verify = try CLI.run(["verify", "--redact", CLI.fixture("quirks/schema_forced_float_bound.modelvault")])
        #expect(verify.stdout.contains("validation error at ratio: value <redacted:8 bytes, sha256:71b06a26> is below"))
    }

    /// A Record too large to lie in the read buffer (3 MiB, its key all of it) is kept far
    /// enough for the key's digest (Python's hashlib gives 0ceec814 for 3 MiB of "K").
    @Test func aKeyLargerThanTheReadBufferIsHashedWhole() throws {
        let key = [UInt8](repeating: UInt8(ascii: "K"), count: 3 << 20)
        var payload = Bytes()
        payload.u16(2)
        payload.u32(1)
        payload.u32(1)
        payload.u8(1)
        payload.u8(4)
        payload.u32(UInt32(key.count))
        payload.bytes += key
        payload.u32(0)
        let file =
            try Fixtures.bytes("clean/basic.modelvault")
            + Bytes.segmentHeader(type: SegmentType.record.rawValue, payload: payload.bytes)
            + payload.bytes
        let directory = try TemporaryDirectory("mvfsck-redact")
        try Data(file).write(to: directory.url("big-key.modelvault"))
        let walk = try CLI.run(["walk", "--redact", "--type", "Record", directory.path("big-key.modelvault")])
        #expect(walk.stdout.contains("key <redacted:3145728 bytes, sha256:0ceec814>\n"))
    }

    @Test func withoutRedactValuesAreShown() throws {
        let walk = try CLI.run(["walk", CLI.fixture("clean/basic.modelvault")])
        #expect(walk.stdout.contains("key \"Heidi\""))
        let verify = try CLI.run(["verify", CLI.fixture("quirks/schema_forced_float_bound.modelvault")])
        #expect(verify.stdout.contains("value 0.0000001 is below minimum 0.125"))
    }
}
