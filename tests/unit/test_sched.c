/*
** test_sched.c -- GPipe, 1F1B, interleaved generators, checker and D1-D4 timer.
** Expected values: the closed forms of SCHEDULES.md §3-§5 (Megatron SC'21 §2.2)
** and the op-order fixtures in tests/data/schedules (copied from
** shared/reference/schedules; provenance in each file's header).
*/
#include "testlib.h"
#include "sched.h"
#include "sched_fixture.h"

#include <stdlib.h>
#include <string.h>

/* Build and time a schedule with uniform stage costs; returns the timing. */
static void build_and_time(sched_type type, int p, int m, int v, double tf, double tb,
                           double tw, sched_t *s, sched_timing *t)
{
    char err[256] = "";
    sched_params prm = {.type = type, .p = p, .m = m, .v = v};
    int rc = sched_build(&prm, NULL, s, err, sizeof err);
    if (rc) print_error("sched_build: %s\n", err);
    assert_int_equal(rc, 0);
    int n_vs = sched_n_vs(s);
    double *buf = malloc(3 * (size_t)n_vs * sizeof *buf);
    sched_costs c;
    /* chunk ops cost 1/v of a stage's op */
    sched_costs_uniform(&c, buf, n_vs, tf / s->v, tb / s->v, tw / s->v, 0);
    assert_int_equal(sched_time(s, &c, t), 0);
    free(buf);
}

/* GPipe and 1F1B: bubble / total = (p-1)/(m+p-1) (SCHEDULES.md §3-4), on the
** issue's grid p in {1,2,4,8,16,32}, m in 1..4p. */
static void test_gpipe_1f1b_closed_form(void **state)
{
    (void)state;
    static const int ps[] = {1, 2, 4, 8, 16, 32};
    sched_type types[] = {SCHED_GPIPE, SCHED_1F1B};
    for (int ti = 0; ti < 2; ti++)
        for (size_t i = 0; i < sizeof ps / sizeof *ps; i++)
            for (int m = 1; m <= 4 * ps[i]; m++) {
                int p = ps[i];
                sched_t s;
                sched_timing t;
                build_and_time(types[ti], p, m, 1, 1.0, 1.5, 0.5, &s, &t);
                for (int d = 0; d < p; d++) {
                    double bubble = t.makespan - t.dev_busy[d];
                    assert_close(bubble / t.makespan, (double)(p - 1) / (m + p - 1), 1e-12);
                }
                /* peak in-flight microbatches: 1F1B min(p-d, m), GPipe m */
                for (int d = 0; d < p; d++) {
                    double want = types[ti] == SCHED_GPIPE ? m : (p - d < m ? p - d : m);
                    assert_close(t.dev_peak_mem[d], want, 0);
                }
                sched_timing_free(&t);
                sched_free(&s);
            }
}

/* Interleaved: bubble / ideal = (p-1)/(v*m) (SC'21 §2.2.2), m a multiple of p. */
static void test_interleaved_closed_form(void **state)
{
    (void)state;
    static const int ps[] = {1, 2, 4, 8, 16, 32}, vs[] = {1, 2, 4};
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 3; j++)
            for (int m = ps[i]; m <= 4 * ps[i]; m += ps[i]) {
                int p = ps[i], v = vs[j];
                sched_t s;
                sched_timing t;
                build_and_time(SCHED_INTERLEAVED, p, m, v, 1.0, 2.0, 0.0, &s, &t);
                for (int d = 0; d < p; d++) {
                    double bubble = t.makespan - t.dev_busy[d];
                    assert_close(bubble / t.dev_busy[d], (double)(p - 1) / (v * m), 1e-12);
                }
                sched_timing_free(&t);
                sched_free(&s);
            }
}

static void test_interleaved_rejects_bad_m(void **state)
{
    (void)state;
    char err[256] = "";
    sched_t s;
    sched_params prm = {.type = SCHED_INTERLEAVED, .p = 4, .m = 6, .v = 2};
    assert_int_equal(sched_build(&prm, NULL, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "multiple"));
    /* group size g (Megatron's microbatch group): p <= g <= m and m mod g
    ** either 0 or at least p, so that every group fills the pipeline;
    ** p = 4, m = 12, g = 5 leaves a last group of 2 < p */
    prm = (sched_params){.type = SCHED_INTERLEAVED, .p = 4, .m = 12, .v = 2, .group_size = 5};
    assert_int_equal(sched_build(&prm, NULL, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "group size 5"));
    prm.group_size = 6; /* 12 mod 6 = 0: accepted */
    assert_int_equal(sched_build(&prm, NULL, &s, err, sizeof err), 0);
    sched_free(&s);
}

