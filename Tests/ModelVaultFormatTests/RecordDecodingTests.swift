import Foundation
import TestSupport
import Testing

@testable import ModelVaultFormat

/// A committed fixture's log, walked by hand (header + payload length from 8224), with its
/// Schema payloads replayed into a catalog in log order. Enough for the engine-written clean
/// fixtures; the forensic walk proper lives in ModelVaultCheck.
private struct FixtureLog {
    struct Segment {
        var offset: UInt64
        var type: UInt16
        var payload: Range<Int>
    }

    let name: String
    let bytes: [UInt8]
    var segments: [Segment] = []
    var catalog = Catalog()

    init(_ url: URL) throws {
        name = url.lastPathComponent
        bytes = try Fixtures.bytes(url)
        var at = Int(Layout.logStart)
        while bytes.count - at >= Layout.segmentHeaderSize {
            let (type, length) = bytes.withUnsafeBytes { raw -> (UInt16, UInt64) in
                (
                    UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: at + 6, as: UInt16.self)),
                    UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 12, as: UInt64.self))
                )
            }
            #expect(Array(bytes[at..<(at + 4)]) == Array("TSG0".utf8), "\(name): no segment magic at \(at)")
            let start = at + Layout.segmentHeaderSize
            guard length <= UInt64(bytes.count - start) else { break }
            segments.append(Segment(offset: UInt64(at), type: type, payload: start..<(start + Int(length))))
            at = start + Int(length)
        }
        #expect(at == bytes.count, "\(name): log does not end on a segment boundary")
        for segment in segments where segment.type == 1 {
            let entry = try withPayload(segment) {
                try CatalogEntry(parsing: $0, at: UInt64(segment.payload.lowerBound))
            }
            try catalog.apply(entry, segmentOffset: segment.offset)
        }
    }

    func withPayload<T>(_ segment: Segment, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[segment.payload])) }
    }

    func record(_ segment: Segment) throws -> RecordPayload {
        try withPayload(segment) { try decodeAndValidate($0, at: UInt64(segment.payload.lowerBound), catalog) }
    }

    func of(type: UInt16) -> [Segment] { segments.filter { $0.type == type } }

    func payloadBytes(_ segment: Segment) -> [UInt8] { Array(bytes[segment.payload]) }
}

private func fixture(_ relative: String) throws -> FixtureLog {
    try FixtureLog(Fixtures.url(relative))
}

/// Decodes `payload` as a Record at absolute offset 1000 (see `decodeAndValidate`).
private func decodeRecord(_ payload: [UInt8], _ catalog: Catalog) throws -> RecordPayload {
    try payload.withUnsafeBytes { try decodeAndValidate($0, at: 1000, catalog) }
}

/// Decodes a Record payload, and checks on the way that `RecordPayload.validate` (the deep
/// check's path, which builds no values) accepts it or refuses it with the very same error.
private func decodeAndValidate(_ raw: UnsafeRawBufferPointer, at offset: UInt64, _ catalog: Catalog) throws
    -> RecordPayload
{
    let validation = Result { () throws(PayloadCheckError) in
        try RecordPayload.validate(raw, at: offset, catalog: catalog)
    }
    do {
        let decoded = try RecordPayload(parsing: raw, at: offset, catalog: catalog)
        if case .failure(let error) = validation { Issue.record("decodes, but validate refuses it: \(error)") }
        return decoded
    } catch {
        switch validation {
        case .success: Issue.record("validate accepts what decoding refuses: \(error)")
        case .failure(.fault(let refused)): #expect(refused == error)
        case .failure(.interrupted(let stop)): Issue.record("validate stopped: \(stop)")
        }
        throw error
    }
}

