import ModelVaultFormat

/// Replays what the engine would apply (docs/file-format.md §9, step 7, "Replay"): catalog entries
/// in commit order, and which collection and schema version each record names. Every fault is
/// remembered with the log position at which it takes effect, so the engine's outcome can be
/// settled for whatever prefix it keeps once the cut is known at the end of the walk.
///
/// Two replays run side by side: one from the start of the log, and, once the selected
/// superblock's checkpoint has been read, one seeded with the checkpoint's catalog that sees
/// only what follows `replay_from_offset`, as the engine does when it uses the checkpoint.
struct ReplayModel {
    /// A fault that fails the engine's replay when the kept log reaches `position`.
    /// The order in which the engine's replay meets faults, whatever their place in the log:
    /// first the framing of the whole log, then every catalog entry, then records and indexes.
    enum Phase: Int, CaseIterable {
        case framing, catalog, content
    }

    struct Fault {
        var phase = Phase.content
        var position: UInt64
        /// What the engine raises.
        var error: EngineError
        /// What mvfsck says of it in a finding.
        var message: String
        var variant: EngineVariant? { error.variant }
        /// For a record fault: where the offending record's transaction starts.
        var origin: ReferenceOrigin?
        /// For a record fault: the collection and schema version the record names.
        var reference: RecordReference?
    }

    /// Where a record reference was first applied, and the state of the log before its
    /// transaction (so a salvage can end just before it).
    struct ReferenceOrigin {
        var position: UInt64
        var txnStart: UInt64
        var manifestBefore: UInt64?
        var committedBefore: Int
    }

    struct RecordReference: Hashable {
        var collectionId: UInt32
        var schemaVersion: UInt32
        /// Whether the record writes a row (any op but delete): only those are validated.
        var writesRow = true

        init(collectionId: UInt32, schemaVersion: UInt32, writesRow: Bool = true) {
            self.collectionId = collectionId
            self.schemaVersion = schemaVersion
            self.writesRow = writesRow
        }

        init(_ record: RecordPreamble) {
            self.init(
                collectionId: record.collectionId, schemaVersion: record.schemaVersion,
                writesRow: record.op != RecordPreamble.deleteOp)
        }
    }

    /// One replay: its catalog, when each collection reached each version, the first record
    /// reference to each (collection, version), and the first fault that does not depend on
    /// the cut.
    struct CatalogState {
        var catalog = Catalog()
        /// Position at which each collection reached each schema version (index 0 = version 1).
        var versionReachedAt: [[UInt64]] = []
        var references: [RecordReference: ReferenceOrigin] = [:]
        /// The first fault of each phase that does not depend on the cut.
        private(set) var firstFaults: [Phase: Fault] = [:]
        /// Only what lies after this offset is replayed (the checkpoint replay).
        var start: UInt64 = 0
        var seenBegin = false
        static let referenceLimit = 65_536

        mutating func record(_ fault: Fault, replacing: Bool = false) {
            if replacing || firstFaults[fault.phase] == nil { firstFaults[fault.phase] = fault }
        }

        /// The fault the engine reports for a log kept up to `end`: the first of the earliest
        /// phase that has one there (record references are judged with the content phase).
        func firstFault(keptEnd end: UInt64) -> Fault? {
            for phase in [Phase.framing, .catalog] {
                if let fault = firstFaults[phase], fault.position <= end { return fault }
            }
            let content = firstFaults[.content].flatMap { $0.position <= end ? $0 : nil }
            if let reference = recordFault(keptEnd: end), content == nil || reference.position < content!.position {
                return reference
            }
            return content
        }

        /// Applies an entry; returns the violation, if any.
        mutating func apply(_ entry: CatalogEntry, segmentOffset: UInt64, position: UInt64) -> Catalog.Violation? {
            do {
                try catalog.apply(entry, segmentOffset: segmentOffset)
                if case .createCollection = entry.kind {
                    versionReachedAt.append([position])
                } else {
                    versionReachedAt[Int(entry.collectionId) - 1].append(position)
                }
                return nil
            } catch let violation {
                record(
                    Fault(
                        phase: .catalog, position: position, error: .catalogViolation(violation),
                        message: violation.message))
                return violation
            }
        }

