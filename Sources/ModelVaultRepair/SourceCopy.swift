import FileOutput
import ModelVaultCheck
import Threads

#if canImport(Glibc)
    import Glibc
#endif

/// Copies a source file into the salvage's temporary file behind the walk, on a second thread,
/// in the kernel (`AtomicFile.copy`): the walk decodes on one core while the bytes it has read
/// are copied and start their way to the disk on the other. Only for a regular, uncompressed
/// source (a pipe or a gzip stream is copied from the walk's own bytes instead, by its tap).
///
/// The copy reads the source a second time, so it must not change in between: its identity,
/// size and change times are taken before the walk and compared after the copy.
final class SourceCopy: @unchecked Sendable {
    /// Bytes walked past this far ahead of the copy wake the copier.
    private let chunk: UInt64

    private let path: String
    private let fd: Int32
    private let identity: Identity
    private let file: AtomicFile
    private let condition = Condition()
    // Guarded by `condition`.
    private var walked: UInt64 = 0
    private var finishing = false
    private var cancelled = false
    private var failure: Error?
    // The copier's own.
    private var copied: UInt64 = 0
    private var thread: WorkerThread?

    private struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: timespec
        var changed: timespec

        init?(_ info: stat) {
            guard info.st_mode & S_IFMT == S_IFREG else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modified = info.st_mtim
            changed = info.st_ctim
        }

        static func == (a: Identity, b: Identity) -> Bool {
            a.device == b.device && a.inode == b.inode && a.size == b.size
                && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
                && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
        }
    }

    /// Nil when `path` is not a regular file that starts like an uncompressed database (or
    /// cannot be opened here): the caller copies through the walk's tap instead.
    init?(source path: String, into file: AtomicFile, chunk: UInt64 = 32 << 20) {
        guard path != "-" else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        var info = stat()
        var head = [UInt8](repeating: 0, count: OpenedInput.gzipSniffLength)
        let got = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, 0) }
        guard fstat(fd, &info) == 0, let identity = Identity(info), got >= 0,
            !OpenedInput.startsGzipHeader(head.prefix(got))
        else {
            close(fd)
            return nil
        }
        self.path = path
        self.fd = fd
        self.identity = identity
        self.file = file
        self.chunk = chunk
    }

    deinit {
        cancel()
        close(fd)
    }

    /// Starts the copier; false when no thread can be started (the caller copies by the tap).
    func start() -> Bool {
        thread = WorkerThread(stackSize: 256 << 10) { [self] in run() }
        return thread != nil
    }

    /// The walk has read `count` more bytes (called from the walk's tap, in order).
    func walked(_ count: Int) {
        condition.lock()
        walked += UInt64(count)
        let wake = walked >= copied + chunk
        condition.unlock()
        if wake { condition.broadcast() }
    }

    /// The walk begins again from the start of the file: its bytes count from 0 once more (the
    /// copy goes on from where it is once the walk passes it).
    func restart() {
        condition.lock()
        walked = 0
        condition.unlock()
    }

    /// Waits for the copy of bytes `0..<end` and checks that the source did not change since
    /// the copy began. Throws the copy's failure, or `InputError` for a changed source.
    func finish(upTo end: UInt64) throws {
        condition.lock()
        walked = max(walked, end)
        finishing = true
        condition.unlock()
        condition.broadcast()
        thread?.join()
        thread = nil
        if let failure { throw failure }
        if copied < end { try file.copy(from: fd, range: copied..<end) }
        var now = stat()
        var named = stat()
        guard fstat(fd, &now) == 0, stat(path, &named) == 0, Identity(now) == identity,
            Identity(named).map({ $0.device == identity.device && $0.inode == identity.inode }) ?? false
        else {
            throw InputError(
                path: path,
                reason: "changed while it was being repaired (its size, times or identity differ): nothing was "
                    + "written; stop whatever writes it, or repair a copy")
        }
    }

    /// Stops the copier without waiting for the rest (the walk failed).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.unlock()
        condition.broadcast()
        thread?.join()
        thread = nil
    }

    private func run() {
        while true {
            condition.lock()
            while !finishing && !cancelled && walked < copied + chunk { condition.wait() }
            let target = walked
            let done = cancelled || (finishing && target <= copied)
            condition.unlock()
            if done { return }
            do {
                try file.copy(from: fd, range: copied..<target)
            } catch {
                condition.lock()
                failure = error
                condition.unlock()
                return
            }
            file.startWriteback(copied..<target)
            condition.lock()
            copied = target
            condition.unlock()
        }
    }
}
