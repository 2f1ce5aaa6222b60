import ModelVaultFormat

#if canImport(Glibc)
    import Glibc
#endif

/// Options of one check.
public struct CheckOptions: Sendable {
    public var deep = false
    public var findingLimit = 10_000
    /// The most catalog structures (collections and versions, weighted; fields, types, path
    /// segments, enum variants, constraints, indexes) the walk builds, about 20 MiB: memory stays
    /// bounded whatever the catalog claims. Past it the catalog is frozen (`LogWalker.freezeCatalog`).
    public var catalogStructureLimit = 200_000
    /// Above this size (16 MiB, the engine's longest value) no payload is held whole: a
    /// Checkpoint is decoded element by element as it streams, a Schema, Record or Index is
    /// decoded as it streams holding one value at a time (`PayloadPull`), and a Manifest or
    /// marker payload is held only to the bytes its decode reads.
    public var payloadCaptureLimit = 16 << 20
    /// The read buffer's size (`StreamCursor`); small sizes exercise the paths for payloads
    /// that do not fit in it.
    public var readBufferCapacity = StreamCursor.defaultCapacity
    /// Rows to validate by value against their collection's last version (a second walk;
    /// see `RowRevalidationPlan`).
    public var revalidation: RowRevalidationPlan?
    /// How findings' messages quote user data (`--redact`).
    public var redactor = Redactor.keep
    /// Whether a regular file's checks may be taken on trust and proved on a second thread
    /// (`SpeculativeChecks`): off where every core already walks a file of its own.
    public var secondCore = true
    /// Segments that end at or below this offset had their header and payload checksums proved
    /// by an earlier walk of the same bytes (a salvage's result is its source's prefix): they
    /// are taken as stored. 0: every checksum is proved here.
    public var checksumsProvedBelow: UInt64 = 0
    /// Batches that may wait for the second thread before the walk proves the next one
    /// itself (`SpeculativeChecks.submit`); 0: the walk proves every one.
    var secondCoreBacklog = 4
    /// Transaction bodies gathered before they are handed to the analysers at once
    /// (`TransactionBodyBatch`).
    var transactionBodyBatch = 256
    public init(deep: Bool = false, redactor: Redactor = .keep) {
        self.deep = deep
        self.redactor = redactor
    }
}

/// The forensic walk over one input: header, superblocks, then every segment in one forward
/// pass with bounded memory, resynchronising after unreadable stretches. It reports every
/// fault it meets and predicts what the engine's open would do.
public final class LogWalker: SegmentConsumer {
    let source: SegmentSource
    var cursor: StreamCursor { source.cursor }
    private(set) var options: CheckOptions
    /// Catalog structures still allowed (see `CheckOptions.catalogStructureLimit`).
    var catalogStructuresLeft: Int
    /// Where the catalog outgrew the limit: from there nothing is decoded against it.
    var catalogFrozenAt: UInt64?
    /// What was decoded of a Schema, Record or Index payload too large to hold, as it streamed
    /// past, for `process`.
    var streamedDecode: Box<StreamedDecode>?

    enum StreamedDecode {
        case schema(Result<CatalogEntry, FormatError>, structures: Int)
        /// A deep decode's fault and warnings; for an Index, the effect its unique entries were
        /// replayed under, to be settled once the checksum is known.
        case deep(DeepCheck.Fault?, warnings: [Finding], speculation: TransactionFraming.Effect?)
    }
    /// The most payload bytes held at once outside the read buffer: a memory counter.
    var largestPayloadHeld: Int { source.largestPayloadHeld }
    /// Payloads decoded as they streamed (`PayloadPull`).
    var payloadsStreamed: Int { source.payloadsStreamed }

    var sink: FindingSink
    var stats = Report.SegmentStats()
    var prelude = Prelude()
    var framing = TransactionFraming(minor: Layout.transactionalMinor)
    var scan = EngineScan(minor: Layout.transactionalMinor)
    var replay = ReplayModel()
    var deep = DeepCheck()
    var checkpoints = CheckpointCheck(target: nil)
    var segmentIndex = 0
    /// The type the last unreadable segment header claimed, and where it lies.
    var badHeaderType: (offset: UInt64, type: SegmentType?)?
    var beyondBreak = false
    var firstBreak: UInt64?

    /// Readers of the walk's structures besides its own checks (see `SegmentAnalyser`).
    private(set) var analysers: [any SegmentAnalyser] = []

