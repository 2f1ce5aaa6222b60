#ifndef MV_CRC32C_H
#define MV_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value and
 * final xor 0xFFFFFFFF.
 *
 * Every function continues a CRC the way zlib's crc32() does: pass 0 to start,
 * and pass a previously returned value to extend it. The pre/post conditioning
 * is applied inside, so update(update(0, a, n), b, m) is the CRC of a || b.
 * `data` may have any alignment; it may be NULL only when `length` is 0.
 */

/// Computes with the fastest implementation this CPU supports (chosen once).
uint32_t mv_crc32c_update(uint32_t crc, const void *data, size_t length);

/// Table-driven (slicing-by-8) implementation; runs on any CPU.
uint32_t mv_crc32c_update_portable(uint32_t crc, const void *data, size_t length);

/// SSE4.2 crc32 instruction implementation. Call only when
/// mv_crc32c_hardware_available() returns 1; on non-x86_64 builds it forwards
/// to the portable implementation.
uint32_t mv_crc32c_update_hardware(uint32_t crc, const void *data, size_t length);

/// 1 when the CPU has SSE4.2 (x86_64 only), otherwise 0.
int mv_crc32c_hardware_available(void);

#ifdef __cplusplus
}
#endif

#endif
