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

    /// Installs the handlers for SIGINT and SIGTERM, without SA_RESTART so a blocking read
    /// returns at once.
    public static func install() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in Interruption.received = signal }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        // A parent may have left them blocked (or ignored): a stop request must get through.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    public static var signalReceived: Int32? { received == 0 ? nil : received }

    public static func check() throws {
        if received != 0 { throw Interrupted(signal: received) }
    }
}
