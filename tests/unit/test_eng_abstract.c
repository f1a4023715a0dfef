/*
** test_eng_abstract.c -- the SimGrid engine in abstract mode against closed
** forms and against the pure D1-D4 timer.
**
** Expected values:
**   GPipe, 1F1B: bubble / iteration = (p-1)/(m+p-1)  (SCHEDULES.md §3-4;
**                Narayanan et al. SC'21 §2.2.1)
**   interleaved: bubble / ideal = (p-1)/(v*m)           (SC'21 §2.2.2), m % p == 0
**   every schedule, with T_comm > 0: the engine's per-op start/end times equal
**                the in-order list-scheduling timer's (sched_time, rules D1-D4),
**                which the fixture tests tie to the Zero Bubble authors' code.
** SimGrid is initialised once per process, so one engine (a 32-device
** abstract cluster) runs every case in turn.
*/
#include "testlib.h"

#include "cfg.h"
#include "eng.h"
#include "metrics.h"
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#define MAX_P 32

static eng_t *engine;

/* Load the abstract test config with overrides; fails the test on error. */
static void load(cfg_experiment *e, const char *sched, int p, int m, int v, double t_comm)
{
    char s1[64], s2[64], s3[64], s4[64], s5[64];
    snprintf(s1, sizeof s1, "parallel.schedule=\"%s\"", sched);
    snprintf(s2, sizeof s2, "parallel.pp=%d", p);
    snprintf(s3, sizeof s3, "parallel.global_batch_size=%d", m);
    snprintf(s4, sizeof s4, "parallel.virtual_stages=%d", v);
    snprintf(s5, sizeof s5, "model.t_comm=%.17g", t_comm);
    cfg_overrides ov = {.n = v > 0 ? 5 : 4, .items = {s1, s2, s3, s5, s4}};
    cfg_error err;
    if (cfg_load(TEST_PATH("tests/data/configs/abstract.json"), &ov, e, &err)) {
        char buf[1024];
        cfg_error_format(&err, buf, sizeof buf);
        print_error("%s\n", buf);
        fail();
    }
}

/* Simulate the plan of 'e' once; returns the iteration time, fills 'res'. */
static double simulate(const cfg_experiment *e, plan_t *p, tl_result *res)
{
    char err[512];
    if (plan_build(e, p, err, sizeof err)) {
        print_error("plan: %s\n", err);
        fail();
    }
    if (!engine) {
        engine = eng_new(e, 1, NULL, 0, err, sizeof err);
        if (!engine) {
            print_error("engine: %s\n", err);
            fail();
        }
    }
    if (eng_run(engine, p, NULL, 1, 1, res, err, sizeof err)) {
        print_error("run: %s\n", err);
        fail();
    }
    return res->iteration_s;
}

/* Mean bubble of the devices: iteration - busy (F, B, W compute). */
static double mean_bubble(const tl_result *r, int pp, double iter_s, double *busy_out)
{
    double bubble = 0, busy_all = 0;
    for (int d = 0; d < pp; d++) {
        double busy = 0;
        const tl_track *t = &r->tracks[d];
        for (int i = 0; i < t->n; i++)
            if (t->ev[i].type <= TL_EV_W) busy += t->ev[i].end_s - t->ev[i].start_s;
        bubble += iter_s - busy;
        busy_all += busy;
    }
    *busy_out = busy_all / pp;
    return bubble / pp;
}

/* The grid: p in {1,2,4,8,16,32}, m in 1..4p (GPipe, 1F1B), and
** v in {1,2,4} with m a multiple of p (interleaved). Under AddressSanitizer
** (thread contexts, ~50x slower) m steps by p/4 instead of 1. */
static void test_closed_forms(void **state)
{
    (void)state;
    static const int ps[] = {32, 16, 8, 4, 2, 1}; /* 32 first: the engine's platform */
    int asan = getenv("DTSIM_SANITIZE") != NULL;
    for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
        int p = ps[i], step = asan && p >= 8 ? p / 4 : 1;
        for (int m = 1; m <= 4 * p; m += step) {
            static const char *const names[] = {"gpipe", "1f1b"};
            for (int k = 0; k < 2; k++) {
                cfg_experiment e;
                plan_t pl;
                tl_result r;
                load(&e, names[k], p, m, 0, 0);
                double it = simulate(&e, &pl, &r), busy;
                double bubble = mean_bubble(&r, p, it, &busy);
                assert_close(bubble / it, (double)(p - 1) / (m + p - 1), 1e-9);
                tl_result_free(&r);
                plan_free(&pl);
                cfg_free(&e);
            }
        }
        for (int v = 1; v <= 4; v *= 2)
            for (int m = p; m <= 4 * p; m += p) {
                cfg_experiment e;
                plan_t pl;
                tl_result r;
                load(&e, "interleaved", p, m, v, 0);
                double it = simulate(&e, &pl, &r), busy;
                double bubble = mean_bubble(&r, p, it, &busy);
                assert_close(bubble / busy, (double)(p - 1) / (v * m), 1e-9);
                tl_result_free(&r);
                plan_free(&pl);
                cfg_free(&e);
            }
    }
}

/* Every schedule, with a transfer delay: the engine reproduces the D1-D4
** timer op by op (p = 4 and 8, m = 2p, T = 1/1.5/0.5, T_comm = 0.25). */
static void test_matches_list_scheduling(void **state)
{
    (void)state;
    for (int t = 0; t < SCHED_N_TYPES; t++) {
        for (int p = 4; p <= 8; p += 4) {
            cfg_experiment e;
            plan_t pl;
            tl_result r;
            int v = t == SCHED_INTERLEAVED ? 2 : 0;
            load(&e, sched_type_name(t), p, 2 * p, v, 0.25);
            simulate(&e, &pl, &r);
            sched_costs c = {.n_vs = pl.n_vs, .t_f = pl.f_s, .t_b = pl.b_s, .t_w = pl.w_s,
                             .t_comm = pl.comm_delay_s, .m_f = 1, .m_b = 0, .m_w = -1};
            sched_timing tm;
            assert_int_equal(sched_time(&pl.sched, &c, &tm), 0);
            for (int d = 0; d < p; d++) {
                const tl_track *tr = &r.tracks[d];
                int k = 0;
                for (int i = 0; i < tr->n; i++) {
                    if (tr->ev[i].type > TL_EV_W) continue;
                    assert_true(k < pl.sched.n_ops[d]);
                    if (fabs(tr->ev[i].start_s - tm.start[d][k]) > 1e-9)
                        print_error("%s p=%d dev %d op %d\n", sched_type_name(t), p, d, k);
                    assert_close(tr->ev[i].start_s, tm.start[d][k], 1e-9);
                    assert_close(tr->ev[i].end_s, tm.end[d][k], 1e-9);
                    k++;
                }
                assert_int_equal(k, pl.sched.n_ops[d]);
            }
            assert_close(r.iteration_s, tm.makespan, 1e-9);
            sched_timing_free(&tm);
            tl_result_free(&r);
            plan_free(&pl);
            cfg_free(&e);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_matches_list_scheduling),
    };
    int rc = RUN_TESTS("eng_abstract", tests);
    eng_free(engine);
    return rc;
}
