import ModelVaultCheck
import ModelVaultFormat
import ModelVaultRepair

#if canImport(Glibc)
    import Glibc
#endif

/// The full check (`verify --deep`, as `repair` walks its source), then the salvage plan and
/// its application done in memory the way `Salvage.run` does it on disk, re-checking each round.
@_cdecl("LLVMFuzzerTestOneInput")
public func checkOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzInput(data, size)
    let copy = Bytes()
    guard let report = input.walk(command: "repair", deep: true, copy: copy) else { return 0 }
    summarise(report)
    if input.speculate && !input.compressed { compareSpeculation(input.body) }
    let plan = SalvagePlan(report: report)
    for line in plan.describe() { Sink.keep(line) }
    Sink.keep(plan.superblocksRewritten.count + (plan.headerRewritten ? 1 : 0))
    guard plan.refusal == nil else { return 0 }
    var file = copy.bytes
    var current = plan
    var rounds = 0
    while rounds < 4 {
        apply(current, to: &file)
        rounds += 1
        let again = FuzzInput(selector: 0, body: file)
        guard let verified = again.walk(command: "verify", deep: false) else { return 0 }
        summarise(verified)
        guard verified.verdict != .clean else { break }
        current = SalvagePlan(report: verified)
        guard current.refusal == nil, !current.changesNothing else { break }
    }
    return 0
}

/// Walks `body` from a scratch file through a 16 KiB read buffer (moved, restarted and read
/// again many times over) twice: with checks taken on trust and proved on a second thread in
/// that buffer, and with every check in line. The reports must agree, or the input is reported
/// as a failure (a trap).
func compareSpeculation(_ body: [UInt8]) {
    let path = ScratchFile.path("speculation")
    guard ScratchFile.write(body, to: path) else { return }
    defer { unlink(path) }
    var options = CheckOptions(deep: true)
    options.readBufferCapacity = 16 << 10
    var inLine = options
    inLine.secondCore = false
    guard let trusted = try? Checker.check(path: path, command: "verify", options: options),
        let sequential = try? Checker.check(path: path, command: "verify", options: inLine)
    else { return }
    summarise(trusted)
    if trusted.findings != sequential.findings || trusted.verdict != sequential.verdict
        || trusted.engine != sequential.engine || trusted.valuesVisited != sequential.valuesVisited
    {
        fatalError(
            "the walk with checks taken on trust reports \(trusted.verdict.rawValue) with "
                + "\(trusted.findings.count) findings, every check in line \(sequential.verdict.rawValue) with "
                + "\(sequential.findings.count)")
    }
}

/// `Salvage.apply` on bytes: cut to the kept prefix, overwrite what the plan rebuilds.
func apply(_ plan: SalvagePlan, to file: inout [UInt8]) {
    guard !plan.changesNothing else { return }
    let keep = Int(clamping: plan.keepEnd)
    if file.count > keep {
        file.removeLast(file.count - keep)
    } else {
        file += [UInt8](repeating: 0, count: keep - file.count)
    }
    if let header = plan.header { write(header, at: 0, into: &file) }
    for (slot, image) in plan.superblocks { write(image, at: Int(slot.offset), into: &file) }
    if let manifest = plan.appendedManifest { write(manifest, at: keep, into: &file) }
}

/// pwrite(2) on an array: extends it with zeros when writing past the end.
func write(_ bytes: [UInt8], at offset: Int, into file: inout [UInt8]) {
    if file.count < offset + bytes.count { file += [UInt8](repeating: 0, count: offset + bytes.count - file.count) }
    file.replaceSubrange(offset..<offset + bytes.count, with: bytes)
}

func summarise(_ r: Report) {
    Sink.keep(r.verdict.rawValue)
    Sink.keep(r.findings.count &+ r.findingsDropped &+ r.errorCount &+ r.warningCount)
    for f in r.findings { Sink.keep(f.code.rawValue.utf8.count &+ f.message.utf8.count) }
    Sink.keep(r.segments.byType.count &+ r.transactions.committed &+ r.catalog.collections.count)
    Sink.keep(Int(truncatingIfNeeded: r.salvageEnd &+ r.engine.truncatedBytes))
    if let reason = r.engine.truncateReason { Sink.keep(reason.rawValue) }
}
