#if canImport(Glibc)
import Glibc
#endif

/// Writes to standard output and standard error.
enum Console {
    static func out(_ lines: [String]) {
        for line in lines {
            fputs(line, stdout)
            fputs("\n", stdout)
        }
    }

    static func err(_ line: String) {
        fputs(line + "\n", stderr)
    }
}
