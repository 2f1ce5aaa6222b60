#if canImport(Glibc)
    import Glibc
#endif

/// A scratch file in `$TMPDIR` (else /tmp), unlinked as soon as it is created so nothing is left
/// behind whatever happens to the process; written by appending, read back at any offset.
public final class SpillFile {
    public struct Failure: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { "scratch file: \(reason)" }
    }

    private let fd: Int32
    public private(set) var length: UInt64 = 0

    /// - Parameter purpose: part of the file's name, while it has one (`mvfsck-PURPOSE-XXXXXX`).
    public init(purpose: String = "export") throws(Failure) {
        let directory = ScratchDirectory.path
        var template = Array("\(directory)/mvfsck-\(purpose)-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw Failure(reason: "cannot create one in \(directory): \(Self.errnoText())") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.fd = fd
    }

    deinit { close(fd) }

    /// `existing`, or a new scratch file when there is none yet.
    public static func reusing(_ existing: SpillFile?) throws(Failure) -> SpillFile {
        if let existing { return existing }
        return try SpillFile()
    }

    /// Appends `bytes`; returns where they start.
    @discardableResult
    public func append(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> UInt64 {
        let start = length
        var done = 0
        while done < bytes.count {
            let wrote = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(length))
            guard wrote > 0 else {
                if wrote < 0 && errno == EINTR { continue }
                throw Failure(reason: "cannot write: \(Self.errnoText())")
            }
            done += wrote
            length += UInt64(wrote)
        }
        return start
    }

    public func append(_ bytes: [UInt8]) throws(Failure) {
        _ = try bytes.withUnsafeBytes { raw in Result { () throws(Failure) in try append(raw) } }.get()
    }

    /// Cuts the file to `newLength` bytes: appends go on from there.
    public func truncate(to newLength: UInt64) throws(Failure) {
        guard ftruncate(fd, off_t(newLength)) == 0 else {
            throw Failure(reason: "cannot truncate: \(Self.errnoText())")
        }
        length = newLength
    }

    /// Reads up to `into.count` bytes at `offset`; returns how many.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(Failure) -> Int {
        var done = 0
        while done < buffer.count {
            let got = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + UInt64(done)))
            if got == 0 { break }
            guard got > 0 else {
                if errno == EINTR { continue }
                throw Failure(reason: "cannot read: \(Self.errnoText())")
            }
            done += got
        }
        return done
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
