/*
** test_artifact.c -- artifact-compatible replay against the Oobleck artifact
** simulator's own outputs (tests/data/oobleck_sim_results.csv, from
** shared/reference: the unchanged sosp23-artifact simulators run on the
** traces in traces/spot/), with its throughput tables
** (tests/data/oobleck_sim_tput.csv).
**
** Every row is replayed. Asserted within 1% (each accumulator as a fraction
** of their sum, and the average samples/s): every row this replay
** reproduces. The rows it does not reproduce are listed in known_gaps[] with
** the deviation measured when the list was made; it is asserted as a
** ceiling, so a regression fails and a known gap stays visible.
** docs/resilience.md explains each rule and each remaining gap.
*/
#include "testlib.h"
#include "artifact.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char trace[16], model[16], system[8];
    double v[10]; /* avg, steps, fatal, useful .. idle */
} ref_row;

static int load_rows(ref_row *rows, int max)
{
    FILE *f = fopen(TEST_PATH("tests/data/oobleck_sim_results.csv"), "r");
    assert_non_null(f);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < max) {
        if (line[0] == '#' || !strncmp(line, "trace,", 6)) continue;
        ref_row *r = &rows[n];
        line[strcspn(line, "\r\n")] = 0;
        char *p = line, *tok;
        int k = 0;
        while (p && k < 13) {
            tok = p;
            char *c = strchr(p, ',');
            if (c) *c = 0;
            p = c ? c + 1 : NULL;
            if (k == 0) snprintf(r->trace, sizeof r->trace, "%s", tok);
            else if (k == 1) snprintf(r->model, sizeof r->model, "%s", tok);
            else if (k == 2) snprintf(r->system, sizeof r->system, "%s", tok);
            else r->v[k - 3] = atof(tok);
            k++;
        }
        n++;
    }
    fclose(f);
    return n;
}

/* Replay one row into *res; returns the worst deviation (fraction points, or
** relative samples/s). */
static double replay(const oracle_table *tbl, const ref_row *r, art_result *res)
{
    char path[256], err[256];
    snprintf(path, sizeof path, DTSIM_HOME "/traces/spot/%s%s.csv", r->trace,
             r->trace[0] == 's' ? "-trace" : "");
    fail_trace_line *L;
    int n_ids;
    int n = fail_trace_read(path, &L, &n_ids, err, sizeof err);
    if (n < 0) print_error("%s\n", err);
    assert_true(n > 0);
    art_params prm;
    art_params_for(&prm, r->model, path);
    assert_int_equal(art_simulate(tbl, art_system_of(r->system), r->model, L, n, &prm, res, err,
                                  sizeof err), 0);
    free(L);
    double sum = 0, ref_sum = 0, worst = 0;
    for (int a = 0; a < ART_N_ACC; a++) {
        sum += res->acc_ms[a];
        ref_sum += r->v[3 + a];
    }
    for (int a = 0; a < ART_N_ACC; a++) {
        double d = fabs((sum > 0 ? res->acc_ms[a] / sum : 0) - (ref_sum > 0 ? r->v[3 + a] / ref_sum : 0));
        if (d > worst) worst = d;
    }
    double want = r->v[0];
    double dt = want > 0 ? fabs(res->avg_samples_per_s - want) / want : fabs(res->avg_samples_per_s);
    if (dt > worst) worst = dt;
    return worst;
}

