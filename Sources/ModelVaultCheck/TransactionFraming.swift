import ModelVaultFormat

/// The TxnBegin/TxnCommit/TxnAbort state machine as mvfsck reads it: like the engine's safe-end
/// walk (docs/file-format.md §9, step 5; §11) but it never stops, so it can count and report every
/// framing fault and every commit, including those the engine would discard.
struct TransactionFraming {
    /// What a segment means for the transaction it belongs to (public as analysers see it).
    typealias Effect = TransactionRole

    struct OpenTransaction {
        var id: UInt64
        var offset: UInt64
    }

    let enforcesFraming: Bool
    private(set) var open: OpenTransaction?
    /// Whether a segment of the open transaction failed its payload CRC.
    private var openDamaged = false
    private(set) var seenBegin = false
    private(set) var committed = 0
    private(set) var aborted = 0
    private(set) var uncommitted = 0
    private(set) var maxTxnId: UInt64?
    /// The end of the last point where no transaction was open: where a cut would land now.
    private(set) var safe: UInt64 = Layout.logStart {
        didSet { manifests.markSafe() }
    }
    /// Set at the first damage: the end of the longest clean committed prefix before it.
    private(set) var salvageEnd: UInt64?
    /// The newest intact Manifest seen, the newest one before `safe`, before the open
    /// transaction, and before the salvage end (where a rebuilt superblock must point).
    private var manifests = ManifestTracker()
    private var salvageManifest: UInt64?
    private var committedAtSalvage: Int?
    /// Committed transactions inside the clean prefix.
    var committedInCleanPrefix: Int { committedAtSalvage ?? committed }
    /// After an unreadable stretch: the remnants of a transaction torn by it are skipped until
    /// the next TxnBegin.
    private var realigning = false
    /// Whether the walk has passed an unreadable stretch the engine never reads beyond.
    private(set) var pastBreak = false
    private(set) var committedBeyondBreak = 0

    init(minor: UInt16) {
        enforcesFraming = minor >= Layout.transactionalMinor
    }

    /// Where the longest clean committed prefix ends, were the walk to stop here.
    var cleanPrefixEnd: UInt64 { salvageEnd ?? (open?.offset ?? safe) }
    /// The newest intact Manifest inside that prefix.
    var cleanPrefixManifest: UInt64? { salvageEnd != nil ? salvageManifest : manifests.atSafe }

    mutating func noteIntactManifest(at offset: UInt64) { manifests.intact(at: offset) }
    var latestIntactManifest: UInt64? { manifests.latest }
    /// The newest intact Manifest before the most recent TxnBegin.
    var manifestBeforeOpenTransaction: UInt64? { manifests.atBegin }

    /// Freezes the clean prefix at the current safe point (the open transaction's start).
    mutating func noteDamage() {
        freeze(end: open?.offset ?? safe, manifest: manifests.atSafe, committed: committed)
    }

    /// Freezes the clean prefix before an unframed segment at `offset` that cannot apply.
    mutating func noteDamage(beforeSegmentAt offset: UInt64) {
        freeze(end: min(offset, safe), manifest: manifests.atSafe, committed: committed)
    }

    /// Freezes the clean prefix before the transaction that began at `txnStart`: a fault found
    /// when its commit applies, just after this machine counted that commit.
    mutating func noteDamage(inTransactionBegunAt txnStart: UInt64) {
        freeze(end: txnStart, manifest: manifests.atBegin, committed: max(0, committed - 1))
    }

    /// The first damage fixes the clean prefix; later damage lies beyond it.
    private mutating func freeze(end: UInt64, manifest: UInt64?, committed: Int) {
        guard salvageEnd == nil else { return }
        salvageEnd = end
        salvageManifest = manifest
        committedAtSalvage = committed
    }

    /// Feeds one readable segment with a valid payload CRC; findings go to `sink`.
    /// A segment whose payload CRC fails is still framed (its marker may be intact), but its
    /// transaction cannot count as committed.
    mutating func observe(_ s: SegmentEvent, into sink: inout FindingSink) -> Effect {
        let damaged = !s.payloadCRCMatches && s.type.payloadCheckedByScan
        if damaged {
            noteDamage()
            if open != nil { openDamaged = true }
        }
        guard enforcesFraming else { return damaged ? .none : observeUnframedMinor(s) }
        if realigning {
            guard s.type == .txnBegin else { return .none }
            realigning = false
        }
        switch s.type {
        case .txnBegin, .txnCommit, .txnAbort:
            guard case .success(let marker)? = s.marker else {
                if case .failure(let error)? = s.marker {
                    noteDamage()
                    sink.add(
                        Finding(
                            .txnBadMarker, .error, offset: s.offset, length: s.header.totalLength,
                            segmentIndex: s.index, segmentType: s.type, txnId: nil,
                            message: "\(s.type.name) marker is malformed: \(error.formatError)"))
                }
                return .none
            }
            maxTxnId = max(maxTxnId ?? 0, marker.txnId)
            return observeMarker(s, marker, into: &sink)
        default:
            if let open {
                return damaged ? .none : .staged(txnId: open.id)
            }
            if damaged { return .none }
            if s.type.isData && seenBegin {
                noteDamage()
                sink.add(
                    Finding(
                        .txnUnframedSegment, .error, offset: s.offset, length: s.header.totalLength,
                        segmentIndex: s.index, segmentType: s.type,
                        message:
                            "\(s.type.name) segment outside any transaction after the first TxnBegin: "
                            + "the engine refuses to replay it (\"unframed data segment in format minor 6\")"
                    ))
                safe = s.end
                return .unframed(legal: false)
            }
            safe = s.end
            return .unframed(legal: true)
        }
    }

