import Testing

@testable import ModelVaultFormat

/// The engine's row validation, message for message (each expected text is what modelvault
/// 0.16.0 printed for the same row and version; fixtures/quirks carries engine-written files).
@Suite struct RowValidatorTests {
    static func version(_ fields: [(String, FieldType, [Constraint])]) -> Catalog.Version {
        Catalog.Version(
            version: 2, segmentOffset: 0,
            fields: [FieldDefinition(path: FieldPath(["id"]), type: .string, constraints: [])]
                + fields.map { FieldDefinition(path: FieldPath([$0.0]), type: $0.1, constraints: $0.2) },
            indexes: [], primaryField: "id")
    }

    static func message(_ fields: [(String, FieldType, [Constraint])], _ row: [(String, RowValue)]) -> String? {
        switch RowValidator.validate(
            row: [("id", .string("p1"))] + row.map { (name: $0.0, value: $0.1) }, against: version(fields),
            primaryField: "id")
        {
        case .valid: return nil
        case .invalid(let failure): return "\(failure.dottedPath): \(failure.message)"
        case .undecidable(let path): return "undecidable at \(path.joined(separator: "."))"
        }
    }

    struct Case: CustomStringConvertible, Sendable {
        var fields: [(String, FieldType, [Constraint])]
        var row: [(String, RowValue)]
        var expected: String?
        var description: String { expected ?? "valid" }
    }

    static let cases: [Case] = [
        Case(fields: [("n", .int64, [.minI64(5)])], row: [("n", .int64(3))], expected: "n: value 3 is below minimum 5"),
        Case(
            fields: [("n", .int64, [.maxI64(1), .minI64(5)])], row: [("n", .int64(3))],
            expected: "n: value 3 is above maximum 1"),
        Case(
            fields: [("n", .uint64, [.maxU64(5)])], row: [("n", .uint64(9))], expected: "n: value 9 is above maximum 5"),
        Case(
            fields: [("n", .float64, [.minF64(2.25)])], row: [("n", .float64(1.5))],
            expected: "n: value 1.5 is below minimum 2.25"),
        Case(
            fields: [("n", .float64, [.maxF64(2)])], row: [("n", .float64(9.5))],
            expected: "n: value 9.5 is above maximum 2"),
        Case(
            fields: [("n", .float64, [.minF64(0.125)])], row: [("n", .float64(1e-7))],
            expected: "n: value 0.0000001 is below minimum 0.125"),
        Case(
            fields: [("s", .string, [.maxLength(3)])], row: [("s", .string("abcdef"))],
            expected: "s: string length 6 is above maximum 3"),
        Case(fields: [("s", .string, [.minLength(3)])], row: [("s", .string("éé"))], expected: nil),
        Case(
            fields: [("s", .bytes, [.minLength(3)])], row: [("s", .bytes([1, 2]))],
            expected: "s: bytes length 2 is below minimum 3"),
        Case(
            fields: [("s", .list(.int64), [.nonempty])], row: [("s", .list([]))], expected: "s: list must be non-empty"),
        Case(
            fields: [("s", .string, [.url])], row: [("s", .string("nope"))],
            expected: "s: string must be an http(s) URL"),
        Case(fields: [("s", .string, [.email])], row: [("s", .string("a@b.c"))], expected: nil),
        Case(
            fields: [("s", .string, [.email])], row: [("s", .string("ab.c"))],
            expected: "s: string is not a valid email shape"),
        Case(
            fields: [("s", .string, [.regex("^x+$")])], row: [("s", .string("abc"))],
            expected: "s: string does not match regex"),
        Case(fields: [("s", .string, [.regex("b")])], row: [("s", .string("abc"))], expected: nil),
        Case(
            fields: [("s", .enumeration(["x", "y\"z"]), [])], row: [("s", .string("q"))],
            expected: #"s: enum value must be one of ["x", "y\"z"]"#),
        Case(
            fields: [("l", .list(.enumeration(["a"])), [])], row: [("l", .list([.string("a"), .string("b")]))],
            expected: #"l.1: enum value must be one of ["a"]"#),
        Case(fields: [("n", .string, [])], row: [("n", .int64(3))], expected: "n: expected string"),
        Case(fields: [("n", .int64, [])], row: [("n", .none)], expected: "n: unexpected null for required field"),
        Case(
            fields: [("n", .optional(.int64), [.minI64(5)])], row: [("n", .int64(3))],
            expected: "n: value 3 is below minimum 5"),
        Case(fields: [("n", .optional(.int64), [.minI64(5)])], row: [("n", .none)], expected: nil),
        Case(fields: [("z", .int64, []), ("a", .int64, [])], row: [("a", .int64(1))], expected: "z: missing field"),
        Case(fields: [("b", .optional(.int64), [])], row: [("a", .int64(1))], expected: "a: unknown field"),
        Case(
            fields: [("o", .object([.init(path: FieldPath(["x"]), type: .int64)]), [])],
            row: [("o", .object([]))], expected: "o.x: missing object field"),
    ]

    @Test(arguments: cases)
    func aRowIsJudgedAsTheEngineJudgesIt(_ c: Case) {
        #expect(Self.message(c.fields, c.row) == c.expected)
    }

    @Test(arguments: [
        (2.0, "2"), (1.5, "1.5"), (-0.25, "-0.25"), (1e21, "1000000000000000000000"), (1e-7, "0.0000001"),
        (123456.789, "123456.789"), (Double.infinity, "inf"), (-Double.infinity, "-inf"), (0.0, "0"),
    ])
    func floatsAreWrittenAsRustWritesThem(value: Double, text: String) {
        #expect(RustText.float(value) == text)
    }
}
