import CZlib
import ModelVaultFormat

#if canImport(Glibc)
    import Glibc
#endif

/// Inflates a gzip stream on the fly, so compressed backups are checked without a temporary
/// copy. Reads as `gzip -d` does: concatenated members are one stream, zero padding after the
/// last member is ignored, and other trailing bytes are ignored with a warning. A stream that
/// ends early or fails to inflate ends the input there and leaves an error; the walk still
/// reports what the database bytes before the break contain.
public final class GzipSource: ByteSource {
    private enum State { case inMember, betweenMembers, finished }

    private let upstream: ByteSource
    private var stream = z_stream()
    private let input: UnsafeMutableRawBufferPointer
    private var inputEnded = false
    private var state = State.inMember
    private var produced: UInt64 = 0
    /// Compressed bytes read from upstream so far.
    private var consumed: UInt64 = 0
    /// The container's own finding: an error when the stream is truncated or corrupt, a warning
    /// when bytes that are neither another member nor zero padding follow the last member.
    public private(set) var finding: Finding?

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

    /// Offset in the compressed stream of the next byte not yet handed to zlib.
    private var compressedPosition: UInt64 { consumed - UInt64(stream.avail_in) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard state != .finished, let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.next_out = out.assumingMemoryBound(to: Bytef.self)
        let requested = UInt32(min(buffer.count, Int(UInt32.max)))
        stream.avail_out = requested
        while stream.avail_out > 0 && state != .finished {
            if state == .betweenMembers {
                try settleAfterMember()
                continue
            }
            guard try fillInput(atLeast: 1) else {
                fail(
                    .containerGzipTruncated,
                    "the gzip stream ends before its end marker (truncated after \(consumed) compressed bytes)",
                    at: produced + UInt64(requested - stream.avail_out))
                break
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                state = .betweenMembers
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                fail(
                    .containerGzipCorrupt,
                    "the gzip stream is corrupt at compressed byte \(compressedPosition): \(reason)",
                    at: produced + UInt64(requested - stream.avail_out))
            }
        }
        let n = Int(requested - stream.avail_out)
        produced += UInt64(n)
        return n
    }

    /// Decides what follows a member's end: another member (the gzip magic), the end of the
    /// input, zero padding up to the end (ignored), or trailing garbage. After zero padding
    /// only the end counts: like `gzip -d`, no member is looked for there or inside garbage.
    private func settleAfterMember() throws {
        let memberEnd = compressedPosition
        guard try fillInput(atLeast: 1) else {
            state = .finished
            return
        }
        let first = stream.next_in[0]
        if first == OpenedInput.gzipMagic[0] {
            if try fillInput(atLeast: 2), stream.next_in[1] == OpenedInput.gzipMagic[1] {
                inflateReset(&stream)
                state = .inMember
                return
            }
        } else if first == 0 {
            guard try skipZeros() else {
                state = .finished
                return
            }
        }
        try noteTrailingGarbage(memberEnd: memberEnd)
    }

    /// Consumes zero bytes; returns whether a non-zero byte follows them (false at the end).
    private func skipZeros() throws -> Bool {
        while try fillInput(atLeast: 1) {
            let pending = UnsafeBufferPointer(start: stream.next_in, count: Int(stream.avail_in))
            let zeros = pending.firstIndex { $0 != 0 } ?? pending.count
            stream.next_in += zeros
            stream.avail_in -= UInt32(zeros)
            if stream.avail_in > 0 { return true }
        }
        return false
    }

    /// Counts the bytes from here to the end of the input without keeping them, and records
    /// them as a warning located in the compressed stream.
    private func noteTrailingGarbage(memberEnd: UInt64) throws {
        let start = compressedPosition
        stream.avail_in = 0
        while try fillInput(atLeast: 1) { stream.avail_in = 0 }
        let length = consumed - start
        let after =
            start > memberEnd
            ? "after the last gzip member (which ends at compressed byte \(memberEnd)) "
                + "and \(start - memberEnd) zero bytes"
            : "right after the last gzip member"
        state = .finished
        finding = Finding(
            .containerTrailingGarbage, .warning, offset: start, length: length,
            message:
                "\(length) byte\(length == 1 ? "" : "s") of trailing garbage from compressed byte \(start), \(after): "
                + "neither another member nor zero padding; ignored, as gzip -d does")
    }

    /// Makes at least `count` unread compressed bytes available to zlib unless the input ends
    /// first; returns whether it did. Unread bytes move to the front of the buffer.
    private func fillInput(atLeast count: Int) throws -> Bool {
        while Int(stream.avail_in) < count && !inputEnded {
            try StopRequest.check()
            let kept = Int(stream.avail_in)
            if kept > 0, stream.next_in != input.baseAddress!.assumingMemoryBound(to: Bytef.self) {
                memmove(input.baseAddress!, stream.next_in, kept)
            }
            let n = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: input[kept...]))
            if n == 0 { inputEnded = true }
            consumed += UInt64(n)
            stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = UInt32(kept + n)
        }
        return Int(stream.avail_in) >= count
    }

    private func fail(_ code: Finding.Code, _ message: String, at offset: UInt64) {
        state = .finished
        finding = Finding(
            code, .error, offset: offset, length: 0,
            message: message + "; the database bytes read end at \(offset)")
    }
}

/// Replays bytes already read from the front of a source, then continues with it (used to sniff
/// the gzip header without losing the bytes).
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

/// An opened input: a file or standard input, inflated when it starts with a gzip header.
public struct OpenedInput {
    public let source: ByteSource
    public let compressed: Bool
    /// The on-disk size of the (possibly compressed) input, when known.
    public let diskSize: UInt64?
    let gzip: GzipSource?

    public static let gzipMagic: [UInt8] = [0x1f, 0x8b]

    /// Bytes `startsGzipHeader` looks at.
    public static let gzipSniffLength = 4

    /// Whether `head` (the first bytes of an input) begins a gzip header that parses: the
    /// magic `1f 8b`, compression method 8 (deflate), and a flag byte with the reserved bits
    /// 5 to 7 clear (RFC 1952). Anything else, including a database whose damaged header merely
    /// starts with `1f 8b`, is read as a raw file. Used for every input and by `--all-files`.
    public static func startsGzipHeader<Head: Collection<UInt8>>(_ head: Head) -> Bool {
        let bytes = Array(head.prefix(gzipSniffLength))
        return bytes.count == gzipSniffLength && bytes[0] == gzipMagic[0] && bytes[1] == gzipMagic[1]
            && bytes[2] == 8 && bytes[3] & 0xe0 == 0
    }

    public static func open(path: String) throws -> OpenedInput {
        let file = try FileSource(path: path)
        var head = [UInt8](repeating: 0, count: gzipSniffLength)
        var got = 0
        while got < head.count {
            let n = try head.withUnsafeMutableBytes {
                try file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[got...]))
            }
            if n == 0 { break }
            got += n
        }
        let prefixed = PrefixedSource(prefix: Array(head.prefix(got)), rest: file)
        if startsGzipHeader(head.prefix(got)) {
            let gzip = try GzipSource(upstream: prefixed)
            return OpenedInput(source: gzip, compressed: true, diskSize: file.knownSize, gzip: gzip)
        }
        return OpenedInput(source: prefixed, compressed: false, diskSize: file.knownSize, gzip: nil)
    }

    /// The container's own finding, once the input has been read to its end.
    public var containerFinding: Finding? { gzip?.finding }
}
