import Foundation
import ModelVaultFormat
import TestSupport
import Testing

@testable import ModelVaultCheck

/// A payload length raised over the segments that follow: the walk resumes at the first sound
/// header inside the payload when its checksum fails or it runs past the end, whether the
/// payload lies whole in the read buffer or streams through it in chunks of any size; a payload
/// whose checksum holds, or that the engine never checks, is never split.
@Suite struct DamagedLengthTests {
    /// The segments of an undamaged log: offset, type and payload length.
    static func segments(_ bytes: [UInt8]) -> [(offset: Int, type: UInt16, length: Int)] {
        var list: [(Int, UInt16, Int)] = []
        var at = Int(Layout.logStart)
        while at + Layout.segmentHeaderSize <= bytes.count {
            let header = bytes.withUnsafeBytes {
                SegmentHeader(parsing: UnsafeRawBufferPointer(rebasing: $0[at..<(at + Layout.segmentHeaderSize)]))
            }
            list.append((at, header.rawType, Int(header.payloadLength)))
            at += Int(header.totalLength)
        }
        return list
    }

    /// `bytes` with the payload length of the segment at `offset` set to `length`, its header
    /// checksum made valid again (its payload checksum now fails).
    static func withLength(_ length: UInt64, at offset: Int, in bytes: [UInt8]) -> [UInt8] {
        var damaged = bytes
        damaged.put(littleEndian: length, at: offset + 12)
        damaged.put(littleEndian: CRC32C.checksum(Array(damaged[offset..<(offset + 28)])), at: offset + 28)
        return damaged
    }

    /// One walk's view of the file, and every byte its tap saw.
    struct Walk {
        var report: Report
        var tapped: [UInt8]
    }

    /// The read paths a payload can take: whole in the buffer, kept as it streams through the
    /// smallest buffer, decoded as it streams (`PayloadPull`); sources that hand out chunks
    /// shorter than a header, a little longer, and larger.
    static let configurations: [(capacity: Int, captureLimit: Int, chunk: Int)] = [
        (StreamCursor.defaultCapacity, CheckOptions().payloadCaptureLimit, .max),
        (StreamCursor.defaultCapacity, 0, 4093),
        (0, CheckOptions().payloadCaptureLimit, 7),
        (0, CheckOptions().payloadCaptureLimit, 31),
        (0, 0, 33),
        (12_000, CheckOptions().payloadCaptureLimit, 4093),
        (12_000, 0, 1),
    ]

    static func walks(_ bytes: [UInt8], deep: Bool) throws -> [Walk] {
        try configurations.map { configuration in
            var options = CheckOptions(deep: deep)
            options.readBufferCapacity = configuration.capacity
            options.payloadCaptureLimit = configuration.captureLimit
            let walker = LogWalker(source: MemorySource(bytes, chunk: configuration.chunk), options: options)
            var tapped: [UInt8] = []
            walker.tap = { tapped.append(contentsOf: $0) }
            let report = try walker.run(command: "verify", path: "memory")
            return Walk(report: report, tapped: tapped)
        }
    }

    /// Every read path reports the same, and hands every byte to the tap once.
    static func expectOneView(_ walks: [Walk], of bytes: [UInt8]) {
        let first = walks[0].report
        for (walk, configuration) in zip(walks, configurations) {
            let label = "\(configuration)"
            #expect(walk.tapped == bytes, "\(label)")
            #expect(walk.report.findings == first.findings, "\(label)")
            #expect(walk.report.engine == first.engine, "\(label)")
            #expect(walk.report.verdict == first.verdict, "\(label)")
            #expect(walk.report.segments.count == first.segments.count, "\(label)")
            #expect(walk.report.transactions.committed == first.transactions.committed, "\(label)")
        }
    }

    static let manyRows = (try? Fixtures.bytes("clean/many_rows.modelvault")) ?? []

    /// A Record of the third transaction, its length raised over the next 1, 30 and 60
    /// segments and past the end of the file. The claimed end lies 9 bytes into a segment
    /// header: over 1 segment, the header the walk resumes at ends past the claimed length.
    @Test(arguments: [true, false], [1, 30, 60, -1])
    func theWalkResumesAtTheSegmentAfterTheDamagedRecord(deep: Bool, over: Int) throws {
        let clean = Self.manyRows
        let list = Self.segments(clean)
        let index = try #require(list.firstIndex { $0.offset == 10387 })
        let record = list[index]
        #expect(record.type == SegmentType.record.rawValue)
        let next = list[index + 1].offset
        let claimed =
            over < 0
            ? UInt64(clean.count - record.offset - 32 + 777)
            : UInt64(list[index + over].offset - record.offset - 32 + 9)
        let damaged = Self.withLength(claimed, at: record.offset, in: clean)
        let walks = try Self.walks(damaged, deep: deep)
        Self.expectOneView(walks, of: damaged)

        let report = walks[0].report
        let resumed = report.findings.filter { $0.code == .logResynchronized }
        #expect(resumed.count == 1)
        #expect(resumed.first?.offset == UInt64(record.offset))
        #expect(resumed.first?.length == UInt64(next - record.offset))
        #expect(resumed.first?.segmentType == .record)
        let code: Finding.Code = over < 0 ? .segmentPayloadPastEOF : .segmentPayloadChecksum
        #expect(report.findings.contains { $0.code == code && $0.offset == UInt64(record.offset) })
        // Every segment is seen (but a payload past the end); the damaged Record's transaction,
        // the third, is lost, no other.
        #expect(report.segments.count == list.count - (over < 0 ? 1 : 0))
        let committed = try LogWalker(source: MemorySource(clean), options: CheckOptions(deep: deep))
            .run(command: "verify", path: "memory").transactions.committed
        #expect(report.transactions.committed == committed - 1)
        // The engine does not resynchronise: its open is cut at the damaged transaction's TxnBegin.
        #expect(!report.engine.strictOpens)
        #expect(report.engine.autoTruncateOpens)
        #expect(report.engine.truncateReason == .uncommittedTransaction)
        #expect(report.engine.truncatedBytes == UInt64(damaged.count - 10248))
        #expect(report.engine.committedTransactionsLost == committed - 3)
    }

