import ModelVaultFormat

/// The end of the walk: the checks' conclusions combined into the report. The engine's outcome
/// is settled for the file's final length, severities that depend on it revised, findings that
/// only the whole log can tell added, and the verdict given.
struct ReportBuilder {
    let prelude: Prelude
    var framing: TransactionFraming
    let scan: EngineScan
    let replay: ReplayModel
    let deep: DeepCheck
    var checkpoints: CheckpointCheck
    let stats: Report.SegmentStats
    var sink: FindingSink
    let options: CheckOptions
    /// The first unreadable stretch, where the engine stops.
    let firstBreak: UInt64?
    /// Catalog structures built (see `CheckOptions.catalogStructureLimit`).
    let catalogStructures: Int

    mutating func build(command: String, path: String, compressed: Bool, fileLength: UInt64) -> Report {
        framing.finish(fileLength: fileLength, into: &sink)
        checkpoints.target?.settleFromProbe()
        reportReplayFaults(fileLength: fileLength)
        if deep.uniqueBudgetExhausted {
            sink.add(
                Finding(
                    .deepUniqueBudget, .info, offset: 0, length: 0,
                    message:
                        "unique-index checks stopped after \(DeepCheck.uniqueKeyBudget) keys to keep memory bounded"))
        }
        let prediction = predict(fileLength: fileLength)
        reportPointers(fileLength: fileLength)
        if framing.pastBreak, let firstBreak {
            let beyond = framing.committedBeyondBreak
            let committed = beyond == 1 ? "1 committed transaction lies" : "\(beyond) committed transactions lie"
            sink.add(
                Finding(
                    .logDataBeyondBreak, .info, offset: firstBreak, length: 0,
                    message: "\(committed) intact beyond the first unreadable stretch, where the engine stops"
                ))
        }
        if let reason = prediction.truncateReason, prediction.autoTruncateOpens || prediction.modifiesFile {
            let keptEnd = fileLength - prediction.truncatedBytes
            let lost = prediction.committedTransactionsLost
            let committed = lost == 1 ? "1 committed transaction" : "\(lost) committed transactions"
            sink.add(
                Finding(
                    .logDataBeyondCut, .info, offset: keptEnd, length: prediction.truncatedBytes,
                    message:
                        "an AutoTruncate open cuts the file at \(keptEnd) (\(reason)), "
                        + "discarding \(prediction.truncatedBytes) bytes and with them \(committed)"
                ))
        }
        let safeEnd = recordSafeSalvageEnd(fileLength)
        let verdict: Verdict
        if prelude.special == .empty {
            verdict = .unrecoverable
        } else if prediction.strictOpens && prediction.autoTruncateOpens && prediction.truncatedBytes == 0
            && sink.errorCount == 0
        {
            verdict = .clean
        } else if prediction.autoTruncateOpens {
            verdict = .recoverable
        } else {
            verdict = safeEnd > Layout.logStart ? .repairable : .unrecoverable
        }
        var transactions = Report.TransactionStats()
        transactions.committed = framing.committed
        transactions.aborted = framing.aborted
        transactions.uncommitted = framing.uncommitted
        transactions.maxTxnId = framing.maxTxnId
        return Report(
            command: command, file: .init(path: path, size: fileLength, compressed: compressed),
            verdict: verdict, header: prelude.header, superblocks: prelude.superblocks, segments: stats,
            transactions: transactions, catalog: replay.catalog, engine: prediction,
            findings: sink.findings.enumerated().sorted {
                ($0.element.offset, $0.offset) < ($1.element.offset, $1.offset)
            }.map(\.element),
            findingsDropped: sink.dropped,
            errorCount: sink.errorCount, warningCount: sink.warningCount,
            salvageEnd: safeEnd, formatMinor: prelude.minor,
            committedPrefix: committedPrefix(prediction: prediction, fileLength: fileLength),
            checkpointInUse: checkpointInUse(fileLength: fileLength),
            checkpoint: checkpointSummary(fileLength: fileLength, prediction: prediction),
            valuesVisited: deep.valuesVisited,
            revalidationPlan: options.deep && options.revalidation == nil
                ? replay.revalidationPlan(fileLength: fileLength) : RowRevalidationPlan(),
            catalogStructures: catalogStructures, redacted: options.redactor.redacts)
    }

