import Foundation

/// The crafted inputs of `scripts/hostile-inputs`, written by the script into a directory.
public enum HostileInputs {
    /// Writes the named inputs (all of them when `names` is empty) into `directory` as
    /// `<name>.modelvault`, and returns the script's exit status.
    @discardableResult
    public static func write(into directory: URL, _ names: [String] = []) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["python3", Fixtures.packageRoot.appendingPathComponent("scripts/hostile-inputs").path, directory.path]
            + names
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
