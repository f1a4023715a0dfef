/*
** errmsg.h -- caller-owned error messages (pure layer).
**
** Owns the one helper every core module uses to fill the 'err'/'err_len'
** buffer its caller passes in (STYLE.md: no printing in library code, the
** caller decides what to do with the message). Owns no state.
*/
#ifndef DTSIM_ERRMSG_H
#define DTSIM_ERRMSG_H

#include <stddef.h>

/* printf-style message into 'err' (at most 'len' bytes, NUL-terminated,
** truncated if longer); does nothing when 'err' is NULL or 'len' is 0. */
void errmsg_set(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
