import Foundation

/// The committed fixtures (the package's `fixtures` folder), found relative to this file.
public enum Fixtures {
    /// The package's root folder.
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `fixtures` folder.
    public static let root = packageRoot.appendingPathComponent("fixtures")

    /// A fixture by its path below `fixtures`, e.g. `clean/basic.modelvault`.
    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// The database files (`*.modelvault`) of a fixtures folder, sorted by name.
    public static func files(_ folder: String) -> [URL] {
        names(folder).map(url)
    }

    /// The database files of a fixtures folder as paths below `fixtures` (`folder/name.modelvault`),
    /// sorted by name.
    public static func names(_ folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url(folder).path)) ?? []
        return names.filter { $0.hasSuffix(".modelvault") }.sorted().map { "\(folder)/\($0)" }
    }

    /// The bytes of a file.
    public static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    /// The bytes of a fixture by its path below `fixtures`.
    public static func bytes(_ relative: String) throws -> [UInt8] { try bytes(url(relative)) }

    /// The contents of a fixture by its path below `fixtures`.
    public static func data(_ relative: String) throws -> Data { try Data(contentsOf: url(relative)) }
}
