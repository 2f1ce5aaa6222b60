import ModelVaultCheck
import ModelVaultFormat
import TestSupport
import Testing

@testable import ModelVaultRepair

/// Which dropped units can make a kept one fail to replay: the salvage checks its result with
/// the full decode exactly when one can.
@Suite struct DropImpactTests {
    static func units(_ name: String) throws -> [LogUnit] {
        let ledger = TransactionLedger()
        _ = try Checker.check(
            path: Fixtures.url(name).path, command: "repair", options: CheckOptions(deep: true),
            configure: { $0.add(ledger) })
        ledger.finish()
        return Array(ledger.units)
    }

    static func inert(_ name: String, dropping unit: Int) throws -> Bool {
        let units = try units(name)
        var kept = units.map { $0.committed }
        kept[unit] = false
        return DropImpact.dropsAreInert(units: units, kept: kept, dropped: [unit], copy: Fixtures.url(name).path)
    }

    @Test func droppingACatalogChangeIsNotInert() throws {
        // Transaction 1 of basic registers the collection the others write to.
        #expect(try !Self.inert("clean/basic.modelvault", dropping: 0))
    }

    @Test func droppingAnInsertIntoACollectionWithoutIndexesIsInert() throws {
        #expect(try Self.inert("clean/basic.modelvault", dropping: 1))
    }

    @Test func droppingAUniqueIndexDeleteIsNotInert() throws {
        // indexed: transaction 6 replaces a book, deleting its old unique title entry; later
        // transactions follow it.
        let units = try Self.units("clean/indexed.modelvault")
        let delete = try #require(units.firstIndex { $0.offset <= 10537 && 10537 < $0.end })
        #expect(delete < units.count - 1)
        #expect(try !Self.inert("clean/indexed.modelvault", dropping: delete))
    }

    @Test func aDeleteInTheLastUnitIsInertNothingFollowsIt() throws {
        let units = try Self.units("clean/indexed.modelvault")
        #expect(try Self.inert("clean/indexed.modelvault", dropping: units.count - 1))
    }

    @Test func unitsAfterTheLastKeptOneAreInertWhateverTheyHold() throws {
        let units = try Self.units("clean/basic.modelvault")
        let kept = [true, false, false]
        #expect(DropImpact.dropsAreInert(units: units, kept: kept, dropped: [1, 2], copy: "/nonexistent"))
    }

    @Test func aUnitThatCannotBeReadBackIsNotInert() throws {
        let units = try Self.units("clean/basic.modelvault")
        #expect(!DropImpact.dropsAreInert(units: units, kept: [true, false, true], dropped: [1], copy: "/nonexistent"))
    }
}
