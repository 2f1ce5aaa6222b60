import FileOutput
import ModelVaultCheck
import ModelVaultFormat

#if canImport(Glibc)
    import Glibc
#endif

/// Salvages a source database into a fresh file in one forward pass over the source: the
/// source's bytes are copied into a temporary file beside the destination while the walk checks
/// them; then the copy is cut to the kept prefix, its header and superblocks are rewritten where
/// needed, it is verified, and only a clean result is renamed into place. The source is opened
/// read-only and never written.
public enum Salvage {
    public enum Failure: Error, CustomStringConvertible {
        case destinationExists(String)
        case destinationIsSource(String)
        case input(InputError)
        case output(AtomicFile.WriteError)
        case interrupted(Int32)
        /// The choices name no single committed transaction of the source (a usage error).
        case choice(UnitSelection.ReferenceError)

        public var description: String {
            switch self {
            case .destinationExists(let path): return "\(path) exists (use --force to replace it)"
            case .destinationIsSource(let path): return "\(path) is the source itself: repair never writes its source"
            case .input(let error): return "\(error)"
            case .output(let error): return "\(error)"
            case .interrupted(let signal): return "interrupted by signal \(signal); nothing was written"
            case .choice(let error): return "\(error)"
            }
        }
    }

    public struct Outcome {
        public var source: Report
        public var plan: SalvagePlan
        /// The verify report of what was written (nil for a dry run or a refusal).
        public var output: Report?
        /// Whether the destination now holds the salvage.
        public var written: Bool
        /// Rounds of re-salvaging the output until it verified clean.
        public var rounds: Int
        /// Transaction by transaction, what was kept and dropped.
        public var summary: SalvageSummary?
    }

    /// - Parameter choices: keep beyond the first damage, cut at a transaction, or leave some
    ///   out (`SalvageChoices`); by default the committed prefix.
    /// - Parameter staleTemporary: told of each temporary file of `destination` that a killed
    ///   run left behind, removed (or not) before this run creates its own; not on a dry run.
    public static func run(
        source: String, destination: String, force: Bool, dryRun: Bool, choices: SalvageChoices = SalvageChoices(),
        progress: ((UInt64, UInt64?) -> Void)? = nil,
        staleTemporary: (AtomicFile.StaleTemporary) -> Void = { _ in }
    ) throws -> Outcome {
        try checkDestination(source: source, destination: destination, force: force)
        if dryRun && choices.mode == .prefix {
            var ledger = TransactionLedger()
            let report: Report
            do {
                report = try Checker.check(
                    path: source, command: "repair", options: CheckOptions(deep: true), progress: progress,
                    analysersMayRestart: true
                ) { walker in
                    // A walk begun again (`Checker`) starts a fresh ledger.
                    ledger = TransactionLedger()
                    walker.add(ledger)
                }
            } catch let error as InputError { throw Failure.input(error) } catch let error as StopRequest.Interrupted {
                throw Failure.interrupted(error.signal)
            }
            ledger.finish()
            let plan = SalvagePlan(report: report)
            return Outcome(
                source: report, plan: plan, output: nil, written: false, rounds: 0,
                summary: prefixSummary(ledger: ledger, report: report, plan: plan))
        }
        // A dry run of a choice still builds the result, to learn what replays, in a scratch file.
        let target = dryRun ? scratchPath() : destination
        if !dryRun { AtomicFile.removeStaleTemporaries(of: destination).forEach(staleTemporary) }
        let file: AtomicFile
        do { file = try AtomicFile(destination: target) } catch let error as AtomicFile.WriteError {
            throw Failure.output(error)
        }
        do {
            let (report, ledger) = try copyAndWalk(source: source, into: file, progress: progress)
            var outcome: Outcome
            if choices.mode == .prefix {
                outcome = try salvagePrefix(report, into: file)
                outcome.summary = prefixSummary(ledger: ledger, report: report, plan: outcome.plan)
            } else {
                let selection: UnitSelection
                do {
                    selection = try UnitSelection(
                        units: ledger.units, choices: choices, prefixEnd: report.committedPrefix.keepEnd)
                } catch {
                    file.discard()
                    throw Failure.choice(error)
                }
                if selection.dropped.isEmpty && report.verdict == .clean
                    && Scavenge.checkpointCoversOnlyKept(source: report, ledger: ledger, kept: selection.kept)
                {
                    // Nothing to leave out of a clean file: an identical copy.
                    outcome = try salvagePrefix(report, into: file)
                    outcome.summary = SalvageSummary(
                        mode: choices.mode, ledger: ledger, selection: selection, keptBytes: report.file.size,
                        catalog: report.catalog)
                } else {
                    outcome = try salvageUnits(
                        report, ledger: ledger, selection: selection, mode: choices.mode, into: file)
                }
            }
            guard outcome.written, !dryRun else {
                file.discard()
                outcome.written = false
                return outcome
            }
            try StopRequest.check()
            try file.commit()
            return outcome
        } catch let error as AtomicFile.WriteError {
            file.discard()
            throw Failure.output(error)
        } catch let error as InputError {
            file.discard()
            throw Failure.input(error)
        } catch let error as StopRequest.Interrupted {
            file.discard()
            throw Failure.interrupted(error.signal)
        }
    }

