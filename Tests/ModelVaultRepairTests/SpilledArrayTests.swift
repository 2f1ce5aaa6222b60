import Testing

@testable import ModelVaultRepair

/// The ledger's storage: whatever goes out to the scratch file comes back the same, in place.
@Suite struct SpilledArrayTests {
    struct Pair: Equatable, BitwiseCopyable {
        var index: UInt64
        var square: UInt64
    }

    static func filled(_ count: Int) -> SpilledArray<Pair> {
        let array = SpilledArray<Pair>(blockSize: 4, memoryLimit: 8)
        for i in 0..<count { array.append(Pair(index: UInt64(i), square: UInt64(i * i))) }
        return array
    }

    @Test func elementsWrittenOutReadBackInOrderAndOutOfOrder() {
        let array = Self.filled(1000)
        #expect(array.count == 1000)
        #expect(array.map(\.index) == (0..<1000).map(UInt64.init))
        for i in [999, 0, 500, 3, 4, 998, 7] { #expect(array[i] == Pair(index: UInt64(i), square: UInt64(i * i))) }
    }

    @Test func removingPastTheTailBringsBlocksBack() {
        let array = Self.filled(40)
        for _ in 0..<30 { array.removeLast() }
        #expect(array.map(\.index) == (0..<10).map(UInt64.init))
        // Appending after a removal overwrites what was written out, not adds to it.
        for i in 10..<50 { array.append(Pair(index: UInt64(i), square: UInt64(i * i))) }
        #expect(array.map(\.index) == (0..<50).map(UInt64.init))
        #expect(array.allSatisfy { $0.square == $0.index * $0.index })
    }

    @Test func updatingAWrittenOutElementChangesItWhereItIs() {
        let array = Self.filled(100)
        array.update(2) { $0.square = 0 }
        array.update(99) { $0.square = 1 }
        #expect(array[2].square == 0)
        #expect(array[99].square == 1)
        #expect(array.count == 100)
        #expect(
            array.enumerated().allSatisfy { i, p in
                p.index == UInt64(i) && (i == 2 || i == 99 || p.square == UInt64(i * i))
            })
    }

    @Test func aSmallArrayNeverWritesOut() {
        let array = SpilledArray<Pair>(blockSize: 4, memoryLimit: 8)
        for i in 0..<11 { array.append(Pair(index: UInt64(i), square: 0)) }
        #expect(array.writtenOut == 0)
        array.append(Pair(index: 11, square: 0))
        #expect(array.writtenOut == 4)
    }
}
