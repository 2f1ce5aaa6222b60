import TestSupport
import Testing

@testable import ModelVaultFormat

@Suite struct SegmentHeaderTests {
    func header(_ bytes: [UInt8]) -> SegmentHeader {
        bytes.withUnsafeBytes { SegmentHeader(parsing: $0) }
    }

    @Test func validHeaderHasNoFault() {
        let h = header(Bytes.segmentHeader(type: 2, payload: [1, 2, 3]))
        #expect(h.fault == nil)
        #expect(h.type == .record)
        #expect(h.totalLength == 35)
    }

    @Test func badTypeIsReportedBeforeBadCRC() {
        var bytes = Bytes.segmentHeader(type: 2, payload: [])
        bytes[6] = 42
        #expect(header(bytes).fault == .unknownType(42))
    }

    @Test func oversizedPayloadLengthIsReportedBeforeChecksumKind() {
        let bytes = Bytes.segmentHeader(type: 2, payload: [], kind: 3, payloadLength: 67_108_865)
        #expect(header(bytes).fault == .payloadTooLong(67_108_865))
    }

    @Test func headerCRCMismatchIsDetected() {
        var bytes = Bytes.segmentHeader(type: 2, payload: [])
        bytes[25] = 0  // reserved: not covered by any check
        #expect(header(bytes).fault == nil)
        bytes[14] ^= 0x10
        if case .headerChecksum = header(bytes).fault {} else { Issue.record("expected a header CRC fault") }
    }

    @Test func badMagicComesFirst() {
        var bytes = Bytes.segmentHeader(type: 99, payload: [])
        bytes[0] = 0
        #expect(header(bytes).fault == .badMagic(found: [0, 0x53, 0x47, 0x30]))
    }
}
