/// Fixed positions and limits of the ModelVault file layout (docs/file-format.md §2, §3, §5).
public enum Layout {
    public static let fileHeaderSize = 32
    public static let superblockSize = 4096
    public static let superblockAOffset: UInt64 = 32
    public static let superblockBOffset: UInt64 = 4128
    /// Where the segment log begins: header plus both superblocks.
    public static let logStart: UInt64 = 8224
    public static let segmentHeaderSize = 32
    /// The largest payload length a segment header may claim (64 MiB).
    public static let maxPayloadLength: UInt64 = 67_108_864
    /// Format minors the engine accepts.
    public static let supportedMinors: ClosedRange<UInt16> = 2...6
    /// The first minor that frames writes in transactions.
    public static let transactionalMinor: UInt16 = 6
}
