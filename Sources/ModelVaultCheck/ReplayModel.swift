import ModelVaultFormat

/// Replays what the engine would apply (FORMAT.md §9 step 7): catalog entries in commit order,
/// and which collection and schema version each record names. Every fault is remembered with the
/// log position at which it takes effect, so the engine's outcome can be settled for whatever
/// prefix it keeps once the cut is known at the end of the walk.
struct ReplayModel {
    /// A fault that fails the engine's replay when the kept log reaches `position`.
    struct Fault {
        var position: UInt64
        var variant: String
        var message: String
        /// For a record fault: where the offending record's transaction starts.
        var origin: ReferenceOrigin?
    }

    /// Where a record reference was first applied, and the state of the log before its
    /// transaction (so a salvage can end just before it).
    struct ReferenceOrigin {
        var position: UInt64
        var txnStart: UInt64
        var manifestBefore: UInt64?
        var committedBefore: Int
    }

    private struct RecordReference: Hashable {
        var collectionId: UInt32
        var schemaVersion: UInt32
    }

    private struct Staged {
        var entries: [(CatalogEntry, UInt64)] = []
        var badEntries: [(FormatError, UInt64)] = []
        var references: [RecordReference: UInt64] = [:]
    }

    private(set) var catalog = Catalog()
    /// Log position at which each collection reached each schema version (index 0 = version 1).
    private var versionReachedAt: [[UInt64]] = []
    private var staged = Staged()
    /// Earliest position at which a record naming (collection, version) is applied.
    private var references: [RecordReference: ReferenceOrigin] = [:]
    private var referencesFromReplayStart: [RecordReference: ReferenceOrigin] = [:]
    private static let referenceLimit = 65_536

    /// The first fault of each kind that does not depend on the cut.
    private(set) var firstFault: Fault?
    private(set) var firstFaultFromReplayStart: Fault?
    /// Where a checkpoint would start replay; faults before it are invisible then.
    var replayStart: UInt64?
    private var seenBeginSinceReplayStart = false

    mutating func record(_ fault: Fault) {
        if firstFault == nil { firstFault = fault }
        if let start = replayStart, fault.position > start, firstFaultFromReplayStart == nil {
            firstFaultFromReplayStart = fault
        }
    }

    /// Feeds a segment with the framing's verdict on it.
    mutating func observe(_ s: SegmentEvent, effect: TransactionFraming.Effect,
                          catalogEntry: Result<CatalogEntry, FormatError>?,
                          record: RecordPreamble?, framing: inout TransactionFraming,
                          into sink: inout FindingSink) {
        if case .begin = effect {
            staged = Staged()
            if let start = replayStart, s.offset >= start { seenBeginSinceReplayStart = true }
            return
        }
        if case let .unframed(legal) = effect, s.type.isData {
            let legalFromReplayStart = replayStart.map { s.offset >= $0 && !seenBeginSinceReplayStart } ?? legal
            if !legal {
                let fault = Fault(position: s.end, variant: "invalid_txn_payload",
                                  message: "unframed data segment in format minor 6")
                if firstFault == nil { firstFault = fault }
                if !legalFromReplayStart, let start = replayStart, s.offset >= start, firstFaultFromReplayStart == nil {
                    firstFaultFromReplayStart = fault
                }
            }
        }
        switch effect {
        case .staged:
            if let entry = catalogEntry {
                switch entry {
                case let .success(e): staged.entries.append((e, s.offset))
                case let .failure(error): staged.badEntries.append((error, s.offset))
                }
            }
            if let record { stage(record, into: &staged.references, at: 0) }
        case .unframed:
            if let entry = catalogEntry {
                apply(entry, segmentOffset: s.offset, position: s.end, framing: &framing, into: &sink, segmentStart: s.offset)
            }
            if let record {
                reference(RecordReference(collectionId: record.collectionId, schemaVersion: record.schemaVersion),
                          ReferenceOrigin(position: s.end, txnStart: s.offset, manifestBefore: framing.latestIntactManifest,
                                          committedBefore: framing.committed))
            }
        case let .commit(_, beganAt):
            let batch = staged
            staged = Staged()
            for (error, offset) in batch.badEntries {
                apply(.failure(error), segmentOffset: offset, position: s.end, framing: &framing, into: &sink, txnStart: beganAt)
            }
            for (entry, offset) in batch.entries {
                apply(.success(entry), segmentOffset: offset, position: s.end, framing: &framing, into: &sink, txnStart: beganAt)
            }
            let origin = ReferenceOrigin(position: s.end, txnStart: beganAt, manifestBefore: framing.manifestBeforeOpenTransaction,
                                         committedBefore: max(0, framing.committed - 1))
            for key in batch.references.keys { reference(key, origin) }
        case .abort:
            staged = Staged()
        case .begin, .none:
            break
        }
    }