    /// Adds a reader of the walk's structures; call before `run`.
    public func add(_ analyser: any SegmentAnalyser) {
        analysers.append(analyser)
        let added = analysers
        wantedByType = (0..<16).map { code in
            SegmentType(rawValue: UInt16(code)).map { type in
                added.reduce(0) { max($0, $1.payloadBytesWanted(for: type)) }
            }
                ?? 0
        }
        let all = analysers
        sink.observer = { [unowned self] finding in
            handOverBodies()
            for analyser in all { analyser.finding(finding) }
        }
        recordCatalogRead = analysers.contains { $0.readsRecordCatalog }
        analysersTakeBodies = analysers.allSatisfy { $0.takesTransactionBodies }
    }
    /// Whether every analyser takes the bulk of a log through `transactionBodies`.
    private var analysersTakeBodies = true
    /// Transaction bodies not yet handed to the analysers.
    private var bodies: TransactionBodyBatch
    /// Whether an analyser reads a Record's catalog.
    private var recordCatalogRead = false

    /// The most payload bytes of a segment of `type` any analyser reads (asked of each once, as
    /// it is added: what an analyser reads depends on the type only).
    func bytesWantedByAnalysers(for type: SegmentType) -> Int {
        let code = Int(type.rawValue)
        return code < wantedByType.count ? wantedByType[code] : 0
    }
    private var wantedByType: [Int] = []

    public init(source: ByteSource, options: CheckOptions = CheckOptions()) {
        self.source = SegmentSource(source: source, capacity: options.readBufferCapacity)
        self.source.provedBelow = options.checksumsProvedBelow
        self.options = options
        catalogStructuresLeft = options.catalogStructureLimit
        sink = FindingSink(limit: options.findingLimit)
        bodies = TransactionBodyBatch(capacity: options.transactionBodyBatch)
        deep.revalidation = options.revalidation
        deep.redactor = options.redactor
    }

    /// A walk that ended by throwing (a check taken on trust failed, the input could not be
    /// read, a stop request) still has the second thread: it holds its checks for as long as it
    /// runs, so it is stopped here, or it would wait for batches for the rest of the process.
    deinit { speculative?.cancel() }

    /// The catalog has outgrown `CheckOptions.catalogStructureLimit` at `offset`: from there no
    /// catalog entry is applied, no record reference is judged and nothing is decoded against
    /// the catalog, and the prediction rests on framing. A warning says so.
    func freezeCatalog(at offset: UInt64) {
        guard catalogFrozenAt == nil else { return }
        catalogFrozenAt = offset
        options.deep = false
        sink.add(
            Finding(
                .catalogTooLarge, .warning, offset: offset, length: 0,
                message:
                    "the catalog outgrows mvfsck's memory limit of \(options.catalogStructureLimit) structures "
                    + "(collections, versions, fields, types, path segments, enum variants, constraints, indexes) "
                    + "here: from this offset no catalog entry is applied "
                    + "and no Record, Index or Checkpoint contents are decoded, so the prediction rests on framing"))
    }

    /// Takes checksums and decodes on trust and proves them on a second thread, in the walk's
    /// own buffer (`SpeculativeChecks`); `run` then throws `SpeculativeChecks.Failed` if one
    /// does not hold, and the input is to be walked again. A walk with analysers or a tap only
    /// if they can be started afresh (`restartable`). Returns whether it is set up.
    func speculate(restartable: Bool = false) -> Bool {
        guard restartable || (analysers.isEmpty && tap == nil) else { return false }
        let fillAhead = FillAhead(source: cursor.source)
        guard let checks = SpeculativeChecks(backlog: options.secondCoreBacklog, fillAhead: fillAhead) else {
            return false
        }
        speculative = checks
        source.speculating = true
        cursor.fillAhead = fillAhead
        cursor.beforeOverwrite = { [unowned self] bytes in try self.release(bytes) }
        return true
    }

    /// The cursor is about to write over `bytes` of its buffer: the segments taken on trust
    /// there are proved first.
    private func release(_ bytes: UnsafeRawBufferPointer) throws(SpeculativeChecks.Failed) {
        guard let speculative, let base = bytes.baseAddress else { return }
        let range = UInt(bitPattern: base)..<(UInt(bitPattern: base) + UInt(bytes.count))
        if trusted.overlaps(range) { try speculative.submit(&trusted) }
        try speculative.release(range)
    }

    /// The second thread's checks (`speculate`), and the segments taken on trust not yet
    /// handed to it.
    private(set) var speculative: SpeculativeChecks?
    private var trusted = SpeculativeChecks.Batch()
    /// How many batches the walk's own thread proved, the second lagging (`speculate`).
    private(set) var batchesProvedByWalk = 0

