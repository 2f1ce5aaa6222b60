import ModelVaultCheck

/// What a run over many files did, for the summary line, `--json-lines` and `--metrics`.
struct RunSummary {
    var files = 0
    var byVerdict: [Verdict: Int] = [:]
    var operationalErrors = 0
    var notReached = 0
    var bytesRead: UInt64 = 0
    var elapsedSeconds = 0.0
    var committedTransactionsAtRisk = 0
    var exitStatus: Int32 = 0
    var interrupted = false
    /// The share of a `--subset` run; nil when every file was listed.
    var subset: Subset?
    /// Files that are not clean, for the per-file metric.
    var notClean: [(path: String, verdict: Verdict)] = []

    mutating func add(_ report: Report) {
        files += 1
        byVerdict[report.verdict, default: 0] += 1
        bytesRead += report.file.size
        committedTransactionsAtRisk += report.engine.committedTransactionsLost
        if report.verdict != .clean { notClean.append((report.file.path, report.verdict)) }
    }

    var json: JSON {
        .object([
            ("kind", .string("summary")),
            ("files", .int(Int64(files))),
            ("by_verdict", .object(Verdict.allCases.map { ($0.rawValue, .int(Int64(byVerdict[$0] ?? 0))) })),
            ("operational_errors", .int(Int64(operationalErrors))),
            ("not_reached", .int(Int64(notReached))),
            ("bytes_read", .uint(bytesRead)),
            ("elapsed_seconds", .double((elapsedSeconds * 1000).rounded() / 1000)),
            ("committed_transactions_at_risk", .int(Int64(committedTransactionsAtRisk))),
            ("interrupted", .bool(interrupted)),
            ("exit_status", .int(Int64(exitStatus))),
        ])
    }

    var text: String {
        let verdicts = Verdict.allCases.map { "\(byVerdict[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
        let rate = elapsedSeconds > 0 ? Double(bytesRead) / elapsedSeconds : 0
        var line =
            "summary: \(files) files (\(verdicts)), "
            + "\(operationalErrors) operational errors, \(notReached) not reached, "
            + "\(Progress.size(bytesRead)) in \(Self.seconds(elapsedSeconds)) (\(Progress.size(UInt64(rate)))/s)"
        if interrupted { line += ", interrupted" }
        return line
    }

    static func seconds(_ s: Double) -> String {
        let ms = Int((s * 1000).rounded())
        let millis = String(ms % 1000)
        return "\(ms / 1000).\(String(repeating: "0", count: 3 - millis.count) + millis)s"
    }
}
