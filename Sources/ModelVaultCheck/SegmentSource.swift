import ModelVaultFormat

#if canImport(Glibc)
    import Glibc
#endif

/// What a consumer wants of a sound segment's payload.
struct PayloadDemand {
    /// Decoded while it streams, before its checksum is known (`SegmentConsumer.decodeWhileStreaming`).
    var decodeAsStreamed = false
    /// At most this many payload bytes are kept when the payload does not lie whole in the read
    /// buffer (the common case reads it where it lies).
    var keep = Int.max
    /// Sees every payload byte once, in order, when the payload streams.
    var feed: ((UnsafeRawBufferPointer) -> Void)?
}

/// How a payload reached the consumer.
enum PayloadDelivery {
    /// Whole, borrowed from the read buffer where it lies.
    case inPlace
    /// Streamed through the buffer; the bytes `PayloadDemand.keep` allowed.
    case kept
    /// Decoded while it streamed; its first bytes.
    case decodedAsStreamed
}

/// Receives what a `SegmentSource` reads, in file order. Payloads are borrowed for the
/// duration of one call.
protocol SegmentConsumer: AnyObject {
    /// A segment header is about to be read at `offset`.
    func boundary(at offset: UInt64)
    /// Fewer bytes than a segment header remain at `offset`: the input ends here.
    func tornHeader(at offset: UInt64, available: Int)
    /// A header at `offset` fails the engine's checks; resynchronisation follows.
    func badHeader(_ fault: SegmentHeaderFault, header: SegmentHeader, at offset: UInt64)
    /// Past an unreadable stretch, the walk resumes at a sound header.
    func resynchronised(unreadableFrom offset: UInt64, length: UInt64, allZero: Bool)
    /// An unreadable stretch runs to the end of the input.
    func unreadableTail(from offset: UInt64, length: UInt64, allZero: Bool)
    /// The segment at `offset`, whole in the read buffer at `segment`, is taken on trust: its
    /// header's checksum and its payload's (`payloadCRC`) are to be proved there
    /// (`SegmentSource.speculating`; the cursor keeps the bytes until `beforeOverwrite`).
    func trust(
        _ segment: UnsafeRawPointer, at offset: UInt64, payloadLength: Int, payloadCRC: UInt32
    ) throws(SpeculativeChecks.Failed)
    /// Whether the segments that follow may be transaction bodies: the walk is inside a
    /// transaction whose Records and Indexes it takes through `takeTransactionBody`.
    var inTransactionBody: Bool { get }
    /// A Record or Index at `offset` whose sound header and whole payload lie in the buffer,
    /// its checksums taken on trust (`trust` was told of it): taken as a transaction body, or
    /// false when it is to be delivered through `segment` after all.
    func takeTransactionBody(
        _ type: SegmentType, header: SegmentHeader, at offset: UInt64, payload: UnsafeRawBufferPointer
    ) -> Bool
    /// How the payload behind a sound header is to be delivered.
    func demand(for header: SegmentHeader, at offset: UInt64) -> PayloadDemand
    /// Decodes a payload through `pull` as it streams (`PayloadDemand.decodeAsStreamed`).
    func decodeWhileStreaming(_ header: SegmentHeader, at offset: UInt64, pull: PayloadPull)
    /// A complete segment: its payload's computed checksum, and the payload as delivered.
    func segment(
        _ header: SegmentHeader, at offset: UInt64, crc: UInt32, payload: UnsafeRawBufferPointer,
        delivery: PayloadDelivery)
    /// The input ends inside the payload behind a sound header.
    func payloadPastEnd(_ header: SegmentHeader, at offset: UInt64, present: UInt64)
    /// The length of the segment at `offset`, just delivered or run past the end, is damaged:
    /// a sound header lies inside its payload at `resume`, where the walk goes on.
    func resumed(insidePayloadOf header: SegmentHeader, at offset: UInt64, from resume: UInt64)
}

