import Foundation
import TestSupport
import Testing

/// Read-only means read-only: after every command, the input's bytes and modification time are
/// what they were.
@Suite struct ReadOnlyTests {
    static let commands: [[String]] = [
        [], ["verify", "--json"], ["inspect"], ["inspect", "--json"], ["export"], ["export", "--scavenge"],
        ["export", "--history"],
    ]

    @Test(arguments: Fixtures.names("damaged").prefix(40) + Fixtures.names("clean").prefix(4))
    func inputIsUnchangedByEveryCommand(name: String) throws {
        // Work on a copy whose mtime is in the past, so a rewrite would show.
        let dir = try TemporaryDirectory("mvfsck-ro")
        let copy = dir.url("db.modelvault")
        try FileManager.default.copyItem(at: Fixtures.url(name), to: copy)
        let past = Date(timeIntervalSince1970: 1_600_000_000)
        try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: copy.path)
        let before = try Data(contentsOf: copy)
        for command in Self.commands {
            _ = try CLI.run(command + [copy.path])
            #expect(try Data(contentsOf: copy) == before, "\(name): bytes changed by \(command)")
            let mtime = try FileManager.default.attributesOfItem(atPath: copy.path)[.modificationDate] as? Date
            #expect(mtime == past, "\(name): mtime changed by \(command)")
        }
        #expect(dir.names == ["db.modelvault"], "no lock or temporary files are created: \(dir.names)")
    }
}
