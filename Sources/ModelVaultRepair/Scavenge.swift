import FileOutput
import ModelVaultCheck
import ModelVaultFormat

/// A salvage by units rather than by prefix (`--scavenge`, `--until-txn`, `--drop-txn`): the
/// chosen units stay at their source offsets, everything else between them becomes Temp
/// filler, and the result is verified with the full decode. A unit the result shows does not
/// replay on what was kept before it is dropped in turn, and the result rewritten, until it
/// verifies clean: what replays is judged by the same model of the engine as every check.
enum Scavenge {
    struct Result {
        var selection: UnitSelection
        var layout: ScavengeLayout
        /// The verify report of the result (nil when nothing could be kept).
        var output: Report?
        var rounds: Int
        var refusal: String?
        var header: [UInt8]?
        var superblocks: [Superblock.Slot: [UInt8]]
        var appendedManifest: [UInt8]?
    }

    /// Codes of faults that only more dropping can cause, never cure.
    static let monotoneFaults: Set<Finding.Code> = [
        .recordUnknownCollection, .recordUnknownSchemaVersion, .catalogInconsistent,
    ]

    /// Rewrites `file` (a copy of the source) to hold the chosen units and verifies it.
    static func run(
        source: Report, ledger: TransactionLedger, selection initial: UnitSelection, file: AtomicFile,
        sureRounds: Int = Scavenge.sureRounds, roundLimit: Int = Scavenge.roundLimit
    ) throws -> Result {
        var selection = initial
        var lost = Set<UInt64>()
        var rounds = 0
        while true {
            try StopRequest.check()
            let structures = ledger.structures.filter { !lost.contains($0.offset) }
            let layout: ScavengeLayout
            do {
                layout = try ScavengeLayout(units: ledger.units, kept: selection.kept, structures: structures)
            } catch {
                selection.dropForLayout([(error.unit, layoutDetail(error))])
                continue
            }
            selection.dropForLayout(layout.leftOut.map { ($0.unit, layoutDetail($0)) })
            var result = Result(
                selection: selection, layout: layout, output: nil, rounds: rounds, refusal: nil, header: nil,
                superblocks: [:], appendedManifest: nil)
            guard layout.end > UInt64(Layout.logStart) else {
                result.refusal = "no intact committed transaction is left to keep"
                return result
            }
            // Structures a filler took in are zeros now, in every later round too.
            lost.formUnion(layout.absorbed)
            images(for: &result, source: source, ledger: ledger)
            // The full decode of the result finds what no longer replays; when nothing dropped
            // can cause that (and the checkpoint stays as the source had it), its structure is
            // all that needs checking.
            try file.flush()
            let checkpointKept =
                source.checkpointInUse == nil || keptCheckpoint(source: source, ledger: ledger, result: result) != nil
            let deep =
                rounds > 0 || !checkpointKept
                || !sourceJudgedKept(source: source, ledger: ledger, kept: selection.kept)
                || !DropImpact.dropsAreInert(
                    units: ledger.units, kept: selection.kept, dropped: selection.dropped.map(\.unit),
                    copy: file.temporaryPath)
            let verified = try write(result, to: file, deep: deep)
            rounds += 1
            result.rounds = rounds
            result.output = verified
            if verified.verdict == .clean { return result }
            let faulting = unitsFaulting(in: verified, ledger: ledger, kept: selection.kept)
            guard !faulting.isEmpty else {
                result.refusal = "the rebuilt file does not verify clean, and no kept transaction is to blame"
                return result
            }
            guard rounds < roundLimit else {
                result.refusal =
                    "the rebuilt file still does not verify clean after \(rounds) rounds of leaving out "
                    + "what fails to replay (\(faulting.count) fault(s) left, the first at "
                    + "\(faulting[0].finding.offset)); a plain repair keeps the committed prefix"
                return result
            }
            let goes =
                rounds < sureRounds
                ? surelyDropped(faulting, in: verified, ledger: ledger, copy: file.temporaryPath)
                : Set(faulting.map(\.unit))
            // A unit's first fault says why it goes.
            selection.dropUnreplayable(
                faulting.filter { goes.contains($0.unit) }.map {
                    ($0.unit, "\($0.finding.code.rawValue): \($0.finding.message)")
                })
        }
    }

