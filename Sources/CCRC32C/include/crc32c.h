#ifndef MV_CRC32C_H
#define MV_CRC32C_H
#include <stddef.h>
#include <stdint.h>
uint32_t mv_crc32c_update(uint32_t crc, const void *data, size_t length);
uint32_t mv_crc32c_update_portable(uint32_t crc, const void *data, size_t length);
uint32_t mv_crc32c_update_hardware(uint32_t crc, const void *data, size_t length);
int mv_crc32c_hardware_available(void);
#endif
