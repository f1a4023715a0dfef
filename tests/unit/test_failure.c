/*
** test_failure.c -- failure sources: spot traces, failure CSV, random.
** Expected values: the trace files themselves (traces/spot, counts in
** traces/README.md), the exponential law (mean of draws), and error texts
** that must name the file and line.
*/
#include "testlib.h"
#include "failure.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void write_tmp(char *path, const char *text)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_true(write(fd, text, n) == (ssize_t)n);
    close(fd);
}

/* Loading 'text' as a spot trace (csv = 0) or as a failure CSV over 4 nodes
** (csv = 1) fails, with 'needle' in the error. */
static void load_rejects(int csv, const char *text, const char *needle)
{
    char path[] = "/tmp/dtsim_fail_XXXXXX", err[512];
    write_tmp(path, text);
    if (csv)
        assert_null(fail_csv_load(path, 4, err, sizeof err));
    else
        assert_null(fail_trace_load(path, 45, err, sizeof err));
    assert_non_null(strstr(err, needle));
    unlink(path);
}

/* 10m.csv: 30 nodes at t = 0, then 15 removals 601.2 s apart (README). */
static void test_spot_trace(void **state)
{
    (void)state;
    char err[256];
    fail_source *s = fail_trace_load(TEST_PATH("traces/spot/10m.csv"), 45, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(fail_initial_nodes(s), 30);
    fail_event e;
    int n = 0;
    double last = 0;
    while (fail_next(s, &e)) {
        assert_int_equal(e.kind, FAIL_EV_FAIL);
        assert_true(e.t_s >= last);
        last = e.t_s;
        n++;
    }
    assert_int_equal(n, 15);
    assert_close(fail_end_s(s), 15 * 601.2, 1e-9);
    fail_free(s);
    /* p3-trace: 177 adds, 167 removals in all (traces/README.md); adds after
    ** t = 0 arrive 45 s later, removals of still-starting nodes cancel both */
    s = fail_trace_load(TEST_PATH("traces/spot/p3-trace.csv"), 45, err, sizeof err);
    assert_non_null(s);
    int adds = fail_initial_nodes(s), rem = 0;
    while (fail_next(s, &e)) e.kind == FAIL_EV_FAIL ? rem++ : adds++;
    assert_true(adds <= 177 && rem <= 167);
    assert_int_equal(177 - adds, 167 - rem); /* cancelled pairs (none in p3) */
    fail_free(s);
}

/* Replays a stream and checks failure.h's invariant: a node fails only while
** up and arrives only while down (run.c skips an event that breaks it, so a
** failure would be lost or a removed node would come back). Returns the
** number of events. */
static int replay_consistent(fail_source *s)
{
    char up[64];
    int n = 0;
    assert_true(fail_n_ids(s) <= 64);
    for (int i = 0; i < fail_n_ids(s); i++) up[i] = (char)fail_initially_up(s, i);
    fail_event e;
    while (fail_next(s, &e)) {
        assert_in_range(e.node, 0, fail_n_ids(s) - 1);
        assert_int_equal(up[e.node], e.kind == FAIL_EV_FAIL);
        up[e.node] = e.kind == FAIL_EV_ARRIVE;
        n++;
    }
    return n;
}

/* Start-up cancellation on a hand-made trace (times in ms, start-up 45 s;
** fail_trace_load's contract in failure.h: "a node removed before it is
** ready never appears"; ids by first appearance a0 b1 c2 d3):
**   0 add a       -> initial node
**   10000 add b   -> ready at 10 + 45 = 55 s
**   20000 rm b    -> 20 s < 55 s: still starting, add and removal both vanish
**   30000 add c   -> ready at 75 s
**   75000 rm c    -> removed the instant it is ready: it never appears either,
**                    as in the artifact's simulators, whose events of one
**                    millisecond pop removals before readies (docs/resilience.md,
**                    "Event order is Python's heapq"). It used to fail at 75 s
**                    before arriving at 75 s (failures first), and run.c then
**                    kept it up for good.
**   40000 add d   -> ready at 85 s
**   90000 rm d    -> d has arrived: a failure at 90 s
**   100000 rm a   -> failure at 100 s
** Expected stream: 1 initial node; ARRIVE d 85, FAIL d 90, FAIL a 100. */
static void test_trace_startup_cancel(void **state)
{
    (void)state;
    char path[] = "/tmp/dtsim_cancel_XXXXXX", err[512];
    write_tmp(path, "0,add,a\n10000,add,b\n20000,remove,b\n30000,add,c\n40000,add,d\n"
                    "75000,remove,c\n90000,remove,d\n100000,remove,a\n");
    fail_source *s = fail_trace_load(path, 45, err, sizeof err);
    unlink(path);
    if (!s) fail_msg("%s", err);
    assert_int_equal(fail_initial_nodes(s), 1);
    fail_event e[8];
    int n = 0;
    while (n < 8 && fail_next(s, &e[n])) n++;
    assert_int_equal(n, 3);
    assert_int_equal(e[0].kind, FAIL_EV_ARRIVE);
    assert_int_equal(e[0].node, 3);
    assert_close(e[0].t_s, 85, 0);
    assert_int_equal(e[1].kind, FAIL_EV_FAIL);
    assert_int_equal(e[1].node, 3);
    assert_close(e[1].t_s, 90, 0);
    assert_int_equal(e[2].kind, FAIL_EV_FAIL);
    assert_int_equal(e[2].node, 0);
    assert_close(e[2].t_s, 100, 0);
    fail_rewind(s);
    assert_int_equal(replay_consistent(s), 3);
    fail_free(s);
}

static void test_trace_errors(void **state)
{
    (void)state;
    char err[512];
    char p1[] = "/tmp/dtsim_trace_XXXXXX";
    write_tmp(p1, "0,add,node1\n0,add,node2\n1000,explode,node1\n");
    assert_null(fail_trace_load(p1, 45, err, sizeof err));
    assert_non_null(strstr(err, p1));
    assert_non_null(strstr(err, ":3:"));          /* line number */
    assert_non_null(strstr(err, "explode"));
    unlink(p1);
    load_rejects(0, "0,add,node1\nabc,remove,node1\n", ":2:");
    load_rejects(0, "# a comment counts as a line\n0,add,node1\n5,remove,node2\n",
                 ":3: removal of a node that is not present");
    load_rejects(0, "10,add,node1\n5,add,node2\n", ":2:");
    assert_null(fail_trace_load("/nonexistent/trace.csv", 45, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/trace.csv"));
}

/* Node ids in order of first appearance, found again by name after the
** name index has grown many times (5000 names; it starts at 128 slots):
** node K is added as id K, then the names are removed in reverse order and
** each removal carries the id of its add. (The index replaced a linear
** search that made a 200k-node trace take over a minute; its timing is
** in the commit message, not tested here.) */
static void test_trace_many_names(void **state)
{
    (void)state;
    enum { N = 5000 };
    size_t len = (size_t)N * 2 * 40 + 1;
    char *text = malloc(len), path[] = "/tmp/dtsim_names_XXXXXX", err[512];
    assert_non_null(text);
    size_t at = 0;
    for (int i = 0; i < N; i++) at += (size_t)snprintf(text + at, len - at, "0,add,n%dx\n", i);
    for (int i = N - 1; i >= 0; i--)
        at += (size_t)snprintf(text + at, len - at, "%d,remove,n%dx\n", 1000 * (N - i), i);
    write_tmp(path, text);
    free(text);
    fail_trace_line *v = NULL;
    int n_ids = 0, n = fail_trace_read(path, &v, &n_ids, err, sizeof err);
    unlink(path);
    assert_int_equal(n, 2 * N);
    assert_int_equal(n_ids, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(v[i].node, i);
        assert_int_equal(v[N + i].node, N - 1 - i);
        assert_false(v[N + i].add);
    }
    free(v);
}

static void test_failure_csv(void **state)
{
    (void)state;
    char err[512];
    load_rejects(1, "# comment\ntime_s,node,cause,repair_s\n100,node3,gpu,3600\n200,1,software,0\n"
                    "300,node3,gpu,\n",
                 ":5:"); /* node3 is down until 3700 s */
    char q[] = "/tmp/dtsim_fcsv_XXXXXX";
    write_tmp(q, "time_s,node,cause,repair_s\n100,node3,gpu,3600\n200,1,software,0\n4000,node3,gpu,inf\n");
    fail_source *s = fail_csv_load(q, 4, err, sizeof err);
    assert_non_null(s);
    fail_event e;
    double t[8];
    int k[8], n = 0;
    while (fail_next(s, &e) && n < 8) { t[n] = e.t_s; k[n++] = e.kind; }
    assert_int_equal(n, 5); /* 3 failures, 2 returns (node1 at 200 s, node3 at 3700 s) */
    assert_close(t[0], 100, 0);
    assert_int_equal(k[2], FAIL_EV_ARRIVE); /* failures first at equal times */
    assert_close(t[3], 3700, 1e-9);
    assert_string_equal(fail_cause_name(s, 0), "gpu");
    fail_free(s);
    unlink(q);
    load_rejects(1, "time_s,node,cause,repair_s\n10,node9,gpu,1\n", ":2:");
    /* 4 nodes are node0..node3: node4 is one past the end (it would index
    ** back[4], past the array) */
    load_rejects(1, "time_s,node,cause,repair_s\n10,node4,gpu,1\n", ":2: node 'node4'");
    load_rejects(1, "time_s,node,cause,repair_s\n10,4,gpu,1\n", ":2: node '4'");
    /* repair_s must be >= 0 (failure.h: empty or inf = never back) */
    load_rejects(1, "time_s,node,cause,repair_s\n10,node1,gpu,-5\n", ":2: repair time '-5'");
    /* a spot trace's time bound: FAIL_MAX_TIME_S (10^6 h) in ms */
    load_rejects(0, "0,add,n1\n1e300,remove,n1\n", ":2: time '1e300'");
    /* a fifth field was taken into repair_s's split and ignored */
    load_rejects(1, "time_s,node,cause,repair_s\n10,node1,gpu,5,extra\n", ":2: expected 4 fields");
    /* a node is down on [t, t + repair_s): it may fail at t = 0 (up from the
    ** start) and again exactly when it is back. Stream: FAIL 0, ARRIVE 10,
    ** FAIL 10, ARRIVE 15 (4 events) */
    char b[] = "/tmp/dtsim_fcsv_XXXXXX";
    write_tmp(b, "time_s,node,cause,repair_s\n0,node0,gpu,10\n10,node0,gpu,5\n");
    fail_source *bs = fail_csv_load(b, 4, err, sizeof err);
    unlink(b);
    if (!bs) fail_msg("%s", err);
    fail_event be[4];
    for (int i = 0; i < 4; i++) assert_int_equal(fail_next(bs, &be[i]), 1);
    assert_int_equal(fail_next(bs, &be[0]), 0);
    /* at t = 10 node0 is back, then fails: the arrival must come first even
    ** though failures go first at equal times (otherwise the second failure
    ** hits a down node and run.c drops it) */
    assert_true(be[1].t_s == 10 && be[1].kind == FAIL_EV_ARRIVE);
    assert_true(be[2].t_s == 10 && be[2].kind == FAIL_EV_FAIL);
    fail_rewind(bs);
    assert_int_equal(replay_consistent(bs), 4);
    fail_free(bs);
    /* a time past 10^6 h would make a run that never ends */
    load_rejects(1, "time_s,node,cause,repair_s\n1e300,node1,gpu,5\n", ":2: time '1e300'");
    /* strtod read these as node 16, node 2 and time 16 s (found by fuzzing) */
    load_rejects(1, "time_s,node,cause,repair_s\n10,0x10,gpu,5\n", ":2: node '0x10'");
    load_rejects(1, "time_s,node,cause,repair_s\n10,node 2,gpu,5\n", ":2: node 'node 2'");
    load_rejects(1, "time_s,node,cause,repair_s\n0x10,node1,gpu,5\n", ":2: time '0x10'");
    /* a blank is not a node name; it was a node of its own */
    load_rejects(0, "0,add,node1\n0,add, \n", ":2: bad node name ' '");
    load_rejects(0, "0,add,node1\n0,add,no de\n", ":2: bad node name 'no de'");
}

static void same_event(const fail_event *a, const fail_event *b)
{
    assert_true(a->t_s == b->t_s && a->kind == b->kind && a->node == b->node &&
                a->cause == b->cause && a->repair_s == b->repair_s);
}

/* Random: same seed -> same stream; mean time between failures of one node
** close to the configured MTBF (exponential, 20 nodes x ~500 failures). */
static void test_random(void **state)
{
    (void)state;
    fail_random_cfg c;
    fail_random_defaults(&c);
    c.node_mtbf_s = 1000;
    c.n_components = 1;
    c.comp[0].weight = 1;
    c.comp[0].repair_s = 0;
    c.horizon_s = 500000;
    char err[256];
    fail_source *a = fail_random_new(&c, 20, 42, err, sizeof err), *b = fail_random_new(&c, 20, 42, err, sizeof err);
    assert_non_null(a);
    fail_event ea, eb;
    int n = 0;
    while (fail_next(a, &ea)) {
        assert_int_equal(fail_next(b, &eb), 1);
        same_event(&ea, &eb);
        n += ea.kind == FAIL_EV_FAIL;
    }
    /* 20 nodes * 500000 s / 1000 s = 10000 expected; 3 sigma = 300 */
    assert_close(n, 10000, 300);
    fail_rewind(a);
    assert_int_equal(fail_next(a, &ea), 1);
    fail_rewind(b);
    assert_int_equal(fail_next(b, &eb), 1);
    same_event(&ea, &eb);
    fail_free(a);
    fail_free(b);
    /* Weibull with the same mean: same count within noise */
    c.dist = FAIL_DIST_WEIBULL;
    c.weibull_shape = 0.7;
    a = fail_random_new(&c, 20, 1, err, sizeof err);
    n = 0;
    while (fail_next(a, &ea)) n += ea.kind == FAIL_EV_FAIL;
    assert_close(n, 10000, 600);
    fail_free(a);
    /* bad configs */
    c.node_mtbf_s = -1;
    assert_null(fail_random_new(&c, 20, 1, err, sizeof err));
    assert_non_null(strstr(err, "MTBF"));
    c.node_mtbf_s = 10;
    c.comp[0].weight = -2;
    assert_null(fail_random_new(&c, 20, 1, err, sizeof err));
    /* weights all 0: no cause can be drawn (failure.h: weights are shares) */
    c.comp[0].weight = 0;
    assert_null(fail_random_new(&c, 20, 1, err, sizeof err));
    assert_non_null(strstr(err, "sum to 0"));
    /* Weibull shape outside FAIL_WEIBULL_MIN_SHAPE..FAIL_WEIBULL_MAX_SHAPE
    ** (0.1..20, failure.h) is refused at both ends */
    c.comp[0].weight = 1;
    c.dist = FAIL_DIST_WEIBULL;
    c.weibull_shape = 25;
    assert_null(fail_random_new(&c, 20, 1, err, sizeof err));
    assert_non_null(strstr(err, "0.1..20"));
    c.weibull_shape = 0.05;
    assert_null(fail_random_new(&c, 20, 1, err, sizeof err));
    assert_non_null(strstr(err, "0.1..20"));
    c.weibull_shape = 20; /* the bound itself is accepted */
    a = fail_random_new(&c, 20, 1, err, sizeof err);
    assert_non_null(a);
    fail_free(a);
}

/* Random with repairs: 20 nodes, node MTBF 1000 s, two components of weights
** 3 : 1 with exponential repairs of mean 100 s and 1000 s, horizon 500000 s.
** Each failure brings its node back exactly repair_s later and the node
** fails again only after that (an alternating renewal process). Expected:
**   cause shares 0.75 / 0.25: binomial sigma sqrt(.75 x .25 / N) = 0.005
**   mean repair per cause 100 s and 1000 s: exponential sigma mean / sqrt(n)
**   failures 20 x 500000 / cycle, cycle = 1000 + (.75 x 100 + .25 x 1000)
**     = 1325 s: 7547; renewal sigma sqrt(N var(cycle)) / mean(cycle) = 78
**     (var = 1000^2 + E[R^2] - E[R]^2 = 1e6 + 515000 - 105625)
** Tolerances are 4 sigma. */
static void test_random_repairs(void **state)
{
    (void)state;
    fail_random_cfg c;
    fail_random_defaults(&c);
    c.node_mtbf_s = 1000;
    c.n_components = 2;
    c.comp[0].weight = 3;
    c.comp[0].repair_s = 100;
    c.comp[1].weight = 1;
    c.comp[1].repair_s = 1000;
    c.horizon_s = 500000;
    char err[256];
    fail_source *a = fail_random_new(&c, 20, 3, err, sizeof err);
    assert_non_null(a);
    double back[20], rep_sum[2] = {0, 0}, rep_sq[2] = {0, 0};
    int n_cause[2] = {0, 0}, n = 0;
    for (int i = 0; i < 20; i++) back[i] = -1; /* -1: up */
    fail_event e;
    while (fail_next(a, &e)) {
        assert_in_range(e.node, 0, 19);
        if (e.kind == FAIL_EV_FAIL) {
            assert_true(back[e.node] < 0);           /* a down node does not fail */
            assert_in_range(e.cause, 0, 1);
            back[e.node] = e.t_s + e.repair_s;
            n_cause[e.cause]++;
            rep_sum[e.cause] += e.repair_s;
            rep_sq[e.cause] += e.repair_s * e.repair_s;
            n++;
        } else {
            assert_true(back[e.node] >= 0);
            assert_close(e.t_s, back[e.node], 0);    /* back exactly repair_s later */
            back[e.node] = -1;
        }
    }
    fail_free(a);
    assert_close(n, 7547, 4 * 78);
    assert_close((double)n_cause[0] / n, 0.75, 4 * sqrt(0.75 * 0.25 / n));
    assert_close(rep_sum[0] / n_cause[0], 100, 4 * 100 / sqrt(n_cause[0]));
    assert_close(rep_sum[1] / n_cause[1], 1000, 4 * 1000 / sqrt(n_cause[1]));
    /* repairs are exponential (failure.h), not the mean every time: SD / mean
    ** = 1. The sample CV of n exponential draws has sigma about
    ** sqrt((mu4 / sigma^4 - 1) / 4n) = sqrt(8 / 4n) = 1.41 / sqrt(n)
    ** (mu4 = 9 sigma^4); 4 sigma with n ~ 5700 is 0.075. */
    double m0 = rep_sum[0] / n_cause[0], sd0 = sqrt(rep_sq[0] / n_cause[0] - m0 * m0);
    assert_close(sd0 / m0, 1, 4 * 1.42 / sqrt(n_cause[0]));
}

/* Defaults: Llama 3, 419 interruptions in 54 days on 2048 nodes -> job MTBF
** 54*24/419 = 3.09 h at 2048 nodes. */
static void test_defaults(void **state)
{
    (void)state;
    fail_random_cfg c;
    fail_random_defaults(&c);
    assert_close(c.node_mtbf_s / 2048 / 3600, 54.0 * 24 / 419, 1e-9);
    double w = 0;
    for (int i = 0; i < c.n_components; i++) w += c.comp[i].weight;
    assert_close(w, 419, 1e-9); /* the component counts add up to 419 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spot_trace),
        cmocka_unit_test(test_trace_startup_cancel),
        cmocka_unit_test(test_trace_errors),
        cmocka_unit_test(test_trace_many_names),
        cmocka_unit_test(test_failure_csv),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_random_repairs),
        cmocka_unit_test(test_defaults),
    };
    return RUN_TESTS("failure", tests);
}
