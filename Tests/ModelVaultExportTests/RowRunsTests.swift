import FileOutput
import Testing

@testable import ModelVaultExport

@Suite struct RowRunsTests {
    static func version(_ collection: UInt32, _ key: Int64, at position: UInt64) -> RowVersion {
        RowVersion(
            collectionId: collection, order: KeyOrder.bytes(.int64(key))![...], position: position, source: .log,
            origin: position, isDelete: position % 7 == 0, schemaVersion: 1, keyJSON: Array(String(key).utf8)[...],
            fields: [
                .init(index: 0, json: Array(String(position).utf8)[...]),
                .init(index: 1, json: Array("\"x\"".utf8)[...]),
            ])
    }

    /// Versions in a scrambled order, the same for every run.
    static var scrambled: [RowVersion] {
        (0..<5_000).map { i in
            let position = UInt64((i * 7919) % 5_000)
            return version(UInt32(position % 3), Int64(position % 97) - 40, at: position)
        }
    }

    static func sorted(budget: Int, fanIn: Int) throws -> [RowVersion] {
        let runs = RowRuns(memoryBudget: budget, fanIn: fanIn)
        for version in scrambled { try runs.add(version) }
        var out: [RowVersion] = []
        try runs.forEachInOrder { out.append(RowVersion(decoding: Array($0))) }
        return out
    }

    @Test func versionsComeOutByCollectionKeyAndPosition() throws {
        let out = try Self.sorted(budget: 1 << 30, fanIn: 64)
        #expect(out.count == 5_000)
        #expect(isOrdered(out))
    }

    @Test(arguments: [(4_096, 64), (4_096, 2), (65_536, 3)])
    func spilledRunsMergeToTheSameOrder(budget: Int, fanIn: Int) throws {
        let inMemory = try Self.sorted(budget: 1 << 30, fanIn: 64)
        let spilled = try Self.sorted(budget: budget, fanIn: fanIn)
        #expect(spilled == inMemory)
    }

    @Test func memoryHeldStaysNearTheBudget() throws {
        let runs = RowRuns(memoryBudget: 8_192, fanIn: 4)
        for version in Self.scrambled { try runs.add(version) }
        #expect(runs.largestArena < 8_192 + 256)
        var count = 0
        try runs.forEachInOrder { _ in count += 1 }
        #expect(count == 5_000)
    }

    @Test func stagedVersionsSpillAndComeBackInOrder() throws {
        let staged = StagedVersions(memoryBudget: 2_048)
        let versions = Self.scrambled.prefix(500)
        for version in versions { try staged.add(version) }
        var out: [RowVersion] = []
        try staged.drain { bytes throws(SpillFile.Failure) in out.append(RowVersion(decoding: Array(bytes))) }
        #expect(out == Array(versions))
        #expect(staged.isEmpty)
        // A second transaction after the first was drained starts empty.
        try staged.add(Self.version(1, 1, at: 1))
        var second = 0
        try staged.drain { _ throws(SpillFile.Failure) in second += 1 }
        #expect(second == 1)
    }

    @Test func pendingLinesSpillAndComeBackInOrder() throws {
        let pending = PendingLines(memoryBudget: 1_000)
        let lines = (0..<700).map { Array(("line \($0) " + String(repeating: "x", count: $0 % 50)).utf8) }
        for (index, line) in lines.enumerated() { try pending.add(line, damaged: index % 3 == 0) }
        var out: [[UInt8]] = []
        var flags: [Bool] = []
        try pending.drain { damaged, line in
            out.append(Array(line))
            flags.append(damaged)
        }
        #expect(out == lines)
        #expect(flags == lines.indices.map { $0 % 3 == 0 })
    }

    func isOrdered(_ versions: [RowVersion]) -> Bool {
        zip(versions, versions.dropFirst()).allSatisfy { a, b in
            if a.collectionId != b.collectionId { return a.collectionId < b.collectionId }
            let aKey = Int64(String(decoding: a.keyJSON, as: UTF8.self))!
            let bKey = Int64(String(decoding: b.keyJSON, as: UTF8.self))!
            return aKey != bKey ? aKey < bKey : a.position < b.position
        }
    }
}
