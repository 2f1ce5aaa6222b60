#if canImport(Glibc)
import Glibc
#endif
import CZlib

/// Writes a file atomically: into a temporary file in the destination's directory, flushed with
/// fsync, renamed into place, and the directory fsynced. Until `commit()` the destination is
/// untouched; `discard()` (or deinit without commit) removes the temporary file.
public final class AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
        public var description: String { "\(path): \(reason)" }
    }

    public let destination: String
    public let temporaryPath: String
    private var fd: Int32
    private var committed = false
    private var deflater: Deflater?
    public private(set) var bytesWritten: UInt64 = 0

    /// Paths of temporary files currently open, so a signal handler can remove them.
    nonisolated(unsafe) public static var liveTemporaryPaths: Set<String> = []

    /// - Parameter gzip: compress what is written (gzip format).
    public init(destination: String, gzip: Bool = false, mode: mode_t = 0o644) throws {
        self.destination = destination
        let directory = AtomicFile.directory(of: destination)
        let name = destination.split(separator: "/").last.map(String.init) ?? destination
        var template = Array("\(directory)/.\(name).tmp-XXXXXX".utf8CString)
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw WriteError(path: destination, reason: "cannot create a temporary file in \(directory): \(String(cString: strerror(errno)))")
        }
        temporaryPath = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        fchmod(fd, mode)
        AtomicFile.liveTemporaryPaths.insert(temporaryPath)
        if gzip { deflater = try Deflater(path: destination) }
    }

    deinit {
        if !committed { discard() }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let deflater {
            try deflater.compress(bytes, finish: false) { try writeRaw($0) }
        } else {
            try writeRaw(bytes)
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ text: String) throws {
        try write(Array(text.utf8))
    }

    /// Appends go through this buffer, so many small writes cost few system calls.
    private var pending: [UInt8] = []
    private static let bufferSize = 1 << 20

    private func writeRaw(_ bytes: UnsafeRawBufferPointer) throws {
        bytesWritten += UInt64(bytes.count)
        if pending.count + bytes.count > Self.bufferSize { try flush() }
        if bytes.count >= Self.bufferSize {
            try writeFully(bytes)
        } else {
            pending.append(contentsOf: bytes)
        }
    }

    /// Writes out what the buffer holds.
    public func flush() throws {
        guard !pending.isEmpty else { return }
        try pending.withUnsafeBytes { try writeFully($0) }
        pending.removeAll(keepingCapacity: true)
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw WriteError(path: destination, reason: "write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// Writes at an absolute offset (uncompressed files only).
    public func write(_ bytes: [UInt8], at offset: UInt64) throws {
        precondition(deflater == nil)
        try flush()
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw WriteError(path: destination, reason: "write failed: \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }
    }

    /// Cuts the file to `length` bytes and moves appends there (uncompressed files only).
    public func truncate(to length: UInt64) throws {
        precondition(deflater == nil)
        try flush()
        guard ftruncate(fd, off_t(length)) == 0, lseek(fd, off_t(length), SEEK_SET) >= 0 else {
            throw WriteError(path: destination, reason: "truncate failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Flushes, fsyncs and renames into place, then fsyncs the directory.
    public func commit() throws {
        if let deflater {
            try deflater.compress(UnsafeRawBufferPointer(start: nil, count: 0), finish: true) { try writeRaw($0) }
        }
        try flush()
        guard fsync(fd) == 0 else {
            throw WriteError(path: destination, reason: "fsync failed: \(String(cString: strerror(errno)))")
        }
        close(fd)
        fd = -1
        guard rename(temporaryPath, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            discard()
            throw WriteError(path: destination, reason: "cannot rename into place: \(reason)")
        }
        committed = true
        AtomicFile.liveTemporaryPaths.remove(temporaryPath)
        let dirfd = open(AtomicFile.directory(of: destination), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
    }

    /// Removes the temporary file; the destination is left as it was.
    public func discard() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        if !committed {
            unlink(temporaryPath)
            AtomicFile.liveTemporaryPaths.remove(temporaryPath)
        }
    }
}

/// A gzip (RFC 1952) compressor over zlib's deflate.
final class Deflater {
    private var stream = z_stream()
    private let out: UnsafeMutableRawBufferPointer

    init(path: String) throws {
        out = .allocate(byteCount: 1 << 16, alignment: 16)
        let status = deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            out.deallocate()
            throw AtomicFile.WriteError(path: path, reason: "zlib initialisation failed (\(status))")
        }
    }

    deinit {
        deflateEnd(&stream)
        out.deallocate()
    }

    func compress(_ bytes: UnsafeRawBufferPointer, finish: Bool, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        stream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = UInt32(bytes.count)
        repeat {
            stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = UInt32(out.count)
            let status = deflate(&stream, finish ? Z_FINISH : Z_NO_FLUSH)
            guard status != Z_STREAM_ERROR else { throw AtomicFile.WriteError(path: "", reason: "deflate failed") }
            let produced = out.count - Int(stream.avail_out)
            if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: out[0..<produced])) }
            if finish && status == Z_STREAM_END { break }
        } while finish || stream.avail_out == 0
    }
}
