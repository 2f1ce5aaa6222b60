/// Supplies a `ByteReader` with the bytes of a run too long to hold at once (a payload that
/// streams past): the reader asks for a contiguous stretch only when a read reaches beyond the
/// bytes it has.
public protocol ByteRefill: AnyObject {
    /// A buffer holding the run's bytes from absolute `offset` on, at least `count` of them
    /// (the caller has checked they exist). Bytes before `offset` may be dropped, and buffers
    /// returned earlier are no longer valid.
    func bytes(from offset: UInt64, count: Int) -> UnsafeRawBufferPointer
}

/// A bounds-checked little-endian cursor over borrowed bytes.
///
/// Every read checks what remains first and throws a `FormatError` carrying the absolute
/// offset of the first missing byte; nothing is ever read past the end of the run. Lengths
/// taken from the input are checked against what remains before they are used.
///
/// A reader over a run that streams (`init(run:refill:)`) holds only what one read needs:
/// views it returns stay valid until the next read, or from a `hold()` until its `release`.
public struct ByteReader {
    public private(set) var bytes: UnsafeRawBufferPointer
    /// Absolute file offset of `bytes[0]`.
    public private(set) var baseOffset: UInt64
    /// Index into `bytes` of the next byte to read.
    public private(set) var position: Int = 0
    /// Absolute offset one past the run's last byte.
    private let runEnd: UInt64
    /// Not retained: whoever makes a streaming reader keeps its refill alive while reading (as
    /// `PayloadPull` does). A retained reference would make every reader, streaming or not, cost
    /// reference counting on each copy, and readers are made for every marker, manifest and record.
    private unowned(unsafe) let refill: ByteRefill?
    /// Where a `hold()` asks that bytes be kept from (absolute), across refills.
    private var heldFrom: UInt64?
    /// Values a checker visited with this reader: a work counter, for proving that the work
    /// an input asks for stays in proportion to its size.
    public var steps = 0
    /// How many structures `countStructure` allows before it throws `overBudget`.
    public var structureLimit = Int.max
    public private(set) var structures = 0

    @inline(__always)
    public init(_ bytes: UnsafeRawBufferPointer, baseOffset: UInt64 = 0) {
        self.bytes = bytes
        self.baseOffset = baseOffset
        runEnd = baseOffset + UInt64(bytes.count)
        refill = nil
    }

    /// A reader over the `length` bytes from absolute `offset`, fetched through `refill` as
    /// reads reach them. The caller keeps `refill` alive while the reader is used.
    public init(run offset: UInt64, length: UInt64, refill: ByteRefill) {
        bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        baseOffset = offset
        runEnd = offset + length
        self.refill = refill
    }

    /// Counts one structure built from the input (a field, a type, a path segment, an enum
    /// variant, a constraint, an index), so what a decoder builds stays within a memory budget
    /// however small each structure is on disk.
    public mutating func countStructure(weight: Int = 1) throws(FormatError) {
        structures += weight
        guard structures <= structureLimit else { throw FormatError(.overBudget(limit: structureLimit), at: offset) }
    }

    /// Bytes left in the run.
    public var remaining: Int { Int(runEnd - offset) }
    public var isAtEnd: Bool { offset == runEnd }
    /// Absolute file offset of the next byte to read.
    public var offset: UInt64 { baseOffset + UInt64(position) }

    /// Keeps every byte from here on available to `view(at:count:)` until `release`, however
    /// the reader refills; returns what `release` restores (holds nest).
    public mutating func hold() -> UInt64? {
        defer { heldFrom = heldFrom ?? offset }
        return heldFrom
    }

    public mutating func release(_ previous: UInt64?) { heldFrom = previous }

    /// Moves back to `offset`, which must lie inside the current hold (a decoder that tried one
    /// reading and takes another).
    public mutating func rewind(to target: UInt64) {
        precondition(target >= (heldFrom ?? baseOffset) && target <= offset)
        if target < baseOffset, let refill {
            bytes = refill.bytes(from: target, count: 0)
            baseOffset = target
            position = 0
        } else {
            position = Int(target - baseOffset)
        }
    }

    /// Up to `count` of the bytes ahead, not consumed (a reader over borrowed bytes: the
    /// ones it holds).
    public func remainingBytes(upTo count: Int) -> UnsafeRawBufferPointer {
        let end = position + min(count, bytes.count - position)
        return UnsafeRawBufferPointer(rebasing: bytes[position..<end])
    }

    /// `count` bytes read earlier from absolute `start`, inside the current hold.
    public func view(at start: UInt64, count: Int) -> UnsafeRawBufferPointer {
        precondition(start >= baseOffset && start + UInt64(count) <= offset)
        let from = Int(start - baseOffset)
        return UnsafeRawBufferPointer(rebasing: bytes[from..<(from + count)])
    }

    @inline(__always)
    private mutating func need(_ count: Int) throws(FormatError) {
        guard count > bytes.count - position else { return }
        try needMore(count)
    }

    /// What `need` does when the bytes held fall short: kept out of line, so that every read
    /// inlined where it is made carries only the bounds test.
    @inline(never)
    private mutating func needMore(_ count: Int) throws(FormatError) {
        guard count <= remaining else {
            throw FormatError(.truncated(needed: count, available: remaining), at: offset)
        }
        fetch(count)
    }

