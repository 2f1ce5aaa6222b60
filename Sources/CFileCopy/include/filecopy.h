#ifndef MV_FILECOPY_H
#define MV_FILECOPY_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Linux calls the C library declares only under _GNU_SOURCE, which Swift's Glibc module does
 * not see. Each returns what the call returns (-1 with errno set on failure); where the call
 * does not exist they fail with ENOSYS, and callers fall back to read and write.
 */

/// copy_file_range(2) between explicit offsets, which it advances.
ssize_t mv_copy_file_range(int fd_in, int64_t *off_in, int fd_out, int64_t *off_out, size_t length);

/// sync_file_range(2) with SYNC_FILE_RANGE_WRITE: starts writing back the range, does not wait.
int mv_start_writeback(int fd, int64_t offset, int64_t length);

#ifdef __cplusplus
}
#endif

#endif
