import ArgumentParser
import FileOutput
import ModelVaultCheck
import ModelVaultFormat

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check each file read-only and report every fault (the default command).",
        discussion: """
            Walks the header, both superblocks and every segment of each FILE once, decodes every \
            Record, Index and Checkpoint payload (unless --framing-only), reports every fault with \
            its byte offset, predicts what ModelVault's strict and AutoTruncate opens would do, and \
            gives a verdict. FILE may be a path, a directory (walked recursively for \
            *.modelvault and *.modelvault.gz) or - for standard input; gzip-compressed input is \
            inflated on the fly. Exit status: 0 clean, 4 errors left uncorrected, 8 operational \
            error, 16 usage error, 32 interrupted; with several files, the bitwise OR.
            """)

    @OptionGroup var output: OutputOptions
    @OptionGroup var depth: CheckDepthOptions
    @OptionGroup var redaction: RedactOptions

    // .unconditional on the numeric options: "-1" is a value to reject by name, not a missing one.
    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp("Check up to N files at once (default: the number of cores).", valueName: "N"))
    var jobs: Int?

    @Flag(
        name: .customLong("json-lines"),
        help: "Print each file's report on one line as it completes (in order), then a summary line.")
    var jsonLines = false

    @Option(
        name: .long, parsing: .singleValue,
        help: ArgumentHelp("Skip paths matching this glob (repeatable).", valueName: "GLOB"))
    var exclude: [String] = []

    @Flag(
        name: .customLong("all-files"),
        help: ArgumentHelp(
            "In directories, check every regular file that starts with the TDB0 magic or a gzip header, "
                + "not only *.modelvault[.gz].")
    )
    var allFiles = false

    @Flag(
        name: .customLong("allow-empty"),
        help: "Accept a directory that holds no file to check (by default an operational error).")
    var allowEmpty = false

    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp(
            "Check only share K of N (by a stable hash of each path), so N runs cover every file; "
                + "env: the 0-based index from JOB_COMPLETION_INDEX (or MVFSCK_SHARD_INDEX) and N from MVFSCK_SHARDS.",
            valueName: "K/N|env"))
    var subset: String?

    @Option(
        name: .customLong("max-duration"), parsing: .unconditional,
        help: ArgumentHelp("Start no new file after this many seconds.", valueName: "SECONDS"))
    var maxDuration: Double?

    @Option(
        name: .long,
        help: ArgumentHelp("Write the run's figures in Prometheus text format to PATH, atomically.", valueName: "PATH"))
    var metrics: String?

    @Argument(help: "Database files or directories to check (- for standard input).")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one FILE") }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be read only once") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be a whole number of at least 1, got '\(jobs)'") }
        if output.json && jsonLines { throw ValidationError("--json and --json-lines are exclusive") }
        if let subset { _ = try Subset.parse(subset) }
        if let maxDuration, !(maxDuration >= 0) {
            let text =
                maxDuration == maxDuration.rounded() && abs(maxDuration) < 1e15
                ? String(Int64(maxDuration)) : "\(maxDuration)"
            throw ValidationError("--max-duration must be a non-negative number of seconds, got '\(text)'")
        }
    }

    func run() throws {
        let started = Progress.now()
        let listed = InputList(allFiles: allFiles, excludes: exclude, allowEmpty: allowEmpty).expand(files)
        // An empty directory is reported by every share: each run must see a wrong path.
        let share = subset.flatMap { try? Subset.parse($0) }
        let entries =
            share.map { share in listed.filter { $0.isEmptyDirectory || share.contains(relative: $0.relative) } }
            ?? listed
        let single =
            files.count == 1 && entries.count == 1 && entries[0].path == files[0] && !entries[0].isEmptyDirectory
        let workers = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        var summary = RunSummary(subset: share)
        var arrayItems: [JSON] = []
        let deadline = maxDuration.map { started + $0 }
        let runner = OrderedRunner<FileResult>(count: entries.count, workers: workers)
        // A file's checks go to a second thread only while cores are left over.
        let secondCore = min(workers, entries.count) * 2 <= ProcessInfo.processInfo.activeProcessorCount
        let quietOutput = output.quiet
        runner.run(
            job: { index in
                FileResult.check(
                    entries[index], output: output, deep: depth.decodesContents, redactor: redaction.redactor,
                    showProgress: workers == 1 || entries.count == 1, secondCore: secondCore)
            },
            skipped: { index in FileResult(entry: entries[index], outcome: nil, seconds: 0) },
            shouldStart: { index in
                // Known from the listing alone, so reported whatever the deadline.
                if entries[index].isEmptyDirectory { return true }
                if Interruption.signalReceived != nil { return false }
                if let deadline, Progress.now() >= deadline { return false }
                return true
            },
            deliver: { _, result in
                guard let outcome = result.outcome else {
                    summary.notReached += 1
                    return
                }
                summary.exitStatus |= outcome.status
                if let report = outcome.report {
                    summary.add(report)
                } else if outcome.interrupted {
                    summary.notReached += 1
                } else {
                    summary.operationalErrors += 1
                }
                if outcome.interrupted { return }
                if output.json || output.report != nil { arrayItems.append(outcome.json) }
                if jsonLines {
                    Console.out([outcome.json.compact])
                } else if !output.json && !quietOutput {
                    Console.out(
                        single
                            ? (outcome.report.map(TextRenderer.verifyLines) ?? [])
                            : TextRenderer.manyFilesLines(result))
                }
            })
        summary.elapsedSeconds = Progress.now() - started
        if Interruption.signalReceived != nil {
            summary.interrupted = true
            summary.exitStatus |= ExitStatus.interrupted
        }
        // Files first, so the summary printed last carries the final exit status.
        let combined: JSON = single && !arrayItems.isEmpty ? arrayItems[0] : .array(arrayItems)
        summary.exitStatus |= CheckRun.writeReportFile(combined, output: output)
        if let metrics {
            do {
                try Metrics.write(summary, to: metrics)
            } catch {
                Console.err("mvfsck: cannot write metrics: \(error)")
                summary.exitStatus |= ExitStatus.operational
            }
        }
        if output.json { Console.out([combined.pretty]) }
        if jsonLines { Console.out([summary.json.compact]) }
        if !single && !output.json && !jsonLines && !output.quiet { Console.out([summary.text]) }
        if summary.notReached > 0 && !output.quiet && !output.json && !jsonLines {
            Console.err("mvfsck: \(summary.notReached) file(s) not reached")
        }
        throw ExitCode(summary.exitStatus)
    }
}

