/*
** eng_oracle.c -- the run level's iteration-time oracle backed by the SimGrid
** iteration engine (engine layer). See eng_oracle.h.
*/
#include "eng_oracle.h"

#include "cost.h"
#include "eng.h"
#include "errmsg.h"
#include "plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One pipeline shape and its result, so a shape repeated across plans (or
** within one) is simulated once. */
typedef struct {
    int n_stages, n_micro, dp, gpus;
    int *layers;
    sched_type schedule;      /* the schedule it runs (1F1B where the experiment's cannot) */
    double iter_s;
    double grad_bytes_max;    /* per GPU, heaviest stage */
    int fits;
    int derived;              /* iter_s from the affine fit, not simulated */
} shape_entry;

typedef struct {
    cfg_experiment base;      /* the experiment (stage_layers and JSON sections dropped) */
    eng_t *eng;               /* created at the first simulation */
    int eng_tp;
    shape_entry *shapes;
    int n_shapes, cap_shapes;
    int affine;               /* derive 1F1B times from three simulated microbatch counts */
    long n_derived;
    const slow_model *slow;   /* borrowed; NULL: nominal speed */
    int slow_iterations;      /* iterations per simulated shape with 'slow' */
} eo_ctx;

/* The schedule a pipeline runs and its chunks per device: the experiment's,
** unless a stage is too thin for its chunks or interleaving needs m % pp
** == 0: then 1F1B. */
static sched_type effective_schedule(const eo_ctx *c, const oracle_pipeline *pl, int *chunks)
{
    const cfg_parallel *par = &c->base.parallel;
    int v = sched_type_chunks(par->schedule, par->virtual_stages);
    int min_layers = pl->stage_layers[0];
    for (int s = 1; s < pl->n_stages; s++)
        if (pl->stage_layers[s] < min_layers) min_layers = pl->stage_layers[s];
    if (min_layers < v || (par->schedule == SCHED_INTERLEAVED && pl->n_microbatches % pl->n_stages)) {
        *chunks = 1;
        return SCHED_1F1B;
    }
    *chunks = v;
    return par->schedule;
}

static void eo_info(void *vctx, oracle_info *out)
{
    eo_ctx *c = vctx;
    const cfg_experiment *e = &c->base;
    memset(out, 0, sizeof *out);
    out->has_layers = 1;
    out->n_layers = e->model.layers;
    out->gpus_per_node = e->cluster.gpus_per_node;
    out->gpu_mem_bytes = e->cluster.gpu.hbm_bytes;
    /* a checkpoint holds 16-bit weights and the fp32 optimizer state */
    out->model_state_bytes = cost_total_params(&e->model) * (2.0 + 12.0);
    out->global_batch_samples = e->parallel.global_batch_size;
    out->n_microbatches = e->parallel.global_batch_size / e->parallel.microbatch_size;
}

/* TP collectives of an op priced as the engine prices them (ring volume at
** the effective NVLink bandwidth, 2(t-1) latency steps each). */
static double tp_comm_s(const cfg_experiment *e, const cost_op *op)
{
    int t = e->parallel.tp, n = op->n_tp_colls;
    const cfg_cluster *cl = &e->cluster;
    return n * (plan_ring_bytes(t, op->tp_bytes) / (cl->nvlink_bytes_per_s * cl->nvlink_eff) +
                plan_ring_steps(t) * plan_tp_alpha_s(cl));
}

static int eo_layer(void *vctx, int layer, int n_gpus, oracle_layer *out)
{
    eo_ctx *c = vctx;
    cfg_experiment e = c->base;
    if (layer < 0 || layer >= e.model.layers || n_gpus < 1 || e.model.heads % n_gpus) return -1;
    e.parallel.tp = n_gpus;
    cost_op f, b, w;
    cost_layer_ops(&e, &f, &b, &w);
    out->fwd_s = f.compute_s + tp_comm_s(&e, &f);
    out->bwd_s = b.compute_s + w.compute_s + tp_comm_s(&e, &b);
    out->act_bytes = cost_layer_act_bytes(&e) * n_gpus;
    out->state_bytes = cost_layer_params(&e.model) * cost_state_bytes_per_param(&e);
    return 0;
}

