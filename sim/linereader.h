/*
** linereader.h -- the content lines of a line-oriented input (pure layer).
**
** Owns the loop that every CSV and list reader shares (failure traces, the
** failure CSV, artifact tables, sequence-length files): a UTF-8 byte-order
** mark skipped, the line ending stripped, blank and '#' comment lines skipped
** (leading blanks allowed), a line longer than the buffer refused rather than
** split, and a read error (a directory) told apart from the end of the file.
** The caller owns the struct; the reader owns no other state.
*/
#ifndef DTSIM_LINEREADER_H
#define DTSIM_LINEREADER_H

#include <stddef.h>
#include <stdio.h>

#define LINE_READER_MAX 1024 /* bytes in a line, with its line ending */

typedef struct {
    FILE *f;
    int lineno;                  /* 1-based number of the line in 'line' */
    char line[LINE_READER_MAX];  /* the current line, without its ending */
} line_reader;

typedef enum {
    LINE_OK = 1,         /* the next content line is in r->line */
    LINE_END = 0,        /* no more lines */
    LINE_TOO_LONG = -1,  /* line r->lineno is longer than the buffer */
    LINE_READ_ERROR = -2 /* reading failed: see errno */
} line_status;

/* 0, or -1 with errno when the file cannot be opened. */
int line_reader_open(line_reader *r, const char *path);

/* The next content line (see line_status). */
line_status line_reader_next(line_reader *r);

/* After a negative status (or a failed open, as LINE_READ_ERROR): "PATH:LINE:
** line too long (more than N bytes)" or "PATH: cannot read: REASON" into err. */
void line_reader_error(const line_reader *r, line_status st, const char *path, char *err,
                       size_t errlen);

void line_reader_close(line_reader *r);

#endif
