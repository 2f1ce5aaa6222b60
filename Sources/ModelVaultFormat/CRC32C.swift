import CCRC32C

/// CRC-32C (Castagnoli), hardware-accelerated where the CPU allows.
public enum CRC32C {
    /// The CRC of `bytes`, or the continuation of `previous` (the CRC of the bytes before them).
    @inline(__always)
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return previous }
        return mv_crc32c_update(previous, base, bytes.count)
    }

    public static func checksum(_ bytes: [UInt8], continuing previous: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, continuing: previous) }
    }

    /// Whether `checksum` runs on the CPU's CRC-32C instruction.
    public static var isHardwareAccelerated: Bool { mv_crc32c_hardware_available() != 0 }

    /// The table-driven path, exposed so tests can hold both paths to the same vectors.
    public static func portableChecksum(_ bytes: [UInt8], continuing previous: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return previous }
            return mv_crc32c_update_portable(previous, base, raw.count)
        }
    }

    /// The SSE4.2 path; only meaningful when `isHardwareAccelerated`.
    public static func hardwareChecksum(_ bytes: [UInt8], continuing previous: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return previous }
            return mv_crc32c_update_hardware(previous, base, raw.count)
        }
    }
}