    /// Makes `count` bytes from here contiguous in `bytes` (a streaming run; they exist).
    private mutating func fetch(_ count: Int) {
        guard let refill else { preconditionFailure("a reader over borrowed bytes reads only those") }
        let from = heldFrom ?? offset
        let here = offset
        bytes = refill.bytes(from: from, count: Int(here - from) + count)
        baseOffset = from
        position = Int(here - from)
    }

    @inline(__always)
    public mutating func u8() throws(FormatError) -> UInt8 {
        try need(1)
        defer { position += 1 }
        return bytes[position]
    }

    @inline(__always)
    public mutating func u16() throws(FormatError) -> UInt16 {
        try need(2)
        defer { position += 2 }
        return bytes.loadUnaligned(fromByteOffset: position, as: UInt16.self).littleEndian
    }

    @inline(__always)
    public mutating func u32() throws(FormatError) -> UInt32 {
        try need(4)
        defer { position += 4 }
        return bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian
    }

    @inline(__always)
    public mutating func u64() throws(FormatError) -> UInt64 {
        try need(8)
        defer { position += 8 }
        return bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self).littleEndian
    }

    public mutating func i64() throws(FormatError) -> Int64 { Int64(bitPattern: try u64()) }

    public mutating func f64() throws(FormatError) -> Double { Double(bitPattern: try u64()) }

    /// A sub-range of `count` bytes, confined so a nested decoder cannot read its neighbour.
    /// Over a streaming run, the slice is made contiguous first.
    public mutating func slice(_ count: Int) throws(FormatError) -> ByteReader {
        try need(count)
        let sub = ByteReader(
            UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)]),
            baseOffset: offset)
        position += count
        return sub
    }

    public mutating func bytes(_ count: Int) throws(FormatError) -> [UInt8] {
        Array(try view(count))
    }

    /// The next `count` bytes, borrowed (valid as long as the underlying buffer is).
    @inline(__always)
    public mutating func view(_ count: Int) throws(FormatError) -> UnsafeRawBufferPointer {
        try need(count)
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// A length-prefixed run: u32 length, then that many bytes (checked against `maximum`
    /// and against what remains before anything is copied).
    public mutating func lengthPrefixed(field: FormatError.Field, maximum: Int) throws(FormatError) -> [UInt8] {
        Array(try lengthPrefixedView(field: field, maximum: maximum))
    }

    /// `lengthPrefixed`, borrowed.
    public mutating func lengthPrefixedView(field: FormatError.Field, maximum: Int) throws(FormatError)
        -> UnsafeRawBufferPointer
    {
        let at = offset
        let length = try u32()
        guard length <= maximum else {
            throw FormatError(.tooLong(field: field, length: UInt64(length), maximum: UInt64(maximum)), at: at)
        }
        return try view(Int(length))
    }

    /// Steps over a length-prefixed run (checked as `lengthPrefixed` checks it).
    public mutating func skipLengthPrefixed(field: FormatError.Field, maximum: Int) throws(FormatError) {
        let at = offset
        let length = try u32()
        guard length <= maximum else {
            throw FormatError(.tooLong(field: field, length: UInt64(length), maximum: UInt64(maximum)), at: at)
        }
        try skip(Int(length))
    }

    /// A u32-length-prefixed UTF-8 string built straight from the borrowed bytes; nil when they
    /// are not UTF-8 (the bytes are consumed either way).
    public mutating func utf8String(field: FormatError.Field, maximum: Int) throws(FormatError) -> String? {
        let at = offset
        let length = try u32()
        guard length <= maximum else {
            throw FormatError(.tooLong(field: field, length: UInt64(length), maximum: UInt64(maximum)), at: at)
        }
        try need(Int(length))
        defer { position += Int(length) }
        return String(validating: bytes[position..<(position + Int(length))], as: UTF8.self)
    }

    /// A u32-length-prefixed UTF-8 string whose only bound is what remains: its bytes count
    /// against the structure budget, one structure per `bytesPerStructure` (after the check
    /// against what remains, which the engine makes first).
    public mutating func budgetedString(field: FormatError.Field, bytesPerStructure: Int) throws(FormatError) -> String
    {
        let at = offset
        let length = try u32()
        guard Int(length) <= remaining else {
            throw FormatError(.truncated(needed: Int(length), available: remaining), at: offset)
        }
        try countStructure(weight: Int(length) / bytesPerStructure)
        try need(Int(length))
        defer { position += Int(length) }
        guard let text = String(validating: bytes[position..<(position + Int(length))], as: UTF8.self) else {
            throw FormatError(.notUTF8(field: field), at: at)
        }
        return text
    }

    /// A u32-length-prefixed UTF-8 string.
    public mutating func string(field: FormatError.Field, maximum: Int) throws(FormatError) -> String {
        let at = offset
        guard let text = try utf8String(field: field, maximum: maximum) else {
            throw FormatError(.notUTF8(field: field), at: at)
        }
        return text
    }

    /// Steps over `count` bytes; over a streaming run, without making them contiguous.
    public mutating func skip(_ count: Int) throws(FormatError) {
        if refill != nil, heldFrom == nil, count > bytes.count - position {
            guard count <= remaining else {
                throw FormatError(.truncated(needed: count, available: remaining), at: offset)
            }
            baseOffset = offset + UInt64(count)
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            position = 0
            return
        }
        try need(count)
        position += count
    }

    /// Throws unless every byte has been consumed.
    public func expectEnd() throws(FormatError) {
        guard isAtEnd else { throw FormatError(.trailingBytes(count: remaining), at: offset) }
    }
}
