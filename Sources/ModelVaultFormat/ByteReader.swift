/// A bounds-checked little-endian cursor over borrowed bytes.
///
/// Every read checks what remains first and throws a `FormatError` carrying the absolute
/// offset of the first missing byte; nothing is ever read past `bytes.count`. Lengths taken
/// from the input are checked against what remains before they are used.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    /// Absolute file offset of `bytes[0]`.
    public let baseOffset: UInt64
    public private(set) var position: Int = 0
    /// Values a checker visited with this reader: a work counter, for proving that the work
    /// an input asks for stays in proportion to its size.
    public var steps = 0
    /// How many structures `countStructure` allows before it throws `overBudget`.
    public var structureLimit = Int.max
    public private(set) var structures = 0

    public init(_ bytes: UnsafeRawBufferPointer, baseOffset: UInt64 = 0) {
        self.bytes = bytes
        self.baseOffset = baseOffset
    }

    /// Counts one structure built from the input (a field, a type, a path segment, an enum
    /// variant, a constraint, an index), so what a decoder builds stays within a memory budget
    /// however small each structure is on disk.
    public mutating func countStructure(weight: Int = 1) throws {
        structures += weight
        guard structures <= structureLimit else { throw FormatError(.overBudget(limit: structureLimit), at: offset) }
    }

    public var remaining: Int { bytes.count - position }
    public var isAtEnd: Bool { position == bytes.count }
    /// Absolute file offset of the next byte to read.
    public var offset: UInt64 { baseOffset + UInt64(position) }

    private func need(_ count: Int) throws {
        guard count <= remaining else {
            throw FormatError(.truncated(needed: count, available: remaining), at: offset)
        }
    }

    public mutating func u8() throws -> UInt8 {
        try need(1)
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func u16() throws -> UInt16 {
        try need(2)
        defer { position += 2 }
        return bytes.loadUnaligned(fromByteOffset: position, as: UInt16.self).littleEndian
    }

    public mutating func u32() throws -> UInt32 {
        try need(4)
        defer { position += 4 }
        return bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian
    }

    public mutating func u64() throws -> UInt64 {
        try need(8)
        defer { position += 8 }
        return bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self).littleEndian
    }

    public mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }

    public mutating func f64() throws -> Double { Double(bitPattern: try u64()) }

    /// A sub-range of `count` bytes, confined so a nested decoder cannot read its neighbour.
    public mutating func slice(_ count: Int) throws -> ByteReader {
        try need(count)
        let sub = ByteReader(
            UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)]),
            baseOffset: offset)
        position += count
        return sub
    }

    public mutating func bytes(_ count: Int) throws -> [UInt8] {
        Array(try view(count))
    }

    /// The next `count` bytes, borrowed (valid as long as the underlying buffer is).
    public mutating func view(_ count: Int) throws -> UnsafeRawBufferPointer {
        try need(count)
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// A length-prefixed run: u32 length, then that many bytes (checked against `maximum`
    /// and against what remains before anything is copied).
    public mutating func lengthPrefixed(field: String, maximum: Int) throws -> [UInt8] {
        Array(try lengthPrefixedView(field: field, maximum: maximum))
    }

    /// `lengthPrefixed`, borrowed.
    public mutating func lengthPrefixedView(field: String, maximum: Int) throws -> UnsafeRawBufferPointer {
        let at = offset
        let length = try u32()
        guard length <= maximum else {
            throw FormatError(.tooLong(field: field, length: UInt64(length), maximum: UInt64(maximum)), at: at)
        }
        return try view(Int(length))
    }

    /// A u32-length-prefixed UTF-8 string built straight from the borrowed bytes; nil when they
    /// are not UTF-8 (the bytes are consumed either way).
    public mutating func utf8String(field: String, maximum: Int) throws -> String? {
        let at = offset
        let length = try u32()
        guard length <= maximum else {
            throw FormatError(.tooLong(field: field, length: UInt64(length), maximum: UInt64(maximum)), at: at)
        }
        try need(Int(length))
        defer { position += Int(length) }
        return String(validating: bytes[position..<(position + Int(length))], as: UTF8.self)
    }

    /// A u32-length-prefixed UTF-8 string.
    public mutating func string(field: String, maximum: Int) throws -> String {
        let at = offset
        guard let text = try utf8String(field: field, maximum: maximum) else {
            throw FormatError(.invalid("\(field) is not valid UTF-8"), at: at)
        }
        return text
    }

    public mutating func skip(_ count: Int) throws {
        try need(count)
        position += count
    }

    /// Throws unless every byte has been consumed.
    public func expectEnd() throws {
        guard isAtEnd else { throw FormatError(.trailingBytes(count: remaining), at: offset) }
    }
}
