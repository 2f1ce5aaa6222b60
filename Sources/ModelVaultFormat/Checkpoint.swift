/// A Checkpoint payload's framing (docs/file-format.md §6.7): version 0, `replay_from_offset`,
/// the catalog entries (decoded), the row and index sections (located by their lengths; their
/// contents are decoded only by a deep check).
public struct CheckpointPayload: Sendable {
    public var replayFromOffset: UInt64
    public var catalogEntries: [CatalogEntry]
    public var rowCount: UInt32
    /// Rows by the collection id their Record claims (see `CheckpointRowTally`).
    public var rowTally = CheckpointRowTally()
    /// Payload-relative range of the row section (each row: u32 length + Record payload).
    public var rowSection: Range<Int>
    /// Payload-relative range of the Index payload holding the index state.
    public var indexRange: Range<Int>
    /// Catalog structures the entries built (see `ByteReader.countStructure`).
    public var catalogStructures = 0

    /// `structureLimit` bounds what the catalog entries may build.
    public init(
        parsing bytes: UnsafeRawBufferPointer, at offset: UInt64, structureLimit: Int = .max
    ) throws(FormatError) {
        var reader = ByteReader(bytes, baseOffset: offset)
        let version = try reader.u16()
        guard version == 0 else {
            throw FormatError(.unsupported(field: .checkpointVersion, value: UInt64(version)), at: offset)
        }
        replayFromOffset = try reader.u64()
        let catalogCount = try reader.u32()
        catalogEntries = []
        for index in 0..<Int(catalogCount) {
            try StopRequest.check(every: index, decodingAt: reader.offset)
            let length = try reader.u32()
            var entry = try reader.slice(Int(length))
            entry.structureLimit = structureLimit - catalogStructures
            catalogEntries.append(try CatalogEntry(parsing: &entry))
            catalogStructures += entry.structures
        }
        rowCount = try reader.u32()
        let rowStart = reader.position
        rowTally = CheckpointRowTally(collections: catalogEntries)
        for index in 0..<Int(rowCount) {
            try StopRequest.check(every: index, decodingAt: reader.offset)
            let length = try reader.u32()
            let row = try reader.slice(Int(length))
            rowTally.count(rowStartingWith: row.remainingBytes(upTo: CheckpointRowTally.headLength))
        }
        rowSection = rowStart..<reader.position
        let indexLength = try reader.u32()
        let indexStart = reader.position
        try reader.skip(Int(indexLength))
        indexRange = indexStart..<reader.position
        try reader.expectEnd()
    }
}

/// How many of a checkpoint's rows each collection of its catalog holds, read from the
/// collection id at the start of each row's Record payload. Only ids the checkpoint's own
/// catalog registers get a count of their own (memory stays bounded by the catalog, whatever
/// the rows claim); the rest are counted together.
public struct CheckpointRowTally: Sendable, Equatable {
    /// Bytes of a row's start the tally reads: the Record version (u16) and collection id (u32).
    public static let headLength = 6

    public private(set) var rows: [UInt32: Int] = [:]
    /// Rows naming a collection the catalog lacks, or too short to name one.
    public private(set) var otherRows = 0

    public init() {}

    public init(collections entries: [CatalogEntry]) {
        for entry in entries { rows[entry.collectionId] = 0 }
    }

    public mutating func count(rowStartingWith head: UnsafeRawBufferPointer) {
        guard head.count >= Self.headLength else {
            otherRows += 1
            return
        }
        let id = head.loadUnaligned(fromByteOffset: 2, as: UInt32.self).littleEndian
        if let n = rows[id] { rows[id] = n + 1 } else { otherRows += 1 }
    }
}

/// The fixed fields at the start of a Record payload (docs/file-format.md §6.5), readable
/// without the catalog: enough to tell which collection and schema version a record claims.
public struct RecordPreamble: Equatable, Sendable {
    public static let length = 11
    /// The op byte of a delete (any other op writes a row).
    public static let deleteOp: UInt8 = 3

    public var version: UInt16
    public var collectionId: UInt32
    public var schemaVersion: UInt32
    public var op: UInt8

    public init(parsing bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(FormatError) {
        if bytes.count >= Self.length {
            // Read for every Record: all of it is there, so only the version can fail.
            version = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt16.self))
            guard (1...3).contains(version) else {
                throw FormatError(.unsupported(field: .recordVersion, value: UInt64(version)), at: offset)
            }
            collectionId = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            schemaVersion = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 6, as: UInt32.self))
            op = bytes[10]
            return
        }
        var reader = ByteReader(bytes, baseOffset: offset)
        version = try reader.u16()
        guard (1...3).contains(version) else {
            throw FormatError(.unsupported(field: .recordVersion, value: UInt64(version)), at: offset)
        }
        collectionId = try reader.u32()
        schemaVersion = try reader.u32()
        op = try reader.u8()
    }
}