    /// The checkpoint as the open that succeeds sees it: a strict open the whole file, else an
    /// AutoTruncate open what it keeps.
    func checkpointSummary(fileLength: UInt64, prediction: EnginePrediction) -> CheckpointSummary? {
        let target = checkpoints.target.flatMap { $0.length == 0 && $0.offset == 0 ? nil : $0 }
        guard target != nil || !checkpoints.segments.isEmpty else { return nil }
        var summary = CheckpointSummary(offset: target?.offset, length: target?.length, usedByEngine: false)
        summary.others = checkpoints.segments.filter { $0.offset != target?.offset }
        summary.othersOmitted = checkpoints.segmentsOmitted
        summary.newerSegments = target.map { t in checkpoints.segments.filter { $0.offset > t.offset }.count } ?? 0
        guard let target else {
            summary.notUsedBecause = "the selected superblock points at no checkpoint"
            return summary
        }
        let keptLength = prediction.strictOpens ? fileLength : fileLength - min(fileLength, prediction.truncatedBytes)
        switch target.use(fileLength: keptLength) {
        case .fatal(let error):
            summary.notUsedBecause = "the engine refuses the file on it (\(error))"
        case _ where !prediction.strictOpens && !prediction.autoTruncateOpens:
            summary.notUsedBecause = "no open of the file succeeds"
        case .ignored where target.offset < fileLength && target.offset >= keptLength:
            summary.notUsedBecause = "an AutoTruncate open cuts the file at \(keptLength), before the checkpoint"
        case .ignored:
            if case .otherType(let type) = target.state {
                summary.notUsedBecause = "its pointer leads to a \(type.name) segment, which the engine ignores"
            } else if target.length == 0 {
                summary.notUsedBecause = "the superblock records a checkpoint length of 0, which the engine ignores"
            } else {
                summary.notUsedBecause = "its pointer lies outside the log, which the engine ignores"
            }
        case .strictFailsAutoTruncateReplaysAll(let error):
            summary.notUsedBecause =
                "it cannot be read as a checkpoint (\(error)): a strict open fails, "
                + "an AutoTruncate open replays the whole log instead"
        case .replayFrom:
            summary.usedByEngine = true
        }
        summary.version = checkpoints.targetVersion
        if let contents = checkpoints.targetContents {
            summary.replayFromOffset = contents.replayFromOffset
            summary.indexStateBytes = contents.indexStateBytes
            summary.otherRows = contents.rowTally.otherRows
            for entry in contents.catalogEntries {
                if case .createCollection(let name, _) = entry.kind {
                    summary.collections.append(
                        .init(
                            id: entry.collectionId, name: name, versions: 1,
                            rows: contents.rowTally.rows[entry.collectionId] ?? 0))
                } else if let i = summary.collections.firstIndex(where: { $0.id == entry.collectionId }) {
                    summary.collections[i].versions += 1
                }
            }
            summary.transactionsCovered = checkpoints.committedAtCheckpointEnd
            if contents.replayFromOffset < fileLength {
                summary.replayFromOnBoundary =
                    target.replayFromBoundary.hit && !target.replayFromBoundary.insideTransaction
                summary.bytesReplayedAfter = fileLength - contents.replayFromOffset
                summary.transactionsReplayedAfter = checkpoints.committedAtReplayFrom.map { framing.committed - $0 }
            } else {
                summary.bytesReplayedAfter = 0
                summary.transactionsReplayedAfter = 0
            }
        }
        return summary
    }

    func checkpointInUse(fileLength: UInt64) -> CheckpointInUse? {
        guard let target = checkpoints.target, case .replayFrom = target.use(fileLength: fileLength),
            case .usable(let replayFrom, _) = target.state
        else { return nil }
        return CheckpointInUse(offset: target.offset, length: target.length, replayFrom: replayFrom)
    }

