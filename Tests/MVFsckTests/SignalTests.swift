import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// SIGINT and SIGTERM stop every command with status 32 wherever it waits for input, including
/// a FIFO that no writer has opened yet (where open(2) itself would block) and one whose writer
/// never writes, and promptly wherever it works: inside one long record, in a long
/// resynchronisation scan, while repair copies.
@Suite struct SignalTests {
    static let commands: [[String]] = [
        ["verify"], ["inspect"], ["walk"], ["dump-catalog"], ["repair", "--to", "out.modelvault"],
    ]

    /// A scratch directory holding a FIFO named `in`.
    final class Fifo {
        let scratch: TemporaryDirectory
        var directory: URL { scratch.url }
        init() throws {
            scratch = try TemporaryDirectory("mvfsck-fifo")
            guard mkfifo(path, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
        var path: String { scratch.path("in") }
    }

    /// Starts mvfsck in `directory`, sends `signal` after half a second and returns the exit
    /// status; a run that outlives the deadline is killed and recorded as a failure.
    static func statusAfterSignal(
        _ signal: Int32, arguments: [String], in directory: URL, stdout: Any = FileHandle.nullDevice,
        whileRunning: () -> Void = {}
    ) throws -> Int32 {
        try stopAfterSignal(signal, arguments: arguments, in: directory, stdout: stdout, whileRunning: whileRunning)
            .status
    }

    struct Stop {
        var status: Int32
        /// From the signal to the exit.
        var seconds: Double
        /// Whether mvfsck was still running when the signal was sent.
        var wasRunning: Bool
    }

    /// `statusAfterSignal`, also timing how long mvfsck takes to exit once signalled.
    static func stopAfterSignal(
        _ signal: Int32, arguments: [String], in directory: URL, stdout: Any = FileHandle.nullDevice,
        whileRunning: () -> Void = {}
    ) throws -> Stop {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        whileRunning()
        Thread.sleep(forTimeInterval: 0.5)
        let wasRunning = process.isRunning
        let signalled = Date()
        kill(process.processIdentifier, signal)
        let deadline = signalled.addingTimeInterval(5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        let seconds = Date().timeIntervalSince(signalled)
        if process.isRunning {
            Issue.record("\(arguments) ignored signal \(signal)")
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        return Stop(status: process.terminationStatus, seconds: seconds, wasRunning: wasRunning)
    }

    /// How long a stop may take: it is meant to take milliseconds; the margin is for a loaded
    /// machine and a debug build.
    static let stopDeadline = 0.5

    /// Signals a run of `arguments` in `directory` twice over (SIGTERM, then SIGINT), expecting
    /// status 32 within `stopDeadline` and, for repair, nothing left beside the destination.
    static func expectPromptStop(_ arguments: [String], in directory: URL, keeping kept: Set<String>) throws {
        for signal in [SIGTERM, SIGINT] {
            let stop = try stopAfterSignal(signal, arguments: arguments, in: directory)
            #expect(
                stop.wasRunning, "\(arguments) finished within half a second: the input is too small to test a stop")
            #expect(stop.status == 32, "\(arguments), signal \(signal)")
            #expect(
                stop.seconds < stopDeadline,
                "\(arguments) took \(Int(stop.seconds * 1000)) ms to stop on signal \(signal)")
            let names = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
            #expect(names == kept, "left behind: \(names.subtracting(kept).sorted())")
        }
    }

    static let busyCommands: [[String]] = [["verify"], ["inspect"], ["repair", "--to", "out.modelvault"]]

    /// Two Records of 60 MiB of one-byte values (scripts/hostile-inputs long_records): the full
    /// decode spends seconds inside one segment, so it must poll between values.
    @Test(arguments: busyCommands)
    func stopInsideOneLongRecordIsPrompt(command: [String]) throws {
        let scratch = try TemporaryDirectory("mvfsck-stop")
        try #require(try HostileInputs.write(into: scratch.url, ["long_records"]) == 0, "scripts/hostile-inputs")
        try Self.expectPromptStop(
            command + ["long_records.modelvault"], in: scratch.url, keeping: ["long_records.modelvault"])
    }

    /// A database followed by 64 MiB of `T` bytes: every byte starts a candidate segment header,
    /// so the resynchronisation scan does millions of checks within each buffer it reads.
    @Test(arguments: busyCommands + [["walk"], ["verify", "--framing-only"]])
    func stopInAResynchronisationScanIsPrompt(command: [String]) throws {
        let scratch = try TemporaryDirectory("mvfsck-stop")
        var data = try Fixtures.data("clean/basic.modelvault")
        data.append(Data(repeating: 0x54, count: 64 << 20))
        try data.write(to: scratch.url("storm.modelvault"))
        try Self.expectPromptStop(command + ["storm.modelvault"], in: scratch.url, keeping: ["storm.modelvault"])
    }

    @Test(arguments: commands, [SIGTERM, SIGINT])
    func fifoWithoutAWriterStopsOnSignal(command: [String], signal: Int32) throws {
        let fifo = try Fifo()
        let status = try Self.statusAfterSignal(signal, arguments: command + ["in"], in: fifo.directory)
        #expect(status == 32)
    }

    @Test(arguments: commands, [SIGTERM, SIGINT])
    func fifoWhoseWriterNeverWritesStopsOnSignal(command: [String], signal: Int32) throws {
        let fifo = try Fifo()
        var writer: Int32 = -1
        let status = try Self.statusAfterSignal(signal, arguments: command + ["in"], in: fifo.directory) {
            // Opening the write end without blocking succeeds once mvfsck has the read end open.
            let until = Date().addingTimeInterval(5)
            while writer < 0 && Date() < until {
                writer = open(fifo.path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
                if writer < 0 { Thread.sleep(forTimeInterval: 0.01) }
            }
        }
        if writer >= 0 { close(writer) }
        #expect(writer >= 0, "mvfsck opened the FIFO")
        #expect(status == 32)
    }

    /// Standard output is a one-page pipe nobody reads: the output fills it and the write
    /// blocks, and the stop request must still get through.
    @Test(
        arguments: [["walk", "rows.modelvault"], ["verify", "--json-lines", "--jobs", "2", "."]], [SIGTERM, SIGINT])
    func blockedStandardOutputStopsOnSignal(arguments: [String], signal: Int32) throws {
        let fifo = try Fifo()
        for i in 0..<20 {
            try FileManager.default.copyItem(
                at: Fixtures.url("clean/many_rows.modelvault"),
                to: fifo.directory.appendingPathComponent(i == 0 ? "rows.modelvault" : "rows\(i).modelvault"))
        }
        let output = Pipe()
        let setPipeSize: Int32 = 1031  // F_SETPIPE_SZ
        _ = fcntl(output.fileHandleForWriting.fileDescriptor, setPipeSize, 4096)
        let status = try Self.statusAfterSignal(signal, arguments: arguments, in: fifo.directory, stdout: output)
        #expect(status == 32)
    }
}
