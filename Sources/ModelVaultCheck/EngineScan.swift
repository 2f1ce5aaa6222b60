import ModelVaultFormat

/// ModelVault 0.16.0's log scan and safe-end walk (docs/file-format.md §9, steps 4 "The scan" and 5
/// "The safe end"), fed the segments in file order. It stops where the engine stops, so what it
/// keeps is exactly what an AutoTruncate open keeps.
struct EngineScan {
    /// A fault that fails the open in both modes and leaves the file untouched.
    struct Fatal {
        var error: EngineError
        var offset: UInt64
    }

    let minor: UInt16
    private(set) var scanning = true
    private(set) var fatal: Fatal?
    /// End of the last segment the scan accepted.
    private(set) var lastScannedEnd: UInt64 = Layout.logStart

    // The safe-end walk (minor 6).
    private var walking = true
    private(set) var safe: UInt64 = Layout.logStart {
        didSet { manifests.markSafe() }
    }
    /// The newest intact Manifest scanned, and the newest before `safe` and before the open
    /// transaction: where a superblock of the kept prefix can point.
    private var manifests = ManifestTracker()
    private var open: (id: UInt64, offset: UInt64)?
    private var stop: (reason: TruncateReason, cutAt: UInt64)?
    /// Transactions the walk closed with a matching commit: all lie before any cut.
    private(set) var closedCommits = 0

    init(minor: UInt16) { self.minor = minor }

    /// An unreadable segment header: fatal if the scan gets this far.
    mutating func headerFault(_ fault: SegmentHeaderFault, at offset: UInt64) {
        guard scanning else { return }
        scanning = false
        fatal = Fatal(error: .segmentHeader(fault), offset: offset)
    }

    /// The input ends inside a segment header or payload: the scan stops quietly.
    mutating func tornEnd() { scanning = false }

    mutating func segment(_ s: SegmentEvent, intactManifest: Bool) {
        guard scanning else { return }
        if s.type.payloadCheckedByScan && !s.payloadCRCMatches {
            scanning = false
            return
        }
        if intactManifest { manifests.intact(at: s.offset) }
        lastScannedEnd = s.end
        if minor >= Layout.transactionalMinor { walk(s) }
    }

    /// A Record or Index segment with a sound payload inside a transaction: the same as
    /// `segment(_:intactManifest:)` for it, without the event.
    mutating func dataSegment(end: UInt64) {
        guard scanning else { return }
        lastScannedEnd = end
        if minor >= Layout.transactionalMinor, walking, open == nil { safe = end }
    }

    private mutating func walk(_ s: SegmentEvent) {
        guard walking else { return }
        if s.type.isMarker {
            guard case .success(let marker)? = s.marker else {
                if case .failure(let error)? = s.marker {
                    fatal = Fatal(error: .txnMarker(error.formatError), offset: s.offset)
                }
                walking = false
                return
            }
            switch s.type {
            case .txnBegin:
                if let open {
                    halt(.uncommittedTransaction, at: open.offset)
                    return
                }
                open = (marker.txnId, s.offset)
                safe = s.offset
                manifests.markBegin()
            case .txnCommit:
                guard let current = open else {
                    halt(.orphanTxnCommit, at: s.offset)
                    return
                }
                guard current.id == marker.txnId else {
                    halt(.txnIdMismatch, at: current.offset)
                    return
                }
                open = nil
                closedCommits += 1
                safe = s.end
            default:
                open = nil
                safe = s.end
            }
        } else if open == nil {
            safe = s.end
        }
    }

    private mutating func halt(_ reason: TruncateReason, at offset: UInt64) {
        stop = (reason, offset)
        walking = false
    }

    /// The newest intact Manifest inside what an AutoTruncate open keeps.
    func keptManifest(fileLength: UInt64) -> UInt64? {
        guard minor >= Layout.transactionalMinor, let cut = cut(fileLength: fileLength) else {
            return manifests.latest
        }
        if let open, cut.end == open.offset { return manifests.atBegin }
        return manifests.atSafe
    }

    /// Where an AutoTruncate open cuts the file and why; nil when nothing is cut.
    func cut(fileLength: UInt64) -> (end: UInt64, reason: TruncateReason)? {
        if minor < Layout.transactionalMinor {
            return lastScannedEnd < fileLength ? (lastScannedEnd, .tornTailPreV6) : nil
        }
        if let stop { return (stop.cutAt, stop.reason) }
        if let open { return (open.offset, .uncommittedTransaction) }
        return safe < fileLength ? (safe, .tornTail) : nil
    }
}
