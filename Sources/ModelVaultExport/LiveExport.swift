import ModelVaultCheck
import ModelVaultFormat
import ModelVaultRepair

#if canImport(Glibc)
    import Glibc
#endif

/// `export`: the live rows of a file, exactly as the engine shows them after opening the file
/// `repair` would write with the same salvage choices. A clean file with no choice is its own
/// repair: one walk gathers its rows. Otherwise the salvage is built in a scratch file (as a
/// dry run does) and the rows are gathered from a walk of that file, which is sound by
/// construction.
public enum LiveExport {
    public enum Failure: Error, CustomStringConvertible {
        case salvage(Salvage.Failure)
        case scratch(String)
        /// `--collection` names no collection of the exported state.
        case unknownCollection(String, known: [String])
        /// A file the walk found sound did not yield its rows (never expected).
        case inconsistent(offset: UInt64, message: String)

        public var description: String {
            switch self {
            case .salvage(let failure): return "\(failure)"
            case .scratch(let reason): return reason
            case .unknownCollection(let name, let known):
                return "no collection named '\(name)'"
                    + (known.isEmpty ? " (the exported state has none)" : " (collections: \(known.joined(separator: ", ")))")
            case .inconsistent(let offset, let message):
                return "cannot export the row at offset \(offset): \(message)"
            }
        }
    }

    public struct Outcome {
        /// The check of the source.
        public var source: Report
        /// The salvage the rows come from; nil when the source is its own repair.
        public var salvage: Salvage.Outcome?
        /// Rows written (nil when nothing could be salvaged).
        public var rows: Int?
    }

    public static func run(
        path: String, choices: SalvageChoices, collections names: [String],
        progress: ((UInt64, UInt64?) -> Void)? = nil, line: (String) throws -> Void
    ) throws -> Outcome {
        let collector = LiveRowCollector()
        let report = try Checker.check(
            path: path, command: "export", options: CheckOptions(deep: true), progress: progress
        ) { $0.add(collector) }
        collector.finish()
        if choices.mode == .prefix && report.verdict == .clean {
            if let problem = collector.problem { throw Failure.inconsistent(offset: problem.offset, message: problem.message) }
            let rows = try write(collector, report: report, names: names, line: line)
            return Outcome(source: report, salvage: nil, rows: rows)
        }
        let scratch = scratchPath()
        defer { unlink(scratch) }
        let salvage: Salvage.Outcome
        do {
            salvage = try Salvage.run(source: path, destination: scratch, force: true, dryRun: false, choices: choices)
        } catch let failure as Salvage.Failure { throw Failure.salvage(failure) }
        guard salvage.written else { return Outcome(source: report, salvage: salvage, rows: nil) }
        let repaired = LiveRowCollector()
        let repairedReport = try Checker.check(
            path: scratch, command: "export", options: CheckOptions(deep: true), configure: { $0.add(repaired) })
        repaired.finish()
        if let problem = repaired.problem { throw Failure.inconsistent(offset: problem.offset, message: problem.message) }
        let rows = try write(repaired, report: repairedReport, names: names, line: line)
        return Outcome(source: report, salvage: salvage, rows: rows)
    }

    private static func write(
        _ collector: LiveRowCollector, report: Report, names: [String], line: (String) throws -> Void
    ) throws -> Int {
        var ids: Set<UInt32>?
        if !names.isEmpty {
            var chosen = Set<UInt32>()
            for name in names {
                guard let collection = report.catalog.collections.first(where: { $0.name == name }) else {
                    throw Failure.unknownCollection(name, known: report.catalog.collections.map(\.name))
                }
                chosen.insert(collection.id)
            }
            ids = chosen
        }
        let writer = LiveRowWriter(catalog: report.catalog, checkpoint: report.checkpointInUse, collections: ids)
        return try writer.write(from: collector.runs, line: line)
    }

    /// Where the salvage is built: a scratch file in the temporary directory.
    static func scratchPath() -> String {
        let directory = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return "\(directory)/mvfsck-export-\(getpid()).modelvault"
    }
}
