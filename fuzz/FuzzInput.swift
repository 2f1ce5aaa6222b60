import FileOutput
import ModelVaultCheck
import ModelVaultFormat

#if canImport(Glibc)
    import Glibc
#endif

/// One fuzz input: a selector byte, then the bytes of a database file (plain or gzip).
///
/// Selector bits 0-4 pick how many bytes the source hands out per read (`chunkSizes`), so
/// streaming boundaries are fuzzed with the contents; bit 5 asks the check harness to walk a
/// plain file from a scratch file too, with checks taken on trust against every check in line
/// (`speculate`); bit 6 attaches the observers the `walk` command uses; bit 7 rewrites the
/// superblock and segment checksums of a plain file so that mutated payloads get decoded
/// rather than stopped by their CRC.
///
/// With `MVFSCK_FUZZ_DUMP=FILE` in the environment, the bytes checked (checksums rewritten) are
/// written to FILE, ready for `mvfsck`.
struct FuzzInput {
    /// Per-read sizes around the interesting boundaries: tiny, segment header (32), the log
    /// start (8224), the gzip input buffer (1 << 18).
    static let chunkSizes = [
        Int.max, 1, 2, 3, 7, 8, 13, 16, 31, 32, 33, 63, 64, 100, 255, 256, 511, 512, 1000,
        4095, 4096, 4097, 4128, 8191, 8192, 8223, 8224, 8225, 65_535, 65_536, (1 << 18) - 1, 1 << 18,
    ]
    /// Inflated bytes read from a gzip input at most: keeps a small compressed input from
    /// standing for gigabytes.
    static let inflatedLimit = 16 << 20

    let chunk: Int
    let speculate: Bool
    let observe: Bool
    let body: [UInt8]

    init(selector: UInt8, body: [UInt8]) {
        chunk = Self.chunkSizes[Int(selector & 0x1f) % Self.chunkSizes.count]
        speculate = selector & 0x20 != 0
        observe = selector & 0x40 != 0
        var body = body
        if selector & 0x80 != 0 && !body.starts(with: OpenedInput.gzipMagic) { Self.rewriteChecksums(&body) }
        self.body = body
    }

    init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        guard let data, size > 0 else {
            self.init(selector: 0, body: [])
            return
        }
        self.init(selector: data[0], body: Array(UnsafeBufferPointer(start: data + 1, count: size - 1)))
        if let path = getenv("MVFSCK_FUZZ_DUMP"), let file = fopen(path, "wb") {
            _ = body.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
        }
    }

    /// Stores the CRC of each superblock and of each segment header and payload found by
    /// following the segment chain from the log start (scanning for the next segment magic
    /// where the chain breaks).
    static func rewriteChecksums(_ file: inout [UInt8]) {
        func store(_ value: UInt32, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { file.replaceSubrange(offset..<offset + 4, with: $0) }
        }
        func crc(_ range: Range<Int>) -> UInt32 {
            file.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[range])) }
        }
        for slot in Superblock.Slot.allCases {
            let at = Int(slot.offset)
            guard file.count >= at + 52 else { break }
            let covered = file[at + 4] == 1 && file[at + 5] == 0 ? 48 : 32
            store(crc(at..<at + covered), at: at + covered)
        }
        for segment in Segments.find(in: file, from: Int(Layout.logStart)) {
            if let payload = segment.payload { store(crc(payload), at: segment.start + 20) }
            store(crc(segment.start..<segment.start + 28), at: segment.start + 28)
        }
    }

    var compressed: Bool { body.starts(with: OpenedInput.gzipMagic) }

    /// Walks the body as `Checker.check` walks a file. With `copy`, collects the bytes the walk
    /// saw (the inflated bytes for gzip), as a salvage's copy does.
    func walk(command: String, deep: Bool, copy: Bytes? = nil) -> Report? {
        let memory = MemorySource(body, chunk: chunk)
        var gzip: GzipSource?
        let source: ByteSource
        if compressed {
            guard let inflating = try? GzipSource(upstream: memory) else { return nil }
            gzip = inflating
            source = Capped(inflating, limit: Self.inflatedLimit)
        } else {
            source = memory
        }
        let walker = LogWalker(source: source, options: CheckOptions(deep: deep))
        var seen = 0
        let listing = Listing()
        if observe {
            walker.add(listing)
            walker.progress = { seen &+= Int(truncatingIfNeeded: $0) }
        }
        if let copy {
            walker.tap = { copy.bytes.append(contentsOf: $0) }
        }
        let report = try? walker.run(
            command: command, path: "fuzz", compressed: compressed,
            containerFinding: { gzip?.finding })
        Sink.keep(seen &+ listing.seen)
        return report
    }
}

