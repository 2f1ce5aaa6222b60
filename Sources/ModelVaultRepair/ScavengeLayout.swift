import ModelVaultFormat

/// Where the kept units lie in the salvaged file: at their source offsets, so every pointer
/// into the log stays true, with every byte between them that is not kept overwritten by a
/// Temp segment of zeros (the engine never reads a Temp payload) and the file cut after the
/// last kept unit and the Manifests that follow it.
public struct ScavengeLayout: Sendable, Equatable {
    /// The salvaged file's length before any appended Manifest.
    public var end: UInt64
    /// Stretches rewritten as one Temp segment each (each at least a segment header long).
    public var fillers: [Range<UInt64>]
    /// The newest intact Manifest that stays, or nil when a fresh one must be appended at `end`.
    public var keptManifest: UInt64?
    /// Structures (Manifest, Checkpoint, Temp) that stay as the source has them.
    public var keptStructures: [KeptStructure]

    /// A stretch too short for a Temp header between two kept units: the unit before it must
    /// go too.
    public struct TooShort: Error, Equatable {
        public var unit: Int
        public var stretch: Range<UInt64>
    }

    public init(units: [LogUnit], kept: [Bool], structures: [KeptStructure]) throws(TooShort) {
        let keptUnits = units.indices.filter { kept[$0] }
        let logStart = UInt64(Layout.logStart)
        guard let last = keptUnits.last else {
            self.init(end: logStart, fillers: [], keptManifest: nil, keptStructures: [])
            return
        }
        var end = units[last].end
        // Manifests (and other intact structures) right after the last unit stay with it.
        var stays = structures.filter { $0.end <= end }
        for structure in structures where structure.offset == end {
            stays.append(structure)
            end = structure.end
        }
        // The file from the log's start to `end` as kept pieces and fillers between them.
        enum Piece: Equatable {
            case unit(Int)
            case structure(KeptStructure)
            case filler
        }
        var pieces: [(range: Range<UInt64>, piece: Piece)] =
            keptUnits.map { (units[$0].offset..<units[$0].end, .unit($0)) }
            + stays.map { ($0.offset..<$0.end, .structure($0)) }
        pieces.sort { $0.range.lowerBound < $1.range.lowerBound }
        var layout: [(range: Range<UInt64>, piece: Piece)] = []
        var position = logStart
        for piece in pieces {
            if piece.range.lowerBound > position { layout.append((position..<piece.range.lowerBound, .filler)) }
            layout.append(piece)
            position = piece.range.upperBound
        }
        // A filler too short for a Temp header takes in the structures beside it; between two
        // units it cannot, and the unit before it goes.
        while let i = layout.firstIndex(where: { $0.piece == .filler && $0.range.count < Layout.segmentHeaderSize }) {
            let neighbours = [i + 1, i - 1].filter { layout.indices.contains($0) }
            guard let j = neighbours.first(where: { if case .structure = layout[$0].piece { true } else { false } })
            else {
                let unit = neighbours.compactMap { if case .unit(let u) = layout[$0].piece { u } else { nil } }.min()
                throw TooShort(unit: unit ?? 0, stretch: layout[i].range)
            }
            let low = min(i, j)
            var merged = layout[low].range.lowerBound..<layout[low + 1].range.upperBound
            var first = low
            var last = low + 1
            // Fillers on either side join it.
            if first > 0, layout[first - 1].piece == .filler {
                first -= 1
                merged = layout[first].range.lowerBound..<merged.upperBound
            }
            if last + 1 < layout.count, layout[last + 1].piece == .filler {
                last += 1
                merged = merged.lowerBound..<layout[last].range.upperBound
            }
            layout.replaceSubrange(first...last, with: [(merged, .filler)])
        }
        let fillers = layout.filter { $0.piece == .filler }.map(\.range)
        let kept = layout.compactMap { if case .structure(let s) = $0.piece { s } else { nil } }
        let manifest = kept.last { $0.type == .manifest }?.offset
        self.init(end: end, fillers: fillers, keptManifest: manifest, keptStructures: kept)
    }

    init(end: UInt64, fillers: [Range<UInt64>], keptManifest: UInt64?, keptStructures: [KeptStructure]) {
        self.end = end
        self.fillers = fillers
        self.keptManifest = keptManifest
        self.keptStructures = keptStructures
    }
}
