import ModelVaultFormat

/// Records that name a schema version their collection has not reached where they stand in the
/// log. The engine applies every catalog entry before any record, so it decodes such a record
/// against the collection's final schema (the version it names, else the current one), and a
/// record written for an older layout then fails as a decode error rather than as an invalid
/// schema version. Their payloads are kept, within a fixed budget, to be decoded once the whole
/// catalog is known.
struct VersionAheadRecords {
    static let maxRecords = 8
    static let maxPayloadBytes = 256 * 1024

    private(set) var kept: [(key: ReplayModel.RecordReference, offset: UInt64, payload: [UInt8])] = []

    mutating func note(collectionId: UInt32, schemaVersion: UInt32, payload: UnsafeRawBufferPointer, at offset: UInt64)
    {
        guard kept.count < Self.maxRecords, payload.count <= Self.maxPayloadBytes else { return }
        kept.append(
            (
                ReplayModel.RecordReference(collectionId: collectionId, schemaVersion: schemaVersion), offset,
                Array(payload)
            ))
    }

    /// The engine's error for the first kept record naming `key`, decoded against `catalog`;
    /// nil when none is kept or it decodes (the invalid schema version stands).
    func decodeError(for key: ReplayModel.RecordReference, catalog: Catalog) -> EngineError? {
        guard
            let record = kept.first(where: {
                $0.key.collectionId == key.collectionId && $0.key.schemaVersion == key.schemaVersion
            })
        else { return nil }
        let outcome = record.payload.withUnsafeBytes { bytes in
            Result { () throws(PayloadCheckError) in
                try RecordPayload.validate(bytes, at: record.offset, catalog: catalog)
            }
        }
        switch outcome {
        case .success: return nil
        case .failure(.fault(let fault)): return fault.variant == .invalidSchemaVersion ? nil : .payloadDecode(fault)
        // No verdict: the walk throws the stop request before any report is made.
        case .failure(.interrupted): return nil
        }
    }
}
