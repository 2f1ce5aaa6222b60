import ModelVaultFormat

/// `--deep`: decodes Record and Index payloads against the catalog in force, and replays unique
/// indexes, so semantic damage under valid checksums is seen. Memory is bounded by the catalog
/// plus a fixed budget of unique keys (beyond it, unique checks stop and a finding says so).
///
/// Unique entries count as the engine counts them: those of a transaction are undone unless it
/// commits (an abort, a new begin over it, or a torn end drops them).
struct DeepCheck {
    /// Unique-index keys tracked, as 64-bit hashes of (collection, index, key) → hash of the
    /// primary key: about 24 MiB at the limit.
    static let uniqueKeyBudget = 1 << 20
    private var unique: [UInt64: UInt64] = [:]
    /// Slots the open transaction changed, each with its value before the transaction (nil:
    /// absent), to restore if it does not commit. One entry per slot, so bounded like `unique`.
    private var journal: [UInt64: UInt64?] = [:]
    private(set) var uniqueBudgetExhausted = false
    /// Row values visited by every decode so far (see `Report.valuesVisited`).
    private(set) var valuesVisited = 0
    private(set) var versionAhead = VersionAheadRecords()
    private(set) var indexEntriesDecoded = 0
    /// Rows to validate by value against their collection's last version (a second walk).
    var revalidation: RowRevalidationPlan?
    /// Planned pairs with a row this build could not judge (a regex it cannot evaluate, a
    /// payload too large to hold): their warning stands.
    private(set) var undecidedRevalidation: Set<RowRevalidationPlan.Key> = []
    /// How messages quote user data.
    var redactor = Redactor.keep

    /// A decode fault: the finding to report and the engine's error.
    struct Fault {
        var finding: Finding
        var error: EngineError
    }

    /// Decodes a Record payload; nil when it decodes (or names a collection or schema version
    /// the catalog has not reached yet, which the reference check already judges).
    mutating func record(_ s: SegmentEvent, payload: UnsafeRawBufferPointer, catalog: Catalog, txnId: UInt64?) -> Fault?
    {
        var reader = ByteReader(payload, baseOffset: s.payloadOffset)
        return record(s, reader: &reader, whole: payload, catalog: catalog, txnId: txnId)
    }

    /// `record`, reading through `reader` (a payload that streams: `whole` is nil).
    mutating func record(
        _ s: SegmentEvent, reader: inout ByteReader, whole payload: UnsafeRawBufferPointer?, catalog: Catalog,
        txnId: UInt64?
    ) -> Fault? {
        let error: RecordDecodeError
        do throws(PayloadCheckError) {
            defer { valuesVisited += reader.steps }
            var schemas = RecordSchemas(catalog)
            try RecordPayload.validate(&reader, schemas: &schemas)
            return revalidation == nil ? nil : revalidate(s, payload: payload, catalog: catalog, txnId: txnId)
        } catch let stop {
            switch stop {
            case .fault(let fault): error = fault
            // No verdict: the walk throws the stop request before any report is made.
            case .interrupted: return nil
            }
        }
        if error.variant == .invalidSchemaVersion, let payload,
            let preamble = try? RecordPreamble(parsing: payload, at: s.payloadOffset)
        {
            versionAhead.note(
                collectionId: preamble.collectionId, schemaVersion: preamble.schemaVersion,
                payload: payload, at: s.payloadOffset)
        }
        // The reference check judges a collection the catalog has not reached yet, but only
        // through the preamble: a Record whose version is not 1–3 has none, and can never
        // replay (unknown collection, or, once its collection exists, an unknown version).
        let deferred =
            error.variant == .invalidSchemaVersion
            || (error.variant == .unknownCollection && !error.recordVersionUnknown)
        if deferred { return nil }
        return Fault(
            finding: Finding(
                .recordBadPayload, .error, offset: error.offset, length: 0, segmentIndex: s.index,
                segmentType: .record, txnId: txnId,
                message: "Record at \(s.offset) does not decode (\(error.variant.rawValue)): \(error.message)"),
            error: .payloadDecode(error))
    }

