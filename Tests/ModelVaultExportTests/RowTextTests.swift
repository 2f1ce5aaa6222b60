import ModelVaultFormat
import Testing

@testable import ModelVaultExport

@Suite struct RowTextTests {
    @Test func scalarsKeepTheirTypesAndEveryBit() {
        #expect(RowText.text(.int64(.min)) == "-9223372036854775808")
        #expect(RowText.text(.uint64(.max)) == "18446744073709551615")
        #expect(RowText.text(.float64(-0.0)) == "-0.0")
        #expect(RowText.text(.float64(1e-300)) == "1e-300")
        #expect(RowText.text(.float64(.nan)) == #"{"$float":"nan"}"#)
        #expect(RowText.text(.float64(-.infinity)) == #"{"$float":"-inf"}"#)
        #expect(RowText.text(.bool(true)) == "true")
        #expect(RowText.text(.none) == "null")
        #expect(RowText.text(.string("a\"b\\\n\u{1}é")) == #""a\"b\\\n\u0001é""#)
    }

    @Test func floatsReadBackToTheSameBits() {
        for value in [
            0.1, 1.0 / 3.0, Double.leastNonzeroMagnitude, 1.7976931348623157e308, -2.5e-7, 123456789012345680.0,
        ] {
            let text = RowText.text(.float64(value))
            #expect(Double(text)?.bitPattern == value.bitPattern, "\(text)")
        }
    }

    @Test func bytesUUIDAndTimestampsAreTagged() {
        #expect(RowText.text(.bytes([0x00, 0xff, 0x10])) == #"{"$bytes":"AP8Q"}"#)
        #expect(RowText.text(.bytes([])) == #"{"$bytes":""}"#)
        #expect(RowText.text(.bytes([1])) == #"{"$bytes":"AQ=="}"#)
        #expect(
            RowText.text(
                .uuid([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0]))
                == #"{"$uuid":"12345678-9abc-def0-1234-56789abcdef0"}"#)
        #expect(RowText.text(.timestamp(1_709_209_815_250_000)) == #"{"$timestamp":"2024-02-29T12:30:15.250000Z"}"#)
        #expect(RowText.text(.timestamp(-14_182_940_000_000)) == #"{"$timestamp":"1969-07-20T20:17:40.000000Z"}"#)
        #expect(RowText.text(.timestamp(-1)) == #"{"$timestamp":"1969-12-31T23:59:59.999999Z"}"#)
    }

    @Test func timestampsOutsideFourDigitYearsUseTheExpandedForm() {
        #expect(Timestamp.text(microseconds: .max) == "+294247-01-10T04:00:54.775807Z")
        #expect(Timestamp.text(microseconds: .min) == "-290308-12-21T19:59:05.224192Z")
        #expect(Timestamp.text(microseconds: -62_135_596_800_000_000) == "0001-01-01T00:00:00.000000Z")
    }

    @Test func nestedPathsBecomeNestedObjects() {
        var tree = ObjectTree()
        tree.insert(path: ["sku"], json: Array("\"A\"".utf8))
        tree.insert(path: ["dims", "w"], json: Array("1".utf8))
        tree.insert(path: ["dims", "h"], json: Array("2".utf8))
        var out: [UInt8] = []
        tree.append(to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"{"sku":"A","dims":{"w":1,"h":2}}"#)
    }

    @Test func keyOrderIsNumericForIntegersAndFloats() {
        let ints: [Int64] = [.min, -2, -1, 0, 1, .max]
        let orders = ints.map { KeyOrder.bytes(.int64($0))! }
        #expect(orders == orders.sorted { $0.lexicographicallyPrecedes($1) })
        let floats: [Double] = [-.infinity, -1.5, -0.0, 1e-300, 2, .infinity]
        let floatOrders = floats.map { KeyOrder.bytes(.float64($0))! }
        #expect(floatOrders == floatOrders.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(KeyOrder.bytes(.float64(-0.0)) == KeyOrder.bytes(.float64(0.0)))
    }
}