    private func stage(_ record: RecordPreamble, into map: inout [RecordReference: UInt64], at position: UInt64) {
        let key = RecordReference(collectionId: record.collectionId, schemaVersion: record.schemaVersion)
        if map[key] == nil, map.count < Self.referenceLimit { map[key] = position }
    }

    private mutating func reference(_ key: RecordReference, _ origin: ReferenceOrigin) {
        if references[key] == nil, references.count < Self.referenceLimit { references[key] = origin }
        if let start = replayStart, origin.position > start,
           referencesFromReplayStart[key] == nil, referencesFromReplayStart.count < Self.referenceLimit {
            referencesFromReplayStart[key] = origin
        }
    }

    private mutating func apply(_ entry: Result<CatalogEntry, FormatError>, segmentOffset: UInt64, position: UInt64,
                                framing: inout TransactionFraming, into sink: inout FindingSink,
                                txnStart: UInt64? = nil, segmentStart: UInt64? = nil) {
        func damaged() {
            if let segmentStart { framing.noteDamage(beforeSegmentAt: segmentStart) } else { framing.noteDamageAt(txnStart) }
        }
        switch entry {
        case let .failure(error):
            damaged()
            sink.add(Finding(.catalogBadPayload, .error, offset: segmentOffset, length: 0, segmentType: .schema,
                             message: "Schema payload does not decode: \(error)"))
            record(Fault(position: position, variant: "invalid_catalog_payload", message: "\(error)"))
        case let .success(e):
            do {
                try catalog.apply(e, segmentOffset: segmentOffset)
                if case .createCollection = e.kind {
                    versionReachedAt.append([position])
                } else {
                    versionReachedAt[Int(e.collectionId) - 1].append(position)
                }
            } catch let violation as Catalog.Violation {
                damaged()
                sink.add(Finding(.catalogInconsistent, .error, offset: segmentOffset, length: 0, segmentType: .schema,
                                 message: "catalog entry cannot apply (\(violation.variant)): \(violation.message)"))
                record(Fault(position: position, variant: violation.variant, message: violation.message))
            } catch {}
        }
    }

    /// The first record fault for a kept log ending at `end`: a record applied by then that
    /// names a collection or schema version the catalog has not reached by then.
    func recordFault(keptEnd end: UInt64, fromReplayStart: Bool) -> Fault? {
        let map = fromReplayStart ? referencesFromReplayStart : references
        var first: Fault?
        for (key, origin) in map where origin.position <= end {
            if var fault = fault(for: key, at: origin.position, keptEnd: end),
               first == nil || fault.position < first!.position {
                fault.origin = origin
                first = fault
            }
        }
        return first
    }

    private func fault(for key: RecordReference, at position: UInt64, keptEnd end: UInt64) -> Fault? {
        let id = Int(key.collectionId)
        guard id >= 1, id <= versionReachedAt.count, versionReachedAt[id - 1][0] <= end else {
            return Fault(position: position, variant: "unknown_collection",
                         message: "record for unknown collection \(key.collectionId)")
        }
        let reached = versionReachedAt[id - 1].filter { $0 <= end }.count
        if key.schemaVersion > UInt32(reached) {
            return Fault(position: position, variant: "invalid_schema_version",
                         message: "record for collection \(key.collectionId) names schema version \(key.schemaVersion), current is \(reached)")
        }
        return nil
    }

    /// Findings for every record reference that never resolves, judged on the whole log.
    func unresolvedReferenceFindings(fileLength: UInt64) -> [Finding] {
        references.compactMap { key, origin -> Finding? in
            let position = origin.position
            guard let fault = fault(for: key, at: position, keptEnd: fileLength) else { return nil }
            let code: Finding.Code = fault.variant == "unknown_collection" ? .recordUnknownCollection : .recordUnknownSchemaVersion
            return Finding(code, .error, offset: position, length: 0, segmentType: .record,
                           message: fault.message + " (first applied by the commit ending at \(position))")
        }.sorted { $0.offset < $1.offset }
    }
}
