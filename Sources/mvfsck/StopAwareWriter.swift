import ModelVaultCheck
import Threads

#if canImport(Glibc)
    import Glibc
#endif

/// Writes to a descriptor without ever blocking past a stop request. A pipe or terminal is
/// written only after poll(2) reports room, one PIPE_BUF-sized chunk at a time, waiting in
/// short slices; once SIGINT or SIGTERM has arrived, a descriptor that takes nothing for
/// `grace` seconds (a reader that stopped reading) is given up, and later output is dropped.
final class StopAwareWriter: @unchecked Sendable {
    static let grace = 1.0

    private let fd: Int32
    private let lock = Lock()
    private var buffer: [UInt8] = []
    /// Bytes gathered before a write; 0 writes at once.
    private let capacity: Int
    /// Regular files and block devices never make a writer wait.
    private let waits: Bool
    private var abandoned = false

    init(fd: Int32, buffered: Bool) {
        self.fd = fd
        var info = stat()
        let type = fstat(fd, &info) == 0 ? info.st_mode & S_IFMT : 0
        waits = type != S_IFREG && type != S_IFBLK
        capacity = !buffered || isatty(fd) == 1 ? 0 : (waits ? Int(PIPE_BUF) : 1 << 16)
    }

    func write(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= capacity { drain() }
    }

    func write(_ bytes: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { drain() }
    }

    func flush() {
        lock.lock()
        defer { lock.unlock() }
        drain()
    }

    private func drain() {
        defer { buffer.removeAll(keepingCapacity: true) }
        guard !abandoned else { return }
        buffer.withUnsafeBytes { bytes in
            var offset = 0
            var stalledSince: Double?
            while offset < bytes.count && !abandoned {
                if waits && !hasRoom() {
                    if Interruption.signalReceived != nil {
                        let now = Progress.now()
                        if let since = stalledSince, now - since >= Self.grace { abandoned = true }
                        stalledSince = stalledSince ?? now
                    }
                    continue
                }
                let chunk = waits ? min(Int(PIPE_BUF), bytes.count - offset) : bytes.count - offset
                let n = Glibc.write(fd, bytes.baseAddress! + offset, chunk)
                if n > 0 {
                    offset += n
                    stalledSince = nil
                } else if n < 0 && (errno == EINTR || errno == EAGAIN) {
                    continue
                } else {
                    abandoned = true  // EPIPE, EIO, …: nothing more can be written here
                }
            }
        }
    }

    /// Waits up to 100 ms for room; an error or hang-up counts as room, so the write reports it.
    private func hasRoom() -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let n = poll(&poller, 1, 100)
        return n > 0 || (n < 0 && errno != EINTR)
    }
}
