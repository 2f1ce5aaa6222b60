import ArgumentParser
import ModelVaultCheck

#if canImport(Glibc)
    import Glibc
#endif

struct MVFsck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mvfsck",
        abstract: "Offline forensics for ModelVault database files.",
        discussion: "With no command, `mvfsck FILE...` is `mvfsck verify FILE...`.",
        version: MVFsckVersion.current,
        subcommands: [Verify.self, Inspect.self, Walk.self, DumpCatalog.self, Repair.self, Export.self],
        defaultSubcommand: Verify.self)

    /// Every command name, with the parser's built-in `help`.
    static var commandNames: [String] { configuration.subcommands.map { $0._commandName } + ["help"] }
}

/// Parses and runs, mapping argument errors to status 16 (fsck's usage error) instead of the
/// parser's default 64.
@main
enum Main {
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        Interruption.install()
        if let suggestion = CommandSuggestion.find(
            in: Array(CommandLine.arguments.dropFirst()), commands: MVFsck.commandNames)
        {
            Console.err("mvfsck: \(suggestion)")
            finish(ExitStatus.usage)
        }
        do {
            var command = try MVFsck.parseAsRoot()
            try command.run()
            finish(ExitStatus.clean)
        } catch let exit as ExitCode {
            finish(exit.rawValue)
        } catch {
            Console.flush()
            let code = MVFsck.exitCode(for: error)
            if code == .success {
                MVFsck.exit(withError: error)
            }
            let message = MVFsck.fullMessage(for: error)
            if !message.isEmpty { Console.err(message) }
            Glibc.exit(code == .validationFailure || code.rawValue == 64 ? ExitStatus.usage : code.rawValue)
        }
    }

    /// Writes out standard output and exits; a stop request that arrived at any point, even
    /// while the last output was being written, adds 32.
    static func finish(_ status: Int32) -> Never {
        Console.flush()
        Glibc.exit(status | (Interruption.signalReceived == nil ? 0 : ExitStatus.interrupted))
    }
}
