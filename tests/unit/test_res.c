/*
** test_res.c -- resilience schemes on the run engine (analytic oracle).
** Expected values: RESILIENCE.md §1 (Young/Daly test vectors, Daly FGCS 2006
** Figs 3-5), §2 (Gemini recovery probabilities, the AE notebook's bounds),
** §5 (Varuna's AutoConfig shapes), and closed forms: without failures a
** scheme's goodput is 1 - its steady overhead (checkpoint writes, Bamboo's
** redundant forward work).
*/
#include "testlib.h"
#include "res.h"
#include "run.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Daly Figs 3-5, C = 5 min: M = 24 h -> 117 min (Young 120); 6 h -> 57 (60);
** 15 min -> 9.1 (12.2). Worked example C = 120 s, M = 6 h: Young 2277 s,
** Daly 2198 s. */
static void test_young_daly(void **state)
{
    (void)state;
    double C = 300;
    assert_close(res_young_interval_s(C, 24 * 3600.0) / 60, 120, 0.5);
    assert_close(res_daly_interval_s(C, 24 * 3600.0) / 60, 117, 0.5);
    assert_close(res_young_interval_s(C, 6 * 3600.0) / 60, 60, 0.5);
    assert_close(res_daly_interval_s(C, 6 * 3600.0) / 60, 57, 0.5);
    assert_close(res_young_interval_s(C, 15 * 60.0) / 60, 12.2, 0.05);
    assert_close(res_daly_interval_s(C, 15 * 60.0) / 60, 9.1, 0.05);
    assert_close(res_young_interval_s(120, 6 * 3600.0), 2277, 0.5);
    assert_close(res_daly_interval_s(120, 6 * 3600.0), 2198, 0.5);
    assert_close(res_daly_interval_s(1000, 400), 400, 1e-12); /* C >= 2M -> M */
    /* Daly (FGCS 2006, eq. 37): for C < 2M, tau = sqrt(2 C M) [1 + (1/3)
    ** sqrt(C / 2M) + (1/9) (C / 2M)] - C; for C >= 2M, tau = M. Inside
    ** M <= C < 2M the formula still applies: C = 600, M = 400, x = C / 2M =
    ** 0.75: sqrt(480000) (1 + sqrt(0.75) / 3 + 0.75 / 9) - 600 */
    double x = 600.0 / 800;
    assert_close(res_daly_interval_s(600, 400),
                 sqrt(2 * 600 * 400.0) * (1 + sqrt(x) / 3 + x / 9) - 600, 1e-9);
    assert_close(res_daly_interval_s(600, 400), 350.56, 0.01); /* the same, evaluated */
    assert_close(res_daly_interval_s(800, 400), 400, 1e-12);   /* C = 2M exactly -> M */
}

/* N = 16, m = 2: k = 2 -> group 0.933, ring 0.867; k = 3 -> 0.800, 0.600. */
static void test_gemini_probabilities(void **state)
{
    (void)state;
    assert_close(res_inmem_recover_prob(16, 2, 1, RES_PLACE_GROUP), 1.0, 1e-12);
    assert_close(res_inmem_recover_prob(16, 2, 2, RES_PLACE_GROUP), 0.933, 5e-4);
    assert_close(res_inmem_recover_prob(16, 2, 2, RES_PLACE_RING), 0.867, 5e-4);
    assert_close(res_inmem_recover_prob(16, 2, 3, RES_PLACE_GROUP), 0.800, 5e-4);
    assert_close(res_inmem_recover_prob(16, 2, 3, RES_PLACE_RING), 0.600, 5e-4);
}

/* K = 24, G = 30 -> P in {1,2,3,4,6,8,12}, D = 30,15,10,7,5,3,2, idle 0,0,0,2,0,6,6. */
static void test_varuna_shapes(void **state)
{
    (void)state;
    int P[16], D[16], I[16];
    int n = res_varuna_shapes(24, 30, P, D, I, 16);
    static const int wp[] = {1, 2, 3, 4, 6, 8, 12}, wd[] = {30, 15, 10, 7, 5, 3, 2},
                     wi[] = {0, 0, 0, 2, 0, 6, 6};
    assert_int_equal(n, 7);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(P[i], wp[i]);
        assert_int_equal(D[i], wd[i]);
        assert_int_equal(I[i], wi[i]);
    }
}

/* ---- runs on the analytic oracle --------------------------------------------- */

