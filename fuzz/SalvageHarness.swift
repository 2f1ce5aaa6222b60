import FileOutput
import ModelVaultCheck
import ModelVaultExport
import ModelVaultFormat
import ModelVaultRepair

#if canImport(Glibc)
    import Glibc
#endif

/// What works on files beyond the plain salvage, on hostile bytes: `repair --scavenge`,
/// `--until-txn` and `--drop-txn` (the transaction ledger, the choice of units, the layout of
/// the result and its rounds of verification), `export` of the live rows and `export --history`.
/// The input is written to a scratch file; the selector's low bits pick the command (its
/// bit 7 still rewrites checksums, `FuzzInput`).
///
/// A result written is a promise: it must verify clean with the full decode, or the input is
/// reported as a failure (a trap), like a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func salvageOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzInput(data, size)
    let command = Int(size > 0 ? data![0] & 0x3f : 0) % 5
    let source = ScratchFile.path("src")
    guard ScratchFile.write(input.body, to: source) else { return 0 }
    defer { unlink(source) }
    switch command {
    case 0: salvage(source, SalvageChoices(scavenge: true))
    case 1: salvage(source, SalvageChoices(untilTxn: TransactionReference(id: UInt64(input.body.count % 4 + 1))))
    case 2: salvage(source, SalvageChoices(scavenge: true, dropTxns: [TransactionReference(id: 1)]))
    case 3:
        let outcome = try? LiveExport.run(path: source, choices: SalvageChoices(), collections: []) {
            Sink.keep($0.count)
        }
        Sink.keep(outcome?.rows ?? -1)
    default:
        let outcome = try? HistoryExport.run(path: source, collection: nil, key: nil) { Sink.keep($0.count) }
        Sink.keep(outcome?.lines ?? -1)
    }
    return 0
}

/// Runs the salvage; a result it writes must verify clean with the full decode.
func salvage(_ source: String, _ choices: SalvageChoices) {
    let destination = ScratchFile.path("dst")
    defer { unlink(destination) }
    guard
        let outcome = try? Salvage.run(
            source: source, destination: destination, force: true, dryRun: false, choices: choices)
    else { return }
    Sink.keep(outcome.source.findings.count &+ outcome.rounds)
    for line in outcome.summary?.lines() ?? [] { Sink.keep(line) }
    guard outcome.written else { return }
    guard let verified = try? Checker.check(path: destination, command: "verify", options: CheckOptions(deep: true))
    else { fatalError("the salvage's result cannot be read back") }
    if verified.verdict != .clean {
        let codes = verified.findings.map { "\($0.code.rawValue)@\($0.offset)" }.joined(separator: " ")
        fatalError(
            "the salvage (\(choices.mode.rawValue)) wrote a result that verifies \(verified.verdict.rawValue): \(codes)"
        )
    }
}
