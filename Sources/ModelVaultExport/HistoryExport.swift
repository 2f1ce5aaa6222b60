import ModelVaultCheck
import ModelVaultFormat

/// `export --history`: every row version the log holds, in log order, each with its
/// transaction, offset and state, then a summary line.
public enum HistoryExport {
    public enum Failure: Error, CustomStringConvertible {
        case unknownCollection(String, known: [String])

        public var description: String {
            switch self {
            case .unknownCollection(let name, let known):
                return "no collection named '\(name)'"
                    + (known.isEmpty ? " (the file has none)" : " (collections: \(known.joined(separator: ", ")))")
            }
        }
    }

    public struct Outcome {
        public var source: Report
        /// Row version lines written (the summary line not counted).
        public var lines: Int
        public var counts: [HistoryState: Int]
    }

    public static func run(
        path: String, collection: String?, key: String?, redactor: Redactor = .keep,
        progress: ((UInt64, UInt64?) -> Void)? = nil, line: @escaping ([UInt8]) throws -> Void
    ) throws -> Outcome {
        let collector = HistoryCollector(collection: collection, key: key, redactor: redactor, output: line)
        let report = try AnalyserThread.check(
            path: path, options: CheckOptions(deep: true, redactor: redactor), progress: progress, with: collector)
        try collector.finish(cut: report.committedPrefix.keepEnd)
        if let collection, !collector.namesSeen.contains(collection),
            !report.catalog.collections.contains(where: { $0.name == collection })
        {
            throw Failure.unknownCollection(collection, known: report.catalog.collections.map(\.name))
        }
        var summary = "{\"kind\":\"summary\",\"lines\":\(collector.lines),\"by_state\":{"
        summary += HistoryState.allCases.map { "\"\($0.rawValue)\":\(collector.counts[$0, default: 0])" }
            .joined(separator: ",")
        summary += "}}"
        try line(Array(summary.utf8))
        return Outcome(source: report, lines: collector.lines, counts: collector.counts)
    }
}