/* 32 layers of 25 GB model state (800 GB: n0 = 2 nodes of 8 x 80 GB). */
static oracle_profile test_profile(void)
{
    oracle_profile p = {.n_layers = 32, .gpus_per_node = 8, .gpu_mem_bytes = 80e9,
                        .fwd_s = 0.010, .bwd_s = 0.020, .tp_efficiency_frac = 0.9,
                        .act_bytes = 50e6, .state_bytes = 25e9, .ckpt_bytes = 120e9,
                        .global_batch_samples = 512, .n_microbatches = 64,
                        .dp_bw_bytes_per_s = 25e9, .dp_latency_s = 1e-5};
    return p;
}

static oracle *oracle_of(const oracle_profile *p)
{
    char err[256];
    oracle *o = oracle_analytic_new(p, err, sizeof err);
    assert_non_null(o);
    o = oracle_memo_new(o);
    assert_non_null(o);
    return o;
}

static oracle *test_oracle(void)
{
    oracle_profile p = test_profile();
    return oracle_of(&p);
}

/* A failure CSV over n nodes with the given rows (after the header). */
static fail_source *failure_csv(int n, const char *rows)
{
    char path[] = "/tmp/dtsim_failcsv_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "time_s,node,cause,repair_s\n%s", rows);
    fclose(f);
    char err[256];
    fail_source *s = fail_csv_load(path, n, err, sizeof err);
    if (!s) print_error("%s\n", err);
    unlink(path);
    assert_non_null(s);
    return s;
}

static fail_source *no_failures(int n) { return failure_csv(n, ""); }

static void base_cfg(res_config *c, int n)
{
    res_config_defaults(c);
    c->n_nodes = n;
    c->storage_write_bytes_per_s = c->storage_read_bytes_per_s = 1e9; /* C = 120 s */
    c->mtbf_s = 6 * 3600.0;
}

/* Every scheme refuses a checkpoint that takes more than RES_MAX_PAUSE_S
** (1e7 s) to write, naming the keys to change by their JSON paths (before:
** any write shorter than the longest run, 3.6e9 s, was simulated, and the
** error said "check storage_write_gbps", without a path). 120 GB at
** 1e-5 GB/s = 1.2e7 s; at 2e-5 GB/s, 6e6 s runs. */
static void test_ckpt_pause_bound(void **state)
{
    (void)state;
    oracle *o = test_oracle();
    fail_source *src = no_failures(24);
    run_params prm = {.duration_s = 86400.0, .detect_s = 30};
    res_config cfg;
    base_cfg(&cfg, 24);
    for (int slow = 0; slow < 2; slow++) {
        cfg.storage_write_bytes_per_s = slow ? 1e4 : 2e4;
        for (int k = 0; k < RES_N_SCHEMES; k++) {
            res_scheme *s = res_new(k, &cfg, INFINITY);
            run_result r;
            char err[512] = "";
            int rc = run_simulate(&prm, src, o, s, &r, NULL, NULL, err, sizeof err);
            if (rc != -slow) print_error("%s: rc %d: %s\n", res_names[k], rc, err);
            assert_int_equal(rc, -slow);
            if (slow) {
                assert_non_null(strstr(err, "a checkpoint write takes 1.2e+07 s (120 GB at 1e-05 GB/s), more than 1e+07 s"));
                assert_non_null(strstr(err, "$.resilience.checkpoint_gb and $.resilience.storage_write_gbps"));
            } else {
                run_result_free(&r);
            }
            fail_rewind(src);
            res_free(s);
        }
    }
    fail_free(src);
    oracle_free(o);
}