/* Rows not reproduced within 1% (docs/resilience.md, "Not reproduced"):
** worst deviation measured by this replay (fraction points, or relative
** samples/s). */
static const struct {
    const char *trace, *model, *system;
    double worst;
} known_gaps[] = {
    /* Varuna (rules 18-34; values under rules 18-30, 18-26, 18-23, and under
    ** rules 7-8 and 16, the reading before them, in comments): on the scale
    ** traces GPT-3 2.7B and 6.7B's failed checkpoints and step counts are off
    ** (the small models, 1.0-4.5% off under rules 18-23, match since rules
    ** 24-26; 10m GPT-3 6.7B, 0.4997 under rules 18-26, since rules 27-29;
    ** scale_gcp 6.7B, 0.2995 under rules 18-30 and 0.0630 under 18-33, since
    ** rule 34) */
    {"scale_gcp", "GPT-3-2_7b", "varuna", 1.4207},   /* 2.0592, 2.1483, 2.1483, 1.8026 */
    {"scale_p3", "GPT-3-2_7b", "varuna", 0.0192},    /* 1.8453, 2.1425, 2.2699, 2.9240 */
    {"scale_p3", "GPT-3-6_7b", "varuna", 0.1020},    /* 0.1020, 0.1020, 0.2549, 0.0758 */
    /* Oobleck 6.7B on scale_gcp: 4 steps too many (111 vs 107), same span */
    {"scale_gcp", "GPT-3-6_7b", "oobleck", 0.0374},
    /* Bamboo on scale_p3 GPT-2: samples/s 1.04% high, 5 steps too many (its
    ** stalls are 311 s shorter than the artifact's); counts right
    ** (test_bamboo_counts_on_scale_traces) */
    {"scale_p3", "GPT-2-ours", "bamboo", 0.0104},  /* 0.0350 before rule 15, 0.0345 before
                                                   ** rules 13-14, 0.0466 before the
                                                   ** once-only extension */
};
enum { N_KNOWN_GAPS = sizeof known_gaps / sizeof known_gaps[0] };

static double known_gap(const ref_row *r)
{
    for (int i = 0; i < N_KNOWN_GAPS; i++)
        if (!strcmp(known_gaps[i].trace, r->trace) && !strcmp(known_gaps[i].model, r->model) &&
            !strcmp(known_gaps[i].system, r->system))
            return known_gaps[i].worst;
    return -1;
}

/* Replay the reference row (trace, model, system) into *res and return it. */
static ref_row replay_row(const char *trace, const char *model, const char *system, art_result *res)
{
    char err[256];
    oracle_table *tbl = oracle_table_load(TEST_PATH("tests/data/oobleck_sim_tput.csv"), err, sizeof err);
    assert_non_null(tbl);
    ref_row rows[128];
    int n = load_rows(rows, 128), found = -1;
    for (int i = 0; i < n && found < 0; i++)
        if (!strcmp(rows[i].trace, trace) && !strcmp(rows[i].model, model) &&
            !strcmp(rows[i].system, system))
            found = i;
    assert_true(found >= 0);
    replay(tbl, &rows[found], res);
    oracle_table_free(tbl);
    return rows[found];
}

/* The throughput span (first start to last completed step) of a row:
** steps x batch / samples/s, seconds. */
static double span_s(double steps, double batch, double samples_per_s)
{
    return steps * batch / samples_per_s;
}

/* Rules 9 and 11, Oobleck on the scale_* traces: the throughput span runs
** from the first start to the last *completed* step, so each row fixes when
** its last step completed: steps x batch / samples/s after the first start
** (both sides start at the same time). Rule 9: the span ends at the last
** completed step, not at the last rendezvous (GPT-3 6.7B: 107 steps at
** 2.9183/s -> 37,545.2 s on scale_gcp, 40,539.3 s on scale_p3; to the last
** rendezvous: 38,115 s and 40,755 s). Rule 11: nothing completes in windows
** of at most 15 nodes; without it the scale_p3 rows ended 90-120 s late
** (steps completed at 15 nodes between the double removal at 40,800 s and
** the end). Tolerance 1 s: the 4-decimal samples/s of the slowest model
** (6.7B, ~2.7/s) rounds the span by up to 0.8 s. */
static void test_span_ends_at_last_step(void **state)
{
    (void)state;
    static const char *const traces[] = {"scale_gcp", "scale_p3"};
    static const char *const models[] = {"BERT-large", "GPT-2-ours", "GPT-3-medium",
                                         "GPT-3-2_7b", "GPT-3-6_7b"};
    static const double batch[] = {8192, 1024, 819, 512, 1024};
    for (int i = 0; i < 2; i++)
        for (int m = 0; m < 5; m++) {
            art_result res;
            ref_row r = replay_row(traces[i], models[m], "oobleck", &res);
            double ours = span_s((double)res.steps_done, batch[m], res.avg_samples_per_s);
            double theirs = span_s(r.v[1], batch[m], r.v[0]);
            if (fabs(ours - theirs) > 1.0)
                print_error("%s %s: span %.1f s, artifact %.1f s\n", r.trace, r.model, ours, theirs);
            assert_true(fabs(ours - theirs) <= 1.0);
        }
}

