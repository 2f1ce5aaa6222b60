import FileOutput
import ModelVaultCheck
import ModelVaultFormat

#if canImport(Glibc)
    import Glibc
#endif

/// Salvages a source database into a fresh file in one forward pass over the source: the
/// source's bytes are copied into a temporary file beside the destination while the walk checks
/// them; then the copy is cut to the kept prefix, its header and superblocks are rewritten where
/// needed, it is verified, and only a clean result is renamed into place. The source is opened
/// read-only and never written.
public enum Salvage {
    public enum Failure: Error, CustomStringConvertible {
        case destinationExists(String)
        case destinationIsSource(String)
        case input(InputError)
        case output(AtomicFile.WriteError)
        case interrupted(Int32)

        public var description: String {
            switch self {
            case .destinationExists(let path): return "\(path) exists (use --force to replace it)"
            case .destinationIsSource(let path): return "\(path) is the source itself: repair never writes its source"
            case .input(let error): return "\(error)"
            case .output(let error): return "\(error)"
            case .interrupted(let signal): return "interrupted by signal \(signal); nothing was written"
            }
        }
    }

    public struct Outcome {
        public var source: Report
        public var plan: SalvagePlan
        /// The verify report of what was written (nil for a dry run or a refusal).
        public var output: Report?
        /// Whether the destination now holds the salvage.
        public var written: Bool
        /// Rounds of re-salvaging the output until it verified clean.
        public var rounds: Int
    }

    /// - Parameter staleTemporary: told of each temporary file of `destination` that a killed
    ///   run left behind, removed (or not) before this run creates its own; not on a dry run.
    public static func run(
        source: String, destination: String, force: Bool, dryRun: Bool,
        progress: ((UInt64, UInt64?) -> Void)? = nil,
        staleTemporary: (AtomicFile.StaleTemporary) -> Void = { _ in }
    ) throws -> Outcome {
        try checkDestination(source: source, destination: destination, force: force)
        if dryRun {
            let report: Report
            do {
                report = try Checker.check(
                    path: source, command: "repair", options: CheckOptions(deep: true), progress: progress)
            } catch let error as InputError { throw Failure.input(error) } catch let error as StopRequest.Interrupted {
                throw Failure.interrupted(error.signal)
            }
            return Outcome(source: report, plan: SalvagePlan(report: report), output: nil, written: false, rounds: 0)
        }
        AtomicFile.removeStaleTemporaries(of: destination).forEach(staleTemporary)
        let file: AtomicFile
        do { file = try AtomicFile(destination: destination) } catch let error as AtomicFile.WriteError {
            throw Failure.output(error)
        }
        do {
            let report = try copyAndWalk(source: source, into: file, progress: progress)
            var plan = SalvagePlan(report: report)
            if plan.refusal != nil {
                file.discard()
                return Outcome(source: report, plan: plan, output: nil, written: false, rounds: 0)
            }
            var current = plan
            var verified = try apply(current, to: file)
            var rounds = 1
            // A fault only the rebuilt file shows (a record naming a collection whose creation
            // lay past the cut, …): salvage the salvage, a bounded number of times.
            while verified.verdict != .clean && rounds < 4 {
                current = SalvagePlan(report: verified)
                guard current.refusal == nil, !current.changesNothing else { break }
                verified = try apply(current, to: file)
                plan.keepEnd = min(plan.keepEnd, current.keepEnd)
                plan.droppedBytes = report.file.size - min(report.file.size, plan.keepEnd)
                plan.droppedTransactions += current.droppedTransactions
                rounds += 1
            }
            guard verified.verdict == .clean else {
                file.discard()
                return Outcome(source: report, plan: plan, output: verified, written: false, rounds: rounds)
            }
            try StopRequest.check()
            try file.commit()
            return Outcome(source: report, plan: plan, output: verified, written: true, rounds: rounds)
        } catch let error as AtomicFile.WriteError {
            file.discard()
            throw Failure.output(error)
        } catch let error as InputError {
            file.discard()
            throw Failure.input(error)
        } catch let error as StopRequest.Interrupted {
            file.discard()
            throw Failure.interrupted(error.signal)
        }
    }

    static func checkDestination(source: String, destination: String, force: Bool) throws {
        var dst = stat()
        guard stat(destination, &dst) == 0 else { return }
        var src = stat()
        if source == destination
            || (source != "-" && stat(source, &src) == 0 && src.st_dev == dst.st_dev && src.st_ino == dst.st_ino)
        {
            throw Failure.destinationIsSource(destination)
        }
        if !force { throw Failure.destinationExists(destination) }
    }

    /// Walks the source once, copying every byte into the temporary file as it goes. A deep
    /// check, so a transaction whose contents the engine would refuse is left out.
    static func copyAndWalk(source: String, into file: AtomicFile, progress: ((UInt64, UInt64?) -> Void)?) throws
        -> Report
    {
        try Checker.check(path: source, command: "repair", options: CheckOptions(deep: true), progress: progress) {
            walker in
            walker.tap = { try file.write($0) }
        }
    }

    /// Cuts the temporary file to the plan's prefix, rewrites what the plan rebuilds, and
    /// verifies the result.
    static func apply(_ plan: SalvagePlan, to file: AtomicFile) throws -> Report {
        if !plan.changesNothing {
            try file.truncate(to: plan.keepEnd)
            if let header = plan.header { try file.write(header, at: 0) }
            for (slot, image) in plan.superblocks { try file.write(image, at: slot.offset) }
            if let manifest = plan.appendedManifest { try file.write(manifest, at: plan.keepEnd) }
        }
        try file.flush()
        // The kept bytes were decoded deeply as the source was walked, and a prefix cannot hold
        // content faults its source lacks: checking the result's structure is enough.
        do {
            return try Checker.check(path: file.temporaryPath, command: "verify")
        } catch let error as InputError {
            throw AtomicFile.WriteError(path: file.destination, reason: "cannot read back the output: \(error.reason)")
        }
    }
}
