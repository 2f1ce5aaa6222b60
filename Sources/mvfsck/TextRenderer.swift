import ModelVaultCheck
import ModelVaultFormat

/// Human-readable reports: a verdict line, every finding with its offset, and what the engine
/// would do.
enum TextRenderer {
    static func verifyLines(_ r: Report) -> [String] {
        var lines = ["\(r.file.path): \(verdictWord(r)) (\(summary(r)))"]
        lines += findingLines(r.findings, indent: "  ")
        if r.findingsDropped > 0 { lines.append("  … \(r.findingsDropped) more findings not listed") }
        if r.verdict == .clean {
            if r.engine.basis == .framing {
                lines.append("  verdict: " + verdictSentence(r))
            } else if r.errorCount == 0 && r.warningCount == 0 {
                lines.append("  no errors found")
            }
        } else {
            lines.append("  engine: " + engineSentence(r.engine))
            lines.append("  verdict: " + verdictSentence(r))
        }
        return lines
    }

    /// One line per file in a run over many files, with the findings of a file that is not clean.
    static func manyFilesLines(_ result: FileResult) -> [String] {
        guard let outcome = result.outcome else { return [] }
        guard let r = outcome.report else {
            return ["\(result.entry.path): operational error"]
        }
        var lines = [
            "\(r.file.path): \(verdictWord(r)), \(counted(r.errorCount, "error")), "
                + "\(counted(r.warningCount, "warning")), \(Progress.size(r.file.size)), "
                + RunSummary.seconds(result.seconds)
        ]
        if r.verdict != .clean || r.warningCount > 0 {
            lines += findingLines(r.findings.filter { $0.severity != .info || r.verdict != .clean }, indent: "    ")
        }
        if r.verdict != .clean { lines.append("    engine: " + engineSentence(r.engine)) }
        return lines
    }

    static func summary(_ r: Report) -> String {
        let minor = r.header.map { "format \($0.formatMajor).\($0.formatMinor), " } ?? ""
        return
            "\(minor)\(r.file.size) bytes, \(r.segments.count) segments, "
            + "\(r.transactions.committed) committed transactions, "
            + "\(counted(r.errorCount, "error")), \(counted(r.warningCount, "warning"))"
    }

