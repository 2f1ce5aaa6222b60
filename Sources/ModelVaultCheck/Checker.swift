/// Checks one input end to end: opens it read-only (inflating gzip on the fly), walks it once,
/// returns the report.
public enum Checker {
    /// Throws `InputError` when the input cannot be opened or read (an operational error);
    /// any bytes that can be read yield a report, however damaged. `configure` may attach
    /// observers (`walk`'s listing) or a tap (repair's copy) before the walk starts.
    public static func check(
        path: String, command: String, options: CheckOptions = CheckOptions(),
        progress: ((UInt64, UInt64?) -> Void)? = nil,
        configure: (LogWalker) -> Void = { _ in }
    ) throws -> Report {
        let writerActive = WriterLock.isHeld(forDatabaseAt: path)
        let input = try OpenedInput.open(path: path)
        let walker = LogWalker(source: input.source, options: options)
        configure(walker)
        if let progress {
            let size = input.compressed ? nil : input.diskSize
            walker.progress = { progress($0, size) }
        }
        var report = try walker.run(
            command: command, path: path, compressed: input.compressed,
            containerFinding: { input.containerFinding })
        if !report.revalidationPlan.isEmpty, path != "-", input.diskSize != nil {
            // Rows the engine judges by value against a version known only at the end: a file
            // that can be read again is walked once more, validating them as the engine will.
            var second = options
            second.revalidation = report.revalidationPlan
            let again = try OpenedInput.open(path: path)
            report = try LogWalker(source: again.source, options: second).run(
                command: command, path: path, compressed: again.compressed,
                containerFinding: { again.containerFinding })
        }
        if writerActive || WriterLock.isHeld(forDatabaseAt: path) {
            report.findings.insert(WriterLock.finding(for: path), at: 0)
            report.warningCount += 1
        }
        return report
    }
}
