/*
** test_sched_v.c -- V-shape schedules: ZB-V, V-Half, V-Min.
** Expected values: the op-order fixtures in tests/data/schedules (the
** authors' v_schedule.py / v_schedule_greedy.py output, provenance in each
** file), and the measured bubbles and peaks of SCHEDULES.md §8-§10.
** Units: with the V placement every op is a chunk op (half a stage); the
** tests give each chunk op cost 1, so bubbles are in chunk-op units and
** peaks in chunk units (2 per microbatch's stage activation).
*/
#include "testlib.h"
#include "sched.h"
#include "sched_fixture.h"

#include <gsl/gsl_rng.h>
#include <stdlib.h>
#include <string.h>

#define FX(name) TEST_PATH("tests/data/schedules/" name)

static void expect_fixture(sched_type type, const char *path)
{
    char why[512] = "";
    if (!fixture_reproduce(type, path, why, sizeof why)) {
        print_error("%s\n", why);
        fail();
    }
}

/* Build with chunk ops of cost 1 (stage op cost 2), no comm. */
static void build_unit(sched_type type, int p, int m, sched_t *s, sched_timing *t)
{
    char err[256] = "";
    int rc = sched_build_timed(type, p, m, 2, 2, 2, 2, 0, s, t, err, sizeof err);
    if (rc) print_error("%s p=%d m=%d: %s\n", sched_type_name(type), p, m, err);
    assert_int_equal(rc, 0);
}

static double worst_peak(const sched_timing *t)
{
    double x = 0;
    for (int d = 0; d < t->p; d++)
        if (t->dev_peak_mem[d] > x) x = t->dev_peak_mem[d];
    return x;
}

/* Exact op orders, makespans and stat lines of the authors' code: ZB-V
** (p=4, m = 8, 12, and T_F=5 T_B=6 T_W=4 T_comm=1 per chunk op), V-Half
** and V-Min (p=4, m = 8, 12). */
static void test_fixtures(void **state)
{
    (void)state;
    expect_fixture(SCHED_ZB_V, FX("zbv_p4_m8.txt"));
    expect_fixture(SCHED_ZB_V, FX("zbv_p4_m12.txt"));
    expect_fixture(SCHED_ZB_V, FX("zbv_p4_m8_uneven.txt"));
    expect_fixture(SCHED_V_HALF, FX("vhalf_p4_m8.txt"));
    expect_fixture(SCHED_V_HALF, FX("vhalf_p4_m12.txt"));
    expect_fixture(SCHED_V_MIN, FX("vmin_p4_m8.txt"));
    expect_fixture(SCHED_V_MIN, FX("vmin_p4_m12.txt"));
}

/* Complete and deadlock-free (sched_check) for p = 2..32 and m from p to
** 8p: the corners p, p+1, 2p-1, 2p, 8p and a stride. */
static void test_valid_grid(void **state)
{
    (void)state;
    static const sched_type types[] = {SCHED_ZB_V, SCHED_V_HALF, SCHED_V_MIN};
    for (int p = 2; p <= 32; p++) {
        int ms[] = {p, p + 1, 2 * p - 1, 2 * p, 3 * p + p / 2, 8 * p};
        for (size_t k = 0; k < sizeof ms / sizeof *ms; k++)
            for (size_t ti = 0; ti < 3; ti++) {
                char err[256] = "";
                sched_t s;
                sched_params prm = {.type = types[ti], .p = p, .m = ms[k]};
                int rc = sched_build(&prm, NULL, &s, err, sizeof err);
                if (rc) print_error("%s p=%d m=%d: %s\n", sched_type_name(types[ti]), p, ms[k], err);
                assert_int_equal(rc, 0);
                assert_int_equal(s.v, 2);
                assert_int_equal(sched_check(&s, err, sizeof err), 0);
                for (int d = 0; d < p; d++) assert_int_equal(s.n_ops[d], 6 * ms[k]);
                sched_free(&s);
            }
    }
}

/* ZB-V with equal chunk times (SCHEDULES.md §8, measured p = 2..8 by the
** authors' code): zero bubble in every device span once m >= 2p-1; below
** that we measure a worst span bubble of exactly 2p-1-m. Peak 2p chunk
** units (= p microbatches, 1F1B's) on every device. */
static void test_zbv_zero_bubble(void **state)
{
    (void)state;
    for (int p = 2; p <= 16; p++)
        for (int m = p; m <= 4 * p; m++) {
            sched_t s;
            sched_timing t;
            build_unit(SCHED_ZB_V, p, m, &s, &t);
            double want = m >= 2 * p - 1 ? 0 : 2 * p - 1 - m;
            assert_close(sched_worst_span_bubble(&t), want, 1e-9);
            for (int d = 0; d < p; d++) assert_close(t.dev_peak_mem[d], 2 * p, 0);
            sched_timing_free(&t);
            sched_free(&s);
        }
}

