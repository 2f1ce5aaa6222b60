import ModelVaultCheck

/// One fuzz input: a selector byte, then the bytes of a database file (plain or gzip).
///
/// Selector bits 0-5 pick how many bytes the source hands out per read (`chunkSizes`), so
/// streaming boundaries are fuzzed with the contents; bit 6 attaches the observers the `walk`
/// command uses. To check an artefact with the tool itself: `tail -c +2 ARTIFACT > x.modelvault`.
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
    let observe: Bool
    let body: [UInt8]

    init(selector: UInt8, body: [UInt8]) {
        chunk = Self.chunkSizes[Int(selector & 0x3f) % Self.chunkSizes.count]
        observe = selector & 0x40 != 0
        self.body = body
    }

    init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        guard let data, size > 0 else {
            self.init(selector: 0, body: [])
            return
        }
        self.init(selector: data[0], body: Array(UnsafeBufferPointer(start: data + 1, count: size - 1)))
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
        if observe {
            walker.onPrelude = { header, superblocks in seen &+= (header == nil ? 0 : 1) &+ superblocks.count }
            walker.onSegment = { seen &+= $0.detail.utf8.count &+ $0.index }
            walker.onFinding = { seen &+= $0.message.utf8.count }
            walker.progress = { seen &+= Int(truncatingIfNeeded: $0) }
        }
        if let copy {
            walker.tap = { copy.bytes.append(contentsOf: $0) }
        }
        let report = try? walker.run(command: command, path: "fuzz", compressed: compressed,
                                     containerFinding: { gzip?.finding })
        Sink.keep(seen)
        return report
    }
}

/// A growable byte buffer shared with a closure.
final class Bytes {
    var bytes: [UInt8] = []
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
