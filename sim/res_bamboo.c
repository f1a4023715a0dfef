/*
** res_bamboo.c -- Bamboo: redundant computation in pipeline bubbles (pure layer).
**
** RESILIENCE.md §4 (Thorpe et al. NSDI'23). P = floor(N / S) pipelines of S
** stages, one node per stage; the other nodes wait as standbys. Node (p, i)
** also holds stage i+1's state (memory: twice a stage's state) and runs its
** forward on every microbatch (FRC). Its cost: the redundant forward work
** m * F(stage i+1) on the m = ceil(B/P) microbatches of a pipeline minus what
** fits in the 1F1B bubble (S-1)(F+B) of the stage, added to the iteration
** time of every shape; the steady overhead is that cost at the healthy
** shape (n_nodes / S pipelines). Failure of (p, i): the predecessor takes
** the stage (failover: detection + bam_failover_s, the iteration in flight
** lost), and pipeline p runs with that node doing two stages (plan
** from the oracle; bam_slowdown times the healthy iteration if set, or x1.5
** when the merged stage fails the oracle's memory check). Fatal if the failed
** node or its predecessor already does double duty: restart from the last
** durable checkpoint. After every change the artifact's rules (a)-(c)
** decide a rebalancing: bam_reconfig_s pause, fresh pipelines.
*/
#include "res.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    res_config cfg;
    double mtbf_s;
    oracle_info inf;
    int S;
    int P;
    int *owner;              /* [P*S] node of (p, i), -1 if dead */
    int *runs;               /* [P*S] stages run by that slot's node's position (1 or 2) */
    int *where;              /* [n_ids] slot of a node, -1 if standby or down */
    double redundant_s;      /* extra time per iteration from FRC, for the current P */
    int frc_on;              /* 0 while timing the baseline without FRC */
    double ckpt_s, load_s;
    double base_it_s;        /* healthy iteration without FRC (0: not timed yet) */
    double base_redundant_s; /* FRC cost at the healthy shape: the steady overhead */
    double last_it_s;
    int waiting;             /* job has no full pipeline */
} bam_st;

/* Layers of stage i of S (earlier stages take the remainder). */
static int stage_first(int L, int S, int i) { return i * (L / S) + (i < L % S ? i : L % S); }

/* Whether each GPU of S stages holds its stage's state plus S in-flight
** microbatches' activations and its successor's state. */
static int holds_two_stages(bam_st *s, run_ctx *rc, int S)
{
    int L = s->inf.n_layers, g = s->inf.gpus_per_node;
    double worst = 0;
    for (int i = 0; i < S; i++) {
        int a = stage_first(L, S, i), b = stage_first(L, S, i + 1);
        int an = stage_first(L, S, (i + 1) % S), bn = stage_first(L, S, (i + 1) % S + 1);
        double bytes = 0;
        oracle_layer c;
        for (int l = a; l < b; l++)
            if (!oracle_layer_cost(run_oracle(rc), l, g, &c)) bytes += c.state_bytes + S * c.act_bytes;
        for (int l = an; l < bn && S > 1; l++)
            if (!oracle_layer_cost(run_oracle(rc), l, g, &c)) bytes += c.state_bytes;
        if (bytes / g > worst) worst = bytes / g;
    }
    return worst <= s->inf.gpu_mem_bytes;
}

/* ... and a plain pipeline of S stages passes the oracle's own memory check
** (embedding, LM head, buffers). */
static int stages_fit(bam_st *s, run_ctx *rc, int S)
{
    if (!holds_two_stages(s, rc, S)) return 0;
    int L = s->inf.n_layers, g = s->inf.gpus_per_node;
    oracle_plan *p = oracle_plan_homogeneous(S, 1, L, g, s->inf.n_microbatches);
    oracle_result r;
    char err[256];
    int ok = p && oracle_plan_time(run_oracle(rc), p, &r, err, sizeof err) == 0 && r.fits;
    oracle_plan_free(p);
    return ok;
}

static double frc_extra_s(bam_st *s, run_ctx *rc, int P);