    @inline(__always)
    func trust(
        _ segment: UnsafeRawPointer, at offset: UInt64, payloadLength: Int, payloadCRC: UInt32
    ) throws(SpeculativeChecks.Failed) {
        if trusted.isFull { try speculative!.submit(&trusted) }
        trusted.append(segment: segment, at: offset, payloadLength: payloadLength, payloadCRC: payloadCRC)
    }

    /// Sees every input byte once, in order (a salvage copies the input through it).
    public var tap: ((UnsafeRawBufferPointer) throws -> Void)? {
        get { cursor.tap }
        set { cursor.tap = newValue }
    }

    public var progress: ((UInt64) -> Void)? {
        get { cursor.onRead }
        set { cursor.onRead = newValue }
    }

    /// Runs the walk to the end of the input and builds the report.
    /// `containerFinding` is asked once the input is exhausted (a truncated or corrupt gzip
    /// stream, or trailing garbage after it).
    public func run(
        command: String, path: String, compressed: Bool = false,
        containerFinding: () -> Finding? = { nil }
    ) throws -> Report {
        prelude = try Prelude.read(from: cursor, into: &sink)
        framing = TransactionFraming(minor: prelude.minor)
        scan = EngineScan(minor: prelude.minor)
        checkpoints = CheckpointCheck(target: prelude.checkpointTarget)
        for analyser in analysers { analyser.prelude(header: prelude.header, superblocks: prelude.superblocks) }
        if cursor.position == UInt64(Layout.logStart) { try source.readSegments(into: self) }
        handOverBodies()
        _ = try cursor.drain()
        // A stop request that raced with the end of the input.
        try StopRequest.check()
        if let speculative {
            try cursor.stopFillingAhead()
            deep.count(valuesVisited: try speculative.finish(&trusted))
            cursor.beforeOverwrite = nil
            batchesProvedByWalk = speculative.batchesCheckedByWalk
            self.speculative = nil
            source.speculating = false
        }
        if let finding = containerFinding() { sink.add(finding) }
        let fileLength = cursor.position
        var builder = ReportBuilder(
            prelude: prelude, framing: framing, scan: scan, replay: replay, deep: deep, checkpoints: checkpoints,
            stats: stats, sink: sink, options: options, firstBreak: firstBreak,
            catalogStructures: options.catalogStructureLimit - catalogStructuresLeft)
        let report = builder.build(command: command, path: path, compressed: compressed, fileLength: fileLength)
        // Loops that cannot throw (the replay, the settling of the outcome) stop early on a
        // stop request, leaving their results incomplete: such a report is never returned.
        try StopRequest.check()
        return report
    }

    // MARK: segments, as the source reads them

    func boundary(at offset: UInt64) {
        checkpoints.boundary(at: offset, transactionOpen: framing.open != nil, committed: framing.committed)
    }

    func tornHeader(at offset: UInt64, available: Int) {
        tellUnreadable(offset..<(offset + UInt64(available)))
        scan.tornEnd()
        framing.noteDamage()
        sink.add(
            Finding(
                .segmentTruncatedHeader, .error, offset: offset, length: UInt64(available),
                segmentIndex: segmentIndex,
                message: "\(available) bytes at the end are too few for a segment header (torn write)"))
    }

    func badHeader(_ fault: SegmentHeaderFault, header: SegmentHeader, at offset: UInt64) {
        badHeaderType = (offset, header.type)
        scan.headerFault(fault, at: offset)
        framing.breakFraming()
        if firstBreak == nil { firstBreak = offset }
        let code: Finding.Code
        switch fault {
        case .badMagic: code = .segmentBadMagic
        case .unsupportedVersion, .badHeaderLength, .unsupportedChecksumKind: code = .segmentUnsupportedVersion
        case .unknownType: code = .segmentUnknownType
        case .payloadTooLong: code = .segmentPayloadTooLong
        case .headerChecksum: code = .segmentHeaderChecksum
        }
        sink.add(
            Finding(
                code, .error, offset: offset, length: UInt64(Layout.segmentHeaderSize),
                segmentIndex: segmentIndex, segmentType: header.type,
                message: fault.description + (beyondBreak ? "" : "; the engine stops here")))
        checkpoints.headerFault(fault, at: offset)
    }

    func resynchronised(unreadableFrom offset: UInt64, length: UInt64, allZero: Bool) {
        tellUnreadable(offset..<(offset + length))
        beyondBreak = true
        sink.add(
            Finding(
                .logResynchronized, .warning, offset: offset, length: length,
                message:
                    "\(length) unreadable bytes\(allZero ? " (all zero)" : ""); "
                    + "the walk resumes at the next valid segment header at \(offset + length), "
                    + "which the engine never reaches"
            ))
    }

