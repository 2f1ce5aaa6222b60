import FileOutput
import Foundation
import ModelVaultCheck
import ModelVaultFormat
import TestSupport
import Testing

@testable import ModelVaultRepair

/// Transactions whose unique-index entries clash with keys kept before them: `--scavenge`
/// leaves out together every one no drop can cure, and keeps waiting for the rest, so the
/// rounds stay few however many clash, and what is kept is what one drop at a time keeps.
@Suite struct UniqueClashScavengeTests {
    /// Transaction 2 of clean/transactions: three accounts inserted, their owners ann, ben and
    /// cat in the unique index `by_owner`, each Index segment before its Record.
    static let source = "clean/transactions.modelvault"
    static let transaction = 8735..<9267
    static let indexSegments = [8791, 8931, 9071]

    /// The source with copies of transaction 2 appended; in each copy, the unique entry of
    /// account i gets primary key `"a" + digit` for the digit given (nil: left as written).
    static func withCopies(_ copies: [[Character?]]) throws -> [UInt8] {
        var bytes = try [UInt8](Data(contentsOf: Fixtures.url(source)))
        let original = Array(bytes[transaction])
        for digits in copies {
            let start = bytes.count
            bytes += original
            for (account, digit) in digits.enumerated() {
                guard let digit else { continue }
                let segment = start + indexSegments[account] - transaction.lowerBound
                let lastPrimaryKeyByte = try primaryKeyEnd(in: bytes, segment: segment) - 1
                bytes[lastPrimaryKeyByte] = digit.asciiValue!
                bytes.resealSegment(at: segment)
            }
        }
        return bytes
    }

    /// Where the one entry's primary key ends in the Index segment at `segment`.
    static func primaryKeyEnd(in bytes: [UInt8], segment: Int) throws -> Int {
        let length = Int(bytes[segment + 12])
        let payloadStart = segment + Layout.segmentHeaderSize
        return try bytes.withUnsafeBytes { all in
            let payload = UnsafeRawBufferPointer(rebasing: all[payloadStart..<(payloadStart + length)])
            var index = try IndexPayload(parsing: payload, at: UInt64(payloadStart))
            let entry = try #require(try index.nextView())
            #expect(entry.kind == .unique)
            return payloadStart + (entry.primaryKey.baseAddress! - payload.baseAddress!) + entry.primaryKey.count
        }
    }

    /// What `--scavenge` does with `bytes`, with the round limits given.
    static func scavenge(
        _ bytes: [UInt8], sureRounds: Int = Scavenge.sureRounds, roundLimit: Int = Scavenge.roundLimit
    ) throws -> (source: Report, ledger: TransactionLedger, result: Scavenge.Result) {
        let dir = try TemporaryDirectory("mvfsck-unique-clash")
        let path = dir.path("source.modelvault")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let file = try AtomicFile(destination: dir.path("out.modelvault"))
        defer { file.discard() }
        let (report, ledger) = try Salvage.copyAndWalk(source: path, into: file, progress: nil)
        let selection = try UnitSelection(
            units: ledger.units, choices: SalvageChoices(scavenge: true), prefixEnd: report.committedPrefix.keepEnd)
        let result = try Scavenge.run(
            source: report, ledger: ledger, selection: selection, file: file, sureRounds: sureRounds,
            roundLimit: roundLimit)
        return (report, ledger, result)
    }

    /// Offsets of the units `result` left out.
    static func dropped(_ run: (source: Report, ledger: TransactionLedger, result: Scavenge.Result)) -> [UInt64] {
        run.result.selection.dropped.map { run.ledger.units[$0.unit].offset }
    }

    /// Where copy `n` (from 0) of transaction 2 begins.
    static func copy(_ n: Int) -> UInt64 { 10844 + UInt64(n * transaction.count) }

    @Test func clashesNoDropCanCureGoInOneRound() throws {
        // 40 copies giving ann's key to another account: each clashes with the account kept
        // before them all.
        let bytes = try Self.withCopies(Array(repeating: ["7", nil, nil], count: 40) + [[nil, nil, nil]])
        let run = try Self.scavenge(bytes)
        #expect(run.source.findings.filter { $0.code == .indexUniqueViolation }.count == 40)
        #expect(run.result.refusal == nil)
        #expect(run.result.output?.verdict == .clean)
        #expect(Self.dropped(run) == (0..<40).map(Self.copy))
        #expect(run.result.rounds == 2)
    }

    @Test func aClashADropCanCureWaitsForIt() throws {
        // Copy 0 gives every key to other accounts: ann's and ben's clash, cat's (deleted by
        // transaction 5) it takes. Copies 1–20 clash on ann's key (no drop cures that) and on
        // cat's (copy 0's). Copy 21 gives cat's key to another account: it clashes with copy 0
        // only, and replays once copy 0 is gone.
        let bytes = try Self.withCopies(
            [["7", "7", "7"]] + Array(repeating: ["9", nil, nil], count: 20) + [[nil, nil, "8"]])
        let run = try Self.scavenge(bytes)
        #expect(run.result.output?.verdict == .clean)
        #expect(Self.dropped(run) == (0..<21).map(Self.copy))
        #expect(run.result.rounds == 2)
        // Leaving out every unit that faults, as rounds past `sureRounds` do, loses copy 21 too.
        let hasty = try Self.scavenge(bytes, sureRounds: 0)
        #expect(hasty.result.output?.verdict == .clean)
        #expect(Self.dropped(hasty) == (0..<22).map(Self.copy))
    }

    @Test func aSalvageThatDoesNotSettleWithinTheRoundLimitIsRefused() throws {
        let bytes = try Self.withCopies([["7", "7", "7"], [nil, nil, "8"]])
        let run = try Self.scavenge(bytes, roundLimit: 1)
        #expect(run.result.rounds == 1)
        #expect(run.result.output?.verdict != .clean)
        let refusal = try #require(run.result.refusal)
        #expect(refusal.contains("after 1 rounds"))
    }
}
