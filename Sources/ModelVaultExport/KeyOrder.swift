import ModelVaultFormat

/// Bytes whose bytewise order is the order export lists keys in: integers numerically,
/// timestamps chronologically, floats numerically (`-0.0` as `0.0`, as the engine's key does),
/// strings and bytes bytewise. Two keys are the same row exactly when these bytes are equal,
/// as the engine's canonical keys are (docs/file-format.md §6.6).
enum KeyOrder {
    static func bytes(_ key: RowValue) -> [UInt8]? {
        var out: [UInt8] = []
        return append(key, to: &out) ? out : nil
    }

    /// Appends the order bytes of `key`; false (nothing appended) when it is not a scalar.
    static func append(_ key: RowValue, to out: inout [UInt8]) -> Bool {
        switch key {
        case .bool(let flag): out.append(flag ? 1 : 0)
        case .int64(let number), .timestamp(let number):
            appendBigEndian(UInt64(bitPattern: number) ^ (1 << 63), to: &out)
        case .uint64(let number): appendBigEndian(number, to: &out)
        case .float64(let number):
            let bits = (number == 0 ? 0.0 : number).bitPattern
            appendBigEndian(bits >> 63 == 1 ? ~bits : bits | 1 << 63, to: &out)
        case .string(let text): out += text.utf8
        case .bytes(let bytes), .uuid(let bytes): out += bytes
        case .none, .list, .object: return false
        }
        return true
    }

    private static func appendBigEndian(_ value: UInt64, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out += $0 }
    }
}