/// The engine variant a decode fails with, or nil when it succeeds.
private func variant(_ body: () throws -> Void) -> RecordDecodeError.Variant? {
    do {
        try body()
        return nil
    } catch let error as RecordDecodeError {
        return error.variant
    } catch PayloadCheckError.fault(let error) {
        return error.variant
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

private func recordVariant(_ payload: [UInt8], _ catalog: Catalog) -> RecordDecodeError.Variant? {
    variant { _ = try decodeRecord(payload, catalog) }
}

private func indexVariant(_ payload: [UInt8]) -> RecordDecodeError.Variant? {
    variant { try payload.withUnsafeBytes { try IndexPayload.forEachEntry(in: $0, at: 0) { _ in } } }
}

// MARK: - hand-made catalogs and payloads

/// Type encodings (docs/file-format.md §6.4).
private enum T {
    static let bool: [UInt8] = [0], int64: [UInt8] = [1], uint64: [UInt8] = [2], float64: [UInt8] = [3]
    static let string: [UInt8] = [4], bytes: [UInt8] = [5], uuid: [UInt8] = [6], timestamp: [UInt8] = [7]
    static func optional(_ inner: [UInt8]) -> [UInt8] { [8] + inner }
    static func list(_ inner: [UInt8]) -> [UInt8] { [9] + inner }
    static func object(_ members: [([String], [UInt8])]) -> [UInt8] {
        var b = Bytes()
        b.u8(10)
        b.u32(UInt32(members.count))
        for (path, type) in members {
            b.path(path)
            b.bytes += type
        }
        return b.bytes
    }
    static func enumeration(_ variants: [String]) -> [UInt8] {
        var b = Bytes()
        b.u8(11)
        b.u32(UInt32(variants.count))
        for variant in variants { b.string(variant) }
        return b.bytes
    }
}

private func schemaEntry(
    kind: UInt16 = 1, id: UInt32 = 1, version: UInt32 = 1, name: String = "c",
    fields: [([String], [UInt8])], primary: String = "id"
) -> [UInt8] {
    var b = Bytes()
    b.u16(4)
    b.u16(kind)
    b.u32(id)
    if kind == 1 { b.string(name) }
    b.u32(version)
    b.u32(UInt32(fields.count))
    for (path, type) in fields {
        b.path(path)
        b.bytes += type
        b.u32(0)  // constraints
    }
    b.u32(0)  // indexes
    if kind == 1 { b.string(primary) }
    return b.bytes
}

/// A catalog of one collection "c" (id 1) whose versions have the given fields.
private func catalog(_ versions: [([String], [UInt8])]...) throws -> Catalog {
    var catalog = Catalog()
    for (i, fields) in versions.enumerated() {
        let bytes = schemaEntry(kind: i == 0 ? 1 : 2, version: UInt32(i + 1), fields: fields)
        let entry = try bytes.withUnsafeBytes { try CatalogEntry(parsing: $0, at: 0) }
        try catalog.apply(entry, segmentOffset: 0)
    }
    return catalog
}

/// Tagged scalars.
private enum V {
    static func string(_ s: String) -> [UInt8] {
        var b = Bytes()
        b.u8(4)
        b.string(s)
        return b.bytes
    }
    static func int64(_ v: Int64) -> [UInt8] {
        var b = Bytes()
        b.u8(1)
        b.u64(UInt64(bitPattern: v))
        return b.bytes
    }
    static func bool(_ v: UInt8) -> [UInt8] { [0, v] }
    static func float64(_ v: Double) -> [UInt8] {
        var b = Bytes()
        b.u8(3)
        b.u64(v.bitPattern)
        return b.bytes
    }
    /// A v3 field path: u8 count, u16 length + UTF-8 per segment.
    static func path(_ segments: [String]) -> [UInt8] {
        var b = Bytes()
        b.u8(UInt8(segments.count))
        for s in segments {
            b.u16(UInt16(s.utf8.count))
            b.bytes += Array(s.utf8)
        }
        return b.bytes
    }
}

private func record(
    version: UInt16 = 2, collection: UInt32 = 1, schemaVersion: UInt32 = 1, op: UInt8 = 1,
    key: [UInt8] = V.string("k"), count: UInt32? = nil, fields: [[UInt8]]
) -> [UInt8] {
    var b = Bytes()
    b.u16(version)
    b.u32(collection)
    b.u32(schemaVersion)
    b.u8(op)
    b.bytes += key
    b.u32(count ?? UInt32(fields.count))
    for field in fields { b.bytes += field }
    return b.bytes
}

@Suite struct RecordDecodingTests {
    // MARK: real bytes

    @Test func everyRecordIndexAndCheckpointPayloadInEveryCleanFixtureDecodes() throws {
        let files = Fixtures.files("clean")
        #expect(files.count >= 19)
        var records = 0
        var entries = 0
        var checkpointRows = 0
        for url in files {
            let log = try FixtureLog(url)
            for segment in log.of(type: 2) {
                let decoded = try log.record(segment)
                #expect(
                    decoded.op == .delete ? decoded.fields.isEmpty : !decoded.fields.isEmpty,
                    "\(log.name) @\(segment.offset)")
                records += 1
            }
            for segment in log.of(type: 5) {
                try log.withPayload(segment) { raw in
                    try IndexPayload.forEachEntry(in: raw, at: UInt64(segment.payload.lowerBound)) { _ in entries += 1 }
                }
            }
            for segment in log.of(type: 4) {
                try log.withPayload(segment) { raw in
                    let base = UInt64(segment.payload.lowerBound)
                    let checkpoint = try CheckpointPayload(parsing: raw, at: base)
                    var catalog = Catalog()
                    for entry in checkpoint.catalogEntries { try catalog.apply(entry, segmentOffset: segment.offset) }
                    var rows = ByteReader(
                        UnsafeRawBufferPointer(rebasing: raw[checkpoint.rowSection]),
                        baseOffset: base + UInt64(checkpoint.rowSection.lowerBound))
                    for _ in 0..<checkpoint.rowCount {
                        let length = try rows.u32()
                        var row = try rows.slice(Int(length))
                        var schemas = RecordSchemas(catalog)
                        _ = try RecordPayload(parsing: &row, schemas: &schemas)
                        checkpointRows += 1
                    }
                    let index = UnsafeRawBufferPointer(rebasing: raw[checkpoint.indexRange])
                    try IndexPayload.forEachEntry(in: index, at: base + UInt64(checkpoint.indexRange.lowerBound)) { _ in
                    }
                }
            }
        }
        #expect(records > 100)
        #expect(entries > 50)
        #expect(checkpointRows > 0)
    }

    @Test func indexInsertEntriesCarryTheCanonicalKeysOfTheRecordThatFollows() throws {
        var checked = 0
        for url in Fixtures.files("clean") {
            let log = try FixtureLog(url)
            for (i, segment) in log.segments.enumerated() where segment.type == 5 {
                guard i + 1 < log.segments.count, log.segments[i + 1].type == 2 else { continue }
                let row = try log.record(log.segments[i + 1])
                guard row.op != .delete,
                    let collection = log.catalog.collection(id: row.collectionId),
                    let schema = collection.recordSchema(forSchemaVersion: row.schemaVersion)
                else { continue }
                var entries: [IndexEntry] = []
                try log.withPayload(segment) { raw in
                    try IndexPayload.forEachEntry(in: raw, at: 0) { entries.append(IndexEntry($0)) }
                }
                for entry in entries where entry.op == .insert && entry.collectionId == row.collectionId {
                    #expect(entry.primaryKey == row.primaryKey.canonicalKey, "\(log.name) \(entry.name)")
                    let path = try #require(
                        schema.indexes.first { $0.name == entry.name }?.path, "\(log.name): no index \(entry.name)")
                    let value = try #require(
                        row.fields.first { $0.path == path }?.value, "\(log.name): no value for \(entry.name)")
                    #expect(entry.key == value.canonicalKey, "\(log.name) \(entry.name)")
                    checked += 1
                }
            }
        }
        #expect(checked > 40)
    }

    @Test func multiSegmentPathsOfARecordV3DecodeToTheirLeafFields() throws {
        let log = try fixture("clean/multipath_record_v3.modelvault")
        let first = try log.record(log.of(type: 2)[0])
        #expect(first.version == 3)
        #expect(first.primaryKey == .string("A-1"))
        #expect(
            first.fields == [
                .init(path: FieldPath(["dims", "w"]), value: .int64(30), schemaIndex: 0),
                .init(path: FieldPath(["dims", "h"]), value: .int64(40), schemaIndex: 1),
                .init(path: FieldPath(["meta", "origin", "country"]), value: .string("FR"), schemaIndex: 2),
                .init(path: FieldPath(["meta", "note"]), value: .string("fragile"), schemaIndex: 3),
                .init(path: FieldPath(["colors"]), value: .list([.string("red"), .string("blue")]), schemaIndex: 4),
            ])
        let replaced = try log.record(log.of(type: 2)[2])
        #expect(replaced.op == .replace)
        #expect(replaced.fields[3].value == .none)
    }

    @Test func richTypesDecodeToTheirValues() throws {
        let log = try fixture("clean/rich_types.modelvault")
        let rows = try log.of(type: 2).map { try log.record($0) }
        #expect(
            rows[0].fields.map(\.value) == [
                .bool(true), .int64(-42), .uint64(.max), .float64(3.25), .string("café ☕"), .bytes([0, 0xff, 0x10]),
                .uuid([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0]),
                .timestamp(1_709_209_815_250_000),
            ])
        let ada = rows[3].fields
        #expect(ada.first(where: { $0.path == FieldPath(["role"]) })?.value == .string("admin"))
        #expect(
            ada.first(where: { $0.path == FieldPath(["address"]) })?.value
                == .object([
                    .init(path: FieldPath(["city"]), value: .string("London")),
                    .init(path: FieldPath(["zip"]), value: .string("12345")),
                    .init(path: FieldPath(["geo"]), value: .list([.float64(51.5), .float64(-0.12)])),
                ]))
        #expect(
            rows[7].primaryKey.canonicalKey == [
                0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
            ])
    }

    @Test func typra051RecordsAreVersionOneTaggedScalars() throws {
        let log = try fixture("clean/typra051_minor5.modelvault")
        let row = try log.record(log.of(type: 2)[0])
        #expect(row.version == 1)
        #expect(row.fields.map(\.value) == [.string("t0"), .float64(21.5), .bool(true), .int64(1)])
    }

    @Test func recordsNamingAnOlderSchemaVersionDecodeAgainstIt() throws {
        let log = try fixture("clean/schema_versions.modelvault")
        let first = try log.record(log.of(type: 2)[0])
        #expect(first.schemaVersion == 1 && first.decodedSchemaVersion == 1)
        #expect(first.fields.count == 1)
    }

    // MARK: engine-measured damage (fixtures/damaged, outcomes in fixtures/engine-outcomes.json)

    @Test(arguments: [
        ("damaged/basic__record_field_count.modelvault", RecordDecodeError.Variant.recordPayloadTypeMismatch),
        ("damaged/basic__record_schema_version_above.modelvault", .invalidSchemaVersion),
        ("damaged/basic__record_unknown_collection.modelvault", .unknownCollection),
    ])
    func damagedRecordFixturesFailWithTheEnginesVariant(file: String, expected: RecordDecodeError.Variant) throws {
        let log = try fixture(file)
        let failures = log.of(type: 2).compactMap { segment in variant { _ = try log.record(segment) } }
        #expect(failures == [expected])
    }

    // MARK: framing of a record

    @Test func everyTruncationOfARealRecordIsTruncatedRecordPayload() throws {
        let log = try fixture("clean/rich_types.modelvault")
        for segment in log.of(type: 2) {
            let payload = log.payloadBytes(segment)
            for cut in 0..<payload.count {
                #expect(recordVariant(Array(payload[..<cut]), log.catalog) == .truncatedRecordPayload, "cut at \(cut)")
            }
        }
    }

    @Test func validationRefusesEveryAlteredRealRecordExactlyAsDecodingDoes() throws {
        var checked = 0
        for url in Fixtures.files("clean") {
            let log = try FixtureLog(url)
            for segment in log.of(type: 2).prefix(40) {
                let original = log.payloadBytes(segment)
                for position in original.indices {
                    for change: (UInt8) -> UInt8 in [{ $0 ^ 0x01 }, { $0 ^ 0x80 }, { _ in 0 }, { _ in 0xFF }] {
                        var altered = original
                        altered[position] = change(altered[position])
                        _ = try? decodeRecord(altered, log.catalog)
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 10_000)
    }

    @Test func oneExtraByteIsTrailingRecordPayloadAtItsOffset() throws {
        let log = try fixture("clean/basic.modelvault")
        let payload = log.payloadBytes(log.of(type: 2)[0]) + [0]
        #expect(
            throws: RecordDecodeError(
                .trailingRecordPayload, "1 trailing bytes in record payload",
                at: 1000 + UInt64(payload.count - 1))
        ) {
            try decodeRecord(payload, log.catalog)
        }
    }

    @Test func changedFieldCountIsTypeMismatch() throws {
        let c = try catalog([(["id"], T.string), (["year"], T.int64)])
        #expect(recordVariant(record(fields: [V.int64(1)]), c) == nil)
        #expect(recordVariant(record(count: 2, fields: [V.int64(1)]), c) == .recordPayloadTypeMismatch)
        #expect(recordVariant(record(count: 0, fields: []), c) == .recordPayloadTypeMismatch)
        #expect(recordVariant(record(count: .max, fields: []), c) == .recordPayloadTypeMismatch)
    }

    @Test func unknownCollectionIsReportedBeforeAnythingAfterItsId() throws {
        let c = try catalog([(["id"], T.string), (["year"], T.int64)])
        let unknown = record(version: 9, collection: 7, fields: [V.int64(1)])
        var expected = RecordDecodeError(.unknownCollection, "unknown collection id 7", at: 1002)
        // Version 9 can never replay, whenever collection 7 is registered: the error says so.
        expected.recordVersionUnknown = true
        #expect(throws: expected) {
            try decodeRecord(Array(unknown.prefix(6)), c)
        }
        #expect(recordVariant(Array(unknown.prefix(5)), c) == .truncatedRecordPayload)
        #expect(recordVariant(unknown + [1, 2, 3], c) == .unknownCollection)
    }

    @Test func recordVersionOutsideOneToThreeIsUnknownRecordPayloadVersion() throws {
        let c = try catalog([(["id"], T.string), (["year"], T.int64)])
        #expect(recordVariant(record(version: 4, fields: [V.int64(1)]), c) == .unknownRecordPayloadVersion)
        #expect(recordVariant(record(version: 0, fields: [V.int64(1)]), c) == .unknownRecordPayloadVersion)
        #expect(recordVariant(record(version: 1, fields: [V.int64(1)]), c) == nil)
        #expect(recordVariant(record(version: 3, fields: [V.path(["year"]) + V.int64(1)]), c) == nil)
    }

    // MARK: schema versions

    @Test func schemaVersionAboveCurrentIsInvalidSchemaVersionAfterTheWholeDecode() throws {
        let c = try catalog([(["id"], T.string), (["year"], T.int64)])
        #expect(throws: RecordDecodeError(.invalidSchemaVersion, "invalid schema version: expected 1, got 2", at: 1006))
        {
            try decodeRecord(record(schemaVersion: 2, fields: [V.int64(1)]), c)
        }
        // decoded against the current version first: its faults win
        #expect(recordVariant(record(schemaVersion: 2, fields: [V.int64(1)]) + [0], c) == .trailingRecordPayload)
        #expect(recordVariant(record(schemaVersion: 2, fields: [V.string("x")]), c) == .recordPayloadTypeMismatch)
        #expect(recordVariant(record(schemaVersion: 5, op: 3, fields: []), c) == .invalidSchemaVersion)
    }

    @Test func schemaVersionZeroFallsBackToCurrentAndMayCarryALeadingPart() throws {
        let c = try catalog(
            [(["id"], T.string), (["a"], T.string)],
            [(["id"], T.string), (["a"], T.string), (["n"], T.optional(T.string))])
        let two = try decodeRecord(record(schemaVersion: 0, fields: [V.string("A"), [0]]), c)
        #expect(two.decodedSchemaVersion == 2 && two.fields.count == 2)
        #expect(try decodeRecord(record(schemaVersion: 0, fields: [V.string("A")]), c).fields.count == 1)
        #expect(
            recordVariant(record(schemaVersion: 0, fields: [V.string("A"), [0], [0]]), c) == .recordPayloadTypeMismatch)
        // a named version must be carried whole
        #expect(recordVariant(record(schemaVersion: 2, fields: [V.string("A")]), c) == .recordPayloadTypeMismatch)
        #expect(try decodeRecord(record(schemaVersion: 1, fields: [V.string("A")]), c).decodedSchemaVersion == 1)
    }

    @Test func version3RecordNamingNoSchemaVersionOfANestedCollectionIsAStaleLayout() throws {
        let c = try catalog([(["id"], T.string), (["a"], T.string), (["m", "n"], T.optional(T.string))])
        let whole = record(
            version: 3, schemaVersion: 0, fields: [V.path(["a"]) + V.string("Z"), V.path(["m", "n"]) + [0]])
        #expect(recordVariant(whole, c) == .invalidCatalogPayload)
        let part = record(version: 3, schemaVersion: 0, fields: [V.path(["a"]) + V.string("Z")])
        #expect(recordVariant(part, c) == .recordPayloadTypeMismatch)
        #expect(recordVariant(record(version: 2, schemaVersion: 0, fields: [V.string("Z")]), c) == nil)
    }

    // MARK: primary key and fields

    @Test func primaryKeyMustCarryThePrimaryFieldsTag() throws {
        let c = try catalog([(["id"], T.string), (["year"], T.int64)])
        #expect(recordVariant(record(key: V.int64(5), fields: [V.int64(1)]), c) == .recordPayloadTypeMismatch)
        #expect(recordVariant(record(op: 3, key: V.int64(5), fields: []), c) == .recordPayloadTypeMismatch)
        #expect(recordVariant(record(key: [9], fields: [V.int64(1)]), c) == .recordPayloadTypeMismatch)
    }

    @Test func deleteCarriesNoFieldsAndNothingAfter() throws {
        let c = try catalog([(["id"], T.string), (["year"], T.int64)])
        let delete = try decodeRecord(record(op: 3, fields: []), c)
        #expect(delete.op == .delete && delete.fields.isEmpty)
        #expect(recordVariant(record(op: 3, fields: [V.int64(1)]), c) == .recordPayloadTypeMismatch)
        #expect(recordVariant(record(op: 3, fields: []) + [0], c) == .trailingRecordPayload)
        #expect(try decodeRecord(record(op: 7, fields: [V.int64(1)]), c).op == .other(7))
    }

    @Test func wrongTagsAndPresenceBytesAreTypeMismatch() throws {
        let c = try catalog([(["id"], T.string), (["n"], T.optional(T.int64)), (["t"], T.timestamp)])
        let ts: [UInt8] = [7, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(recordVariant(record(fields: [[1] + V.int64(1), ts]), c) == nil)
        #expect(recordVariant(record(fields: [[2] + V.int64(1), ts]), c) == .recordPayloadTypeMismatch)
        #expect(recordVariant(record(fields: [[1] + V.string("x"), ts]), c) == .recordPayloadTypeMismatch)
        #expect(recordVariant(record(fields: [[0], V.int64(1)]), c) == .recordPayloadTypeMismatch)
    }

    @Test func anyNonZeroBoolByteReadsAsTrue() throws {
        let c = try catalog([(["id"], T.string), (["b"], T.bool)])
        #expect(try decodeRecord(record(fields: [V.bool(2)]), c).fields[0].value == .bool(true))
        #expect(try decodeRecord(record(fields: [V.bool(0)]), c).fields[0].value == .bool(false))
    }

    @Test func enumValuesAreTaggedStringsAndMembershipIsLeftToValidation() throws {
        let c = try catalog([(["id"], T.string), (["e"], T.enumeration(["a", "b"]))])
        #expect(try decodeRecord(record(fields: [V.string("zzz")]), c).fields[0].value == .string("zzz"))
        #expect(recordVariant(record(fields: [V.int64(1)]), c) == .recordPayloadTypeMismatch)
    }

    @Test func invalidUTF8InAStringIsInvalidRecordUTF8() throws {
        let c = try catalog([(["id"], T.string), (["s"], T.string)])
        let bad: [UInt8] = [4, 2, 0, 0, 0, 0xff, 0xfe]
        #expect(recordVariant(record(fields: [bad]), c) == .invalidRecordUTF8)
        #expect(recordVariant(record(key: bad, fields: [V.string("x")]), c) == .invalidRecordUTF8)
    }

    @Test func stringLongerThan16MiBIsRefusedBeforeItsBytesAreLookedFor() throws {
        let c = try catalog([(["id"], T.string), (["s"], T.string)])
        var claim = Bytes()
        claim.u8(4)
        claim.u32(UInt32(RecordLimits.maxValueLength + 1))
        #expect(recordVariant(record(fields: [claim.bytes]), c) == .invalidCatalogPayload)
        var fits = Bytes()
        fits.u8(4)
        fits.u32(UInt32(RecordLimits.maxValueLength))
        #expect(recordVariant(record(fields: [fits.bytes]), c) == .truncatedRecordPayload)
    }

    @Test func recordV1CannotCarryNonPrimitiveFields() throws {
        let c = try catalog([(["id"], T.string), (["s"], T.string), (["n"], T.optional(T.string))])
        #expect(recordVariant(record(version: 1, fields: [V.string("x"), [0]]), c) == .recordPayloadUnsupportedType)
        // fields are judged in order: an earlier fault wins
        #expect(recordVariant(record(version: 1, fields: [V.int64(1), [0]]), c) == .recordPayloadTypeMismatch)
    }

    @Test func recordsV1AndV2CannotCarryNestedPaths() throws {
        let c = try catalog([(["id"], T.string), (["d", "w"], T.int64)])
        #expect(recordVariant(record(version: 2, fields: [V.int64(1)]), c) == .recordPayloadTypeMismatch)
        // refused before the value is read
        #expect(
            recordVariant(record(version: 2, fields: [Array(V.int64(1).prefix(3))]), c) == .recordPayloadTypeMismatch)
        #expect(recordVariant(record(version: 3, fields: [V.path(["d", "w"]) + V.int64(1)]), c) == nil)
        #expect(recordVariant(record(version: 2, op: 3, fields: []), c) == nil)
    }

    // MARK: v3 paths

    @Test func version3PathsMayComeInAnyOrderButEachOnce() throws {
        let c = try catalog([(["id"], T.string), (["d", "w"], T.int64), (["d", "h"], T.int64)])
        let w = V.path(["d", "w"]) + V.int64(7)
        let h = V.path(["d", "h"]) + V.int64(9)
        let swapped = try decodeRecord(record(version: 3, fields: [h, w]), c)
        #expect(swapped.fields.map(\.path) == [FieldPath(["d", "h"]), FieldPath(["d", "w"])])
        #expect(swapped.fields.map(\.value) == [.int64(9), .int64(7)])
        #expect(recordVariant(record(version: 3, fields: [w, w]), c) == .recordPayloadTypeMismatch)
        #expect(
            recordVariant(record(version: 3, fields: [w, V.path(["d"]) + V.int64(9)]), c) == .recordPayloadTypeMismatch)
        #expect(
            recordVariant(record(version: 3, fields: [w, V.path(["id"]) + V.string("k")]), c)
                == .recordPayloadTypeMismatch)
    }

    /// Fields already read are tracked in a word up to 64 of them, in an array past that: a
    /// repeated path is refused either way, wherever it falls.
    @Test(arguments: [63, 64, 65, 70])
    func aRepeatedVersion3PathIsRefusedWhateverTheFieldCount(fields count: Int) throws {
        let names = (0..<count).map { "f\($0)" }
        let c = try catalog([(["id"], T.string)] + names.map { ([$0], T.int64) })
        let all = names.enumerated().map { V.path([$1]) + V.int64(Int64($0)) }
        let decoded = try decodeRecord(record(version: 3, fields: all), c)
        #expect(decoded.fields.count == count)
        for repeated in [0, count - 2] {
            var twice = all
            twice[count - 1] = V.path([names[repeated]]) + V.int64(1)
            #expect(recordVariant(record(version: 3, fields: twice), c) == .recordPayloadTypeMismatch)
        }
    }

    /// A path is taken for the field in its position only when its bytes are exactly that
    /// field's: a prefix, a longer name, or the same letters split otherwise are looked up
    /// instead (and refused when no field has them).
    @Test func aVersion3PathMatchesItsFieldOnlyByItsExactBytes() throws {
        let c = try catalog([(["id"], T.string), (["ab"], T.int64), (["é", "ü"], T.int64)])
        let exact = try decodeRecord(
            record(version: 3, fields: [V.path(["ab"]) + V.int64(1), V.path(["é", "ü"]) + V.int64(2)]), c)
        #expect(exact.fields.map(\.path) == [FieldPath(["ab"]), FieldPath(["é", "ü"])])
        for wrong in [["a"], ["abc"], ["a", "b"], ["AB"]] {
            #expect(
                recordVariant(
                    record(version: 3, fields: [V.path(wrong) + V.int64(1), V.path(["é", "ü"]) + V.int64(2)]), c)
                    == .recordPayloadTypeMismatch, "\(wrong)")
        }
        // Cut inside the path: truncated, as the lookup reads it.
        #expect(
            recordVariant(
                record(version: 3, fields: [V.path(["ab"]) + V.int64(1), Array(V.path(["é", "ü"]).prefix(4))]), c)
                == .truncatedRecordPayload)
    }

    @Test func aPathNoRecordCanWriteHasNoVersion3Encoding() {
        #expect(RecordPayload.encodedV3Path(FieldPath(["ab", "c"])) == [2, 2, 0, 0x61, 0x62, 1, 0, 0x63])
        #expect(RecordPayload.encodedV3Path(FieldPath(["a", ""])) == nil)
        #expect(RecordPayload.encodedV3Path(FieldPath(Array(repeating: "a", count: 256))) == nil)
        #expect(RecordPayload.encodedV3Path(FieldPath(Array(repeating: "a", count: 255)))?.count == 1 + 255 * 3)
        #expect(RecordPayload.encodedV3Path(FieldPath([String(repeating: "a", count: 0x1_0000)])) == nil)
    }

    /// One `RecordSchemas` kept across Records of different collections and versions in turn
    /// decodes each as a fresh lookup does.
    @Test func keptLookupsDecodeRecordsOfOtherCollectionsAndVersionsAsFreshOnes() throws {
        var c = try catalog(
            [(["id"], T.string), (["a"], T.int64)], [(["id"], T.string), (["a"], T.int64), (["b"], T.bool)])
        let second = schemaEntry(kind: 1, id: 2, name: "d", fields: [(["id"], T.string), (["z"], T.string)])
        try c.apply(try second.withUnsafeBytes { try CatalogEntry(parsing: $0, at: 0) }, segmentOffset: 0)
        let payloads = [
            record(schemaVersion: 1, fields: [V.int64(1)]),
            record(collection: 2, fields: [V.string("z")]),
            record(schemaVersion: 2, fields: [V.int64(1), V.bool(1)]),
            record(schemaVersion: 2, fields: [V.int64(1)]),
            record(collection: 3, fields: []),
            record(schemaVersion: 0, fields: [V.int64(1)]),
            record(schemaVersion: 9, fields: [V.int64(1), V.bool(0)]),
            record(collection: 2, fields: [V.int64(1)]),
        ]
        var schemas = RecordSchemas(c)
        for (i, payload) in payloads.enumerated() {
            let kept = payload.withUnsafeBytes { raw in
                Result { () throws(RecordDecodeError) in
                    var reader = ByteReader(raw)
                    return try RecordPayload(parsing: &reader, schemas: &schemas)
                }
            }
            let fresh = payload.withUnsafeBytes { raw in
                Result { () throws(RecordDecodeError) in try RecordPayload(parsing: raw, at: 0, catalog: c) }
            }
            #expect(kept == fresh, "record \(i)")
        }
        #expect((try? decodeRecord(payloads[1], c)) != nil)
        #expect(recordVariant(payloads[4], c) == .unknownCollection)
        #expect(recordVariant(payloads[6], c) == .invalidSchemaVersion)
    }

    @Test func malformedVersion3PathIsInvalidFieldPath() throws {
        let c = try catalog([(["id"], T.string), (["a"], T.int64)])
        #expect(recordVariant(record(version: 3, fields: [[0] + V.int64(1)]), c) == .invalidFieldPath)
        #expect(recordVariant(record(version: 3, fields: [[1, 0, 0] + V.int64(1)]), c) == .invalidFieldPath)
        #expect(recordVariant(record(version: 3, fields: [[1, 1, 0, 0xff] + V.int64(1)]), c) == .invalidFieldPath)
        #expect(recordVariant(record(version: 3, fields: [[1, 4, 0, 0x61]]), c) == .truncatedRecordPayload)
    }

    // MARK: sizes and nesting

    @Test func hugeListCountsFailWithoutAllocatingByTheCount() throws {
        // 33 nested lists, each claiming the maximum count with no elements present
        var type = T.bool
        for _ in 0..<FieldType.maximumDepth { type = T.list(type) }
        let c = try catalog([(["id"], T.string), (["l"], type)])
        var value = Bytes()
        for _ in 0..<FieldType.maximumDepth { value.u32(UInt32(RecordLimits.maxEntryCount)) }
        #expect(recordVariant(record(fields: [value.bytes]), c) == .truncatedRecordPayload)
        var over = Bytes()
        over.u32(UInt32(RecordLimits.maxEntryCount + 1))
        #expect(recordVariant(record(fields: [over.bytes]), c) == .invalidCatalogPayload)
    }

    @Test func aMillionElementListDecodesWithinTheRecord() throws {
        let c = try catalog([(["id"], T.string), (["l"], T.list(T.bool))])
        var value = Bytes()
        value.u32(UInt32(RecordLimits.maxEntryCount))
        for i in 0..<RecordLimits.maxEntryCount { value.bytes += [0, UInt8(i & 1)] }
        let row = try decodeRecord(record(fields: [value.bytes]), c)
        guard case .list(let elements) = row.fields[0].value else {
            Issue.record("not a list")
            return
        }
        #expect(elements.count == RecordLimits.maxEntryCount)
    }

    @Test func typesNestedBeyondTheCatalogLimitAreRefusedNotFollowed() throws {
        var type = FieldType.int64
        for _ in 0..<10_000 { type = .optional(type) }
        let bytes = [UInt8](repeating: 1, count: 20_000)
        bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            #expect(throws: RecordDecodeError.self) { _ = try RowValue(parsing: &reader, as: type) }
        }
    }

    // MARK: canonical keys

    @Test func canonicalKeysFollowTheIndexEncoding() {
        #expect(RowValue.bool(true).canonicalKey == [0, 1])
        #expect(RowValue.bool(false).canonicalKey == [0, 0])
        #expect(RowValue.int64(-42).canonicalKey == [0xd6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        #expect(RowValue.timestamp(1).canonicalKey == [1, 0, 0, 0, 0, 0, 0, 0])
        #expect(RowValue.uint64(.max).canonicalKey == [UInt8](repeating: 0xff, count: 8))
        #expect(RowValue.float64(-0.0).canonicalKey == RowValue.float64(0.0).canonicalKey)
        #expect(RowValue.float64(-0.0).canonicalKey == [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(RowValue.float64(-1.5).canonicalKey == [0, 0, 0, 0, 0, 0, 0xf8, 0xbf])
        #expect(RowValue.string("é").canonicalKey == [0xc3, 0xa9])
        #expect(RowValue.none.canonicalKey == nil)
        #expect(RowValue.list([]).canonicalKey == nil)
    }

    // MARK: index payloads

    @Test func indexPayloadVersionOtherThanOneOrTwoIsUnsupportedVersion() throws {
        let log = try fixture("clean/indexed.modelvault")
        let payload = log.payloadBytes(log.of(type: 5)[0])
        #expect(indexVariant(payload) == nil)
        #expect(indexVariant([3, 0] + payload.dropFirst(2)) == .unsupportedVersion)
        #expect(indexVariant([0, 0] + payload.dropFirst(2)) == .unsupportedVersion)
        #expect(indexVariant([]) == .invalidCatalogPayload)
    }

    @Test func indexPayloadFaultsAreInvalidCatalogPayload() throws {
        let log = try fixture("clean/indexed.modelvault")
        let payload = log.payloadBytes(log.of(type: 5)[0])
        #expect(indexVariant(payload + [0]) == .invalidCatalogPayload)
        for cut in 0..<payload.count {
            #expect(indexVariant(Array(payload[..<cut])) == .invalidCatalogPayload, "cut at \(cut)")
        }
        var badKind = payload
        badKind[10] = 3
        #expect(indexVariant(badKind) == .invalidCatalogPayload)
        var badOp = payload
        badOp[11] = 0
        #expect(indexVariant(badOp) == .invalidCatalogPayload)
        var emptyName = Bytes()
        emptyName.u16(2)
        emptyName.u32(1)
        emptyName.u32(1)
        emptyName.u8(1)
        emptyName.u8(1)
        emptyName.string("")
        emptyName.string("k")
        emptyName.string("p")
        #expect(indexVariant(emptyName.bytes) == .invalidCatalogPayload)
    }

    @Test func indexEntriesStreamOneAtATime() throws {
        var b = Bytes()
        b.u16(1)
        b.u32(100_000)
        for i in 0..<100_000 {
            b.u32(1)
            b.u8(2)
            b.string("by_n")
            b.u32(8)
            b.u64(UInt64(i))
            b.string("pk")
        }
        try b.bytes.withUnsafeBytes { raw in
            var payload = try IndexPayload(parsing: raw, at: 500)
            #expect(payload.version == 1 && payload.entryCount == 100_000)
            let first = try payload.next()
            #expect(
                first
                    == IndexEntry(
                        offset: 506, collectionId: 1, kind: .nonUnique, op: .insert, name: "by_n",
                        key: [0, 0, 0, 0, 0, 0, 0, 0], primaryKey: Array("pk".utf8)))
            var seen = 1
            while try payload.next() != nil { seen += 1 }
            #expect(seen == 100_000)
        }
    }

    @Test func indexEntryCountAboveTheLimitIsRefusedBeforeAnyEntry() {
        var b = Bytes()
        b.u16(2)
        b.u32(UInt32(RecordLimits.maxEntryCount + 1))
        #expect(indexVariant(b.bytes) == .invalidCatalogPayload)
        var claim = Bytes()
        claim.u16(2)
        claim.u32(UInt32.max)
        #expect(
            throws: RecordDecodeError(
                .invalidCatalogPayload, "decode entry count 4294967295 exceeds maximum 1048576", at: 2)
        ) {
            try claim.bytes.withUnsafeBytes { _ = try IndexPayload(parsing: $0, at: 0) }
        }
    }
}
