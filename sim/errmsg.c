/*
** errmsg.c -- caller-owned error messages (pure layer).
*/
#include "errmsg.h"

#include <stdarg.h>
#include <stdio.h>

void errmsg_set(char *err, size_t len, const char *fmt, ...)
{
    if (!err || !len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}
