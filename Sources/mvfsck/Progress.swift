#if canImport(Glibc)
    import Glibc
#endif

/// A one-line progress display on standard error, for inputs over 64 MiB, only when standard
/// error is a terminal. Never writes to standard output.
final class Progress {
    static let threshold: UInt64 = 64 << 20

    private let label: String
    private let start = Progress.now()
    private var lastDraw = 0.0
    private var drawn = false

    /// Nil unless progress may be shown at all.
    static func make(label: String, output: OutputOptions) -> Progress? {
        make(label: label, shown: !output.quiet && !output.json && !output.noProgress)
    }

    /// A progress line, unless `shown` is false or standard error is not a terminal.
    static func make(label: String, shown: Bool) -> Progress? {
        guard shown, isatty(2) == 1 else { return nil }
        return Progress(label: label)
    }

    private init(label: String) { self.label = label }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func update(_ bytes: UInt64, of total: UInt64?) {
        guard bytes >= Progress.threshold || (total ?? 0) >= Progress.threshold else { return }
        let t = Progress.now()
        guard t - lastDraw >= 0.2 else { return }
        lastDraw = t
        let rate = Double(bytes) / max(t - start, 1e-6)
        var line = "\(label): \(Progress.size(bytes))"
        if let total, total > 0 {
            line += " of \(Progress.size(total)) (\(min(100, bytes * 100 / total))%)"
        }
        line += ", \(Progress.size(UInt64(rate)))/s"
        Console.errText("\r\u{1b}[K" + line)
        drawn = true
    }

    func finish() {
        if drawn { Console.errText("\r\u{1b}[K") }
    }

    static func size(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0
            ? "\(bytes) B" : String(Int(value * 10) / 10) + "." + String(Int(value * 10) % 10) + " " + units[unit]
    }
}
