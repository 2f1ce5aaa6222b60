import Foundation
import TestSupport
import Testing

/// Progress goes to standard error, only on a terminal, only for inputs over 64 MiB.
@Suite struct ProgressTests {
    @Test func progressAppearsOnlyOnATerminal() throws {
        let dir = try TemporaryDirectory("mvfsck-big")
        let big = dir.url("big.modelvault")
        var data = try Fixtures.data("clean/basic.modelvault")
        data.append(Data(count: 80 << 20))
        try data.write(to: big)
        let piped = try CLI.run([big.path])
        #expect(!piped.stderr.contains("MiB/s"), "no progress when standard error is a pipe")
        #expect(!piped.stdout.contains("MiB/s"))
        // `script` gives the command a terminal; what it wrote to the terminal comes back on stdout.
        let command = "\(CLI.binary.path) verify \(big.path) >/dev/null"
        let onTerminal = try CLI.run(["-q", "-e", "-c", command, "/dev/null"], executable: "/usr/bin/script")
        #expect(onTerminal.stdout.contains("MiB"), "progress shown on a terminal: \(onTerminal.stdout.prefix(300))")
        let quiet = try CLI.run(
            ["-q", "-e", "-c", "\(CLI.binary.path) verify --no-progress \(big.path) >/dev/null", "/dev/null"],
            executable: "/usr/bin/script")
        #expect(!quiet.stdout.contains("MiB/s"))
    }
}