static void test_no_failures_goodput(void **state)
{
    (void)state;
    oracle *o = test_oracle();
    fail_source *src = no_failures(24);
    run_params prm = {.duration_s = 10 * 86400.0, .detect_s = 30};
    res_config cfg;
    base_cfg(&cfg, 24);
    for (int k = 0; k < RES_N_SCHEMES; k++) {
        res_scheme *s = res_new(k, &cfg, INFINITY);
        run_result r;
        char err[256];
        if (run_simulate(&prm, src, o, s, &r, NULL, NULL, err, sizeof err)) print_error("%s\n", err);
        double ovh = s->steady_overhead_frac(s->st);
        /* closed form: useful / wall = 1 - overhead (rounding of the interval
        ** to whole iterations and the partial last cycle: < 0.2%) */
        assert_rel(r.goodput_frac, 1 - ovh, 2e-3);
        double sum = 0;
        for (int b = 0; b < RUN_N_BUCKETS; b++) sum += r.bucket_s[b];
        assert_rel(sum, r.sim_s, 1e-9); /* every second in one bucket */
        assert_close(r.bucket_s[RUN_B_REWORK], 0, 1e-9);
        assert_close(r.bucket_s[RUN_B_RESTART], 0, 1e-9);
        /* The overhead itself, from the settings (C = 120e9 B / 1e9 B/s = 120 s):
        ** ckpt, varuna  Young with the configured M = 6 h: tau = sqrt(2 C M)
        **               = sqrt(2 x 120 x 21600) = 2276.8 s, C / (tau + C) = 0.050066
        ** inmem         a remote write every 3 h: 120 / (10800 + 120) = 0.010989
        ** oobleck       the 3-hourly fallback checkpoint only: 0.010989 too
        ** bamboo        the fallback plus its redundant forward work, which this
        **               test does not derive: only bounded below by the fallback */
        double tau = sqrt(2 * 120 * 21600.0), want = 120 / (tau + 120), fb = 120 / (10800 + 120.0);
        if (k == RES_CKPT || k == RES_VARUNA) assert_rel(ovh, want, 1e-12);
        if (k == RES_INMEM || k == RES_OOBLECK) assert_rel(ovh, fb, 1e-12);
        if (k == RES_BAMBOO) assert_true(ovh > fb + 0.01);  /* FRC exceeds the bubble */
        run_result_free(&r);
        res_free(s);
    }
    fail_free(src);
    oracle_free(o);
}

/* Young/Daly: sweeping a fixed interval, the best goodput lies within 10% of
** the Young or Daly interval (C = 120 s, job MTBF 6 h: 2277 s / 2198 s). */
static void test_interval_sweep(void **state)
{
    (void)state;
    oracle *o = test_oracle();
    fail_random_cfg fr;
    fail_random_defaults(&fr);
    fr.node_mtbf_s = 16 * 6 * 3600.0; /* 16 nodes (PP 16 x DP 1, none idle) -> job MTBF 6 h */
    fr.n_components = 1;
    fr.comp[0].weight = 1;
    fr.comp[0].repair_s = 0;
    run_params prm = {.duration_s = 200 * 86400.0, .detect_s = 0};
    res_config cfg;
    base_cfg(&cfg, 16);
    cfg.interval_policy = RES_IVL_FIXED;
    cfg.restart_s = 600;
    double young = res_young_interval_s(120, 6 * 3600.0), daly = res_daly_interval_s(120, 6 * 3600.0);
    double best = 0, best_tau = 0;
    for (double f = 0.5; f <= 2.0001; f += 0.05) {
        cfg.interval_s = f * young;
        double g = 0;
        for (unsigned long seed = 1; seed <= 20; seed++) {
            char err[256];
            fail_source *src = fail_random_new(&fr, 16, seed, err, sizeof err);
            res_scheme *s = res_new(RES_CKPT, &cfg, 0);
            run_result r;
            assert_int_equal(run_simulate(&prm, src, o, s, &r, NULL, NULL, err, sizeof err), 0);
            g += r.goodput_frac / 20;
            run_result_free(&r);
            res_free(s);
            fail_free(src);
        }
        if (g > best) { best = g; best_tau = cfg.interval_s; }
    }
    double d = fmin(fabs(best_tau - young) / young, fabs(best_tau - daly) / daly);
    if (d > 0.10) print_error("best interval %.0f s, Young %.0f s, Daly %.0f s\n", best_tau, young, daly);
    assert_true(d <= 0.10);
    oracle_free(o);
}