/// One file's outcome in a run over many files.
struct FileResult {
    var entry: InputList.Entry
    /// Nil when the file was not started (--max-duration or an interruption).
    var outcome: CheckRun?
    var seconds: Double

    static func check(
        _ entry: InputList.Entry, output: OutputOptions, deep: Bool, redactor: Redactor, showProgress: Bool,
        secondCore: Bool = true
    ) -> FileResult {
        let start = Progress.now()
        if let error = entry.error {
            Console.err(error.message(path: entry.path))
            return FileResult(
                entry: entry,
                outcome: CheckRun(
                    report: nil,
                    json: ReportJSON.operationalError(command: "verify", path: entry.path, message: "\(error)"),
                    status: ExitStatus.operational), seconds: 0)
        }
        let outcome = CheckRun.check(
            path: entry.path, command: "verify", output: output, deep: deep, redactor: redactor,
            showProgress: showProgress, secondCore: secondCore)
        return FileResult(entry: entry, outcome: outcome, seconds: Progress.now() - start)
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise one file: header, superblocks, segments, transactions, catalog, engine outcome.")

    @OptionGroup var output: OutputOptions
    @OptionGroup var depth: CheckDepthOptions
    @OptionGroup var redaction: RedactOptions

    @Argument(help: "The database file (- for standard input).")
    var file: String

    func run() throws {
        let outcome = CheckRun.check(
            path: file, command: "inspect", output: output, deep: depth.decodesContents,
            redactor: redaction.redactor)
        if output.json {
            Console.out([outcome.json.pretty])
        } else if let report = outcome.report, !output.quiet {
            Console.out(TextRenderer.inspectLines(report))
        }
        throw ExitCode(outcome.status | CheckRun.writeReportFile(outcome.json, output: output))
    }
}

/// One file checked for a command: the report (nil on an operational error), its JSON and
/// its exit status. Operational errors are printed on standard error here.
struct CheckRun {
    var report: Report?
    var json: JSON
    var status: Int32
    var interrupted = false

    static func check(
        path: String, command: String, output: OutputOptions, deep: Bool = false, redactor: Redactor = .keep,
        showProgress: Bool = true, secondCore: Bool = true, configure: (LogWalker) -> Void = { _ in }
    ) -> CheckRun {
        let progress = showProgress ? Progress.make(label: path, output: output) : nil
        defer { progress?.finish() }
        do {
            var options = CheckOptions(deep: deep, redactor: redactor)
            options.secondCore = secondCore
            let report = try Checker.check(
                path: path, command: command, options: options,
                progress: progress.map { p in { p.update($0, of: $1) } }, configure: configure)
            return CheckRun(report: report, json: ReportJSON.render(report), status: report.verdict.exitStatus)
        } catch let error as InputError {
            Console.err("mvfsck: \(error)")
            return CheckRun(
                report: nil, json: ReportJSON.operationalError(command: command, path: path, message: error.reason),
                status: ExitStatus.operational)
        } catch let error as Interruption.Interrupted {
            return CheckRun(
                report: nil, json: ReportJSON.operationalError(command: command, path: path, message: "\(error)"),
                status: ExitStatus.interrupted, interrupted: true)
        } catch {
            Console.err("mvfsck: \(path): \(error)")
            return CheckRun(
                report: nil, json: ReportJSON.operationalError(command: command, path: path, message: "\(error)"),
                status: ExitStatus.operational)
        }
    }

    /// Writes `--report` if asked; returns the status to OR in (8 when it cannot be written).
    static func writeReportFile(_ json: JSON, output: OutputOptions) -> Int32 {
        writeReportFile(json, to: output.report)
    }

    /// Writes the JSON report to `path` if there is one; returns the status to OR in.
    static func writeReportFile(_ json: JSON, to path: String?) -> Int32 {
        guard let path else { return 0 }
        do {
            try ReportFile.write(json, to: path)
            return 0
        } catch {
            Console.err("mvfsck: cannot write the report: \(error)")
            return ExitStatus.operational
        }
    }
}