/* Rule 10: a rendezvous started by a node becoming ready after a stop does
** not list that node. GPT-3 6.7B Oobleck on scale_p3 shows it: its table has
** no throughput at 15 nodes, so each rendezvous that starts 15-node training
** books a 1e12 ms stall step as useful, and a removal during it books one as
** fallback. The artifact's row has 2 stall steps in useful_ms and 1 in
** fallback_ms (2000048269357, 1000032060914): the rendezvous at 30,705 s,
** started by the 16th node, runs 15 nodes until the removal at 30,840 s.
** Listing the node gives 1 and 0. */
static void test_ready_node_not_in_its_rendezvous(void **state)
{
    (void)state;
    art_result res;
    ref_row r = replay_row("scale_p3", "GPT-3-6_7b", "oobleck", &res);
    assert_int_equal((long)(res.acc_ms[ART_USEFUL] / 1e12), (long)(r.v[3] / 1e12));
    assert_int_equal((long)(res.acc_ms[ART_FALLBACK] / 1e12), (long)(r.v[8] / 1e12));
    assert_int_equal((long)(res.acc_ms[ART_USEFUL] / 1e12), 2);
    assert_int_equal((long)(res.acc_ms[ART_FALLBACK] / 1e12), 1);
}

/* Rules 13-15 and 17 (Bamboo): a removal during a rendezvous, or while
** stopped, is a failover check on the pipelines that still stand; pipelines
** are laid out stage-major; a fatal failure while training books its restart
** and stops until a node is ready, whose global rendezvous books another,
** and the step it loses is not booked as useful. They make
** the artifact's counts come out on the four running scale rows
** (oobleck_sim_results.csv): fatal failures exactly (scale_gcp BERT-large 2,
** GPT-2 3; scale_p3 8, 11; before the rules 3, 2, 4, 2), and the restart
** time, 30 s per global rendezvous, within one rendezvous (5, 6, 16, 20 of
** them; before: 4, 5, 12, 18 at the same fatal counts without rule 15). */
static void test_bamboo_counts_on_scale_traces(void **state)
{
    (void)state;
    static const char *const traces[] = {"scale_gcp", "scale_gcp", "scale_p3", "scale_p3"};
    static const char *const models[] = {"BERT-large", "GPT-2-ours", "BERT-large", "GPT-2-ours"};
    for (int i = 0; i < 4; i++) {
        art_result res;
        ref_row r = replay_row(traces[i], models[i], "bamboo", &res);
        long want = (long)r.v[2];
        double restart_ms = r.v[6];
        if ((long)res.fatal_failures != want || fabs(res.acc_ms[ART_RESTART] - restart_ms) > 30000)
            print_error("%s %s: %ld fatal failures, restart %.0f ms; artifact %ld, %.0f ms\n",
                        r.trace, r.model, (long)res.fatal_failures, res.acc_ms[ART_RESTART], want,
                        restart_ms);
        assert_int_equal(res.fatal_failures, want);
        assert_true(fabs(res.acc_ms[ART_RESTART] - restart_ms) <= 30000);
        /* rule 17: the step a fatal failure loses is not booked, so useful
        ** is within 1% (0.25-0.91%; 1.1-1.9% when it was booked) */
        double useful_ms = r.v[3];
        if (fabs(res.acc_ms[ART_USEFUL] - useful_ms) > 0.01 * useful_ms)
            print_error("%s %s: useful %.0f ms, artifact %.0f ms\n", r.trace, r.model,
                        res.acc_ms[ART_USEFUL], useful_ms);
        assert_true(fabs(res.acc_ms[ART_USEFUL] - useful_ms) <= 0.01 * useful_ms);
    }
}

