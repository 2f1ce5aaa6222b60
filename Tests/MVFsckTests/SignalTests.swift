import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM stop every command with status 32 wherever it waits for input, including
/// a FIFO that no writer has opened yet (where open(2) itself would block) and one whose writer
/// never writes.
@Suite struct SignalTests {
    static let commands: [[String]] = [["verify"], ["inspect"], ["walk"], ["dump-catalog"], ["repair", "--to", "out.modelvault"]]

    /// A scratch directory holding a FIFO named `in`.
    final class Fifo {
        let directory: URL
        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("mvfsck-fifo-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            guard mkfifo(path, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
        deinit { try? FileManager.default.removeItem(at: directory) }
        var path: String { directory.appendingPathComponent("in").path }
    }

    /// Starts mvfsck in `directory`, sends `signal` after half a second and returns the exit
    /// status; a run that outlives the deadline is killed and recorded as a failure.
    static func statusAfterSignal(_ signal: Int32, arguments: [String], in directory: URL, stdout: Any = FileHandle.nullDevice,
                                  whileRunning: () -> Void = {}) throws -> Int32 {
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
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            Issue.record("\(arguments) ignored signal \(signal)")
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        return process.terminationStatus
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
    @Test(arguments: [["walk", "rows.modelvault"], ["verify", "--json-lines", "--jobs", "2", "."]], [SIGTERM, SIGINT])
    func blockedStandardOutputStopsOnSignal(arguments: [String], signal: Int32) throws {
        let fifo = try Fifo()
        for i in 0..<20 {
            try FileManager.default.copyItem(at: CLI.fixtures.appendingPathComponent("clean/many_rows.modelvault"),
                                             to: fifo.directory.appendingPathComponent(i == 0 ? "rows.modelvault" : "rows\(i).modelvault"))
        }
        let output = Pipe()
        _ = fcntl(output.fileHandleForWriting.fileDescriptor, 1031 /* F_SETPIPE_SZ */, 4096)
        let status = try Self.statusAfterSignal(signal, arguments: arguments, in: fifo.directory, stdout: output)
        #expect(status == 32)
    }
}