    /// A planned row validated as the engine will at open, against its collection's last
    /// version: the fault if it fails.
    private mutating func revalidate(
        _ s: SegmentEvent, payload: UnsafeRawBufferPointer?, catalog: Catalog, txnId: UInt64?
    ) -> Fault? {
        guard let revalidation, !revalidation.isEmpty, let payload,
            let preamble = try? RecordPreamble(parsing: payload, at: s.payloadOffset),
            preamble.op != RecordPreamble.deleteOp,
            let target = revalidation.target(collectionId: preamble.collectionId, schemaVersion: preamble.schemaVersion)
        else {
            if payload == nil, let revalidation {
                // A payload too large to hold streamed past once: its row is not judged, and
                // no planned pair is taken as checked.
                undecidedRevalidation.formUnion(revalidation.targets.keys)
            }
            return nil
        }
        let key = RowRevalidationPlan.Key(collectionId: preamble.collectionId, schemaVersion: preamble.schemaVersion)
        // It decodes: `record` validated it against the same catalog.
        guard let record = try? RecordPayload(parsing: payload, at: s.payloadOffset, catalog: catalog) else {
            return nil
        }
        var row: [(name: String, value: RowValue)] = []
        if let primary = target.primaryField { row.append((primary, record.primaryKey)) }
        for field in record.fields { row.append((field.path.segments[0], field.value)) }
        switch RowValidator.validate(
            row: row, against: target.last, primaryField: target.primaryField, redactor: redactor)
        {
        case .valid:
            return nil
        case .undecidable:
            undecidedRevalidation.insert(key)
            return nil
        case .invalid(let failure):
            let error = EngineError.validation(at: failure.dottedPath, failure.message)
            return Fault(
                finding: Finding(
                    .recordFailsValidation, .error, offset: s.offset, length: s.header.totalLength,
                    segmentIndex: s.index, segmentType: .record, txnId: txnId,
                    message:
                        "Record at \(s.offset) (collection \(preamble.collectionId), written under schema version "
                        + "\(preamble.schemaVersion)) fails validation against version \(target.last.version), "
                        + "which the engine applies at open: \(error.message)"),
                error: error)
        }
    }

    /// Adds values a decode elsewhere visited (a Checkpoint decoded as it streamed).
    mutating func count(valuesVisited visited: Int) { valuesVisited += visited }

    /// Follows the transaction framing: what a transaction did to the unique keys stands only
    /// once it commits.
    mutating func transaction(_ effect: TransactionFraming.Effect) {
        // Asked of every segment; most transactions journal nothing.
        guard !journal.isEmpty else { return }
        switch effect {
        case .begin, .abort:
            for (slot, before) in journal { unique[slot] = before }
            journal.removeAll(keepingCapacity: true)
        case .commit:
            journal.removeAll(keepingCapacity: true)
        case .staged, .unframed, .none:
            break
        }
    }

    /// Decodes an Index payload and replays its unique entries when the segment takes part in
    /// the log (`effect` staged in the open transaction, or applied at once when unframed).
    mutating func index(
        _ s: SegmentEvent, payload: UnsafeRawBufferPointer, catalog: Catalog, txnId: UInt64?,
        effect: TransactionFraming.Effect, warnings: inout [Finding]
    ) -> Fault? {
        index(
            s, reader: ByteReader(payload, baseOffset: s.payloadOffset), catalog: catalog, txnId: txnId,
            effect: effect, speculative: false, warnings: &warnings)
    }

