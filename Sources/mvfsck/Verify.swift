import ArgumentParser
import ModelVaultCheck

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check each file read-only and report every fault (the default command).",
        discussion: """
        Walks the header, both superblocks and every segment of each FILE once, reports every \
        fault with its byte offset, predicts what ModelVault's strict and AutoTruncate opens \
        would do, and gives a verdict. FILE may be - for standard input. Exit status: 0 clean, \
        4 errors left uncorrected, 8 operational error, 16 usage error; with several files, \
        the bitwise OR.
        """)

    @OptionGroup var output: OutputOptions

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
            do {
                let report = try Checker.check(path: path, command: "verify")
                status |= report.verdict.exitStatus
                if output.json {
                    reports.append(ReportJSON.render(report))
                } else if !output.quiet {
                    Console.out(TextRenderer.verifyLines(report))
                }
            } catch let error as InputError {
                status |= ExitStatus.operational
                Console.err("mvfsck: \(error)")
                if output.json { reports.append(ReportJSON.operationalError(command: "verify", path: path, message: error.reason)) }
            }
        }
        if output.json {
            Console.out([(files.count == 1 ? reports[0] : .array(reports)).pretty])
        }
        throw ExitCode(status)
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise one file: header, superblocks, segments, transactions, catalog, engine outcome.")

    @OptionGroup var output: OutputOptions

    @Argument(help: "The database file (- for standard input).")
    var file: String

    func run() throws {
        do {
            let report = try Checker.check(path: file, command: "inspect")
            if output.json {
                Console.out([ReportJSON.render(report).pretty])
            } else if !output.quiet {
                Console.out(TextRenderer.inspectLines(report))
            }
            throw ExitCode(report.verdict.exitStatus)
        } catch let error as InputError {
            Console.err("mvfsck: \(error)")
            if output.json { Console.out([ReportJSON.operationalError(command: "inspect", path: file, message: error.reason).pretty]) }
            throw ExitCode(ExitStatus.operational)
        }
    }
}
