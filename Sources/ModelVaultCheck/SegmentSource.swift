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
            let offset = cursor.position
            consumer.boundary(at: offset)
            let available = try cursor.request(Layout.segmentHeaderSize)
            if available == 0 { return }
            if available < Layout.segmentHeaderSize {
                consumer.tornHeader(at: offset, available: available)
                return
            }
            let header = SegmentHeader(parsing: cursor.window)
            if let fault = header.fault {
                consumer.badHeader(fault, header: header, at: offset)
                guard try resynchronise(after: offset, consumer) else { return }
                continue
            }
            guard try readPayload(header, at: offset, consumer) else { return }
        }
    }

    /// Delivers one payload; false when the input ends inside it.
    private func readPayload<Consumer: SegmentConsumer>(
        _ header: SegmentHeader, at offset: UInt64, _ consumer: Consumer
    ) throws -> Bool {
        let demand = consumer.demand(for: header, at: offset)
        let length = header.payloadLength
        let headerSize = Layout.segmentHeaderSize
        if !demand.decodeAsStreamed, length <= UInt64(cursor.capacity / 2),
            try cursor.request(headerSize + Int(length)) >= headerSize + Int(length)
        {
            // The common case: the whole segment is in the buffer; it is read where it lies.
            let bytes = UnsafeRawBufferPointer(rebasing: cursor.window[headerSize..<(headerSize + Int(length))])
            consumer.segment(header, at: offset, crc: CRC32C.checksum(bytes), payload: bytes, delivery: .inPlace)
            try cursor.consume(headerSize + Int(length))
            return true
        }
        try cursor.consume(headerSize)
        if demand.decodeAsStreamed {
            let pull = PayloadPull(
                cursor: cursor, start: offset + UInt64(headerSize), length: length, prefixLength: 4096)
            consumer.decodeWhileStreaming(header, at: offset, pull: pull)
            payloadsStreamed += 1
            let streamed = try pull.finish()
            largestPayloadHeld = max(largestPayloadHeld, pull.largestWindow)
            guard streamed == length else {
                consumer.payloadPastEnd(header, at: offset, present: streamed)
                return false
            }
            pull.prefix.withUnsafeBytes {
                consumer.segment(header, at: offset, crc: pull.crc, payload: $0, delivery: .decodedAsStreamed)
            }
            return true
        }
        kept.removeAll(keepingCapacity: kept.capacity <= 1 << 20)
        // Reserved once for what will be kept (at most the engine's 64 MiB segment limit,
        // checked with the header): grown by doubling, the array would peak at twice that.
        // Pages not yet filled take no memory.
        kept.reserveCapacity(Int(min(UInt64(demand.keep), length)))
        var crc: UInt32 = 0
        let streamed = try cursor.stream(length) { chunk in
            crc = CRC32C.checksum(chunk, continuing: crc)
            let room = demand.keep - kept.count
            if room > 0 { kept.append(contentsOf: chunk.prefix(room)) }
            demand.feed?(chunk)
        }
        guard streamed == length else {
            consumer.payloadPastEnd(header, at: offset, present: streamed)
            return false
        }
        largestPayloadHeld = max(largestPayloadHeld, kept.count)
        kept.withUnsafeBytes { consumer.segment(header, at: offset, crc: crc, payload: $0, delivery: .kept) }
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
        // Every byte of a stretch of `T`s is a candidate header: poll once per 4096 of them.
        var candidates = 0
        while true {
            let available = try cursor.request(Layout.segmentHeaderSize)
            if available == 0 { break }
            let window = cursor.window
            let base = window.baseAddress!
            var from = 0
            var passUpTo = available
            while from < available, let hit = memchr(base + from, 0x54, available - from) {
                let i = base.distance(to: UnsafeRawPointer(hit))
                candidates += 1
                try StopRequest.check(every: candidates)
                if available - i < Layout.segmentHeaderSize {
                    passUpTo = cursor.sourceEnded ? available : i
                    break
                }
                let candidate = SegmentHeader(
                    parsing: UnsafeRawBufferPointer(rebasing: window[i..<(i + Layout.segmentHeaderSize)]))
                if candidate.fault == nil {
                    try pass(i)
                    consumer.resynchronised(unreadableFrom: offset, length: cursor.position - offset, allZero: allZero)
                    return true
                }
                from = i + 1
            }
            if passUpTo == 0 && available < Layout.segmentHeaderSize && cursor.sourceEnded { passUpTo = available }
            try pass(passUpTo)
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