    /// `index`, reading through `reader`. A `speculative` decode runs before the payload's
    /// checksum is known (a payload that streams): its unique entries are journalled even
    /// when unframed, and `settleSpeculation` keeps or drops them.
    mutating func index(
        _ s: SegmentEvent, reader: ByteReader, catalog: Catalog, txnId: UInt64?,
        effect: TransactionFraming.Effect, speculative: Bool, warnings: inout [Finding]
    ) -> Fault? {
        var replays = true
        var journalled = speculative
        switch effect {
        case .staged: journalled = true
        case .unframed: break
        case .begin, .commit, .abort, .none: replays = false
        }
        do throws(RecordDecodeError) {
            var payload = try IndexPayload(reader)
            var entries = 0
            while let entry = try payload.nextView() {
                entries += 1
                // No verdict: the walk throws the stop request before any report is made.
                if StopRequest.shouldStop(at: entries) { return nil }
                indexEntriesDecoded += 1
                if !catalog.hasIndex(collectionId: entry.collectionId, named: entry.name) && warnings.count < 100 {
                    warnings.append(
                        Finding(
                            .indexBadPayload, .warning, offset: entry.offset, length: 0, segmentIndex: s.index,
                            segmentType: .index, txnId: txnId,
                            message:
                                "index entry names \"\(String(decoding: entry.name, as: UTF8.self))\", "
                                + "not an index of collection \(entry.collectionId)"
                        ))
                }
                guard replays, entry.kind == .unique else { continue }
                if let fault = applyUnique(entry, journalled: journalled) {
                    var finding = Finding(
                        .indexUniqueViolation, .error, offset: fault.offset, length: 0, segmentIndex: s.index,
                        segmentType: .index, txnId: txnId, message: fault.message)
                    finding.uniqueHolder = fault.holder
                    return Fault(finding: finding, error: fault.error)
                }
            }
            return nil
        } catch {
            return Fault(
                finding: Finding(
                    .indexBadPayload, .error, offset: error.offset, length: 0, segmentIndex: s.index,
                    segmentType: .index, txnId: txnId,
                    message:
                        "Index payload at \(s.offset) does not decode (\(error.variant.rawValue)): \(error.message)"),
                error: .payloadDecode(error))
        }
    }

    /// Once the checksum of a payload decoded speculatively is known: an intact unframed
    /// payload's entries stand; a damaged payload's are dropped with the transaction it was
    /// staged in, as the engine, which stops at the damage, never applies that transaction.
    mutating func settleSpeculation(effect: TransactionFraming.Effect, intact: Bool) {
        if !intact {
            transaction(.abort)
        } else if case .unframed = effect {
            journal.removeAll(keepingCapacity: true)
        }
    }

    /// A unique entry the keys replayed so far refuse.
    private struct UniqueFault {
        var offset: UInt64
        /// The key as the replay held it when the entry came.
        var holder: UniqueKey
        var error: EngineError
        var message: String
    }

    private mutating func applyUnique(_ entry: IndexEntry.View, journalled: Bool) -> UniqueFault? {
        let named = UniqueKey(entry)
        let slot = named.slot
        let pk = named.primaryKey
        switch entry.op {
        case .insert:
            if let existing = unique[slot] {
                if existing != pk {
                    let indexName = String(decoding: entry.name, as: UTF8.self)
                    return UniqueFault(
                        offset: entry.offset, holder: UniqueKey(slot: slot, primaryKey: existing),
                        error: .uniqueIndexViolation,
                        message:
                            "unique index \"\(indexName)\" of collection \(entry.collectionId): "
                            + "key already belongs to another primary key"
                    )
                }
            } else if unique.count < Self.uniqueKeyBudget {
                set(slot, pk, journalled: journalled)
            } else {
                uniqueBudgetExhausted = true
            }
        case .delete:
            if let existing = unique[slot] {
                if existing != pk {
                    let indexName = String(decoding: entry.name, as: UTF8.self)
                    return UniqueFault(
                        offset: entry.offset, holder: UniqueKey(slot: slot, primaryKey: existing),
                        error: .invalidCatalogPayload("unique index delete names another primary key"),
                        message:
                            "unique index \"\(indexName)\" of collection \(entry.collectionId): "
                            + "delete names another primary key"
                    )
                }
                set(slot, nil, journalled: journalled)
            }
        }
        return nil
    }

