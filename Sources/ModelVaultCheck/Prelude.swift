import ModelVaultFormat

/// The file header and both superblocks: checked, the engine's selection applied, and the
/// pointers that reach into the log registered to be settled as the walk passes them.
struct Prelude {
    enum Special { case empty, legacyStub }

    var header: FileHeader?
    var superblocks: [(Superblock, selected: Bool)] = []
    /// The minor whose rules apply (see `settleMinor`).
    var minor: UInt16 = Layout.transactionalMinor
    /// A fatal fault before the log (header, superblocks): the engine opens nothing.
    var preLogFatal: EngineError?
    var special: Special?
    /// The selected superblock's manifest pointer.
    var manifestTarget: ManifestTarget?
    /// Each slot's manifest pointer, probed so a repair can tell whether the slot still fits.
    var slotManifests: [Superblock.Slot: ManifestTarget] = [:]
    /// The selected superblock's checkpoint pointer.
    var checkpointTarget: CheckpointTarget?

    /// Reads and checks the first 8224 bytes, leaving the cursor at the log when the input
    /// reaches it.
    static func read(from cursor: StreamCursor, into sink: inout FindingSink) throws -> Prelude {
        var prelude = Prelude()
        try prelude.read(from: cursor, into: &sink)
        return prelude
    }

    private mutating func read(from cursor: StreamCursor, into sink: inout FindingSink) throws {
        let available = try cursor.request(Int(Layout.logStart))
        if available == 0 {
            special = .empty
            sink.add(
                Finding(
                    .headerTruncated, .error, offset: 0, length: 0,
                    message: "the file is empty: a read-write open would initialise it as a new database"))
            return
        }
        guard available >= Layout.fileHeaderSize else {
            preLogFatal = .truncatedHeader(got: UInt64(available))
            sink.add(
                Finding(
                    .headerTruncated, .error, offset: 0, length: UInt64(available),
                    message: "file is \(available) bytes long; the header alone needs 32"))
            return
        }
        let fileHeader = try FileHeader(parsing: cursor.window)
        header = fileHeader
        checkHeader(fileHeader, available: available, into: &sink)
        guard available >= Int(Layout.logStart) else {
            if special == nil, preLogFatal == nil {
                preLogFatal = .truncatedSuperblock(got: UInt64(available))
            }
            if special == nil {
                sink.add(
                    Finding(
                        .superblockTruncated, .error, offset: UInt64(Layout.fileHeaderSize),
                        length: UInt64(available - Layout.fileHeaderSize),
                        message: "file ends at \(available) bytes, inside the superblocks (the log starts at 8224)"))
            }
            return
        }
        let window = cursor.window
        let a = try Superblock(slot: .a, parsing: UnsafeRawBufferPointer(rebasing: window[32..<4128]))
        let b = try Superblock(slot: .b, parsing: UnsafeRawBufferPointer(rebasing: window[4128..<8224]))
        let selection = SuperblockSelection(a: a, b: b)
        superblocks = [(a, selection.selectedSlot == .a), (b, selection.selectedSlot == .b)]
        checkSuperblocks(a, b, selection, into: &sink)
        settleMinor(fileHeader, a, b, selection)
        for slot in [a, b] where slot.isSound && slot.manifestOffset != 0 {
            slotManifests[slot.slot] = ManifestTarget(
                offset: slot.manifestOffset,
                probe: cursor.probe(at: slot.manifestOffset, length: Layout.segmentHeaderSize + 2))
        }
        if let slot = selection.selectedSlot {
            let chosen = slot == .a ? a : b
            manifestTarget = slotManifests[slot]
            if chosen.version == 1 && chosen.checkpointOffset != 0 {
                checkpointTarget = CheckpointTarget(
                    offset: chosen.checkpointOffset, length: chosen.checkpointLength,
                    probe: cursor.probe(at: chosen.checkpointOffset, length: Layout.segmentHeaderSize))
            }
        }
        try cursor.consume(Int(Layout.logStart))
    }