/* 24 nodes given, and the best shape (PP 16 x DP 1: 25 GB layers make a
** DP all-reduce dear) uses 16: the other 8 are spares. A failure of one of
** them costs the fixed-shape schemes nothing (goodput as without failures);
** a failure of a job node is replaced by one of them, so nobody waits for
** the day-long repair. */
static void test_idle_nodes_are_spares(void **state)
{
    (void)state;
    oracle *o = test_oracle();
    run_params prm = {.duration_s = 2 * 86400.0, .detect_s = 30};
    res_config cfg;
    base_cfg(&cfg, 24);
    static const int kinds[] = {RES_CKPT, RES_INMEM, RES_VARUNA};
    for (int i = 0; i < 3; i++) {
        run_result r0, ri, rj;
        char err[256];
        fail_source *none = no_failures(24);
        fail_source *idle = failure_csv(24, "3600,node20,faulty_gpu,86400\n");
        fail_source *job = failure_csv(24, "3600,node3,faulty_gpu,86400\n");
        res_scheme *s0 = res_new(kinds[i], &cfg, INFINITY), *si = res_new(kinds[i], &cfg, INFINITY),
                   *sj = res_new(kinds[i], &cfg, INFINITY);
        assert_int_equal(run_simulate(&prm, none, o, s0, &r0, NULL, NULL, err, sizeof err), 0);
        assert_int_equal(run_simulate(&prm, idle, o, si, &ri, NULL, NULL, err, sizeof err), 0);
        assert_int_equal(run_simulate(&prm, job, o, sj, &rj, NULL, NULL, err, sizeof err), 0);
        assert_non_null(strstr(r0.plan, "PP 16 x DP 1"));
        assert_rel(ri.goodput_frac, r0.goodput_frac, 1e-12);
        assert_close(ri.bucket_s[RUN_B_RESTART], 0, 1e-9);
        /* The job node's failure at 3600 s, from the settings. Iteration of the
        ** analytic oracle (PP 16: 2 layers a stage on 8 GPUs at 90%): it =
        ** (m + p - 1) x 2 x (fwd + bwd) / (8 x 0.9) = 79 x 2 x 0.03 / 7.2 = 0.65833 s.
        ** ckpt, varuna  roll back to the last checkpoint: tau = 2276.8 s rounds up
        **               to 3459 whole iterations, then C = 120 s; the checkpoint is
        **               done at 3459 it + 120 = 2397.2 s: rework 3600 - 2397.2 =
        **               1202.8 s; restart detect 30 + restart 600 + load 120 = 750 s
        ** inmem         loses only the iteration in flight (3600 - floor(3600/it) it
        **               = 0.233 s) and restarts in 30 + 600 + the shard's retrieval
        **               (120e9 B / 16 nodes / 50e9 B/s = 0.15 s) = 630.15 s */
        double it = 79 * 2 * 0.030 / 7.2;
        double rework = kinds[i] == RES_INMEM ? 3600 - floor(3600 / it) * it
                                              : 3600 - (ceil(sqrt(2 * 120 * 21600.0) / it) * it + 120);
        double restart = kinds[i] == RES_INMEM ? 630.15 : 750;
        assert_close(rj.bucket_s[RUN_B_REWORK], rework, 1e-6);
        assert_close(rj.bucket_s[RUN_B_RESTART], restart, 1e-6);
        assert_close(rj.bucket_s[RUN_B_WAITING], 0, 1e-9);    /* a spare took node3's place */
        run_result_free(&r0);
        run_result_free(&ri);
        run_result_free(&rj);
        res_free(s0);
        res_free(si);
        res_free(sj);
        fail_free(none);
        fail_free(idle);
        fail_free(job);
    }
    oracle_free(o);
}

/* One run of scheme 'kind' over 'n' nodes with the failure CSV 'rows'
** (series bins of an hour); the scheme's steady overhead in *ovh. */
static void run_rows(oracle *o, int kind, const res_config *cfg, double mtbf_s, int n,
                     const char *rows, double duration_s, run_result *r, double *ovh)
{
    run_params prm = {.duration_s = duration_s, .detect_s = 30, .series_dt_s = 3600};
    fail_source *src = failure_csv(n, rows);
    res_scheme *s = res_new(kind, cfg, mtbf_s);
    char err[256] = "";
    int rc = run_simulate(&prm, src, o, s, r, NULL, NULL, err, sizeof err);
    if (rc) print_error("%s: %s\n", res_names[kind], err);
    assert_int_equal(rc, 0);
    if (ovh) *ovh = s->steady_overhead_frac(s->st);
    res_free(s);
    fail_free(src);
}

/* Per layer on 8 GPUs at 90% (the analytic oracle): F = 0.010 / 7.2,
** F + B = 0.030 / 7.2 s. */
#define LAYER_F (0.010 / 7.2)
#define LAYER_FB (0.030 / 7.2)

