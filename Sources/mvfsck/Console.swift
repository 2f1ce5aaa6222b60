/// Writes to standard output (buffered, except on a terminal) and standard error (at once).
/// Neither write can hold up a stop request: see `StopAwareWriter`.
enum Console {
    private static let stdout = StopAwareWriter(fd: 1, buffered: true)
    private static let stderr = StopAwareWriter(fd: 2, buffered: false)

    static func out(_ lines: [String]) {
        for line in lines { stdout.write(line + "\n") }
    }

    /// Bytes for standard output, as they are (no newline added).
    static func outBytes(_ bytes: [UInt8]) {
        stdout.write(bytes)
    }

    static func err(_ line: String) {
        stderr.write(line + "\n")
    }

    /// Writes to standard error without a newline (the progress line).
    static func errText(_ text: String) {
        stderr.write(text)
    }

    /// Writes out what standard output still holds; call before exiting.
    static func flush() {
        stdout.flush()
    }
}
