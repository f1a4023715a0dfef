/*
** test_slow.c -- the stragglers section: packing arithmetic, replica classes,
** TP-group minimum, stalls, noise and sequence-length factors (expected values
** derived in the comments).
*/
#include "testlib.h"

#include "cost.h"
#include "slow.h"

#include <stdlib.h>
#include <string.h>

/* ---- microbatch filling with a scripted length sequence ------------------ */

typedef struct {
    const double *v;
    int n, i;
} script;

static double next_len(void *ctx)
{
    script *s = ctx;
    return s->v[s->i++ % s->n];
}

static void test_fill_none(void **state)
{
    (void)state;
    /* b = 2 samples of C = 10: mb0 = {5, 10}, mb1 = {min(20, 10), 3}:
    ** lin = sum / (b C), quad = sum s^2 / (b C^2) */
    double v[] = {5, 10, 20, 3}, lin[2], quad[2];
    script s = {v, 4, 0};
    assert_int_equal(slow_fill_microbatches(SLOW_PACK_NONE, 2, 2, 10, next_len, &s, lin, quad), 0);
    assert_close(lin[0], 15.0 / 20, 1e-15);
    assert_close(quad[0], 125.0 / 200, 1e-15);
    assert_close(lin[1], 13.0 / 20, 1e-15);
    assert_close(quad[1], 109.0 / 200, 1e-15);
}

static void test_fill_pack_balance(void **state)
{
    (void)state;
    /* b = 1, C = 10, m = 2: 20 tokens from 4, 8, 12 (cut to 8) concatenated
    ** and cut every 10: mb0 = {4, 6}, mb1 = {2, 8}: quad 52/100 and 68/100,
    ** lin 1 (every microbatch full). */
    double v[] = {4, 8, 12}, lin[2], quad[2];
    script s = {v, 3, 0};
    assert_int_equal(slow_fill_microbatches(SLOW_PACK_PACK, 2, 1, 10, next_len, &s, lin, quad), 0);
    assert_close(lin[0], 1, 1e-15);
    assert_close(lin[1], 1, 1e-15);
    assert_close(quad[0], 0.52, 1e-15);
    assert_close(quad[1], 0.68, 1e-15);
    /* balance: pieces 8, 6, 4, 2 longest first to the least sum s^2 with room:
    ** 8 -> mb0 (tie: first), 6 -> mb1, 4 -> mb1 (mb0 has 2 left), 2 -> mb0:
    ** mb0 = {8, 2} = 68, mb1 = {6, 4} = 52 */
    s.i = 0;
    assert_int_equal(slow_fill_microbatches(SLOW_PACK_BALANCE, 2, 1, 10, next_len, &s, lin, quad), 0);
    assert_close(quad[0], 0.68, 1e-15);
    assert_close(quad[1], 0.52, 1e-15);
    assert_close(lin[0] + lin[1], 2, 1e-15);
    /* balance where the choice is free: documents 6, 4 | 3, 3, 4 fill the two
    ** samples exactly, pieces 6, 4, 4, 3, 3 longest first:
    **   6 -> mb0 (tie, first): mb0 36, room 4
    **   4 -> both have room: least s^2 is mb1: mb1 16, room 6
    **   4 -> mb0 36 vs mb1 16: mb1: 32, room 2
    **   3 -> only mb0 has room: 45, room 1
    **   3 -> no room anywhere: split over the roomiest, 2 to mb1 (36), 1 to mb0 (46)
    ** quad = {46, 36} / 100 (taking the largest s^2 gives {52, 34} / 100) */
    double v2[] = {6, 4, 3, 3, 4};
    script s2 = {v2, 5, 0};
    assert_int_equal(
        slow_fill_microbatches(SLOW_PACK_BALANCE, 2, 1, 10, next_len, &s2, lin, quad), 0);
    assert_close(quad[0], 0.46, 1e-15);
    assert_close(quad[1], 0.36, 1e-15);
    assert_close(lin[0], 1, 1e-15);
    assert_close(lin[1], 1, 1e-15);
}

