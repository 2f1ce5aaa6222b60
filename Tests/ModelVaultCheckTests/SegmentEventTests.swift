import Testing

@testable import ModelVaultCheck

@Suite struct SegmentEventTests {
    /// The walk makes an event for every segment outside a transaction's bodies (two markers
    /// and a Manifest per transaction) and hands it down by value: it must copy as bytes, with
    /// no reference counting or outlined copies (a marker's fault included).
    @Test func segmentEventsAreCopiedAsPlainBytes() {
        #expect(_isPOD(SegmentEvent.self))
    }
}
