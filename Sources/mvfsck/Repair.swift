import ArgumentParser
import FileOutput
import ModelVaultCheck
import ModelVaultRepair

struct Repair: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Salvage a damaged database into a fresh file; the source is never modified.",
        discussion: """
            Keeps, byte for byte, what the engine's AutoTruncate open would keep, or where the engine \
            cannot open SRC at all, the longest prefix of whole committed transactions before the \
            first damage; rebuilds the file header and superblocks where they are damaged or no \
            longer fit. --scavenge keeps every intact committed transaction that still replays, past any \
            damage; --until-txn keeps the state as of one committed transaction; --drop-txn leaves \
            transactions out (and whatever no longer replays without them). With these, the kept \
            transactions stay at their offsets and every other byte between them becomes a Temp segment \
            of zeros. DST is written to a temporary file beside it, verified, fsynced and renamed \
            into place; on any failure or interruption nothing is left behind, and temporary files \
            that a killed run left beside DST (not locked by a live one) are removed first. Exit status: 0 SRC \
            was clean (DST is an identical copy, or holds what was asked for), 1 faults were corrected and \
            DST verifies clean, \
            4 nothing could be salvaged, 8 operational error (including DST exists without --force), \
            16 usage error, 32 interrupted.
            """)

    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp("Where to write the salvaged database (required).", valueName: "DST"))
    var to: String

    @Flag(name: .long, help: "Replace DST if it exists.")
    var force = false

    @Flag(name: .customLong("dry-run"), help: "Print the plan and the report; write nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Keep every intact committed transaction that replays, beyond the first damage.")
    var scavenge = false

    @Option(
        name: .customLong("until-txn"),
        help: ArgumentHelp(
            "Keep the committed transactions up to this one (ID, or ID@OFFSET of its TxnBegin).", valueName: "ID"))
    var untilTxn: String?

    @Option(
        name: .customLong("drop-txn"),
        help: ArgumentHelp(
            "Leave out this committed transaction (ID or ID@OFFSET) and what no longer replays without it;"
                + " repeatable.",
            valueName: "ID"))
    var dropTxn: [String] = []

    @Argument(help: "The damaged database (a path, - for standard input, or a gzip stream).")
    var source: String

    func validate() throws {
        for text in (untilTxn.map { [$0] } ?? []) + dropTxn where TransactionReference(text) == nil {
            throw ValidationError(
                "'\(text)' is not a transaction id: give ID or ID@OFFSET (the offset of its TxnBegin)")
        }
        if untilTxn != nil && !dropTxn.isEmpty {
            throw ValidationError("--until-txn and --drop-txn cannot be combined: run repair twice")
        }
    }

    var choices: SalvageChoices {
        SalvageChoices(
            scavenge: scavenge, untilTxn: untilTxn.flatMap(TransactionReference.init),
            dropTxns: dropTxn.compactMap(TransactionReference.init))
    }

    func run() throws {
        let progress = Progress.make(label: source, output: output)
        let outcome: Salvage.Outcome
        do {
            outcome = try Salvage.run(
                source: source, destination: to, force: force, dryRun: dryRun, choices: choices,
                progress: progress.map { p in { p.update($0, of: $1) } },
                staleTemporary: Self.note)
            progress?.finish()
        } catch let failure as Salvage.Failure {
            progress?.finish()
            Console.err("mvfsck: repair: \(failure)")
            if case .interrupted = failure { throw ExitCode(ExitStatus.interrupted) }
            if case .choice = failure { throw ExitCode(ExitStatus.usage) }
            throw ExitCode(ExitStatus.operational)
        }
        let status = Self.status(outcome, dryRun: dryRun)
        // Built only when asked for: a long log's list of dropped transactions is large.
        let json = { () -> JSON in
            ReportJSON.withRepair(
                ReportJSON.render(outcome.source), RepairJSON.render(outcome, destination: to, dryRun: dryRun),
                salvage: outcome.summary.map(SalvageJSON.render))
        }
        if output.json {
            Console.out([json().pretty])
        } else if !output.quiet {
            Console.out(TextRenderer.verifyLines(outcome.source))
            Console.out(outcome.plan.describe().map { "  plan: " + $0 })
            Console.out((outcome.summary?.lines() ?? []).map { "  " + $0 })
            Console.out(["  " + Self.resultSentence(outcome, destination: to, dryRun: dryRun)])
        }
        throw ExitCode(status | (output.report == nil ? 0 : CheckRun.writeReportFile(json(), output: output)))
    }

    /// A temporary file a killed run left beside DST: said on standard error, never an error.
    static func note(_ stale: AtomicFile.StaleTemporary) {
        switch stale {
        case .removed(let path):
            Console.err("mvfsck: repair: removed stale temporary file \(path) (left by a run that did not finish)")
        case .notRemoved(let path, let reason):
            Console.err("mvfsck: repair: cannot remove stale temporary file \(path): \(reason)")
        }
    }

    static func status(_ o: Salvage.Outcome, dryRun: Bool) -> Int32 {
        if dryRun { return o.source.verdict.exitStatus }
        guard o.written else { return ExitStatus.uncorrected }
        // Leaving transactions out of a clean source on request corrects nothing.
        let onRequest = o.summary.map { $0.mode != .prefix } ?? false
        return o.source.verdict == .clean && (o.plan.changesNothing || onRequest)
            ? ExitStatus.clean : ExitStatus.corrected
    }

    static func resultSentence(_ o: Salvage.Outcome, destination: String, dryRun: Bool) -> String {
        if dryRun { return "dry run: nothing written" }
        if let refusal = o.plan.refusal { return "nothing written: \(refusal)" }
        guard o.written else {
            return "nothing written: the salvaged file did not verify clean (\(o.output?.verdict.rawValue ?? "?"))"
        }
        return
            "wrote \(destination): kept \(o.plan.keepEnd) bytes, dropped \(o.plan.droppedBytes) bytes "
            + "and \(o.plan.droppedTransactions) committed transaction(s); "
            + "it verifies \(o.output?.verdict.rawValue ?? "?")"
    }
}