/* A length source that runs dry (draw returns 0, as slow.c's does once its
** document budget is spent) stops every packing with -2 instead of looping
** (pack with a 0-length document never filled the microbatches). */
static void test_fill_stops_when_draws_run_out(void **state)
{
    (void)state;
    double v[] = {4, 0}, lin[2], quad[2];
    for (int pk = SLOW_PACK_NONE; pk <= SLOW_PACK_BALANCE; pk++) {
        script s = {v, 2, 0};
        assert_int_equal(slow_fill_microbatches((slow_packing)pk, 2, 1, 10, next_len, &s, lin,
                                                quad), -2);
    }
}

/* ---- realisation on the abstract test pipeline --------------------------- */

typedef struct {
    cfg_experiment e;
    plan_t p;
    slow_model *m;
    slow_plan sp;
} fixture;

/* Load tests/data/stragglers-abstract.json (pp 4, dp 2, m 8, tp 1) with
** overrides, then parse and build for 'iterations'. */
static void load(fixture *f, int iterations, const char *const *sets, int n_sets)
{
    cfg_overrides ov = {0};
    for (int i = 0; i < n_sets; i++) ov.items[ov.n++] = sets[i];
    cfg_error ce = {0};
    char err[512];
    memset(f, 0, sizeof *f);
    if (cfg_load(TEST_PATH("tests/data/stragglers-abstract.json"), &ov, &f->e, &ce)) {
        cfg_error_format(&ce, err, sizeof err);
        fail_msg("%s", err);
    }
    assert_int_equal(plan_build(&f->e, &f->p, err, sizeof err), 0);
    if (slow_parse(&f->e, &f->m, &ce)) {
        cfg_error_format(&ce, err, sizeof err);
        fail_msg("%s", err);
    }
    assert_non_null(f->m);
    if (slow_build(f->m, &f->e, &f->p, iterations, &f->sp, err, sizeof err)) fail_msg("%s", err);
}

/* The parse error of 'set' on the abstract test config, as "file: path: msg". */
static void parse_error(const char *set, char *out, size_t len)
{
    cfg_overrides ov = {0};
    ov.items[ov.n++] = set;
    cfg_experiment e;
    cfg_error ce = {0};
    slow_model *m = NULL;
    memset(&e, 0, sizeof e);
    if (cfg_load(TEST_PATH("tests/data/stragglers-abstract.json"), &ov, &e, &ce)) {
        cfg_error_format(&ce, out, len);
        fail_msg("config: %s", out);
    }
    out[0] = 0;
    if (slow_parse(&e, &m, &ce)) cfg_error_format(&ce, out, len);
    slow_free(m);
    cfg_free(&e);
}

static void unload(fixture *f)
{
    slow_plan_free(&f->sp);
    slow_free(f->m);
    plan_free(&f->p);
    cfg_free(&f->e);
}

static void test_one_slow_gpu(void **state)
{
    (void)state;
    fixture f;
    const char *sets[] = {"stragglers={\"devices\":[{\"gpu\":5,\"factor\":0.5}]}"};
    load(&f, 1, sets, 1);
    /* GPU 5 = host 5 = stage 5 / 2 = 2 of replica 1: replica 0 untouched
    ** (class 0), replica 1 its own class with stage 2 at 0.5 */
    const tl_classes *c = &f.sp.classes;
    assert_int_equal(c->n_classes, 2);
    assert_int_equal(c->class_of_replica[0], 0);
    assert_int_equal(c->class_of_replica[1], 1);
    for (int d = 0; d < 4; d++) {
        assert_close(c->speed[d], 1, 0);
        assert_close(c->speed[4 + d], d == 2 ? 0.5 : 1, 0);
    }
    assert_null(c->op_scale);
    assert_null(c->pause_s);
    assert_int_equal(f.sp.n_slow_hosts, 1);
    assert_int_equal(f.sp.baseline_replica, 0);
    unload(&f);
}