/// Reads what `walk` lists, describing every segment as the command does.
final class Listing: SegmentAnalyser {
    var seen = 0

    func payloadBytesWanted(for type: SegmentType) -> Int { type == .record ? 4096 : type == .index ? 6 : 0 }

    func prelude(header: FileHeader?, superblocks: [(Superblock, selected: Bool)]) {
        seen &+= (header == nil ? 0 : 1) &+ superblocks.count
    }

    func segment(_ segment: ObservedSegment, payload: UnsafeRawBufferPointer) {
        seen &+= SegmentDescription.describe(segment, payload: payload).utf8.count &+ segment.summary.index
    }

    func finding(_ finding: Finding) { seen &+= finding.message.utf8.count }
}

/// A growable byte buffer shared with a closure.
final class Bytes {
    var bytes: [UInt8] = []
}

/// The segments of a log: followed along the chain of payload lengths, scanning for the next
/// segment magic where the chain breaks, as the walk resynchronises.
enum Segments {
    struct Segment {
        var start: Int
        /// The payload's bytes; nil when its length runs past the end.
        var payload: Range<Int>?
        var end: Int { payload?.upperBound ?? start + Layout.segmentHeaderSize }
    }

    static func find(in file: [UInt8], from base: Int) -> [Segment] {
        let magic = SegmentHeader.magic
        var segments: [Segment] = []
        var at = base
        while at + Layout.segmentHeaderSize <= file.count {
            guard file[at] == magic[0], file[at + 1] == magic[1], file[at + 2] == magic[2], file[at + 3] == magic[3]
            else {
                at += 1
                continue
            }
            var length: UInt64 = 0
            for i in (0..<8).reversed() { length = length << 8 | UInt64(file[at + 12 + i]) }
            let payload = at + Layout.segmentHeaderSize
            if length <= UInt64(file.count - payload) {
                segments.append(Segment(start: at, payload: payload..<payload + Int(length)))
                at = payload + Int(length)
            } else {
                segments.append(Segment(start: at, payload: nil))
                at += 1
            }
        }
        return segments
    }
}

/// Ends a source after `limit` bytes.
final class Capped: ByteSource {
    private let inner: ByteSource
    private var left: Int

    init(_ inner: ByteSource, limit: Int) {
        self.inner = inner
        left = limit
    }

    var knownSize: UInt64? { nil }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard left > 0 else { return 0 }
        let n = try inner.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer.prefix(left)))
        left -= n
        return n
    }
}

/// Keeps computed values observable so the optimiser cannot drop the code producing them.
enum Sink {
    nonisolated(unsafe) static var value = 0
    @inline(never) static func keep(_ x: Int) { value &+= x }
    static func keep(_ s: String) { keep(s.utf8.count) }
}

/// Scratch files of this process, in memory where the system offers it.
enum ScratchFile {
    static let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : ScratchDirectory.path

    static func path(_ role: String) -> String { "\(directory)/mvfsck-fuzz-\(getpid())-\(role).modelvault" }

    static func write(_ bytes: [UInt8], to path: String) -> Bool {
        guard let file = fopen(path, "wb") else { return false }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        return fclose(file) == 0 && written == bytes.count
    }
}
