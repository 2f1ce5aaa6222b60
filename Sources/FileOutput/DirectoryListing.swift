#if canImport(Glibc)
    import Glibc
#endif

/// The names in a directory, read with readdir(3).
public enum DirectoryListing {
    /// Every entry's name but `.` and `..`, in the order the system lists them; nil when the
    /// directory cannot be opened (`errno` says why).
    public static func names(in directory: String) -> [String]? {
        guard let dir = opendir(directory) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = name(of: entry)
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The name is read where it lies: a `dirent` is only as long as its name needs, so copying
    /// the struct (its 256-byte `d_name`) would read past the end of a short entry.
    private static func name(of entry: UnsafeMutablePointer<dirent>) -> String {
        let offset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        return String(cString: (UnsafeRawPointer(entry) + offset).assumingMemoryBound(to: CChar.self))
    }
}
