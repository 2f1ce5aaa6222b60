import ModelVaultFormat

/// What the walk needs of a Checkpoint payload's framing, however it was decoded.
struct CheckpointFraming {
    var replayFromOffset: UInt64
    var catalogEntries: [CatalogEntry]
    var rowTally = CheckpointRowTally()
    var indexStateBytes: UInt64 = 0
}

/// A Checkpoint payload too large to hold at once, decoded as it streams past: its framing
/// (version, `replay_from_offset`, catalog entries, row and index-state lengths) with the same
/// faults at the same offsets as `CheckpointPayload`, holding one element at a time. With the
/// full decode, each row and the index state are checked as they complete, against the
/// checkpoint's own catalog. One element (a catalog entry, a row, the index state) is held at
/// a time, whole: unlike a Record segment above 16 MiB, one huge row is not yet streamed.
struct CheckpointStream {
    /// What the whole-payload decode would have given.
    struct Outcome {
        var framing: Result<CheckpointFraming, FormatError>
        /// The first row or index-state fault (full decode), with the engine's error for it.
        var contentFault: (String, EngineError)?
        var catalogStructures: Int
        /// The payload's version field, when the payload holds one.
        var version: UInt16?
    }

    private enum Element {
        case version, replayFrom, entryCount, entryLength, entry, rowCount, rowLength, row, rowHead, rowTail
        case indexLength, index, end
    }

    let payloadOffset: UInt64
    let length: UInt64
    let deep: Bool
    let structureLimit: Int

    private var position: UInt64 = 0
    private var element = Element.version
    private var need = 2
    private var pending: [UInt8] = []
    private var skipping = false
    private var left: UInt32 = 0

    private var version: UInt16 = 0
    private var replayFrom: UInt64 = 0
    private var entries: [CatalogEntry] = []
    private var rowCount: UInt32 = 0
    private var rowTally = CheckpointRowTally()
    /// Bytes of the current row after its head, when the row is not held whole.
    private var rowTail = 0
    private var indexStateBytes: UInt64 = 0
    private var catalog: Catalog?
    private var framingError: FormatError?
    private var contentFault: (String, EngineError)?
    private var structures = 0
    private var valuesVisited = 0

    init(payloadOffset: UInt64, length: UInt64, deep: Bool, structureLimit: Int) {
        self.payloadOffset = payloadOffset
        self.length = length
        self.deep = deep
        self.structureLimit = structureLimit
        begin(.version, need: 2)
    }

    /// Feeds the next bytes of the payload, in order.
    mutating func feed(_ chunk: UnsafeRawBufferPointer) {
        var rest = chunk[...]
        while !rest.isEmpty, framingError == nil, element != .end {
            let take = min(rest.count, need - (skipping ? 0 : pending.count))
            if !skipping { pending.append(contentsOf: rest.prefix(take)) }
            rest = rest.dropFirst(take)
            position += UInt64(take)
            if skipping { need -= take }
            if skipping ? need == 0 : pending.count == need { complete() }
        }
    }

    /// Once every byte has been fed: the outcome.
    mutating func finish() -> (Outcome, valuesVisited: Int) {
        if framingError == nil, element != .end {
            // Fed to the end inside an element: the decode would have found it short.
            framingError = FormatError(
                .truncated(needed: need, available: skipping ? 0 : pending.count),
                at: payloadOffset + position - UInt64(skipping ? 0 : pending.count))
        }
        let framing: Result<CheckpointFraming, FormatError> =
            framingError.map { .failure($0) }
            ?? .success(
                CheckpointFraming(
                    replayFromOffset: replayFrom, catalogEntries: entries, rowTally: rowTally,
                    indexStateBytes: indexStateBytes))
        return (
            Outcome(
                framing: framing, contentFault: framingError == nil ? contentFault : nil,
                catalogStructures: structures, version: element == .version ? nil : version), valuesVisited
        )
    }

    private var remaining: UInt64 { length - position }
    private var elementStart: UInt64 { payloadOffset + position - UInt64(pending.count) }

    /// Starts reading an element of `need` bytes, or fails as the decode would when fewer remain.
    private mutating func begin(_ next: Element, need count: Int, keep: Bool = true) {
        element = next
        pending.removeAll(keepingCapacity: pending.capacity <= 1 << 20)
        guard UInt64(count) <= remaining else {
            framingError = FormatError(
                .truncated(needed: count, available: Int(remaining)), at: payloadOffset + position)
            return
        }
        need = count
        skipping = !keep
        if count == 0 { complete() }
    }