    /// What `observe` will return for an intact data segment met now, without observing it:
    /// for a decode that runs while the payload streams, before its checksum is known.
    func effectOfIntactDataSegment() -> Effect {
        guard enforcesFraming else { return .unframed(legal: true) }
        if realigning { return .none }
        if let open { return .staged(txnId: open.id) }
        return .unframed(legal: !seenBegin)
    }

    private mutating func observeMarker(_ s: SegmentEvent, _ marker: TxnMarker, into sink: inout FindingSink) -> Effect
    {
        switch s.type {
        case .txnBegin:
            if let previous = open {
                noteDamage()
                uncommitted += 1
                sink.add(
                    Finding(
                        .txnNestedBegin, .error, offset: s.offset, length: s.header.totalLength,
                        segmentIndex: s.index, segmentType: .txnBegin, txnId: marker.txnId,
                        message:
                            "TxnBegin \(marker.txnId) while transaction \(previous.id) (begun at \(previous.offset)) "
                            + "is still open: the engine cuts at \(previous.offset)"
                    ))
            }
            seenBegin = true
            open = OpenTransaction(id: marker.txnId, offset: s.offset)
            openDamaged = !s.payloadCRCMatches
            safe = s.offset
            manifests.markBegin()
            return .begin(txnId: marker.txnId)
        case .txnCommit:
            guard let current = open else {
                noteDamage()
                sink.add(
                    Finding(
                        .txnOrphanCommit, .error, offset: s.offset, length: s.header.totalLength,
                        segmentIndex: s.index, segmentType: .txnCommit, txnId: marker.txnId,
                        message: "TxnCommit \(marker.txnId) with no open transaction"))
                safe = s.end
                return .none
            }
            guard current.id == marker.txnId else {
                noteDamage()
                uncommitted += 1
                sink.add(
                    Finding(
                        .txnIdMismatch, .error, offset: s.offset, length: s.header.totalLength,
                        segmentIndex: s.index, segmentType: .txnCommit, txnId: marker.txnId,
                        message:
                            "TxnCommit \(marker.txnId) does not match "
                            + "the open TxnBegin \(current.id) at \(current.offset)"
                    ))
                open = nil
                safe = s.end
                return .abort
            }
            open = nil
            safe = s.end
            if openDamaged || !s.payloadCRCMatches {
                uncommitted += 1
                return .abort
            }
            committed += 1
            if pastBreak { committedBeyondBreak += 1 }
            return .commit(txnId: marker.txnId, beganAt: current.offset)
        default:
            if let current = open {
                sink.add(
                    Finding(
                        .txnAborted, .info, offset: s.offset, length: s.header.totalLength,
                        segmentIndex: s.index, segmentType: .txnAbort, txnId: marker.txnId,
                        message:
                            "transaction \(current.id) begun at \(current.offset) is rolled back: "
                            + "its segments are not applied"
                    ))
            }
            open = nil
            aborted += 1
            safe = s.end
            return .abort
        }
    }

    /// Minors 3–5 never decode markers: every segment applies as it comes, and each Manifest
    /// closes one write.
    private mutating func observeUnframedMinor(_ s: SegmentEvent) -> Effect {
        safe = s.end
        if s.type == .manifest {
            committed += 1
            if pastBreak { committedBeyondBreak += 1 }
        }
        return .unframed(legal: true)
    }

    /// A stretch the walk could not read: any open transaction is lost with it.
    mutating func breakFraming() {
        noteDamage()
        if open != nil { uncommitted += 1 }
        open = nil
        openDamaged = false
        realigning = true
        pastBreak = true
    }

    /// Ends the walk; reports a transaction left open.
    mutating func finish(fileLength: UInt64, into sink: inout FindingSink) {
        if let open, enforcesFraming {
            uncommitted += 1
            sink.add(
                Finding(
                    .txnUncommitted, .error, offset: open.offset, length: fileLength - open.offset,
                    txnId: open.id,
                    message:
                        "transaction \(open.id) begun at \(open.offset) never commits: "
                        + "its \(fileLength - open.offset) bytes are not durable"
                ))
        }
    }
}
