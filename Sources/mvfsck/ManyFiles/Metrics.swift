import FileOutput
import ModelVaultCheck

#if canImport(Glibc)
    import Glibc
#endif

/// `--metrics PATH`: the run's figures in the Prometheus text exposition format, for
/// node_exporter's textfile collector, written atomically.
enum Metrics {
    static func text(_ s: RunSummary, now: Double) -> String {
        var out = ""
        func metric(_ name: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for sample in samples { out += "\(name)\(sample.labels) \(sample.value)\n" }
        }
        metric(
            "mvfsck_files", "Files checked by the last run, by verdict.",
            Verdict.allCases.map { ("{verdict=\"\($0.rawValue)\"}", String(s.byVerdict[$0] ?? 0)) })
        metric(
            "mvfsck_operational_errors",
            "Files that could not be opened or read, and directory arguments with no file to check, in the last run.",
            [("", String(s.operationalErrors))])
        metric(
            "mvfsck_files_not_reached", "Files not started before --max-duration or an interruption.",
            [("", String(s.notReached))])
        metric("mvfsck_bytes_read", "Database bytes checked by the last run.", [("", String(s.bytesRead))])
        metric("mvfsck_run_duration_seconds", "Wall-clock duration of the last run.", [("", String(s.elapsedSeconds))])
        metric(
            "mvfsck_last_run_timestamp_seconds", "When the last run finished, in seconds since the epoch.",
            [("", String(now))])
        metric(
            "mvfsck_committed_transactions_at_risk",
            "Committed transactions an AutoTruncate open would discard, summed over files.",
            [("", String(s.committedTransactionsAtRisk))])
        metric("mvfsck_exit_status", "Exit status of the last run.", [("", String(s.exitStatus))])
        metric(
            "mvfsck_subset_share", "The share K of --subset K/N this run checked (1 without --subset).",
            [("", String(s.subset?.k ?? 1))])
        metric(
            "mvfsck_subset_shards", "The number of shares N of --subset K/N (1 without --subset).",
            [("", String(s.subset?.n ?? 1))])
        metric(
            "mvfsck_file_verdict", "Files that are not clean (value 1), labelled with path and verdict.",
            s.notClean.map { ("{path=\"\(escape($0.path))\",verdict=\"\($0.verdict.rawValue)\"}", "1") })
        return out
    }

    /// A label value as the exposition format requires: backslash, double quote and newline escaped.
    static func escape(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func write(_ s: RunSummary, to path: String) throws {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let file = try AtomicFile(destination: path)
        try file.write(text(s, now: Double(ts.tv_sec) + Double(ts.tv_nsec / 1_000_000) / 1000))
        try file.commit()
    }
}