/// The log as a sequence of structures: reads the input once through one reused buffer,
/// frames each segment by its header, delivers payloads as the consumer asks (borrowed where
/// they lie, kept to a prefix, or streamed), and after an unreadable header scans for the next
/// sound one.
final class SegmentSource {
    let cursor: StreamCursor
    /// The most payload bytes held at once outside the read buffer: a memory counter.
    private(set) var largestPayloadHeld = 0
    /// Payloads decoded as they streamed (`PayloadPull`).
    private(set) var payloadsStreamed = 0
    /// Payload bytes kept when a payload is larger than the buffer and streams through it.
    private var kept: [UInt8] = []
    /// Where the bytes last read again after a damaged length end (`resumed`): no segment
    /// before there is split again, so no byte is read more than twice however many lengths a
    /// hostile file damages.
    private var rereadEnd: UInt64 = 0
    /// Whether the checksums of segments read where they lie are taken on trust (handed to
    /// `SegmentConsumer.trust`, to be proved on a second thread: `SpeculativeChecks`); false:
    /// each is computed here.
    var speculating = false
    /// Segments that end at or below this offset have their checksums taken as stored: an
    /// earlier walk of the same bytes proved them (`CheckOptions.checksumsProvedBelow`).
    var provedBelow: UInt64 = 0

    /// Whether the checksums of a segment ending at `end` are not computed here.
    @inline(__always)
    private func takesOnTrust(segmentEndingAt end: UInt64) -> Bool { speculating || end <= provedBelow }

    init(source: ByteSource, capacity: Int) {
        cursor = StreamCursor(source: source, capacity: max(capacity, Int(Layout.logStart)))
    }

    /// Reads segments from the cursor's position to the end of the input.
    /// Generic over the consumer, so the per-segment calls are direct (specialised), not
    /// dispatched through an existential: a log holds millions of segments.
    func readSegments<Consumer: SegmentConsumer>(into consumer: Consumer) throws {
        while true {
            // Once per segment: the work a segment costs is bounded by its bytes, and the long
            // loops inside one poll the same flag.
            try StopRequest.check()
            if (speculating || cursor.position < provedBelow) && consumer.inTransactionBody {
                try readTransactionBodies(into: consumer)
            }
            let offset = cursor.position
            consumer.boundary(at: offset)
            let available = try cursor.request(Layout.segmentHeaderSize)
            if available == 0 { return }
            if available < Layout.segmentHeaderSize {
                consumer.tornHeader(at: offset, available: available)
                return
            }
            let header = SegmentHeader(
                parsing: cursor.window,
                trustingChecksum: takesOnTrust(segmentEndingAt: offset + UInt64(Layout.segmentHeaderSize)))
            if !header.isSound, let fault = header.fault {
                consumer.badHeader(fault, header: header, at: offset)
                guard try resynchronise(after: offset, consumer) else { return }
                continue
            }
            guard try readPayload(header, at: offset, consumer) else { return }
        }
    }

    /// The bulk of a log, in a loop of its own: while the walk is inside a transaction, each
    /// Record or Index whose sound header and whole payload lie in the buffer is taken on
    /// trust and handed over as a transaction body, without the questions the general path
    /// asks of every segment (none of which such a segment can change the answer to). Returns
    /// before the first segment it does not take so; the general path reads that one.
    private func readTransactionBodies<Consumer: SegmentConsumer>(into consumer: Consumer) throws {
        let headerSize = Layout.segmentHeaderSize
        let largest = cursor.capacity / 2
        var taken = 0
        while consumer.inTransactionBody {
            try StopRequest.check(every: taken)
            let window = cursor.window
            guard window.count >= headerSize else { return }
            let offset = cursor.position
            let header = SegmentHeader(parsing: window, trustingChecksum: true)
            // The type is compared as its code: only two can be taken here.
            let isRecord = header.rawType == SegmentType.record.rawValue
            guard isRecord || header.rawType == SegmentType.index.rawValue, header.isSound,
                header.payloadLength <= UInt64(largest), window.count >= headerSize + Int(header.payloadLength),
                takesOnTrust(segmentEndingAt: offset + header.totalLength)
            else { return }
            let type: SegmentType = isRecord ? .record : .index
            let length = Int(header.payloadLength)
            consumer.boundary(at: offset)
            if speculating {
                try consumer.trust(
                    window.baseAddress!, at: offset, payloadLength: length, payloadCRC: header.payloadCRC)
            }
            let payload = UnsafeRawBufferPointer(rebasing: window[headerSize..<(headerSize + length)])
            if !consumer.takeTransactionBody(type, header: header, at: offset, payload: payload) {
                // As the general path delivers it: the checksum taken on trust holds, so no
                // header inside the payload is looked for.
                consumer.segment(header, at: offset, crc: header.payloadCRC, payload: payload, delivery: .inPlace)
                try cursor.consume(headerSize + length)
                return
            }
            try cursor.consume(headerSize + length)
            taken += 1
        }
    }

