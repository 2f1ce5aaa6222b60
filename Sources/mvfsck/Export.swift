import ArgumentParser
import FileOutput
import ModelVaultCheck
import ModelVaultExport
import ModelVaultRepair

#if canImport(Glibc)
    import Glibc
#endif

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the rows of a database as JSON Lines: the live rows, or with --history every row version.",
        discussion: """
            One line per live row, collections by id and keys in ascending order: \
            {"collection": …, "key": …, "row": {…}}, exactly the rows the engine shows after opening \
            the file repair would write with the same salvage choices (plain: the committed prefix; \
            --scavenge, --until-txn, --drop-txn as for repair). Values keep their types: bytes, uuid, \
            timestamp and non-finite floats as one-key objects ($bytes, $uuid, $timestamp, $float). \
            --history lists instead every row version the log holds, in log order, with its \
            transaction, offset and state (committed, beyond_cut, uncommitted, aborted, damaged), \
            then a summary line. Findings and the verdict go to standard error. Exit status: as repair \
            would exit (0 clean, 1 damage left out, 4 nothing salvageable); with --history the file's \
            (0 clean, 4 damaged); 8 operational error, 16 usage error, 32 interrupted.
            """)

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Write the lines to PATH (atomically; gzip-compressed when PATH ends in .gz) instead of standard output.",
            valueName: "PATH"))
    var output: String?

    @Option(name: .long, help: ArgumentHelp("Export only this collection; repeatable.", valueName: "NAME"))
    var collection: [String] = []

    @Flag(name: .long, help: "Every row version the log holds, in log order, with its provenance.")
    var history = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --history and one --collection: only the versions of the row with this key.", valueName: "VALUE"))
    var key: String?

    @Flag(name: .long, help: "Keep every intact committed transaction that replays, beyond the first damage.")
    var scavenge = false

    @Option(
        name: .customLong("until-txn"),
        help: ArgumentHelp(
            "The rows as of this committed transaction (ID, or ID@OFFSET of its TxnBegin).", valueName: "ID"))
    var untilTxn: String?

    @Option(
        name: .customLong("drop-txn"),
        help: ArgumentHelp(
            "The rows without this committed transaction (ID or ID@OFFSET) and what no longer replays"
                + " without it; repeatable.",
            valueName: "ID"))
    var dropTxn: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Also write the JSON report of the check (and of the salvage) to PATH (.gz: compressed).",
            valueName: "PATH"))
    var report: String?

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "With --history: replace every key and string value by <redacted:N bytes, sha256:XXXXXXXX>"
                + " (and record keys and values in the findings), structure kept."))
    var redact = false

    @Flag(name: .shortAndLong, help: "Print nothing on standard error but errors; the exit status tells the outcome.")
    var quiet = false

    @Flag(
        name: .customLong("no-progress"),
        help: "Never print progress on standard error (it is shown only on a terminal, for inputs over 64 MiB).")
    var noProgress = false

    @Argument(help: "The database (a path, - for standard input, or a gzip stream).")
    var file: String

    func validate() throws {
        for text in (untilTxn.map { [$0] } ?? []) + dropTxn where TransactionReference(text) == nil {
            throw ValidationError(
                "'\(text)' is not a transaction id: give ID or ID@OFFSET (the offset of its TxnBegin)")
        }
        if untilTxn != nil && !dropTxn.isEmpty {
            throw ValidationError("--until-txn and --drop-txn cannot be combined")
        }
        if key != nil && collection.count != 1 {
            throw ValidationError("--key needs exactly one --collection: keys are unique only within a collection")
        }
        if key != nil && !history {
            throw ValidationError("--key follows one row through the log: use it with --history")
        }
        if redact && !history {
            throw ValidationError(
                "--redact applies to --history, the view for a support ticket: the live rows are the data itself")
        }
        if history && (scavenge || untilTxn != nil || !dropTxn.isEmpty) {
            throw ValidationError(
                "--history lists every version the log holds and their states: the salvage choices do not apply")
        }
    }

    var choices: SalvageChoices {
        SalvageChoices(
            scavenge: scavenge, untilTxn: untilTxn.flatMap(TransactionReference.init),
            dropTxns: dropTxn.compactMap(TransactionReference.init))
    }

    func run() throws {
        let sink: LineSink
        do { sink = try LineSink(path: output) } catch {
            Console.err("mvfsck: export: \(error)")
            throw ExitCode(ExitStatus.operational)
        }
        let input: ExportInput
        do { input = try ExportInput(path: file, rereadable: !history) } catch {
            Console.err("mvfsck: export: \(error)")
            throw ExitCode(ExitStatus.operational)
        }
        let progress = Progress.make(label: file, shown: !quiet && !noProgress)
        let status: Int32
        do {
            if history {
                status = try runHistory(input.path, sink: sink, progress: progress)
            } else {
                status = try runLive(input.path, sink: sink, progress: progress)
            }
            progress?.finish()
        } catch {
            progress?.finish()
            sink.discard()
            throw ExitCode(Self.status(for: error))
        }
        throw ExitCode(status)
    }

    private func runLive(_ path: String, sink: LineSink, progress: Progress?) throws -> Int32 {
        let outcome = try LiveExport.run(
            path: path, choices: choices, collections: collection,
            progress: progress.map { p in { p.update($0, of: $1) } }, line: sink.write)
        try sink.finish(keep: outcome.rows != nil)
        let status: Int32
        if let salvage = outcome.salvage {
            status = Repair.status(salvage, dryRun: false)
        } else {
            status = ExitStatus.clean
        }
        if !quiet {
            if outcome.source.verdict != .clean {
                Console.err(TextRenderer.verifyLines(outcome.source).joined(separator: "\n"))
            }
            if let summary = outcome.salvage?.summary {
                Console.err(summary.lines().map { "  " + $0 }.joined(separator: "\n"))
            }
            for note in outcome.notes { Console.err("export: note: " + note) }
            Console.err(
                outcome.rows.map { "export: \($0) row(s)" + (output.map { " written to \($0)" } ?? "") }
                    ?? "export: nothing written: no committed state can be salvaged")
        }
        let json = { () -> JSON in
            let source = ReportJSON.render(outcome.source)
            guard case .object(let members) = source, let summary = outcome.salvage?.summary else { return source }
            return .object(members + [("salvage", SalvageJSON.render(summary))])
        }
        return status | (report == nil ? 0 : CheckRun.writeReportFile(json(), to: report))
    }

    private func runHistory(_ path: String, sink: LineSink, progress: Progress?) throws -> Int32 {
        let outcome = try HistoryExport.run(
            path: path, collection: collection.first, key: key, redactor: redact ? .redact : .keep,
            progress: progress.map { p in { p.update($0, of: $1) } }, line: sink.write)
        try sink.finish(keep: true)
        if !quiet {
            if outcome.source.verdict != .clean {
                Console.err(TextRenderer.verifyLines(outcome.source).joined(separator: "\n"))
            }
            Console.err("export: \(outcome.lines) row version(s)" + (output.map { " written to \($0)" } ?? ""))
        }
        let status = outcome.source.verdict.exitStatus
        return status | (report == nil ? 0 : CheckRun.writeReportFile(ReportJSON.render(outcome.source), to: report))
    }

    static func status(for error: Error) -> Int32 {
        switch error {
        case let failure as LiveExport.Failure:
            Console.err("mvfsck: export: \(failure)")
            switch failure {
            case .salvage(.interrupted): return ExitStatus.interrupted
            case .salvage(.choice), .unknownCollection: return ExitStatus.usage
            default: return ExitStatus.operational
            }
        case let failure as HistoryExport.Failure:
            Console.err("mvfsck: export: \(failure)")
            if case .unknownCollection = failure { return ExitStatus.usage }
            return ExitStatus.operational
        case is Interruption.Interrupted:
            return ExitStatus.interrupted
        default:
            Console.err("mvfsck: export: \(error)")
            return ExitStatus.operational
        }
    }
}

