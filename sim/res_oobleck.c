/*
** res_oobleck.c -- Oobleck: heterogeneous pipelines from templates (pure layer).
**
** RESILIENCE.md §3 (Jang et al. SOSP'23). Start: templates n0..n_max
** (oobleck_plan.c), the best instantiation over the live nodes (>= f+1
** pipelines), its iteration time from the oracle (the pipelines with their
** stage partitions and microbatch counts, then the gradient sync). Failure:
** the iteration in flight is lost; the pipelines are reconfigured (borrow,
** merge) without checkpoint reload; pause = detection + reconfiguration +
** copying one node's share of the model state to the changed pipelines.
** If some layer lost every copy within one recovery window (each pipeline
** lost the node holding it, as the pipelines stood when the window opened;
** an opaque plan stands for the table's f+1 pipelines and is not checked) or
** fewer than n0 nodes remain, it falls back to a restart from the last
** durable checkpoint (fallback_interval_s). Arrivals re-instantiate over all
** live nodes (oob_use_arrivals); one during a pause joins it (no second
** pause). Without a per-layer profile (table oracle) the plan is opaque: one
** group of all live nodes.
*/
#include "oobleck_plan.h"
#include "res.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    res_config cfg;
    double mtbf_s;
    oracle_info inf;
    oob_templates ts;
    int have_ts;
    int n0;
    oob_pipes pipes;
    unsigned char *in;         /* [n_ids] node is in a pipeline */
    unsigned char *lost;       /* [n_ids] scratch */
    oob_pipes window;          /* the pipelines when the recovery window opened */
    int new_placement;         /* pipelines placed since: the next failure opens a window */
    unsigned char *win_lost;   /* [n_ids] pipeline nodes lost since then */
    double recover_end_s;
    double ckpt_s, load_s, copy_s;
    int fallback;              /* 1: waiting for nodes after a full restart */
    double last_it_s;          /* iteration time of the last timed plan */
    int stalled;               /* 1: no plan runs on the live nodes (state kept) */
} oob_st;

/* Pipe i of 'plan' as template t's stages, one node each, with b microbatches. */
static int set_template_pipe(oracle_plan *plan, int i, const oob_template *t, int b, int gpus)
{
    if (oracle_plan_set_stages(plan, i, t->n_nodes)) return -1;
    plan->pipes[i].n_nodes = t->n_nodes;
    plan->pipes[i].n_microbatches = b;
    for (int k = 0; k < t->n_nodes; k++) {
        plan->pipes[i].stage_layers[k] = t->stage_layers[k];
        plan->pipes[i].stage_gpus[k] = gpus;
    }
    return 0;
}

/* Time the current pipes: microbatches split by template speed, oracle plan. */
static int time_pipes(oob_st *s, run_ctx *rc)
{
    int P = s->pipes.n_pipes, B = s->inf.n_microbatches;
    if (P == 0) { run_set_config(rc, 0, s->inf.global_batch_samples); return 0; }
    oracle_plan *plan = oracle_plan_new(P);
    int *x = calloc((size_t)P, sizeof *x), *b = calloc((size_t)P, sizeof *b);
    double *per = calloc((size_t)P, sizeof *per);
    int rc2 = -1;
    if (!plan || !x || !b || !per) { run_fail(rc, "out of memory"); goto done; }
    if (!s->have_ts) {
        oracle_plan_free(plan);
        int n = 0;
        for (int i = 0; i < P; i++) n += s->pipes.len[i];
        plan = oracle_plan_opaque(n, B);
        if (!plan) { run_fail(rc, "out of memory"); goto done; }
    } else {
        for (int i = 0; i < P; i++) {
            x[i] = 1;
            per[i] = s->ts.t[s->pipes.len[i] - s->ts.n0].per_mb_s;
        }
        double z;
        if (oob_split_batch(P, x, per, B, b, &z)) {
            rc2 = 1;
            goto done;
        }
        for (int i = 0; i < P; i++)
            if (set_template_pipe(plan, i, &s->ts.t[s->pipes.len[i] - s->ts.n0], b[i],
                                  s->inf.gpus_per_node)) {
                run_fail(rc, "out of memory");
                goto done;
            }
    }
    oracle_result r;
    if (run_time_plan(rc, plan, &r)) goto done;
    run_set_config(rc, r.fits ? r.iter_s : 0, s->inf.global_batch_samples);
    s->last_it_s = r.fits ? r.iter_s : INFINITY;
    rc2 = r.fits ? 0 : 1;
done:
    oracle_plan_free(plan);
    free(x);
    free(b);
    free(per);
    return rc2;
}

