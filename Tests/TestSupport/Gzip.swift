import Foundation

/// Real gzip streams and checks, made by `/bin/gzip` in a child process.
public enum Gzip {
    /// Runs `/bin/gzip` with `arguments`, `input` on its standard input, and returns its exit
    /// status and standard output.
    @discardableResult
    public static func run(_ arguments: [String], input: Data? = nil) throws -> (status: Int32, output: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        process.standardOutput = stdout
        try process.run()
        // Written from another thread, so that output filling its pipe cannot stall the input.
        let writer = DispatchGroup()
        if let input {
            let handle = stdin.fileHandleForWriting
            DispatchQueue.global().async(group: writer) {
                handle.write(input)
                try? handle.close()
            }
        }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        writer.wait()
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// One gzip member holding `data` (`gzip -c -n`: no name, no time stamp).
    public static func compress(_ data: Data) throws -> Data { try run(["-c", "-n"], input: data).output }

    /// One gzip member holding `bytes`.
    public static func compress(_ bytes: [UInt8]) throws -> [UInt8] { [UInt8](try compress(Data(bytes))) }
}
