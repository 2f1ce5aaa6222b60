import Testing

@testable import ModelVaultFormat

@Suite struct RedactorTests {
    /// `printf Heidi | sha256sum` begins 3b580a08.
    @Test func redactedFormNamesLengthAndDigestPrefix() {
        #expect(Redactor.redacted(Array("Heidi".utf8)) == "<redacted:5 bytes, sha256:3b580a08>")
        #expect(Redactor.redacted([UInt8]()) == "<redacted:0 bytes, sha256:e3b0c442>")
        // N counts UTF-8 bytes, not characters.
        #expect(Redactor.redact.string("café") == "<redacted:5 bytes, sha256:850f7dc4>")
    }

    @Test func keepShowsValuesAsTheyAreQuotedToday() {
        #expect(Redactor.keep.string("a\"b") == "\"a\\\"b\"")
        #expect(Redactor.keep.scalar(.int64(42), shown: "42") == "42")
        #expect(Redactor.keep.render([1, 2], shown: "<2 bytes>") == "<2 bytes>")
    }

    /// Every scalar redacts over its canonical key bytes, so a key shows the same in a Record
    /// and in an Index entry.
    @Test func scalarsRedactOverTheirCanonicalKeyBytes() {
        let values: [RowValue] = [
            .string("Heidi"), .bytes([0, 255]), .int64(-3), .uint64(7), .float64(-0.0), .bool(true),
            .uuid(Array(0..<16)), .timestamp(1_700_000_000_000_000),
        ]
        for value in values {
            let canonical = value.canonicalKey!
            #expect(Redactor.redact.scalar(value, shown: "x") == Redactor.redacted(canonical))
        }
        #expect(Redactor.redact.scalar(.int64(1), shown: "1").hasPrefix("<redacted:8 bytes, sha256:"))
        #expect(Redactor.redact.scalar(.none, shown: "none") == "none")
        #expect(Redactor.redact.scalar(.list([.int64(1)]), shown: "[1]") == "<redacted>")
    }

    @Test func constraintMessagesQuoteTheValueRedacted() {
        let version = Catalog.Version(
            version: 2, segmentOffset: 0,
            fields: [
                FieldDefinition(path: FieldPath(["id"]), type: .string, constraints: []),
                FieldDefinition(path: FieldPath(["n"]), type: .int64, constraints: [.minI64(5)]),
            ],
            indexes: [], primaryField: "id")
        let row: [(name: String, value: RowValue)] = [("id", .string("p1")), ("n", .int64(3))]
        let kept = RowValidator.validate(row: row, against: version, primaryField: "id")
        let redacted = RowValidator.validate(row: row, against: version, primaryField: "id", redactor: .redact)
        #expect(kept == .invalid(RowValidator.Failure(path: ["n"], message: "value 3 is below minimum 5")))
        #expect(
            redacted
                == .invalid(
                    RowValidator.Failure(
                        path: ["n"],
                        message: "value \(Redactor.redacted(RowValue.int64(3).canonicalKey!)) is below minimum 5")))
    }
}
