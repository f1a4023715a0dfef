/*
** numparse.c -- strict number fields of the CSV inputs (pure layer).
*/
#include "numparse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int num_parse_decimal(const char *s, double *out)
{
    const char *p = s + (*s == '+' || *s == '-');
    if (!(isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) ||
        strpbrk(p, "xX"))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

void num_strip_bom(char *line)
{
    static const char bom[] = "\xef\xbb\xbf";
    if (!strncmp(line, bom, 3)) memmove(line, line + 3, strlen(line + 3) + 1);
}

num_text_buf num_text(double x)
{
    num_text_buf t;
    for (int digits = 6; digits <= 17; digits++) {
        snprintf(t.s, sizeof t.s, "%.*g", digits, x);
        if (strtod(t.s, NULL) == x) break;
    }
    return t;
}