    func resumed(insidePayloadOf header: SegmentHeader, at offset: UInt64, from resume: UInt64) {
        let type = header.type!
        // What the segment's transaction held from here on is read as segments of its own.
        framing.breakFraming()
        beyondBreak = true
        if firstBreak == nil { firstBreak = offset }
        sink.add(
            Finding(
                .logResynchronized, .warning, offset: offset, length: resume - offset, segmentType: type,
                message:
                    "a valid segment header at \(resume) lies inside the \(header.payloadLength)-byte "
                    + "\(type.name) payload at \(offset), which fails its checksum or runs past the end: "
                    + "its length is damaged; the walk resumes at \(resume), where the engine never reads"
            ))
        handOverBodies()
        for analyser in analysers { analyser.resumed(at: resume) }
    }

    /// Tells the analysers of unreadable bytes, with the type the bad header there claims.
    func tellUnreadable(_ range: Range<UInt64>) {
        guard !analysers.isEmpty else { return }
        let claimed = badHeaderType.flatMap { $0.offset == range.lowerBound ? $0.type : nil }
        handOverBodies()
        for analyser in analysers { analyser.unreadable(range, claimedType: claimed) }
    }

    func unreadableTail(from offset: UInt64, length: UInt64, allZero: Bool) {
        tellUnreadable(offset..<(offset + length))
        sink.add(
            Finding(
                allZero ? .tailZeroFilled : .tailTrailingGarbage, .error, offset: offset, length: length,
                message: allZero
                    ? "\(length) zero bytes from \(offset) to the end: "
                        + "no segment can be read there (preallocated or zeroed tail)"
                    : "\(length) unreadable bytes from \(offset) to the end hold no valid segment header"))
    }

    @inline(__always)
    func demand(for header: SegmentHeader, at offset: UInt64) -> PayloadDemand {
        let type = header.type!
        var keep: Int
        switch type {
        case .record: keep = options.deep ? Int.max : RecordPreamble.length
        case .temp: keep = 0
        case .index: keep = options.deep ? Int.max : 0
        default: keep = Int.max
        }
        if !analysers.isEmpty { keep = max(keep, bytesWantedByAnalysers(for: type)) }
        // The common case, asked of every segment: nothing more to decide.
        guard header.payloadLength > UInt64(options.payloadCaptureLimit) else { return PayloadDemand(keep: keep) }
        // Above the capture limit, what is decoded whole is decoded as it streams, a
        // Checkpoint element by element, and a Manifest or a marker is kept to what its decode
        // reads (their length comes from the header).
        if decodesWhole(type) { return PayloadDemand(decodeAsStreamed: true) }
        switch type {
        case .manifest, .txnBegin, .txnCommit, .txnAbort:
            return PayloadDemand(keep: min(keep, 64))
        case .checkpoint:
            checkpoints.pending = Box(
                CheckpointStream(
                    payloadOffset: offset + UInt64(Layout.segmentHeaderSize), length: header.payloadLength,
                    deep: options.deep, structureLimit: catalogFrozenAt == nil ? catalogStructuresLeft : 0))
            return PayloadDemand(
                keep: min(keep, 64), feed: { [unowned self] chunk in checkpoints.pending?.value.feed(chunk) })
        default:
            return PayloadDemand(keep: keep)
        }
    }

    func decodeWhileStreaming(_ header: SegmentHeader, at offset: UInt64, pull: PayloadPull) {
        let s = event(
            header, at: offset, type: header.type!, crc: 0, payload: UnsafeRawBufferPointer(start: nil, count: 0))
        streamedDecode = Box(decodeStreaming(s, pull: pull))
    }

    func segment(
        _ header: SegmentHeader, at offset: UInt64, crc: UInt32, payload bytes: UnsafeRawBufferPointer,
        delivery: PayloadDelivery
    ) {
        let type = header.type!
        if let checkpoint = checkpoints.pending?.value {
            checkpoints.pending = nil
            var checkpointCopy = checkpoint
            // Fed only when the payload streamed; one that lay whole in the buffer is decoded whole.
            if delivery == .kept && crc == header.payloadCRC {
                let (outcome, visited) = checkpointCopy.finish()
                checkpoints.streamed = outcome
                deep.count(valuesVisited: visited)
            }
        }
        let takenAsBody =
            delivery == .inPlace && crc == header.payloadCRC && (type == .record || type == .index)
            && inTransactionBody && takeTransactionBody(type, header: header, at: offset, payload: bytes)
        if !takenAsBody {
            process(event(header, at: offset, type: type, crc: crc, payload: bytes), payload: bytes)
            segmentIndex += 1
        }
    }