static void test_tp_group_min_and_node(void **state)
{
    (void)state;
    fixture f;
    /* 1 DGX node (8 GPUs), tp 2 x pp 2 x dp 2: host h = GPUs 2h, 2h+1; GPUs 0
    ** and 1 at 0.8 and 0.5 -> host 0 (stage 0, replica 0) at min = 0.5; the
    ** whole node at 0.9 multiplies every GPU: host 0 = min(0.72, 0.45) = 0.45,
    ** the others 0.9. Replica 0 = (0.45, 0.9), replica 1 = (0.9, 0.9). */
    const char *sets[] = {
        "cluster={\"extends\":\"dgx-h100\",\"nodes\":1}", "parallel.tp=2", "parallel.pp=2",
        "parallel.global_batch_size=8",
        "stragglers={\"devices\":[{\"gpu\":0,\"factor\":0.8},{\"gpu\":1,\"factor\":0.5},"
        "{\"node\":0,\"factor\":0.9}]}"};
    load(&f, 1, sets, 5);
    const tl_classes *c = &f.sp.classes;
    assert_int_equal(c->n_classes, 2);
    assert_close(c->speed[0], 0.45, 1e-15);
    assert_close(c->speed[1], 0.9, 1e-15);
    assert_close(c->speed[2], 0.9, 1e-15);
    assert_close(c->speed[3], 0.9, 1e-15);
    unload(&f);
}

/* A degraded node's link names its NICs, one host per TP group (slow.h):
** 2 DGX nodes of 8 GPUs at tp 2 have k = 8 / 2 = 4 hosts each, node n owns
** hosts n k .. n k + k - 1, so node 1's link is NIC entries 4, 5, 6, 7. */
static void test_node_link_hosts(void **state)
{
    (void)state;
    fixture f;
    const char *sets[] = {
        "cluster={\"extends\":\"dgx-h100\",\"nodes\":2}", "parallel.tp=2", "parallel.pp=2",
        "parallel.dp=4", "parallel.global_batch_size=16",
        "stragglers={\"links\":[{\"node\":1,\"factor\":0.5}]}"};
    load(&f, 1, sets, 6);
    assert_int_equal(f.m->n_links, 4);
    for (int j = 0; j < 4; j++) {
        assert_int_equal(f.m->links[j].kind, PLAT_LINK_NIC);
        assert_int_equal(f.m->links[j].index, 4 + j);
        assert_close(f.m->links[j].factor, 0.5, 0);
    }
    unload(&f);
}

static void test_same_slowness_shares_a_class(void **state)
{
    (void)state;
    fixture f;
    /* pp 2, dp 4: GPUs 1 and 3 are stage 0 of replicas 1 and 3, both at 0.5:
    ** replicas {0, 2} and {1, 3} are two classes; "all" at 0.5 is one class */
    const char *sets[] = {"parallel.pp=2", "parallel.dp=4",
                          "stragglers={\"devices\":[{\"gpu\":1,\"factor\":0.5},"
                          "{\"gpu\":3,\"factor\":0.5}]}"};
    load(&f, 1, sets, 3);
    const tl_classes *c = &f.sp.classes;
    assert_int_equal(c->n_classes, 2);
    int want[4] = {0, 1, 0, 1};
    for (int r = 0; r < 4; r++) assert_int_equal(c->class_of_replica[r], want[r]);
    unload(&f);
    const char *all[] = {"stragglers={\"devices\":[{\"all\":true,\"factor\":0.5}]}"};
    load(&f, 1, all, 1);
    assert_int_equal(f.sp.classes.n_classes, 1);
    for (int d = 0; d < 4; d++) assert_close(f.sp.classes.speed[d], 0.5, 0);
    unload(&f);
}

static void test_pauses(void **state)
{
    (void)state;
    fixture f;
    /* 0.25 s on GPU 2 (stage 1 of replica 0) every 3 iterations from 2: over 6
    ** iterations, iterations 2 and 5 only; GPU 2's replica is class 0 */
    const char *sets[] = {"stragglers={\"pauses\":[{\"gpu\":2,\"every\":3,\"first\":2,"
                          "\"duration_ms\":250}]}"};
    load(&f, 6, sets, 1);
    const tl_classes *c = &f.sp.classes;
    assert_int_equal(f.sp.min_iterations, 3);
    assert_non_null(c->pause_s);
    assert_int_equal(c->n_classes, 2);
    for (int cl = 0; cl < 2; cl++)
        for (int d = 0; d < 4; d++)
            for (int it = 0; it < 6; it++) {
                double want = cl == 0 && d == 1 && (it == 2 || it == 5) ? 0.25 : 0;
                assert_close(c->pause_s[(cl * 4 + d) * 6 + it], want, 1e-15);
            }
    unload(&f);
}