#define OOB_TOP_K 32 /* mixes timed by the oracle at each instantiation (memoised) */

/* A recovery window opens at a failure: remember who holds which layers. */
static int open_window(oob_st *s, run_ctx *rc)
{
    oob_pipes_free(&s->window);
    if (oob_pipes_copy(&s->window, &s->pipes)) return run_fail(rc, "out of memory");
    memset(s->win_lost, 0, (size_t)run_n_ids(rc));
    s->new_placement = 0;
    return 0;
}

/* Lay out pipelines of the given sizes over the live nodes (lowest ids). */
static int place(oob_st *s, run_ctx *rc, const int *sizes, int n_sizes)
{
    int n_ids = run_n_ids(rc);
    oob_pipes_free(&s->pipes);
    memset(s->in, 0, (size_t)n_ids);
    if (oob_pipes_from_sizes(&s->pipes, sizes, n_sizes, 0)) return run_fail(rc, "out of memory");
    int id = 0;
    for (int i = 0; i < s->pipes.n_pipes; i++)
        for (int k = 0; k < s->pipes.len[i]; k++) {
            while (!run_node_up(rc, id)) id++;
            s->pipes.nodes[i][k] = id;
            s->in[id++] = 1;
        }
    s->new_placement = 1; /* the window is taken lazily, not per candidate */
    return 0;
}

static int inst_sizes(const oob_instance *in, int *sizes, int max)
{
    int n = 0;
    for (int k = 0; k < in->n_kinds; k++)
        for (int j = 0; j < in->x[k]; j++) {
            if (n == max) return -1;
            sizes[n++] = in->sizes[k];
        }
    return n;
}

/* Time the mix 'sizes' on the live nodes; keep it in best[] if fastest. */
static int try_mix(oob_st *s, run_ctx *rc, const int *sizes, int n, int *best, int *n_best,
                   double *best_it)
{
    if (place(s, rc, sizes, n)) return -1;
    int t = time_pipes(s, rc);
    if (t < 0) return -1;
    if (t == 0 && s->last_it_s < *best_it) {
        *best_it = s->last_it_s;
        memcpy(best, sizes, (size_t)n * sizeof *best);
        *n_best = n;
    }
    return 0;
}