    /// Whether the walk is inside a transaction whose Records and Indexes with a sound payload
    /// (the bulk of a log) are transaction bodies: nothing about one can be a finding.
    var inTransactionBody: Bool {
        analysersTakeBodies && !beyondBreak && framing.enforcesFraming && framing.open != nil
    }

    /// Takes a Record or Index read where it lies, its checksum holding, inside a transaction
    /// (`inTransactionBody`) as a body: counted and staged, without an event. False when it is
    /// more than that: a payload above the capture limit (decoded as it streams), a Checkpoint
    /// streamed before it still to settle, or a full decode that is not left to the second
    /// core (which the event path makes).
    func takeTransactionBody(
        _ type: SegmentType, header: SegmentHeader, at offset: UInt64, payload: UnsafeRawBufferPointer
    ) -> Bool {
        guard header.payloadLength <= UInt64(options.payloadCaptureLimit), checkpoints.pending == nil,
            !options.deep || (source.speculating && takesDecodeOnTrust(type, at: offset))
        else { return false }
        processTransactionBody(type, at: offset, header: header, payload: payload)
        segmentIndex += 1
        return true
    }

    func payloadPastEnd(_ header: SegmentHeader, at offset: UInt64, present: UInt64) {
        badHeaderType = (offset, header.type)
        tellUnreadable(offset..<(offset + UInt64(Layout.segmentHeaderSize) + present))
        streamedDecode = nil
        reportPayloadPastEnd(header, at: offset, present: present)
    }

    func reportPayloadPastEnd(_ header: SegmentHeader, at offset: UInt64, present streamed: UInt64) {
        let type = header.type!
        scan.tornEnd()
        framing.noteDamage()
        sink.add(
            Finding(
                .segmentPayloadPastEOF, .error, offset: offset, length: header.totalLength,
                segmentIndex: segmentIndex, segmentType: type,
                message:
                    "\(type.name) payload of \(header.payloadLength) bytes runs past the end of the input "
                    + "(\(streamed) present): torn write or damaged length"
            ))
        checkpoints.payloadPastEnd(at: offset)
    }

    /// Whether a payload of `type` is decoded whole (rather than only its first bytes read).
    func decodesWhole(_ type: SegmentType) -> Bool {
        switch type {
        case .schema: catalogFrozenAt == nil
        case .record, .index: options.deep
        default: false
        }
    }

    /// What is decoded of a payload too large to hold, as `process` would decode it, read
    /// through `pull` as it streams. Deep decodes are run against the catalog in force now,
    /// which `process` would use too: nothing changes it before then.
    func decodeStreaming(_ s: SegmentEvent, pull: PayloadPull) -> StreamedDecode {
        var reader = pull.reader()
        switch s.type {
        case .schema:
            reader.structureLimit = catalogStructuresLeft
            let decoded = Result { () throws(FormatError) in try CatalogEntry(parsing: &reader) }
            return .schema(decoded, structures: reader.structures)
        case .record:
            let fault = deep.record(
                s, reader: &reader, whole: nil, catalog: replay.workingCatalog, txnId: framing.open?.id)
            return .deep(fault, warnings: [], speculation: nil)
        default:
            var warnings: [Finding] = []
            let effect = framing.effectOfIntactDataSegment()
            let fault = deep.index(
                s, reader: reader, catalog: replay.workingCatalog, txnId: framing.open?.id, effect: effect,
                speculative: true, warnings: &warnings)
            return .deep(fault, warnings: warnings, speculation: effect)
        }
    }

    /// What `process` does for a transaction body (`takeTransactionBody`), without its event.
    func processTransactionBody(
        _ type: SegmentType, at offset: UInt64, header: SegmentHeader,
        payload: UnsafeRawBufferPointer
    ) {
        let end = offset + header.totalLength
        stats.add(type, bytes: header.totalLength)
        scan.dataSegment(end: end)
        let preamble =
            type == .record
            ? try? RecordPreamble(parsing: payload, at: offset + UInt64(Layout.segmentHeaderSize)) : nil
        if let preamble, catalogFrozenAt == nil { replay.stage(preamble) }
        if !analysers.isEmpty,
            bodies.append(TransactionBody(type: type, offset: offset, end: end, record: preamble))
        {
            handOverBodies()
        }
    }