/* Simulate 'dp' copies of pipeline 'pl'. Fills the cache entry 'se'. */
static int simulate_shape(eo_ctx *c, const oracle_pipeline *pl, int dp, shape_entry *se,
                          char *err, size_t errlen)
{
    cfg_experiment e = c->base;
    cfg_parallel *par = &e.parallel;
    int tp = pl->stage_gpus[0];
    for (int s = 1; s < pl->n_stages; s++)
        if (pl->stage_gpus[s] != tp) {
            errmsg_set(err, errlen, "the engine oracle needs the same GPUs on every stage of a "
                       "pipeline (got %d and %d)", tp, pl->stage_gpus[s]);
            return -1;
        }
    if (tp < 1 || e.cluster.gpus_per_node % tp || e.model.heads % tp) {
        errmsg_set(err, errlen, "stages of %d GPUs do not divide a node of %d GPUs or %d heads",
                   tp, e.cluster.gpus_per_node, e.model.heads);
        return -1;
    }
    int v;
    par->schedule = effective_schedule(c, pl, &v);
    par->tp = tp;
    par->pp = pl->n_stages;
    par->dp = dp;
    par->virtual_stages = v;
    par->n_microbatches = pl->n_microbatches;
    par->global_batch_size = pl->n_microbatches * par->microbatch_size * dp;
    par->stage_layers = malloc((size_t)pl->n_stages * (size_t)v * sizeof *par->stage_layers);
    if (!par->stage_layers) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    /* chunk k of stage s gets an even share of the stage's layers; its
    ** virtual stage follows the schedule's placement (sched.h) */
    int vplace = sched_type_chunks(par->schedule, 0) == 2 && v == 2;
    for (int s = 0; s < pl->n_stages; s++)
        for (int k = 0; k < v; k++) {
            int vs = v == 1 ? s : vplace ? (k == 0 ? s : 2 * pl->n_stages - 1 - s)
                                         : k * pl->n_stages + s;
            par->stage_layers[vs] = pl->stage_layers[s] / v + (k < pl->stage_layers[s] % v);
        }
    plan_t p;
    int rc = plan_build(&e, &p, err, errlen);
    free(par->stage_layers);
    par->stage_layers = NULL;
    if (rc) return -1;
    se->fits = p.fits;
    se->grad_bytes_max = 0;
    for (int d = 0; d < p.pp; d++) {
        double g = cost_grad_bytes(&e, p.mem[d].params);
        if (g > se->grad_bytes_max) se->grad_bytes_max = g;
    }
    se->iter_s = 0;
    if (!p.fits) {
        plan_free(&p);
        return 0;
    }
    int hosts_needed = pl->n_stages * dp;
    int hosts_per_node = e.cluster.gpus_per_node / tp;
    if (hosts_needed > e.cluster.nodes * hosts_per_node) {
        errmsg_set(err, errlen, "the plan needs %d TP groups, the cluster has %d", hosts_needed,
                   e.cluster.nodes * hosts_per_node);
        plan_free(&p);
        return -1;
    }
    if (!c->eng) {
        c->eng = eng_new(&c->base, tp, NULL, 0, err, errlen);
        if (!c->eng) {
            plan_free(&p);
            return -1;
        }
        c->eng_tp = tp;
    } else if (tp != c->eng_tp) {
        errmsg_set(err, errlen, "the engine was built for TP groups of %d GPUs, not %d",
                   c->eng_tp, tp);
        plan_free(&p);
        return -1;
    }
    slow_plan sp;
    int iterations = c->slow ? c->slow_iterations : 1;
    if (c->slow && slow_build(c->slow, &e, &p, iterations, &sp, err, errlen)) {
        plan_free(&p);
        return -1;
    }
    tl_result res;
    rc = eng_run(c->eng, &p, c->slow ? &sp.classes : NULL, iterations, 1, &res, err, errlen);
    if (rc == 0) {
        se->iter_s = res.iteration_s;
        tl_result_free(&res);
    }
    if (c->slow) slow_plan_free(&sp);
    plan_free(&p);
    return rc;
}

static int same_split(const shape_entry *se, const oracle_pipeline *pl, int dp)
{
    return se->n_stages == pl->n_stages && se->dp == dp && se->gpus == pl->stage_gpus[0] &&
           !memcmp(se->layers, pl->stage_layers, (size_t)pl->n_stages * sizeof(int));
}

/* The first (up to) three simulated 1F1B points of split (pl, dp) with
** m >= pp: the evidence of affine_time. Returns how many. */
static int fit_points(const eo_ctx *c, const oracle_pipeline *pl, int dp,
                      const shape_entry *pts[3])
{
    int n = 0;
    for (int i = 0; i < c->n_shapes && n < 3; i++) {
        const shape_entry *se = &c->shapes[i];
        if (!se->derived && se->fits && se->schedule == SCHED_1F1B &&
            se->n_micro >= se->n_stages && same_split(se, pl, dp))
            pts[n++] = se;
    }
    return n;
}

