import ModelVaultFormat

#if canImport(Glibc)
    import Glibc
#endif

/// SIGINT and SIGTERM stop work cleanly: the handler only raises `StopRequest`, which every
/// read from an input, every segment of the walk and every long loop inside one polls, so any
/// command stops within milliseconds.
enum Interruption {
    typealias Interrupted = StopRequest.Interrupted

    /// Installs the handlers for SIGINT and SIGTERM, without SA_RESTART so a blocking read
    /// returns at once.
    static func install() {
        StopRequest.prepare()
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in StopRequest.raise(signal: signal) }
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

    static var signalReceived: Int32? { StopRequest.signal }
}