/* The checkpoint scheme's MTBF and spares (res.h: mtbf_s is the job MTBF of
** the nodes the job asks for; n_spares are kept out of the job).
** (a) 24 nodes asked, job MTBF 6 h, no configured MTBF: the shape uses 16
**     (PP 16 x DP 1, test_idle_nodes_are_spares), and the 8 idle nodes do
**     not fail it: M = 6 h x 24 / 16 = 9 h, Young tau = sqrt(2 x 120 x
**     32400) s, overhead C / (tau + C).
** (b) 18 nodes up, no node count, 2 spares: the job asks for 18 - 2 = 16,
**     the shape uses all 16 (no " on 16 of 18"), M stays 6 h. */
static void test_ckpt_mtbf_and_spares(void **state)
{
    (void)state;
    oracle *o = test_oracle();
    res_config cfg;
    base_cfg(&cfg, 24);
    cfg.mtbf_s = 0;
    run_result r;
    double ovh;
    run_rows(o, RES_CKPT, &cfg, 6 * 3600.0, 24, "", 3600, &r, &ovh);
    double tau = sqrt(2 * 120 * 32400.0);
    assert_rel(ovh, 120 / (tau + 120), 1e-12);
    run_result_free(&r);
    cfg.n_nodes = 0;
    cfg.n_spares = 2;
    run_rows(o, RES_CKPT, &cfg, 6 * 3600.0, 18, "", 3600, &r, &ovh);
    if (!strstr(r.plan, "PP 16 x DP 1,")) print_error("plan: %s\n", r.plan);
    assert_non_null(strstr(r.plan, "PP 16 x DP 1,"));
    tau = sqrt(2 * 120 * 21600.0);
    assert_rel(ovh, 120 / (tau + 120), 1e-12);
    run_result_free(&r);
    oracle_free(o);
}

/* Gemini group placement (Wang et al. SOSP'23; res_inmem.c): with m = 2 the
** 16 job slots form groups {0,1}, {2,3}, ...; a shard is lost only when both
** members of one group are down within a recovery. Slots 1 and 2 (nodes 1,
** 2: members fill slots in id order) are in different groups: each failure
** loses the iteration in flight only (rework < 2 iterations of 0.658 s).
** Slots 0 and 1 are one group: back to the remote checkpoint at t = 0, so
** the first 3600 s are rework. */
static void test_inmem_group_placement(void **state)
{
    (void)state;
    oracle *o = test_oracle();
    res_config cfg;
    base_cfg(&cfg, 24);
    cfg.inmem_replicas = 2;
    cfg.inmem_placement = RES_PLACE_GROUP;
    double it = 79 * 2 * LAYER_FB; /* PP 16: (m + p - 1) x 2 layers x (F + B) */
    run_result r;
    run_rows(o, RES_INMEM, &cfg, INFINITY, 24, "3600,node1,gpu,86400\n3610,node2,gpu,86400\n",
             7200, &r, NULL);
    assert_int_equal(r.n_rollbacks, 0);
    assert_true(r.bucket_s[RUN_B_REWORK] < 2 * it);
    run_result_free(&r);
    run_rows(o, RES_INMEM, &cfg, INFINITY, 24, "3600,node0,gpu,86400\n3610,node1,gpu,86400\n",
             7200, &r, NULL);
    assert_int_equal(r.n_rollbacks, 1);
    assert_true(r.bucket_s[RUN_B_REWORK] > 3600 - 2 * it);
    run_result_free(&r);
    oracle_free(o);
}

/* Bamboo's steady overhead in closed form (RESILIENCE.md §4, res_bamboo.c):
** S = 8 stages of 4 layers on 24 nodes: P = 3 pipelines, m = ceil(64 / 3) =
** 22 microbatches (the first pipeline's), redundant forward of the next
** stage m x 4 F minus the bubble (S - 1) x 4 (F + B):
**   extra = 22 x 4 F - 7 x 4 (F + B) = 0.12222 - 0.11667 = 0.005556 s
** (floor(64 / 3) = 21 or a bubble of S (F + B) would leave nothing). The
** healthy iteration without FRC (analytic oracle): (22 + 8 - 1) x 4 (F + B)
** + all-reduce 2 (d - 1) / d x 4 layers x 25 GB / 8 / 25 GB/s + 2 (d - 1)
** x 10 us, d = 3. No fallback checkpoint: overhead = extra / (base + extra). */
static void test_bamboo_overhead_closed_form(void **state)
{
    (void)state;
    oracle *o = test_oracle();
    res_config cfg;
    base_cfg(&cfg, 24);
    cfg.bam_stages = 8;
    cfg.fallback_interval_s = 0;
    run_result r;
    double ovh;
    run_rows(o, RES_BAMBOO, &cfg, INFINITY, 24, "", 3600, &r, &ovh);
    double extra = 22 * 4 * LAYER_F - 7 * 4 * LAYER_FB;
    double base = 29 * 4 * LAYER_FB + 2 * (2 / 3.0) * 4 * (25e9 / 8) / 25e9 + 2 * 2 * 1e-5;
    assert_rel(ovh, extra / (base + extra), 1e-9);
    run_result_free(&r);
    oracle_free(o);
}

