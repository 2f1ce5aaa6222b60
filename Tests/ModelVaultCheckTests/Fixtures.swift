import Foundation

@testable import ModelVaultCheck

/// The committed fixtures, found relative to this file.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures")

    static func files(_ folder: String) -> [URL] {
        let dir = root.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".modelvault") }.sorted().map { dir.appendingPathComponent($0) }
    }

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    static func check(_ bytes: [UInt8], chunk: Int = .max, deep: Bool = false) throws -> Report {
        try LogWalker(source: MemorySource(bytes, chunk: chunk), options: CheckOptions(deep: deep))
            .run(command: "verify", path: "memory")
    }

    /// The engine's observed behaviour on each committed fixture (fixtures/engine-outcomes.json).
    static func engineOutcomes() throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: root.appendingPathComponent("engine-outcomes.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] ?? [:]
    }
}
