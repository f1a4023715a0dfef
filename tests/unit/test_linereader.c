/*
** test_linereader.c -- content lines of line-oriented inputs (linereader.c).
** Expected values follow from the files written here: which lines are
** content, their 1-based numbers in the file, and where the buffer ends.
*/
#include "testlib.h"
#include "linereader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write 'text' to a fresh temporary file; its path into 'path'. */
static void write_tmp(char *path, const char *text)
{
    strcpy(path, "/tmp/dtsim-linereader-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void test_content_lines(void **state)
{
    (void)state;
    char path[64];
    /* a BOM, CRLF endings, a comment with leading blanks, a blank-only
    ** line, and a last line without its newline */
    write_tmp(path, "\xef\xbb\xbf" "a,1\r\n# c\n\n  # indented\n \t\nb,2\nc,3");
    line_reader r;
    assert_int_equal(line_reader_open(&r, path), 0);
    assert_int_equal(line_reader_next(&r), LINE_OK);
    assert_string_equal(r.line, "a,1");
    assert_int_equal(r.lineno, 1);
    assert_int_equal(line_reader_next(&r), LINE_OK);
    assert_string_equal(r.line, "b,2");
    assert_int_equal(r.lineno, 6);
    assert_int_equal(line_reader_next(&r), LINE_OK);
    assert_string_equal(r.line, "c,3");
    assert_int_equal(r.lineno, 7);
    assert_int_equal(line_reader_next(&r), LINE_END);
    line_reader_close(&r);
    line_reader_close(&r); /* twice is harmless */
    unlink(path);
    /* a BOM is only skipped at the start of the file */
    write_tmp(path, "x\n\xef\xbb\xbfy\n");
    assert_int_equal(line_reader_open(&r, path), 0);
    assert_int_equal(line_reader_next(&r), LINE_OK);
    assert_int_equal(line_reader_next(&r), LINE_OK);
    assert_string_equal(r.line, "\xef\xbb\xbfy");
    line_reader_close(&r);
    unlink(path);
}

static void test_long_line(void **state)
{
    (void)state;
    char path[64], err[256];
    /* the longest line that fits: LINE_READER_MAX - 2 bytes and its newline */
    size_t fit = LINE_READER_MAX - 2;
    char *text = malloc(2 * LINE_READER_MAX + 8);
    assert_non_null(text);
    memset(text, 'x', fit);
    strcpy(text + fit, "\nok\n");
    write_tmp(path, text);
    line_reader r;
    assert_int_equal(line_reader_open(&r, path), 0);
    assert_int_equal(line_reader_next(&r), LINE_OK);
    assert_int_equal(strlen(r.line), fit);
    assert_int_equal(line_reader_next(&r), LINE_OK);
    assert_string_equal(r.line, "ok");
    line_reader_close(&r);
    unlink(path);
    /* one byte more, on line 2: refused, not split */
    memset(text, 'x', fit + 1);
    text[fit + 1] = 0;
    char *two = malloc(2 * LINE_READER_MAX + 8);
    assert_non_null(two);
    snprintf(two, 2 * LINE_READER_MAX + 8, "a\n%s\nb\n", text);
    write_tmp(path, two);
    assert_int_equal(line_reader_open(&r, path), 0);
    assert_int_equal(line_reader_next(&r), LINE_OK);
    line_status st = line_reader_next(&r);
    assert_int_equal(st, LINE_TOO_LONG);
    assert_int_equal(r.lineno, 2);
    line_reader_error(&r, st, "f.csv", err, sizeof err);
    char want[64];
    snprintf(want, sizeof want, "f.csv:2: line too long (more than %d bytes)",
             LINE_READER_MAX - 2);
    assert_string_equal(err, want);
    line_reader_close(&r);
    unlink(path);
    free(two);
    free(text);
}

static void test_errors(void **state)
{
    (void)state;
    char err[256];
    line_reader r;
    assert_int_equal(line_reader_open(&r, "/nonexistent/dtsim"), -1);
    assert_int_equal(errno, ENOENT);
    line_reader_close(&r); /* a failed open leaves nothing to close */
    /* a directory opens but reads as an error, not as an empty file */
    assert_int_equal(line_reader_open(&r, "/tmp"), 0);
    line_status st = line_reader_next(&r);
    assert_int_equal(st, LINE_READ_ERROR);
    line_reader_error(&r, st, "/tmp", err, sizeof err);
    assert_string_equal(err, "/tmp: cannot read: Is a directory");
    line_reader_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_lines),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_errors),
    };
    return RUN_TESTS("linereader", tests);
}