/* Samples/s of the hour bin 'k', against 512 samples per iteration of
** 'it' s: a bin holds whole iterations only, within one of 3600 s. */
static void assert_bin_rate(const run_result *r, int k, double it)
{
    assert_true(k < r->n_bins);
    if (fabs(r->bin_samples_per_s[k] * it / 512 - 1) > 1.5 * it / 3600)
        print_error("bin %d: %g samples/s, want %g\n", k, r->bin_samples_per_s[k], 512 / it);
    assert_rel(r->bin_samples_per_s[k], 512 / it, 1.5 * it / 3600);
}

/* Bamboo failover, 48 nodes, S = 8, P = 6 (no standby; one merged stage is
** 2 / 47 < 5% of the nodes, so no rebalancing: rules (a)-(c)). Node 1
** (pipeline 0, stage 1) fails at 4000 s: node 0 runs stages 0 and 1, so
** pipeline 0 has 7 stages, the slowest of 8 layers. Microbatches: 64 / 6 =
** 10 rem 4, so pipelines 0-3 take 11 (their sum is B). FRC: 11 x 4 F < 7 x
** 4 (F + B), nothing extra. The iteration after it:
**   pipeline 0 (11 + 7 - 1) x 8 (F + B) = 0.56667 s (others (11 + 7) x 4 (F + B))
**   + all-reduce 2 (5/6) x 8 layers x 25 GB / 8 / 25 GB/s + 2 x 5 x 10 us
** With twice the activations (10 GB a layer; state 20 GB) the merged stage
** fails the oracle's memory check (2 x 4 layers x (20 + 7 x 10) GB / 8 GPUs
** = 90 GB > 80 GB) while each node holds its and its successor's state
** (4 x (20 + 8 x 10 + 20) / 8 = 60 GB): the iteration is then 1.5 x the
** healthy one (res_bamboo.c, as the artifact). Hour 0 runs healthy, hour 2
** after the failover. */
static void test_bamboo_failover_times(void **state)
{
    (void)state;
    oracle *o = test_oracle();
    res_config cfg;
    base_cfg(&cfg, 48);
    cfg.bam_stages = 8;
    cfg.fallback_interval_s = 0;
    run_result r;
    run_rows(o, RES_BAMBOO, &cfg, INFINITY, 48, "4000,node1,gpu,86400\n", 4 * 3600.0, &r, NULL);
    assert_int_equal(r.n_reconfigs, 0);
    double it = 17 * 8 * LAYER_FB + 2 * (5 / 6.0) * 8 * (25e9 / 8) / 25e9 + 2 * 5 * 1e-5;
    assert_bin_rate(&r, 2, it);
    run_result_free(&r);
    oracle_free(o);
    oracle_profile p = test_profile();
    p.state_bytes = 20e9;
    p.act_bytes = 10e9;
    o = oracle_of(&p);
    run_rows(o, RES_BAMBOO, &cfg, INFINITY, 48, "4000,node1,gpu,86400\n", 4 * 3600.0, &r, NULL);
    assert_int_equal(r.n_reconfigs, 0);
    /* healthy: (11 + 8 - 1) x 4 (F + B) + 2 (5/6) x 4 x 20 GB / 8 / 25 GB/s + 2 x 5 x 10 us */
    double healthy = 18 * 4 * LAYER_FB + 2 * (5 / 6.0) * 4 * (20e9 / 8) / 25e9 + 2 * 5 * 1e-5;
    assert_bin_rate(&r, 0, healthy);
    assert_bin_rate(&r, 2, 1.5 * healthy);
    run_result_free(&r);
    oracle_free(o);
}

/* Bamboo skips stage counts that would give more pipelines than
** microbatches (idle nodes: a deeper shape uses them). 2 microbatches on 24
** nodes: S = 2, 4, 8 give P = 12, 6, 3 > 2; S = 16 gives 1 pipeline (S = 32
** does not fit on 24 nodes). */
static void test_bamboo_few_microbatches(void **state)
{
    (void)state;
    oracle_profile p = test_profile();
    p.n_microbatches = 2;
    oracle *o = oracle_of(&p);
    res_config cfg;
    base_cfg(&cfg, 24);
    run_result r;
    run_rows(o, RES_BAMBOO, &cfg, INFINITY, 24, "", 3600, &r, NULL);
    if (!strstr(r.plan, "16 stages x 1 pipeline,")) print_error("plan: %s\n", r.plan);
    assert_non_null(strstr(r.plan, "16 stages x 1 pipeline,"));
    run_result_free(&r);
    oracle_free(o);
}

