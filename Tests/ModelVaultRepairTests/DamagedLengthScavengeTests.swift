import Foundation
import ModelVaultCheck
import ModelVaultFormat
import TestSupport
import Testing

@testable import ModelVaultRepair

/// A payload length raised over the transactions after it hides them from a walk that follows
/// the length; the walk resumes at the sound header inside the payload, the ledger ends the
/// damaged segment's unit there, and `--scavenge` keeps every transaction it had swallowed.
@Suite struct DamagedLengthScavengeTests {
    /// many_rows.modelvault (14 committed transactions) with the length of the segment at
    /// `segment` raised to end 9 bytes into the segment at `claimedEnd`, or past the end of the
    /// file when nil.
    static func damaged(_ segment: Int, reaching claimedEnd: Int?) throws -> [UInt8] {
        var bytes = try Fixtures.bytes("clean/many_rows.modelvault")
        let length = UInt64((claimedEnd.map { $0 + 9 } ?? bytes.count + 777) - segment - 32)
        bytes.put(littleEndian: length, at: segment + 12)
        bytes.put(littleEndian: CRC32C.checksum(Array(bytes[segment..<(segment + 28)])), at: segment + 28)
        return bytes
    }

    /// The segment damaged (a Record of the third transaction, the second one's TxnCommit, the
    /// Manifest after it) and the transaction that is lost with it. 20008 is an Index of the
    /// last transaction: the length swallows eleven whole transactions or more.
    static let cases: [(segment: Int, lost: UInt64?)] = [(10387, 3), (10142, 2), (10198, nil)]

    @Test(arguments: cases, [20008, nil])
    func scavengeKeepsTheTransactionsHiddenUnderARaisedLength(damage: (segment: Int, lost: UInt64?), claimedEnd: Int?)
        throws
    {
        let dir = try TemporaryDirectory("mvfsck-raised-length")
        try Data(try Self.damaged(damage.segment, reaching: claimedEnd)).write(to: dir.url("src.modelvault"))

        let ledger = TransactionLedger()
        let report = try Checker.check(
            path: dir.path("src.modelvault"), command: "repair", options: CheckOptions(deep: true),
            configure: { $0.add(ledger) })
        ledger.finish()
        #expect(report.findings.contains { $0.code == .logResynchronized && $0.offset == damage.segment })
        #expect(zip(ledger.units, ledger.units.dropFirst()).allSatisfy { $0.end <= $1.offset })
        #expect(ledger.damagedStretches.allSatisfy { stretch in ledger.units.allSatisfy { !$0.overlaps(stretch) } })
        let intact = ledger.units.filter { $0.committed && $0.damage == nil }
        #expect(intact.compactMap(\.txnId) == Array(1...14).filter { $0 != damage.lost })

        let outcome = try Salvage.run(
            source: dir.path("src.modelvault"), destination: dir.path("out.modelvault"), force: false, dryRun: false,
            choices: SalvageChoices(scavenge: true))
        #expect(outcome.written)
        let output = try #require(outcome.output)
        #expect(output.verdict == .clean)
        #expect(output.transactions.committed == (damage.lost == nil ? 14 : 13))
        let summary = try #require(outcome.summary)
        #expect(summary.dropped.map(\.txnId) == (damage.lost.map { [$0] } ?? []))
        #expect(summary.dropped.allSatisfy { $0.reason == .damaged })
    }
}

extension LogUnit {
    fileprivate func overlaps(_ range: Range<UInt64>) -> Bool { offset < range.upperBound && range.lowerBound < end }
}