    /// Why a unit beside a stretch too short for a Temp segment goes (`ScavengeLayout`).
    static func layoutDetail(_ tooShort: ScavengeLayout.TooShort) -> String {
        "\(tooShort.stretch.count) unreadable bytes at \(tooShort.stretch.lowerBound) beside it "
            + "are too few to fill with a Temp segment"
    }

    /// Rounds that leave out only what would be left out whatever else goes; later rounds
    /// leave out every unit that fails on what is kept before it (a chain of drops each
    /// exposing the next fault would otherwise cost a round per link).
    static let sureRounds = 8
    /// Rounds after which the salvage gives up (each rewrites and decodes the whole result).
    static let roundLimit = 32

    /// The faulting units that go this round, each for certain: the first (nothing dropped
    /// can change what comes before it), and every later one whose fault no drop can cure.
    ///
    /// - A fault only more dropping can cause (`monotoneFaults`).
    /// - A payload that does not decode (`isPayloadDecodeFault`): only a catalog change cures
    ///   it, so while nothing that goes this round changes the catalog (a round for each would
    ///   make the salvage quadratic in their number).
    /// - A row failing validation against its collection's last version: only a catalog change
    ///   cures it, while no faulting unit changes the catalog.
    /// - A unique clash: while every faulting unit before it is inert (`DropImpact`), no drop
    ///   makes a new fault, so the unit holding the key stays unless it is one of them.
    static func surelyDropped(
        _ faulting: [(unit: Int, finding: Finding)], in report: Report, ledger: TransactionLedger, copy path: String
    ) -> Set<Int> {
        let first = faulting[0].unit
        var goes: Set<Int> = [first]
        for (unit, finding) in faulting where monotoneFaults.contains(finding.code) { goes.insert(unit) }
        let catalogStays = !goes.contains { ledger.units[$0].changesCatalog }
        for (unit, finding) in faulting
        where catalogStays && finding.code.isPayloadDecodeFault && !ledger.units[unit].changesCatalog {
            goes.insert(unit)
        }
        if !faulting.contains(where: { ledger.units[$0.unit].changesCatalog }) {
            for (unit, finding) in faulting where finding.code == .recordFailsValidation { goes.insert(unit) }
        }
        // Findings past the report's limit may hide faulting units.
        if report.findingsDropped == 0 {
            goes.formUnion(DropImpact.uncurableClashes(faulting, units: ledger.units, copy: path))
        }
        return goes
    }

    /// Whether the source's walk judged the kept units as the engine will replay them in the
    /// result: no error lies in a kept unit (it would not replay either), nor outside every
    /// unit before the last kept one (damage the engine stops at, and which may have held a
    /// catalog change), and the walk never resumed past bytes the engine does not read (from
    /// there on it does not replay as the engine will replay the result, which reads on).
    static func sourceJudgedKept(source: Report, ledger: TransactionLedger, kept: [Bool]) -> Bool {
        guard let last = kept.lastIndex(of: true) else { return true }
        let keptEnd = ledger.units[last].end
        return !source.findings.contains { finding in
            let at = finding.blamedOffset
            guard at >= UInt64(Layout.logStart), at < keptEnd else { return false }
            if finding.code == .logResynchronized { return true }
            guard finding.severity == .error else { return false }
            return ledger.unitIndex(containing: at).map { kept[$0] } ?? true
        }
    }

    /// Error findings of the rebuilt file, each with the kept unit it lies in, in log order.
    static func unitsFaulting(in report: Report, ledger: TransactionLedger, kept: [Bool]) -> [(
        unit: Int, finding: Finding
    )] {
        report.findings.filter { $0.severity == .error }.compactMap { finding in
            guard let unit = ledger.unitIndex(containing: finding.blamedOffset), kept[unit] else { return nil }
            return (unit, finding)
        }.sorted { $0.unit < $1.unit }
    }