        mutating func reference(_ key: RecordReference, _ origin: ReferenceOrigin) {
            // Transactions mostly name what the one before named: that key is already settled.
            if key == lastReferenced { return }
            lastReferenced = key
            if references[key] == nil, references.count < Self.referenceLimit { references[key] = origin }
        }
        /// The key `reference` was last given.
        private var lastReferenced: RecordReference?

        /// The first record fault for a log kept up to `end`.
        func recordFault(keptEnd end: UInt64) -> Fault? {
            var first: (fault: Fault, key: RecordReference)?
            for (key, origin) in references where origin.position <= end {
                guard var fault = fault(for: key, at: origin.position, keptEnd: end) else { continue }
                // Ties broken by key, not by dictionary order, so reports are stable.
                if let best = first,
                    (best.fault.position, best.key.collectionId, best.key.schemaVersion)
                        <= (fault.position, key.collectionId, key.schemaVersion)
                {
                    continue
                }
                fault.origin = origin
                fault.reference = key
                first = (fault, key)
            }
            return first?.fault
        }

        /// How many of the ascending `positions` lie at or before `end` (a binary search:
        /// a collection may have thousands of versions and be named by thousands of records).
        static func count(_ positions: [UInt64], notAfter end: UInt64) -> Int {
            var low = 0
            var high = positions.count
            while low < high {
                let mid = (low + high) / 2
                if positions[mid] <= end { low = mid + 1 } else { high = mid }
            }
            return low
        }

        func fault(for key: RecordReference, at position: UInt64, keptEnd end: UInt64) -> Fault? {
            let id = Int(key.collectionId)
            guard id >= 1, id <= versionReachedAt.count, versionReachedAt[id - 1][0] <= end else {
                return Fault(
                    position: position, error: .unknownCollection(key.collectionId),
                    message: "record for unknown collection \(key.collectionId)")
            }
            let reached = Self.count(versionReachedAt[id - 1], notAfter: end)
            if key.schemaVersion > UInt32(reached) {
                return Fault(
                    position: position, error: .invalidSchemaVersion(expected: UInt32(reached), got: key.schemaVersion),
                    message:
                        "record for collection \(key.collectionId) names schema version \(key.schemaVersion), "
                        + "current is \(reached)"
                )
            }
            // The engine replays every row against the collection's last version.
            if key.writesRow, let check = revalidation(of: key, reached: reached), let failure = check.failure {
                let written =
                    "record for collection \(key.collectionId) written under schema version \(key.schemaVersion)"
                switch failure {
                case .staleLayout:
                    let text =
                        "stale record schema_version \(key.schemaVersion) layout incompatible with catalog version \(reached)"
                    return Fault(
                        position: position, error: .invalidCatalogPayload(text),
                        message: "\(written) cannot be read under version \(reached): \(text)")
                case .unknownField(let name):
                    return Fault(
                        position: position, error: .validation(at: name, "unknown field"),
                        message: "\(written) carries field \"\(name)\", which version \(reached) does not declare")
                case .missingField(let name):
                    return Fault(
                        position: position, error: .validation(at: name, "missing field"),
                        message: "\(written) lacks field \"\(name)\", which version \(reached) requires")
                }
            }
            return nil
        }

        /// How many schema versions collection `id` has reached by `end`; nil before it exists.
        func versionsReached(collectionId id: UInt32, by end: UInt64) -> Int? {
            let index = Int(id)
            guard index >= 1, index <= versionReachedAt.count else { return nil }
            return Self.count(versionReachedAt[index - 1], notAfter: end)
        }

        /// How rows naming `key` fare against the last version `reached` of their collection;
        /// nil when they were written under that version (or name none).
        func revalidation(of key: RecordReference, reached: Int) -> RowRevalidation? {
            guard key.schemaVersion >= 1, key.schemaVersion < UInt32(reached),
                let collection = catalog.collection(id: key.collectionId)
            else { return nil }
            return RowRevalidation(
                rowsWrittenUnder: collection.versions[Int(key.schemaVersion) - 1],
                against: collection.versions[reached - 1], primaryField: collection.primaryField)
        }
    }

    struct Staged {
        var entries: [(Result<CatalogEntry, FormatError>, UInt64)] = []
        /// The first key the transaction's Records name (most name no other), then the others.
        var firstReference: RecordReference?
        var references: Set<RecordReference> = []
        var lastReference: RecordReference?
        /// The first Record or Index payload of the transaction that does not decode (`--deep`).
        var deepFault: Fault?