/* The generated order equals the fixture's, and timing it reproduces the
** fixture's makespan and per-device stats. */
static void check_fixture(sched_type type, int v, const char *file)
{
    sched_fixture fx;
    assert_int_equal(fixture_load(file, &fx), 0);
    sched_t s;
    char err[256] = "", why[256] = "";
    sched_params prm = {.type = type, .p = fx.s.p, .m = fx.s.m, .v = v};
    assert_int_equal(sched_build(&prm, NULL, &s, err, sizeof err), 0);
    if (!fixture_same_order(&s, &fx.s, why, sizeof why)) {
        print_error("%s: %s\n", file, why);
        fail();
    }
    int n_vs = sched_n_vs(&s);
    double *buf = malloc(3 * (size_t)n_vs * sizeof *buf);
    sched_costs c;
    sched_costs_uniform(&c, buf, n_vs, fx.t_f, fx.t_b, fx.t_w, fx.t_comm);
    sched_timing t;
    assert_int_equal(sched_time(&s, &c, &t), 0);
    assert_close(t.makespan, fx.makespan, 1e-12);
    for (int d = 0; d < s.p; d++) {
        assert_close(t.dev_first_start[d], fx.start[d], 1e-12);
        assert_close(t.dev_last_end[d], fx.end[d], 1e-12);
        assert_close(t.dev_busy[d], fx.busy[d], 1e-12);
        assert_close(t.dev_peak_mem[d], fx.peak[d], 0);
    }
    sched_timing_free(&t);
    free(buf);
    sched_free(&s);
    sched_free(&fx.s);
}

static void test_fixtures(void **state)
{
    (void)state;
    check_fixture(SCHED_GPIPE, 1, TEST_PATH("tests/data/schedules/gpipe_p4_m8.txt"));
    check_fixture(SCHED_1F1B, 1, TEST_PATH("tests/data/schedules/1f1b_p4_m8.txt"));
    check_fixture(SCHED_INTERLEAVED, 2, TEST_PATH("tests/data/schedules/interleaved_v2_p4_m8.txt"));
}

/* The checker rejects a duplicated op, a missing op, a deadlocking order, a
** chunk out of range and a W op in an unsplit backward. */
static void test_checker_rejects(void **state)
{
    (void)state;
    char err[256];
    sched_t s;
    /* two devices, one microbatch */
    assert_int_equal(sched_alloc(&s, SCHED_1F1B, 2, 1, 1, SCHED_PLACE_PLAIN, 0, 4), 0);
    sched_push(&s, 0, SCHED_OP_F, 0, 0);
    sched_push(&s, 0, SCHED_OP_B, 0, 0);
    sched_push(&s, 1, SCHED_OP_F, 0, 0);
    sched_push(&s, 1, SCHED_OP_B, 0, 0);
    assert_int_equal(sched_check(&s, err, sizeof err), 0);
    /* deadlock: device 0 wants B before it has run F */
    s.ops[0][0].kind = SCHED_OP_B;
    s.ops[0][1].kind = SCHED_OP_F;
    assert_int_equal(sched_check(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "deadlock"));
    /* duplicate */
    s.ops[0][0].kind = SCHED_OP_F;
    assert_int_equal(sched_check(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "twice"));
    /* missing */
    s.ops[0][1].kind = SCHED_OP_B;
    s.n_ops[1] = 1;
    assert_int_equal(sched_check(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "never runs B0"));
    s.n_ops[1] = 2;
    assert_int_equal(sched_check(&s, err, sizeof err), 0);
    /* a chunk index equal to v (one chunk: only chunk 0 exists) */
    s.ops[1][0].chunk = 1;
    assert_int_equal(sched_check(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "out of range"));
    s.ops[1][0].chunk = 0;
    /* a W op in a schedule whose backward is not split (B computes W too) */
    s.ops[1][1].kind = SCHED_OP_W;
    assert_int_equal(sched_check(&s, err, sizeof err), -1);
    assert_non_null(strstr(err, "has a W op"));
    sched_free(&s);
}

/* T_comm is added to cross-device edges only: 1F1B with p=2, m=1 takes
** F + comm + F + B + comm + B. */
static void test_comm_on_edges(void **state)
{
    (void)state;
    sched_t s;
    char err[128];
    sched_params prm = {.type = SCHED_1F1B, .p = 2, .m = 1};
    assert_int_equal(sched_build(&prm, NULL, &s, err, sizeof err), 0);
    double buf[6];
    sched_costs c;
    sched_costs_uniform(&c, buf, 2, 1.0, 2.0, 0.5, 0.25);
    sched_timing t;
    assert_int_equal(sched_time(&s, &c, &t), 0);
    assert_close(t.makespan, 1 + 0.25 + 1 + 2.5 + 0.25 + 2.5, 1e-12);
    sched_timing_free(&t);
    sched_free(&s);
}

