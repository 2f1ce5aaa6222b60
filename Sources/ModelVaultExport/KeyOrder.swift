import ModelVaultFormat

/// Bytes whose bytewise order is the order export lists keys in: integers numerically,
/// timestamps chronologically, floats numerically (`-0.0` as `0.0`, as the engine's key does),
/// strings and bytes bytewise. Two keys are the same row exactly when these bytes are equal,
/// as the engine's canonical keys are (docs/file-format.md §6.6).
enum KeyOrder {
    static func bytes(_ key: RowValue) -> [UInt8]? {
        switch key {
        case .bool(let flag): return [flag ? 1 : 0]
        case .int64(let number), .timestamp(let number): return bigEndian(UInt64(bitPattern: number) ^ (1 << 63))
        case .uint64(let number): return bigEndian(number)
        case .float64(let number):
            let bits = (number == 0 ? 0.0 : number).bitPattern
            return bigEndian(bits >> 63 == 1 ? ~bits : bits | 1 << 63)
        case .string(let text): return Array(text.utf8)
        case .bytes(let bytes), .uuid(let bytes): return bytes
        case .none, .list, .object: return nil
        }
    }

    private static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }
}