/* Fresh instantiation over all live nodes. Candidates: the OOB_TOP_K best
** mixes by Oobleck's estimate, and homogeneous mixes (q - 1 pipelines of a
** template size m and one of m + r, m = n0, then x1.5 each step): the
** estimate ignores the gradient sync and barely tells mixes apart (for GPT-3
** 2.7B on 30 nodes its 32 best lie within 2%; SimGrid times them at 9.7-11.5
** s, and 15 pipelines of 2 nodes at 7.9 s).
** All are timed by the oracle, the fastest kept. 1 if none runs. */
static int instantiate(oob_st *s, run_ctx *rc)
{
    int N = run_n_up(rc);
    enum { MAX_PIPES = 1024 };
    int sizes[MAX_PIPES], best[MAX_PIPES], n_sizes = 0, n_best = 0;
    if (!s->have_ts) {
        if (N < s->n0) return 1;
        sizes[0] = N;
        if (place(s, rc, sizes, 1)) return -1;
        return time_pipes(s, rc);
    }
    oob_instance top[OOB_TOP_K];
    int n_top = 0, Nuse = N;
    /* nodes beyond the largest plan stay idle: the largest count that has a
    ** mix, at most one microbatch per pipeline of the largest template */
    if ((double)s->inf.n_microbatches * s->ts.n_max < Nuse)
        Nuse = s->inf.n_microbatches * s->ts.n_max;
    while (Nuse >= s->n0 &&
           !(n_top = oob_instantiate_top(&s->ts, Nuse, s->cfg.oob_f, s->inf.n_microbatches, top, OOB_TOP_K)))
        Nuse--;
    if (n_top == 0) return 1;
    double best_it = INFINITY;
    for (int i = 0; i < n_top; i++) {
        n_sizes = inst_sizes(&top[i], sizes, MAX_PIPES);
        if (n_sizes >= 0 && try_mix(s, rc, sizes, n_sizes, best, &n_best, &best_it)) return -1;
    }
    for (int m = s->ts.n0; m <= s->ts.n_max; m = m * 3 / 2 > m ? m * 3 / 2 : m + 1) {
        int q = Nuse / m, r = Nuse % m;
        if (q < s->cfg.oob_f + 1 || q > MAX_PIPES || m + r > s->ts.n_max) continue;
        for (int i = 0; i < q; i++) sizes[i] = m;
        sizes[q - 1] += r;
        if (try_mix(s, rc, sizes, q, best, &n_best, &best_it)) return -1;
    }
    /* none fits in memory (larger pipelines keep more microbatches in
    ** flight): equal pipelines of any template size, the remainder idle */
    for (int m = s->ts.n0; n_best == 0 && m <= s->ts.n_max; m++) {
        int q = Nuse / m;
        if (q < s->cfg.oob_f + 1 || q > MAX_PIPES) continue;
        for (int i = 0; i < q; i++) sizes[i] = m;
        if (try_mix(s, rc, sizes, q, best, &n_best, &best_it)) return -1;
    }
    if (n_best == 0) return 1;
    if (place(s, rc, best, n_best)) return -1;
    return time_pipes(s, rc);
}

/* The node count of the smallest template that passes the oracle's memory
** check (n0 counts the model state only, not activations or whole layers)
** with the fewest microbatches it can get: the batch over as many pipelines
** of its size as the job's nodes hold (1F1B keeps min(S - stage,
** microbatches) in flight). 0 if none does, -1 on oracle error. Only asked
** when no instantiation runs at the start. */
static int smallest_fitting_template(oob_st *s, run_ctx *rc)
{
    for (int i = 0; i <= s->ts.n_max - s->ts.n0; i++) {
        const oob_template *t = &s->ts.t[i];
        int most_pipes = run_n_ids(rc) / t->n_nodes;
        int fewest_mb = most_pipes > 0 ? s->inf.n_microbatches / most_pipes : 1;
        oracle_plan *plan = oracle_plan_new(1);
        if (!plan || set_template_pipe(plan, 0, t, fewest_mb > 1 ? fewest_mb : 1,
                                       s->inf.gpus_per_node)) {
            oracle_plan_free(plan);
            return run_fail(rc, "out of memory");
        }
        oracle_result r;
        int bad = run_time_plan(rc, plan, &r);
        oracle_plan_free(plan);
        if (bad) return -1;
        if (r.fits) return t->n_nodes;
    }
    return 0;
}

