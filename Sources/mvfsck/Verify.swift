import ArgumentParser
import FileOutput
import ModelVaultCheck

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check each file read-only and report every fault (the default command).",
        discussion: """
        Walks the header, both superblocks and every segment of each FILE once, reports every \
        fault with its byte offset, predicts what ModelVault's strict and AutoTruncate opens \
        would do, and gives a verdict. FILE may be - for standard input; gzip-compressed input \
        is inflated on the fly. Exit status: 0 clean, 4 errors left uncorrected, 8 operational \
        error, 16 usage error; with several files, the bitwise OR.
        """)

    @OptionGroup var output: OutputOptions
    @OptionGroup var depth: CheckDepthOptions

    @Argument(help: "Database files to check (- for standard input).")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one FILE") }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be read only once") }
    }

    func run() throws {
        var status: Int32 = 0
        var reports: [JSON] = []
        for path in files {
            let outcome = CheckRun.check(path: path, command: "verify", output: output, deep: depth.deep)
            status |= outcome.status
            reports.append(outcome.json)
            if let report = outcome.report, !output.json, !output.quiet {
                Console.out(TextRenderer.verifyLines(report))
            }
        }
        let combined: JSON = files.count == 1 ? reports[0] : .array(reports)
        if output.json { Console.out([combined.pretty]) }
        status |= CheckRun.writeReportFile(combined, output: output)
        throw ExitCode(status)
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise one file: header, superblocks, segments, transactions, catalog, engine outcome.")

    @OptionGroup var output: OutputOptions
    @OptionGroup var depth: CheckDepthOptions

    @Argument(help: "The database file (- for standard input).")
    var file: String

    func run() throws {
        let outcome = CheckRun.check(path: file, command: "inspect", output: output, deep: depth.deep)
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

    static func check(path: String, command: String, output: OutputOptions, deep: Bool = false) -> CheckRun {
        let progress = Progress.make(label: path, output: output)
        defer { progress?.finish() }
        do {
            let report = try Checker.check(path: path, command: command, options: CheckOptions(deep: deep),
                                           progress: progress.map { p in { p.update($0, of: $1) } })
            return CheckRun(report: report, json: ReportJSON.render(report), status: report.verdict.exitStatus)
        } catch let error as InputError {
            Console.err("mvfsck: \(error)")
            return CheckRun(report: nil, json: ReportJSON.operationalError(command: command, path: path, message: error.reason),
                            status: ExitStatus.operational)
        } catch {
            Console.err("mvfsck: \(path): \(error)")
            return CheckRun(report: nil, json: ReportJSON.operationalError(command: command, path: path, message: "\(error)"),
                            status: ExitStatus.operational)
        }
    }

    /// Writes `--report` if asked; returns the status to OR in (8 when it cannot be written).
    static func writeReportFile(_ json: JSON, output: OutputOptions) -> Int32 {
        guard let path = output.report else { return 0 }
        do {
            try ReportFile.write(json, to: path)
            return 0
        } catch {
            Console.err("mvfsck: cannot write the report: \(error)")
            return ExitStatus.operational
        }
    }
}
