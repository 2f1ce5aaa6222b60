import ArgumentParser
import ModelVaultCheck

struct DumpCatalog: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-catalog",
        abstract: "Print the schema catalog: every collection, schema version, field, constraint and index.",
        discussion: """
            The catalog is replayed as the engine would, from every committed Schema segment. With \
            --json, types, constraints and indexes use the JSON shapes of the engine's \
            register_collection(name, fields_json, primary_field, indexes_json). The exit status is \
            the file's (0 clean, 4 damaged, 8 unreadable).
            """)

    @OptionGroup var output: OutputOptions

    @Argument(help: "The database file (- for standard input).")
    var file: String

    func run() throws {
        let outcome = CheckRun.check(path: file, command: "dump-catalog", output: output)
        guard let report = outcome.report else { throw ExitCode(outcome.status) }
        if output.json {
            Console.out([CatalogJSON.render(report.catalog).pretty])
        } else if !output.quiet {
            Console.out(CatalogJSON.textLines(report.catalog))
            if report.verdict != .clean {
                Console.err(
                    "mvfsck: \(file) is \(report.verdict.rawValue) (\(report.errorCount) errors): "
                        + "the catalog above is what could be read"
                )
            }
        }
        throw ExitCode(outcome.status | CheckRun.writeReportFile(outcome.json, output: output))
    }
}