    /// Hands the transaction bodies gathered to the analysers: before anything else they are
    /// told, and at the end of the walk.
    func handOverBodies() {
        bodies.drain { bodies in for analyser in analysers { analyser.transactionBodies(bodies) } }
    }

    func event(
        _ header: SegmentHeader, at offset: UInt64, type: SegmentType, crc: UInt32,
        payload: UnsafeRawBufferPointer
    ) -> SegmentEvent {
        var event = SegmentEvent(
            index: segmentIndex, offset: offset, header: header, type: type,
            payloadCRC: crc, beyondBreak: beyondBreak, marker: nil)
        if type.isMarker {
            event.marker =
                payload.count == header.payloadLength
                ? Result { () throws(TxnMarker.Fault) in try TxnMarker(parsing: payload, at: event.payloadOffset) }
                : .failure(
                    TxnMarker.Fault(.wrongLength(got: Int(clamping: header.payloadLength)), at: event.payloadOffset))
        }
        return event
    }

    /// Processes one segment whose payload is `bytes` (borrowed for the duration).
    func process(_ s: SegmentEvent, payload payloadView: UnsafeRawBufferPointer) {
        stats.add(s.type, bytes: s.header.totalLength)
        if s.type == .txnBegin { checkpoints.noteBegin(at: s.offset) }
        if !s.payloadCRCMatches { reportPayloadChecksum(s) }
        let intactManifest = s.type == .manifest && s.payloadCRCMatches && checkManifest(s, payload: payloadView)
        if intactManifest { framing.noteIntactManifest(at: s.offset) }
        if !s.beyondBreak { scan.segment(s, intactManifest: intactManifest) }
        let txnBefore = framing.open?.id
        let effect = framing.observe(s, into: &sink)
        // Kept boxed: a large optional enum as a local is copied about on every segment.
        let streamed = streamedDecode
        streamedDecode = nil
        if let streamed, case .deep(_, _, let speculation?) = streamed.value {
            deep.settleSpeculation(effect: speculation, intact: s.payloadCRCMatches)
        }
        guard !s.type.isData else {
            processData(s, effect: effect, txnBefore: txnBefore, streamed: streamed, payload: payloadView)
            return
        }
        // Markers, Manifests, Checkpoints and Temps (three of every eleven segments of a typical
        // log) have no catalog entry, preamble or content fault: replay learns only the
        // transaction they begin, commit or abort, and no optional is passed for the rest (even
        // nil, one is copied through memory and destroyed through outlined code every time).
        if s.type == .checkpoint { checkCheckpoint(s, payload: payloadView) }
        if options.deep { deep.transaction(effect) }
        replay.observeBoundary(s, effect: effect, framing: &framing, into: &sink)
        tellAnalysers(
            s, effect: effect, catalogEntry: nil, record: nil, intactManifest: intactManifest, payload: payloadView)
    }

    /// `process` for a Schema, Record or Index: its catalog entry, preamble and (in the full
    /// decode) content fault.
    private func processData(
        _ s: SegmentEvent, effect: TransactionFraming.Effect, txnBefore: UInt64?, streamed: Box<StreamedDecode>?,
        payload payloadView: UnsafeRawBufferPointer
    ) {
        var catalogEntry: Result<CatalogEntry, FormatError>?
        if s.payloadCRCMatches && s.type == .schema && catalogFrozenAt == nil {
            let decoded: Result<CatalogEntry, FormatError>
            if let streamed, case .schema(let entry, let structures) = streamed.value {
                decoded = entry
                catalogStructuresLeft -= structures
            } else {
                var reader = ByteReader(payloadView, baseOffset: s.payloadOffset)
                reader.structureLimit = catalogStructuresLeft
                decoded = Result { () throws(FormatError) in try CatalogEntry(parsing: &reader) }
                catalogStructuresLeft -= reader.structures
            }
            if case .failure(let error) = decoded, error.isOverBudget {
                freezeCatalog(at: s.offset)
            } else {
                catalogEntry = decoded
            }
        }
        let record =
            s.type == .record && s.payloadCRCMatches
            ? try? RecordPreamble(parsing: payloadView, at: s.payloadOffset) : nil
        if options.deep { deep.transaction(effect) }
        let deepFault =
            options.deep && s.payloadCRCMatches
            ? deepFault(s, streamed: streamed, effect: effect, txnId: txnBefore, payload: payloadView) : nil
        replay.observe(
            s, effect: effect, catalogEntry: catalogEntry, record: catalogFrozenAt == nil ? record : nil,
            deepFault: deepFault, framing: &framing, into: &sink)
        tellAnalysers(
            s, effect: effect, catalogEntry: catalogEntry, record: record, intactManifest: false, payload: payloadView)
    }