    private mutating func checkHeader(_ h: FileHeader, available: Int, into sink: inout FindingSink) {
        if !h.hasValidMagic {
            preLogFatal = .badMagic(h.magic)
            sink.add(
                Finding(
                    .headerBadMagic, .error, offset: 0, length: 4,
                    message:
                        "file magic is \(Hex.bytes(h.magic)), expected \"TDB0\": "
                        + "not recognisable as a ModelVault file header"
                ))
        } else if !h.isSupportedVersion {
            preLogFatal = .unsupportedVersion(major: UInt64(h.formatMajor), minor: UInt64(h.formatMinor))
            sink.add(
                Finding(
                    .headerUnsupportedVersion, .error, offset: 4, length: 4,
                    message:
                        "format version \(h.formatMajor).\(h.formatMinor) is not one the engine accepts (0.2 to 0.6)"))
        } else if h.formatMinor == 2 {
            if available == Layout.fileHeaderSize {
                special = .legacyStub
                sink.add(
                    Finding(
                        .headerLegacyStub, .warning, offset: 0, length: 32,
                        message:
                            "a 32-byte format 0.2 stub: a read-write open rebuilds it in place as an empty database"))
            } else {
                preLogFatal = .unsupportedVersion(major: 0, minor: 2)
                sink.add(
                    Finding(
                        .headerUnsupportedVersion, .error, offset: 4, length: 4,
                        message: "format version 0.2 on a file longer than its header: the engine refuses it"))
            }
        }
        if h.headerSize != UInt32(Layout.fileHeaderSize) {
            sink.add(
                Finding(
                    .headerBadSize, .warning, offset: 8, length: 4,
                    message: "header size field is \(h.headerSize), expected 32 (the engine ignores it)"))
        }
        if h.flags != 0 || h.reservedNonZero {
            sink.add(
                Finding(
                    .headerNonzeroReserved, .info, offset: 12, length: 20,
                    message: "header flags or reserved bytes are not zero (the engine ignores them)"))
        }
    }

    private mutating func checkSuperblocks(
        _ a: Superblock, _ b: Superblock, _ selection: SuperblockSelection, into sink: inout FindingSink
    ) {
        for slot in [a, b] {
            let fatal: Bool
            switch selection {
            case .noneSound: fatal = true
            case .newerSlotUnsound(let bad): fatal = bad == slot.slot
            case .selected: fatal = false
            }
            let severity: Finding.Severity = fatal ? .error : .warning
            let consequence = fatal ? "" : " (the engine uses the other slot)"
            let length = UInt64(slot.version == 1 ? 52 : 36)
            if !slot.hasValidMagic {
                sink.add(
                    Finding(
                        .superblockBadMagic, severity, offset: slot.slot.offset, length: 4,
                        message:
                            "superblock \(slot.slot.rawValue) magic is \(Hex.bytes(slot.magic)), "
                            + "expected \"TSB0\"\(consequence)"
                    ))
            } else if !slot.isRecognised {
                sink.add(
                    Finding(
                        .superblockUnsupportedVersion, severity, offset: slot.slot.offset + 4, length: 2,
                        message:
                            "superblock \(slot.slot.rawValue) version \(slot.version) is neither 0 nor 1\(consequence)")
                )
            } else if slot.checksumKind != 0 {
                sink.add(
                    Finding(
                        .superblockBadChecksum, severity, offset: slot.slot.offset + 28, length: 1,
                        message:
                            "superblock \(slot.slot.rawValue) (generation \(slot.generation)) "
                            + "has checksum kind \(slot.checksumKind), expected 0\(consequence)"
                    ))
            } else if !slot.checksumMatches {
                let why =
                    fatal && selection != .noneSound
                    ? ": its generation is above every sound slot's, so the engine refuses the file"
                    : consequence
                sink.add(
                    Finding(
                        .superblockBadChecksum, severity, offset: slot.slot.offset, length: length,
                        message:
                            "superblock \(slot.slot.rawValue) (generation \(slot.generation)) "
                            + "CRC-32C \(Hex.u32(slot.computedCRC)) "
                            + "does not match stored \(Hex.u32(slot.storedCRC))\(why)"
                    ))
            }
        }
        // The header is checked first: a fault there is what the engine reports.
        if selection.selectedSlot == nil, preLogFatal == nil { preLogFatal = .superblockChecksum }
        switch selection {
        case .noneSound:
            sink.add(
                Finding(
                    .superblockNoneValid, .error, offset: Layout.superblockAOffset, length: 8192,
                    message: "neither superblock is sound: the engine refuses the file"))
        case .newerSlotUnsound, .selected:
            break
        }
    }

    /// The minor whose rules apply: the header's when it can say, else inferred from the
    /// superblocks (version 1 is written only by minor-6 engines).
    private mutating func settleMinor(
        _ h: FileHeader, _ a: Superblock, _ b: Superblock, _ selection: SuperblockSelection
    ) {
        if h.hasValidMagic, h.formatMajor == 0, (3...6).contains(h.formatMinor) {
            minor = h.formatMinor
        } else {
            minor =
                [a, b].contains { $0.isSound && $0.version == 1 } || ![a, b].contains(where: \.isSound)
                ? Layout.transactionalMinor : 5
        }
    }
}
