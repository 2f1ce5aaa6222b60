import ModelVaultFormat

/// Looks for a sound segment header that begins inside a payload streaming through the read
/// buffer, for when its checksum fails over the claimed length or the input ends inside it: then
/// the length is damaged, the segment ends at the header found, and the walk resumes there
/// (`SegmentSource`). The header may end past the claimed length (`finish(before:)`).
///
/// It finds what a search of the whole payload at once would find (`HeaderSearch`), however the
/// payload is cut into chunks: the bytes after the last candidate that could not yet be judged
/// (fewer than a header's size) are carried into the next chunk. From the first header found
/// on it holds the rest of the payload, since the walk may have to read those bytes again after
/// they have left the buffer (an input on a pipe cannot be read twice). That is at most the
/// engine's 64 MiB payload limit, which a readable header's length never exceeds, and only when
/// a sound header lies inside a payload too large for the read buffer; otherwise nothing is held.
struct EmbeddedHeaderScan {
    /// Where the first sound header lies (absolute offset).
    private(set) var found: UInt64?
    /// The payload's bytes from `found` on, as far as they have streamed.
    private(set) var held: [UInt8] = []
    /// Absolute offset of the next byte fed.
    private var position: UInt64
    /// Bytes from the first candidate not yet judged, fewer than a header's size.
    private var carry: [UInt8] = []
    private var candidates = 0
    /// Where the payload claims to end: what is held is reserved once, up to there.
    private let end: UInt64
    /// False when the payload cannot be split whatever it holds: nothing is searched or held.
    private let searching: Bool

    init(payloadOffset: UInt64, length: UInt64, searching: Bool = true) {
        position = payloadOffset
        end = payloadOffset + length
        self.searching = searching
    }

    /// Sees the payload's next bytes.
    mutating func feed(_ chunk: UnsafeRawBufferPointer) throws(StopRequest.Interrupted) {
        defer { position += UInt64(chunk.count) }
        guard searching else { return }
        if found != nil {
            held.append(contentsOf: chunk)
            return
        }
        if !carry.isEmpty {
            let carryStart = position - UInt64(carry.count)
            let joined = carry + chunk.prefix(Layout.segmentHeaderSize - 1)
            switch try search(joined) {
            case .found(let i) where i < carry.count:
                hold(from: carryStart + UInt64(i), carry[i...])
                held.append(contentsOf: chunk)
                return
            case .cut(let i) where i < carry.count:
                // The chunk is too short to judge the candidate: all of it is carried.
                carry = Array(joined[i...])
                return
            default:
                carry = []
            }
        }
        switch try HeaderSearch.first(in: chunk, candidates: &candidates) {
        case .found(let i):
            hold(from: position + UInt64(i), chunk[i...])
        case .cut(let i):
            carry = Array(chunk[i...])
        case .none:
            break
        }
    }

    /// Judges the candidates the payload's last bytes left open against the bytes that follow
    /// it: a header may begin inside the payload and end past its claimed length.
    mutating func finish(before after: UnsafeRawBufferPointer) throws(StopRequest.Interrupted) {
        guard found == nil, !carry.isEmpty else { return }
        let carryStart = position - UInt64(carry.count)
        if case .found(let i) = try search(carry + after.prefix(Layout.segmentHeaderSize - 1)), i < carry.count {
            hold(from: carryStart + UInt64(i), carry[i...])
        }
        carry = []
    }

    private mutating func search(_ bytes: [UInt8]) throws(StopRequest.Interrupted) -> HeaderSearch.Outcome {
        var tried = candidates
        defer { candidates = tried }
        return try bytes.withUnsafeBytes { bytes in
            Result { () throws(StopRequest.Interrupted) in try HeaderSearch.first(in: bytes, candidates: &tried) }
        }.get()
    }

    /// The held bytes, given up: the scan holds nothing after.
    mutating func takeHeld() -> [UInt8] {
        var bytes: [UInt8] = []
        swap(&bytes, &held)
        return bytes
    }

    private mutating func hold<Bytes: Collection<UInt8>>(from offset: UInt64, _ first: Bytes) {
        found = offset
        held.reserveCapacity(Int(end - offset))
        held.append(contentsOf: first)
    }
}
