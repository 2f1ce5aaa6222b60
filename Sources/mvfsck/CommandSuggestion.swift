#if canImport(Glibc)
    import Glibc
#endif

/// A first argument that is no existing path but nearly a command name is a mistyped command,
/// not a file to verify: `mvfsck veriffy db` is a usage error that names `verify`.
struct CommandSuggestion: Error, CustomStringConvertible {
    static let maximumDistance = 2

    var typed: String
    var command: String

    var description: String { "unknown command '\(typed)'; did you mean '\(command)'?" }

    /// The suggestion for `arguments` (without the program name), if its first one is a typo.
    static func find(in arguments: [String], commands: [String]) -> CommandSuggestion? {
        guard let first = arguments.first, !first.isEmpty, !first.hasPrefix("-"), !first.contains("/"),
            !commands.contains(first), !exists(first)
        else { return nil }
        let nearest = commands.map { (name: $0, distance: EditDistance.between(first, $0)) }
            .min { $0.distance < $1.distance }
        guard let nearest, nearest.distance <= maximumDistance else { return nil }
        return CommandSuggestion(typed: first, command: nearest.name)
    }

    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}