static void test_noise(void **state)
{
    (void)state;
    fixture f, g;
    /* lognormal factors with mean 1: over n = 2 classes x 4 stages x 50
    ** iterations x 16 ops = 6400 draws the sample mean has a standard error
    ** of sqrt(exp(s^2) - 1) / sqrt(n) = 0.0025 for s = 0.2; allow 5 of them */
    const char *sets[] = {"stragglers={\"noise\":{\"sigma\":0.2}}"};
    load(&f, 50, sets, 1);
    load(&g, 50, sets, 1);
    const tl_classes *c = &f.sp.classes;
    assert_int_equal(c->n_classes, 2); /* noise: every replica its own class */
    assert_int_equal(c->n_ops, 16);
    size_t n = 2 * 4 * 50 * 16;
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += c->op_scale[i];
    assert_close(sum / n, 1, 5 * 0.0025);
    /* and the spread is sigma's: ln f ~ N(-s^2/2, s^2), so the log-factors'
    ** mean is -0.02 (standard error 0.2 / sqrt(6400) = 0.0025) and their
    ** standard deviation 0.2 (standard error 0.2 / sqrt(2 x 6400) = 0.0018);
    ** 5 standard errors each (a mean-only check accepted any sigma) */
    double sl = 0, sl2 = 0;
    for (size_t i = 0; i < n; i++) {
        double x = log(c->op_scale[i]);
        sl += x;
        sl2 += x * x;
    }
    double ml = sl / n, sdl = sqrt(sl2 / n - ml * ml);
    assert_close(ml, -0.02, 5 * 0.0025);
    assert_close(sdl, 0.2, 5 * 0.0018);
    /* same seed, same factors */
    assert_memory_equal(c->op_scale, g.sp.classes.op_scale, n * sizeof(double));
    unload(&g);
    const char *seed2[] = {"stragglers={\"noise\":{\"sigma\":0.2}}", "seed=4"};
    load(&g, 50, seed2, 2);
    assert_true(memcmp(c->op_scale, g.sp.classes.op_scale, n * sizeof(double)) != 0);
    unload(&g);
    unload(&f);
}

static void test_seqlen_factor(void **state)
{
    (void)state;
    fixture f;
    /* every document is 1024 tokens of a 2048 context, one per sample: lin =
    ** 1/2, quad = 1/4; an op with attention share a takes (1 - a) lin + a quad
    ** of its nominal time (slow.h): with attention_frac 0.25, 0.75 * 0.5 +
    ** 0.25 * 0.25 = 0.4375 (a = 0.5 would give 0.375 whichever way round lin
    ** and quad were taken) */
    const char *sets[] = {"stragglers={\"seqlen\":{\"distribution\":\"file\",\"file\":"
                          "\"stragglers-half-context.txt\",\"context\":2048,"
                          "\"attention_frac\":0.25}}"};
    load(&f, 2, sets, 1);
    const tl_classes *c = &f.sp.classes;
    assert_int_equal(c->n_classes, 2);
    for (int i = 0; i < 2 * 4 * 2 * 16; i++) assert_close(c->op_scale[i], 0.4375, 1e-15);
    unload(&f);
}

/* A document has at least 1 token (slow.h: draw returns a length >= 1):
** lognormal lengths of median 0.1 round to 0 and count as 1. One document
** per sample (packing none) of 1 token in a 2048 context: lin = 1/2048,
** quad = 1/2048^2; attention_frac 0.5: every op takes half of each. */
static void test_seqlen_min_one_token(void **state)
{
    (void)state;
    fixture f;
    const char *sets[] = {"stragglers={\"seqlen\":{\"distribution\":\"lognormal\",\"median\":0.1,"
                          "\"sigma\":0.1,\"packing\":\"none\",\"context\":2048,"
                          "\"attention_frac\":0.5}}"};
    load(&f, 2, sets, 1);
    const tl_classes *c = &f.sp.classes;
    double want = 0.5 / 2048 + 0.5 / (2048.0 * 2048);
    for (int i = 0; i < 2 * 4 * 2 * 16; i++) assert_close(c->op_scale[i], want, 1e-15);
    unload(&f);
}

