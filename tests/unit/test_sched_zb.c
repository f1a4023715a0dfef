/*
** test_sched_zb.c -- ZB-H1, ZB-H2, ZB-1p, ZB-2p generators and the
** activation-memory curve (sched_mem_profile).
** Expected values: the op-order fixtures in tests/data/schedules (the
** authors' scheduler output or hand rule, provenance in each file), the
** closed forms of SCHEDULES.md §4 and §6, and the peaks of SCHEDULES.md §10.
*/
#include "testlib.h"
#include "sched.h"
#include "sched_fixture.h"

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

static void build_timed(sched_type type, int p, int m, double tf, double tb, double tw,
                        double tc, sched_t *s, sched_timing *t)
{
    char err[256] = "";
    int rc = sched_build_timed(type, p, m, 1, tf, tb, tw, tc, s, t, err, sizeof err);
    if (rc) print_error("%s p=%d m=%d: %s\n", sched_type_name(type), p, m, err);
    assert_int_equal(rc, 0);
}

/* The generators reproduce every zero-bubble fixture exactly: op order,
** makespan and per-device start/end/busy/bubble/peak. zb1p/zb2p files are
** the authors' auto_schedule.py output (T = 1/1/1 and the uneven
** T_F=5, T_B=6, T_W=4, T_comm=1); zbh1/zbh2 the authors' hand rule. */
static void test_fixtures(void **state)
{
    (void)state;
    expect_fixture(SCHED_ZB_H1, FX("zbh1_p4_m8.txt"));
    expect_fixture(SCHED_ZB_H1, FX("zbh1_p4_m12.txt"));
    expect_fixture(SCHED_ZB_H2, FX("zbh2_p4_m8.txt"));
    expect_fixture(SCHED_ZB_H2, FX("zbh2_p4_m12.txt"));
    expect_fixture(SCHED_ZB_1P, FX("zb1p_p4_m8.txt"));
    expect_fixture(SCHED_ZB_1P, FX("zb1p_p4_m12.txt"));
    expect_fixture(SCHED_ZB_1P, FX("zb1p_p4_m8_uneven.txt"));
    expect_fixture(SCHED_ZB_2P, FX("zb2p_p4_m8.txt"));
    expect_fixture(SCHED_ZB_2P, FX("zb2p_p4_m12.txt"));
    expect_fixture(SCHED_ZB_2P, FX("zb2p_p4_m8_uneven.txt"));
}

/* Every schedule is complete and deadlock-free (sched_check) for p = 2..32
** and m from p to 8p: the corners p, p+1, 2p-1, 2p, 8p and a stride. */
static void test_valid_grid(void **state)
{
    (void)state;
    static const sched_type types[] = {SCHED_ZB_H1, SCHED_ZB_H2, SCHED_ZB_1P, SCHED_ZB_2P};
    for (int p = 2; p <= 32; p++) {
        int ms[] = {p, p + 1, 2 * p - 1, 2 * p, 3 * p + p / 2, 8 * p};
        for (size_t k = 0; k < sizeof ms / sizeof *ms; k++)
            for (size_t ti = 0; ti < sizeof types / sizeof *types; ti++) {
                char err[256] = "";
                sched_t s;
                sched_params prm = {.type = types[ti], .p = p, .m = ms[k]};
                int rc = sched_build(&prm, NULL, &s, err, sizeof err);
                if (rc) print_error("%s p=%d m=%d: %s\n", sched_type_name(types[ti]), p, ms[k], err);
                assert_int_equal(rc, 0);
                assert_int_equal(sched_check(&s, err, sizeof err), 0);
                for (int d = 0; d < p; d++) assert_int_equal(s.n_ops[d], 3 * ms[k]);
                sched_free(&s);
            }
    }
}