    /// Delivers one payload; false when the input ends inside it (and no sound header inside
    /// it lets the walk go on).
    private func readPayload<Consumer: SegmentConsumer>(
        _ header: SegmentHeader, at offset: UInt64, _ consumer: Consumer
    ) throws -> Bool {
        let demand = consumer.demand(for: header, at: offset)
        let length = header.payloadLength
        let headerSize = Layout.segmentHeaderSize
        let payloadOffset = offset + UInt64(headerSize)
        if !demand.decodeAsStreamed, length <= UInt64(cursor.capacity / 2),
            try cursor.request(headerSize + Int(length)) >= headerSize + Int(length)
        {
            // The common case: the whole segment is in the buffer; it is read where it lies.
            let payload = headerSize..<(headerSize + Int(length))
            let crc: UInt32
            if speculating {
                try consumer.trust(
                    cursor.window.baseAddress!, at: offset, payloadLength: Int(length), payloadCRC: header.payloadCRC)
                crc = header.payloadCRC
            } else if payloadOffset + length <= provedBelow {
                crc = header.payloadCRC
            } else {
                crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: cursor.window[payload]))
            }
            var inside: Int?
            if lengthMayBeDamaged(header, at: offset, crc: crc) {
                // A header beginning inside the payload may end up to 31 bytes past it.
                let wanted = payload.upperBound + headerSize - 1
                let seen = min(try cursor.request(wanted), wanted)
                let searched = UnsafeRawBufferPointer(rebasing: cursor.window[headerSize..<seen])
                var candidates = 0
                if case .found(let i) = try HeaderSearch.first(in: searched, candidates: &candidates),
                    i < Int(length)
                {
                    inside = i
                }
            }
            let bytes = UnsafeRawBufferPointer(rebasing: cursor.window[payload])
            consumer.segment(header, at: offset, crc: crc, payload: bytes, delivery: .inPlace)
            guard let inside else {
                try cursor.consume(headerSize + Int(length))
                return true
            }
            consumer.resumed(insidePayloadOf: header, at: offset, from: payloadOffset + UInt64(inside))
            rereadEnd = payloadOffset + length
            try cursor.consume(headerSize + inside)
            return true
        }
        // Its header's checksum was taken on trust for a segment read where it lies.
        if speculating && !SegmentHeader(parsing: cursor.window).isSound { throw SpeculativeChecks.Failed() }
        try cursor.consume(headerSize)
        if demand.decodeAsStreamed {
            let pull = PayloadPull(
                cursor: cursor, start: payloadOffset, length: length, prefixLength: 4096,
                searching: lengthMayBeDamaged(header, at: offset, crc: nil))
            consumer.decodeWhileStreaming(header, at: offset, pull: pull)
            payloadsStreamed += 1
            let streamed = try pull.finish()
            largestPayloadHeld = max(largestPayloadHeld, pull.largestWindow + pull.scan.held.count)
            guard streamed == length else {
                consumer.payloadPastEnd(header, at: offset, present: streamed)
                return try resume(after: header, at: offset, crc: nil, pull.takeScan(), consumer)
            }
            pull.prefix.withUnsafeBytes {
                consumer.segment(header, at: offset, crc: pull.crc, payload: $0, delivery: .decodedAsStreamed)
            }
            return try resume(after: header, at: offset, crc: pull.crc, pull.takeScan(), consumer)
        }
        kept.removeAll(keepingCapacity: kept.capacity <= 1 << 20)
        // Reserved once for what will be kept (at most the engine's 64 MiB segment limit,
        // checked with the header): grown by doubling, the array would peak at twice that.
        // Pages not yet filled take no memory.
        kept.reserveCapacity(Int(min(UInt64(demand.keep), length)))
        var crc: UInt32 = 0
        var scan = EmbeddedHeaderScan(
            payloadOffset: payloadOffset, length: length, searching: lengthMayBeDamaged(header, at: offset, crc: nil))
        let streamed = try cursor.stream(length) { chunk in
            crc = CRC32C.checksum(chunk, continuing: crc)
            let room = demand.keep - kept.count
            if room > 0 { kept.append(contentsOf: chunk.prefix(room)) }
            demand.feed?(chunk)
            try scan.feed(chunk)
        }
        largestPayloadHeld = max(largestPayloadHeld, kept.count + scan.held.count)
        guard streamed == length else {
            consumer.payloadPastEnd(header, at: offset, present: streamed)
            return try resume(after: header, at: offset, crc: nil, scan, consumer)
        }
        kept.withUnsafeBytes { consumer.segment(header, at: offset, crc: crc, payload: $0, delivery: .kept) }
        return try resume(after: header, at: offset, crc: crc, scan, consumer)
    }

    /// Whether a sound header inside the payload proves its length damaged: the input ended
    /// inside it (`crc` nil), or its checksum fails where the engine's scan checks it. A payload
    /// whose checksum holds, or that the engine reads whatever it holds, is never split, nor
    /// is one inside bytes read again (`rereadEnd`).
    private func lengthMayBeDamaged(_ header: SegmentHeader, at offset: UInt64, crc: UInt32?) -> Bool {
        guard offset >= rereadEnd else { return false }
        guard let crc else { return true }
        return crc != header.payloadCRC && header.type?.payloadCheckedByScan == true
    }

    /// After a payload that streamed: when its length is damaged and a sound header lies inside
    /// it, the walk goes back to that header and reads on from there (the bytes the scan held
    /// are read again). Returns whether the walk goes on.
    private func resume<Consumer: SegmentConsumer>(
        after header: SegmentHeader, at offset: UInt64, crc: UInt32?, _ scan: consuming EmbeddedHeaderScan,
        _ consumer: Consumer
    ) throws -> Bool {
        guard lengthMayBeDamaged(header, at: offset, crc: crc) else { return crc != nil }
        if crc != nil {
            // A header beginning inside the payload may end up to 31 bytes past it.
            let after = Layout.segmentHeaderSize - 1
            try cursor.request(after)
            try scan.finish(before: UnsafeRawBufferPointer(rebasing: cursor.window.prefix(after)))
        }
        guard let inside = scan.found else { return crc != nil }
        consumer.resumed(insidePayloadOf: header, at: offset, from: inside)
        rereadEnd = cursor.position
        try cursor.rewind(to: inside, replaying: scan.takeHeld())
        return true
    }

    /// After an unreadable header at `offset`: finds the next offset holding a segment header
    /// that passes every check. Returns false at end of input.
    private func resynchronise<Consumer: SegmentConsumer>(after offset: UInt64, _ consumer: Consumer) throws -> Bool {
        var allZero = true
        func pass(_ count: Int) throws {
            if allZero, !Self.isZero(UnsafeRawBufferPointer(rebasing: cursor.window.prefix(count))) { allZero = false }
            try cursor.consume(count)
        }
        try pass(1)
        var candidates = 0
        while true {
            let available = try cursor.request(Layout.segmentHeaderSize)
            if available == 0 { break }
            switch try HeaderSearch.first(in: cursor.window, candidates: &candidates) {
            case .found(let i):
                try pass(i)
                consumer.resynchronised(unreadableFrom: offset, length: cursor.position - offset, allZero: allZero)
                return true
            case .cut(let i):
                // A candidate too close to the end of the buffer is judged once more is read.
                try pass(cursor.sourceEnded ? available : i)
            case .none:
                try pass(available)
            }
        }
        consumer.unreadableTail(from: offset, length: cursor.position - offset, allZero: allZero)
        return false
    }

    private static func isZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return true }
        if base.load(as: UInt8.self) != 0 { return false }
        return memcmp(base, base + 1, bytes.count - 1) == 0
    }
}
