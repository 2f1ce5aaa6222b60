import ModelVaultCheck
import ModelVaultFormat
import TestSupport
import Testing

/// What `inspect` says of a file's checkpoint: the one the selected superblock points at,
/// whether the engine uses it (scripts/engine-crosscheck asks the engine), what it holds and
/// what replays after it, and the log's other Checkpoint segments.
@Suite struct CheckpointSummaryTests {
    static func summary(_ name: String, captureLimit: Int? = nil) throws -> CheckpointSummary? {
        var options = CheckOptions(deep: true)
        if let captureLimit { options.payloadCaptureLimit = captureLimit }
        return try Checker.check(path: Fixtures.url(name).path, command: "inspect", options: options).checkpoint
    }

    @Test func aUsedCheckpointSaysWhatItHoldsAndWhatReplaysAfterIt() throws {
        let c = try #require(try Self.summary("clean/checkpoint.modelvault"))
        #expect(c.offset == 9634)
        #expect(c.length == 362)
        #expect(c.version == 0)
        #expect(c.usedByEngine)
        #expect(c.notUsedBecause == nil)
        #expect(c.replayFromOffset == 10028)
        #expect(c.replayFromOnBoundary == true)
        #expect(c.collections == [.init(id: 1, name: "metrics", versions: 1, rows: 4)])
        #expect(c.indexStateBytes == 64)
        #expect(c.transactionsCovered == 5)
        #expect(c.transactionsReplayedAfter == 3)
        #expect(c.bytesReplayedAfter == 10921 - 10028)
        #expect(c.others.isEmpty)
    }

    @Test func anOlderCheckpointIsListedBesideTheOnePointedAt() throws {
        let c = try #require(try Self.summary("clean/checkpoint_twice.modelvault"))
        #expect(c.offset == 10376)
        #expect(c.usedByEngine)
        #expect(c.others == [.init(offset: 9634, length: 394, checksumsOK: true)])
        #expect(c.newerSegments == 0)
    }

    @Test func aPointerAtTheOlderCheckpointCountsTheNewerOne() throws {
        let c = try #require(try Self.summary("damaged/checkpoint_twice__cp_ptr_older.modelvault"))
        #expect(c.offset == 9634)
        #expect(c.usedByEngine)
        #expect(c.newerSegments == 1)
    }

    @Test(arguments: [
        ("checkpoint__cp_payload_flip", "segment payload checksum mismatch"),
        ("checkpoint__cp_header_crc", "no open of the file succeeds"),
        ("checkpoint__cp_version_1", "unsupported format version 0.1"),
        ("checkpoint__cp_ptr_at_manifest", "leads to a Manifest segment"),
        ("checkpoint__cp_ptr_past_eof", "outside the log"),
        ("checkpoint__flip_record_before_checkpoint", "cuts the file at 9108, before the checkpoint"),
        ("checkpoint__replay_from_inside_txn", "the engine refuses the file on it"),
        ("checkpoint__replay_from_before_end", "the engine refuses the file on it"),
    ])
    func anUnusedCheckpointSaysWhy(name: String, reason: String) throws {
        let c = try #require(try Self.summary("damaged/\(name).modelvault"))
        #expect(!c.usedByEngine)
        #expect(c.notUsedBecause?.contains(reason) == true, "\(c.notUsedBecause ?? "nil")")
    }

    @Test func aVersionTheEngineDoesNotReadIsShown() throws {
        let c = try #require(try Self.summary("damaged/checkpoint__cp_version_1.modelvault"))
        #expect(c.version == 1)
        #expect(c.replayFromOffset == nil)
    }

    @Test func replayFromInsideATransactionIsNotABoundary() throws {
        let c = try #require(try Self.summary("damaged/checkpoint__replay_from_inside_txn.modelvault"))
        #expect(c.replayFromOnBoundary == false)
    }

    @Test(arguments: ["clean/basic.modelvault", "clean/indexed.modelvault", "clean/typra051_minor5.modelvault"])
    func aFileWithoutCheckpointsHasNone(name: String) throws {
        #expect(try Self.summary(name) == nil)
    }

    /// A checkpoint too large to hold is decoded as it streams: the summary is the same.
    @Test(arguments: Fixtures.names("clean").filter { $0.contains("checkpoint") })
    func aStreamedCheckpointIsSummarisedAlike(name: String) throws {
        let whole = try #require(try Self.summary(name))
        let streamed = try #require(try Self.summary(name, captureLimit: 16))
        #expect(streamed == whole)
    }
}
