import ModelVaultCheck
import ModelVaultFormat

/// What a salvage keeps, drops and rewrites, decided from one walk's report.
public struct SalvagePlan: Sendable {
    /// Bytes 0..<keepEnd of the source are kept (header, superblocks, the log prefix).
    public var keepEnd: UInt64
    public var droppedBytes: UInt64
    public var droppedTransactions: Int
    /// A rebuilt file header, or nil to keep the source's.
    public var header: [UInt8]?
    /// Rebuilt superblock images by slot; a slot not listed keeps the source's bytes.
    public var superblocks: [Superblock.Slot: [UInt8]]
    /// A fresh Manifest appended after the prefix, when none inside it is intact.
    public var appendedManifest: [UInt8]?
    /// Why nothing can be salvaged, when that is the case.
    public var refusal: String?
    /// Stretches inside the kept length rewritten as Temp filler (a salvage by units).
    public var fillers: [Range<UInt64>] = []

    /// Bytes of the source kept as they are.
    public var keptSourceBytes: UInt64 { keepEnd - fillers.reduce(0) { $0 + UInt64($1.count) } }

    public var headerRewritten: Bool { header != nil }
    public var superblocksRewritten: [String] {
        Superblock.Slot.allCases.filter { superblocks[$0] != nil }.map(\.rawValue)
    }
    public var changesNothing: Bool {
        droppedBytes == 0 && header == nil && superblocks.isEmpty && appendedManifest == nil
    }

    public init(report r: Report) {
        let facts = r.committedPrefix
        keepEnd = facts.keepEnd
        droppedBytes = r.file.size - min(r.file.size, facts.keepEnd)
        droppedTransactions = facts.droppedTransactions
        header = nil
        superblocks = [:]
        appendedManifest = nil
        refusal = nil
        if r.verdict == .clean {
            // Nothing to fix: an identical copy.
            keepEnd = r.file.size
            droppedBytes = 0
            droppedTransactions = 0
            return
        }
        guard r.file.size >= Layout.logStart else {
            refusal = "the file is \(r.file.size) bytes long: it ends before the segment log begins (8224)"
            return
        }
        guard facts.followsEngine || facts.keepEnd > Layout.logStart else {
            refusal = "no intact committed data: the log's first segment is already damaged"
            return
        }
        let headerUsable =
            r.header.map { $0.hasValidMagic && $0.formatMajor == 0 && (3...6).contains($0.formatMinor) } ?? false
        if !headerUsable { header = Images.fileHeader(minor: r.formatMinor) }
        planSuperblocks(r)
    }

    init(scavenge result: Scavenge.Result, sourceSize: UInt64) {
        keepEnd = result.refusal == nil ? result.layout.end : 0
        fillers = result.refusal == nil ? result.layout.fillers : []
        header = result.header
        superblocks = result.superblocks
        appendedManifest = result.appendedManifest
        refusal = result.refusal
        droppedTransactions = result.selection.dropped.count
        let kept = keepEnd - fillers.reduce(0) { $0 + UInt64($1.count) }
        droppedBytes = sourceSize - min(sourceSize, kept)
    }

    private mutating func planSuperblocks(_ r: Report) {
        let facts = r.committedPrefix
        let slots = r.superblocks.map(\.0)
        let consistent = { (s: Superblock) in facts.consistentSlots.contains(s.slot) }
        // Keep the slot the engine selects if it fits the kept prefix, else the newest sound
        // slot that does; the other slot stays if it is sound, fits and is older.
        let selected = r.superblocks.first(where: { $0.selected })?.0
        let keeper =
            selected.flatMap { consistent($0) ? $0 : nil }
            ?? slots.filter(consistent).max { $0.generation < $1.generation }
        if let chosen = keeper {
            if let other = slots.first(where: { $0.slot != chosen.slot }),
                consistent(other)
                    && (other.generation < chosen.generation
                        || (other.generation == chosen.generation && chosen.slot == .a))
            {
                return
            }
            if chosen.generation > 0 {
                let other: Superblock.Slot = chosen.slot == .a ? .b : .a
                superblocks[other] = Images.superblock(
                    version: chosen.version, generation: chosen.generation - 1,
                    manifestOffset: chosen.manifestOffset,
                    checkpoint: chosen.version == 1 ? (chosen.checkpointOffset, chosen.checkpointLength) : nil)
                return
            }
        }
        // Rebuild both: the newer points at the newest intact Manifest of the prefix.
        var manifest = facts.keptManifest ?? 0
        if facts.keptManifest == nil {
            manifest = keepEnd
            appendedManifest = Images.manifest(at: keepEnd)
        }
        let version: UInt16 = r.formatMinor >= Layout.transactionalMinor ? 1 : 0
        let newest = slots.filter(\.isRecognised).map(\.generation).max() ?? 0
        let generation = newest < UInt64.max - 1 ? max(newest + 1, 2) : 2
        let checkpoint = version == 1 ? facts.keptCheckpoint : nil
        superblocks[.a] = Images.superblock(
            version: version, generation: generation, manifestOffset: manifest, checkpoint: checkpoint)
        superblocks[.b] = Images.superblock(
            version: version, generation: generation - 1, manifestOffset: manifest, checkpoint: checkpoint)
    }

    /// The plan as lines for people (`--dry-run`).
    public func describe() -> [String] {
        if let refusal { return ["nothing can be salvaged: \(refusal)"] }
        var lines = [
            "keep bytes 0..<\(keepEnd) of the source (\(keepEnd) bytes); "
                + "drop \(droppedBytes) bytes and \(droppedTransactions) committed transaction(s)"
        ]
        if !fillers.isEmpty {
            let bytes = fillers.reduce(0) { $0 + UInt64($1.count) }
            lines.append(
                "fill \(fillers.count) stretch(es) of dropped or unreadable bytes (\(bytes) bytes) "
                    + "with Temp segments of zeros, keeping every other segment at its offset")
        }
        lines.append(header == nil ? "file header: copied" : "file header: rebuilt")
        for slot in Superblock.Slot.allCases {
            lines.append("superblock \(slot.rawValue): " + (superblocks[slot] == nil ? "copied unchanged" : "rebuilt"))
        }
        if appendedManifest != nil {
            lines.append("append a fresh Manifest at \(keepEnd) (none inside the prefix is intact)")
        }
        return lines
    }
}
