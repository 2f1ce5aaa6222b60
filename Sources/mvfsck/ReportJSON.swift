import ModelVaultCheck
import ModelVaultFormat

/// The JSON report, `report_version` 1 (docs/report-format.md §4 and §5). Field order is fixed;
/// absent values are `null`, never omitted.
enum ReportJSON {
    static let reportVersion: Int64 = 1

    static func render(_ r: Report) -> JSON {
        .object([
            ("report_version", .int(reportVersion)),
            ("tool", tool),
            ("command", .string(r.command)),
            ("redacted", .bool(r.redacted)),
            ("file", file(r.file)),
            ("verdict", .string(r.verdict.rawValue)),
            ("header", header(r.header)),
            ("superblocks", .array(r.superblocks.map { superblock($0.0, selected: $0.selected) })),
            (
                "segments",
                .object([
                    ("count", .int(Int64(r.segments.count))),
                    ("bytes", .uint(r.segments.bytes)),
                    ("by_type", .object(r.segments.byType.map { ($0.0.name, .int(Int64($0.1))) })),
                ])
            ),
            (
                "transactions",
                .object([
                    ("committed", .int(Int64(r.transactions.committed))),
                    ("aborted", .int(Int64(r.transactions.aborted))),
                    ("uncommitted", .int(Int64(r.transactions.uncommitted))),
                    ("max_txn_id", .optional(r.transactions.maxTxnId) { .uint($0) }),
                ])
            ),
            ("catalog", .object([("collections", .array(r.catalog.collections.map(collectionSummary)))])),
            ("checkpoint", .optional(r.checkpoint, checkpoint)),
            ("engine", engine(r.engine)),
            (
                "summary",
                .object([
                    ("errors", .int(Int64(r.errorCount))),
                    ("warnings", .int(Int64(r.warningCount))),
                    ("findings_omitted", .int(Int64(r.findingsDropped))),
                ])
            ),
            ("findings", .array(r.findings.map(finding))),
        ])
    }

    /// The checkpoint pointer, what it leads to, and the log's other Checkpoint segments.
    static func checkpoint(_ c: CheckpointSummary) -> JSON {
        .object([
            ("offset", .optional(c.offset) { .uint($0) }),
            ("length", .optional(c.length) { .uint(UInt64($0)) }),
            ("version", .optional(c.version) { .uint(UInt64($0)) }),
            ("used_by_engine", .bool(c.usedByEngine)),
            ("not_used_because", .optional(c.notUsedBecause) { .string($0) }),
            ("replay_from_offset", .optional(c.replayFromOffset) { .uint($0) }),
            ("replay_from_on_boundary", .optional(c.replayFromOnBoundary) { .bool($0) }),
            (
                "collections",
                .array(c.collections.map { .object([("name", .string($0.name)), ("rows", .int(Int64($0.rows)))]) })
            ),
            ("index_state_bytes", .optional(c.indexStateBytes) { .uint($0) }),
            ("transactions_covered", .optional(c.transactionsCovered) { .int(Int64($0)) }),
            ("transactions_replayed_after", .optional(c.transactionsReplayedAfter) { .int(Int64($0)) }),
            ("bytes_replayed_after", .optional(c.bytesReplayedAfter) { .uint($0) }),
            (
                "others",
                .array(
                    c.others.map {
                        .object([
                            ("offset", .uint($0.offset)), ("length", .uint($0.length)),
                            ("checksums_ok", .bool($0.checksumsOK)),
                        ])
                    })
            ),
        ])
    }

    /// The report with the `repair` section added.
    static func withRepair(_ report: JSON, _ repair: JSON, salvage: JSON? = nil) -> JSON {
        guard case .object(let members) = report else { return report }
        return .object(members + [("repair", repair)] + (salvage.map { [("salvage", $0)] } ?? []))
    }