        /// Empties it for the next transaction, keeping its storage. Runs at every marker:
        /// what is already empty is left alone (emptying an empty array or clearing a nil fault
        /// still calls into the runtime).
        mutating func reset() {
            if !entries.isEmpty { entries.removeAll(keepingCapacity: true) }
            if !references.isEmpty { references.removeAll(keepingCapacity: true) }
            firstReference = nil
            lastReference = nil
            if deepFault != nil { deepFault = nil }
        }
    }

    /// The replay from the start of the log (what the report shows).
    private(set) var log = CatalogState()
    /// The replay from the selected checkpoint, once it has been read.
    private(set) var fromCheckpoint: CatalogState?
    private(set) var staged = Staged()

    var catalog: Catalog { log.catalog }

    /// The catalog as the open transaction will leave it: what a Record inside it is written
    /// against (a schema version bump and the rewritten Records share one transaction). Staged
    /// entries are applied to it as they come and reverted if the transaction does not commit,
    /// so it costs one catalog more, never a copy per transaction or per Record.
    private(set) var workingCatalog = Catalog() {
        didSet { workingCatalogGeneration &+= 1 }
    }
    /// Changes whenever `workingCatalog` does.
    private(set) var workingCatalogGeneration = 0
    private var uncommittedChanges: [Catalog.Change] = []

    private mutating func applyToWorkingCatalog(
        _ entry: Result<CatalogEntry, FormatError>, segmentOffset: UInt64, staged: Bool
    ) {
        guard case .success(let decoded) = entry,
            let change = try? workingCatalog.apply(decoded, segmentOffset: segmentOffset)
        else { return }
        if staged { uncommittedChanges.append(change) }
    }

    /// The open transaction ends without committing: its staged entries never apply.
    private mutating func revertUncommitted() {
        if uncommittedChanges.isEmpty { return }
        while let change = uncommittedChanges.popLast() { workingCatalog.revert(change) }
    }

    /// Seeds the checkpoint replay with the checkpoint's catalog; replay resumes after `start`.
    mutating func useCheckpoint(entries: [CatalogEntry], offset: UInt64, replayFrom start: UInt64) {
        var state = CatalogState()
        state.start = start
        for (index, entry) in entries.enumerated() {
            if StopRequest.shouldStop(at: index) { break }
            if state.apply(entry, segmentOffset: offset, position: 0) != nil {
                state.record(
                    Fault(
                        phase: .catalog, position: 0,
                        error: .invalidCatalogPayload("checkpoint catalog does not apply"),
                        message: "checkpoint catalog does not apply"),
                    replacing: true)
            }
        }
        fromCheckpoint = state
    }

    /// Feeds a segment with the framing's verdict on it (one that holds no data may go to
    /// `observeBoundary` instead).
    mutating func observe(
        _ s: SegmentEvent, effect: TransactionFraming.Effect,
        catalogEntry: Result<CatalogEntry, FormatError>?,
        record: RecordPreamble?, deepFault: Fault? = nil, framing: inout TransactionFraming,
        into sink: inout FindingSink
    ) {
        let inCheckpointReplay = (fromCheckpoint?.start).map { s.offset >= $0 } ?? false
        switch effect {
        case .begin, .commit, .abort, .none:
            observeBoundary(s, effect: effect, framing: &framing, into: &sink)
        case .unframed(let legal):
            if s.type.isData {
                let unframed = Fault(
                    phase: .framing, position: s.end, error: .unframedDataSegment,
                    message: "unframed data segment in format minor 6")
                if !legal { log.record(unframed) }
                if inCheckpointReplay, fromCheckpoint!.seenBegin, framing.enforcesFraming {
                    fromCheckpoint!.record(unframed)
                }
            }
            if let entry = catalogEntry {
                apply(
                    entry, segmentOffset: s.offset, position: s.end, inCheckpointReplay: inCheckpointReplay, into: &sink
                ) {
                    framing.noteDamage(beforeSegmentAt: s.offset)
                }
                applyToWorkingCatalog(entry, segmentOffset: s.offset, staged: false)
            }
            if let deepFault {
                framing.noteDamage(beforeSegmentAt: s.offset)
                log.record(deepFault)
                if inCheckpointReplay { fromCheckpoint?.record(deepFault) }
            }
            if let record {
                let origin = ReferenceOrigin(
                    position: s.end, txnStart: s.offset, manifestBefore: framing.latestIntactManifest,
                    committedBefore: framing.committed)
                reference(record, origin, inCheckpointReplay: inCheckpointReplay)
            }
        case .staged:
            if let entry = catalogEntry {
                staged.entries.append((entry, s.offset))
                applyToWorkingCatalog(entry, segmentOffset: s.offset, staged: true)
            }
            if staged.deepFault == nil { staged.deepFault = deepFault }
            if let record { stage(record) }
        }
    }

