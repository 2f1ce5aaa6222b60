#if canImport(Glibc)
import Glibc
#endif
import ModelVaultFormat

/// Options of one check.
public struct CheckOptions: Sendable {
    public var deep = false
    public var findingLimit = 10_000
    public init(deep: Bool = false) { self.deep = deep }
}

/// The forensic walk over one input: header, superblocks, then every segment in one forward
/// pass with bounded memory, resynchronising after unreadable stretches. It reports every
/// fault it meets and predicts what the engine's open would do.
public final class LogWalker {
    private let cursor: StreamCursor
    private let options: CheckOptions
    private var sink: FindingSink
    private var stats = Report.SegmentStats()
    private var header: FileHeader?
    private var superblocks: [(Superblock, selected: Bool)] = []
    private var framing = TransactionFraming(minor: Layout.transactionalMinor)
    private var scan = EngineScan(minor: Layout.transactionalMinor)
    private var replay = ReplayModel()
    private var deep = DeepCheck()
    private var manifestTarget: ManifestTarget?
    /// Each slot's manifest pointer, probed so a repair can tell whether the slot still fits.
    private var slotManifests: [Superblock.Slot: ManifestTarget] = [:]
    private var checkpointTarget: CheckpointTarget?
    private var replayFrom: UInt64?
    private var committedAtCheckpointEnd: Int?
    private var committedAtReplayFrom: Int?
    private var minor: UInt16 = Layout.transactionalMinor
    /// A fatal fault before the log (header, superblocks): the engine opens nothing.
    private var preLogFatal: String?
    private var special: Special?
    private var payload: [UInt8] = []
    private var segmentIndex = 0
    private var beyondBreak = false
    private var firstBreak: UInt64?

    private enum Special { case empty, legacyStub }

    /// Observers for tools that list structures as the walk meets them (`walk`).
    public var onSegment: ((SegmentSummary) -> Void)?
    public var onPrelude: ((FileHeader?, [(Superblock, selected: Bool)]) -> Void)?
    public var onFinding: ((Finding) -> Void)? {
        get { sink.observer }
        set { sink.observer = newValue }
    }