    /// A Record whose primary key holds a copy of a sound segment header (and its payload):
    /// the Record's checksum holds, so it is one segment, however it is read.
    @Test(arguments: [true, false])
    func aPayloadWhoseChecksumHoldsIsNeverSplit(deep: Bool) throws {
        let bytes = try Self.basicWithHeaderInAKey()
        let walks = try Self.walks(bytes, deep: deep)
        Self.expectOneView(walks, of: bytes)
        let report = walks[0].report
        #expect(!report.findings.contains { $0.code == .logResynchronized })
        #expect(report.verdict == .clean)
        #expect(report.segments.count == Self.segments(bytes).count)
    }

    /// A Temp segment is read by the engine whatever its payload holds: a bad checksum over a
    /// payload holding a sound header is not taken for a damaged length.
    @Test func aTempWithABadChecksumIsNeverSplit() throws {
        let basic = try Fixtures.bytes("clean/basic.modelvault")
        let inner = Self.asciiHeader().header + Self.asciiHeader().payload
        var payload = Array(repeating: UInt8(ascii: "t"), count: 5000) + inner
        var temp = Bytes.segmentHeader(type: SegmentType.temp.rawValue, payload: payload)
        payload[0] = UInt8(ascii: "u")  // the checksum now fails
        temp += payload
        let bytes = basic + temp
        let walks = try Self.walks(bytes, deep: true)
        Self.expectOneView(walks, of: bytes)
        let report = walks[0].report
        #expect(!report.findings.contains { $0.code == .logResynchronized })
        #expect(report.findings.contains { $0.code == .tempPayloadChecksum })
        #expect(report.engine.strictOpens)
        #expect(report.segments.count == Self.segments(basic).count + 1)
    }

    /// A hostile chain: 3000 headers back to back, each claiming 4 MiB of payload, past the end
    /// of the file. The first is split at the second; inside the bytes read again none is split
    /// again, so no byte is read more than twice.
    @Test func aChainOfDamagedLengthsIsSplitOnce() throws {
        let basic = try Fixtures.bytes("clean/basic.modelvault")
        let header = Bytes.segmentHeader(type: SegmentType.record.rawValue, payload: [], payloadLength: 4 << 20)
        let bytes = basic + Array([[UInt8]](repeating: header, count: 3000).joined())
        let walks = try Self.walks(bytes, deep: false)
        Self.expectOneView(walks, of: bytes)
        let report = walks[0].report
        #expect(report.findings.filter { $0.code == .logResynchronized }.map(\.offset) == [UInt64(basic.count)])
        #expect(
            report.findings.filter { $0.code == .segmentPayloadPastEOF }.map(\.offset)
                == [UInt64(basic.count), UInt64(basic.count + 32)])
    }

    /// A TxnCommit header and payload made of ASCII bytes only (so they can stand in a string),
    /// every check passing.
    static func asciiHeader() -> (header: [UInt8], payload: [UInt8]) {
        var counter = 0
        while true {
            let payload = Array(String(format: "%024d", counter).utf8)
            let header = Bytes.segmentHeader(type: SegmentType.txnCommit.rawValue, payload: payload)
            if header.allSatisfy({ $0 < 0x80 }) { return (header, payload) }
            counter += 1
        }
    }

    /// basic.modelvault with one more transaction: its TxnBegin and TxnCommit copied from the
    /// last one, and a Record between them whose 5000-byte key holds a sound segment header.
    static func basicWithHeaderInAKey() throws -> [UInt8] {
        let basic = try Fixtures.bytes("clean/basic.modelvault")
        let (header, payload) = asciiHeader()
        let key =
            Array(repeating: UInt8(ascii: "k"), count: 2500) + header + payload
            + Array(repeating: UInt8(ascii: "k"), count: 2500)
        var record = Bytes()
        record.u16(2)  // record version
        record.u32(1)  // collection "books"
        record.u32(1)  // schema version
        record.u8(1)  // insert
        record.u8(4)  // the key: a string
        record.u32(UInt32(key.count))
        record.bytes += key
        record.u32(1)  // one field: year, an int64
        record.u8(1)
        record.u64(1880)
        let segment = Bytes.segmentHeader(type: SegmentType.record.rawValue, payload: record.bytes) + record.bytes
        // basic.modelvault's last transaction: TxnBegin at 8769, Record at 8825, TxnCommit at 8891.
        return basic + basic[8769..<8825] + segment + basic[8891..<8947]
    }
}