/* bamboo.stages if set; else, among the stage counts that divide the layers
** and fit (the shapes res_best_shape considers: cut points at divisors of
** L, at most one pipeline per microbatch), at least 2 (with one stage
** a node would be its own successor and hold no copy), the one whose
** healthy shape on the job's nodes (n / S pipelines, FRC included) iterates
** fastest, fewer stages on a tie; if none does, the fewest stages that fit.
** 0 if none fits, -1 on oracle error. */
static int pick_stages(bam_st *s, run_ctx *rc)
{
    if (s->cfg.bam_stages > 0) return s->cfg.bam_stages;
    if (!s->inf.has_layers) return 0;
    int L = s->inf.n_layers, S0 = L > 1 ? 2 : 1, best = 0;
    double best_s = INFINITY;
    for (int S = S0; S <= L; S++) {
        if (L % S || !holds_two_stages(s, rc, S)) continue;
        int P = s->cfg.n_nodes / S;
        if (P < 1) break; /* deeper pipelines do not fit on the nodes either */
        if (P > s->inf.n_microbatches) continue; /* idle nodes: a deeper shape uses them */
        s->S = S;
        oracle_plan *p = oracle_plan_homogeneous(S, P, L, s->inf.gpus_per_node,
                                                 s->inf.n_microbatches);
        if (!p) return run_fail(rc, "out of memory");
        oracle_result r;
        int bad = run_time_plan(rc, p, &r);
        oracle_plan_free(p);
        if (bad) return -1;
        if (!r.fits) continue; /* the oracle's memory check, on the shape itself */
        double it_s = r.iter_s + frc_extra_s(s, rc, P);
        if (it_s < best_s) best_s = it_s, best = S;
    }
    if (best) return best;
    for (int S = S0; S <= L; S++)
        if (stages_fit(s, rc, S)) return S;
    return 0;
}

/* FRC cost per iteration with P pipelines: the worst stage's forward of its
** successor on its ceil(B/P) microbatches minus its 1F1B bubble (S-1)(F+B). */
static double frc_extra_s(bam_st *s, run_ctx *rc, int P)
{
    int L = s->inf.n_layers, S = s->S;
    if (!s->inf.has_layers || S < 2 || P < 1) return 0;
    int m = (s->inf.n_microbatches + P - 1) / P;
    double worst = 0;
    for (int i = 0; i < S; i++) {
        double f = 0, fb = 0;
        oracle_layer c;
        for (int l = stage_first(L, S, i); l < stage_first(L, S, i + 1); l++)
            if (!oracle_layer_cost(run_oracle(rc), l, s->inf.gpus_per_node, &c)) fb += c.fwd_s + c.bwd_s;
        int n = (i + 1) % S;
        for (int l = stage_first(L, S, n); l < stage_first(L, S, n + 1); l++)
            if (!oracle_layer_cost(run_oracle(rc), l, s->inf.gpus_per_node, &c)) f += c.fwd_s;
        double extra = m * f - (S - 1) * fb;
        if (extra > worst) worst = extra;
    }
    return worst;
}

/* Iteration time of the current pipelines (double-duty stages merged). */
static int time_plan(bam_st *s, run_ctx *rc)
{
    int P = s->P, S = s->S, B = s->inf.n_microbatches;
    if (P < 1) { run_set_config(rc, 0, s->inf.global_batch_samples); return 0; }
    int overloaded = 0;
    for (int k = 0; k < P * S; k++) overloaded += s->runs[k] == 2;
    oracle_plan *plan = NULL;
    oracle_result r;
    double extra = s->redundant_s;
    if (!s->inf.has_layers) {
        plan = oracle_plan_opaque(P * S, B);
    } else {
        plan = oracle_plan_new(P);
        for (int p = 0; plan && p < P; p++) {
            int n = 0;
            for (int i = 0; i < S; i++) n += s->owner[p * S + i] >= 0;
            if (oracle_plan_set_stages(plan, p, n)) { oracle_plan_free(plan); plan = NULL; break; }
            oracle_pipeline *q = &plan->pipes[p];
            q->n_nodes = n;
            q->n_microbatches = B / P + (p < B % P);
            int k = -1, L = s->inf.n_layers, carry0 = 0;
            for (int i = 0; i < S; i++) {
                int layers = stage_first(L, S, i + 1) - stage_first(L, S, i);
                if (s->owner[p * S + i] >= 0) {
                    q->stage_layers[++k] = layers;
                    q->stage_gpus[k] = s->inf.gpus_per_node;
                } else if (k >= 0) {
                    q->stage_layers[k] += layers; /* the predecessor runs it */
                } else {
                    carry0 += layers;             /* stage 0: the last stage runs it */
                }
            }
            if (k >= 0) q->stage_layers[k] += carry0;
        }
    }
    if (!plan) return run_fail(rc, "out of memory");
    int rc2 = run_time_plan(rc, plan, &r);
    oracle_plan_free(plan);
    if (rc2) return -1;
    /* a merged stage carries two stages' activations, which the oracle's
    ** memory check may refuse although the node holds both stages' state by
    ** design: such a pipeline runs at the slowdown factor, as in the artifact */
    int merged_oom = !r.fits && overloaded && s->base_it_s > 0;
    if (!r.fits && !merged_oom) { run_set_config(rc, 0, s->inf.global_batch_samples); return 1; }
    double it = r.iter_s + extra;
    if (overloaded && (merged_oom || s->cfg.bam_slowdown > 0 || !s->inf.has_layers))
        it = (s->base_it_s + extra) * (s->cfg.bam_slowdown > 0 ? s->cfg.bam_slowdown : 1.5);
    s->last_it_s = it;
    run_set_config(rc, it, s->inf.global_batch_samples);
    return 0;
}