/* Varuna on the synthetic traces (rules 18-22, 27-29): the accumulators
** that depend only on timing, useful, restart and checkpoint, are the
** artifact's to the millisecond on all 25 rows; so is the fallback except on
** three rows (6h, 3h and 30m GPT-2: one failed checkpoint short, -87,050 to
** -287,550 ms). 10m GPT-3 6.7B's fallback is exact since rules 27-29 (it was
** 2,961,105 ms short: 21 rows). Idle is not asserted: ours is 0-1.5% high
** (the artifact's lies between idle of every scheduled step and of the
** completed ones only). Before rules 18-22 useful was off by up to 7.0 M ms. */
static void test_varuna_synthetic_exact(void **state)
{
    (void)state;
    static const char *const traces[] = {"6h", "3h", "1h", "30m", "10m"};
    static const char *const models[] = {"BERT-large", "GPT-2-ours", "GPT-3-medium",
                                         "GPT-3-2_7b", "GPT-3-6_7b"};
    int n_fallback_exact = 0;
    for (int t = 0; t < 5; t++)
        for (int m = 0; m < 5; m++) {
            art_result res;
            ref_row r = replay_row(traces[t], models[m], "varuna", &res);
            const int acc[] = {ART_USEFUL, ART_RESTART, ART_CHECKPOINT};
            for (int a = 0; a < 3; a++) {
                double want = r.v[3 + acc[a]];
                if (fabs(res.acc_ms[acc[a]] - want) > 1)
                    print_error("%s %s: %s %.0f ms, artifact %.0f ms\n", r.trace, r.model,
                                art_acc_names[acc[a]], res.acc_ms[acc[a]], want);
                assert_true(fabs(res.acc_ms[acc[a]] - want) <= 1);
            }
            n_fallback_exact += fabs(res.acc_ms[ART_FALLBACK] - r.v[3 + ART_FALLBACK]) <= 1;
        }
    assert_int_equal(n_fallback_exact, 22);
}

/* Bamboo on the synthetic traces, BERT-large and GPT-2 (the models that fit
** on its pipelines): every accumulator to the millisecond and samples/s to
** the artifact's 4 decimals. Rule 0 (whole-millisecond step times) covers the
** slowed step, the fallback charge and the failover's extension too: with
** unrounded products (step x 1.5, remaining / 2), useful was 1-78 ms high,
** fallback 1-3 ms high, and 10m samples/s 69.8365 / 16.0100 (69.8366 /
** 16.0101). */
static void test_bamboo_synthetic_exact(void **state)
{
    (void)state;
    static const char *const traces[] = {"6h", "3h", "1h", "30m", "10m"};
    static const char *const models[] = {"BERT-large", "GPT-2-ours"};
    for (int t = 0; t < 5; t++)
        for (int m = 0; m < 2; m++) {
            art_result res;
            ref_row r = replay_row(traces[t], models[m], "bamboo", &res);
            for (int a = 0; a < ART_N_ACC; a++) {
                double want = r.v[3 + a];
                if (fabs(res.acc_ms[a] - want) > 0.5)
                    print_error("%s %s: %s %.1f ms, artifact %.0f ms\n", r.trace, r.model,
                                art_acc_names[a], res.acc_ms[a], want);
                assert_true(fabs(res.acc_ms[a] - want) <= 0.5);
            }
            assert_true(fabs(res.avg_samples_per_s - r.v[0]) <= 5e-5);
        }
}