    public init(source: ByteSource, options: CheckOptions = CheckOptions()) {
        cursor = StreamCursor(source: source)
        self.options = options
        sink = FindingSink(limit: options.findingLimit)
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
    /// `containerFault` is asked once the input is exhausted (a truncated or corrupt gzip stream).
    public func run(command: String, path: String, compressed: Bool = false,
                    containerFault: () -> Finding? = { nil }) throws -> Report {
        try walkPrelude()
        onPrelude?(header, superblocks)
        if cursor.position == UInt64(Layout.logStart) { try walkSegments() }
        _ = try cursor.drain()
        // A stop request that raced with the end of the input.
        try Interruption.check()
        if let fault = containerFault() { sink.add(fault) }
        let fileLength = cursor.position
        return finish(command: command, path: path, compressed: compressed, fileLength: fileLength)
    }

    // MARK: header and superblocks

    private func walkPrelude() throws {
        let available = try cursor.request(Int(Layout.logStart))
        if available == 0 {
            special = .empty
            sink.add(Finding(.headerTruncated, .error, offset: 0, length: 0,
                             message: "the file is empty: a read-write open would initialise it as a new database"))
            return
        }
        guard available >= Layout.fileHeaderSize else {
            preLogFatal = "truncated_header: file is \(available) bytes, a header needs 32"
            sink.add(Finding(.headerTruncated, .error, offset: 0, length: UInt64(available),
                             message: "file is \(available) bytes long; the header alone needs 32"))
            return
        }
        let fileHeader = try FileHeader(parsing: cursor.window)
        header = fileHeader
        checkHeader(fileHeader, available: available)
        guard available >= Int(Layout.logStart) else {
            if special == nil, preLogFatal == nil {
                preLogFatal = "truncated_superblock: got \(available) bytes, expected 8224"
            }
            if special == nil {
                sink.add(Finding(.superblockTruncated, .error, offset: UInt64(Layout.fileHeaderSize),
                                 length: UInt64(available - Layout.fileHeaderSize),
                                 message: "file ends at \(available) bytes, inside the superblocks (the log starts at 8224)"))
            }
            return
        }
        let window = cursor.window
        let a = try Superblock(slot: .a, parsing: UnsafeRawBufferPointer(rebasing: window[32..<4128]))
        let b = try Superblock(slot: .b, parsing: UnsafeRawBufferPointer(rebasing: window[4128..<8224]))
        let selection = SuperblockSelection(a: a, b: b)
        superblocks = [(a, selection.selectedSlot == .a), (b, selection.selectedSlot == .b)]
        checkSuperblocks(a, b, selection)
        settleMinor(fileHeader, a, b, selection)
        for slot in [a, b] where slot.isSound && slot.manifestOffset != 0 {
            slotManifests[slot.slot] = ManifestTarget(offset: slot.manifestOffset,
                                                      probe: cursor.probe(at: slot.manifestOffset, length: Layout.segmentHeaderSize + 2))
        }
        if let slot = selection.selectedSlot {
            let chosen = slot == .a ? a : b
            manifestTarget = slotManifests[slot]
            if chosen.version == 1 && chosen.checkpointOffset != 0 {
                checkpointTarget = CheckpointTarget(offset: chosen.checkpointOffset, length: chosen.checkpointLength,
                                                    probe: cursor.probe(at: chosen.checkpointOffset, length: Layout.segmentHeaderSize))
            }
        }
        try cursor.consume(Int(Layout.logStart))
    }

    private func checkHeader(_ h: FileHeader, available: Int) {
        if !h.hasValidMagic {
            preLogFatal = "bad_magic: expected \"TDB0\", found \(Hex.bytes(h.magic))"
            sink.add(Finding(.headerBadMagic, .error, offset: 0, length: 4,
                             message: "file magic is \(Hex.bytes(h.magic)), expected \"TDB0\": not recognisable as a ModelVault file header"))
        } else if !h.isSupportedVersion {
            preLogFatal = "unsupported_version: unsupported format version \(h.formatMajor).\(h.formatMinor)"
            sink.add(Finding(.headerUnsupportedVersion, .error, offset: 4, length: 4,
                             message: "format version \(h.formatMajor).\(h.formatMinor) is not one the engine accepts (0.2 to 0.6)"))
        } else if h.formatMinor == 2 {
            if available == Layout.fileHeaderSize {
                special = .legacyStub
                sink.add(Finding(.headerLegacyStub, .warning, offset: 0, length: 32,
                                 message: "a 32-byte format 0.2 stub: a read-write open rebuilds it in place as an empty database"))
            } else {
                preLogFatal = "unsupported_version: unsupported format version 0.2"
                sink.add(Finding(.headerUnsupportedVersion, .error, offset: 4, length: 4,
                                 message: "format version 0.2 on a file longer than its header: the engine refuses it"))
            }
        }
        if h.headerSize != UInt32(Layout.fileHeaderSize) {
            sink.add(Finding(.headerBadSize, .warning, offset: 8, length: 4,
                             message: "header size field is \(h.headerSize), expected 32 (the engine ignores it)"))
        }
        if h.flags != 0 || h.reservedNonZero {
            sink.add(Finding(.headerNonzeroReserved, .info, offset: 12, length: 20,
                             message: "header flags or reserved bytes are not zero (the engine ignores them)"))
        }
    }

    private func checkSuperblocks(_ a: Superblock, _ b: Superblock, _ selection: SuperblockSelection) {
        for slot in [a, b] {
            let fatal: Bool
            switch selection {
            case .noneSound: fatal = true
            case let .newerSlotUnsound(bad): fatal = bad == slot.slot
            case .selected: fatal = false
            }
            let severity: Finding.Severity = fatal ? .error : .warning
            let consequence = fatal ? "" : " (the engine uses the other slot)"
            let length = UInt64(slot.version == 1 ? 52 : 36)
            if !slot.hasValidMagic {
                sink.add(Finding(.superblockBadMagic, severity, offset: slot.slot.offset, length: 4,
                                 message: "superblock \(slot.slot.rawValue) magic is \(Hex.bytes(slot.magic)), expected \"TSB0\"\(consequence)"))
            } else if !slot.isRecognised {
                sink.add(Finding(.superblockUnsupportedVersion, severity, offset: slot.slot.offset + 4, length: 2,
                                 message: "superblock \(slot.slot.rawValue) version \(slot.version) is neither 0 nor 1\(consequence)"))
            } else if slot.checksumKind != 0 {
                sink.add(Finding(.superblockBadChecksum, severity, offset: slot.slot.offset + 28, length: 1,
                                 message: "superblock \(slot.slot.rawValue) (generation \(slot.generation)) has checksum kind \(slot.checksumKind), expected 0\(consequence)"))
            } else if !slot.checksumMatches {
                let why = fatal && selection != .noneSound
                    ? ": its generation is above every sound slot's, so the engine refuses the file"
                    : consequence
                sink.add(Finding(.superblockBadChecksum, severity, offset: slot.slot.offset, length: length,
                                 message: "superblock \(slot.slot.rawValue) (generation \(slot.generation)) CRC-32C \(Hex.u32(slot.computedCRC)) does not match stored \(Hex.u32(slot.storedCRC))\(why)"))
            }
        }
        switch selection {
        case .noneSound:
            preLogFatal = "bad_superblock_checksum: superblock checksum mismatch (no sound superblock)"
            sink.add(Finding(.superblockNoneValid, .error, offset: Layout.superblockAOffset, length: 8192,
                             message: "neither superblock is sound: the engine refuses the file"))
        case let .newerSlotUnsound(slot):
            preLogFatal = "bad_superblock_checksum: superblock checksum mismatch (slot \(slot.rawValue) is newer and unsound)"
        case .selected:
            break
        }
    }

    /// The minor whose rules apply: the header's when it can say, else inferred from the
    /// superblocks (version 1 is written only by minor-6 engines).
    private func settleMinor(_ h: FileHeader, _ a: Superblock, _ b: Superblock, _ selection: SuperblockSelection) {
        if h.hasValidMagic, h.formatMajor == 0, (3...6).contains(h.formatMinor) {
            minor = h.formatMinor
        } else {
            minor = [a, b].contains { $0.isSound && $0.version == 1 } || ![a, b].contains(where: \.isSound)
                ? Layout.transactionalMinor : 5
        }
        framing = TransactionFraming(minor: minor)
        scan = EngineScan(minor: minor)
    }

    // MARK: segments

    private func walkSegments() throws {
        while true {
            let offset = cursor.position
            noteBoundary(offset)
            let available = try cursor.request(Layout.segmentHeaderSize)
            if available == 0 { return }
            if available < Layout.segmentHeaderSize {
                scan.tornEnd()
                framing.noteDamage()
                sink.add(Finding(.segmentTruncatedHeader, .error, offset: offset, length: UInt64(available),
                                 segmentIndex: segmentIndex,
                                 message: "\(available) bytes at the end are too few for a segment header (torn write)"))
                return
            }
            let header = SegmentHeader(parsing: cursor.window)
            if let fault = header.fault {
                reportHeaderFault(fault, header: header, at: offset)
                if checkpointTarget?.offset == offset {
                    checkpointTarget?.state = .badHeader("checkpoint pointer \(offset): \(fault.description)")
                }
                guard try resynchronise(after: offset) else { return }
                continue
            }
            try cursor.consume(Layout.segmentHeaderSize)
            guard try walkPayload(header, at: offset) else { return }
        }
    }

    private func noteBoundary(_ offset: UInt64) {
        if let replayFrom, offset == replayFrom {
            checkpointTarget?.replayFromBoundary = (true, framing.open != nil)
            committedAtReplayFrom = framing.committed
        }
    }

    private func reportHeaderFault(_ fault: SegmentHeaderFault, header: SegmentHeader, at offset: UInt64) {
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
        sink.add(Finding(code, .error, offset: offset, length: UInt64(Layout.segmentHeaderSize),
                         segmentIndex: segmentIndex, segmentType: header.type,
                         message: fault.description + (beyondBreak ? "" : "; the engine stops here")))
    }

    /// Streams one payload through the CRC, capturing what must be decoded. Returns false when
    /// the input ends inside it.
    private func walkPayload(_ header: SegmentHeader, at offset: UInt64) throws -> Bool {
        let type = header.type!
        let captureLimit: Int
        switch type {
        case .record: captureLimit = options.deep ? Int.max : onSegment == nil ? RecordPreamble.length : 4096
        case .temp: captureLimit = 0
        case .index: captureLimit = options.deep ? Int.max : onSegment == nil ? 0 : 6
        default: captureLimit = Int.max
        }
        payload.removeAll(keepingCapacity: payload.capacity <= 1 << 20)
        var crc: UInt32 = 0
        let streamed: UInt64
        let length = header.payloadLength
        if length <= UInt64(cursor.capacity / 2), try cursor.request(Int(length)) >= Int(length) {
            // The common case: the whole payload is in the buffer.
            let bytes = UnsafeRawBufferPointer(rebasing: cursor.window.prefix(Int(length)))
            crc = CRC32C.checksum(bytes)
            if captureLimit > 0 { payload.append(contentsOf: bytes.prefix(captureLimit)) }
            try cursor.consume(Int(length))
            streamed = length
        } else {
            streamed = try cursor.stream(length) { chunk in
                crc = CRC32C.checksum(chunk, continuing: crc)
                let room = captureLimit - payload.count
                if room > 0 { payload.append(contentsOf: chunk.prefix(room)) }
            }
        }
        guard streamed == header.payloadLength else {
            scan.tornEnd()
            framing.noteDamage()
            sink.add(Finding(.segmentPayloadPastEOF, .error, offset: offset, length: header.totalLength,
                             segmentIndex: segmentIndex, segmentType: type,
                             message: "\(type.name) payload of \(header.payloadLength) bytes runs past the end of the input (\(streamed) present): torn write or damaged length"))
            if checkpointTarget?.offset == offset {
                checkpointTarget?.state = .badPayload("checkpoint at \(offset): payload runs past end of store")
            }
            return false
        }
        var event = SegmentEvent(index: segmentIndex, offset: offset, header: header, type: type,
                                 payloadCRC: crc, beyondBreak: beyondBreak, marker: nil)
        if type.isMarker {
            event.marker = payload.withUnsafeBytes { bytes in
                Result(decoding: { try TxnMarker(parsing: bytes, at: event.payloadOffset) })
            }
        }
        process(event)
        segmentIndex += 1
        return true
    }

    private func process(_ s: SegmentEvent) {
        stats.add(s.type, bytes: s.header.totalLength)
        if !s.payloadCRCMatches { reportPayloadChecksum(s) }
        let intactManifest = s.type == .manifest && s.payloadCRCMatches && checkManifest(s)
        if intactManifest { framing.noteIntactManifest(at: s.offset) }
        if !s.beyondBreak { scan.segment(s, intactManifest: intactManifest) }
        let txnBefore = framing.open?.id
        let effect = framing.observe(s, into: &sink)
        var catalogEntry: Result<CatalogEntry, FormatError>?
        var record: RecordPreamble?
        if s.payloadCRCMatches {
            switch s.type {
            case .schema:
                catalogEntry = payload.withUnsafeBytes { bytes in
                    Result(decoding: { try CatalogEntry(parsing: bytes, at: s.payloadOffset) })
                }
            case .record:
                record = payload.withUnsafeBytes { try? RecordPreamble(parsing: $0, at: s.payloadOffset) }
            case .manifest:
                break
            case .checkpoint:
                break
            default:
                break
            }
        }
        if s.type == .checkpoint { checkCheckpoint(s) }
        let deepFault = options.deep && s.payloadCRCMatches ? deepDecode(s, txnId: txnBefore) : nil
        replay.observe(s, effect: effect, catalogEntry: catalogEntry, record: record, deepFault: deepFault,
                       framing: &framing, into: &sink)
        if let onSegment {
            let detail = payload.withUnsafeBytes { SegmentDescription.describe(s, payload: $0, catalogEntry: catalogEntry) }
            onSegment(SegmentSummary(event: s, effect: effect, detail: detail))
        }
    }

    /// `--deep`: decodes a Record or Index payload against the catalog in force.
    private func deepDecode(_ s: SegmentEvent, txnId: UInt64?) -> ReplayModel.Fault? {
        let fault: DeepCheck.Fault?
        switch s.type {
        case .record:
            let catalog = replay.catalogWithStaged
            fault = payload.withUnsafeBytes { deep.record(s, payload: $0, catalog: catalog, txnId: txnId) }
        case .index:
            var warnings: [Finding] = []
            let catalog = replay.catalogWithStaged
            fault = payload.withUnsafeBytes { deep.index(s, payload: $0, catalog: catalog, txnId: txnId, warnings: &warnings) }
            for warning in warnings { sink.add(warning) }
        default:
            return nil
        }
        guard let fault else { return nil }
        sink.add(fault.finding)
        return ReplayModel.Fault(position: s.end, variant: fault.variant, message: fault.finding.message)
    }

    private func reportPayloadChecksum(_ s: SegmentEvent) {
        let text = "\(s.type.name) payload CRC-32C \(Hex.u32(s.payloadCRC)) does not match stored \(Hex.u32(s.header.payloadCRC))"
        switch s.type {
        case .temp:
            sink.add(Finding(.tempPayloadChecksum, .warning, offset: s.offset, length: s.header.totalLength,
                             segmentIndex: s.index, segmentType: .temp,
                             message: text + " (Temp payloads are scratch space; the engine never checks them)"))
        case .checkpoint:
            let used = checkpointTarget?.offset == s.offset
            sink.add(Finding(.checkpointPayloadChecksum, used ? .error : .warning, offset: s.offset, length: s.header.totalLength,
                             segmentIndex: s.index, segmentType: .checkpoint,
                             message: text + (used ? " (the selected superblock points here: strict opens fail)" : " (an older checkpoint the engine never reads)")))
        default:
            let where_ = framing.open.map { " inside transaction \($0.id) begun at \($0.offset)" } ?? ""
            sink.add(Finding(.segmentPayloadChecksum, .error, offset: s.offset, length: s.header.totalLength,
                             segmentIndex: s.index, segmentType: s.type, txnId: s.txnId ?? framing.open?.id,
                             message: text + where_))
        }
    }

    /// Decodes a Manifest payload; reports and returns false when it does not decode.
    private func checkManifest(_ s: SegmentEvent) -> Bool {
        do {
            _ = try payload.withUnsafeBytes { try ManifestPayload(parsing: $0, at: s.payloadOffset) }
            return true
        } catch {
            let selected = manifestTarget?.offset == s.offset
            sink.add(Finding(.manifestBadPayload, selected ? .error : .warning, offset: s.offset, length: s.header.totalLength,
                             segmentIndex: s.index, segmentType: .manifest,
                             message: "Manifest payload does not decode: \(error)" + (selected ? "" : " (not the selected manifest; the engine never reads it)")))
            return false
        }
    }

    private func checkCheckpoint(_ s: SegmentEvent) {
        let isTarget = checkpointTarget?.offset == s.offset
        var state: CheckpointTarget.State
        var catalogEntries: [CatalogEntry] = []
        if !s.payloadCRCMatches {
            state = .badPayload("checkpoint at \(s.offset): payload CRC mismatch")
        } else {
            do {
                let decoded = try payload.withUnsafeBytes { try CheckpointPayload(parsing: $0, at: s.payloadOffset) }
                catalogEntries = decoded.catalogEntries
                state = decoded.replayFromOffset < s.end
                    ? .replayBeforeEnd(replayFrom: decoded.replayFromOffset, end: s.end)
                    : .usable(replayFrom: decoded.replayFromOffset, end: s.end)
                if options.deep, let problem = payload.withUnsafeBytes({ DeepCheck.checkpoint($0, at: s.payloadOffset, decoded: decoded) }) {
                    state = .badPayload("checkpoint at \(s.offset): \(problem)")
                    sink.add(Finding(.checkpointBadPayload, isTarget ? .error : .warning, offset: s.offset, length: s.header.totalLength,
                                     segmentIndex: s.index, segmentType: .checkpoint,
                                     message: problem + (isTarget ? "" : " (not the selected checkpoint)")))
                }
            } catch {
                state = .badPayload("checkpoint at \(s.offset): \(error)")
                sink.add(Finding(.checkpointBadPayload, isTarget ? .error : .warning, offset: s.offset, length: s.header.totalLength,
                                 segmentIndex: s.index, segmentType: .checkpoint,
                                 message: "Checkpoint payload does not decode: \(error)" + (isTarget ? "" : " (not the selected checkpoint)")))
            }
        }
        guard isTarget else { return }
        checkpointTarget?.state = state
        committedAtCheckpointEnd = framing.committed
        if case let .usable(from, _) = state {
            replayFrom = from
            replay.useCheckpoint(entries: catalogEntries, offset: s.offset, replayFrom: from)
        }
    }

    /// After an unreadable header at `offset`: finds the next offset holding a segment header
    /// that passes every check, reporting the stretch in between. Returns false at end of input.
    private func resynchronise(after offset: UInt64) throws -> Bool {
        var allZero = true
        func pass(_ count: Int) throws {
            if allZero, !Self.isZero(UnsafeRawBufferPointer(rebasing: cursor.window.prefix(count))) { allZero = false }
            try cursor.consume(count)
        }
        try pass(1)
        while true {
            let available = try cursor.request(Layout.segmentHeaderSize)
            if available == 0 { break }
            let window = cursor.window
            let base = window.baseAddress!
            var from = 0
            var passUpTo = available
            while from < available, let hit = memchr(base + from, 0x54, available - from) {
                let i = base.distance(to: UnsafeRawPointer(hit))
                if available - i < Layout.segmentHeaderSize {
                    passUpTo = cursor.sourceEnded ? available : i
                    break
                }
                let candidate = SegmentHeader(parsing: UnsafeRawBufferPointer(rebasing: window[i..<(i + Layout.segmentHeaderSize)]))
                if candidate.fault == nil {
                    try pass(i)
                    let skipped = cursor.position - offset
                    beyondBreak = true
                    sink.add(Finding(.logResynchronized, .warning, offset: offset, length: skipped,
                                     message: "\(skipped) unreadable bytes\(allZero ? " (all zero)" : ""); the walk resumes at the next valid segment header at \(cursor.position), which the engine never reaches"))
                    return true
                }
                from = i + 1
            }
            if passUpTo == 0 && available < Layout.segmentHeaderSize && cursor.sourceEnded { passUpTo = available }
            try pass(passUpTo)
        }
        let skipped = cursor.position - offset
        sink.add(Finding(allZero ? .tailZeroFilled : .tailTrailingGarbage, .error, offset: offset, length: skipped,
                         message: allZero
                            ? "\(skipped) zero bytes from \(offset) to the end: no segment can be read there (preallocated or zeroed tail)"
                            : "\(skipped) unreadable bytes from \(offset) to the end hold no valid segment header"))
        return false
    }

    private static func isZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return true }
        if base.load(as: UInt8.self) != 0 { return false }
        return memcmp(base, base + 1, bytes.count - 1) == 0
    }

    // MARK: the end

    private func finish(command: String, path: String, compressed: Bool, fileLength: UInt64) -> Report {
        framing.finish(fileLength: fileLength, into: &sink)
        checkpointTarget?.settleFromProbe()
        reportReplayFaults(fileLength: fileLength)
        if deep.uniqueBudgetExhausted {
            sink.add(Finding(.deepUniqueBudget, .info, offset: 0, length: 0,
                             message: "unique-index checks stopped after \(DeepCheck.uniqueKeyBudget) keys to keep memory bounded"))
        }
        let prediction = predict(fileLength: fileLength)
        reportPointers(fileLength: fileLength)
        if framing.pastBreak, let firstBreak {
            sink.add(Finding(.logDataBeyondBreak, .info, offset: firstBreak, length: 0,
                             message: "\(framing.committedBeyondBreak) committed transaction(s) lie intact beyond the first unreadable stretch, where the engine stops"))
        }
        if let reason = prediction.truncateReason, prediction.autoTruncateOpens || prediction.modifiesFile {
            let keptEnd = fileLength - prediction.truncatedBytes
            sink.add(Finding(.logDataBeyondCut, .info, offset: keptEnd, length: prediction.truncatedBytes,
                             message: "an AutoTruncate open cuts the file at \(keptEnd) (\(reason)), discarding \(prediction.truncatedBytes) bytes and \(prediction.committedTransactionsLost) committed transaction(s)"))
        }
        let verdict: Verdict
        if special == .empty {
            verdict = .unrecoverable
        } else if prediction.strictOpens && prediction.autoTruncateOpens && prediction.truncatedBytes == 0
                    && sink.errorCount == 0 {
            verdict = .clean
        } else if prediction.autoTruncateOpens {
            verdict = .recoverable
        } else {
            verdict = recordSafeSalvageEnd(fileLength) > Layout.logStart ? .repairable : .unrecoverable
        }
        var transactions = Report.TransactionStats()
        transactions.committed = framing.committed
        transactions.aborted = framing.aborted
        transactions.uncommitted = framing.uncommitted
        transactions.maxTxnId = framing.maxTxnId
        return Report(command: command, file: .init(path: path, size: fileLength, compressed: compressed),
                      verdict: verdict, header: header, superblocks: superblocks, segments: stats,
                      transactions: transactions, catalog: replay.catalog, engine: prediction,
                      findings: sink.findings.enumerated().sorted { ($0.element.offset, $0.offset) < ($1.element.offset, $1.offset) }.map(\.element),
                      findingsDropped: sink.dropped,
                      errorCount: sink.errorCount, warningCount: sink.warningCount,
                      salvageEnd: recordSafeSalvageEnd(fileLength), formatMinor: minor,
                      salvage: salvageFacts(prediction: prediction, fileLength: fileLength))
    }

    /// Record references that never resolve; and, when the engine replays from the selected
    /// checkpoint, faults before its `replay_from_offset` become warnings: the engine never sees them.
    private func reportReplayFaults(fileLength: UInt64) {
        guard let target = checkpointTarget, case let .replayFrom(start) = target.use(fileLength: fileLength),
              case let .usable(replayFrom, _) = target.state else {
            for finding in replay.unresolvedReferenceFindings(fileLength: fileLength) { sink.add(finding) }
            return
        }
        let hidden: Set<Finding.Code> = [.catalogBadPayload, .catalogInconsistent, .txnUnframedSegment,
                                         .recordBadPayload, .indexBadPayload, .indexUniqueViolation]
        sink.revise { finding in
            guard hidden.contains(finding.code), finding.offset < replayFrom, finding.severity == .error else { return }
            finding.severity = .warning
            finding.message += " (before the checkpoint's replay_from_offset \(replayFrom): the engine never replays it)"
        }
        for var finding in replay.unresolvedReferenceFindings(fileLength: fileLength) where finding.offset < replayFrom {
            finding.severity = .warning
            finding.message += " (before the checkpoint's replay_from_offset \(replayFrom): the engine never replays it)"
            sink.add(finding)
        }
        guard start != nil, let state = replay.fromCheckpoint else { return }
        for (key, origin) in state.references {
            guard let fault = state.fault(for: key, at: origin.position, keptEnd: fileLength) else { continue }
            sink.add(Finding(fault.variant == "unknown_collection" ? .recordUnknownCollection : .recordUnknownSchemaVersion, .error,
                             offset: origin.txnStart, length: 0, segmentType: .record,
                             message: fault.message + " in the checkpoint's catalog (applied by the commit ending at \(origin.position))"))
        }
    }

    private func salvageFacts(prediction: EnginePrediction, fileLength: UInt64) -> SalvageFacts {
        let followsEngine = prediction.autoTruncateOpens && special == nil
        var keepEnd = followsEngine ? fileLength - prediction.truncatedBytes : salvageEnd(fileLength)
        var keptManifest = followsEngine ? scan.keptManifest(fileLength: fileLength) : framing.cleanPrefixManifest
        var committedKept = framing.committedInCleanPrefix
        // A record naming a collection or version the kept catalog lacks: end before its transaction.
        while !followsEngine, let origin = replay.log.recordFault(keptEnd: keepEnd)?.origin,
              origin.txnStart < keepEnd {
            keepEnd = origin.txnStart
            keptManifest = origin.manifestBefore
            committedKept = min(committedKept, origin.committedBefore)
        }
        var keptCheckpoint: (UInt64, UInt32)?
        if let target = checkpointTarget, case let .replayFrom(start) = target.use(fileLength: keepEnd),
           start == nil || start! < keepEnd {
            keptCheckpoint = (target.offset, target.length)
        }
        var consistent = Set<String>()
        for (slot, _) in superblocks where slot.isSound {
            let manifestFits = slot.manifestOffset == 0
                || (slot.manifestOffset < keepEnd && slotManifests[slot.slot]?.strictFailure(fileLength: keepEnd) == nil)
            let checkpointFits = slot.checkpointOffset == 0 || slot.checkpointLength == 0
                || keptCheckpoint.map { $0.0 == slot.checkpointOffset && $0.1 == slot.checkpointLength } == true
            if manifestFits && checkpointFits { consistent.insert(slot.slot.rawValue) }
        }
        let dropped = followsEngine ? prediction.committedTransactionsLost : framing.committed - committedKept
        return SalvageFacts(keepEnd: keepEnd, followsEngine: followsEngine, keptManifest: keptManifest,
                            keptCheckpoint: keptCheckpoint, consistentSlots: consistent, droppedTransactions: max(0, dropped))
    }

    private func salvageEnd(_ fileLength: UInt64) -> UInt64 {
        fileLength < Layout.logStart ? 0 : framing.cleanPrefixEnd
    }

    /// The clean prefix, shortened past any record whose collection or schema version it lacks.
    private func recordSafeSalvageEnd(_ fileLength: UInt64) -> UInt64 {
        var end = salvageEnd(fileLength)
        while let origin = replay.log.recordFault(keptEnd: end)?.origin, origin.txnStart < end {
            end = origin.txnStart
        }
        return end
    }

    private func predict(fileLength: UInt64) -> EnginePrediction {
        let basis: EnginePrediction.Basis = options.deep ? .deep : .framing
        switch special {
        case .empty, .legacyStub: return .initialises(basis: basis)
        case nil: break
        }
        if let fatal = preLogFatal { return .fails(fatal, basis: basis) }
        let inputs = EngineInputs(fileLength: fileLength, manifest: manifestTarget, checkpoint: checkpointTarget,
                                  scan: scan, replay: replay, committedTransactions: framing.committed, basis: basis)
        return inputs.predict()
    }

    private func reportPointers(fileLength: UInt64) {
        for (slot, selected) in superblocks {
            if !selected {
                if slot.isRecognised, slot.manifestOffset > fileLength {
                    sink.add(Finding(.superblockManifestOutOfBounds, .warning, offset: slot.slot.offset + 16, length: 8,
                                     message: "superblock \(slot.slot.rawValue) (not selected) points at a manifest at \(slot.manifestOffset), past the end (\(fileLength))"))
                }
                continue
            }
            if let target = manifestTarget, let failure = target.strictFailure(fileLength: fileLength) {
                let past = target.offset >= fileLength || !target.probe.isComplete
                sink.add(Finding(past ? .superblockManifestOutOfBounds : .superblockManifestNotAManifest, .error,
                                 offset: slot.slot.offset + 16, length: 8,
                                 message: "superblock \(slot.slot.rawValue) manifest pointer: \(failure); a strict open fails"))
            }
            guard let target = checkpointTarget, target.length != 0 else { continue }
            if target.offset >= fileLength || target.offset < Layout.logStart {
                sink.add(Finding(.superblockCheckpointOutOfBounds, .warning, offset: slot.slot.offset + 36, length: 12,
                                 message: "superblock \(slot.slot.rawValue) checkpoint pointer \(target.offset) lies outside the log (ignored by the engine)"))
                continue
            }
            switch target.state {
            case let .badHeader(message):
                sink.add(Finding(.superblockCheckpointNotACheckpoint, .error, offset: slot.slot.offset + 36, length: 12,
                                 message: message + "; a strict open fails"))
            case let .otherType(type):
                sink.add(Finding(.superblockCheckpointNotACheckpoint, .warning, offset: slot.slot.offset + 36, length: 12,
                                 message: "checkpoint pointer \(target.offset) leads to a \(type.name) segment (ignored by the engine)"))
            case let .replayBeforeEnd(from, end):
                sink.add(Finding(.checkpointReplayFrom, .error, offset: target.offset, length: 0, segmentType: .checkpoint,
                                 message: "replay_from_offset \(from) is before the checkpoint's end \(end): the engine refuses the file"))
            case let .usable(from, _):
                if from < fileLength && !target.replayFromBoundary.hit {
                    sink.add(Finding(.checkpointReplayFrom, .error, offset: target.offset, length: 0, segmentType: .checkpoint,
                                     message: "replay_from_offset \(from) is not on a segment boundary: the engine refuses the file"))
                } else if from < fileLength && target.replayFromBoundary.insideTransaction {
                    sink.add(Finding(.checkpointReplayFrom, .error, offset: target.offset, length: 0, segmentType: .checkpoint,
                                     message: "replay_from_offset \(from) lies inside a transaction: the engine refuses the file"))
                }
                let hidden = (committedAtReplayFrom ?? framing.committed) - (committedAtCheckpointEnd ?? 0)
                if hidden > 0 {
                    sink.add(Finding(.checkpointHidesCommits, .warning, offset: target.offset, length: 0, segmentType: .checkpoint,
                                     message: "replay_from_offset \(from) skips \(hidden) committed transaction(s) after the checkpoint: the engine opens without them"))
                }
            case .badPayload, .unseen:
                break
            }
        }
    }
}

/// One segment as `walk` lists it.
public struct SegmentSummary: Sendable {
    public var index: Int
    public var offset: UInt64
    public var type: SegmentType
    public var payloadLength: UInt64
    public var payloadCRCMatches: Bool
    public var txnId: UInt64?
    public var beyondBreak: Bool
    public var storedPayloadCRC: UInt32
    public var computedPayloadCRC: UInt32
    /// A one-line decoded summary of the payload.
    public var detail: String

    public var totalLength: UInt64 { UInt64(Layout.segmentHeaderSize) + payloadLength }

    init(event: SegmentEvent, effect: TransactionFraming.Effect, detail: String) {
        self.detail = detail
        storedPayloadCRC = event.header.payloadCRC
        computedPayloadCRC = event.payloadCRC
        index = event.index
        offset = event.offset
        type = event.type
        payloadLength = event.header.payloadLength
        payloadCRCMatches = event.payloadCRCMatches
        beyondBreak = event.beyondBreak
        switch effect {
        case let .staged(id), let .begin(id), let .commit(id, _): txnId = id
        default: txnId = event.txnId
        }
    }
}
