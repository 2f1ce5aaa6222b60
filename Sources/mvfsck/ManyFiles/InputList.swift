import FileOutput
import ModelVaultCheck

#if canImport(Glibc)
    import Glibc
#endif

/// The files a run checks, expanded from the command line: a directory is walked recursively
/// in sorted order, links inside it are not followed, and only `*.modelvault` and
/// `*.modelvault.gz` are picked (every regular file that starts with the `TDB0` magic or a gzip header
/// with `--all-files`). A directory argument that yields nothing to check, because it holds no
/// database or every one is excluded, is an operational error unless `allowEmpty`.
struct InputList {
    struct Entry {
        /// The path as shown and opened.
        var path: String
        /// The path relative to the argument that found it (the subset hash input).
        var relative: String
        /// Set when the entry cannot be checked: an operational error for it alone.
        var error: ListingError?

        var isEmptyDirectory: Bool {
            if case .noDatabaseFiles = error { return true }
            return false
        }
    }

    var allFiles = false
    var excludes: [String] = []
    var allowEmpty = false

    func expand(_ arguments: [String]) -> [Entry] {
        var entries: [Entry] = []
        for argument in arguments {
            if argument == "-" {
                entries.append(Entry(path: "-", relative: "-"))
                continue
            }
            var info = stat()
            guard stat(argument, &info) == 0 else {
                // Let the check report it with the system's reason.
                entries.append(Entry(path: argument, relative: argument))
                continue
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                let before = entries.count
                walk(directory: argument, relative: "", into: &entries)
                if entries.count == before && !allowEmpty {
                    entries.append(Entry(path: argument, relative: argument, error: .noDatabaseFiles(argument)))
                }
            } else if !isExcluded(argument) {
                entries.append(Entry(path: argument, relative: argument))
            }
        }
        return entries
    }

    private func walk(directory: String, relative: String, into entries: inout [Entry]) {
        guard let names = DirectoryListing.names(in: directory) else {
            entries.append(
                Entry(
                    path: directory, relative: relative,
                    error: .unreadable("cannot read directory: \(String(cString: strerror(errno)))")))
            return
        }
        for name in names.sorted() {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            let rel = relative.isEmpty ? name : relative + "/" + name
            if isExcluded(path) || isExcluded(rel) { continue }
            var info = stat()
            guard lstat(path, &info) == 0 else {
                entries.append(
                    Entry(
                        path: path, relative: rel,
                        error: .unreadable("cannot stat: \(String(cString: strerror(errno)))")))
                continue
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                walk(directory: path, relative: rel, into: &entries)
            case S_IFREG:
                if name.hasSuffix(".modelvault") || name.hasSuffix(".modelvault.gz") || (allFiles && sniff(path)) {
                    entries.append(Entry(path: path, relative: rel))
                } else if allFiles && access(path, R_OK) != 0 {
                    entries.append(
                        Entry(
                            path: path, relative: rel,
                            error: .unreadable("cannot open: \(String(cString: strerror(errno)))")))
                }
            default:
                continue  // links and special files inside a walked directory are not followed
            }
        }
    }

    private func isExcluded(_ path: String) -> Bool {
        excludes.contains { fnmatch($0, path, 0) == 0 }
    }

    /// Whether a file starts with the ModelVault magic or a gzip header, by the same rule as
    /// the check itself (`OpenedInput.startsGzipHeader`).
    private func sniff(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: max(4, OpenedInput.gzipSniffLength))
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return false }
        let got = head.prefix(n)
        return got.starts(with: Array("TDB0".utf8)) || OpenedInput.startsGzipHeader(got)
    }

    /// The stable hash of the relative path that `--subset K/N` partitions by.
    static func subsetHash(_ relative: String) -> UInt64 {
        var hash = FNV()
        hash.add(Array(relative.utf8))
        return hash.value
    }
}