    /// Feeds a segment that holds no data (a marker, Manifest, Checkpoint or Temp): all it
    /// can do to replay is begin, commit or abort a transaction. Apart from `observe` so that
    /// these segments (three in eleven of a typical log) pass no catalog entry, preamble or
    /// fault, which cost a copy through memory each even when nil.
    mutating func observeBoundary(
        _ s: SegmentEvent, effect: TransactionFraming.Effect, framing: inout TransactionFraming,
        into sink: inout FindingSink
    ) {
        switch effect {
        case .begin:
            staged.reset()
            revertUncommitted()
            if let start = fromCheckpoint?.start, s.offset >= start { fromCheckpoint?.seenBegin = true }
        case .commit(_, let beganAt):
            // The batch is consumed in place, then emptied (keeping its storage).
            defer { staged.reset() }
            if !uncommittedChanges.isEmpty { uncommittedChanges.removeAll(keepingCapacity: true) }
            let inReplay = (fromCheckpoint?.start).map { beganAt >= $0 } ?? false
            // A transaction may stage any number of entries: they all apply here, at its commit.
            for (index, (entry, offset)) in staged.entries.enumerated() {
                if StopRequest.shouldStop(at: index) { break }
                apply(entry, segmentOffset: offset, position: s.end, inCheckpointReplay: inReplay, into: &sink) {
                    framing.noteDamage(inTransactionBegunAt: beganAt)
                }
            }
            // Tested before it is bound: binding copies the optional out of line even when nil.
            if staged.deepFault != nil, var fault = staged.deepFault {
                fault.position = s.end
                framing.noteDamage(inTransactionBegunAt: beganAt)
                log.record(fault)
                if inReplay { fromCheckpoint?.record(fault) }
            }
            // Every other reference is new only when a first one is.
            guard let first = staged.firstReference else { return }
            let origin = ReferenceOrigin(
                position: s.end, txnStart: beganAt, manifestBefore: framing.manifestBeforeOpenTransaction,
                committedBefore: max(0, framing.committed - 1))
            log.reference(first, origin)
            if inReplay { fromCheckpoint?.reference(first, origin) }
            if staged.references.isEmpty { return }
            for key in staged.references {
                log.reference(key, origin)
                if inReplay { fromCheckpoint?.reference(key, origin) }
            }
        case .abort:
            staged.reset()
            revertUncommitted()
        case .none, .unframed, .staged:
            break
        }
    }

    /// Notes the collection and version a Record inside the open transaction names.
    mutating func stage(_ record: RecordPreamble) {
        let key = RecordReference(record)
        // Records of one transaction mostly name the same collection and version.
        guard key != staged.lastReference else { return }
        guard let first = staged.firstReference else {
            staged.firstReference = key
            staged.lastReference = key
            return
        }
        if key != first, staged.references.count + 1 < CatalogState.referenceLimit {
            staged.references.insert(key)
            staged.lastReference = key
        }
    }

    private mutating func reference(_ record: RecordPreamble, _ origin: ReferenceOrigin, inCheckpointReplay: Bool) {
        let key = RecordReference(record)
        log.reference(key, origin)
        if inCheckpointReplay { fromCheckpoint?.reference(key, origin) }
    }