    /// Record references that never resolve; and, when the engine replays from the selected
    /// checkpoint, faults before its `replay_from_offset` become warnings: the engine never sees them.
    mutating func reportReplayFaults(fileLength: UInt64) {
        let validated = options.deep ? options.revalidation?.subtracting(deep.undecidedRevalidation) : nil
        for finding in replay.revalidationWarnings(fileLength: fileLength, validated: validated) { sink.add(finding) }
        guard let target = checkpoints.target, case .replayFrom(let start) = target.use(fileLength: fileLength),
            case .usable(let replayFrom, _) = target.state
        else {
            for finding in replay.unresolvedReferenceFindings(fileLength: fileLength) { sink.add(finding) }
            return
        }
        func demote(_ finding: inout Finding) {
            finding.severity = .warning
            finding.message +=
                " (before the checkpoint's replay_from_offset \(replayFrom): the engine never replays it)"
        }
        let hidden: Set<Finding.Code> = [
            .catalogBadPayload, .catalogInconsistent, .txnUnframedSegment,
            .recordBadPayload, .indexBadPayload, .indexUniqueViolation,
        ]
        let legacyPrefix = replayFrom..<(checkpoints.firstBeginInReplay ?? .max)
        sink.revise { finding in
            guard hidden.contains(finding.code), finding.severity == .error else { return }
            if finding.blamedOffset < replayFrom {
                demote(&finding)
            } else if finding.code == .txnUnframedSegment, legacyPrefix.contains(finding.offset) {
                finding.severity = .warning
                finding.message =
                    "\(finding.segmentType?.name ?? "data") segment outside any transaction, after a TxnBegin: "
                    + "the engine replays from the checkpoint's replay_from_offset \(replayFrom), "
                    + "where it comes before any TxnBegin, "
                    + "a legacy prefix it accepts"
            }
        }
        for var finding in replay.unresolvedReferenceFindings(fileLength: fileLength) where finding.offset < replayFrom
        {
            demote(&finding)
            sink.add(finding)
        }
        guard start != nil, let state = replay.fromCheckpoint else { return }
        // Dictionary order differs between runs: sort, so reports are stable.
        for (key, origin) in state.references.sorted(by: {
            ($0.value.position, $0.key.collectionId, $0.key.schemaVersion) < (
                $1.value.position, $1.key.collectionId, $1.key.schemaVersion
            )
        }) {
            guard let fault = state.fault(for: key, at: origin.position, keptEnd: fileLength) else { continue }
            sink.add(
                Finding(
                    fault.variant == .unknownCollection ? .recordUnknownCollection : .recordUnknownSchemaVersion,
                    .error,
                    offset: origin.txnStart, length: 0, segmentType: .record,
                    message: fault.message
                        + " in the checkpoint's catalog (applied by the commit ending at \(origin.position))"))
        }
    }

    func committedPrefix(prediction: EnginePrediction, fileLength: UInt64) -> CommittedPrefix {
        let followsEngine = prediction.autoTruncateOpens && prelude.special == nil
        var keepEnd = followsEngine ? fileLength - prediction.truncatedBytes : salvageEnd(fileLength)
        var keptManifest = followsEngine ? scan.keptManifest(fileLength: fileLength) : framing.cleanPrefixManifest
        var committedKept = framing.committedInCleanPrefix
        // A record naming a collection or version the kept catalog lacks: end before its transaction.
        // Each round looks at every reference, and cutting may expose another: stop on request.
        while !followsEngine, !StopRequest.isRaised, let origin = replay.log.recordFault(keptEnd: keepEnd)?.origin,
            origin.txnStart < keepEnd
        {
            keepEnd = origin.txnStart
            keptManifest = origin.manifestBefore
            committedKept = min(committedKept, origin.committedBefore)
        }
        var keptCheckpoint: (UInt64, UInt32)?
        if let target = checkpoints.target, case .replayFrom(let start) = target.use(fileLength: keepEnd),
            start == nil || start! < keepEnd
        {
            keptCheckpoint = (target.offset, target.length)
        }
        var consistent = Set<Superblock.Slot>()
        for (slot, _) in prelude.superblocks where slot.isSound {
            let manifestFits =
                slot.manifestOffset == 0
                || (slot.manifestOffset < keepEnd
                    && prelude.slotManifests[slot.slot]?.strictFailure(fileLength: keepEnd) == nil)
            let checkpointFits =
                slot.checkpointOffset == 0 || slot.checkpointLength == 0
                || keptCheckpoint.map { $0.0 == slot.checkpointOffset && $0.1 == slot.checkpointLength } == true
            if manifestFits && checkpointFits { consistent.insert(slot.slot) }
        }
        let dropped = followsEngine ? prediction.committedTransactionsLost : framing.committed - committedKept
        return CommittedPrefix(
            keepEnd: keepEnd, followsEngine: followsEngine, keptManifest: keptManifest,
            keptCheckpoint: keptCheckpoint, consistentSlots: consistent, droppedTransactions: max(0, dropped))
    }

    func salvageEnd(_ fileLength: UInt64) -> UInt64 {
        fileLength < Layout.logStart ? 0 : framing.cleanPrefixEnd
    }

    /// The clean prefix, shortened past any record whose collection or schema version it lacks.
    func recordSafeSalvageEnd(_ fileLength: UInt64) -> UInt64 {
        var end = salvageEnd(fileLength)
        while !StopRequest.isRaised, let origin = replay.log.recordFault(keptEnd: end)?.origin, origin.txnStart < end {
            end = origin.txnStart
        }
        return end
    }

