/// Checks one input end to end: opens it read-only (inflating gzip on the fly), walks it once,
/// returns the report.
public enum Checker {
    /// Throws `InputError` when the input cannot be opened or read (an operational error);
    /// any bytes that can be read yield a report, however damaged. `configure` may attach
    /// observers (`walk`'s listing) or a tap (repair's copy) before the walk starts. With
    /// `analysersMayRestart`, the caller's analysers and tap may see a walk abandoned and begun
    /// again (`configure` is then called again, and must start them afresh): the walk can take
    /// checks on trust for them too.
    public static func check(
        path: String, command: String, options: CheckOptions = CheckOptions(),
        progress: ((UInt64, UInt64?) -> Void)? = nil, analysersMayRestart: Bool = false,
        configure: (LogWalker) -> Void = { _ in }
    ) throws -> Report {
        let writerActive = WriterLock.isHeld(forDatabaseAt: path)
        let input = try OpenedInput.open(path: path)
        var report = try walk(
            input, path: path, command: command, options: options, progress: progress,
            analysersMayRestart: analysersMayRestart, configure: configure
        ).report
        if !report.revalidationPlan.isEmpty, path != "-", input.diskSize != nil {
            // Rows the engine judges by value against a version known only at the end: a file
            // that can be read again is walked once more, validating them as the engine will.
            var second = options
            second.revalidation = report.revalidationPlan
            report = try walk(
                try OpenedInput.open(path: path), path: path, command: command, options: second, progress: nil,
                analysersMayRestart: false, configure: { _ in }
            ).report
        }
        if writerActive || WriterLock.isHeld(forDatabaseAt: path) {
            report.findings.insert(WriterLock.finding(for: path), at: 0)
            report.warningCount += 1
        }
        return report
    }

    /// How a walk used the second core.
    enum Speculation: Equatable {
        /// Every check in line: the input could not be read again, or analysers watch the walk.
        case none
        /// Checks taken on trust, and all of them held.
        case held
        /// One did not hold: the report is that of a second walk with every check in line.
        case walkedAgain
    }

    /// One walk of `input`, and how it used the second core. A regular uncompressed file is
    /// walked with checks taken on trust and proved on a second core (`SpeculativeChecks`);
    /// should one fail, it is walked again with every check in line, which makes the report.
    static func walk(
        _ input: OpenedInput, path: String, command: String, options: CheckOptions,
        progress: ((UInt64, UInt64?) -> Void)?, analysersMayRestart: Bool = false, configure: (LogWalker) -> Void
    ) throws -> (report: Report, speculation: Speculation) {
        func walker(_ input: OpenedInput) -> LogWalker {
            // With a core to spare, a compressed file is inflated ahead on a thread of its own
            // (an uncompressed one gives its second core to `SpeculativeChecks` instead).
            let source =
                options.secondCore && input.compressed && input.diskSize != nil
                ? ReadAhead(input.source) ?? input.source : input.source
            let walker = LogWalker(source: source, options: options)
            configure(walker)
            if let progress {
                let size = input.compressed ? nil : input.diskSize
                walker.progress = { progress($0, size) }
            }
            return walker
        }
        let first = walker(input)
        let speculating =
            options.secondCore && path != "-" && !input.compressed && input.diskSize != nil
            && first.speculate(restartable: analysersMayRestart)
        do {
            let report = try first.run(
                command: command, path: path, compressed: input.compressed, containerFinding: { input.containerFinding }
            )
            return (report, speculating ? .held : .none)
        } catch is SpeculativeChecks.Failed where speculating {
            let again = try OpenedInput.open(path: path)
            let report = try walker(again).run(
                command: command, path: path, compressed: again.compressed, containerFinding: { again.containerFinding }
            )
            return (report, .walkedAgain)
        }
    }
}