/* Varuna's pauses (RESILIENCE.md §5, res_varuna.c): 16 nodes (PP 16 x DP 1,
** iteration 79 x 2 (F + B) = 0.658 s), no periodic checkpoint (fixed interval
** of 10^9 s), morph 50 s. Node 3 fails at 3600 s: rollback, then detection
** 30 + restart 600 + load 120 + morph 50 s. On 15 nodes the best shape is
** slower (PP 8 x DP 1: 71 x 4 (F + B) = 1.18 s); node 3 is back at 7200 s,
** the 16-node shape is faster again: a checkpoint first (C = 120 s, no work
** lost), then restart 600 + load 120 + morph 50 s. */
static void test_varuna_pauses(void **state)
{
    (void)state;
    oracle *o = test_oracle();
    res_config cfg;
    base_cfg(&cfg, 16);
    cfg.interval_policy = RES_IVL_FIXED;
    cfg.interval_s = 1e9;
    cfg.var_morph_s = 50;
    run_result r;
    run_rows(o, RES_VARUNA, &cfg, INFINITY, 16, "3600,node3,gpu,3600\n", 4 * 3600.0, &r, NULL);
    assert_close(r.bucket_s[RUN_B_RESTART], (30 + 600 + 120 + 50) + (600 + 120 + 50), 1e-6);
    assert_close(r.bucket_s[RUN_B_CKPT], 120, 1e-6);
    run_result_free(&r);
    oracle_free(o);
}

/* Oobleck's failure pause (RESILIENCE.md §3, res_oobleck.c): detection +
** reconfiguration + copying one node's share of the model state: 32 layers
** x 25 GB = 800 GB on n0 = ceil(800 / 640) = 2 nodes, 400 GB at 12.5 GB/s
** = 32 s: 30 + 10 + 32 = 72 s. */
static void test_oobleck_copy_time(void **state)
{
    (void)state;
    oracle *o = test_oracle();
    res_config cfg;
    base_cfg(&cfg, 24);
    run_result r;
    run_rows(o, RES_OOBLECK, &cfg, INFINITY, 24, "3600,node3,gpu,86400\n", 7200, &r, NULL);
    assert_int_equal(r.n_reconfigs, 1);
    assert_close(r.bucket_s[RUN_B_RECONFIG], 30 + 10 + 800e9 / 2 / 12.5e9, 1e-6);
    run_result_free(&r);
    oracle_free(o);
}

/* Oobleck keeps at least f + 1 pipelines (Jang et al. SOSP'23: f + 1
** logically equivalent pipeline replicas tolerate f failures), also in the
** uniform mixes it tries besides the planner's top ones: f = 2 on 8..12
** nodes (where two large pipelines, without a third, iterate faster on this
** DP-dear model). Pipelines counted from the plan ("a x n + b x m nodes"). */
static void test_oobleck_f_plus_1(void **state)
{
    (void)state;
    oracle *o = test_oracle();
    for (int n = 8; n <= 12; n++) {
        res_config cfg;
        base_cfg(&cfg, n);
        cfg.oob_f = 2;
        run_result r;
        run_rows(o, RES_OOBLECK, &cfg, INFINITY, n, "", 3600, &r, NULL);
        const char *p = strstr(r.plan, "pipelines ");
        assert_non_null(p);
        p += strlen("pipelines ");
        int pipes = 0, nodes = 0, a, b, used;
        while (sscanf(p, "%d x %d%n", &a, &b, &used) == 2) {
            pipes += a;
            nodes += a * b;
            p += used;
            if (strncmp(p, " + ", 3)) break;
            p += 3;
        }
        if (pipes < 3) print_error("%d nodes: %s\n", n, r.plan);
        assert_true(pipes >= 3);
        assert_true(nodes <= n);
        run_result_free(&r);
    }
    oracle_free(o);
}

/* Committed samples of Bamboo on 24 nodes over a day with no failure, with
** S stages (0: its own choice). */
static double bamboo_samples(oracle *o, fail_source *src, int S)
{
    run_params prm = {.duration_s = 86400.0, .detect_s = 30};
    res_config cfg;
    base_cfg(&cfg, 24);
    cfg.bam_stages = S;
    res_scheme *s = res_new(RES_BAMBOO, &cfg, INFINITY);
    run_result r;
    char err[256];
    if (run_simulate(&prm, src, o, s, &r, NULL, NULL, err, sizeof err)) print_error("%s\n", err);
    double samples = r.samples;
    run_result_free(&r);
    res_free(s);
    return samples;
}