static int oob_start(void *st, run_ctx *rc)
{
    oob_st *s = st;
    oracle_get_info(run_oracle(rc), &s->inf);
    int n_ids = run_n_ids(rc);
    s->in = calloc((size_t)n_ids, 1);
    s->lost = calloc((size_t)n_ids, 1);
    s->win_lost = calloc((size_t)n_ids, 1);
    if (!s->in || !s->lost || !s->win_lost) return run_fail(rc, "out of memory");
    if (res_ckpt_times(rc, &s->cfg, &s->inf, &s->ckpt_s, &s->load_s)) return -1;
    s->n0 = 1;
    if (s->inf.has_layers) {
        int L = s->inf.n_layers, g = s->inf.gpus_per_node;
        double *lat = malloc((size_t)L * sizeof *lat), state = 0;
        if (!lat) return run_fail(rc, "out of memory");
        for (int l = 0; l < L; l++) {
            oracle_layer c;
            if (oracle_layer_cost(run_oracle(rc), l, g, &c)) { free(lat); return run_fail(rc, "no cost for layer %d", l); }
            lat[l] = c.fwd_s + c.bwd_s;
            state += c.state_bytes;
        }
        double node_mem = s->inf.gpu_mem_bytes * g;
        s->n0 = (int)ceil(state / node_mem - 1e-9);
        if (s->n0 < 1) s->n0 = 1;
        int n_max = oob_n_max(n_ids, s->cfg.oob_f, s->n0, L);
        if (n_max < s->n0) n_max = s->n0 <= L ? s->n0 : L;
        if (s->n0 > L || oob_templates_build(&s->ts, lat, L, s->n0, n_max)) {
            free(lat);
            return run_fail(rc, "cannot build templates (n0 = %d, %d layers)", s->n0, L);
        }
        free(lat);
        s->have_ts = 1;
        s->copy_s = state / s->n0 / s->cfg.oob_copy_bytes_per_s;
    } else {
        s->copy_s = 0;
    }
    run_set_ckpt(rc, s->cfg.fallback_interval_s, s->ckpt_s);
    int r = instantiate(s, rc);
    if (r < 0) return -1;
    char tmpl[64] = "node counts from the throughput table";
    if (s->have_ts) snprintf(tmpl, sizeof tmpl, "templates of %d..%d nodes", s->ts.n0, s->ts.n_max);
    if (r > 0) { /* not enough nodes yet: wait for arrivals */
        int m = s->have_ts ? smallest_fitting_template(s, rc) : s->n0;
        if (m < 0) return -1;
        if (m == 0)
            return run_fail(rc, RUN_ERR_MEMORY "no pipeline template of %d..%d nodes fits; "
                                "with f = %d, %d pipelines share the job's %d nodes",
                            s->ts.n0, s->ts.n_max, s->cfg.oob_f, s->cfg.oob_f + 1, run_n_ids(rc));
        s->fallback = 1;
        run_set_config(rc, 0, s->inf.global_batch_samples);
        run_describe(rc, "f = %d, %s, waiting for nodes: %d pipelines of at least %d node%s, "
                         "%d up", s->cfg.oob_f, tmpl, s->cfg.oob_f + 1, m, m == 1 ? "" : "s",
                     run_n_up(rc));
        return 0;
    }
    run_set_base(rc, s->last_it_s, s->inf.global_batch_samples);
    /* "4 x 3 + 1 x 4 + 1 x 5 nodes": pipelines per size, smallest first */
    char sizes[96] = "";
    int at = 0, largest = 0;
    for (int i = 0; i < s->pipes.n_pipes; i++)
        if (s->pipes.len[i] > largest) largest = s->pipes.len[i];
    for (int len = 1; len <= largest && at < (int)sizeof sizes - 24; len++) {
        int n = 0;
        for (int i = 0; i < s->pipes.n_pipes; i++) n += s->pipes.len[i] == len;
        if (n) at += snprintf(sizes + at, sizeof sizes - (size_t)at, "%s%d x %d", at ? " + " : "",
                              n, len);
    }
    run_describe(rc, "f = %d, %s; pipelines %s nodes", s->cfg.oob_f, tmpl, sizes);
    return 0;
}