/// Where export lines go: standard output, or a file written atomically (gzip for `.gz`).
final class LineSink {
    private let file: AtomicFile?

    init(path: String?) throws {
        file = try path.map { try AtomicFile(destination: $0, gzip: $0.hasSuffix(".gz")) }
    }

    /// Writes one line (its newline added).
    func write(_ line: [UInt8]) throws {
        if let file {
            try file.write(line)
            try file.write(Self.newline)
        } else {
            Console.outBytes(line)
            Console.outBytes(Self.newline)
        }
    }

    private static let newline: [UInt8] = [0x0A]

    /// Puts the file in place (or removes it when `keep` is false).
    func finish(keep: Bool) throws {
        guard let file else { return }
        if keep { try file.commit() } else { file.discard() }
    }

    func discard() { file?.discard() }
}

/// The input of an export. Standard input is copied to a scratch file first when the export may
/// need to read it twice (a salvage reads its source again); a path is used as it is.
final class ExportInput {
    let path: String
    private let scratch: String?

    init(path: String, rereadable: Bool) throws {
        guard path == "-" && rereadable else {
            self.path = path
            scratch = nil
            return
        }
        let directory = ScratchDirectory.path
        let target = "\(directory)/mvfsck-export-stdin-\(getpid())"
        let fd = open(target, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw AtomicFile.WriteError(path: target, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress!, $0.count) }
            if got == 0 { break }
            guard got > 0 else {
                if errno == EINTR { continue }
                unlink(target)
                throw AtomicFile.WriteError(path: "standard input", reason: String(cString: strerror(errno)))
            }
            var done = 0
            while done < got {
                let wrote = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, got - done) }
                guard wrote > 0 else {
                    unlink(target)
                    throw AtomicFile.WriteError(path: target, reason: String(cString: strerror(errno)))
                }
                done += wrote
            }
        }
        self.path = target
        scratch = target
    }

    deinit { if let scratch { unlink(scratch) } }
}