/* Bamboo's default stage count is its fastest healthy shape among the
** divisors of the layers (32: S = 2, 4, 8, 16, 32; S = 2 does not hold two
** stages' state), not the fewest stages that fit: S = 3 holds two stages
** (22 layers x 25 GB / 8 GPUs = 69 GB < 80 GB) but its 8 pipelines
** all-reduce 11 layers' gradients every iteration (the analytic oracle:
** 2 x 7/8 x 11 x 3.125 GB at 25 GB/s = 2.4 s against 0.46 s of pipeline),
** so it trains less than a third as much as the best shape (178 against
** 712 samples/s). */
static void test_bamboo_stage_choice(void **state)
{
    (void)state;
    oracle *o = test_oracle();
    fail_source *src = no_failures(24);
    double chosen = bamboo_samples(o, src, 0), best = 0;
    for (int S = 4; S <= 32; S *= 2) {
        double x = bamboo_samples(o, src, S);
        if (x > best) best = x;
    }
    assert_rel(chosen, best, 1e-12);
    double fewest = bamboo_samples(o, src, 3);
    if (!(chosen > 3 * fewest)) print_error("chosen %g, S = 3 %g samples\n", chosen, fewest);
    assert_true(chosen > 3 * fewest);
    fail_free(src);
    oracle_free(o);
}

/* Same seed -> identical results; another seed -> different ones. */
static void test_determinism(void **state)
{
    (void)state;
    oracle *o = test_oracle();
    fail_random_cfg fr;
    fail_random_defaults(&fr);
    fr.node_mtbf_s = 24 * 3 * 3600.0;
    run_params prm = {.duration_s = 20 * 86400.0, .detect_s = 30, .series_dt_s = 3600};
    res_config cfg;
    base_cfg(&cfg, 24);
    cfg.n_spares = 2;
    for (int k = 0; k < RES_N_SCHEMES; k++) {
        run_result r[3];
        for (int i = 0; i < 3; i++) {
            char err[256];
            fail_source *src = fail_random_new(&fr, 26, i < 2 ? 7 : 8, err, sizeof err);
            res_scheme *s = res_new(k, &cfg, 3 * 3600.0);
            if (run_simulate(&prm, src, o, s, &r[i], NULL, NULL, err, sizeof err)) print_error("%s: %s\n", res_names[k], err);
            res_free(s);
            fail_free(src);
        }
        assert_true(r[0].n_failures > 0);
        assert_memory_equal(r[0].bucket_s, r[1].bucket_s, sizeof r[0].bucket_s);
        assert_memory_equal(r[0].bin_samples_per_s, r[1].bin_samples_per_s,
                            (size_t)r[0].n_bins * sizeof(double));
        assert_true(memcmp(r[0].bucket_s, r[2].bucket_s, sizeof r[0].bucket_s) != 0);
        /* failures cost something and every second is accounted for */
        if (!(r[0].goodput_frac < 1 - 1e-6))
            print_error("%s: goodput %g, %d failures\n", res_names[k], r[0].goodput_frac, r[0].n_failures);
        assert_true(r[0].goodput_frac < 1 - 1e-6);
        double sum = 0;
        for (int b = 0; b < RUN_N_BUCKETS; b++) sum += r[0].bucket_s[b];
        assert_rel(sum, r[0].sim_s, 1e-9);
        for (int i = 0; i < 3; i++) run_result_free(&r[i]);
    }
    oracle_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_young_daly),
        cmocka_unit_test(test_gemini_probabilities),
        cmocka_unit_test(test_varuna_shapes),
        cmocka_unit_test(test_ckpt_pause_bound),
        cmocka_unit_test(test_no_failures_goodput),
        cmocka_unit_test(test_interval_sweep),
        cmocka_unit_test(test_idle_nodes_are_spares),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_ckpt_mtbf_and_spares),
        cmocka_unit_test(test_inmem_group_placement),
        cmocka_unit_test(test_bamboo_overhead_closed_form),
        cmocka_unit_test(test_bamboo_failover_times),
        cmocka_unit_test(test_bamboo_few_microbatches),
        cmocka_unit_test(test_varuna_pauses),
        cmocka_unit_test(test_oobleck_copy_time),
        cmocka_unit_test(test_oobleck_f_plus_1),
        cmocka_unit_test(test_bamboo_stage_choice),
    };
    return RUN_TESTS("res", tests);
}
