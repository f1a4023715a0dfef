/*
** readfile.c -- whole input files into memory, within limits. See readfile.h.
*/
#include "readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Does buf[from..n) end a line longer than max_line? *line_start tracks
** where the current line began. */
static int line_too_long(const char *buf, size_t from, size_t n, size_t max_line,
                         size_t *line_start)
{
    for (const char *nl; from < n && (nl = memchr(buf + from, '\n', n - from));
         from = (size_t)(nl - buf) + 1) {
        if ((size_t)(nl - buf) - *line_start > max_line) return 1;
        *line_start = (size_t)(nl - buf) + 1;
    }
    return n - *line_start > max_line;
}

char *readfile(const char *path, size_t max_bytes, size_t max_line, size_t *len,
               readfile_status *status)
{
    *status = READFILE_ERRNO;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0, line_start = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t k = fread(buf + n, 1, cap - n, f);
        if (ferror(f)) break; /* errno from the read (a directory: EISDIR) */
        if (max_line && line_too_long(buf, n, n + k, max_line, &line_start)) {
            *status = READFILE_LONG_LINE;
            break;
        }
        n += k;
        if (max_bytes && n > max_bytes) {
            *status = READFILE_TOO_BIG;
            break;
        }
        if (n < cap) {
            fclose(f);
            buf[n] = 0;
            *len = n;
            *status = READFILE_OK;
            return buf;
        }
        char *nb = realloc(buf, 2 * cap + 1);
        if (!nb) {
            errno = ENOMEM;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    if (!buf) errno = ENOMEM;
    free(buf);
    fclose(f);
    return NULL;
}
