#if canImport(Glibc)
    import Glibc
#endif

/// ModelVault writers hold `flock(LOCK_EX)` on `<db_path>.writer.lock` while open
/// (docs/file-format.md §12). A non-blocking shared lock, released at once, tells whether one does.
/// The lock file is never created or written: when it is missing, no writer is open.
public enum WriterLock {
    public static func lockPath(for path: String) -> String { path + ".writer.lock" }

    /// Whether a writer holds the database at `path` open right now.
    public static func isHeld(forDatabaseAt path: String) -> Bool {
        guard path != "-" else { return false }
        // O_NONBLOCK: a FIFO in the lock file's place must not stall the check.
        let fd = open(lockPath(for: path), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    public static func finding(for path: String) -> Finding {
        Finding(
            .fileWriterActive, .warning, offset: 0, length: 0,
            message:
                "a ModelVault writer holds \(lockPath(for: path)): the file is being written, "
                + "so a torn tail may be a write in flight rather than damage"
        )
    }
}
