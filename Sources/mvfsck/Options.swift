import ArgumentParser

/// Options shared by every command that reports on a file.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the JSON report on standard output.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Also write the JSON report to PATH (gzip-compressed when PATH ends in .gz), atomically.", valueName: "PATH"))
    var report: String?

    @Flag(name: .shortAndLong, help: "Print nothing; the exit status tells the outcome.")
    var quiet = false

    @Flag(name: .customLong("no-progress"), help: "Never print progress on standard error (it is shown only on a terminal, for inputs over 64 MiB).")
    var noProgress = false
}

/// Options that change what a check decodes.
struct CheckDepthOptions: ParsableArguments {
    @Flag(name: .long, help: "Decode every Record, Index and Checkpoint payload against the catalog, not only framing and checksums.")
    var deep = false
}
