#define _GNU_SOURCE
#include "filecopy.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

ssize_t mv_copy_file_range(int fd_in, int64_t *off_in, int fd_out, int64_t *off_out, size_t length) {
#if defined(__linux__)
    loff_t in = (loff_t)*off_in, out = (loff_t)*off_out;
    ssize_t n = copy_file_range(fd_in, &in, fd_out, &out, length, 0);
    *off_in = (int64_t)in;
    *off_out = (int64_t)out;
    return n;
#else
    (void)fd_in; (void)off_in; (void)fd_out; (void)off_out; (void)length;
    errno = ENOSYS;
    return -1;
#endif
}

int mv_start_writeback(int fd, int64_t offset, int64_t length) {
#if defined(__linux__)
    return sync_file_range(fd, (off64_t)offset, (off64_t)length, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)length;
    errno = ENOSYS;
    return -1;
#endif
}
