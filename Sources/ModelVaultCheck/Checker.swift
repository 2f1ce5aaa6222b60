/// Checks one input end to end: opens it read-only, walks it once, returns the report.
public enum Checker {
    /// Throws `InputError` when the input cannot be opened or read (an operational error);
    /// any bytes that can be read yield a report, however damaged.
    public static func check(path: String, command: String, options: CheckOptions = CheckOptions(),
                             progress: ((UInt64, UInt64?) -> Void)? = nil) throws -> Report {
        let source = try FileSource(path: path)
        let walker = LogWalker(source: source, options: options)
        if let progress {
            let size = source.knownSize
            walker.progress = { progress($0, size) }
        }
        return try walker.run(command: command, path: path)
    }
}
