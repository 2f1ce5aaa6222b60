/// The newest intact Manifest a walk has passed, and the newest as of two marks: the last safe
/// point (no transaction open) and the latest TxnBegin. They say where a superblock of a kept
/// prefix can point, whichever model decides where the prefix ends.
struct ManifestTracker {
    private(set) var latest: UInt64?
    /// The newest intact Manifest before the last safe point.
    private(set) var atSafe: UInt64?
    /// The newest intact Manifest before the latest TxnBegin.
    private(set) var atBegin: UInt64?

    mutating func intact(at offset: UInt64) { latest = offset }
    /// A safe point has moved: the newest Manifest so far lies before it.
    mutating func markSafe() { atSafe = latest }
    /// A transaction begins at the safe point.
    mutating func markBegin() { atBegin = atSafe }
}
