import FileOutput
import ModelVaultCheck
import ModelVaultFormat

/// Writes every Record of the walk as a history line, in log order, once its state is known:
/// a Record inside a transaction waits (`PendingLines`) for the transaction's commit or abort.
/// Whether a committed version lies past the engine's AutoTruncate cut is known only at the end
/// of the walk (a fault the replay finds can cut the log before transactions that committed
/// long before it was met), so settled lines wait in a scratch file, in order, and `finish`
/// writes them out.
final class HistoryCollector: SegmentAnalyser {
    /// Only this collection, and of it only the row whose key matches.
    let collection: String?
    let key: String?
    let redactor: Redactor
    private let output: ([UInt8]) throws -> Void
    private let pending = PendingLines()
    /// Reused buffers for a held entry's head (commit end, state) and for a line written out.
    private var entry: [UInt8] = []
    private var text: [UInt8] = []
    /// The transaction the last TxnBegin opened, until its commit or abort (a Record whose
    /// checksum fails still names it).
    private var openTransaction: UInt64?
    /// Settled lines waiting for the cut.
    private var held: SpillFile?
    private var heldWriter: RunWriter?
    private(set) var counts: [HistoryState: Int] = [:]
    private(set) var lines = 0
    /// The first failure to write or to hold a line; the rest of the walk writes nothing.
    private(set) var failure: (any Error)?
    /// Collection names the catalog has registered (for `--collection` checks at the end).
    private(set) var namesSeen = Set<String>()

    init(collection: String?, key: String?, redactor: Redactor, output: @escaping ([UInt8]) throws -> Void) {
        self.collection = collection
        self.key = key
        self.redactor = redactor
        self.output = output
    }

    func payloadBytesWanted(for type: SegmentType) -> Int { type == .record ? ExportLimits.largestPayload : 0 }

    func prelude(header: FileHeader?, superblocks: [(Superblock, selected: Bool)]) {}

    func segment(_ segment: ObservedSegment, payload: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        do {
            let end = segment.summary.offset + segment.summary.totalLength
            switch segment.role {
            case .begin(let id):
                try settlePending(.uncommitted, commitEnd: nil)
                openTransaction = id
            case .commit:
                try settlePending(.committed, commitEnd: end)
                openTransaction = nil
            case .abort where segment.summary.type == .txnCommit:
                // The transaction's own TxnCommit, refused because the transaction is damaged:
                // it committed in the file, and the cut (before the damage) settles its lines.
                let ownCommit = (try? segment.marker?.get())?.txnId == openTransaction && openTransaction != nil
                try settlePending(ownCommit ? .committed : .uncommitted, commitEnd: ownCommit ? end : nil)
                openTransaction = nil
            case .abort:
                try settlePending(.aborted, commitEnd: nil)
                openTransaction = nil
            default: break
            }
            guard segment.summary.type == .record, let line = line(for: segment, payload: payload) else { return }
            let damaged = !segment.summary.payloadCRCMatches
            switch segment.role {
            case .staged:
                try pending.add(line, damaged: damaged)
            case .unframed(legal: true):
                try settle(line, damaged ? .damaged : .committed, commitEnd: end)
            default:
                try settle(line, damaged ? .damaged : .uncommitted, commitEnd: nil)
            }
        } catch {
            failure = error
        }
    }

    /// The walk is over: what is still open never committed; held lines are settled against
    /// the engine's cut at `cut`.
    func finish(cut: UInt64) throws {
        if let failure { throw failure }
        try settlePending(.uncommitted, commitEnd: nil)
        if let held, var writer = heldWriter {
            try writer.flush()
            heldWriter = nil
            var reader = RunReader(spill: held, range: 0..<held.length)
            while try reader.advance() {
                let entry = reader.current
                let commitEnd = entry.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                let state = HistoryState.allCases[Int(entry[8])]
                try write(entry[9...], state == .committed && commitEnd > cut ? .beyondCut : state)
            }
        }
    }

    private func settlePending(_ state: HistoryState, commitEnd: UInt64?) throws {
        guard !pending.isEmpty else { return }
        try pending.drain { damaged, line in
            try settle(line, damaged ? .damaged : state, commitEnd: commitEnd)
        }
    }

