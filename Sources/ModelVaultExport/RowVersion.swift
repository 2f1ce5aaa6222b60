import ModelVaultFormat

#if canImport(Glibc)
    import Glibc
#endif

/// One version of one row, as a Record (or a checkpoint's snapshot row) writes it: its key, its
/// fields as JSON text by their position in the schema version they were decoded against, and
/// where it comes from. Held as bytes (`encode`) in the sort runs (`RowRuns`), so memory holds
/// bytes, not objects; decoded again only for the versions that are written out.
///
/// Layout (big-endian): u32 collection id, u32 length + key order bytes, u64 position,
/// u8 flags (bit 0 snapshot, bit 1 delete), u64 origin, u32 schema version, u32 length + key
/// JSON, u32 field count, then per field u32 schema index, u32 length + JSON.
struct RowVersion: Equatable {
    enum Source: UInt8 {
        /// A Record of the log, at `position`.
        case log = 0
        /// A row of the checkpoint snapshot at `origin`, standing at its `replay_from_offset`.
        case snapshot = 1
    }

    struct Field: Equatable {
        /// Position among the non-key fields of the schema version (`schemaVersion`).
        var index: Int
        var json: ArraySlice<UInt8>
    }

    var collectionId: UInt32
    /// `KeyOrder` bytes of the key.
    var order: ArraySlice<UInt8>
    /// Where the version stands in replay order: later replaces earlier.
    var position: UInt64
    var source: Source
    /// A log Record's offset, or the checkpoint segment's.
    var origin: UInt64
    var isDelete: Bool
    /// The schema version its fields were decoded against.
    var schemaVersion: UInt32
    var keyJSON: ArraySlice<UInt8>
    var fields: [Field]

    init(
        collectionId: UInt32, order: ArraySlice<UInt8>, position: UInt64, source: Source, origin: UInt64,
        isDelete: Bool,
        schemaVersion: UInt32, keyJSON: ArraySlice<UInt8>, fields: [Field]
    ) {
        self.collectionId = collectionId
        self.order = order
        self.position = position
        self.source = source
        self.origin = origin
        self.isDelete = isDelete
        self.schemaVersion = schemaVersion
        self.keyJSON = keyJSON
        self.fields = fields
    }

    /// Writes this version in the layout above.
    func encode(into out: inout [UInt8]) {
        Self.put32(collectionId, &out)
        Self.put32(UInt32(order.count), &out)
        out += order
        Self.put64(position, &out)
        out.append(source.rawValue | (isDelete ? 2 : 0))
        Self.put64(origin, &out)
        Self.put32(schemaVersion, &out)
        Self.withLength(&out) { $0 += keyJSON }
        Self.put32(UInt32(fields.count), &out)
        for field in fields {
            Self.put32(UInt32(field.index), &out)
            Self.withLength(&out) { $0 += field.json }
        }
    }

    /// Writes the version a Record payload holds as it decodes (`RecordPayload.visit`), the
    /// fields rendered into `scratch` first (the header needs what the decode says last).
    /// Throws what the decode throws; false (nothing written) when the key is not a scalar.
    static func encode(
        payload: UnsafeRawBufferPointer, at payloadOffset: UInt64, catalog: Catalog, source: Source,
        position: UInt64, origin: UInt64, scratch: inout [UInt8], into out: inout [UInt8]
    ) throws(RecordDecodeError) -> Bool {
        var key = RowValue.none
        var count: UInt32 = 0
        scratch.removeAll(keepingCapacity: true)
        let header = try RecordPayload.visit(
            payload, at: payloadOffset, catalog: catalog, key: { key = $0 },
            field: { reader, type, index throws(RecordDecodeError) in
                put32(UInt32(index), &scratch)
                let at = scratch.count
                put32(0, &scratch)
                try JSONTranscoder.append(&reader, as: type, to: &scratch)
                patchLength(&scratch, at: at)
                count += 1
            })
        let start = out.count
        put32(header.collectionId, &out)
        var isScalar = true
        withLength(&out) { isScalar = KeyOrder.append(key, to: &$0) }
        guard isScalar else {
            out.removeSubrange(start...)
            return false
        }
        put64(position, &out)
        out.append(source.rawValue | (header.op == .delete ? 2 : 0))
        put64(origin, &out)
        put32(header.decodedSchemaVersion, &out)
        withLength(&out) { RowText.append(key, to: &$0) }
        put32(count, &out)
        out += scratch
        return true
    }