    private mutating func complete() {
        let at = elementStart
        switch element {
        case .version:
            version = UInt16(pending[0]) | UInt16(pending[1]) << 8
            guard version == 0 else {
                framingError = FormatError(
                    .unsupported(field: .checkpointVersion, value: UInt64(version)), at: payloadOffset)
                return
            }
            begin(.replayFrom, need: 8)
        case .replayFrom:
            replayFrom = pending.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            begin(.entryCount, need: 4)
        case .entryCount:
            left = u32()
            next(.entryLength, after: .rowCount)
        case .entryLength:
            begin(.entry, need: Int(u32()))
        case .entry:
            pending.withUnsafeBytes { bytes in
                var reader = ByteReader(bytes, baseOffset: at)
                reader.structureLimit = structureLimit - structures
                do throws(FormatError) {
                    entries.append(try CatalogEntry(parsing: &reader))
                } catch {
                    framingError = error
                }
                structures += reader.structures
            }
            if framingError == nil { next(.entryLength, after: .rowCount) }
        case .rowCount:
            rowCount = u32()
            left = rowCount
            rowTally = CheckpointRowTally(collections: entries)
            next(.rowLength, after: .indexLength)
        case .rowLength:
            let length = Int(u32())
            if deep && contentFault == nil || UInt64(length) > remaining {
                // Held whole (or short: the fault is the whole row's, as the decode reports it).
                begin(.row, need: length)
            } else {
                // Only the head is read, for the tally; the rest streams past.
                rowTail = length - min(length, CheckpointRowTally.headLength)
                begin(.rowHead, need: length - rowTail)
            }
        case .row:
            pending.withUnsafeBytes { rowTally.count(rowStartingWith: $0) }
            checkRow(at: at)
            next(.rowLength, after: .indexLength)
        case .rowHead:
            pending.withUnsafeBytes { rowTally.count(rowStartingWith: $0) }
            begin(.rowTail, need: rowTail, keep: false)
        case .rowTail:
            next(.rowLength, after: .indexLength)
        case .indexLength:
            indexStateBytes = UInt64(u32())
            begin(.index, need: Int(indexStateBytes), keep: deep && contentFault == nil)
        case .index:
            if !skipping { checkIndexState(at: at) }
            element = .end
            if remaining > 0 {
                framingError = FormatError(.trailingBytes(count: Int(remaining)), at: payloadOffset + position)
            }
        case .end:
            break
        }
    }

    /// The next of `left` length-prefixed elements, or the u32 that follows them.
    private mutating func next(_ lengthOfNext: Element, after last: Element) {
        if left == 0 {
            begin(last, need: 4)
        } else {
            left -= 1
            begin(lengthOfNext, need: 4)
        }
    }

    private func u32() -> UInt32 { pending.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } }

    /// The checkpoint's own catalog, built once its entries are known; a fault if they do not
    /// apply.
    private mutating func checkpointCatalog() -> Catalog? {
        if let catalog { return catalog }
        switch DeepCheck.checkpointCatalog(entries, at: payloadOffset) {
        case .success(let built):
            catalog = built
            return built
        case .failure(let fault):
            contentFault = (fault.text, fault.error)
            return nil
        }
    }

    private mutating func checkRow(at offset: UInt64) {
        guard contentFault == nil, let catalog = checkpointCatalog() else { return }
        pending.withUnsafeBytes { bytes in
            var row = ByteReader(bytes, baseOffset: offset)
            defer { valuesVisited += row.steps }
            do throws(PayloadCheckError) {
                var schemas = RecordSchemas(catalog)
                try RecordPayload.validate(&row, schemas: &schemas)
            } catch {
                contentFault = DeepCheck.checkpointContentFault(error)
            }
        }
    }

    private mutating func checkIndexState(at offset: UInt64) {
        guard contentFault == nil, checkpointCatalog() != nil else { return }
        pending.withUnsafeBytes { bytes in
            do throws(PayloadCheckError) {
                try IndexPayload.forEachEntry(in: bytes, at: offset) { _ in }
            } catch {
                contentFault = DeepCheck.checkpointContentFault(error)
            }
        }
    }
}
