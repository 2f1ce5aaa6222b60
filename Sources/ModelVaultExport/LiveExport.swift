import FileOutput
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
                    + (known.isEmpty
                        ? " (the exported state has none)" : " (collections: \(known.joined(separator: ", ")))")
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
        /// What the user should know about how the rows were read (said on standard error).
        public var notes: [String] = []
    }

    public static func run(
        path: String, choices: SalvageChoices, collections names: [String],
        progress: ((UInt64, UInt64?) -> Void)? = nil, line: ([UInt8]) throws -> Void
    ) throws -> Outcome {
        let first = try gather(path, progress: progress)
        if choices.mode == .prefix && first.report.verdict == .clean {
            var notes: [String] = []
            let rows = try write(first, names: names, notes: &notes, line: line)
            return Outcome(source: first.report, salvage: nil, rows: rows, notes: notes)
        }
        let scratch = scratchPath()
        defer { unlink(scratch) }
        let salvage: Salvage.Outcome
        do {
            salvage = try Salvage.run(source: path, destination: scratch, force: true, dryRun: false, choices: choices)
        } catch let failure as Salvage.Failure { throw Failure.salvage(failure) }
        guard salvage.written else { return Outcome(source: first.report, salvage: salvage, rows: nil) }
        var notes: [String] = []
        let rows = try write(try gather(scratch, progress: nil), names: names, notes: &notes, line: line)
        return Outcome(source: first.report, salvage: salvage, rows: rows, notes: notes)
    }

    /// The row versions of one file and the report of its walk.
    struct Gathered {
        var collector: LiveRowCollector
        var report: Report
        /// The catalog the engine ends with: the checkpoint's and what follows it when the
        /// engine loads one, else the log's.
        var catalog: Catalog
    }

    /// Walks `path` gathering its row versions. Records after a checkpoint's
    /// `replay_from_offset` are decoded as the engine decodes them when it loads that checkpoint;
    /// when it turns out not to (the walk learns that only at its end), the file is walked again
    /// decoding against the log's own catalog.
    static func gather(_ path: String, progress: ((UInt64, UInt64?) -> Void)?) throws -> Gathered {
        var collector = LiveRowCollector()
        var report = try walk(path, collecting: collector, progress: progress)
        let inUse = report.checkpointInUse
        if let view = collector.checkpointView, inUse?.offset != view.checkpointOffset {
            collector = LiveRowCollector(followsCheckpoint: false)
            report = try walk(path, collecting: collector, progress: nil)
        }
        let view = collector.checkpointView.flatMap { $0.checkpointOffset == inUse?.offset ? $0 : nil }
        return Gathered(collector: collector, report: report, catalog: view?.committed ?? report.catalog)
    }

    /// The full-decode walk of `path` with `collector` gathering beside it, on a second thread
    /// when one can be started (`AnalyserThread`).
    static func walk(_ path: String, collecting collector: LiveRowCollector, progress: ((UInt64, UInt64?) -> Void)?)
        throws -> Report
    {
        let report = try AnalyserThread.check(
            path: path, options: CheckOptions(deep: true), progress: progress, with: collector)
        collector.finish()
        return report
    }

    /// Writes the live rows of a file that is its own repair (a sound file).
    private static func write(
        _ gathered: Gathered, names: [String], notes: inout [String], line: ([UInt8]) throws -> Void
    ) throws -> Int {
        var checkpoint = gathered.report.checkpointInUse
        var catalog = gathered.catalog
        if let inUse = checkpoint, gathered.collector.checkpointView?.checkpointOffset != inUse.offset {
            // The snapshot could not be read whole (larger than export holds): the whole log is
            // replayed instead, which is what the engine wrote that snapshot from.
            checkpoint = nil
            catalog = gathered.report.catalog
            notes.append(
                "the checkpoint at \(inUse.offset) is larger than export holds (\(ExportLimits.largestPayload >> 20) MiB): "
                    + "its rows are replayed from the log before it instead")
        }
        if let problem = gathered.collector.problem(replayingFrom: checkpoint?.replayFrom) {
            throw Failure.inconsistent(offset: problem.offset, message: problem.message)
        }
        var ids: Set<UInt32>?
        if !names.isEmpty {
            var chosen = Set<UInt32>()
            for name in names {
                guard let collection = catalog.collections.first(where: { $0.name == name }) else {
                    throw Failure.unknownCollection(name, known: catalog.collections.map(\.name))
                }
                chosen.insert(collection.id)
            }
            ids = chosen
        }
        let writer = LiveRowWriter(catalog: catalog, checkpoint: checkpoint, collections: ids)
        return try writer.write(from: gathered.collector.runs, line: line)
    }

    /// Where the salvage is built: a scratch file in the temporary directory.
    static func scratchPath() -> String {
        let directory = ScratchDirectory.path
        return "\(directory)/mvfsck-export-\(getpid()).modelvault"
    }
}