    /// The end of `process`: the analysers are told of the segment.
    private func tellAnalysers(
        _ s: SegmentEvent, effect: TransactionFraming.Effect, catalogEntry: Result<CatalogEntry, FormatError>?,
        record: RecordPreamble?, intactManifest: Bool, payload payloadView: UnsafeRawBufferPointer
    ) {
        guard !analysers.isEmpty else { return }
        handOverBodies()
        let observed = ObservedSegment(
            summary: SegmentSummary(event: s, effect: effect), role: effect,
            payloadOffset: s.payloadOffset, marker: s.marker, catalogEntry: catalogEntry, record: record,
            manifestDecodes: intactManifest,
            catalog: s.type == .record && catalogFrozenAt == nil && recordCatalogRead ? replay.workingCatalog : nil)
        for analyser in analysers { analyser.segment(observed, payload: payloadView) }
    }

    /// The content fault of a segment whose checksum holds, in the full decode: decoded as it
    /// streamed, or now.
    private func deepFault(
        _ s: SegmentEvent, streamed: Box<StreamedDecode>?, effect: TransactionFraming.Effect, txnId: UInt64?,
        payload: UnsafeRawBufferPointer
    ) -> ReplayModel.Fault? {
        guard let streamed, case .deep(let fault, let warnings, _) = streamed.value else {
            return deepDecode(s, effect: effect, txnId: txnId, payload: payload)
        }
        for warning in warnings { sink.add(warning) }
        return fault.map { report($0, of: s) }
    }

    /// `--deep`: decodes a Record or Index payload against the catalog in force.
    func deepDecode(
        _ s: SegmentEvent, effect: TransactionFraming.Effect, txnId: UInt64?,
        payload payloadView: UnsafeRawBufferPointer
    ) -> ReplayModel.Fault? {
        guard s.type == .record || s.type == .index else { return nil }
        if source.speculating && takesDecodeOnTrust(s.type, at: s.offset) { return nil }
        let catalog = replay.workingCatalog
        let fault: DeepCheck.Fault?
        if s.type == .record {
            fault = deep.record(s, payload: payloadView, catalog: catalog, txnId: txnId)
        } else {
            var warnings: [Finding] = []
            fault = deep.index(
                s, payload: payloadView, catalog: catalog, txnId: txnId, effect: effect, warnings: &warnings)
            for warning in warnings { sink.add(warning) }
        }
        return fault.map { report($0, of: s) }
    }

    /// Whether the decode of the segment at `offset` (a Record or Index read where it lies) is left to the second
    /// core (`SpeculativeChecks`): a Record's when no row is to be judged by value again, an
    /// Index's while the catalog has no unique index (unique entries are replayed here).
    private func takesDecodeOnTrust(_ type: SegmentType, at offset: UInt64) -> Bool {
        // Each batch holds the catalogs its decodes need, and a change to a catalog a batch
        // still holds copies it: only a small catalog is handed over, so that costs little.
        guard options.catalogStructureLimit - catalogStructuresLeft <= SpeculativeChecks.catalogStructureLimit else {
            return false
        }
        let generation = replay.workingCatalogGeneration
        if generation != uniqueIndexesKnownFor {
            catalogHasUniqueIndex = replay.workingCatalog.hasUniqueIndex
            uniqueIndexesKnownFor = generation
        }
        let decode: SpeculativeChecks.Decode
        if type == .record {
            guard deep.revalidation == nil else { return false }
            decode = .record
        } else {
            guard !catalogHasUniqueIndex else { return false }
            decode = .index
        }
        return trusted.decodeLast(
            as: decode, segmentAt: offset, generation: generation,
            catalog: trusted.needsCatalog(generation) ? replay.workingCatalog : nil)
    }
    private var catalogHasUniqueIndex = false
    private var uniqueIndexesKnownFor = -1

    /// Reports a decode fault; what the replay makes of it.
    func report(_ fault: DeepCheck.Fault, of s: SegmentEvent) -> ReplayModel.Fault {
        sink.add(fault.finding)
        return ReplayModel.Fault(position: s.end, error: fault.error, message: fault.finding.message)
    }

