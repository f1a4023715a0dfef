/*
** test_eng_oracle.c -- the SimGrid-backed iteration-time oracle: times of a
** 1F1B pipeline at new microbatch counts derived from an affine fit (two
** asked counts and m = pp) equal the simulated ones.
**
** Expected values: the engine itself. For m >= pp microbatches a 1F1B
** pipeline repeats one steady pattern per extra microbatch, so T(m) is
** affine in m (eng_oracle.c); every derived time is checked against a fresh
** simulation of the same plan (fit off), to 1e-9 relative. One engine per
** process (SimGrid), so every case shares one oracle.
*/
#include "testlib.h"

#include "cfg.h"
#include "eng_oracle.h"

#include <stdlib.h>
#include <string.h>

static oracle *orc;

/* GPT-3 175B (96 layers), TP 8 stages, 1F1B (the experiment's schedule). */
static int setup(void **state)
{
    (void)state;
    cfg_experiment e;
    cfg_error ce;
    if (cfg_load(TEST_PATH("configs/experiments/resilience-gpt3-175b.json"), NULL, &e, &ce)) return -1;
    char err[256];
    orc = eng_oracle_new(&e, err, sizeof err);
    cfg_free(&e);
    return orc ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    oracle_free(orc);
    return 0;
}

/* 'dp' pipelines of the uneven 8-stage split, m microbatches each. */
static double time_of(int dp, int m)
{
    static const int split[8] = {10, 12, 12, 12, 12, 12, 12, 14};
    oracle_plan *p = oracle_plan_new(dp);
    assert_non_null(p);
    for (int i = 0; i < dp; i++) {
        assert_int_equal(oracle_plan_set_stages(p, i, 8), 0);
        p->pipes[i].n_nodes = 8;
        p->pipes[i].n_microbatches = m;
        for (int s = 0; s < 8; s++) {
            p->pipes[i].stage_layers[s] = split[s];
            p->pipes[i].stage_gpus[s] = 8;
        }
    }
    oracle_result r;
    char err[256];
    int rc = oracle_plan_time(orc, p, &r, err, sizeof err);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_true(r.fits);
    oracle_plan_free(p);
    return r.iter_s;
}

static void stats(long *sims, long *derived) { eng_oracle_stats(orc, sims, derived); }

/* Two asked counts (16, 24) and the cheap third point m = pp = 8 that the
** second one adds are simulated; then three counts are derived (inside and
** beyond the sampled range), each equal to its simulation; a count below pp
** is never derived. */
static void check_affine(int dp)
{
    long s0, d0, s1, d1;
    stats(&s0, &d0);
    eng_oracle_set_affine(orc, 1);
    double t16 = time_of(dp, 16), t24 = time_of(dp, 24);
    stats(&s1, &d1);
    assert_int_equal(s1 - s0, 3);                   /* 16, 24 and the anchor 8 */
    assert_int_equal(d1 - d0, 0);
    double t40 = time_of(dp, 40), t32 = time_of(dp, 32), t96 = time_of(dp, 96);
    double t4 = time_of(dp, 4);                     /* m < pp: the warm-up dominates */
    stats(&s1, &d1);
    assert_int_equal(d1 - d0, 3);
    assert_int_equal(s1 - s0, 4);
    assert_true(t16 < t24 && t24 < t32 && t32 < t40);
    eng_oracle_set_affine(orc, 0);
    double s40 = time_of(dp, 40), s32 = time_of(dp, 32), s96 = time_of(dp, 96);
    double s4 = time_of(dp, 4);
    stats(&s1, &d1);
    assert_int_equal(s1 - s0, 7);                   /* 40, 32 and 96 simulated; 4 cached */
    assert_rel(t40, s40, 1e-9);
    assert_rel(t32, s32, 1e-9);
    assert_rel(t96, s96, 1e-9);
    assert_true(t96 > 2 * t32);                     /* not a constant: the fit extrapolates */
    assert_rel(t4, s4, 0);
    eng_oracle_set_affine(orc, 1);
}

static void test_affine_one_pipeline(void **state)
{
    (void)state;
    check_affine(1);
}

/* Three identical pipelines: one engine run with DP gradient buckets. */
static void test_affine_data_parallel(void **state)
{
    (void)state;
    check_affine(3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_affine_one_pipeline),
        cmocka_unit_test(test_affine_data_parallel),
    };
    if (setup(NULL)) {
        printf("Bail out! cannot build the engine oracle\n");
        return 1;
    }
    int failed = RUN_TESTS("eng_oracle", tests);
    teardown(NULL);
    return failed;
}
