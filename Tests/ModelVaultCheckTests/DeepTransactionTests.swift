import Foundation
import TestSupport
import Testing

@testable import ModelVaultCheck
@testable import ModelVaultFormat

/// `--deep` replays unique indexes as the engine does: only what a transaction commits counts.
/// (modelvault 0.16.0 opens the first file built here, reading y3, and refuses the second with
/// "unique index violation".)
@Suite struct DeepTransactionTests {
    /// transactions.modelvault: "accounts" has a unique index on owner; a3 (owner "cat") is
    /// inserted by txn 2 and deleted by txn 5, so "cat" is free at the end of the file.
    static let insertCat = 9071..<9211  // txn 2's Index + Record for a3
    static let beginMarker = 8735..<8791  // txn 2's TxnBegin
    static let commitMarker = 9211..<9267  // txn 2's TxnCommit

    /// A copy of a segment with its payload's bytes `from` replaced by `to`, and its type and
    /// txn id (markers) changed, every checksum resealed.
    static func reseal(
        _ segment: ArraySlice<UInt8>, type: SegmentType? = nil, txnId: UInt64? = nil,
        replacing from: [UInt8] = [], with to: [UInt8] = []
    ) -> [UInt8] {
        var header = Array(segment.prefix(32))
        var payload = Array(segment.dropFirst(32))
        if !from.isEmpty,
            let at = (0...(payload.count - from.count)).first(where: { Array(payload[$0..<($0 + from.count)]) == from })
        {
            payload.replaceSubrange(at..<(at + from.count), with: to)
        }
        if let txnId {
            payload.put(littleEndian: txnId, at: 2)
            payload.put(littleEndian: CRC32C.checksum(Array(payload[0..<18])), at: 18)
        }
        if let type { header.put(littleEndian: type.rawValue, at: 6) }
        var resealed = header + payload
        resealed.resealSegment(at: 0)
        return resealed
    }

    /// Re-inserts owner "cat" for a new primary key in transaction `txnId`, ended by `end`.
    static func transaction(_ bytes: [UInt8], txnId: UInt64, key: String, end: SegmentType) -> [UInt8] {
        var body: [UInt8] = []
        var at = insertCat.lowerBound
        while at < insertCat.upperBound {
            let length = 32 + Int(bytes[(at + 12)..<(at + 20)].reversed().reduce(0) { $0 << 8 | UInt64($1) })
            body += reseal(bytes[at..<(at + length)], replacing: Array("a3".utf8), with: Array(key.utf8))
            at += length
        }
        return reseal(bytes[beginMarker], txnId: txnId) + body + reseal(bytes[commitMarker], type: end, txnId: txnId)
    }

    @Test func uniqueKeysOfAnAbortedTransactionAreNotHeldAgainstLaterOnes() throws {
        let bytes = try Fixtures.bytes("clean/transactions.modelvault")
        let file =
            bytes + Self.transaction(bytes, txnId: 7, key: "z3", end: .txnAbort)
            + Self.transaction(bytes, txnId: 8, key: "y3", end: .txnCommit)
        let report = try Fixtures.check(file, deep: true)
        #expect(report.transactions.committed == 6 && report.transactions.aborted == 1)
        #expect(!report.findings.contains { $0.code == .indexUniqueViolation }, "\(report.findings)")
        #expect(report.verdict == .clean)
    }

    @Test func uniqueKeysOfACommittedTransactionStillConflict() throws {
        let bytes = try Fixtures.bytes("clean/transactions.modelvault")
        let file =
            bytes + Self.transaction(bytes, txnId: 7, key: "z3", end: .txnCommit)
            + Self.transaction(bytes, txnId: 8, key: "y3", end: .txnCommit)
        let report = try Fixtures.check(file, deep: true)
        #expect(report.findings.contains { $0.code == .indexUniqueViolation })
        #expect(report.verdict != .clean)
    }
}