    func reportPayloadChecksum(_ s: SegmentEvent) {
        let text =
            "\(s.type.name) payload CRC-32C \(Hex.u32(s.payloadCRC)) "
            + "does not match stored \(Hex.u32(s.header.payloadCRC))"
        switch s.type {
        case .temp:
            sink.add(
                Finding(
                    .tempPayloadChecksum, .warning, offset: s.offset, length: s.header.totalLength,
                    segmentIndex: s.index, segmentType: .temp,
                    message: text + " (Temp payloads are scratch space; the engine never checks them)"))
        case .checkpoint:
            let used = checkpoints.isTarget(s.offset)
            sink.add(
                Finding(
                    .checkpointPayloadChecksum, used ? .error : .warning, offset: s.offset,
                    length: s.header.totalLength,
                    segmentIndex: s.index, segmentType: .checkpoint,
                    message: text
                        + (used
                            ? " (the selected superblock points here: strict opens fail)"
                            : " (an older checkpoint the engine never reads)")))
        default:
            let enclosingTransaction = framing.open.map { " inside transaction \($0.id) begun at \($0.offset)" } ?? ""
            sink.add(
                Finding(
                    .segmentPayloadChecksum, .error, offset: s.offset, length: s.header.totalLength,
                    segmentIndex: s.index, segmentType: s.type, txnId: s.txnId ?? framing.open?.id,
                    message: text + enclosingTransaction))
        }
    }

    /// Decodes a Manifest payload; reports and returns false when it does not decode. Bytes
    /// after the 18 the engine reads are tolerated by it: a warning, and the Manifest stands.
    func checkManifest(_ s: SegmentEvent, payload payloadView: UnsafeRawBufferPointer) -> Bool {
        let selected = prelude.manifestTarget?.offset == s.offset
        do {
            let manifest = try ManifestPayload(parsing: payloadView, at: s.payloadOffset)
            if manifest.trailingBytes > 0 {
                let trailing = s.header.payloadLength - UInt64(ManifestPayload.length)
                sink.add(
                    Finding(
                        .manifestBadPayload, .warning, offset: s.offset, length: s.header.totalLength,
                        segmentIndex: s.index, segmentType: .manifest,
                        message: "Manifest payload carries \(trailing) bytes after its 18 (the engine ignores them)"))
            }
            return true
        } catch {
            sink.add(
                Finding(
                    .manifestBadPayload, selected ? .error : .warning, offset: s.offset, length: s.header.totalLength,
                    segmentIndex: s.index, segmentType: .manifest,
                    message: "Manifest payload does not decode: \(error)"
                        + (selected ? "" : " (not the selected manifest; the engine never reads it)")))
            return false
        }
    }

    /// A Checkpoint held whole: its framing decoded, then (full decode) its contents.
    func checkCheckpoint(_ s: SegmentEvent, payload payloadView: UnsafeRawBufferPointer) {
        if let streamed = checkpoints.streamed {
            checkpoints.streamed = nil
            settleCheckpoint(
                s, streamed.framing, contentFault: streamed.contentFault, structures: streamed.catalogStructures,
                version: streamed.version)
            return
        }
        let version = payloadView.count >= 2 ? payloadView.loadUnaligned(as: UInt16.self).littleEndian : nil
        guard s.payloadCRCMatches else {
            settleCheckpoint(s, nil, contentFault: nil, structures: 0, version: version)
            return
        }
        let decoded: CheckpointPayload
        do throws(FormatError) {
            decoded = try CheckpointPayload(
                parsing: payloadView, at: s.payloadOffset,
                structureLimit: catalogFrozenAt == nil ? catalogStructuresLeft : 0)
        } catch {
            settleCheckpoint(s, .failure(error), contentFault: nil, structures: 0, version: version)
            return
        }
        let content = options.deep ? deep.checkpoint(payloadView, at: s.payloadOffset, decoded: decoded) : nil
        settleCheckpoint(
            s,
            .success(
                CheckpointFraming(
                    replayFromOffset: decoded.replayFromOffset, catalogEntries: decoded.catalogEntries,
                    rowTally: decoded.rowTally, indexStateBytes: UInt64(decoded.indexRange.count))),
            contentFault: content, structures: decoded.catalogStructures, version: version)
    }

    /// Judges a Checkpoint (see `CheckpointCheck.settle`) and applies what follows from it.
    func settleCheckpoint(
        _ s: SegmentEvent, _ payload: Result<CheckpointFraming, FormatError>?,
        contentFault: (String, EngineError)?, structures: Int, version: UInt16?
    ) {
        catalogStructuresLeft -= structures
        switch checkpoints.settle(
            s, payload, contentFault: contentFault, version: version, committed: framing.committed, cursor: cursor,
            into: &sink)
        {
        case .nothing: break
        case .freezeCatalog: freezeCatalog(at: s.offset)
        case .use(let entries, let from): replay.useCheckpoint(entries: entries, offset: s.offset, replayFrom: from)
        }
    }
}
