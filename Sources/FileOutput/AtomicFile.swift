import CFileCopy
import CZlib

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a file atomically: into a temporary file in the destination's directory, flushed with
/// fsync, renamed into place, and the directory fsynced. Until `commit()` the destination is
/// untouched; `discard()` (or deinit without commit) removes the temporary file.
///
/// The temporary file is `.NAME.tmp-XXXXXX` beside the destination `NAME`, and is held under an
/// exclusive flock(2) from its creation until it is renamed or removed: a file of that name that
/// nobody holds locked was left by a run that was killed (`removeStaleTemporaries`).
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

    /// - Parameter gzip: compress what is written (gzip format).
    public init(destination: String, gzip: Bool = false, mode: mode_t = 0o644) throws {
        self.destination = destination
        let directory = AtomicFile.directory(of: destination)
        (fd, temporaryPath) = try AtomicFile.createLockedTemporary(
            directory: directory,
            prefix: AtomicFile.temporaryPrefix(of: destination),
            destination: destination)
        fchmod(fd, mode)
        if gzip { deflater = try Deflater(path: destination) }
    }

    /// The temporary files of `destination` are named this prefix plus six letters or digits.
    static func temporaryPrefix(of destination: String) -> String {
        let name = destination.split(separator: "/").last.map(String.init) ?? destination
        return ".\(name).tmp-"
    }

    /// Creates a temporary file with mkstemp(3) and locks it. A concurrent
    /// `removeStaleTemporaries` may lock and remove the file in the instant between its creation
    /// and the lock: the lock is taken without waiting, and the name must still lead to the
    /// locked file, else a fresh one is made. Where the file system has no flock(2) locks the
    /// file is used unlocked (and `removeStaleTemporaries` never removes anything there).
    private static func createLockedTemporary(directory: String, prefix: String, destination: String) throws -> (
        Int32, String
    ) {
        for _ in 0..<100 {
            var template = Array("\(directory)/\(prefix)XXXXXX".utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else {
                throw WriteError(
                    path: destination,
                    reason: "cannot create a temporary file in \(directory): \(String(cString: strerror(errno)))")
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
            var status = flock(fd, LOCK_EX | LOCK_NB)
            while status != 0 && errno == EINTR { status = flock(fd, LOCK_EX | LOCK_NB) }
            let contended = status != 0 && errno == EWOULDBLOCK
            let stillNamed = sameFile(fd, path)
            if !contended && stillNamed { return (fd, path) }
            if stillNamed { unlink(path) }
            close(fd)
        }
        throw WriteError(path: destination, reason: "cannot create and lock a temporary file in \(directory)")
    }

    /// Whether `path` (not followed if a link) is the file open as `fd`.
    private static func sameFile(_ fd: Int32, _ path: String) -> Bool {
        var open = stat()
        var named = stat()
        return fstat(fd, &open) == 0 && lstat(path, &named) == 0 && open.st_dev == named.st_dev
            && open.st_ino == named.st_ino
    }

    /// What `removeStaleTemporaries` did with one file.
    public enum StaleTemporary: Equatable, Sendable {
        case removed(path: String)
        case notRemoved(path: String, reason: String)
    }

    /// Removes the temporary files a killed run left beside `destination`: entries of its
    /// directory named exactly `.NAME.tmp-XXXXXX` (six letters or digits, as mkstemp(3) makes
    /// them), that are regular files owned by the current user, and on which a non-blocking
    /// exclusive flock(2) succeeds. A live writer holds that lock for as long as its file
    /// exists, so its file is never touched; anything else (links, directories, other names,
    /// other owners) is left alone too.
    public static func removeStaleTemporaries(of destination: String) -> [StaleTemporary] {
        let directory = AtomicFile.directory(of: destination)
        let prefix = temporaryPrefix(of: destination)
        guard let listed = DirectoryListing.names(in: directory) else { return [] }
        var outcomes: [StaleTemporary] = []
        for name in listed.filter({ isTemporaryName($0, prefix: prefix) }).sorted() {
            // Beside a destination named without a directory, shown without one too.
            let path = !destination.contains("/") ? name : directory == "/" ? "/" + name : directory + "/" + name
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid() else { continue }
            // Held by a live writer (or not lockable here): not stale, or not provably so.
            guard flock(fd, LOCK_EX | LOCK_NB) == 0, sameFile(fd, path) else { continue }
            if unlink(path) == 0 {
                outcomes.append(.removed(path: path))
            } else {
                outcomes.append(.notRemoved(path: path, reason: String(cString: strerror(errno))))
            }
        }
        return outcomes
    }

    static func isTemporaryName(_ name: String, prefix: String) -> Bool {
        guard name.hasPrefix(prefix) else { return false }
        let suffix = name.utf8.dropFirst(prefix.utf8.count)
        return suffix.count == 6
            && suffix.allSatisfy {
                (0x30...0x39).contains($0) || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0)
            }
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

    /// Copies `range` of the file open as `source` to the same offsets here, in the kernel where
    /// it can (copy_file_range(2): no bytes pass through this process, and a file system that
    /// shares extents shares them), else with pread and pwrite. Appends then go on after the
    /// range (uncompressed files only). Throws if the source ends before the range does.
    public func copy(from source: Int32, range: Range<UInt64>) throws {
        precondition(deflater == nil)
        try flush()
        var inOffset = Int64(range.lowerBound)
        var outOffset = inOffset
        let end = Int64(range.upperBound)
        while inOffset < end && kernelCopies {
            let n = mv_copy_file_range(source, &inOffset, fd, &outOffset, Int(min(end - inOffset, 1 << 30)))
            if n > 0 { continue }
            if n == 0 {
                throw WriteError(path: destination, reason: "the source ended at byte \(inOffset) while copying")
            }
            switch errno {
            case EINTR, EAGAIN: continue
            case EXDEV, ENOSYS, EINVAL, EOPNOTSUPP, EBADF, EPERM, ETXTBSY: kernelCopies = false
            default:
                throw WriteError(
                    path: destination, reason: "write failed (copying the source): \(String(cString: strerror(errno)))")
            }
        }
        if inOffset < end { try copyThroughBuffer(from: source, from: inOffset, to: end) }
        guard lseek(fd, off_t(end), SEEK_SET) >= 0 else {
            throw WriteError(path: destination, reason: "seek failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Whether copy_file_range(2) works between these files (it does not across some file systems).
    private var kernelCopies = true

    private func copyThroughBuffer(from source: Int32, from start: Int64, to end: Int64) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var offset = start
        while offset < end {
            let n = pread(source, buffer.baseAddress!, Int(min(end - offset, Int64(buffer.count))), off_t(offset))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason =
                    n == 0
                    ? "the source ended at byte \(offset) while copying"
                    : "read failed: \(String(cString: strerror(errno)))"
                throw WriteError(path: destination, reason: reason)
            }
            var done = 0
            while done < n {
                let w = pwrite(fd, buffer.baseAddress! + done, n - done, off_t(offset) + off_t(done))
                if w < 0 {
                    if errno == EINTR { continue }
                    throw WriteError(path: destination, reason: "write failed: \(String(cString: strerror(errno)))")
                }
                done += w
            }
            offset += Int64(n)
        }
    }

    /// Starts writing `range` back to the disk without waiting, so the fsync of `commit()` has
    /// less left to do. Best effort: where the call is missing nothing happens.
    public func startWriteback(_ range: Range<UInt64>) {
        _ = mv_start_writeback(fd, Int64(range.lowerBound), Int64(range.count))
    }

    /// Fsyncs what has been written out (`flush()` first): on a second thread it may run while
    /// the first reads the temporary file back by its path. `commit()` fsyncs again, cheaply
    /// when nothing changed since.
    public func sync() throws {
        guard fsync(fd) == 0 else {
            throw WriteError(path: destination, reason: "fsync failed: \(String(cString: strerror(errno)))")
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
        // Renamed while still open, so the lock covers the temporary name until it is gone.
        guard rename(temporaryPath, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            discard()
            throw WriteError(path: destination, reason: "cannot rename into place: \(reason)")
        }
        committed = true
        close(fd)
        fd = -1
        let dirfd = open(AtomicFile.directory(of: destination), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
    }

    /// Removes the temporary file (before closing it, so it is never unlocked under its name);
    /// the destination is left as it was.
    public func discard() {
        if !committed, fd >= 0 {
            unlink(temporaryPath)
        }
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }
}

/// A gzip (RFC 1952) compressor over zlib's deflate.
final class Deflater {
    private var stream = z_stream()
    private let out: UnsafeMutableRawBufferPointer

    init(path: String) throws {
        out = .allocate(byteCount: 1 << 16, alignment: 16)
        let status = deflateInit2_(
            &stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
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