static int oob_on_failure(void *st, run_ctx *rc, int node)
{
    oob_st *s = st;
    if (!s->in[node]) return 0; /* idle node */
    s->in[node] = 0;
    double now = run_now(rc);
    run_cancel_pauses(rc);
    if (s->fallback) {
        run_pause(rc, run_detect_s(rc), RUN_B_RESTART);
        return 0;
    }
    if ((now >= s->recover_end_s || s->new_placement) && open_window(s, rc)) return -1;
    /* copies being rebuilt count only once the recovery ends: a layer is
    ** gone if every pipeline of the window lost its holder */
    s->win_lost[node] = 1;
    int no_copy = 0;
    if (s->have_ts) {
        no_copy = oob_layer_lost(&s->ts, &s->window, s->win_lost, run_n_ids(rc));
        if (no_copy < 0) return run_fail(rc, "out of memory");
    }
    s->lost[node] = 1;
    int r = no_copy ? 1 : oob_reconfigure(&s->pipes, s->lost, run_n_ids(rc), s->n0);
    s->lost[node] = 0;
    if (r < 0) return run_fail(rc, "out of memory");
    int too_big = 0;
    for (int i = 0; r == 0 && i < s->pipes.n_pipes; i++)
        if (s->have_ts && s->pipes.len[i] > s->ts.n_max) too_big = 1;
    if (r == 0 && !too_big) {
        run_lose_inflight(rc);
        run_count_reconfig(rc);
        double pause = run_detect_s(rc) + s->cfg.oob_reconfig_s + s->copy_s;
        run_pause(rc, pause, RUN_B_RECONFIG);
        s->recover_end_s = now + pause;
        int t = time_pipes(s, rc);
        if (t <= 0) return t;
        too_big = 1; /* the reconfigured set does not run: re-instantiate */
    }
    if (r == 0 && too_big) {
        run_lose_inflight(rc);
        run_count_reconfig(rc);
        run_pause(rc, run_detect_s(rc) + s->cfg.oob_reconfig_s + s->copy_s, RUN_B_RECONFIG);
        int t = instantiate(s, rc);
        if (t <= 0) return t;
        /* no plan runs on these nodes, but every layer still has a copy:
        ** wait for arrivals without a rollback */
        s->stalled = 1;
        run_set_config(rc, 0, s->inf.global_batch_samples);
        return 0;
    }
    /* full restart from the durable checkpoint */
    run_rollback(rc);
    run_pause(rc, run_detect_s(rc) + s->cfg.restart_s + s->load_s, RUN_B_RESTART);
    int t = instantiate(s, rc);
    if (t < 0) return -1;
    s->fallback = t > 0;
    if (s->fallback) run_set_config(rc, 0, s->inf.global_batch_samples);
    s->recover_end_s = now;
    return 0;
}

static int oob_on_arrival(void *st, run_ctx *rc, int node)
{
    oob_st *s = st;
    (void)node;
    if (!s->fallback && !s->stalled && !s->cfg.oob_use_arrivals) return 0;
    int was_fallback = s->fallback;
    int t = instantiate(s, rc);
    if (t < 0) return -1;
    if (t > 0) {
        run_set_config(rc, 0, s->inf.global_batch_samples);
        return 0;
    }
    s->fallback = 0;
    s->stalled = 0;
    if (run_paused(rc)) return 0; /* the restart or reconfiguration in progress takes it along */
    if (was_fallback) {
        run_pause(rc, s->cfg.restart_s + s->load_s, RUN_B_RESTART);
    } else {
        run_lose_inflight(rc);
        run_count_reconfig(rc);
        run_pause(rc, s->cfg.oob_reconfig_s + s->copy_s, RUN_B_RECONFIG);
    }
    return 0;
}

static double oob_overhead(void *st)
{
    oob_st *s = st;
    double t = s->cfg.fallback_interval_s;
    return t > 0 ? s->ckpt_s / (t + s->ckpt_s) : 0;
}

static void oob_free(void *st)
{
    oob_st *s = st;
    if (!s) return;
    oob_templates_free(&s->ts);
    oob_pipes_free(&s->pipes);
    oob_pipes_free(&s->window);
    free(s->in);
    free(s->lost);
    free(s->win_lost);
    free(s);
}

res_scheme *res_oobleck_new(const res_config *cfg, double mtbf_s)
{
    res_scheme *r = calloc(1, sizeof *r);
    oob_st *s = calloc(1, sizeof *s);
    if (!r || !s) { free(r); free(s); return NULL; }
    s->cfg = *cfg;
    s->mtbf_s = mtbf_s;
    *r = (res_scheme){.name = "oobleck", .st = s, .start = oob_start, .on_failure = oob_on_failure,
                      .on_arrival = oob_on_arrival, .steady_overhead_frac = oob_overhead,
                      .free = oob_free};
    return r;
}