/* V-Half and V-Min worst span bubbles at m = 3p, chunk-op units
** (SCHEDULES.md §9, measured with the authors' code): V-Half 1, 5, 5, 11,
** 11, 17 and V-Min 3, 5, 11, 15, 17, 27 for p = 2, 3, 4, 5, 6, 8. For
** every p = 2..16 and m in {2p, 3p, 8p}: V-Half's bubble is below 1/2 and
** V-Min's below 2/3 of 1F1B's, simulated with the same stage times (1F1B
** runs stage ops: F = 2, B+W = 4), and V-Min's is at least V-Half's. */
static void test_vhalf_vmin_bubbles(void **state)
{
    (void)state;
    static const int ps[] = {2, 3, 4, 5, 6, 8};
    static const double half[] = {1, 5, 5, 11, 11, 17}, vmin[] = {3, 5, 11, 15, 17, 27};
    for (size_t k = 0; k < 6; k++) {
        sched_t s;
        sched_timing t;
        build_unit(SCHED_V_HALF, ps[k], 3 * ps[k], &s, &t);
        assert_close(sched_worst_span_bubble(&t), half[k], 1e-9);
        sched_timing_free(&t);
        sched_free(&s);
        build_unit(SCHED_V_MIN, ps[k], 3 * ps[k], &s, &t);
        assert_close(sched_worst_span_bubble(&t), vmin[k], 1e-9);
        sched_timing_free(&t);
        sched_free(&s);
    }
    for (int p = 2; p <= 16; p++) {
        int ms[] = {2 * p, 3 * p, 8 * p};
        for (size_t k = 0; k < 3; k++) {
            sched_t s1, sh, sm;
            sched_timing t1, th, tm;
            build_unit(SCHED_1F1B, p, ms[k], &s1, &t1);
            build_unit(SCHED_V_HALF, p, ms[k], &sh, &th);
            build_unit(SCHED_V_MIN, p, ms[k], &sm, &tm);
            double b1 = sched_worst_span_bubble(&t1);
            double bh = sched_worst_span_bubble(&th), bm = sched_worst_span_bubble(&tm);
            assert_close(b1, 6.0 * (p - 1), 1e-9);
            assert_true(bh < b1 / 2);
            assert_true(bm < 2 * b1 / 3);
            assert_true(bm >= bh);
            sched_timing_free(&t1);
            sched_timing_free(&th);
            sched_timing_free(&tm);
            sched_free(&s1);
            sched_free(&sh);
            sched_free(&sm);
        }
    }
}

/* Peaks in microbatches (stage units = chunk units / 2), worst device
** (SCHEDULES.md §9, measured p = 2..10 by the authors): V-Half
** floor((p+2)/2), V-Min floor((p+4)/3). Checked on p = 2..10, 17, 24 and
** the corners of m = p..8p; we measured the whole grid p = 2..32,
** m = p..8p once: the one exception is V-Half at p = m = 2 (3 chunk
** units, 1.5 microbatches). */
static void test_v_peaks(void **state)
{
    (void)state;
    for (int p = 2; p <= 24; p += (p < 10 ? 1 : 7)) {
        int ms[] = {p, p + 1, 2 * p - 1, 2 * p, 2 * p + 1, 3 * p, 5 * p, 8 * p};
        for (size_t k = 0; k < sizeof ms / sizeof *ms; k++) {
            int m = ms[k];
            sched_t s;
            sched_timing t;
            build_unit(SCHED_V_HALF, p, m, &s, &t);
            double want = p == 2 && m == 2 ? 1.5 : (p + 2) / 2;
            assert_close(worst_peak(&t) / 2, want, 0);
            sched_timing_free(&t);
            sched_free(&s);
            build_unit(SCHED_V_MIN, p, m, &s, &t);
            assert_close(worst_peak(&t) / 2, (p + 4) / 3, 0);
            sched_timing_free(&t);
            sched_free(&s);
        }
    }
}

