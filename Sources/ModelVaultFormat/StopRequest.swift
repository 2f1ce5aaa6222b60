import Synchronization

/// A request to stop work (SIGINT or SIGTERM), raised from a signal handler and polled by every
/// loop whose length an input decides: the decoders here, the walk and the repair.
///
/// Polling is one relaxed atomic load, done once per segment or buffer and every 4096 steps of
/// a loop inside one (`check(every:)`), so a stop is seen within milliseconds without per-byte
/// work. The request is sticky: once raised it stays raised. A loop that cannot throw may just
/// stop early, leaving its result incomplete; whoever runs the walk checks again before a
/// report is produced, so an incomplete result is never reported.
public enum StopRequest {
    /// Thrown where a stop request is seen.
    public struct Interrupted: Error, CustomStringConvertible, Sendable {
        public var signal: Int32
        public init(signal: Int32) { self.signal = signal }
        public var description: String { "interrupted by signal \(signal)" }
    }

    private static let raisedBy = Atomic<Int32>(0)

    /// Touches the flag, so its storage exists before a signal handler can write it.
    public static func prepare() {
        _ = raisedBy.load(ordering: .relaxed)
    }

    /// Raises the request; safe in a signal handler (one lock-free atomic store).
    public static func raise(signal: Int32) {
        raisedBy.store(signal, ordering: .relaxed)
    }

    /// The signal that raised the request, or nil.
    public static var signal: Int32? {
        let raised = raisedBy.load(ordering: .relaxed)
        return raised == 0 ? nil : raised
    }

    public static var isRaised: Bool { raisedBy.load(ordering: .relaxed) != 0 }

    /// Throws `Interrupted` once a stop has been requested.
    @inline(__always)
    public static func check() throws(Interrupted) {
        let raised = raisedBy.load(ordering: .relaxed)
        if raised != 0 { throw Interrupted(signal: raised) }
    }

    /// `check()` on every 4096th `iteration` of a loop (counting from 0), for loops whose
    /// steps are too cheap to poll each time.
    @inline(__always)
    public static func check(every iteration: Int) throws(Interrupted) {
        if iteration & 0xFFF == 0 { try check() }
    }

    /// `check(every:)` for a decoder, whose only error is a `FormatError`: a stop request is
    /// thrown as one (`.interrupted`) at `offset`.
    @inline(__always)
    public static func check(every iteration: Int, decodingAt offset: UInt64) throws(FormatError) {
        if iteration & 0xFFF == 0, let signal { throw FormatError(.interrupted(signal: signal), at: offset) }
    }

    /// Whether a loop that cannot throw should stop at `iteration` (polled every 4096th).
    @inline(__always)
    public static func shouldStop(at iteration: Int) -> Bool {
        iteration & 0xFFF == 0 && isRaised
    }
}
