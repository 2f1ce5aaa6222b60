import ArgumentParser

/// Options shared by every command that reports on a file.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the JSON report on standard output.")
    var json = false

    @Flag(name: .shortAndLong, help: "Print nothing; the exit status tells the outcome.")
    var quiet = false

    @Flag(name: .customLong("no-progress"), help: "Never print progress on standard error.")
    var noProgress = false
}