    private mutating func set(_ slot: UInt64, _ value: UInt64?, journalled: Bool) {
        if journalled && journal.index(forKey: slot) == nil { journal.updateValue(unique[slot], forKey: slot) }
        unique[slot] = value
    }

    /// Checkpoint rows and index state, decoded against the checkpoint's own catalog: nil, or
    /// what is wrong and the engine's error for it.
    mutating func checkpoint(_ payload: UnsafeRawBufferPointer, at offset: UInt64, decoded: CheckpointPayload) -> (
        String, EngineError
    )? {
        let catalog: Catalog
        switch Self.checkpointCatalog(decoded.catalogEntries, at: offset) {
        case .success(let built): catalog = built
        case .failure(let fault): return (fault.text, fault.error)
        }
        var reader = ByteReader(
            UnsafeRawBufferPointer(rebasing: payload[decoded.rowSection]),
            baseOffset: offset + UInt64(decoded.rowSection.lowerBound))
        var schemas = RecordSchemas(catalog)
        do throws(PayloadCheckError) {
            for index in 0..<Int(decoded.rowCount) {
                try PayloadCheckError.checkStop(every: index)
                var row: ByteReader
                do throws(FormatError) {
                    let length = try reader.u32()
                    row = try reader.slice(Int(length))
                } catch {
                    return Self.checkpointContentFault(error)
                }
                defer { valuesVisited += row.steps }
                try RecordPayload.validate(&row, schemas: &schemas)
            }
            try IndexPayload.forEachEntry(
                in: UnsafeRawBufferPointer(rebasing: payload[decoded.indexRange]),
                at: offset + UInt64(decoded.indexRange.lowerBound)
            ) { _ in }
        } catch {
            return Self.checkpointContentFault(error)
        }
        return nil
    }

    /// Why a checkpoint's own catalog cannot be built: what to say, and the engine's error.
    struct CatalogFault: Error {
        var text: String
        var error: EngineError
    }

    /// The catalog a checkpoint's entries build, or why they do not apply.
    static func checkpointCatalog(_ entries: [CatalogEntry], at offset: UInt64) -> Result<Catalog, CatalogFault> {
        var catalog = Catalog()
        for (index, entry) in entries.enumerated() {
            if StopRequest.shouldStop(at: index) { break }
            do {
                try catalog.apply(entry, segmentOffset: offset)
            } catch let violation {
                return .failure(
                    CatalogFault(
                        text: "checkpoint catalog does not apply: \(violation.message)",
                        error: .catalogViolation(violation)))
            }
        }
        return .success(catalog)
    }

    /// A checkpoint row or index state that does not decode: what to say, and the engine's error.
    static func checkpointContentFault(_ error: PayloadCheckError) -> (String, EngineError) {
        switch error {
        case .fault(let fault):
            return ("checkpoint contents do not decode: \(fault)", .payloadDecode(fault))
        case .interrupted(let stop):
            // Ends the checkpoint's check at once; never reported, as the walk throws the stop
            // request before any report is made.
            return ("checkpoint contents do not decode: \(stop)", .invalidCatalogPayload("\(stop)"))
        }
    }

    /// A checkpoint row whose length runs past the row section.
    static func checkpointContentFault(_ error: FormatError) -> (String, EngineError) {
        ("checkpoint contents do not decode: \(error)", .checkpointPayload(error))
    }
}

/// 64-bit FNV-1a: a stable hash (unlike `Hasher`, the same in every run).
public struct FNV {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    public init() {}
    /// Adds the bytes, then their count (so concatenations of different splits differ).
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
        add(UInt32(bytes.count))
    }

    public mutating func add(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { add($0) }
    }
    public mutating func add(_ number: UInt32) {
        withUnsafeBytes(of: number.littleEndian) { raw in
            for byte in raw {
                value ^= UInt64(byte)
                value = value &* 0x0000_0100_0000_01b3
            }
        }
    }
}
