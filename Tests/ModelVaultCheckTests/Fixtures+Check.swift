import Foundation
import TestSupport

@testable import ModelVaultCheck

extension Fixtures {
    /// The report of a walk over `bytes` held in memory, handed out `chunk` bytes per read.
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