    /// "1 error", "2 errors".
    static func counted(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    /// The verdict as one word, qualified when only framing was checked: a framing-level
    /// "clean" says nothing about the contents.
    static func verdictWord(_ r: Report) -> String {
        r.verdict == .clean && r.engine.basis == .framing ? "clean at framing level" : r.verdict.rawValue
    }

    static func findingLines(_ findings: [Finding], indent: String) -> [String] {
        let width = max(6, findings.map { String($0.offset).count }.max() ?? 0)
        return findings.map { f in
            let offset = String(f.offset)
            let pad = String(repeating: " ", count: width - offset.count)
            let severity = f.severity.rawValue + String(repeating: " ", count: 7 - f.severity.rawValue.count)
            return "\(indent)\(severity) \(pad)\(offset)  \(f.code.rawValue): \(f.message)"
        }
    }

    static func engineSentence(_ e: EnginePrediction) -> String {
        var parts: [String] = []
        let autoTruncateError = e.autoTruncateError.map(String.init(describing:)) ?? "?"
        parts.append(
            e.strictOpens
                ? "a strict open succeeds"
                : "a strict open fails (\(e.strictError.map(String.init(describing:)) ?? "?"))")
        if e.autoTruncateOpens {
            if e.truncatedBytes > 0 {
                let lost = e.committedTransactionsLost
                let losing =
                    lost == 0
                    ? "losing no committed transaction"
                    : "losing \(counted(lost, "committed transaction")) that lie\(lost == 1 ? "s" : "") after the cut"
                parts.append(
                    "an AutoTruncate open cuts the last \(e.truncatedBytes) bytes (\(e.truncateReason?.rawValue ?? "?"))"
                        + " and succeeds, " + losing
                )
            } else if e.modifiesFile {
                parts.append("a read-write open rewrites the file as a new, empty database")
            } else {
                parts.append("an AutoTruncate open succeeds without changing the file")
            }
        } else if e.modifiesFile {
            parts.append(
                "an AutoTruncate open truncates the file by \(e.truncatedBytes) bytes (\(e.truncateReason?.rawValue ?? "?"))"
                    + " and then still fails (\(autoTruncateError))"
            )
        } else {
            parts.append("an AutoTruncate open fails without changing the file (\(autoTruncateError))")
        }
        return parts.joined(separator: "; ")
            + (e.basis == .framing ? " [prediction from framing and catalog]" : " [prediction from a deep decode]")
    }

    /// Says why, from the same facts the verdict rests on: a file the engine opens strictly and
    /// without a cut is recoverable only for its error findings (a damaged gzip container).
    static func verdictSentence(_ r: Report) -> String {
        switch r.verdict {
        case .clean:
            return r.engine.basis == .framing ? "clean at framing level: contents not decoded" : "clean"
        case .recoverable where r.engine.strictOpens && r.engine.truncatedBytes == 0:
            var codes: [String] = []
            for f in r.findings where f.severity == .error && !codes.contains(f.code.rawValue) {
                codes.append(f.code.rawValue)
            }
            return "recoverable: a strict open succeeds and nothing is cut, but "
                + "\(counted(r.errorCount, "error finding")) remain\(r.errorCount == 1 ? "s" : "")"
                + " (\(codes.joined(separator: ", ")))"
        case .recoverable: return "recoverable: the engine's own AutoTruncate open succeeds"
        case .repairable:
            return
                "repairable: the engine cannot open it, "
                + "but its committed prefix (up to offset \(r.salvageEnd)) can be salvaged into a fresh file"
        case .unrecoverable: return "unrecoverable: no committed data can be salvaged"
        }
    }

    static func inspectLines(_ r: Report) -> [String] {
        var lines: [String] = []
        lines.append("file        \(r.file.path) (\(r.file.size) bytes)")
        if let h = r.header {
            let validity = h.hasValidMagic && h.isSupportedVersion ? "" : "  [invalid]"
            lines.append(
                "header      magic \(h.magicText), format \(h.formatMajor).\(h.formatMinor), "
                    + "header size \(h.headerSize), flags \(h.flags)\(validity)"
            )
        } else {
            lines.append("header      (missing)")
        }
        if r.superblocks.isEmpty { lines.append("superblocks (missing)") }
        for (s, selected) in r.superblocks {
            let state =
                s.isSound
                ? "sound"
                : (!s.hasValidMagic
                    ? "bad magic"
                    : !s.isRecognised ? "unsupported version" : s.checksumKind != 0 ? "bad checksum kind" : "bad CRC")
            var line =
                "superblock \(s.slot.rawValue)  v\(s.version) generation \(s.generation), manifest @\(s.manifestOffset)"
            if s.version == 1 { line += ", checkpoint @\(s.checkpointOffset) (\(s.checkpointLength) bytes)" }
            line += ", \(state)"
            if selected { line += "  <- selected" }
            lines.append(line)
        }
        lines.append("selection   " + selectionSentence(r))
        let byType = r.segments.byType.map { "\($0.0.name) \($0.1)" }.joined(separator: ", ")
        lines.append(
            "segments    \(r.segments.count) (\(r.segments.bytes) bytes)\(byType.isEmpty ? "" : ": " + byType)")
        let t = r.transactions
        lines.append(
            "txns        \(t.committed) committed, \(t.aborted) aborted, \(t.uncommitted) uncommitted, "
                + "highest id \(t.maxTxnId.map(String.init) ?? "-") "
                + "(ids restart at 1 each time the engine opens the file)"
        )
        if r.catalog.collections.isEmpty { lines.append("catalog     (no collections)") }
        for (i, c) in r.catalog.collections.enumerated() {
            let label = i == 0 ? "catalog     " : "            "
            lines.append(
                label
                    + "#\(c.id) \(c.name): primary \(c.primaryField ?? "-"), schema v\(c.currentVersion), "
                    + "\(c.current?.fields.count ?? 0) fields, \(c.current?.indexes.count ?? 0) indexes"
            )
        }
        if let c = r.checkpoint { lines += checkpointLines(c) }
        lines.append("engine      " + engineSentence(r.engine))
        lines.append("verdict     " + verdictSentence(r))
        if !r.findings.isEmpty {
            lines.append("findings    \(counted(r.errorCount, "error")), \(counted(r.warningCount, "warning"))")
            lines += findingLines(r.findings, indent: "  ")
        }
        return lines
    }

    /// The selected superblock's checkpoint, then one line per other Checkpoint segment.
    static func checkpointLines(_ c: CheckpointSummary) -> [String] {
        var lines: [String] = []
        let indent = "            "
        if let offset = c.offset {
            var line = "checkpoint  @\(offset) (\(c.length ?? 0) bytes)"
            if let version = c.version { line += ", version \(version)" }
            line += c.usedByEngine ? ", used by the engine" : ", not used: \(c.notUsedBecause ?? "")"
            lines.append(line)
            if c.newerSegments > 0 {
                lines.append(indent + "\(counted(c.newerSegments, "newer Checkpoint segment")) later in the log")
            }
        } else {
            lines.append("checkpoint  none: \(c.notUsedBecause ?? "")")
        }
        if let from = c.replayFromOffset {
            let boundary =
                c.replayFromOnBoundary.map {
                    $0 ? "a segment boundary outside any transaction" : "not a boundary outside a transaction"
                } ?? "the end of the log"
            lines.append(indent + "replay_from_offset \(from) (\(boundary))")
            let collections = c.collections.map {
                "\($0.name) (\(counted($0.versions, "version"))) \(counted($0.rows, "row"))"
            }
            var holds = "holds " + (collections.isEmpty ? "no collections" : collections.joined(separator: ", "))
            if c.otherRows > 0 { holds += ", \(counted(c.otherRows, "row")) of no collection it registers" }
            lines.append(indent + holds + "; index state \(c.indexStateBytes ?? 0) bytes")
            let covered = c.transactionsCovered.map { counted($0, "committed transaction") } ?? "?"
            let after = c.transactionsReplayedAfter.map { counted($0, "committed transaction") } ?? "?"
            lines.append(
                indent + "covers \(covered); \(after) (\(c.bytesReplayedAfter ?? 0) bytes) replay after it")
        }
        for other in c.others {
            lines.append(
                indent + "other Checkpoint @\(other.offset) (\(other.length) bytes, "
                    + (other.checksumsOK ? "checksums ok" : "payload checksum fails") + "), not pointed at")
        }
        if c.othersOmitted > 0 { lines.append(indent + "… and \(c.othersOmitted) more Checkpoint segments") }
        return lines
    }

    static func selectionSentence(_ r: Report) -> String {
        guard r.superblocks.count == 2 else { return "no superblocks" }
        if let chosen = r.superblocks.first(where: { $0.selected })?.0 {
            let other = r.superblocks.first(where: { !$0.selected })!.0
            if !other.isSound { return "\(chosen.slot.rawValue): the only sound slot" }
            if other.generation == chosen.generation { return "\(chosen.slot.rawValue): generations tie, A wins" }
            return "\(chosen.slot.rawValue): the sound slot with the higher generation"
        }
        return "none: the engine refuses the file"
    }
}