static void test_names(void **state)
{
    (void)state;
    for (int t = 0; t < SCHED_N_TYPES; t++)
        assert_int_equal(sched_type_from_name(sched_type_name(t)), t);
    assert_int_equal(sched_type_from_name("2f2b"), -1);
}

/* sched_mem_peak weights each chunk's microbatches; the weighted peak can
** come at another instant than the unweighted one. Interleaved p=4, m=8, v=2
** (SCHEDULES.md §5: device 0 warms up with 10 F, peak 11 chunk units). Hand
** walk of device 0's list, live (chunk 0, chunk 1) after each op: warm-up
** ends at (6,4); then F (7,4) B (7,3) F (8,3) B (8,2) F (8,3) B (8,2) F (8,3)
** B (8,2) F (8,3) B (7,3) F (7,4) B (6,4), then cool-down B's only. */
static void test_mem_peak_weighted(void **state)
{
    (void)state;
    sched_t s;
    sched_timing t;
    build_and_time(SCHED_INTERLEAVED, 4, 8, 2, 1, 1, 1, &s, &t);
    double buf[3 * 8];
    sched_costs c;
    sched_costs_uniform(&c, buf, 8, 1, 1, 1, 0);
    double n_live[2];
    /* unweighted: 11 chunk units, first reached at (7,4) (= dev_peak_mem) */
    assert_close(sched_mem_peak(&s, &c, 0, NULL, n_live), 11, 0);
    assert_close(t.dev_peak_mem[0], 11, 0);
    assert_close(n_live[0], 7, 0);
    assert_close(n_live[1], 4, 0);
    /* chunk 1 three times heavier: 7 + 3*4 = 19 at (7,4) */
    const double w13[2] = {1, 3}, w31[2] = {3, 1};
    assert_close(sched_mem_peak(&s, &c, 0, w13, n_live), 19, 0);
    assert_close(n_live[0], 7, 0);
    assert_close(n_live[1], 4, 0);
    /* chunk 0 three times heavier: 3*8 + 3 = 27 at (8,3), later than (7,4) */
    assert_close(sched_mem_peak(&s, &c, 0, w31, n_live), 27, 0);
    assert_close(n_live[0], 8, 0);
    assert_close(n_live[1], 3, 0);
    /* n_live is taken at the *first* instant of the peak (sched.h). The list
    ** above reaches each peak again later with the same mix, so a hand list
    ** on one device, 2 chunks, no split backward (B frees 1): F0.0 (1,0)
    ** F0.1 (1,1) B0.1 (1,0) F1.0 (2,0): peak 2 first at (1,1), again at (2,0) */
    {
        sched_t h;
        assert_int_equal(sched_alloc(&h, SCHED_1F1B, 1, 2, 2, SCHED_PLACE_INTERLEAVED, 0, 8), 0);
        sched_push(&h, 0, SCHED_OP_F, 0, 0);
        sched_push(&h, 0, SCHED_OP_F, 0, 1);
        sched_push(&h, 0, SCHED_OP_B, 0, 1);
        sched_push(&h, 0, SCHED_OP_F, 1, 0);
        double hb[3 * 2];
        sched_costs hc;
        sched_costs_uniform(&hc, hb, 2, 1, 1, 1, 0);
        assert_close(sched_mem_peak(&h, &hc, 0, NULL, n_live), 2, 0);
        assert_close(n_live[0], 1, 0);
        assert_close(n_live[1], 1, 0);
        sched_free(&h);
    }
    /* 1F1B, one chunk: device d holds p-d microbatches at its peak */
    sched_timing_free(&t);
    sched_free(&s);
    build_and_time(SCHED_1F1B, 4, 8, 1, 1, 1, 1, &s, &t);
    const double w[1] = {2.5};
    for (int d = 0; d < 4; d++) {
        assert_close(sched_mem_peak(&s, &c, d, w, n_live), 2.5 * (4 - d), 0);
        assert_close(n_live[0], 4 - d, 0);
    }
    sched_timing_free(&t);
    sched_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpipe_1f1b_closed_form),
        cmocka_unit_test(test_interleaved_closed_form),
        cmocka_unit_test(test_interleaved_rejects_bad_m),
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_checker_rejects),
        cmocka_unit_test(test_comm_on_edges),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_mem_peak_weighted),
    };
    return RUN_TESTS("sched", tests);
}