/* ZB-V's mem_limit is in microbatches (2 chunk units each). The peak stays
** within it; from p up (the default, 1F1B's memory) the bubble is 0 at
** m = 3p. Below p the authors' greedy fails an assertion; ours skips a
** forward that does not fit, which trades bubble for memory. The bubbles
** below p (p=4, m=12: limit 2 -> 35, 3 -> 16, 3.5 -> 7 chunk ops) are
** regression values of our own generator, recorded when it was written: no
** reference exists for them (the authors' code refuses these limits), so
** they pin the behaviour, they do not validate it. A limit under one chunk's
** activation is an error. */
static void test_zbv_mem_limit(void **state)
{
    (void)state;
    for (int p = 2; p <= 8; p++)
        for (double lim = 1; lim <= 2 * p; lim += 0.5) {
            sched_params prm = {.type = SCHED_ZB_V, .p = p, .m = 3 * p, .mem_limit = lim};
            sched_t s;
            sched_timing t;
            char err[256] = "";
            int rc = sched_build(&prm, NULL, &s, err, sizeof err);
            if (rc) print_error("%s\n", err);
            assert_int_equal(rc, 0);
            double buf[3 * 16];
            sched_costs c;
            sched_costs_uniform(&c, buf, 2 * p, 1, 1, 1, 0);
            assert_int_equal(sched_time(&s, &c, &t), 0);
            assert_true(worst_peak(&t) <= 2 * lim);
            if (lim >= p) assert_close(sched_worst_span_bubble(&t), 0, 1e-9);
            if (p == 4 && lim == 2) assert_close(sched_worst_span_bubble(&t), 35, 1e-9);
            if (p == 4 && lim == 3) assert_close(sched_worst_span_bubble(&t), 16, 1e-9);
            if (p == 4 && lim == 3.5) assert_close(sched_worst_span_bubble(&t), 7, 1e-9);
            sched_timing_free(&t);
            sched_free(&s);
        }
    sched_params prm = {.type = SCHED_ZB_V, .p = 4, .m = 12, .mem_limit = 0.4};
    sched_t s;
    char err[256] = "";
    assert_int_equal(sched_build(&prm, NULL, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "memory"));
}

/* The cost-aware generators (ZB-1p, ZB-2p, ZB-V) on random per-stage
** costs (times 0.5..3 per virtual stage, comm 0..1; GSL mt19937, seed 7):
** always a valid schedule within the default memory limit (ZB-1p p,
** ZB-2p 2p microbatches, ZB-V 2p chunk units), which is what the
** heuristics guarantee (SCHEDULES.md §7, §8). */
static void test_random_costs(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    static const sched_type types[] = {SCHED_ZB_1P, SCHED_ZB_2P, SCHED_ZB_V};
    for (int trial = 0; trial < 60; trial++) {
        int p = 2 + (int)gsl_rng_uniform_int(rng, 11), m = p + (int)gsl_rng_uniform_int(rng, 4 * p);
        double t[3][32];
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < 2 * p; i++) t[k][i] = 0.5 + 2.5 * gsl_rng_uniform(rng);
        double comm = gsl_rng_uniform(rng);
        for (size_t ti = 0; ti < 3; ti++) {
            int v = types[ti] == SCHED_ZB_V ? 2 : 1;
            sched_costs c = {.n_vs = p * v, .t_f = t[0], .t_b = t[1], .t_w = t[2],
                             .t_comm = comm, .m_f = 1, .m_b = 0, .m_w = -1};
            sched_params prm = {.type = types[ti], .p = p, .m = m};
            sched_t s;
            sched_timing tm;
            char err[256] = "";
            int rc = sched_build(&prm, &c, &s, err, sizeof err);
            if (rc) print_error("%s p=%d m=%d: %s\n", sched_type_name(types[ti]), p, m, err);
            assert_int_equal(rc, 0);
            assert_int_equal(sched_time(&s, &c, &tm), 0);
            double lim = types[ti] == SCHED_ZB_1P ? p : 2 * p;
            assert_true(worst_peak(&tm) <= lim);
            sched_timing_free(&tm);
            sched_free(&s);
        }
    }
    gsl_rng_free(rng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_valid_grid),
        cmocka_unit_test(test_zbv_zero_bubble),
        cmocka_unit_test(test_vhalf_vmin_bubbles),
        cmocka_unit_test(test_v_peaks),
        cmocka_unit_test(test_zbv_mem_limit),
        cmocka_unit_test(test_random_costs),
    };
    return RUN_TESTS("sched_v", tests);
}