/* 1F1B with m >= pp microbatches repeats one steady pattern per extra
** microbatch, so its iteration time is affine in m: T(m) = T(a) + (m - a)
** (T(b) - T(a)) / (b - a). Measured on every split Oobleck, Varuna and the
** fixed shapes time for GPT-3 175B (47 splits, 513 points, m = pp..1440):
** within 2e-10 of the simulated time. Each split's first three simulated
** points with m >= pp are the evidence: the middle one must lie on the line
** through the outer two (1e-9 relative), else the split is always
** simulated. 1 and the time in *iter_s if (pl, dp) can be derived. */
static int affine_time(const eo_ctx *c, const oracle_pipeline *pl, int dp, double *iter_s,
                       const shape_entry **sample)
{
    int v;
    if (!c->affine || effective_schedule(c, pl, &v) != SCHED_1F1B ||
        pl->n_microbatches < pl->n_stages)
        return 0;
    const shape_entry *pts[3];
    if (fit_points(c, pl, dp, pts) < 3) return 0;
    const shape_entry *lo = pts[0], *mid = pts[1], *hi = pts[2], *t;
    if (lo->n_micro > mid->n_micro) { t = lo; lo = mid; mid = t; }
    if (mid->n_micro > hi->n_micro) { t = mid; mid = hi; hi = t; }
    if (lo->n_micro > mid->n_micro) { t = lo; lo = mid; mid = t; }
    double slope = (hi->iter_s - lo->iter_s) / (hi->n_micro - lo->n_micro);
    double on_line = lo->iter_s + (mid->n_micro - lo->n_micro) * slope;
    if (fabs(on_line - mid->iter_s) > 1e-9 * mid->iter_s) return 0;
    *iter_s = lo->iter_s + (pl->n_microbatches - lo->n_micro) * slope;
    *sample = lo;
    return 1;
}

/* The cached entry for (pl, dp), simulating it on a miss (or deriving it,
** affine_time). NULL on error. */
static shape_entry *shape_time(eo_ctx *c, const oracle_pipeline *pl, int dp, char *err,
                               size_t errlen)
{
    for (int i = 0; i < c->n_shapes; i++) {
        shape_entry *se = &c->shapes[i];
        if (se->n_micro == pl->n_microbatches && same_split(se, pl, dp) &&
            (c->affine || !se->derived))
            return se;
    }
    if (c->n_shapes == c->cap_shapes) {
        int cap = c->cap_shapes ? 2 * c->cap_shapes : 16;
        shape_entry *ns = realloc(c->shapes, (size_t)cap * sizeof *ns);
        if (!ns) return NULL;
        c->shapes = ns;
        c->cap_shapes = cap;
    }
    shape_entry *se = &c->shapes[c->n_shapes];
    memset(se, 0, sizeof *se);
    se->n_stages = pl->n_stages;
    se->n_micro = pl->n_microbatches;
    se->dp = dp;
    se->gpus = pl->stage_gpus[0];
    se->layers = malloc((size_t)pl->n_stages * sizeof(int));
    if (!se->layers) return NULL;
    memcpy(se->layers, pl->stage_layers, (size_t)pl->n_stages * sizeof(int));
    int v;
    se->schedule = effective_schedule(c, pl, &v);
    const shape_entry *sample;
    double derived_s;
    if (affine_time(c, pl, dp, &derived_s, &sample)) {
        se->iter_s = derived_s;
        se->fits = sample->fits;                   /* 1F1B memory peaks at m >= pp */
        se->grad_bytes_max = sample->grad_bytes_max;
        se->derived = 1;
        c->n_derived++;
        c->n_shapes++;
        return se;
    }
    if (simulate_shape(c, pl, dp, se, err, errlen)) {
        free(se->layers);
        return NULL;
    }
    c->n_shapes++;
    int idx = c->n_shapes - 1;
    /* a split asked at a second count also gets its cheapest point, m = pp,
    ** as the third: later counts are then derived (2 pp - 1 schedule slots
    ** per stage instead of m + pp - 1 for a third asked count) */
    const shape_entry *pts[3];
    oracle_pipeline anchor = *pl;
    anchor.n_microbatches = pl->n_stages;
    if (c->affine && se->fits && se->schedule == SCHED_1F1B && pl->n_microbatches > pl->n_stages &&
        effective_schedule(c, &anchor, &v) == SCHED_1F1B && fit_points(c, pl, dp, pts) == 2 &&
        pts[0]->n_micro != pl->n_stages && pts[1]->n_micro != pl->n_stages &&
        !shape_time(c, &anchor, dp, err, errlen))
        return NULL;
    return &c->shapes[idx];   /* the anchor may have moved the array */
}

static int same_pipeline(const oracle_pipeline *a, const oracle_pipeline *b)
{
    return a->n_stages == b->n_stages && a->n_microbatches == b->n_microbatches &&
           !memcmp(a->stage_layers, b->stage_layers, (size_t)a->n_stages * sizeof(int)) &&
           !memcmp(a->stage_gpus, b->stage_gpus, (size_t)a->n_stages * sizeof(int));
}