    /// The committed prefix (`SalvagePlan`), re-salvaged while the result shows a fault only it
    /// has (a record naming a collection whose creation lay past the cut, …), a bounded number
    /// of times. `written` says whether the result verifies clean.
    static func salvagePrefix(_ report: Report, into file: AtomicFile) throws -> Outcome {
        var plan = SalvagePlan(report: report)
        if plan.refusal != nil { return Outcome(source: report, plan: plan, output: nil, written: false, rounds: 0) }
        var current = plan
        let proved = provedPrefix(of: report, keepEnd: plan.keepEnd)
        var verified = try apply(current, to: file, checksumsProvedBelow: proved)
        var rounds = 1
        while verified.verdict != .clean && rounds < 4 {
            current = SalvagePlan(report: verified)
            guard current.refusal == nil, !current.changesNothing else { break }
            verified = try apply(current, to: file, checksumsProvedBelow: min(proved, current.keepEnd))
            plan.keepEnd = min(plan.keepEnd, current.keepEnd)
            plan.droppedBytes = report.file.size - min(report.file.size, plan.keepEnd)
            plan.droppedTransactions += current.droppedTransactions
            rounds += 1
        }
        return Outcome(
            source: report, plan: plan, output: verified, written: verified.verdict == .clean, rounds: rounds)
    }

    /// The chosen units at their offsets, the rest filled (`Scavenge`).
    static func salvageUnits(
        _ report: Report, ledger: TransactionLedger, selection: UnitSelection, mode: SalvageChoices.Mode,
        into file: AtomicFile
    ) throws -> Outcome {
        let result = try Scavenge.run(source: report, ledger: ledger, selection: selection, file: file)
        let plan = SalvagePlan(scavenge: result, sourceSize: report.file.size)
        let summary = SalvageSummary(
            mode: mode, ledger: ledger, selection: result.selection,
            keptBytes: result.refusal == nil ? plan.keptSourceBytes : 0, catalog: report.catalog)
        let clean = result.refusal == nil && result.output?.verdict == .clean
        return Outcome(
            source: report, plan: plan, output: result.output, written: clean, rounds: result.rounds,
            summary: summary)
    }

    /// What the committed prefix keeps and drops, by transaction.
    static func prefixSummary(ledger: TransactionLedger, report: Report, plan: SalvagePlan) -> SalvageSummary? {
        let keepEnd = plan.refusal == nil ? plan.keepEnd : UInt64(Layout.logStart)
        guard let selection = try? UnitSelection(units: ledger.units, choices: SalvageChoices(), prefixEnd: keepEnd)
        else { return nil }
        return SalvageSummary(
            mode: .prefix, ledger: ledger, selection: selection, keptBytes: plan.refusal == nil ? plan.keepEnd : 0,
            catalog: report.catalog)
    }