/* Without attention_frac each op's attention share comes from the cost
** model (slow.h): a = attn_s / compute_s of the op, where the backward of a
** 1F1B schedule is b + w: a_B = (b.attn_s + w.attn_s) / (b.compute_s +
** w.compute_s), not the forward's attention over the backward's time. With
** half-context documents (lin = 1/2, quad = 1/4) an op takes (1 - a) / 2 +
** a / 4 of its nominal time. A small GPT (8 layers, hidden 1024, 2048
** tokens) on one DGX H100, pp 4 x dp 2. */
static void test_seqlen_cost_model_shares(void **state)
{
    (void)state;
    fixture f;
    const char *sets[] = {
        "model={\"name\":\"t\",\"layers\":8,\"hidden\":1024,\"heads\":16,\"seq_len\":2048,"
        "\"vocab\":32000}",
        "cluster={\"extends\":\"dgx-h100\",\"nodes\":1}",
        "stragglers={\"seqlen\":{\"distribution\":\"file\",\"file\":"
        "\"stragglers-half-context.txt\",\"context\":2048}}"};
    load(&f, 1, sets, 3);
    const tl_classes *c = &f.sp.classes;
    int n_b = 0;
    for (int d = 0; d < f.p.pp; d++) {
        cost_stage st;
        cost_stage_ops(&f.e, d, f.p.n_vs, &st);
        double aF = st.f.attn_s / st.f.compute_s;
        double aB = (st.b.attn_s + st.w.attn_s) / (st.b.compute_s + st.w.compute_s);
        assert_true(aF > 0 && aB > 0 && fabs(aF - aB) > 1e-3); /* the two differ */
        const double *row = c->op_scale + (size_t)d * (size_t)c->n_iter * (size_t)c->n_ops;
        for (int i = 0; i < f.p.sched.n_ops[d]; i++) {
            const sched_op *op = &f.p.sched.ops[d][i];
            double a = op->kind == SCHED_OP_F ? aF : aB;
            if (op->kind != SCHED_OP_F) n_b++;
            assert_close(row[i], (1 - a) / 2 + a / 4, 1e-12);
        }
    }
    assert_true(n_b > 0);
    unload(&f);
}

/* Values outside the documented ranges are refused at their JSON path and
** blamed on the --set (docs/stragglers.md). */
static void test_parse_ranges(void **state)
{
    (void)state;
    static const struct {
        const char *set, *want;
    } cases[] = {
        /* sigma 10: the median op took e^-50 of its time, a run 4.7x FASTER */
        {"stragglers.noise={\"sigma\":10}",
         "$.stragglers.noise.sigma: must be between 0 and 2, got 10"},
        {"stragglers.noise={\"sigma\":2}", ""},
        {"stragglers.seqlen={\"distribution\":\"lognormal\",\"median\":100,\"sigma\":3.5,"
         "\"context\":2048}", "$.stragglers.seqlen.sigma: must be between 0 and 3, got 3.5"},
        /* 1e308 ms printed a 31-digit iteration time without a unit */
        {"stragglers.pauses=[{\"gpu\":1,\"duration_ms\":1e308}]",
         "$.stragglers.pauses[0].duration_ms: must be between 0 and 3.6e+06, got 1e+308"},
        /* "every" is optional (default 1), as documented; was a missing key */
        {"stragglers.pauses=[{\"gpu\":1,\"duration_ms\":5}]", ""},
        /* the profile gives the speed from t = 0 */
        {"stragglers.devices=[{\"gpu\":1,\"profile\":[[5,0.5]]}]",
         "$.stragglers.devices[0].profile: [0]: the first point must be at time 0"},
        /* the length file's path stood where the config file belongs */
        {"stragglers.seqlen={\"distribution\":\"file\",\"file\":\"no-such-lengths.txt\","
         "\"context\":2048}",
         "--set stragglers.seqlen={\"distribution\":\"file\",\"file\":\"no-such-lengths.txt\","
         "\"context\":2048}: $.stragglers.seqlen.file: cannot open '"},
    };
    char err[1024];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parse_error(cases[i].set, err, sizeof err);
        if (cases[i].want[0] ? !strstr(err, cases[i].want) : err[0] != 0) {
            print_error("--set %s: got '%s', expected '%s'\n", cases[i].set, err, cases[i].want);
            fail();
        }
        if (cases[i].want[0] && !strstr(err, "--set stragglers.")) {
            print_error("--set %s: not blamed: '%s'\n", cases[i].set, err);
            fail();
        }
    }
    /* the default period of a stall is 1: every iteration from the first */
    fixture f;
    const char *sets[] = {"stragglers={\"pauses\":[{\"gpu\":2,\"duration_ms\":250}]}"};
    load(&f, 3, sets, 1);
    for (int it = 0; it < 3; it++) assert_close(f.sp.classes.pause_s[1 * 3 + it], 0.25, 1e-15);
    unload(&f);
}

