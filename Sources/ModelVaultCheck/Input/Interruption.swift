#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM stop work cleanly: the handler only sets a flag, and every read from an
/// input checks it, so a walk ends within one buffer's worth of reading.
public enum Interruption {
    public struct Interrupted: Error, CustomStringConvertible {
        public var signal: Int32
        public var description: String { "interrupted by signal \(signal)" }
    }

    nonisolated(unsafe) private static var received: sig_atomic_t = 0

    /// Installs the handlers for SIGINT and SIGTERM.
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { signal in Interruption.received = signal }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    public static var signalReceived: Int32? { received == 0 ? nil : received }

    public static func check() throws {
        if received != 0 { throw Interrupted(signal: received) }
    }
}