    /// A path for a dry run's scratch result, in the temporary directory.
    static func scratchPath() -> String {
        let directory = ScratchDirectory.path
        return "\(directory)/mvfsck-dry-run-\(getpid()).modelvault"
    }

    static func checkDestination(source: String, destination: String, force: Bool) throws {
        var dst = stat()
        guard stat(destination, &dst) == 0 else { return }
        var src = stat()
        if source == destination
            || (source != "-" && stat(source, &src) == 0 && src.st_dev == dst.st_dev && src.st_ino == dst.st_ino)
        {
            throw Failure.destinationIsSource(destination)
        }
        if !force { throw Failure.destinationExists(destination) }
    }

    /// Walks the source once while its bytes are copied into the temporary file: by a second
    /// thread in the kernel for a regular uncompressed file (`SourceCopy`), else from the walk's
    /// own bytes. A deep check, so a transaction whose contents the engine would refuse is
    /// left out.
    /// With the kernel's copy the walk may take checks on trust (`Checker`): should one fail,
    /// the walk begins again with a fresh ledger, and the copy follows it from the start.
    static func copyAndWalk(
        source: String, into file: AtomicFile, progress: ((UInt64, UInt64?) -> Void)?
    ) throws -> (Report, TransactionLedger) {
        let copy = SourceCopy(source: source, into: file).flatMap { $0.start() ? $0 : nil }
        defer { copy?.cancel() }
        var ledger = TransactionLedger()
        let report = try Checker.check(
            path: source, command: "repair", options: CheckOptions(deep: true), progress: progress,
            analysersMayRestart: copy != nil
        ) { walker in
            ledger = TransactionLedger()
            if let copy {
                copy.restart()
                walker.tap = { copy.walked($0.count) }
            } else {
                walker.tap = { try file.write($0) }
            }
            walker.add(ledger)
        }
        try copy?.finish(upTo: report.file.size)
        ledger.finish()
        return (report, ledger)
    }

    /// How far the result's segments are still bytes whose checksums the source's walk proved:
    /// up to the kept end when that walk found nothing at all before it (and dropped no
    /// finding), else nowhere. A segment kept with a failing checksum (a Temp's, an older
    /// Checkpoint's) is a finding of the source's, so its checksum is computed again.
    static func provedPrefix(of report: Report, keepEnd: UInt64) -> UInt64 {
        guard report.findingsDropped == 0, !report.findings.contains(where: { $0.blamedOffset < keepEnd }) else {
            return 0
        }
        return keepEnd
    }

    /// Cuts the temporary file to the plan's prefix, rewrites what the plan rebuilds, and
    /// verifies the result: its framing, with the checksums of segments below
    /// `checksumsProvedBelow` taken as stored (the source's walk proved those bytes; the
    /// header, the superblocks and anything appended are checked afresh).
    static func apply(_ plan: SalvagePlan, to file: AtomicFile, checksumsProvedBelow: UInt64) throws -> Report {
        if !plan.changesNothing {
            try file.truncate(to: plan.keepEnd)
            if let header = plan.header { try file.write(header, at: 0) }
            for (slot, image) in plan.superblocks { try file.write(image, at: slot.offset) }
            if let manifest = plan.appendedManifest { try file.write(manifest, at: plan.keepEnd) }
        }
        try file.flush()
        // The disk catches up on a second thread while the result is read back.
        let sync = BackgroundSync(file)
        defer { sync.wait() }
        // The kept bytes were decoded deeply as the source was walked, and a prefix cannot hold
        // content faults its source lacks: checking the result's structure is enough.
        let report: Report
        do {
            var options = CheckOptions()
            options.checksumsProvedBelow = checksumsProvedBelow
            // What is left to prove is the walk's own: a second thread would only compete with
            // the fsync.
            options.secondCore = checksumsProvedBelow == 0
            report = try Checker.check(path: file.temporaryPath, command: "verify", options: options)
        } catch let error as InputError {
            throw AtomicFile.WriteError(path: file.destination, reason: "cannot read back the output: \(error.reason)")
        }
        if let failure = sync.wait() { throw failure }
        return report
    }
}
