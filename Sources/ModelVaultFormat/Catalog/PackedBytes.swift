#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Byte strings laid end to end in one allocation, each read back as a raw buffer: what a
/// loop run for every Record compares against without retaining a `String` or an array. Its
/// owner (a class) frees it in `deinit` with `deallocate()`.
struct PackedBytes {
    private let bytes: UnsafeMutableRawBufferPointer
    /// Per string, where it starts in `bytes` and how long it is; -1: absent.
    private let ranges: UnsafeMutableBufferPointer<(start: Int, count: Int)>

    init(_ strings: [[UInt8]?]) {
        bytes = .allocate(byteCount: strings.reduce(0) { $0 + ($1?.count ?? 0) }, alignment: 8)
        ranges = .allocate(capacity: strings.count)
        var end = 0
        for (i, string) in strings.enumerated() {
            guard let string else {
                ranges[i] = (end, -1)
                continue
            }
            if !string.isEmpty {
                UnsafeMutableRawBufferPointer(rebasing: bytes[end..<(end + string.count)]).copyBytes(from: string)
            }
            ranges[i] = (end, string.count)
            end += string.count
        }
    }

    var count: Int { ranges.count }

    /// String `index`, or nil when it was packed absent.
    @inline(__always)
    subscript(index: Int) -> UnsafeRawBufferPointer? {
        let range = ranges[index]
        guard range.count >= 0 else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[range.start..<(range.start + range.count)])
    }

    /// Whether one of the strings is exactly `candidate`.
    func contains(_ candidate: UnsafeRawBufferPointer) -> Bool {
        for index in 0..<count {
            if let string = self[index], Self.equal(string, candidate) { return true }
        }
        return false
    }

    /// Whether `a` and `b` hold the same bytes.
    @inline(__always)
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0 else { return true }
        return memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }

    func deallocate() {
        bytes.deallocate()
        ranges.deallocate()
    }
}
