import ModelVaultFormat

/// Where the kept units lie in the salvaged file: at their source offsets, so every pointer
/// into the log stays true, with every byte between them that is not kept overwritten by a
/// Temp segment of zeros (the engine never reads a Temp payload) and the file cut after the
/// last kept unit and the Manifests that follow it. Worked out in one merge of the units and
/// the structures, both in file order, holding only the fillers: a long log has millions.
public struct ScavengeLayout: Sendable, Equatable {
    /// The salvaged file's length before any appended Manifest.
    public var end: UInt64
    /// Stretches rewritten as one Temp segment each (each at least a segment header long).
    public var fillers: [Range<UInt64>]
    /// The newest intact Manifest that stays, or nil when a fresh one must be appended at `end`.
    public var keptManifest: UInt64?
    /// Offsets of structures a filler took in (a stretch beside them was too short for a Temp
    /// header): their bytes become zeros.
    public var absorbed: Set<UInt64>

    /// Kept units the layout leaves out, in file order: each was followed by a stretch too
    /// short for a Temp header, which takes in the unit's bytes instead (a unit is longer than
    /// a Temp header), so one pass settles them all however many there are.
    public var leftOut: [TooShort]

    /// A stretch too short for a Temp header beside a kept unit: the unit must go too.
    public struct TooShort: Error, Equatable {
        public var unit: Int
        public var stretch: Range<UInt64>
    }

    private enum Piece: Equatable {
        case unit(Int)
        case structure(Int)
    }

    /// `structures` in file order, none inside a unit.
    public init<Units: RandomAccessCollection<LogUnit>>(units: Units, kept: [Bool], structures: [KeptStructure])
        throws(TooShort) where Units.Index == Int
    {
        let logStart = UInt64(Layout.logStart)
        end = logStart
        fillers = []
        keptManifest = nil
        absorbed = []
        leftOut = []
        guard let last = kept.lastIndex(of: true) else { return }
        end = units[last].end
        // Structures right after the last unit (its Manifest) stay with it.
        var structureCount = 0
        while structureCount < structures.count && structures[structureCount].end <= end { structureCount += 1 }
        while structureCount < structures.count && structures[structureCount].offset == end {
            end = structures[structureCount].end
            structureCount += 1
        }
        var nextUnit = kept.firstIndex(of: true) ?? units.count
        var nextStructure = 0
        func range(_ piece: Piece) -> Range<UInt64> {
            switch piece {
            case .unit(let u): units[u].offset..<units[u].end
            case .structure(let s): structures[s].offset..<structures[s].end
            }
        }
        func take() -> Piece? {
            let unitStart = nextUnit < units.count ? units[nextUnit].offset : .max
            let structureStart = nextStructure < structureCount ? structures[nextStructure].offset : .max
            if unitStart == .max && structureStart == .max { return nil }
            if structureStart < unitStart {
                nextStructure += 1
                return .structure(nextStructure - 1)
            }
            let piece = Piece.unit(nextUnit)
            nextUnit += 1
            while nextUnit < units.count && !kept[nextUnit] { nextUnit += 1 }
            return piece
        }
        var position = logStart
        var previous: Piece?
        var piece = take()
        while true {
            let start = piece.map { range($0).lowerBound } ?? end
            if start > position {
                var gap = position..<start
                // Too short for a Temp header: take in the structures beside it.
                while gap.count < Layout.segmentHeaderSize {
                    if case .structure(let s)? = piece {
                        absorbed.insert(structures[s].offset)
                        piece = take()
                        gap = gap.lowerBound..<(piece.map { range($0).lowerBound } ?? end)
                    } else if let before = previous, range(before).upperBound == gap.lowerBound {
                        // The piece before it joins it: a structure's bytes become zeros, a
                        // unit is left out; so does the filler before that piece.
                        switch before {
                        case .structure(let s): absorbed.insert(structures[s].offset)
                        case .unit(let u): leftOut.append(TooShort(unit: u, stretch: gap))
                        }
                        gap = range(before).lowerBound..<gap.upperBound
                        if let filler = fillers.last, filler.upperBound == gap.lowerBound {
                            gap = filler.lowerBound..<gap.upperBound
                            fillers.removeLast()
                        }
                        previous = nil
                    } else {
                        // Only before the first piece: the first kept unit goes, and the layout
                        // is worked out again without it.
                        var unit = 0
                        if case .unit(let u)? = piece { unit = u }
                        throw TooShort(unit: unit, stretch: gap)
                    }
                }
                fillers.append(gap)
            }
            guard let current = piece else { break }
            position = range(current).upperBound
            previous = current
            piece = take()
        }
        keptManifest =
            structures[..<structureCount].last {
                $0.type == .manifest && !absorbed.contains($0.offset)
            }?.offset
    }
}
