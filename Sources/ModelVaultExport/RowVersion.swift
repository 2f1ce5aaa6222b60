import ModelVaultFormat

/// One version of one row, as a Record (or a checkpoint's snapshot row) writes it: its key, its
/// fields as JSON text by path, and where it comes from. Stored as bytes in the sort runs
/// (`RowRuns`), so memory holds bytes, not objects.
struct RowVersion: Equatable {
    enum Source: UInt8 {
        /// A Record of the log, at `position`.
        case log = 0
        /// A row of the checkpoint snapshot at `checkpoint`, standing at its `replay_from_offset`.
        case snapshot = 1
    }

    var collectionId: UInt32
    /// `KeyOrder` bytes of the key.
    var order: [UInt8]
    /// Where the version stands in replay order: later replaces earlier.
    var position: UInt64
    var source: Source
    /// A log Record's offset, or the checkpoint segment's.
    var origin: UInt64
    var isDelete: Bool
    var keyJSON: String
    /// Non-key fields as written, each path with its value's JSON text.
    var fields: [(path: [String], json: String)]

    static func == (a: RowVersion, b: RowVersion) -> Bool {
        a.collectionId == b.collectionId && a.order == b.order && a.position == b.position && a.source == b.source
            && a.origin == b.origin && a.isDelete == b.isDelete && a.keyJSON == b.keyJSON
            && a.fields.map(\.path) == b.fields.map(\.path) && a.fields.map(\.json) == b.fields.map(\.json)
    }

    /// The version a decoded Record payload writes.
    init?(record: RecordPayload, source: Source, position: UInt64, origin: UInt64) {
        guard let order = KeyOrder.bytes(record.primaryKey) else { return nil }
        collectionId = record.collectionId
        self.order = order
        self.position = position
        self.source = source
        self.origin = origin
        isDelete = record.op == .delete
        keyJSON = RowText.text(record.primaryKey)
        fields = record.fields.map { ($0.path.segments, RowText.text($0.value)) }
    }

    init(
        collectionId: UInt32, order: [UInt8], position: UInt64, source: Source, origin: UInt64, isDelete: Bool,
        keyJSON: String, fields: [(path: [String], json: String)]
    ) {
        self.collectionId = collectionId
        self.order = order
        self.position = position
        self.source = source
        self.origin = origin
        self.isDelete = isDelete
        self.keyJSON = keyJSON
        self.fields = fields
    }

    // MARK: bytes

    func encode(into out: inout [UInt8]) {
        put32(collectionId, &out)
        put32(UInt32(order.count), &out)
        out += order
        put64(position, &out)
        out.append(source.rawValue | (isDelete ? 2 : 0))
        put64(origin, &out)
        putText(keyJSON, &out)
        put32(UInt32(fields.count), &out)
        for field in fields {
            put32(UInt32(field.path.count), &out)
            for segment in field.path { putText(segment, &out) }
            putText(field.json, &out)
        }
    }

    init(decoding bytes: UnsafeRawBufferPointer) {
        var at = 0
        collectionId = Self.get32(bytes, &at)
        let orderLength = Int(Self.get32(bytes, &at))
        order = Array(bytes[at..<(at + orderLength)])
        at += orderLength
        position = Self.get64(bytes, &at)
        let flags = bytes[at]
        at += 1
        source = Source(rawValue: flags & 1)!
        isDelete = flags & 2 != 0
        origin = Self.get64(bytes, &at)
        keyJSON = Self.getText(bytes, &at)
        let count = Int(Self.get32(bytes, &at))
        var fields: [(path: [String], json: String)] = []
        fields.reserveCapacity(count)
        for _ in 0..<count {
            let segments = Int(Self.get32(bytes, &at))
            var path: [String] = []
            for _ in 0..<segments { path.append(Self.getText(bytes, &at)) }
            fields.append((path, Self.getText(bytes, &at)))
        }
        self.fields = fields
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
        for k in 0..<common where a[i + k] != b[j + k] { return a[i + k] < b[j + k] ? -1 : 1 }
        return la == lb ? 0 : (la < lb ? -1 : 1)
    }

    /// What the merge needs of an encoded version without decoding the rest.
    struct Head {
        var collectionId: UInt32
        var position: UInt64
        var source: Source
        var origin: UInt64

        init(_ bytes: UnsafeRawBufferPointer) {
            var at = 0
            collectionId = RowVersion.get32(bytes, &at)
            at += Int(RowVersion.get32(bytes, &at))
            position = RowVersion.get64(bytes, &at)
            source = Source(rawValue: bytes[at] & 1)!
            at += 1
            origin = RowVersion.get64(bytes, &at)
        }
    }

    static func position(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var at = 4
        let length = Int(get32(bytes, &at))
        at += length
        return get64(bytes, &at)
    }

    private func put32(_ value: UInt32, _ out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out += $0 }
    }
    private func put64(_ value: UInt64, _ out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out += $0 }
    }
    private func putText(_ text: String, _ out: inout [UInt8]) {
        put32(UInt32(text.utf8.count), &out)
        out += text.utf8
    }
    fileprivate static func get32(_ bytes: UnsafeRawBufferPointer, _ at: inout Int) -> UInt32 {
        defer { at += 4 }
        return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }
    fileprivate static func get64(_ bytes: UnsafeRawBufferPointer, _ at: inout Int) -> UInt64 {
        defer { at += 8 }
        return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }
    private static func getText(_ bytes: UnsafeRawBufferPointer, _ at: inout Int) -> String {
        let length = Int(get32(bytes, &at))
        defer { at += length }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + length)]), as: UTF8.self)
    }
}
