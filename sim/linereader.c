/*
** linereader.c -- the content lines of a line-oriented input. See linereader.h.
*/
#include "linereader.h"

#include <errno.h>
#include <string.h>

#include "numparse.h"

int line_reader_open(line_reader *r, const char *path)
{
    r->lineno = 0;
    r->line[0] = 0;
    r->f = fopen(path, "r");
    return r->f ? 0 : -1;
}

line_status line_reader_next(line_reader *r)
{
    while (fgets(r->line, sizeof r->line, r->f)) {
        char *s = r->line;
        if (++r->lineno == 1) num_strip_bom(s);
        if (!strchr(s, '\n') && !feof(r->f)) return LINE_TOO_LONG;
        s[strcspn(s, "\r\n")] = 0;
        const char *first = s + strspn(s, " \t");
        if (*first && *first != '#') return LINE_OK;
    }
    /* a directory opens, then fails to read: an error, not an empty file */
    return ferror(r->f) ? LINE_READ_ERROR : LINE_END;
}

void line_reader_error(const line_reader *r, line_status st, const char *path, char *err,
                       size_t errlen)
{
    if (st == LINE_TOO_LONG)
        snprintf(err, errlen, "%s:%d: line too long (more than %d bytes)", path, r->lineno,
                 LINE_READER_MAX - 2);
    else
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
}

void line_reader_close(line_reader *r)
{
    if (r->f) fclose(r->f);
    r->f = NULL;
}