/* Pipelines that n nodes form: floor(n / S), at most one per microbatch (the
** other nodes stand by). */
static int n_pipes_of(const bam_st *s, int n)
{
    int P = n / s->S;
    return P < s->inf.n_microbatches ? P : s->inf.n_microbatches;
}

/* Fresh pipelines over the live nodes (lowest ids first). */
static int fresh(bam_st *s, run_ctx *rc)
{
    int n_ids = run_n_ids(rc);
    s->P = n_pipes_of(s, run_n_up(rc));
    free(s->owner);
    free(s->runs);
    s->owner = malloc((size_t)(s->P * s->S + 1) * sizeof *s->owner);
    s->runs = malloc((size_t)(s->P * s->S + 1) * sizeof *s->runs);
    if (!s->owner || !s->runs) return run_fail(rc, "out of memory");
    for (int i = 0; i < n_ids; i++) s->where[i] = -1;
    int id = 0;
    for (int k = 0; k < s->P * s->S; k++) {
        while (!run_node_up(rc, id)) id++;
        s->owner[k] = id;
        s->runs[k] = 1;
        s->where[id++] = k;
    }
    s->waiting = s->P < 1;
    s->redundant_s = s->frc_on ? frc_extra_s(s, rc, s->P) : 0;
    return time_plan(s, rc);
}

/* Fresh pipelines with FRC. Without a baseline yet (an opaque plan, or a
** healthy shape that did not fit), the first plan that runs is timed once
** without FRC and becomes it. 1 if the model does not fit. */
static int form_pipelines(bam_st *s, run_ctx *rc)
{
    if (!(s->base_it_s > 0)) {
        s->frc_on = 0;
        int r = fresh(s, rc);
        if (r < 0) return -1;
        if (r > 0) return 1; /* out of memory (the artifact's Bamboo on GPT-3): never runs */
        if (s->P < 1) return 0; /* no pipeline yet: wait for nodes */
        s->base_it_s = s->last_it_s;
        s->base_redundant_s = frc_extra_s(s, rc, s->P);
        run_set_base(rc, s->base_it_s, s->inf.global_batch_samples);
    }
    s->frc_on = 1;
    return fresh(s, rc);
}

static int standby_count(const bam_st *s, const run_ctx *rc)
{
    int n = 0, n_ids = run_n_ids(rc);
    for (int i = 0; i < n_ids; i++) n += run_node_up(rc, i) && s->where[i] < 0;
    return n;
}

/* Rules (a)-(c) of the artifact simulator (RESILIENCE.md §4). */
static int should_rebalance(const bam_st *s, const run_ctx *rc)
{
    int over = 0;
    for (int k = 0; k < s->P * s->S; k++) over += s->runs[k] == 2;
    int wait = standby_count(s, rc), PS = s->P * s->S;
    if (over > 0 && wait >= over) return 1;
    if (PS - over > 0 && 2.0 * over / (PS - over) > 0.05) return 1;
    return n_pipes_of(s, PS - over + wait) > s->P;
}

static int rebalance(bam_st *s, run_ctx *rc)
{
    run_count_reconfig(rc);
    run_lose_inflight(rc);
    run_pause(rc, s->cfg.bam_reconfig_s, RUN_B_RECONFIG);
    int r = fresh(s, rc);
    return r < 0 ? -1 : 0;
}