/* Varuna's samples/s (rule 22): one point per completed step, y = B / the
** time since the previous completion (lost steps zeroed), time-weighted from
** the *planned* end of the first rendezvous (45 s ready time + restart -
** checkpoint), not moved when a removal restarts it. The artifact's 10m
** GPT-3 6.7B value shows the origin: 0.2551 = 2 x 1024 / (8,655.6 s -
** 626.0 s), two surviving steps. On rows whose accumulators we reproduce
** exactly it comes out to the artifact's 4 decimals: 1h GPT-3 6.7B 2.6885,
** 10m BERT-large 173.5206 (2.6881 and 171.27 under rule 16), and 10m GPT-3
** 6.7B's 0.2551 itself since rules 27-29 (0.3826 before: 3 steps survived). */
static void test_varuna_series(void **state)
{
    (void)state;
    art_result res;
    ref_row r = replay_row("1h", "GPT-3-6_7b", "varuna", &res);
    assert_true(fabs(res.avg_samples_per_s - r.v[0]) <= 5e-5 * r.v[0]);
    r = replay_row("10m", "BERT-large", "varuna", &res);
    assert_true(fabs(res.avg_samples_per_s - r.v[0]) <= 5e-5 * r.v[0]);
    r = replay_row("10m", "GPT-3-6_7b", "varuna", &res);
    assert_int_equal(res.steps_done, (long)r.v[1]);
    assert_true(fabs(res.avg_samples_per_s - r.v[0]) <= 5e-4 * r.v[0]); /* 4 digits given */
    /* rule 32: a removal during a rendezvous with no step since the last good
    ** checkpoint zeroes the whole series (Python's y[-0:]). scale_gcp 6.7B's
    ** samples/s is then the artifact's 0 (0.2995 before: 11 points survived),
    ** and scale_p3 2.7B keeps 48 points to the artifact's 47: 0.6089 against
    ** 0.5974 (1.6998 before) */
    r = replay_row("scale_gcp", "GPT-3-6_7b", "varuna", &res);
    assert_true(r.v[0] == 0 && res.avg_samples_per_s == 0);
    r = replay_row("scale_p3", "GPT-3-2_7b", "varuna", &res);
    assert_true(fabs(res.avg_samples_per_s - r.v[0]) <= 0.02 * r.v[0]);
}

/* Varuna on scale_gcp (rules 24-26): the artifact's restart time is a
** whole number of rendezvous, 74 x (restart - checkpoint) for GPT-2 (74 x
** 71.5 s = 5,291,000 ms) and GPT-3 medium (74 x 67.5 s = 4,995,000 ms), and
** ours is that exactly (73 rendezvous before rule 24: a node ready during a
** ready-started rendezvous restarts it). Useful time within 0.12% on both
** (GPT-2: 1.29 M ms, 4.1%, too much under rules 18-23 alone; rule 26, the
** configuration after a held one is held too, removes it). */
static void test_varuna_scale_gcp_rendezvous(void **state)
{
    (void)state;
    static const char *const models[] = {"GPT-2-ours", "GPT-3-medium"};
    for (int m = 0; m < 2; m++) {
        art_result res;
        ref_row r = replay_row("scale_gcp", models[m], "varuna", &res);
        double want = r.v[3 + ART_RESTART], useful = r.v[3 + ART_USEFUL];
        if (fabs(res.acc_ms[ART_RESTART] - want) > 1 ||
            fabs(res.acc_ms[ART_USEFUL] - useful) > 0.0012 * useful)
            print_error("%s: restart %.0f ms (artifact %.0f), useful %.0f (artifact %.0f)\n",
                        models[m], res.acc_ms[ART_RESTART], want, res.acc_ms[ART_USEFUL], useful);
        assert_true(fabs(res.acc_ms[ART_RESTART] - want) <= 1);
        assert_true(fabs(res.acc_ms[ART_USEFUL] - useful) <= 0.0012 * useful);
    }
}

