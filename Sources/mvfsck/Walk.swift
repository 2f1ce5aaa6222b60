import ArgumentParser
import ModelVaultCheck
import ModelVaultFormat

struct Walk: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every structure in file order: header, superblocks, then each segment, with the findings.",
        discussion: """
            In the spirit of pg_waldump. A finding follows the structure it concerns; those settled \
            only at the end of the input (an unfinished transaction, where an open would cut the \
            log, a superblock pointer past the end) come last. --from, --type and --limit narrow the listing without \
            changing what is checked; --stats prints per-type counts, bytes and share of the file \
            instead. With --json the output is JSON Lines, one object per structure, each with a \
            "kind" (header, superblock, segment, finding), so a large file streams. The exit status \
            is the file's (0 clean, 4 damaged, 8 unreadable).
            """)

    @OptionGroup var output: OutputOptions
    @OptionGroup var redaction: RedactOptions

    // .unconditional: "-1" is a value to reject by name, not a missing one.
    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp("List segments starting at or after this byte offset.", valueName: "OFFSET"))
    var from: Int64 = 0

    @Option(
        name: .long, parsing: .singleValue,
        help: ArgumentHelp(
            "List only segments of this type (\(SegmentType.allCases.map(\.name).joined(separator: ", ")));"
                + " repeatable.",
            valueName: "TYPE"),
        completion: .list(SegmentType.allCases.map(\.name)))
    var type: [String] = []

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("List at most N segments.", valueName: "N"))
    var limit: Int?

    @Flag(name: .long, help: "Print per-type counts, bytes and share of the file instead of the listing.")
    var stats = false

    @Argument(help: "The database file (- for standard input).")
    var file: String

    func validate() throws {
        for name in type where SegmentType(name: name) == nil {
            throw ValidationError("unknown segment type '\(name)'")
        }
        if from < 0 { throw ValidationError("--from must be a non-negative byte offset, got '\(from)'") }
        if let limit, limit < 0 {
            throw ValidationError("--limit must be a non-negative number of segments, got '\(limit)'")
        }
    }

    func run() throws {
        let types = Set(type.compactMap(SegmentType.init(name:)))
        let listing = WalkListing(
            json: output.json, quiet: output.quiet || stats, from: UInt64(from), types: types, limit: limit,
            redactor: redaction.redactor)
        let outcome = CheckRun.check(path: file, command: "walk", output: output, redactor: redaction.redactor) {
            walker in
            // Without a listing to print the walk runs as a plain check (its fast path).
            guard !listing.quiet else { return }
            walker.add(listing)
        }
        guard let report = outcome.report else { throw ExitCode(outcome.status) }
        listing.flush()
        if stats && !output.quiet {
            Console.out(StatsTable.lines(report.segments, fileSize: report.file.size, json: output.json))
        } else if !output.json && !output.quiet {
            Console.out(["verdict: \(report.verdict.rawValue) (\(TextRenderer.summary(report)))"])
        }
        throw ExitCode(outcome.status | CheckRun.writeReportFile(outcome.json, output: output))
    }
}

/// Prints walk entries as they arrive, holding findings back until the structure they
/// concern has been listed. Added to the walk only when there is a listing to print.
final class WalkListing: SegmentAnalyser {
    let json: Bool
    let quiet: Bool
    let from: UInt64
    let types: Set<SegmentType>
    let limit: Int?
    let redactor: Redactor
    private var listed = 0
    private var pending: [Finding] = []

    init(json: Bool, quiet: Bool, from: UInt64, types: Set<SegmentType>, limit: Int?, redactor: Redactor) {
        self.json = json
        self.quiet = quiet
        self.from = from
        self.types = types
        self.limit = limit
        self.redactor = redactor
    }

    /// A Record's key and an Index's entry count are listed from their first bytes: a key is
    /// shown shortened, but redacted its digest needs all of it (at most the engine's longest
    /// value), so a payload too large to lie in the read buffer is kept that far.
    func payloadBytesWanted(for type: SegmentType) -> Int {
        switch type {
        case .record: redactor.redacts ? RecordPreamble.length + 5 + RecordLimits.maxValueLength : 4096
        case .index: 6
        default: 0
        }
    }

