/*
** test_errmsg.c -- caller-owned error messages (errmsg.c).
** Expected values: C11 snprintf semantics (truncate, always NUL-terminate).
*/
#include "testlib.h"
#include "errmsg.h"

#include <string.h>

static void test_errmsg(void **state)
{
    (void)state;
    char buf[8];
    errmsg_set(buf, sizeof buf, "%s:%d: %s", "f.csv", 12, "bad");
    assert_string_equal(buf, "f.csv:1"); /* 7 bytes + NUL */
    errmsg_set(buf, sizeof buf, "ok %d", 5);
    assert_string_equal(buf, "ok 5");
    memcpy(buf, "keep", 5);
    errmsg_set(buf, 0, "x");     /* no room: untouched */
    assert_string_equal(buf, "keep");
    errmsg_set(NULL, 10, "x");   /* no buffer: no-op */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errmsg),
    };
    return RUN_TESTS("errmsg", tests);
}
