import ArgumentParser
import ModelVaultFormat

/// Options shared by every command that reports on a file.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the JSON report on standard output.")
    var json = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Also write the JSON report to PATH (gzip-compressed when PATH ends in .gz), atomically.", valueName: "PATH"
        ))
    var report: String?

    @Flag(name: .shortAndLong, help: "Print nothing; the exit status tells the outcome.")
    var quiet = false

    @Flag(
        name: .customLong("no-progress"),
        help: "Never print progress on standard error (it is shown only on a terminal, for inputs over 64 MiB).")
    var noProgress = false
}

/// Options that change what a check decodes. The full decode is the default: a framing-only
/// check cannot see damage under valid checksums, which the engine refuses all the same.
struct CheckDepthOptions: ParsableArguments {
    @Flag(
        name: .customLong("framing-only"),
        help: ArgumentHelp(
            "Check framing, checksums, transaction markers, superblocks, manifests and the catalog only; "
                + "skip the decode of Record, Index and Checkpoint payloads "
                + "(faster, but blind to damage under valid checksums).")
    )
    var framingOnly = false

    @Flag(
        name: .long,
        help: ArgumentHelp("Decode every payload (the default; kept for older scripts).", visibility: .hidden))
    var deep = false

    func validate() throws {
        if framingOnly && deep { throw ValidationError("--framing-only and --deep are exclusive") }
    }

    /// Whether Record, Index and Checkpoint payloads are decoded.
    var decodesContents: Bool { !framingOnly }
}

/// `--redact`: record keys and values in the output replaced by their length and a digest
/// (`Redactor`), so the output can go on a support ticket.
struct RedactOptions: ParsableArguments {
    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Replace every record key and value the output would quote by "
                + "<redacted:N bytes, sha256:XXXXXXXX>; collection, field and index names are kept."))
    var redact = false

    var redactor: Redactor { redact ? .redact : .keep }
}
