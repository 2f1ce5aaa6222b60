import CZlib
import ModelVaultFormat

/// Inflates a gzip stream on the fly (concatenated members included, as gunzip does), so
/// compressed backups are checked without a temporary copy. A stream that ends early or fails
/// to inflate ends the input there and leaves a container finding; the walk still reports what
/// the database bytes before the break contain.
public final class GzipSource: ByteSource {
    private let upstream: ByteSource
    private var stream = z_stream()
    private let input: UnsafeMutableRawBufferPointer
    private var inputEnded = false
    private var finished = false
    private var memberOpen = true
    private var produced: UInt64 = 0
    private var consumed: UInt64 = 0
    /// Set when the stream is truncated or corrupt.
    public private(set) var fault: Finding?

    public var knownSize: UInt64? { nil }

    public init(upstream: ByteSource) throws {
        self.upstream = upstream
        input = .allocate(byteCount: 1 << 18, alignment: 16)
        let status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            input.deallocate()
            throw InputError(path: "", reason: "zlib initialisation failed (\(status))")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.next_out = out.assumingMemoryBound(to: Bytef.self)
        let requested = UInt32(min(buffer.count, Int(UInt32.max)))
        stream.avail_out = requested
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputEnded {
                let n = try upstream.read(into: input)
                if n == 0 {
                    inputEnded = true
                } else {
                    consumed += UInt64(n)
                    stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = UInt32(n)
                }
            }
            if stream.avail_in == 0 && inputEnded {
                if memberOpen {
                    fail(.containerGzipTruncated, "the gzip stream ends before its end marker (truncated after \(consumed) compressed bytes)",
                         at: produced + UInt64(requested - stream.avail_out))
                } else {
                    finished = true
                }
                break
            }
            if !memberOpen {
                // Another gzip member follows the previous one.
                inflateReset(&stream)
                memberOpen = true
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                memberOpen = false
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                fail(.containerGzipCorrupt, "the gzip stream is corrupt at compressed byte \(consumed - UInt64(stream.avail_in)): \(reason)",
                     at: produced + UInt64(requested - stream.avail_out))
            }
            if finished { break }
        }
        let n = Int(requested - stream.avail_out)
        produced += UInt64(n)
        return n
    }

    private func fail(_ code: Finding.Code, _ message: String, at offset: UInt64) {
        finished = true
        fault = Finding(code, .error, offset: offset, length: 0,
                        message: message + "; the database bytes read end at \(offset)")
    }
}

/// Replays bytes already read from the front of a source, then continues with it (used to sniff
/// the gzip magic without losing the bytes).
final class PrefixedSource: ByteSource {
    private var prefix: [UInt8]
    private let rest: ByteSource

    init(prefix: [UInt8], rest: ByteSource) {
        self.prefix = prefix
        self.rest = rest
    }

    var knownSize: UInt64? { rest.knownSize }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !prefix.isEmpty else { return try rest.read(into: buffer) }
        let n = min(prefix.count, buffer.count)
        prefix.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
        prefix.removeFirst(n)
        return n
    }
}

/// An opened input: a file or standard input, inflated when it starts with the gzip magic.
public struct OpenedInput {
    public let source: ByteSource
    public let compressed: Bool
    /// The on-disk size of the (possibly compressed) input, when known.
    public let diskSize: UInt64?
    let gzip: GzipSource?

    public static let gzipMagic: [UInt8] = [0x1f, 0x8b]

    public static func open(path: String) throws -> OpenedInput {
        let file = try FileSource(path: path)
        var head = [UInt8](repeating: 0, count: 2)
        var got = 0
        while got < 2 {
            let n = try head.withUnsafeMutableBytes { try file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[got...])) }
            if n == 0 { break }
            got += n
        }
        let prefixed = PrefixedSource(prefix: Array(head.prefix(got)), rest: file)
        if got == 2 && head == gzipMagic {
            let gzip = try GzipSource(upstream: prefixed)
            return OpenedInput(source: gzip, compressed: true, diskSize: file.knownSize, gzip: gzip)
        }
        return OpenedInput(source: prefixed, compressed: false, diskSize: file.knownSize, gzip: nil)
    }

    /// The container's own fault, once the input has been read to its end.
    public var containerFault: Finding? { gzip?.fault }
}