    /// The header and superblocks of the result: both superblocks rebuilt to point at the
    /// newest kept Manifest (or a fresh one at the end), and at the checkpoint while every
    /// transaction its snapshot covers stays.
    static func images(for result: inout Result, source: Report, ledger: TransactionLedger) {
        let layout = result.layout
        let headerUsable =
            source.header.map { $0.hasValidMagic && $0.formatMajor == 0 && (3...6).contains($0.formatMinor) } ?? false
        if !headerUsable { result.header = Images.fileHeader(minor: source.formatMinor) }
        var manifest = layout.keptManifest ?? 0
        if layout.keptManifest == nil {
            manifest = layout.end
            result.appendedManifest = Images.manifest(at: layout.end)
        }
        let version: UInt16 = source.formatMinor >= Layout.transactionalMinor ? 1 : 0
        let newest = source.superblocks.map(\.0).filter(\.isRecognised).map(\.generation).max() ?? 0
        let generation = newest < UInt64.max - 1 ? max(newest + 1, 2) : 2
        let checkpoint = version == 1 ? keptCheckpoint(source: source, ledger: ledger, result: result) : nil
        result.superblocks[.a] = Images.superblock(
            version: version, generation: generation, manifestOffset: manifest, checkpoint: checkpoint)
        result.superblocks[.b] = Images.superblock(
            version: version, generation: generation - 1, manifestOffset: manifest, checkpoint: checkpoint)
    }

    /// The source's checkpoint, when it stays whole, every unit before it stays (its snapshot
    /// holds them all), nothing before it is damaged or faulty (the snapshot may hold what the
    /// damage hides), and replay resumes on a boundary of the result.
    static func keptCheckpoint(source: Report, ledger: TransactionLedger, result: Result) -> (UInt64, UInt32)? {
        let layout = result.layout
        guard let checkpoint = source.checkpointInUse, !layout.absorbed.contains(checkpoint.offset),
            let segment = ledger.structures.first(where: { $0.offset == checkpoint.offset && $0.type == .checkpoint }),
            segment.end <= layout.end, checkpoint.replayFrom <= layout.end
        else { return nil }
        // Replay resumes at a boundary of the result: the checkpoint's end (as engines write
        // it), the file's end, or where a kept unit or a filler begins.
        let from = checkpoint.replayFrom
        let onBoundary =
            from == segment.end || from == layout.end || layout.fillers.contains { $0.lowerBound == from }
            || ledger.unitIndex(containing: from).map { ledger.units[$0].offset == from && result.selection.kept[$0] }
                == true
        guard checkpointCoversOnlyKept(source: source, ledger: ledger, kept: result.selection.kept), onBoundary
        else { return nil }
        return (checkpoint.offset, checkpoint.length)
    }

    /// Whether the checkpoint the engine uses covers only what is kept: every unit before it
    /// stays, and nothing before it is damaged or faulty (the engine, trusting the snapshot,
    /// never replays what lies before it; the snapshot may hold what a dropped or aborted
    /// transaction wrote). True when there is no such checkpoint.
    static func checkpointCoversOnlyKept(source: Report, ledger: TransactionLedger, kept: [Bool]) -> Bool {
        guard let checkpoint = source.checkpointInUse else { return true }
        let droppedBefore = ledger.units.indices.contains {
            ledger.units[$0].offset < checkpoint.offset && !kept[$0]
        }
        let damageBefore =
            ledger.damagedStretches.contains { $0.lowerBound < checkpoint.offset }
            || source.findings.contains {
                $0.severity != .info && $0.blamedOffset >= UInt64(Layout.logStart)
                    && $0.blamedOffset < checkpoint.offset
            }
        return !droppedBefore && !damageBefore
    }

    /// Cuts, fills and rewrites the copy, then verifies it with the full decode (dropping a
    /// unit can make a later one fail on content: a unique key, a row's validation).
    static func write(_ result: Result, to file: AtomicFile, deep: Bool) throws -> Report {
        let layout = result.layout
        try file.flush()
        try file.truncate(to: layout.end)
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        for filler in layout.fillers {
            let payload = UInt64(filler.count) - UInt64(Layout.segmentHeaderSize)
            try file.write(Images.zeroTempHeader(payloadLength: payload), at: filler.lowerBound)
            var at = filler.lowerBound + UInt64(Layout.segmentHeaderSize)
            while at < filler.upperBound {
                let n = Int(min(UInt64(zeros.count), filler.upperBound - at))
                try file.write(n == zeros.count ? zeros : Array(zeros[..<n]), at: at)
                at += UInt64(n)
            }
        }
        if let header = result.header { try file.write(header, at: 0) }
        for (slot, image) in result.superblocks { try file.write(image, at: slot.offset) }
        if let manifest = result.appendedManifest { try file.write(manifest, at: layout.end) }
        try file.flush()
        do {
            return try Checker.check(path: file.temporaryPath, command: "verify", options: CheckOptions(deep: deep))
        } catch let error as InputError {
            throw AtomicFile.WriteError(path: file.destination, reason: "cannot read back the output: \(error.reason)")
        }
    }
}