    func prelude(header: FileHeader?, superblocks: [(Superblock, selected: Bool)]) {
        guard from == 0 else { return }
        if let header {
            let validity = header.hasValidMagic && header.isSupportedVersion ? "" : "  [invalid]"
            emit(
                json: .object([
                    ("kind", .string("header")), ("offset", .uint(0)),
                    ("magic", .string(header.magicText)), ("format_major", .int(Int64(header.formatMajor))),
                    ("format_minor", .int(Int64(header.formatMinor))),
                    ("header_size", .uint(UInt64(header.headerSize))),
                    ("flags", .uint(header.flags)), ("valid", .bool(header.hasValidMagic && header.isSupportedVersion)),
                ]),
                text:
                    "       0  header      \(header.magicText)"
                    + " format \(header.formatMajor).\(header.formatMinor)\(validity)"
            )
        }
        for (sb, selected) in superblocks {
            var object = ReportJSON.superblock(sb, selected: selected)
            if case .object(let members) = object { object = .object([("kind", .string("superblock"))] + members) }
            let checkpoint = sb.version == 1 ? " checkpoint \(sb.checkpointOffset)" : ""
            emit(
                json: object,
                text: String(repeating: " ", count: max(0, 8 - String(sb.slot.offset).count))
                    + "\(sb.slot.offset)  superblock  \(sb.slot.rawValue) v\(sb.version) gen \(sb.generation)"
                    + " manifest \(sb.manifestOffset)\(checkpoint)"
                    + " \(sb.isSound ? "sound" : "UNSOUND")\(selected ? " selected" : "")"
            )
        }
        flushPending(before: UInt64(Layout.logStart))
    }

    func finding(_ f: Finding) {
        guard f.offset >= from else { return }
        pending.append(f)
    }

    func segment(_ observed: ObservedSegment, payload: UnsafeRawBufferPointer) {
        let s = observed.summary
        flushPending(before: s.offset)
        let wanted =
            s.offset >= from && (types.isEmpty || types.contains(s.type)) && (limit.map { listed < $0 } ?? true)
        if wanted {
            listed += 1
            let detail = SegmentDescription.describe(observed, payload: payload, redactor: redactor)
            let crc = s.payloadCRCMatches ? "ok" : "mismatch"
            let txn = s.txnId.map(String.init) ?? "-"
            emit(
                json: .object([
                    ("kind", .string("segment")), ("index", .int(Int64(s.index))), ("offset", .uint(s.offset)),
                    ("type", .string(s.type.name)), ("header_length", .int(32)),
                    ("payload_length", .uint(s.payloadLength)),
                    ("payload_crc", .string(crc)), ("txn_id", .optional(s.txnId) { .uint($0) }),
                    ("beyond_break", .bool(s.beyondBreak)), ("summary", .string(detail)),
                ]),
                text: String(repeating: " ", count: max(0, 8 - String(s.offset).count))
                    + "\(s.offset)  \(s.type.name.padded(10))  len \(String(s.payloadLength).padded(6))"
                    + "  crc \(crc.padded(8))  txn \(txn.padded(4))  \(detail)"
            )
        }
        flushPending(before: s.offset + s.totalLength)
    }

    func flush() { flushPending(before: .max) }

    private func flushPending(before offset: UInt64) {
        let ready = pending.filter { $0.offset < offset }
        pending.removeAll { $0.offset < offset }
        for f in ready {
            if json {
                var object = ReportJSON.finding(f)
                if case .object(let members) = object { object = .object([("kind", .string("finding"))] + members) }
                Console.out([object.compact])
            } else {
                Console.out(TextRenderer.findingLines([f], indent: "  ! "))
            }
        }
    }

    private func emit(json object: JSON, text: String) {
        Console.out([json ? object.compact : text])
    }
}

/// `walk --stats`: per-type counts, bytes and share of the file.
enum StatsTable {
    static func lines(_ stats: Report.SegmentStats, fileSize: UInt64, json: Bool) -> [String] {
        let rows = SegmentType.allCases.map { ($0, stats.total(of: $0)) }.filter { $0.1.count > 0 }.map {
            ($0.0, $0.1.count, $0.1.bytes)
        }
        let share = { (bytes: UInt64) in fileSize == 0 ? 0 : Double(bytes) * 100 / Double(fileSize) }
        if json {
            return [
                JSON.object([
                    ("kind", .string("stats")), ("file_size", .uint(fileSize)),
                    (
                        "by_type",
                        .object(
                            rows.map {
                                (
                                    $0.0.name,
                                    .object([
                                        ("count", .int(Int64($0.1))), ("bytes", .uint($0.2)),
                                        ("percent", .double((share($0.2) * 100).rounded() / 100)),
                                    ])
                                )
                            })
                    ),
                ]).compact
            ]
        }
        var lines = ["type        count       bytes   share"]
        for (t, count, bytes) in rows {
            lines.append(
                "\(t.name.padded(10))  \(String(count).leftPadded(5))  \(String(bytes).leftPadded(10))"
                    + "  \(percent(share(bytes)).leftPadded(6))"
            )
        }
        let total = rows.reduce(UInt64(0)) { $0 + $1.2 }
        let totalCount = rows.reduce(0) { $0 + $1.1 }
        lines.append(
            "\("total".padded(10))  \(String(totalCount).leftPadded(5))  \(String(total).leftPadded(10))"
                + "  \(percent(share(total)).leftPadded(6))"
        )
        lines.append("(file \(fileSize) bytes; header and superblocks \(min(fileSize, UInt64(Layout.logStart))) bytes)")
        return lines
    }

    static func percent(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