/* Equal times T_F = T_B = T_W = 1, no comm. ZB-H1 (SCHEDULES.md §6):
** makespan - busy = (p-1)(T_F+T_B-T_W) on every device, and the worst
** device span bubble the same, i.e. exactly 1/3 of 1F1B's
** (p-1)(T_F+T_B+T_W), which we simulate rather than assume. ZB-H2 (and
** ZB-2p): zero bubble in every device span once m >= 2p-1, the makespan
** then being the span plus the (p-1) T_F start offset. */
static void test_equal_times_bubbles(void **state)
{
    (void)state;
    for (int p = 2; p <= 16; p++)
        for (int m = p; m <= 4 * p; m++) {
            sched_t s1, sh1, sh2, s2p;
            sched_timing t1, th1, th2, t2p;
            build_timed(SCHED_1F1B, p, m, 1, 1, 1, 0, &s1, &t1);
            build_timed(SCHED_ZB_H1, p, m, 1, 1, 1, 0, &sh1, &th1);
            build_timed(SCHED_ZB_H2, p, m, 1, 1, 1, 0, &sh2, &th2);
            build_timed(SCHED_ZB_2P, p, m, 1, 1, 1, 0, &s2p, &t2p);
            for (int d = 0; d < p; d++) {
                double b1 = t1.makespan - t1.dev_busy[d], bh1 = th1.makespan - th1.dev_busy[d];
                assert_close(b1, 3.0 * (p - 1), 1e-9);
                assert_close(bh1, 1.0 * (p - 1), 1e-9);
                assert_close(bh1, b1 / 3, 1e-9);
            }
            assert_close(sched_worst_span_bubble(&th1), sched_worst_span_bubble(&t1) / 3, 1e-9);
            if (m >= 2 * p - 1) {
                for (int d = 0; d < p; d++) {
                    assert_close(th2.dev_last_end[d] - th2.dev_first_start[d], th2.dev_busy[d], 1e-9);
                    assert_close(t2p.dev_last_end[d] - t2p.dev_first_start[d], t2p.dev_busy[d], 1e-9);
                }
                assert_close(th2.makespan, 3.0 * m + (p - 1), 1e-9);
            }
            sched_timing_free(&t1);
            sched_timing_free(&th1);
            sched_timing_free(&th2);
            sched_timing_free(&t2p);
            sched_free(&s1);
            sched_free(&sh1);
            sched_free(&sh2);
            sched_free(&s2p);
        }
}

/* Unequal times, T = 1..6 each, no comm (SCHEDULES.md §6; the authors
** checked p = 2..6). ZB-H1: bubble (p-1)(T_F+T_B-T_W) when T_W <=
** min(T_F, T_B), as makespan - busy on every device and as the worst span
** bubble, for every m >= p. ZB-H2: worst span bubble (p-1)(T_F+T_B-2T_W)
** when T_W <= T_F and 2T_W <= T_F+T_B, for m >= 2p-1 (measured: it fails
** at m = 2p-2). */
static void test_unequal_closed_forms(void **state)
{
    (void)state;
    for (int p = 2; p <= 6; p++) {
        int ms[] = {p, 2 * p - 1, 3 * p};
        for (size_t k = 0; k < 3; k++)
            for (int tf = 1; tf <= 6; tf++)
                for (int tb = 1; tb <= 6; tb++)
                    for (int tw = 1; tw <= 6; tw++) {
                        int m = ms[k];
                        sched_t s;
                        sched_timing t;
                        if (tw <= tf && tw <= tb) {
                            double want = (p - 1) * (tf + tb - tw);
                            build_timed(SCHED_ZB_H1, p, m, tf, tb, tw, 0, &s, &t);
                            for (int d = 0; d < p; d++)
                                assert_close(t.makespan - t.dev_busy[d], want, 1e-9);
                            assert_close(sched_worst_span_bubble(&t), want, 1e-9);
                            sched_timing_free(&t);
                            sched_free(&s);
                        }
                        if (tw <= tf && 2 * tw <= tf + tb && m >= 2 * p - 1) {
                            build_timed(SCHED_ZB_H2, p, m, tf, tb, tw, 0, &s, &t);
                            assert_close(sched_worst_span_bubble(&t), (p - 1) * (tf + tb - 2 * tw), 1e-9);
                            sched_timing_free(&t);
                            sched_free(&s);
                        }
                    }
    }
}

/* Peak live microbatches (SCHEDULES.md §6, §7, §10), measured over
** p = 2..24, m = p..8p: 1F1B, ZB-H1 and ZB-1p p; ZB-H2 min(2p-1, m);
** ZB-2p min(2p, m) (<= 2p, the limit). Worst device. */
static void test_peaks(void **state)
{
    (void)state;
    static const sched_type types[] = {SCHED_1F1B, SCHED_ZB_H1, SCHED_ZB_1P, SCHED_ZB_H2,
                                       SCHED_ZB_2P};
    for (int p = 2; p <= 24; p += (p < 8 ? 1 : 4))
        for (int m = p; m <= 8 * p; m += (m < 2 * p + 1 ? 1 : p / 2 + 1))
            for (size_t ti = 0; ti < 5; ti++) {
                sched_t s;
                sched_timing t;
                build_timed(types[ti], p, m, 1, 1, 1, 0, &s, &t);
                double peak = 0;
                for (int d = 0; d < p; d++)
                    if (t.dev_peak_mem[d] > peak) peak = t.dev_peak_mem[d];
                double want = types[ti] == SCHED_ZB_H2 ? (2 * p - 1 < m ? 2 * p - 1 : m)
                            : types[ti] == SCHED_ZB_2P ? (2 * p < m ? 2 * p : m) : p;
                assert_close(peak, want, 0);
                sched_timing_free(&t);
                sched_free(&s);
            }
}

