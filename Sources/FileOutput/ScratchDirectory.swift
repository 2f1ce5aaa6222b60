#if canImport(Glibc)
    import Glibc
#endif

/// Where scratch files go: `$TMPDIR` when it is set and not empty, else /tmp.
public enum ScratchDirectory {
    public static var path: String {
        getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }
}
