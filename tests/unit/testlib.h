/*
** testlib.h -- what every unit test includes: cmocka, TAP output for prove,
** and a few helpers (relative tolerance asserts, path of the data folder).
*/
#ifndef DTSIM_TESTLIB_H
#define DTSIM_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>

#ifndef DTSIM_HOME
#define DTSIM_HOME "."
#endif
/* Absolute path of a file under the repository, e.g. TEST_PATH("tests/data/x"). */
#define TEST_PATH(rel) DTSIM_HOME "/" rel

/* |got - want| <= tol, printing both on failure. */
#define assert_close(got, want, tol) do {                                         \
        double g_ = (got), w_ = (want), t_ = (tol);                                \
        if (!(fabs(g_ - w_) <= t_)) {                                              \
            print_error("%s = %.12g, expected %.12g (tolerance %g)\n", #got, g_,    \
                        w_, t_);                                                   \
            fail();                                                                \
        }                                                                          \
    } while (0)

/* Relative tolerance: |got - want| <= rel * |want|. */
#define assert_rel(got, want, rel) do {                                           \
        double w2_ = (want);                                                       \
        assert_close((got), w2_, (rel) * fabs(w2_));                               \
    } while (0)

#define RUN_TESTS(name, tests)                                                     \
    (cmocka_set_message_output(CM_OUTPUT_TAP),                                     \
     cmocka_run_group_tests_name(name, tests, NULL, NULL))

#endif
