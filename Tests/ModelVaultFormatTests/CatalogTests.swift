import TestSupport
import Testing

@testable import ModelVaultFormat

@Suite struct CatalogTests {
    func createEntry(
        id: UInt32, name: String, fields: [[String]] = [["title"]], primary: String = "title",
        version: UInt16 = 4
    ) -> [UInt8] {
        var b = Bytes()
        b.u16(version)
        b.u16(1)
        b.u32(id)
        b.string(name)
        b.u32(1)
        b.u32(UInt32(fields.count))
        for f in fields {
            b.path(f)
            b.u8(4)  // string
            if version >= 3 { b.u32(0) }
        }
        if version >= 4 { b.u32(0) }
        if version >= 2 { b.string(primary) }
        return b.bytes
    }

    func decode(_ bytes: [UInt8]) throws -> CatalogEntry {
        try bytes.withUnsafeBytes { try CatalogEntry(parsing: $0, at: 1000) }
    }

    @Test func createCollectionDecodes() throws {
        let entry = try decode(createEntry(id: 1, name: "books"))
        #expect(entry.kind == .createCollection(name: "books", primaryField: "title"))
        #expect(entry.fields.first?.type == .string)
    }

    @Test func trailingBytesAreRejectedAtTheirOffset() throws {
        let bytes = createEntry(id: 1, name: "books") + [0]
        #expect(throws: FormatError(.trailingBytes(count: 1), at: 1000 + UInt64(bytes.count - 1))) {
            try decode(bytes)
        }
    }

    @Test func truncatedEntryReportsTheMissingOffset() {
        // Version, kind and id take bytes 0..<8; the name's 4-byte length at 8 has 1 byte left.
        let bytes = Array(createEntry(id: 1, name: "books").prefix(9))
        #expect(throws: FormatError(.truncated(needed: 4, available: 1), at: 1000 + 8)) { try decode(bytes) }
    }

    @Test func collectionIdsMustCountFromOne() throws {
        var catalog = Catalog()
        try catalog.apply(try decode(createEntry(id: 1, name: "a")), segmentOffset: 0)
        #expect(throws: Catalog.Violation.self) {
            try catalog.apply(try decode(createEntry(id: 3, name: "b")), segmentOffset: 0)
        }
        #expect(catalog.collections.count == 1)
    }

    @Test func prefixConflictingPathsAreRejected() throws {
        var catalog = Catalog()
        let entry = try decode(createEntry(id: 1, name: "a", fields: [["title"], ["meta"], ["meta", "x"]]))
        #expect(throws: Catalog.Violation.self) { try catalog.apply(entry, segmentOffset: 0) }
    }

    @Test func legacyCatalogVersionOneHasNoPrimaryField() throws {
        let entry = try decode(createEntry(id: 1, name: "a", version: 1))
        #expect(entry.kind == .createCollection(name: "a", primaryField: nil))
    }

    @Test func typeNestingDeeperThan32IsRejected() {
        var b = Bytes()
        for _ in 0..<40 { b.u8(8) }
        b.u8(4)
        b.bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            #expect(throws: FormatError.self) { _ = try FieldType(parsing: &reader) }
        }
    }
}