/* ZB-1p takes ZB-H1's order (SCHEDULES.md §7: p=4, m = 8 and 12, equal
** times; m=8, T=5/6/4, T_comm=1). Measured here over p = 2..16 and
** m = p..4p for those costs and T=1/2/1: the same except at m = p for
** p >= 3, where device 1 of ZB-1p runs all its forwards before B0 (the
** warm-up trim of §7 stops once a device would run out of forwards). */
static void test_zb1p_is_zbh1(void **state)
{
    (void)state;
    static const double T[][4] = {{1, 1, 1, 0}, {5, 6, 4, 1}, {1, 2, 1, 0}};
    for (size_t ti = 0; ti < 3; ti++)
        for (int p = 2; p <= 16; p++)
            for (int m = p; m <= 4 * p; m++) {
                double buf[3 * 16];
                sched_costs c;
                sched_costs_uniform(&c, buf, p, T[ti][0], T[ti][1], T[ti][2], T[ti][3]);
                sched_params a = {.type = SCHED_ZB_1P, .p = p, .m = m};
                sched_params b = {.type = SCHED_ZB_H1, .p = p, .m = m};
                sched_t sa, sb;
                char err[256], why[256] = "";
                assert_int_equal(sched_build(&a, &c, &sa, err, sizeof err), 0);
                assert_int_equal(sched_build(&b, &c, &sb, err, sizeof err), 0);
                int same = fixture_same_order(&sa, &sb, why, sizeof why);
                int want = m > p || p == 2;
                if (same != want) print_error("p=%d m=%d T=%zu: %s\n", p, m, ti, why);
                assert_int_equal(same, want);
                sched_free(&sa);
                sched_free(&sb);
            }
}

/* sched_params.mem_limit overrides Lim = p resp. 2p (in microbatches):
** the peak stays within it; a limit below one microbatch is an error. */
static void test_mem_limit(void **state)
{
    (void)state;
    for (int p = 2; p <= 8; p++)
        for (double lim = 1; lim <= 3 * p; lim += 0.5) {
            sched_type types[] = {SCHED_ZB_1P, SCHED_ZB_2P};
            for (int ti = 0; ti < 2; ti++) {
                sched_params prm = {.type = types[ti], .p = p, .m = 4 * p, .mem_limit = lim};
                sched_t s;
                sched_timing t;
                char err[256] = "";
                int rc = sched_build(&prm, NULL, &s, err, sizeof err);
                if (rc) print_error("%s\n", err);
                assert_int_equal(rc, 0);
                double buf[3 * 8];
                sched_costs c;
                sched_costs_uniform(&c, buf, p, 1, 1, 1, 0);
                assert_int_equal(sched_time(&s, &c, &t), 0);
                for (int d = 0; d < p; d++) assert_true(t.dev_peak_mem[d] <= lim);
                sched_timing_free(&t);
                sched_free(&s);
            }
        }
    sched_params prm = {.type = SCHED_ZB_1P, .p = 4, .m = 8, .mem_limit = 0.5};
    sched_t s;
    char err[256] = "";
    assert_int_equal(sched_build(&prm, NULL, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "memory"));
}

/* Costs that do not match the pipeline, or a memory model without a
** release, are refused with a message. */
static void test_bad_costs(void **state)
{
    (void)state;
    double buf[3 * 4];
    sched_costs c;
    sched_costs_uniform(&c, buf, 3, 1, 1, 1, 0);
    sched_params prm = {.type = SCHED_ZB_2P, .p = 4, .m = 8};
    sched_t s;
    char err[256] = "";
    assert_int_equal(sched_build(&prm, &c, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "virtual stages"));
    sched_costs_uniform(&c, buf, 4, 1, 1, 1, 0);
    c.m_w = 0;
    assert_int_equal(sched_build(&prm, &c, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "m_w"));
    /* B may free memory (m_b <= 0: its input gradients replace the
    ** activations) but never allocate it: m_b = +0.5 is refused */
    sched_costs_uniform(&c, buf, 4, 1, 1, 1, 0);
    c.m_b = 0.5;
    err[0] = 0;
    assert_int_equal(sched_build(&prm, &c, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "m_b <= 0"));
    c.m_f = 0; /* F must allocate */
    c.m_b = 0;
    assert_int_equal(sched_build(&prm, &c, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "m_f > 0"));
}

