import ModelVaultFormat

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A forward-only stream of input bytes. Every command reads its input through one of these,
/// once, from start to end.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 only at the end of the input.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// The size on disk when known in advance (a regular file), for progress and reports.
    var knownSize: UInt64? { get }
}

/// An input that cannot be opened or read: an operational error, not a finding.
public struct InputError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }

    static func errno(_ path: String, _ what: String) -> InputError {
        InputError(path: path, reason: "\(what): \(String(cString: strerror(Glibc.errno)))")
    }
}

/// A file or standard input read with read(2) from a descriptor opened O_RDONLY: no API here
/// can write.
public final class FileSource: ByteSource {
    public let path: String
    public let knownSize: UInt64?
    private let fd: Int32
    private let ownsDescriptor: Bool

    /// Opens `path` read-only; `-` is standard input. Directories and unreadable paths throw.
    public init(path: String) throws {
        self.path = path
        if path == "-" {
            fd = 0
            ownsDescriptor = false
        } else {
            fd = try Self.openWithoutBlocking(path)
            ownsDescriptor = true
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = InputError.errno(path, "cannot stat")
            if ownsDescriptor { close(fd) }
            throw error
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            if ownsDescriptor { close(fd) }
            throw InputError(path: path, reason: "is a directory")
        }
        knownSize = (info.st_mode & S_IFMT) == S_IFREG ? UInt64(info.st_size) : nil
        if knownSize != nil && ownsDescriptor { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        #if os(Linux)
            if knownSize != nil { _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL)) }
        #endif
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    /// Opens with O_NONBLOCK: a blocking open of a FIFO waits for a writer where no stop
    /// request can reach it (the signal may go to another thread). Reads from anything but a
    /// regular file wait in `waitUntilReadable` instead, which does see a stop request.
    private static func openWithoutBlocking(_ path: String) throws -> Int32 {
        while true {
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            if fd >= 0 { return fd }
            guard Glibc.errno == EINTR else { throw InputError.errno(path, "cannot open") }
            try StopRequest.check()
        }
    }

    /// A pipe can block forever: wait in short slices, so a stop request is seen whichever
    /// thread the signal was delivered to. A FIFO opened before any writer reports nothing
    /// until a writer writes (POLLIN) or comes and goes (POLLHUP, then read returns 0).
    private func waitUntilReadable() throws {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            try StopRequest.check()
            let n = poll(&poller, 1, 100)
            if n > 0 { return }
            if n < 0 && Glibc.errno != EINTR { return }
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            if knownSize == nil { try waitUntilReadable() }
            let n = Glibc.read(fd, base, buffer.count)
            if n >= 0 { return n }
            switch Glibc.errno {
            case EINTR: try StopRequest.check()
            case EAGAIN, EWOULDBLOCK: continue  // not readable after all: wait again
            default: throw InputError.errno(path, "read failed")
            }
        }
    }
}

/// Bytes already in memory (tests, and inputs built on the fly).
public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var position = 0
    /// Largest chunk handed out per read, so tests can exercise buffer boundaries.
    private let chunk: Int

    public init(_ bytes: [UInt8], chunk: Int = .max) {
        self.bytes = bytes
        self.chunk = max(1, chunk)
    }

    public var knownSize: UInt64? { UInt64(bytes.count) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - position, chunk)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + position, byteCount: n)
        }
        position += n
        return n
    }
}