    /// Holds a line whose state is known but for the cut: its commit's end, its state, its text.
    private func settle(_ line: some Collection<UInt8>, _ state: HistoryState, commitEnd: UInt64?)
        throws(SpillFile.Failure)
    {
        if heldWriter == nil {
            let file = try SpillFile()
            held = file
            heldWriter = RunWriter(spill: file)
        }
        entry.removeAll(keepingCapacity: true)
        withUnsafeBytes(of: commitEnd ?? 0) { entry += $0 }
        entry.append(UInt8(HistoryState.allCases.firstIndex(of: state)!))
        try heldWriter!.write(head: entry, line)
    }

    /// Writes a line, its state where its placeholder (a NUL byte, which JSON text never
    /// holds unescaped) stands.
    private func write(_ line: ArraySlice<UInt8>, _ state: HistoryState) throws {
        guard let mark = line.firstIndex(of: 0) else { return }
        text.removeAll(keepingCapacity: true)
        text += line[..<mark]
        text += state.rawValue.utf8
        text += line[(mark + 1)...]
        try output(text)
        counts[state, default: 0] += 1
        lines += 1
    }

    /// The line of a Record, its state left as a NUL placeholder; nil when filtered out.
    private func line(for segment: ObservedSegment, payload: UnsafeRawBufferPointer) -> [UInt8]? {
        let catalog = segment.catalog
        var out: [UInt8] = []
        var error: String?
        if payload.count != segment.summary.payloadLength {
            error = "payload of \(segment.summary.payloadLength) bytes is larger than export decodes"
        } else if let catalog {
            do throws(RecordDecodeError) {
                var key = RowValue.none
                var fields: [RowVersion.Field] = []
                let redactor = redactor
                let header = try RecordPayload.visit(
                    payload, at: segment.payloadOffset, catalog: catalog, key: { key = $0 },
                    field: { reader, type, index throws(RecordDecodeError) in
                        var json: [UInt8] = []
                        try JSONTranscoder.append(&reader, as: type, redactor: redactor, to: &json)
                        fields.append(RowVersion.Field(index: index, json: json[...]))
                    })
                guard let collection = catalog.collection(id: header.collectionId) else { return nil }
                namesSeen.insert(collection.name)
                if let wanted = self.collection, wanted != collection.name { return nil }
                if let wantedKey = self.key, !KeyText.matches(key, wantedKey) { return nil }
                var keyJSON: [UInt8] = []
                RowText.appendKey(key, redactor: redactor, to: &keyJSON)
                out += #"{"collection":"#.utf8
                RowText.appendString(collection.name, to: &out)
                out += #","key":"#.utf8
                out += keyJSON
                out += (header.op == .delete ? #","op":"delete","row":null"# : #","op":"put","row":"#).utf8
                if header.op != .delete {
                    let version = collection.versions.first { $0.version == header.decodedSchemaVersion }
                    RowObject.append(
                        shown: version, written: version, primaryField: collection.primaryField, keyJSON: keyJSON[...],
                        fields: fields, to: &out)
                }
            } catch let failure {
                error = failure.description
            }
        } else {
            error = "the catalog is not known here (it outgrew mvfsck's memory limit)"
        }
        if error != nil {
            // Filtered views show only rows they can name.
            if key != nil { return nil }
            let preamble = try? RecordPreamble(parsing: payload, at: segment.payloadOffset)
            let name = preamble.flatMap { catalog?.collection(id: $0.collectionId)?.name }
            if let wanted = collection, wanted != name { return nil }
            out.removeAll()
            out += #"{"collection":"#.utf8
            if let name { RowText.appendString(name, to: &out) } else { out += "null".utf8 }
            out += #","key":null,"op":"#.utf8
            out += (preamble.map { $0.op == RecordPreamble.deleteOp ? #""delete""# : #""put""# } ?? "null").utf8
            out += #","row":null"#.utf8
        }
        var txnId = openTransaction
        if case .staged(let id) = segment.role { txnId = id }
        out += #","txn_id":"#.utf8
        if let txnId { RowText.appendDigits(txnId, to: &out) } else { out += "null".utf8 }
        out += #","offset":"#.utf8
        RowText.appendDigits(segment.summary.offset, to: &out)
        out += #","state":""#.utf8
        out.append(0)
        out.append(UInt8(ascii: "\""))
        if let error {
            out += #","error":"#.utf8
            RowText.appendString(error, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
