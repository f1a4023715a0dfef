/*
** test_readfile.c -- whole-file reading within limits (readfile.c).
** Expected values follow from the files written here: a limit is a maximum,
** so a file or line of exactly the limit is read and one byte more is not.
*/
#include "testlib.h"
#include "readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write 'text' (n bytes) to a fresh temporary file; its path into 'path'. */
static void write_tmp(char *path, const char *text, size_t n)
{
    strcpy(path, "/tmp/dtsim-readfile-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void test_whole_file(void **state)
{
    (void)state;
    char path[64];
    write_tmp(path, "ab\ncd\n", 6);
    size_t len = 0;
    readfile_status st;
    char *s = readfile(path, 0, 0, &len, &st);
    assert_non_null(s);
    assert_int_equal(st, READFILE_OK);
    assert_int_equal(len, 6);
    assert_string_equal(s, "ab\ncd\n");
    free(s);
    unlink(path);
    /* past the first 64 KiB buffer: 200,000 bytes come back whole */
    size_t big = 200000;
    char *text = malloc(big);
    assert_non_null(text);
    for (size_t i = 0; i < big; i++) text[i] = i % 100 == 99 ? '\n' : 'x';
    write_tmp(path, text, big);
    s = readfile(path, big, 100, &len, &st);
    assert_non_null(s);
    assert_int_equal(len, big);
    assert_memory_equal(s, text, big);
    free(s);
    /* one byte over max_bytes */
    assert_null(readfile(path, big - 1, 0, &len, &st));
    assert_int_equal(st, READFILE_TOO_BIG);
    free(text);
    unlink(path);
}

static void test_line_limit(void **state)
{
    (void)state;
    char path[64];
    size_t len;
    readfile_status st;
    /* lines of 3 and 4 bytes (newline not counted) */
    write_tmp(path, "abc\ndefg\nhi", 11);
    char *s = readfile(path, 0, 4, &len, &st);
    assert_non_null(s);
    free(s);
    assert_null(readfile(path, 0, 3, &len, &st));
    assert_int_equal(st, READFILE_LONG_LINE);
    unlink(path);
    /* the last line, without a newline, counts too */
    write_tmp(path, "ab\ncdefg", 8);
    assert_null(readfile(path, 0, 4, &len, &st));
    assert_int_equal(st, READFILE_LONG_LINE);
    unlink(path);
}

static void test_errors(void **state)
{
    (void)state;
    size_t len;
    readfile_status st;
    assert_null(readfile("/tmp", 0, 0, &len, &st));
    assert_int_equal(st, READFILE_ERRNO);
    assert_int_equal(errno, EISDIR);
    assert_null(readfile("/nonexistent/dtsim", 0, 0, &len, &st));
    assert_int_equal(st, READFILE_ERRNO);
    assert_int_equal(errno, ENOENT);
    /* an endless device is stopped by either limit */
    assert_null(readfile("/dev/zero", 1 << 20, 0, &len, &st));
    assert_int_equal(st, READFILE_TOO_BIG);
    assert_null(readfile("/dev/zero", 0, 1 << 16, &len, &st));
    assert_int_equal(st, READFILE_LONG_LINE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_file),
        cmocka_unit_test(test_line_limit),
        cmocka_unit_test(test_errors),
    };
    return RUN_TESTS("readfile", tests);
}
