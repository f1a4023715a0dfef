/*
** test_numparse.c -- strict number fields (numparse.c). Expected values are
** the C literals themselves; the rejected forms are what strtod alone takes.
*/
#include "testlib.h"
#include "numparse.h"

static void test_accepts_decimals(void **state)
{
    (void)state;
    static const struct { const char *s; double v; } ok[] = {
        {"0", 0}, {"42", 42}, {"-1.5", -1.5}, {"+2", 2}, {".5", 0.5}, {"3.", 3},
        {"1e3", 1000}, {"2.5E-3", 0.0025}, {"601200", 601200}, {"1e300", 1e300},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        double v = -99;
        if (num_parse_decimal(ok[i].s, &v)) print_error("rejected '%s'\n", ok[i].s);
        assert_int_equal(num_parse_decimal(ok[i].s, &v), 0);
        assert_true(v == ok[i].v);
    }
}

static void test_rejects_the_rest(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", " 1", "1 ", "\t2", "0x10", "0X1p3", "inf", "-inf", "nan", "NaN", "1e400",
        "1,5", "12a", "e5", ".", "+", "-", "--1", "+-1", "1e", "node3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        double v = -99;
        if (!num_parse_decimal(bad[i], &v)) print_error("accepted '%s'\n", bad[i]);
        assert_int_equal(num_parse_decimal(bad[i], &v), -1);
        assert_true(v == -99); /* *out untouched */
    }
}

static void test_strips_a_bom(void **state)
{
    (void)state;
    char with[] = "\xef\xbb\xbf" "0,add,node1", without[] = "0,add,node1", part[] = "\xef\xbb" "x";
    num_strip_bom(with);
    num_strip_bom(without);
    num_strip_bom(part);
    assert_string_equal(with, "0,add,node1");
    assert_string_equal(without, "0,add,node1");
    assert_string_equal(part, "\xef\xbb" "x");
}

/* %g's 6 digits where they read back exactly; more where they would print a
** value past a bound as the bound (10000001 was "1e+07" after "<= 1e+07") */
static void test_text_reads_back(void **state)
{
    (void)state;
    assert_string_equal(num_text(10000001).s, "10000001");
    assert_string_equal(num_text(1e7).s, "1e+07");
    assert_string_equal(num_text(100000).s, "100000");
    assert_string_equal(num_text(100000.5).s, "100000.5");
    assert_string_equal(num_text(1000.0001).s, "1000.0001");
    assert_string_equal(num_text(0.1).s, "0.1");
    assert_string_equal(num_text(1e-300).s, "1e-300");
    assert_string_equal(num_text(-2.5).s, "-2.5");
    assert_string_equal(num_text(1.0 / 3).s, "0.3333333333333333");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_decimals),
        cmocka_unit_test(test_rejects_the_rest),
        cmocka_unit_test(test_strips_a_bom),
        cmocka_unit_test(test_text_reads_back),
    };
    return RUN_TESTS("numparse", tests);
}
