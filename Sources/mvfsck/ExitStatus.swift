import ModelVaultCheck

/// fsck(8)-style exit statuses (docs/report-format.md §7); with several files they are OR-ed.
enum ExitStatus {
    static let clean: Int32 = 0
    static let corrected: Int32 = 1
    static let uncorrected: Int32 = 4
    static let operational: Int32 = 8
    static let usage: Int32 = 16
    static let interrupted: Int32 = 32
}

extension Verdict {
    /// fsck(8) status for a checked file: 0 when clean, 4 otherwise.
    var exitStatus: Int32 { self == .clean ? ExitStatus.clean : ExitStatus.uncorrected }
}
