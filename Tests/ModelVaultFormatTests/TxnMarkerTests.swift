import Testing

@testable import ModelVaultFormat

@Suite struct TxnMarkerTests {
    /// A marker payload: version, txn id, eight reserved bytes, the inner CRC over bytes 0..17.
    func payload(version: UInt16 = 0, txnId: UInt64, corruptCRC: Bool = false) -> [UInt8] {
        var bytes = withUnsafeBytes(of: version.littleEndian) { Array($0) }
        bytes += withUnsafeBytes(of: txnId.littleEndian) { Array($0) }
        bytes += [UInt8](repeating: 0, count: 8)
        var crc = CRC32C.checksum(bytes)
        if corruptCRC { crc ^= 1 }
        bytes += withUnsafeBytes(of: crc.littleEndian) { Array($0) }
        return bytes + [0, 0]
    }

    func parse(_ bytes: [UInt8], at offset: UInt64 = 100) throws(TxnMarker.Fault) -> TxnMarker {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(TxnMarker.Fault) in try TxnMarker(parsing: raw, at: offset) }
        }.get()
    }

    @Test func decodesTheTransactionId() throws {
        let marker = try parse(payload(txnId: 0x0102_0304_0506_0708))
        #expect(marker.txnId == 0x0102_0304_0506_0708)
        #expect(marker.version == 0)
        #expect(marker.storedCRC == marker.computedCRC)
    }

    @Test func faultsNameTheFieldAndOffsetAsDecodingErrors() {
        #expect(throws: TxnMarker.Fault(.wrongLength(got: 23), at: 100)) {
            try parse(Array(payload(txnId: 1).prefix(23)))
        }
        #expect(throws: TxnMarker.Fault(.unsupportedVersion(2), at: 100)) { try parse(payload(version: 2, txnId: 1)) }
        do {
            _ = try parse(payload(txnId: 7, corruptCRC: true))
            Issue.record("a corrupt inner checksum decoded")
        } catch {
            guard case .innerChecksum(let computed, let stored) = error.kind else {
                Issue.record("unexpected fault \(error)")
                return
            }
            #expect(error.offset == 118)
            #expect(
                error.formatError
                    == FormatError(
                        .checksumMismatch(field: .txnMarkerInner, computed: computed, stored: stored), at: 118))
        }
        #expect(
            TxnMarker.Fault(.wrongLength(got: 3), at: 9).formatError
                == FormatError(.wrongLength(field: .txnMarkerPayload, expected: 24, got: 3), at: 9))
        #expect(
            TxnMarker.Fault(.unsupportedVersion(5), at: 9).formatError
                == FormatError(.unsupported(field: .txnPayloadVersion, value: 5), at: 9))
    }

    /// The walk carries a marker or its fault in every segment event: both must copy as bytes.
    @Test func markerAndFaultAreCopiedAsPlainBytes() {
        #expect(_isPOD(TxnMarker.self))
        #expect(_isPOD(Result<TxnMarker, TxnMarker.Fault>?.self))
    }
}