static int eo_plan_time(void *vctx, const oracle_plan *plan, oracle_result *out, char *err,
                        size_t errlen)
{
    eo_ctx *c = vctx;
    memset(out, 0, sizeof *out);
    if (!plan || plan->n_pipes < 1) {
        errmsg_set(err, errlen, "empty plan");
        return -1;
    }
    for (int i = 0; i < plan->n_pipes; i++) {
        const oracle_pipeline *pl = &plan->pipes[i];
        int sum = 0;
        for (int s = 0; s < pl->n_stages; s++) sum += pl->stage_layers[s];
        if (pl->n_stages < 1 || pl->n_microbatches < 1 || sum != c->base.model.layers) {
            errmsg_set(err, errlen, "pipeline %d: %d stages, %d microbatches, %d of %d layers", i,
                       pl->n_stages, pl->n_microbatches, sum, c->base.model.layers);
            return -1;
        }
    }
    int homogeneous = 1;
    for (int i = 1; i < plan->n_pipes && homogeneous; i++)
        homogeneous = same_pipeline(&plan->pipes[0], &plan->pipes[i]);
    out->fits = 1;
    if (homogeneous) {
        /* one engine run: DP gradient buckets simulated with the pipelines */
        shape_entry *se = shape_time(c, &plan->pipes[0], plan->n_pipes, err, errlen);
        if (!se) return -1;
        out->fits = se->fits;
        out->iter_s = out->pipe_max_s = se->iter_s;
        for (int i = 0; i < plan->n_pipes && i < ORACLE_MAX_PIPES_REPORTED; i++)
            out->pipe_s[i] = se->iter_s;
        return 0;
    }
    double grad_max = 0;
    for (int i = 0; i < plan->n_pipes; i++) {
        shape_entry *se = shape_time(c, &plan->pipes[i], 1, err, errlen);
        if (!se) return -1;
        if (!se->fits) out->fits = 0;
        if (i < ORACLE_MAX_PIPES_REPORTED) out->pipe_s[i] = se->iter_s;
        if (se->iter_s > out->pipe_max_s) out->pipe_max_s = se->iter_s;
        if (se->grad_bytes_max > grad_max) grad_max = se->grad_bytes_max;
    }
    /* gradients of each layer all-reduced over the pipelines: a ring of k
    ** ranks at one GPU's NIC bandwidth, for the heaviest stage */
    const cfg_cluster *cl = &c->base.cluster;
    int k = plan->n_pipes;
    out->sync_s = plan_ring_bytes(k, grad_max) / plan_gpu_nic_bytes_per_s(cl) +
                  plan_ring_steps(k) * plan_dp_alpha_s(cl);
    out->iter_s = out->pipe_max_s + out->sync_s;
    return 0;
}

static void eo_free(void *vctx)
{
    eo_ctx *c = vctx;
    if (!c) return;
    for (int i = 0; i < c->n_shapes; i++) free(c->shapes[i].layers);
    free(c->shapes);
    eng_free(c->eng);
    free(c);
}

oracle *eng_oracle_new(const cfg_experiment *e, char *err, size_t errlen)
{
    if (e->model.kind != MODEL_TRANSFORMER) {
        errmsg_set(err, errlen, "the engine oracle needs a transformer model");
        return NULL;
    }
    eo_ctx *c = calloc(1, sizeof *c);
    oracle *o = calloc(1, sizeof *o);
    if (!c || !o) {
        free(c);
        free(o);
        errmsg_set(err, errlen, "out of memory");
        return NULL;
    }
    c->base = *e;
    c->affine = 1;
    c->base.parallel.stage_layers = NULL;
    c->base.failures = c->base.resilience = c->base.stragglers = NULL;
    o->ctx = c;
    o->info = eo_info;
    o->layer = eo_layer;
    o->plan_time = eo_plan_time;
    o->free = eo_free;
    return o;
}

void eng_oracle_set_affine(oracle *o, int on) { ((eo_ctx *)o->ctx)->affine = on; }

void eng_oracle_set_slowness(oracle *o, const slow_model *m)
{
    eo_ctx *c = o->ctx;
    c->slow = m;
    c->slow_iterations = c->base.engine.iterations > 1 ? c->base.engine.iterations : 1;
    /* per-op draws are not affine in the microbatch count */
    if (m && (m->noise_sigma > 0 || m->has_seqlen)) c->affine = 0;
}

void eng_oracle_stats(const oracle *o, long *n_simulated, long *n_derived)
{
    const eo_ctx *c = o->ctx;
    *n_derived = c->n_derived;
    *n_simulated = c->n_shapes - c->n_derived;
}