static void test_artifact_rows(void **state)
{
    (void)state;
    char err[256];
    oracle_table *tbl = oracle_table_load(TEST_PATH("tests/data/oobleck_sim_tput.csv"), err, sizeof err);
    assert_non_null(tbl);
    ref_row rows[128];
    int n = load_rows(rows, 128);
    assert_int_equal(n, 105); /* 5 models x 7 traces x 3 systems */
    int n_match = 0, n_gap = 0;
    for (int i = 0; i < n; i++) {
        const ref_row *r = &rows[i];
        art_result res;
        double worst = replay(tbl, r, &res), gap = known_gap(r);
        long steps = res.steps_done;
        if (gap >= 0) {
            /* a known gap: no worse than measured (rounding margin 0.001) */
            if (worst > gap + 1e-3)
                print_error("%s %s %s: deviation %.4f, known gap %.4f\n", r->trace, r->model,
                            r->system, worst, gap);
            assert_true(worst <= gap + 1e-3);
            n_gap++;
            continue;
        }
        /* reproduced: within 1% (RESILIENCE.md §6 replay target) */
        if (worst > 0.01) print_error("%s %s %s: deviation %.4f\n", r->trace, r->model, r->system, worst);
        assert_true(worst <= 0.01);
        long want = (long)r->v[1];
        int synthetic = r->trace[0] != 's';
        if (((!strcmp(r->system, "oobleck") || !strcmp(r->system, "bamboo")) && synthetic) ||
            (!strcmp(r->system, "bamboo") && r->v[0] == 0)) {
            /* Oobleck and Bamboo on the synthetic traces and the out-of-memory
            ** Bamboo rows: the exact step count; the running Bamboo rows also
            ** every fraction and samples/s to 1e-4 (float noise: useful within
            ** 80 ms; 0.0038 before the once-only step extension) */
            assert_int_equal(steps, want);
            if (!strcmp(r->system, "bamboo") && r->v[0] > 0) {
                if (worst > 1e-4) print_error("%s %s bamboo: deviation %.6f\n", r->trace, r->model, worst);
                assert_true(worst <= 1e-4);
            }
        } else {
            /* the others: within 1% (Varuna's only since a removal no
            ** longer takes its lost steps back: docs/resilience.md), and
            ** one step either way (scale_gcp GPT-3 6.7B Varuna: 0 against
            ** the artifact's 1, samples/s 0 in both) */
            if (labs(steps - want) > want / 100 + 1)
                print_error("%s %s %s: %ld steps, artifact %ld\n", r->trace, r->model, r->system,
                            steps, want);
            assert_true(labs(steps - want) <= want / 100 + 1);
        }
        n_match++;
    }
    assert_int_equal(n_gap, N_KNOWN_GAPS);
    assert_int_equal(n_match, 105 - N_KNOWN_GAPS); /* 100 rows */
    oracle_table_free(tbl);
}

/* RESILIENCE.md §6 test vector: BERT-large, 10m trace, Oobleck: 282.11
** samples/s, useful 0.9552, rebalance 0.0031 (15 x 2 s), fallback 0.0417. */
static void test_readme_vector_oobleck(void **state)
{
    (void)state;
    char err[256];
    oracle_table *tbl = oracle_table_load(TEST_PATH("tests/data/oobleck_sim_tput.csv"), err, sizeof err);
    fail_trace_line *L;
    int n_ids, n = fail_trace_read(TEST_PATH("traces/spot/10m.csv"), &L, &n_ids, err, sizeof err);
    assert_true(n > 0);
    art_params prm;
    art_params_for(&prm, "BERT-large", "10m.csv");
    art_result r;
    assert_int_equal(art_simulate(tbl, ART_OOBLECK, "BERT-large", L, n, &prm, &r, err, sizeof err), 0);
    double sum = 0;
    for (int a = 0; a < ART_N_ACC; a++) sum += r.acc_ms[a];
    assert_close(r.avg_samples_per_s, 282.11, 0.01);
    assert_close(r.acc_ms[ART_USEFUL] / sum, 0.9552, 5e-5);
    assert_close(r.acc_ms[ART_REBALANCE], 15 * 2000.0, 1e-9);
    assert_close(r.acc_ms[ART_FALLBACK] / sum, 0.0417, 5e-5);
    assert_int_equal(r.fatal_failures, 14);
    /* Varuna's restart accumulator: 60.2 s + sum_{n=30..17} (table(n) - 15.8 s) = 1048.1 s */
    assert_int_equal(art_simulate(tbl, ART_VARUNA, "BERT-large", L, n, &prm, &r, err, sizeof err), 0);
    assert_close(r.acc_ms[ART_RESTART], 1048100, 1e-6);
    free(L);
    oracle_table_free(tbl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_artifact_rows),
        cmocka_unit_test(test_readme_vector_oobleck),
        cmocka_unit_test(test_span_ends_at_last_step),
        cmocka_unit_test(test_ready_node_not_in_its_rendezvous),
        cmocka_unit_test(test_bamboo_counts_on_scale_traces),
        cmocka_unit_test(test_bamboo_synthetic_exact),
        cmocka_unit_test(test_varuna_synthetic_exact),
        cmocka_unit_test(test_varuna_series),
        cmocka_unit_test(test_varuna_scale_gcp_rendezvous),
    };
    return RUN_TESTS("artifact", tests);
}