/// The `repair` section of the report (docs/report-format.md §4, `repair`).
enum RepairJSON {
    static func render(_ o: Salvage.Outcome, destination: String, dryRun: Bool) -> JSON {
        .object([
            ("output", .string(destination)),
            ("dry_run", .bool(dryRun)),
            ("written", .bool(o.written)),
            ("kept_bytes", .uint(o.plan.refusal == nil ? o.plan.keepEnd : 0)),
            ("dropped_bytes", .uint(o.plan.refusal == nil ? o.plan.droppedBytes : o.source.file.size)),
            ("dropped_transactions", .int(Int64(o.plan.droppedTransactions))),
            ("header_rewritten", .bool(o.plan.headerRewritten)),
            ("superblocks_rewritten", .array(o.plan.superblocksRewritten.map { .string($0) })),
            ("manifest_appended", .bool(o.plan.appendedManifest != nil)),
            ("output_verdict", .optional(o.output?.verdict) { .string($0.rawValue) }),
            ("refusal", .optional(o.plan.refusal) { .string($0) }),
        ])
    }
}

/// The report's `salvage` object: what was kept and dropped, transaction by transaction.
enum SalvageJSON {
    static func render(_ s: SalvageSummary) -> JSON {
        .object([
            ("mode", .string(s.mode.rawValue)),
            ("kept_transactions", .int(Int64(s.keptTransactions))),
            ("kept_bytes", .uint(s.keptBytes)),
            (
                "dropped",
                .array(
                    s.dropped.map { d in
                        .object([
                            ("txn_id", .optional(d.txnId) { .uint($0) }),
                            ("offset", .uint(d.offset)),
                            ("end", .uint(d.end)),
                            ("reason", .string(d.reason.rawValue)),
                            ("detail", .string(d.detail)),
                            ("collections", .array(d.collections.map { .string($0) })),
                            ("rows_touched", .optional(d.rowsTouched) { .int(Int64($0)) }),
                        ])
                    })
            ),
        ])
    }
}
