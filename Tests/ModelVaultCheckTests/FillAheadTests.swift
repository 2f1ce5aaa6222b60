import Synchronization
import Testing
import Threads

@testable import ModelVaultCheck

#if canImport(Glibc)
    import Glibc
#endif

/// A cursor whose reads another thread does ahead of it reads the input as it is: the same
/// bytes in the same order through requests, streams, moves of its buffer and rewinds, and the
/// source's error where it happens, whichever thread did each read.
@Suite struct FillAheadTests {
    typealias Scripted = ReadAheadTests.Scripted

    /// Serves `fillAhead` on a thread of its own until stopped; how many reads it did.
    final class Filler: @unchecked Sendable {
        let fillAhead: FillAhead
        private let stopped = Atomic<Bool>(false)
        private var thread: WorkerThread?
        init(_ fillAhead: FillAhead) throws {
            self.fillAhead = fillAhead
            thread = WorkerThread(stackSize: 1 << 20) { [self] in
                while !stopped.load(ordering: .relaxed) {
                    if !fillAhead.serve() { sched_yield() }
                }
            }
            try #require(thread != nil)
        }
        func stop() {
            stopped.store(true, ordering: .relaxed)
            thread?.join()
            thread = nil
        }
    }

    /// Walks `data` through a cursor read ahead by another thread, asking for and consuming
    /// pseudo-random amounts, streaming now and then, and rewinding a little now and then: the
    /// bytes consumed (seen by `tap`, which sees rewound bytes once) are `data`.
    /// A buffer of 4096 bytes never has room for a read ahead; the others do.
    @Test(arguments: [(7, 4096), (65_536, 600_000), (1 << 20, 1 << 20)])
    func theBytesComeOutAsTheSourceGivesThem(chunk: Int, capacity: Int) throws {
        let data = ReadAheadTests.data
        let cursor = StreamCursor(source: Scripted(data, chunk: chunk), capacity: capacity)
        let fillAhead = FillAhead(source: cursor.source)
        cursor.fillAhead = fillAhead
        let filler = try Filler(fillAhead)
        defer { filler.stop() }
        var tapped: [UInt8] = []
        cursor.tap = { tapped += $0 }
        var consumed: [UInt8] = []
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        var steps = 0
        while !cursor.sourceEnded || cursor.available > 0 {
            steps += 1
            switch next(100) {
            case 0:
                let n = try cursor.stream(UInt64(next(200_000))) { consumed += $0 }
                if n == 0 { break }
            case 1 where consumed.count > 100:
                // Step back over bytes already consumed, handing them back to be read again.
                let back = 1 + next(100)
                let replay = Array(consumed.suffix(back))
                consumed.removeLast(back)
                try cursor.rewind(to: cursor.position - UInt64(back), replaying: replay)
            case 3 where cursor.readsAhead:
                // Gives the other thread the time it needs to do the read asked for (it may be
                // slow to be scheduled while other tests run).
                let served = fillAhead.served
                for _ in 0..<1000 where fillAhead.served == served { usleep(1000) }
            case 2:
                // As much as the buffer holds: the read asked for ahead is taken at once.
                let available = try cursor.request(1 + next(capacity))
                let n = min(available, next(50_000))
                consumed += cursor.window.prefix(n)
                try cursor.consume(n)
            default:
                // A segment's worth, as the walk asks: the other thread has time to read ahead.
                let available = try cursor.request(1 + next(100))
                let n = min(available, next(2000))
                consumed += cursor.window.prefix(n)
                try cursor.consume(n)
            }
        }
        _ = try cursor.drain()
        #expect(consumed.count == data.count && consumed == data)
        #expect(tapped.count == data.count && tapped == data)
        #expect(steps > 10)
        // The other thread did some of the reads (it does nothing else).
        if capacity >= 2 * StreamCursor.readSize { #expect(fillAhead.served > 0) }
    }

    /// The source's failure reaches the walk after every byte before it, whichever thread
    /// read when it failed.
    @Test func aFailureComesOutAfterTheBytesBeforeIt() throws {
        let data = Array(ReadAheadTests.data.prefix(1_000_000))
        let cursor = StreamCursor(source: Scripted(data, chunk: 65_536, failing: true), capacity: 1 << 20)
        let fillAhead = FillAhead(source: cursor.source)
        cursor.fillAhead = fillAhead
        let filler = try Filler(fillAhead)
        defer { filler.stop() }
        var consumed: [UInt8] = []
        #expect(throws: Scripted.Broken.self) {
            while true {
                // Everything buffered is consumed before more is asked for: the failure comes
                // when nothing is left.
                let available = try cursor.request(1)
                let n = min(available, 1000)
                consumed += cursor.window.prefix(n)
                try cursor.consume(n)
            }
        }
        let firstDifference = zip(consumed, data).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(
            consumed.count == data.count && firstDifference == nil,
            "\(consumed.count) bytes, first difference at \(String(describing: firstDifference))")
    }

    /// A cursor let go with a read asked for ahead leaves the other thread nothing to do in
    /// its buffer.
    @Test func aCursorLetGoWithdrawsItsReadAhead() throws {
        let fillAhead: FillAhead
        do {
            let cursor = StreamCursor(source: Scripted(ReadAheadTests.data, chunk: 1 << 20), capacity: 1 << 20)
            fillAhead = FillAhead(source: cursor.source)
            cursor.fillAhead = fillAhead
            try cursor.request(10)
        }
        #expect(!fillAhead.serve())
        #expect(fillAhead.served == 0)
    }

    /// A read asked for ahead may fill the buffer to its very end; streaming on from there
    /// takes those bytes and then reads on from the start of the buffer, rather than asking
    /// the source for nothing (which it answers as the end of the input).
    @Test func aReadAheadThatFillsTheBufferToItsEndDoesNotEndTheInput() throws {
        let data = ReadAheadTests.data
        let capacity = 4 * StreamCursor.readSize
        let cursor = StreamCursor(source: Scripted(data, chunk: 1 << 20), capacity: capacity)
        // No other thread: the walk does each read asked for ahead itself.
        cursor.fillAhead = FillAhead(source: cursor.source)
        var consumed: [UInt8] = []
        // Reads at 0 and (once more is wanted than is read) at 2 × readSize, asking for the
        // last quarter of the buffer ahead of each.
        try cursor.request(StreamCursor.readSize + 1)
        #expect(try cursor.request(2 * StreamCursor.readSize + 1) == 3 * StreamCursor.readSize)
        #expect(cursor.readsAhead)
        consumed += cursor.window
        try cursor.consume(cursor.available)
        let wanted = 2 * capacity
        let streamed = try cursor.stream(UInt64(wanted)) { consumed += $0 }
        #expect(streamed == UInt64(wanted))
        #expect(consumed == Array(data.prefix(consumed.count)))
        #expect(!cursor.sourceEnded)
    }
}