    /// Decodes an encoded version; its key and field texts are slices of `bytes` (no copies).
    init(decoding bytes: ArraySlice<UInt8>) {
        var at = bytes.startIndex
        func u32() -> UInt32 {
            defer { at += 4 }
            return bytes.withUnsafeBytes { Self.get32($0, at - bytes.startIndex) }
        }
        func u64() -> UInt64 {
            defer { at += 8 }
            return bytes.withUnsafeBytes { Self.get64($0, at - bytes.startIndex) }
        }
        func slice() -> ArraySlice<UInt8> {
            let length = Int(u32())
            defer { at += length }
            return bytes[at..<(at + length)]
        }
        collectionId = u32()
        order = slice()
        position = u64()
        let flags = bytes[at]
        at += 1
        source = Source(rawValue: flags & 1)!
        isDelete = flags & 2 != 0
        origin = u64()
        schemaVersion = u32()
        keyJSON = slice()
        let count = Int(u32())
        var fields: [Field] = []
        fields.reserveCapacity(count)
        for _ in 0..<count {
            let index = Int(u32())
            fields.append(Field(index: index, json: slice()))
        }
        self.fields = fields
    }

    init(decoding bytes: [UInt8]) { self.init(decoding: bytes[...]) }

    /// What the merge needs of an encoded version without decoding the rest.
    struct Head {
        var collectionId: UInt32
        var position: UInt64
        var source: Source
        var isDelete: Bool
        var origin: UInt64

        init(_ bytes: UnsafeRawBufferPointer) {
            var at = 0
            collectionId = RowVersion.get32(bytes, &at)
            at += Int(RowVersion.get32(bytes, &at))
            position = RowVersion.get64(bytes, &at)
            source = Source(rawValue: bytes[at] & 1)!
            isDelete = bytes[at] & 2 != 0
            at += 1
            origin = RowVersion.get64(bytes, &at)
        }
    }

    /// Orders two encoded versions: collection, key order, position.
    static func precedes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let head = compareHead(a, b)
        if head != 0 { return head < 0 }
        return position(a) < position(b)
    }

    /// Compares collection and key of two encoded versions: negative, zero or positive.
    static func compareHead(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        var i = 0
        var j = 0
        let ca = get32(a, &i)
        let cb = get32(b, &j)
        if ca != cb { return ca < cb ? -1 : 1 }
        let la = Int(get32(a, &i))
        let lb = Int(get32(b, &j))
        let common = min(la, lb)
        let order = memcmp(a.baseAddress! + i, b.baseAddress! + j, common)
        if order != 0 { return order < 0 ? -1 : 1 }
        return la == lb ? 0 : (la < lb ? -1 : 1)
    }

    static func position(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var at = 4
        let length = Int(get32(bytes, &at))
        at += length
        return get64(bytes, &at)
    }

    private static func put32(_ value: UInt32, _ out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out += $0 }
    }
    private static func put64(_ value: UInt64, _ out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out += $0 }
    }
    /// Writes a u32 length, then what `body` appends, and patches the length in.
    private static func withLength(_ out: inout [UInt8], _ body: (inout [UInt8]) -> Void) {
        let at = out.count
        put32(0, &out)
        body(&out)
        patchLength(&out, at: at)
    }

    /// Sets the u32 at `at` to the count of bytes after it.
    private static func patchLength(_ out: inout [UInt8], at: Int) {
        let length = UInt32(out.count - at - 4).bigEndian
        withUnsafeBytes(of: length) { raw in for k in 0..<4 { out[at + k] = raw[k] } }
    }
    private static func get32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }
    private static func get64(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }
    fileprivate static func get32(_ bytes: UnsafeRawBufferPointer, _ at: inout Int) -> UInt32 {
        defer { at += 4 }
        return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }
    fileprivate static func get64(_ bytes: UnsafeRawBufferPointer, _ at: inout Int) -> UInt64 {
        defer { at += 8 }
        return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }
}