    /// The report entry of an input that could not be read at all.
    static func operationalError(command: String, path: String, message: String) -> JSON {
        .object([
            ("report_version", .int(reportVersion)),
            ("tool", tool),
            ("command", .string(command)),
            ("file", .object([("path", .string(path)), ("size", .null), ("compressed", .null)])),
            ("verdict", .null),
            ("error", .string(message)),
        ])
    }

    static var tool: JSON {
        .object([("name", .string("mvfsck")), ("version", .string(MVFsckVersion.current))])
    }

    static func file(_ f: Report.FileInfo) -> JSON {
        .object([("path", .string(f.path)), ("size", .uint(f.size)), ("compressed", .bool(f.compressed))])
    }

    static func header(_ h: FileHeader?) -> JSON {
        guard let h else { return .null }
        return .object([
            ("magic", .string(h.magicText)),
            ("format_major", .int(Int64(h.formatMajor))),
            ("format_minor", .int(Int64(h.formatMinor))),
            ("header_size", .uint(UInt64(h.headerSize))),
            ("flags", .uint(h.flags)),
            ("valid", .bool(h.hasValidMagic && h.isSupportedVersion)),
        ])
    }

    static func superblock(_ s: Superblock, selected: Bool) -> JSON {
        .object([
            ("slot", .string(s.slot.rawValue)),
            ("offset", .uint(s.slot.offset)),
            ("valid", .bool(s.isSound)),
            ("version", .int(Int64(s.version))),
            ("generation", .uint(s.generation)),
            ("manifest_offset", .uint(s.manifestOffset)),
            ("manifest_len", .uint(UInt64(s.manifestLength))),
            ("checkpoint_offset", .uint(s.checkpointOffset)),
            ("checkpoint_len", .uint(UInt64(s.checkpointLength))),
            ("selected", .bool(selected)),
        ])
    }

    static func collectionSummary(_ c: Catalog.Collection) -> JSON {
        .object([
            ("id", .uint(UInt64(c.id))),
            ("name", .string(c.name)),
            ("primary_field", .optional(c.primaryField) { .string($0) }),
            ("current_version", .uint(UInt64(c.currentVersion))),
            ("fields", .int(Int64(c.current?.fields.count ?? 0))),
            ("indexes", .int(Int64(c.current?.indexes.count ?? 0))),
        ])
    }

    static func engine(_ e: EnginePrediction) -> JSON {
        .object([
            ("strict_open", .string(e.strictOpens ? "ok" : "fails")),
            ("strict_error", .optional(e.strictError, engineError)),
            (
                "auto_truncate",
                .object([
                    ("opens", .bool(e.autoTruncateOpens)),
                    ("truncated_bytes", .uint(e.truncatedBytes)),
                    ("truncate_reason", .optional(e.truncateReason) { .string($0.rawValue) }),
                    ("modifies_file", .bool(e.modifiesFile)),
                    ("committed_transactions_lost", .int(Int64(e.committedTransactionsLost))),
                    ("error", .optional(e.autoTruncateError, engineError)),
                ])
            ),
            ("basis", .string(e.basis.rawValue)),
        ])
    }

    /// As the engine's Python binding raises it: the exception class and exactly `str()` of it.
    static func engineError(_ e: EngineError) -> JSON {
        .object([("exception", .string(e.exception.rawValue)), ("message", .string(e.message))])
    }

    static func finding(_ f: Finding) -> JSON {
        .object([
            ("code", .string(f.code.rawValue)),
            ("severity", .string(f.severity.rawValue)),
            ("offset", .uint(f.offset)),
            ("length", .uint(f.length)),
            ("segment_index", .optional(f.segmentIndex) { .int(Int64($0)) }),
            ("segment_type", .optional(f.segmentType) { .string($0.name) }),
            ("txn_id", .optional(f.txnId) { .uint($0) }),
            ("message", .string(f.message)),
        ])
    }
}

enum MVFsckVersion {
    static let current = "0.1.0"
}
