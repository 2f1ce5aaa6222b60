import ModelVaultFormat

/// The user data a database file holds, and its schema's names, found by the project's own
/// decoders in every segment whose header can be found, whatever the walk makes of it: in
/// committed, aborted, uncommitted and damaged transactions, beyond breaks, in checkpoints.
///
/// Every offset where the segment magic `TSG0` lies is taken for a segment header (found or
/// not by the walk) and its payload, cut at the end of the file, is decoded as its type says:
/// Schema entries build one catalog (every entry that applies, in file order) and give the
/// names; Record payloads are decoded against it (the key alone when the rest does not
/// decode); Index entries give their keys; Checkpoint payloads their rows, index state and
/// catalog. On top of that, every Record, Index and Checkpoint payload is scanned for
/// length-prefixed runs of UTF-8 (a u32 length, then that many bytes), which catches strings
/// in payloads too damaged to decode.
struct FixtureData {
    /// Record keys, index keys and string and byte-string values (as UTF-8, where they are).
    private(set) var values: Set<String> = []
    /// Collection, primary field, field path segment, object member, enum variant, regex and
    /// index names.
    private(set) var schemaNames: Set<String> = []
    /// Keys of any type, as canonical key bytes (docs/file-format.md §6.6).
    private(set) var keys: Set<[UInt8]> = []

    init(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { file in
            let segments = Self.segments(in: file)
            var catalog = Catalog()
            for (offset, header) in segments where header.type == .schema {
                let payload = Self.payload(of: header, at: offset, in: file)
                guard let entry = try? CatalogEntry(parsing: payload, at: 0) else { continue }
                noteNames(entry)
                _ = try? catalog.apply(entry, segmentOffset: offset)
            }
            for (offset, header) in segments {
                let payload = Self.payload(of: header, at: offset, in: file)
                switch header.type {
                case .record?:
                    noteRecord(payload, catalog: catalog)
                    scan(payload)
                case .index?:
                    noteIndex(payload)
                    scan(payload)
                case .checkpoint?:
                    noteCheckpoint(payload)
                    scan(payload)
                default:
                    break
                }
            }
        }
    }

    /// Every offset holding the segment magic, with the header read there.
    private static func segments(in file: UnsafeRawBufferPointer) -> [(UInt64, SegmentHeader)] {
        guard file.count >= Layout.segmentHeaderSize else { return [] }
        var found: [(UInt64, SegmentHeader)] = []
        for offset in 0...(file.count - Layout.segmentHeaderSize)
        where file[offset] == 0x54 && file[offset + 1] == 0x53 && file[offset + 2] == 0x47 && file[offset + 3] == 0x30 {
            let header = SegmentHeader(
                parsing: UnsafeRawBufferPointer(rebasing: file[offset..<(offset + Layout.segmentHeaderSize)]))
            found.append((UInt64(offset), header))
        }
        return found
    }

    /// The payload a header announces, cut at the end of the file.
    private static func payload(of header: SegmentHeader, at offset: UInt64, in file: UnsafeRawBufferPointer)
        -> UnsafeRawBufferPointer
    {
        let start = Int(offset) + Layout.segmentHeaderSize
        let end = min(UInt64(file.count), UInt64(start) + min(header.payloadLength, UInt64(file.count)))
        return UnsafeRawBufferPointer(rebasing: file[start..<Int(end)])
    }

    private mutating func noteRecord(_ payload: UnsafeRawBufferPointer, catalog: Catalog) {
        if let record = try? RecordPayload(parsing: payload, at: 0, catalog: catalog) {
            noteKey(record.primaryKey)
            for field in record.fields { noteValue(field.value) }
            return
        }
        // Too damaged, or of a collection the catalog lacks: the key, read as it lies.
        var keyReader = ByteReader(payload, baseOffset: 0)
        guard (try? keyReader.skip(RecordPreamble.length)) != nil,
            let key = try? TaggedScalar.decode(&keyReader)
        else { return }
        noteKey(key)
    }

    private mutating func noteIndex(_ payload: UnsafeRawBufferPointer) {
        guard var index = try? IndexPayload(parsing: payload, at: 0) else { return }
        while let entry = try? index.next() {
            schemaNames.insert(entry.name)
            noteKey(bytes: entry.key)
            noteKey(bytes: entry.primaryKey)
        }
    }

    private mutating func noteCheckpoint(_ payload: UnsafeRawBufferPointer) {
        guard let checkpoint = try? CheckpointPayload(parsing: payload, at: 0) else { return }
        var catalog = Catalog()
        for entry in checkpoint.catalogEntries {
            noteNames(entry)
            _ = try? catalog.apply(entry, segmentOffset: 0)
        }
        var rows = ByteReader(UnsafeRawBufferPointer(rebasing: payload[checkpoint.rowSection]), baseOffset: 0)
        for _ in 0..<checkpoint.rowCount {
            guard let length = try? rows.u32(), let row = try? rows.slice(Int(length)) else { break }
            noteRecord(row.remainingBytes(upTo: Int(length)), catalog: catalog)
        }
        noteIndex(UnsafeRawBufferPointer(rebasing: payload[checkpoint.indexRange]))
    }

    /// Length-prefixed UTF-8 runs anywhere in a payload (u32 length of 4 to 4096 bytes).
    private mutating func scan(_ payload: UnsafeRawBufferPointer) {
        guard payload.count >= 8 else { return }
        for start in 0...(payload.count - 8) {
            let length = Int(payload.loadUnaligned(fromByteOffset: start, as: UInt32.self).littleEndian)
            guard (4...4096).contains(length), start + 4 + length <= payload.count else { continue }
            let run = UnsafeRawBufferPointer(rebasing: payload[(start + 4)..<(start + 4 + length)])
            if UTF8Validation.isValid(run) { values.insert(String(decoding: run, as: UTF8.self)) }
        }
    }

    private mutating func noteKey(_ value: RowValue) {
        if let bytes = value.canonicalKey { keys.insert(bytes) }
        noteValue(value)
    }

    /// An index key, whose type the entry does not say: taken for text when it is UTF-8
    /// without a NUL (a number's 8 bytes are rarely both).
    private mutating func noteKey(bytes: [UInt8]) {
        keys.insert(bytes)
        if !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) { values.insert(text) }
    }

    private mutating func noteValue(_ value: RowValue) {
        switch value {
        case .string(let text): values.insert(text)
        case .bytes(let bytes): if let text = String(validating: bytes, as: UTF8.self) { values.insert(text) }
        case .list(let items): for item in items { noteValue(item) }
        case .object(let members): for member in members { noteValue(member.value) }
        default: break
        }
    }

    private mutating func noteNames(_ entry: CatalogEntry) {
        if case .createCollection(let name, let primary) = entry.kind {
            schemaNames.insert(name)
            if let primary { schemaNames.insert(primary) }
        }
        for field in entry.fields {
            schemaNames.formUnion(field.path.segments)
            noteNames(field.type)
            for case .regex(let pattern) in field.constraints { schemaNames.insert(pattern) }
        }
        for index in entry.indexes {
            schemaNames.insert(index.name)
            schemaNames.formUnion(index.path.segments)
        }
    }

    private mutating func noteNames(_ type: FieldType) {
        switch type {
        case .optional(let inner), .list(let inner): noteNames(inner)
        case .object(let members):
            for member in members {
                schemaNames.formUnion(member.path.segments)
                noteNames(member.type)
            }
        case .enumeration(let variants): schemaNames.formUnion(variants)
        default: break
        }
    }
}
