/// Why an entry of the input list cannot be checked: an operational error for that entry alone.
enum ListingError: Error, Equatable, CustomStringConvertible {
    /// A file or directory inside a walked directory that cannot be examined or read.
    case unreadable(String)
    /// A directory argument that yields no file to check (a wrong or unmounted path must not
    /// pass silently).
    case noDatabaseFiles(String)

    var description: String {
        switch self {
        case .unreadable(let reason): return reason
        case .noDatabaseFiles(let directory): return "no database files under \(directory)"
        }
    }

    /// The line on standard error.
    func message(path: String) -> String {
        switch self {
        case .unreadable: return "mvfsck: \(path): \(self)"
        case .noDatabaseFiles: return "mvfsck: \(self)"
        }
    }
}