/* The memory curve by hand: ZB-H1, p=2, m=2, T=1. Device 0 runs F0 [0,1]
** F1 [1,2] B0 [3,4] W0 [4,5] B1 [5,6] W1 [6,7]; device 1 runs F0 [1,2]
** B0 [2,3] F1 [3,4] B1 [4,5] W0 [5,6] W1 [6,7]. F adds 1 at its start, W
** frees 1 at its end. */
static void test_mem_profile_by_hand(void **state)
{
    (void)state;
    sched_t s;
    sched_timing t;
    build_timed(SCHED_ZB_H1, 2, 2, 1, 1, 1, 0, &s, &t);
    double buf[6];
    sched_costs c;
    sched_costs_uniform(&c, buf, 2, 1, 1, 1, 0);
    sched_mem_curve mc;
    assert_int_equal(sched_mem_profile(&s, &t, &c, &mc), 0);
    static const double t0[] = {0, 1, 5, 7}, v0[] = {1, 2, 1, 0};
    static const double t1[] = {0, 1, 3, 6, 7}, v1[] = {0, 1, 2, 1, 0};
    assert_int_equal(mc.n_pts[0], 4);
    assert_int_equal(mc.n_pts[1], 5);
    for (int k = 0; k < 4; k++) {
        assert_close(mc.t_s[0][k], t0[k], 0);
        assert_close(mc.live[0][k], v0[k], 0);
    }
    for (int k = 0; k < 5; k++) {
        assert_close(mc.t_s[1][k], t1[k], 0);
        assert_close(mc.live[1][k], v1[k], 0);
    }
    assert_close(mc.peak[0], 2, 0);
    assert_close(mc.peak[1], 2, 0);
    sched_mem_curve_free(&mc);
    sched_mem_curve_free(&mc);  /* freeing twice is harmless: the struct is zeroed */
    sched_timing_free(&t);
    sched_free(&s);
}

/* On every schedule type (uneven costs, with comm): the curve starts at
** (0, 0), its times ascend, it ends at 0 (all activations released), its
** peak equals sched_time's order-based peak, and it never exceeds it. A
** no-split schedule (1F1B) frees at the end of B. */
static void test_mem_profile_all(void **state)
{
    (void)state;
    for (int type = 0; type < SCHED_N_TYPES; type++) {
        sched_t s;
        sched_timing t;
        char err[256] = "";
        int p = 4, m = 12;
        assert_int_equal(sched_build_timed(type, p, m, 2, 5, 6, 4, 1, &s, &t, err, sizeof err), 0);
        double buf[3 * 16];
        sched_costs c;
        sched_costs_uniform(&c, buf, sched_n_vs(&s), 5, 6, 4, 1);
        sched_mem_curve mc;
        assert_int_equal(sched_mem_profile(&s, &t, &c, &mc), 0);
        for (int d = 0; d < p; d++) {
            int n = mc.n_pts[d];
            assert_true(n >= 2);
            assert_close(mc.t_s[d][0], 0, 0);
            double mx = 0;
            for (int k = 0; k < n; k++) {
                if (k > 0) assert_true(mc.t_s[d][k] > mc.t_s[d][k - 1]);
                if (mc.live[d][k] > mx) mx = mc.live[d][k];
            }
            assert_close(mc.live[d][n - 1], 0, 1e-12);
            assert_close(mc.peak[d], t.dev_peak_mem[d], 0);
            assert_close(mx, mc.peak[d], 0);
            assert_close(mc.t_s[d][n - 1], t.dev_last_end[d], 0);
        }
        sched_mem_curve_free(&mc);
        sched_timing_free(&t);
        sched_free(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_valid_grid),
        cmocka_unit_test(test_equal_times_bubbles),
        cmocka_unit_test(test_unequal_closed_forms),
        cmocka_unit_test(test_peaks),
        cmocka_unit_test(test_zb1p_is_zbh1),
        cmocka_unit_test(test_mem_limit),
        cmocka_unit_test(test_bad_costs),
        cmocka_unit_test(test_mem_profile_by_hand),
        cmocka_unit_test(test_mem_profile_all),
    };
    return RUN_TESTS("sched_zb", tests);
}
