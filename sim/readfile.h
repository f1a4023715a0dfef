/*
** readfile.h -- whole input files into memory, within limits (pure layer).
**
** Owns the one reader behind the JSON configs and the per-op traces: the
** file into a NUL-terminated buffer, refusing what cannot be the input it
** claims to be (/dev/zero has neither an end nor a newline, and would take
** all memory). Owns no state.
*/
#ifndef DTSIM_READFILE_H
#define DTSIM_READFILE_H

#include <stddef.h>

typedef enum {
    READFILE_OK = 0,
    READFILE_ERRNO,      /* open/read failed (or out of memory): see errno */
    READFILE_TOO_BIG,    /* more than max_bytes */
    READFILE_LONG_LINE   /* a line longer than max_line */
} readfile_status;

/* The whole of 'path' (caller frees; *len = its length in bytes), or NULL
** with *status saying why. max_bytes, max_line: 0 = no limit. */
char *readfile(const char *path, size_t max_bytes, size_t max_line, size_t *len,
               readfile_status *status);

#endif