/* 1-token documents in 2^24-token samples drew one document (and kept one
** piece) per token: minutes and gigabytes. More than SLOW_SEQLEN_MAX_DOCS
** (2^24) documents is an error naming the section. */
static void test_seqlen_document_limit(void **state)
{
    (void)state;
    cfg_overrides ov = {0};
    ov.items[ov.n++] = "stragglers.seqlen={\"distribution\":\"uniform\",\"min\":1,\"max\":1,"
                       "\"packing\":\"pack\",\"context\":16777216}";
    cfg_experiment e;
    plan_t p;
    slow_model *m = NULL;
    slow_plan sp;
    cfg_error ce = {0};
    char err[1024];
    assert_int_equal(cfg_load(TEST_PATH("tests/data/stragglers-abstract.json"), &ov, &e, &ce), 0);
    assert_int_equal(plan_build(&e, &p, err, sizeof err), 0);
    assert_int_equal(slow_parse(&e, &m, &ce), 0);
    assert_int_equal(slow_build(m, &e, &p, 1, &sp, err, sizeof err), -1);
    if (!strstr(err, "--set stragglers.seqlen=") ||
        !strstr(err, ": $.stragglers.seqlen: filling the microbatches takes more than 16777216 "
                "documents")) {
        print_error("message: %s\n", err);
        fail();
    }
    slow_free(m);
    plan_free(&p);
    cfg_free(&e);
}

/* A run with failures (slow_check_run_level) takes only slowness that names
** no GPU or node and is constant; the report line describes it. */
static void test_run_level(void **state)
{
    (void)state;
    static const struct {
        const char *set, *path;   /* path: the entry refused, NULL: accepted */
    } cases[] = {
        {"stragglers={\"devices\":[{\"all\":true,\"factor\":0.5},{\"all\":true,\"factor\":0.8}],"
         "\"noise\":{\"sigma\":0.1}}", NULL},
        {"stragglers={\"devices\":[{\"all\":true,\"factor\":0.9},{\"gpu\":1,\"factor\":0.5}]}",
         "$.stragglers.devices[1]"},
        {"stragglers={\"devices\":[{\"node\":0,\"factor\":0.5}]}", "$.stragglers.devices[0]"},
        {"stragglers={\"devices\":[{\"all\":true,\"profile\":[[0,1],[5,0.5]]}]}",
         "$.stragglers.devices[0]"},
        {"stragglers={\"pauses\":[{\"gpu\":0,\"every\":2,\"duration_ms\":10}]}",
         "$.stragglers.pauses"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fixture f;
        load(&f, 1, &cases[i].set, 1);
        cfg_error ce = {0};
        int rc = slow_check_run_level(f.m, &f.e, &ce);
        if (cases[i].path) {
            assert_int_equal(rc, -1);
            assert_string_equal(ce.path, cases[i].path);
            /* set by --set: the override is blamed, not the file */
            assert_non_null(strstr(ce.file, "--set stragglers="));
        } else {
            assert_int_equal(rc, 0);
            char text[200];
            slow_describe_run_level(f.m, text, sizeof text);
            /* factors multiply: 0.5 x 0.8 */
            assert_string_equal(text, "every GPU at 0.4x, per-op noise (lognormal sigma 0.1)");
        }
        unload(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_none),
        cmocka_unit_test(test_fill_pack_balance),
        cmocka_unit_test(test_fill_stops_when_draws_run_out),
        cmocka_unit_test(test_parse_ranges),
        cmocka_unit_test(test_seqlen_document_limit),
        cmocka_unit_test(test_one_slow_gpu),
        cmocka_unit_test(test_tp_group_min_and_node),
        cmocka_unit_test(test_node_link_hosts),
        cmocka_unit_test(test_same_slowness_shares_a_class),
        cmocka_unit_test(test_pauses),
        cmocka_unit_test(test_noise),
        cmocka_unit_test(test_seqlen_factor),
        cmocka_unit_test(test_seqlen_cost_model_shares),
        cmocka_unit_test(test_seqlen_min_one_token),
        cmocka_unit_test(test_run_level),
    };
    return RUN_TESTS("slow", tests);
}
