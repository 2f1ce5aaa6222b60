/// One entry of an Index payload (docs/file-format.md §6.6).
public struct IndexEntry: Equatable, Sendable {
    public enum Operation: UInt8, Sendable {
        case insert = 1
        case delete = 2
    }

    /// Absolute offset of the entry's first byte.
    public var offset: UInt64
    public var collectionId: UInt32
    public var kind: IndexDefinition.Kind
    /// Always `.insert` in a v1 payload.
    public var op: Operation
    public var name: String
    /// Canonical key of the indexed value (`RowValue.canonicalKey`).
    public var key: [UInt8]
    /// Canonical key of the row's primary key.
    public var primaryKey: [UInt8]

    /// An entry whose name (checked UTF-8), key and primary key are borrowed from the payload.
    public struct View {
        public var offset: UInt64
        public var collectionId: UInt32
        public var kind: IndexDefinition.Kind
        public var op: Operation
        public var name: UnsafeRawBufferPointer
        public var key: UnsafeRawBufferPointer
        public var primaryKey: UnsafeRawBufferPointer
    }
}

extension IndexEntry {
    /// Copies a borrowed entry out of its payload.
    public init(_ view: View) {
        self.init(
            offset: view.offset, collectionId: view.collectionId, kind: view.kind, op: view.op,
            name: String(decoding: view.name, as: UTF8.self), key: Array(view.key), primaryKey: Array(view.primaryKey))
    }
}

/// A streaming reader over an Index payload (versions 1–2): the header is read on `init`,
/// entries one at a time by `next()`, so a payload of a million entries never needs an array
/// of them. Like `ByteReader`, it borrows the bytes: keep them alive while reading.
///
/// Faults, as 0.16.0 reports them: a version other than 1 or 2 → `unsupported_version`; any
/// other fault (running short, more than 2^20 entries, a kind or op tag out of range, an empty
/// or non-UTF-8 name, a length above 16 MiB, trailing bytes) → `invalid_catalog_payload`.
/// Which collection or index an entry names is a replay question, not checked here.
public struct IndexPayload {
    public let version: UInt16
    public let entryCount: UInt32
    public private(set) var entriesRead: UInt32 = 0
    private var reader: ByteReader

    public init(parsing bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(RecordDecodeError) {
        try self.init(ByteReader(bytes, baseOffset: offset))
    }

    /// Reads the payload confined to `reader` (all of its remaining bytes).
    public init(_ reader: ByteReader) throws(RecordDecodeError) {
        var reader = reader
        let versionAt = reader.offset
        version = try Self.mapping { () throws(FormatError) in try reader.u16() }
        guard version == 1 || version == 2 else {
            throw RecordDecodeError(.unsupportedVersion, "unsupported format version 0.\(version)", at: versionAt)
        }
        let countAt = reader.offset
        entryCount = try Self.mapping { () throws(FormatError) in try reader.u32() }
        guard entryCount <= RecordLimits.maxEntryCount else {
            throw RecordDecodeError(
                .invalidCatalogPayload,
                "decode entry count \(entryCount) exceeds maximum \(RecordLimits.maxEntryCount)", at: countAt)
        }
        self.reader = reader
    }

    /// The next entry, or nil after the last one (when the payload must also be used up).
    public mutating func next() throws(RecordDecodeError) -> IndexEntry? {
        try nextView().map(IndexEntry.init)
    }

    /// `next()`, borrowing the entry's bytes from the payload.
    public mutating func nextView() throws(RecordDecodeError) -> IndexEntry.View? {
        guard entriesRead < entryCount else {
            if !reader.isAtEnd {
                throw RecordDecodeError(
                    .invalidCatalogPayload,
                    "\(reader.remaining) trailing bytes in index payload", at: reader.offset)
            }
            return nil
        }
        let entry = try Self.decodeEntry(&reader, version: version)
        entriesRead += 1
        return entry
    }

    /// Visits every entry in order, then checks that nothing follows the last one; polls for a
    /// stop request every 4096 entries.
    public static func forEachEntry(
        in bytes: UnsafeRawBufferPointer, at offset: UInt64, _ body: (IndexEntry.View) -> Void
    ) throws(PayloadCheckError) {
        var payload = try PayloadCheckError.lifting { () throws(RecordDecodeError) in
            try IndexPayload(parsing: bytes, at: offset)
        }
        while let entry = try PayloadCheckError.lifting({ () throws(RecordDecodeError) in try payload.nextView() }) {
            try PayloadCheckError.checkStop(every: Int(payload.entriesRead))
            body(entry)
        }
    }

    static func decodeEntry(_ reader: inout ByteReader, version: UInt16) throws(RecordDecodeError) -> IndexEntry.View {
        let entryAt = reader.offset
        // The three runs are taken once the entry is read: over a streaming payload a later
        // read may move the bytes of an earlier one.
        let held = reader.hold()
        defer { reader.release(held) }
        let collectionId = try mapping { () throws(FormatError) in try reader.u32() }
        let kindAt = reader.offset
        let rawKind = try mapping { () throws(FormatError) in try reader.u8() }
        guard let kind = IndexDefinition.Kind(rawValue: rawKind) else {
            throw RecordDecodeError(.invalidCatalogPayload, "unknown index kind tag \(rawKind)", at: kindAt)
        }
        var op = IndexEntry.Operation.insert
        if version >= 2 {
            let opAt = reader.offset
            let rawOp = try mapping { () throws(FormatError) in try reader.u8() }
            guard let decoded = IndexEntry.Operation(rawValue: rawOp) else {
                throw RecordDecodeError(.invalidCatalogPayload, "unknown index op tag \(rawOp)", at: opAt)
            }
            op = decoded
        }
        let nameAt = reader.offset
        let name = try run(&reader)
        guard name.count > 0 else {
            throw RecordDecodeError(.invalidCatalogPayload, "empty index name", at: nameAt)
        }
        guard UTF8Validation.isValid(reader.view(at: name.start, count: name.count)) else {
            throw RecordDecodeError(.invalidCatalogPayload, "invalid utf-8 in index name", at: nameAt)
        }
        let key = try run(&reader)
        let primaryKey = try run(&reader)
        return IndexEntry.View(
            offset: entryAt, collectionId: collectionId, kind: kind, op: op,
            name: reader.view(at: name.start, count: name.count),
            key: reader.view(at: key.start, count: key.count),
            primaryKey: reader.view(at: primaryKey.start, count: primaryKey.count))
    }

    /// A length-prefixed run: where its bytes start and how many.
    private static func run(_ reader: inout ByteReader) throws(RecordDecodeError) -> (start: UInt64, count: Int) {
        try mapping { () throws(FormatError) in
            let view = try reader.lengthPrefixedView(field: .fieldLength, maximum: RecordLimits.maxValueLength)
            return (reader.offset - UInt64(view.count), view.count)
        }
    }

    private static func mapping<T>(_ body: () throws(FormatError) -> T) throws(RecordDecodeError) -> T {
        try RecordDecodeError.mapping(.index, body)
    }
}