    func predict(fileLength: UInt64) -> EnginePrediction {
        let basis: EnginePrediction.Basis = options.deep ? .deep : .framing
        switch prelude.special {
        case .empty, .legacyStub: return .initialises(basis: basis)
        case nil: break
        }
        if let fatal = prelude.preLogFatal { return .fails(fatal, basis: basis) }
        let inputs = EngineInputs(
            fileLength: fileLength, manifest: prelude.manifestTarget, checkpoint: checkpoints.target,
            scan: scan, replay: replay, versionAhead: deep.versionAhead,
            committedTransactions: framing.committed, basis: basis)
        return inputs.predict()
    }

    mutating func reportPointers(fileLength: UInt64) {
        for (slot, selected) in prelude.superblocks {
            if !selected {
                if slot.isRecognised, slot.manifestOffset > fileLength {
                    sink.add(
                        Finding(
                            .superblockManifestOutOfBounds, .warning, offset: slot.slot.offset + 16, length: 8,
                            message:
                                "superblock \(slot.slot.rawValue) (not selected) "
                                + "points at a manifest at \(slot.manifestOffset), past the end (\(fileLength))"
                        ))
                }
                continue
            }
            if let target = prelude.manifestTarget, let failure = target.strictFailure(fileLength: fileLength) {
                let past = target.offset >= fileLength || !target.probe.isComplete
                sink.add(
                    Finding(
                        past ? .superblockManifestOutOfBounds : .superblockManifestNotAManifest, .error,
                        offset: slot.slot.offset + 16, length: 8,
                        message:
                            "superblock \(slot.slot.rawValue) manifest pointer \(target.offset): "
                            + "a strict open fails (\(failure))"
                    ))
            }
            guard let target = checkpoints.target, target.length != 0 else { continue }
            if target.offset >= fileLength || target.offset < Layout.logStart {
                sink.add(
                    Finding(
                        .superblockCheckpointOutOfBounds, .warning, offset: slot.slot.offset + 36, length: 12,
                        message:
                            "superblock \(slot.slot.rawValue) checkpoint pointer \(target.offset) "
                            + "lies outside the log (ignored by the engine)"
                    ))
                continue
            }
            switch target.state {
            case .badHeader(let error):
                sink.add(
                    Finding(
                        .superblockCheckpointNotACheckpoint, .error, offset: slot.slot.offset + 36, length: 12,
                        message:
                            "checkpoint pointer \(target.offset) is not a Checkpoint segment header: "
                            + "a strict open fails (\(error))"
                    ))
            case .otherType(let type):
                sink.add(
                    Finding(
                        .superblockCheckpointNotACheckpoint, .warning, offset: slot.slot.offset + 36, length: 12,
                        message:
                            "checkpoint pointer \(target.offset) leads to a \(type.name) segment "
                            + "(ignored by the engine)"
                    ))
            case .replayBeforeEnd(let from, let end):
                sink.add(
                    Finding(
                        .checkpointReplayFrom, .error, offset: target.offset, length: 0, segmentType: .checkpoint,
                        message:
                            "replay_from_offset \(from) is before the checkpoint's end \(end): "
                            + "the engine refuses the file"
                    ))
            case .usable(let from, _):
                if from < fileLength && !target.replayFromBoundary.hit {
                    sink.add(
                        Finding(
                            .checkpointReplayFrom, .error, offset: target.offset, length: 0, segmentType: .checkpoint,
                            message:
                                "replay_from_offset \(from) is not on a segment boundary: the engine refuses the file"))
                } else if from < fileLength && target.replayFromBoundary.insideTransaction {
                    sink.add(
                        Finding(
                            .checkpointReplayFrom, .error, offset: target.offset, length: 0, segmentType: .checkpoint,
                            message: "replay_from_offset \(from) lies inside a transaction: the engine refuses the file"
                        ))
                }
                let hidden =
                    (checkpoints.committedAtReplayFrom ?? framing.committed)
                    - (checkpoints.committedAtCheckpointEnd ?? 0)
                if hidden > 0 {
                    sink.add(
                        Finding(
                            .checkpointHidesCommits, .warning, offset: target.offset, length: 0,
                            segmentType: .checkpoint,
                            message:
                                "replay_from_offset \(from) skips \(hidden) committed transaction(s) "
                                + "after the checkpoint: the engine opens without them"
                        ))
                }
            case .badPayload, .unseen:
                break
            }
        }
    }
}
