#include "crc32c.h"
static uint32_t table[256];
static int ready;
static void init(void) {
    for (uint32_t i = 0; i < 256; i++) { uint32_t c = i; for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1; table[i] = c; }
    ready = 1;
}
uint32_t mv_crc32c_update_portable(uint32_t crc, const void *data, size_t length) {
    if (!ready) init();
    const unsigned char *p = data; crc = ~crc;
    while (length--) crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}
uint32_t mv_crc32c_update_hardware(uint32_t crc, const void *data, size_t length) { return mv_crc32c_update_portable(crc, data, length); }
int mv_crc32c_hardware_available(void) { return 0; }
uint32_t mv_crc32c_update(uint32_t crc, const void *data, size_t length) { return mv_crc32c_update_portable(crc, data, length); }