static int bam_start(void *st, run_ctx *rc)
{
    bam_st *s = st;
    oracle_get_info(run_oracle(rc), &s->inf);
    s->where = malloc((size_t)run_n_ids(rc) * sizeof *s->where);
    if (!s->where) return run_fail(rc, "out of memory");
    s->S = pick_stages(s, rc);
    if (s->S < 0) return -1;
    if (s->S < 1)
        return run_fail(rc, RUN_ERR_MEMORY "no stage count fits the model twice (each node "
                            "holds its successor's stage too)");
    if (s->S > run_n_ids(rc))
        return run_fail(rc, RUN_ERR_MEMORY "the model fits twice (each node holds its "
                            "successor's stage too) only in %d stages or more, one node each; "
                            "the job has %d nodes", s->S, run_n_ids(rc));
    if (res_ckpt_times(rc, &s->cfg, &s->inf, &s->ckpt_s, &s->load_s)) return -1;
    run_set_ckpt(rc, s->cfg.fallback_interval_s, s->ckpt_s);
    /* the healthy shape, n_nodes / S pipelines without FRC, is the baseline,
    ** also when the trace starts with fewer nodes (or none) */
    int P0 = n_pipes_of(s, s->cfg.n_nodes);
    if (s->inf.has_layers && P0 >= 1) {
        oracle_plan *p = oracle_plan_homogeneous(s->S, P0, s->inf.n_layers, s->inf.gpus_per_node,
                                                 s->inf.n_microbatches);
        oracle_result r = {0};
        int bad = p && run_time_plan(rc, p, &r);
        oracle_plan_free(p);
        if (bad) return -1;
        if (r.fits) {
            s->base_it_s = r.iter_s;
            s->base_redundant_s = frc_extra_s(s, rc, P0);
            run_set_base(rc, s->base_it_s, s->inf.global_batch_samples);
        }
    }
    if (form_pipelines(s, rc) < 0) return -1;
    int standby = run_n_up(rc) - s->P * s->S;
    char frc[64] = "";
    if (s->inf.has_layers && s->base_it_s > 0)
        snprintf(frc, sizeof frc, ", redundant forward +%.1f%% per iteration",
                 100 * s->base_redundant_s / s->base_it_s);
    if (s->P < 1) {
        run_describe(rc, "%d stages%s, waiting for nodes: a pipeline needs %d, %d up", s->S,
                     s->cfg.bam_stages > 0 ? " (given)" : "", s->S, run_n_up(rc));
        return 0;
    }
    run_describe(rc, "%d stages%s x %d pipeline%s, %d standby%s", s->S,
                 s->cfg.bam_stages > 0 ? " (given)" : "", s->P, s->P == 1 ? "" : "s",
                 standby > 0 ? standby : 0, frc);
    return 0;
}

static int bam_on_failure(void *st, run_ctx *rc, int node)
{
    bam_st *s = st;
    int k = s->where[node];
    s->where[node] = -1;
    if (k < 0) return 0; /* a standby */
    int S = s->S, p = k / S, i = k % S;
    int pred = p * S + (i + S - 1) % S;
    run_cancel_pauses(rc);
    int fatal = S == 1 || s->runs[k] == 2 || s->owner[pred] < 0 || s->runs[pred] == 2;
    if (fatal) {
        run_rollback(rc);
        run_pause(rc, run_detect_s(rc) + s->cfg.restart_s + s->load_s, RUN_B_RESTART);
        return fresh(s, rc) < 0 ? -1 : 0;
    }
    s->owner[k] = -1;
    s->runs[k] = 0;
    s->runs[pred] = 2;
    run_lose_inflight(rc);
    run_pause(rc, run_detect_s(rc) + s->cfg.bam_failover_s, RUN_B_RECONFIG);
    if (time_plan(s, rc) < 0) return -1;
    if (should_rebalance(s, rc)) return rebalance(s, rc);
    return 0;
}

static int bam_on_arrival(void *st, run_ctx *rc, int node)
{
    bam_st *s = st;
    (void)node;
    if (s->P < 1) {
        if (run_n_up(rc) / s->S < 1) return 0;
        if (!run_paused(rc)) run_pause(rc, s->cfg.restart_s + s->load_s, RUN_B_RESTART);
        return form_pipelines(s, rc) < 0 ? -1 : 0;
    }
    if (!should_rebalance(s, rc)) return 0;
    /* a restart or rebalancing in progress takes the node along */
    if (run_paused(rc)) return fresh(s, rc) < 0 ? -1 : 0;
    return rebalance(s, rc);
    return 0;
}

static double bam_overhead(void *st)
{
    bam_st *s = st;
    double t = s->cfg.fallback_interval_s;
    double ck = t > 0 ? s->ckpt_s / (t + s->ckpt_s) : 0;
    double it = s->base_it_s + s->base_redundant_s;
    return 1 - (1 - ck) * (it > 0 ? s->base_it_s / it : 1);
}

static void bam_free(void *st)
{
    bam_st *s = st;
    if (!s) return;
    free(s->owner);
    free(s->runs);
    free(s->where);
    free(s);
}

res_scheme *res_bamboo_new(const res_config *cfg, double mtbf_s)
{
    res_scheme *r = calloc(1, sizeof *r);
    bam_st *s = calloc(1, sizeof *s);
    if (!r || !s) { free(r); free(s); return NULL; }
    s->cfg = *cfg;
    s->mtbf_s = mtbf_s;
    *r = (res_scheme){.name = "bamboo", .st = s, .start = bam_start, .on_failure = bam_on_failure,
                      .on_arrival = bam_on_arrival, .steady_overhead_frac = bam_overhead,
                      .free = bam_free};
    return r;
}