    /// Applies an entry to both replays; reports faults of the log replay as findings.
    private mutating func apply(
        _ entry: Result<CatalogEntry, FormatError>, segmentOffset: UInt64, position: UInt64,
        inCheckpointReplay: Bool, into sink: inout FindingSink, damaged: () -> Void
    ) {
        switch entry {
        case .failure(let error):
            damaged()
            sink.add(
                Finding(
                    .catalogBadPayload, .error, offset: segmentOffset, length: 0, segmentType: .schema,
                    message: "Schema payload does not decode: \(error)"))
            let fault = Fault(phase: .catalog, position: position, error: .catalogDecode(error), message: "\(error)")
            log.record(fault)
            if inCheckpointReplay { fromCheckpoint?.record(fault) }
        case .success(let e):
            if let violation = log.apply(e, segmentOffset: segmentOffset, position: position) {
                damaged()
                sink.add(
                    Finding(
                        .catalogInconsistent, .error, offset: segmentOffset, length: 0, segmentType: .schema,
                        message: "catalog entry cannot apply (\(violation.variant.rawValue)): \(violation.message)"))
            }
            if inCheckpointReplay { _ = fromCheckpoint?.apply(e, segmentOffset: segmentOffset, position: position) }
        }
    }

    /// The replay the engine runs for a log kept up to `end`: from the checkpoint if it uses one.
    func state(fromCheckpoint useCheckpoint: Bool) -> CatalogState {
        useCheckpoint ? (fromCheckpoint ?? log) : log
    }

    /// The fault replay reports first in a log kept up to `end` (see `Phase`).
    func firstFault(keptEnd end: UInt64, fromCheckpoint useCheckpoint: Bool) -> Fault? {
        state(fromCheckpoint: useCheckpoint).firstFault(keptEnd: end)
    }

    /// Rows written under an earlier schema version whose fields the collection's last version
    /// declares with another type or other constraints: the engine re-validates them against
    /// it at open (constraints, enum variants, types), which mvfsck does not evaluate.
    func revalidationWarnings(fileLength: UInt64, validated: RowRevalidationPlan?) -> [Finding] {
        log.references.compactMap { key, origin -> Finding? in
            guard key.writesRow,
                validated?.target(collectionId: key.collectionId, schemaVersion: key.schemaVersion) == nil,
                let reached = log.versionsReached(collectionId: key.collectionId, by: fileLength),
                let check = log.revalidation(of: key, reached: reached), let changed = check.valueDependent
            else { return nil }
            return Finding(
                .recordValidationUnchecked, .warning, offset: origin.txnStart, length: 0, segmentType: .record,
                message:
                    "records of collection \(key.collectionId) written under schema version \(key.schemaVersion) "
                    + "are validated at open against version \(reached), which declares field "
                    + "\"\(changed.dotted)\" with another type or other constraints: "
                    + "mvfsck does not evaluate constraints, so the engine may refuse rows it cannot see")
        }.sorted { ($0.offset, $0.message) < ($1.offset, $1.message) }
    }

    /// The rows a second walk must validate by value (see `RowRevalidationPlan`): those of
    /// flat schemas only, whose rows are validated field by field as the engine does.
    func revalidationPlan(fileLength: UInt64) -> RowRevalidationPlan {
        var plan = RowRevalidationPlan()
        for key in log.references.keys where key.writesRow {
            guard let reached = log.versionsReached(collectionId: key.collectionId, by: fileLength),
                let check = log.revalidation(of: key, reached: reached), check.valueDependent != nil,
                check.failure != .staleLayout, let collection = log.catalog.collection(id: key.collectionId)
            else { continue }
            let older = collection.versions[Int(key.schemaVersion) - 1]
            let last = collection.versions[reached - 1]
            guard !older.hasNestedNonKeyField, !last.hasNestedNonKeyField else { continue }
            plan.targets[.init(collectionId: key.collectionId, schemaVersion: key.schemaVersion)] = .init(
                last: last, primaryField: collection.primaryField)
        }
        return plan
    }

    /// Findings for every record reference that never resolves in the log replay.
    func unresolvedReferenceFindings(fileLength: UInt64) -> [Finding] {
        log.references.compactMap { key, origin -> Finding? in
            guard let fault = log.fault(for: key, at: origin.position, keptEnd: fileLength) else { return nil }
            let code: Finding.Code =
                fault.variant == .unknownCollection
                ? .recordUnknownCollection
                : fault.error.exception == .validation ? .recordFailsValidation : .recordUnknownSchemaVersion
            return Finding(
                code, .error, offset: origin.txnStart, length: 0, segmentType: .record,
                message: fault.message + " (applied by the commit ending at \(origin.position))")
        }.sorted { ($0.offset, $0.message) < ($1.offset, $1.message) }
    }
}
