/*
** res_ckpt.c -- checkpoint-restart, and what every scheme shares: the
** scheme registry, defaults, Young/Daly intervals, checkpoint costs, job
** membership and the best homogeneous shape (pure layer).
**
** Checkpoint-restart (RESILIENCE.md §1): a blocking checkpoint of C =
** state bytes / write bandwidth every tau of training (Young sqrt(2CM), Daly,
** or fixed). A failure of a job node loses the work since the last
** checkpoint and costs detection + restart + load (state / read bandwidth);
** the failed node is replaced by a spare, else the job waits for a repair or
** an arrival. The job keeps its size and shape.
*/
#include "res.h"
#include "failure.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

const char *const res_names[RES_N_SCHEMES] = {"ckpt", "inmem", "oobleck", "bamboo", "varuna"};

int res_kind_of(const char *name)
{
    for (int i = 0; i < RES_N_SCHEMES; i++)
        if (!strcmp(name, res_names[i])) return i;
    return -1;
}

void res_config_defaults(res_config *c)
{
    memset(c, 0, sizeof *c);
    c->n_nodes = 0;
    c->n_spares = 0;
    c->restart_s = 600;                       /* Daly's R = 10 min example (§1) */
    c->storage_write_bytes_per_s = 20e9 / 8;  /* Gemini's FSx remote storage, 20 Gbps (§2) */
    c->storage_read_bytes_per_s = 20e9 / 8;
    c->interval_policy = RES_IVL_YOUNG;
    c->inmem_replicas = 2;
    c->inmem_placement = RES_PLACE_GROUP;
    c->inmem_remote_interval_s = 3 * 3600.0;  /* Gemini's baseline remote period */
    c->inmem_peer_bytes_per_s = 400e9 / 8;    /* 400 Gbps p4d network */
    c->oob_f = 1;
    c->oob_reconfig_s = 10;                   /* artifact: 2-10 s */
    c->oob_copy_bytes_per_s = 100e9 / 8;
    c->oob_use_arrivals = 1;
    c->fallback_interval_s = 3 * 3600.0;
    c->bam_failover_s = 5;
    c->bam_reconfig_s = 76;                   /* artifact, BERT-large */
    c->var_ckpt_every_iters = 0;
    c->var_morph_s = 0;
}

/* ---- checkpoint arithmetic --------------------------------------------- */

double res_young_interval_s(double ckpt_s, double mtbf_s) { return sqrt(2 * ckpt_s * mtbf_s); }

double res_daly_interval_s(double ckpt_s, double mtbf_s)
{
    if (ckpt_s >= 2 * mtbf_s) return mtbf_s;
    double x = ckpt_s / (2 * mtbf_s);
    return sqrt(2 * ckpt_s * mtbf_s) * (1 + sqrt(x) / 3 + x / 9) - ckpt_s;
}

static double ckpt_bytes(const res_config *c, const oracle_info *inf)
{
    return c->ckpt_bytes > 0 ? c->ckpt_bytes : inf->model_state_bytes;
}

/* A checkpoint pause longer than RES_MAX_PAUSE_S is a config error (a huge
** checkpoint or a bandwidth near zero), not a number to simulate with. */
static int pause_too_long(run_ctx *rc, const char *what, double s, double bytes,
                          double bytes_per_s, const char *key)
{
    if (s <= RES_MAX_PAUSE_S) return 0;
    return run_fail(rc, "a %s takes %g s (%g GB at %g GB/s), more than %g s (about %.0f days): "
                        "check $.resilience.checkpoint_gb and $.resilience.%s",
                    what, s, bytes / 1e9, bytes_per_s / 1e9, RES_MAX_PAUSE_S,
                    RES_MAX_PAUSE_S / 86400, key);
}

int res_ckpt_times(run_ctx *rc, const res_config *c, const oracle_info *inf, double *write_s,
                   double *read_s)
{
    double bytes = ckpt_bytes(c, inf);
    *write_s = bytes / c->storage_write_bytes_per_s;
    *read_s = bytes / c->storage_read_bytes_per_s;
    if (pause_too_long(rc, "checkpoint write", *write_s, bytes, c->storage_write_bytes_per_s,
                       "storage_write_gbps"))
        return -1;
    return pause_too_long(rc, "checkpoint load", *read_s, bytes, c->storage_read_bytes_per_s,
                          "storage_read_gbps");
}

void res_shape_text(const oracle_plan *p, int n_given, char *buf, size_t len)
{
    int used = oracle_plan_nodes(p);
    if (p->n_pipes >= 1 && p->pipes[0].n_stages > 0)
        snprintf(buf, len, "PP %d x DP %d", p->pipes[0].n_stages, p->n_pipes);
    else
        snprintf(buf, len, "%d nodes", used);
    size_t n = strlen(buf);
    if (used < n_given)
        snprintf(buf + n, len - n, " on %d of %d nodes (%d spare)", used, n_given, n_given - used);
}

double res_interval_s(const res_config *c, double ckpt_s, double mtbf_s)
{
    if (c->interval_policy == RES_IVL_FIXED) return c->interval_s;
    if (c->mtbf_s > 0) mtbf_s = c->mtbf_s;
    if (!(mtbf_s > 0) || !isfinite(mtbf_s) || !(ckpt_s > 0)) return 0;
    return c->interval_policy == RES_IVL_DALY ? res_daly_interval_s(ckpt_s, mtbf_s)
                                              : res_young_interval_s(ckpt_s, mtbf_s);
}

/* ---- membership ---------------------------------------------------------- */

int res_members_init(res_members *m, const run_ctx *rc, int want)
{
    free(m->in);
    m->in = calloc((size_t)run_n_ids(rc) + 1, 1);
    m->n_in = 0;
    if (!m->in) return -1;
    return res_members_fill(m, rc, want);
}

int res_members_drop(res_members *m, int node)
{
    if (!m->in[node]) return 0;
    m->in[node] = 0;
    m->n_in--;
    return 1;
}

int res_members_add(res_members *m, const run_ctx *rc, int node)
{
    if (m->in[node] || !run_node_up(rc, node)) return 0;
    m->in[node] = 1;
    m->n_in++;
    return 1;
}

int res_members_fill(res_members *m, const run_ctx *rc, int want)
{
    int n = run_n_ids(rc);
    for (int i = 0; i < n && m->n_in < want; i++) res_members_add(m, rc, i);
    return m->n_in;
}

void res_members_free(res_members *m)
{
    if (!m) return;
    free(m->in);
    m->in = NULL;
    m->n_in = 0;
}

/* ---- best homogeneous shape ------------------------------------------------ */

int res_best_shape(run_ctx *rc, int n_nodes, int pp_fixed, oracle_plan **plan, oracle_result *res)
{
    oracle_info inf;
    oracle_get_info(run_oracle(rc), &inf);
    *plan = NULL;
    if (n_nodes < 1) return 1;
    if (!inf.has_layers) {
        oracle_plan *p = oracle_plan_opaque(n_nodes, inf.n_microbatches);
        if (!p) return run_fail(rc, "out of memory");
        if (run_time_plan(rc, p, res)) { oracle_plan_free(p); return -1; }
        if (!res->fits) { oracle_plan_free(p); return 1; }
        *plan = p;
        return 0;
    }
    oracle_result best = {0};
    for (int pp = 1; pp <= inf.n_layers && pp <= n_nodes; pp++) {
        if (pp_fixed > 0 && pp != pp_fixed) continue;
        if (inf.n_layers % pp && pp_fixed <= 0) continue; /* cut points: divisors of L */
        int dp = n_nodes / pp;
        if (dp > inf.n_microbatches) continue;
        oracle_plan *p = oracle_plan_homogeneous(pp, dp, inf.n_layers, inf.gpus_per_node,
                                                 inf.n_microbatches);
        if (!p) continue;
        oracle_result r;
        if (run_time_plan(rc, p, &r)) { oracle_plan_free(p); oracle_plan_free(*plan); *plan = NULL; return -1; }
        if (r.fits && (!*plan || r.iter_s < best.iter_s)) {
            oracle_plan_free(*plan);
            *plan = p;
            best = r;
        } else {
            oracle_plan_free(p);
        }
    }
    if (!*plan) return 1;
    *res = best;
    return 0;
}

int res_no_shape_fail(run_ctx *rc, int n_nodes, int pp_fixed)
{
    oracle_info inf;
    oracle_get_info(run_oracle(rc), &inf);
    int deepest = pp_fixed > 0 ? pp_fixed : inf.n_layers < n_nodes ? inf.n_layers : n_nodes;
    if (inf.has_layers && deepest > 0 && n_nodes / deepest > inf.n_microbatches)
        return run_fail(rc, "%d nodes are too many for the batch: even PP = %d leaves DP = %d "
                            "replicas for %d microbatches (use fewer nodes or more microbatches)",
                        n_nodes, deepest, n_nodes / deepest, inf.n_microbatches);
    return run_fail(rc, RUN_ERR_MEMORY "no PP x DP shape of %d node%s fits", n_nodes,
                    n_nodes == 1 ? "" : "s");
}

int res_start_shape(run_ctx *rc, const res_config *c, int *want, oracle_result *res,
                    char *text, size_t len, int *used)
{
    *want = c->n_nodes > 0 ? c->n_nodes : run_n_up(rc) - c->n_spares;
    oracle_plan *plan = NULL;
    int rc2 = res_best_shape(rc, *want, c->pp, &plan, res);
    if (rc2 < 0) return -1;
    if (rc2 > 0) return res_no_shape_fail(rc, *want, c->pp);
    res_shape_text(plan, *want, text, len);
    *used = oracle_plan_nodes(plan);
    oracle_plan_free(plan);
    return 0;
}

/* ---- the scheme ------------------------------------------------------------ */

typedef struct {
    res_config cfg;
    double mtbf_s;
    res_members mem;
    double it_s, samples, ckpt_s, load_s, interval_s;
    int waiting;
} ckpt_st;

static int ckpt_start(void *st, run_ctx *rc)
{
    ckpt_st *s = st;
    oracle_info inf;
    oracle_get_info(run_oracle(rc), &inf);
    oracle_result r;
    char shape[96];
    int want, used;
    if (res_start_shape(rc, &s->cfg, &want, &r, shape, sizeof shape, &used)) return -1;
    /* the nodes the shape leaves idle are spares; they do not fail the job */
    if (used < want) s->mtbf_s *= (double)want / used;
    s->cfg.n_nodes = want = used;
    if (res_members_init(&s->mem, rc, want) < 0) return run_fail(rc, "out of memory");
    s->it_s = r.iter_s;
    s->samples = inf.global_batch_samples;
    if (res_ckpt_times(rc, &s->cfg, &inf, &s->ckpt_s, &s->load_s)) return -1;
    s->interval_s = res_interval_s(&s->cfg, s->ckpt_s, s->mtbf_s);
    run_describe(rc, "%s, checkpoint every %.0f s (write %.0f s, load %.0f s)", shape,
                 s->interval_s, s->ckpt_s, s->load_s);
    run_set_base(rc, s->it_s, s->samples);
    run_set_ckpt(rc, s->interval_s, s->ckpt_s);
    s->waiting = s->mem.n_in < want;
    run_set_config(rc, s->waiting ? 0 : s->it_s, s->samples);
    return 0;
}

static int ckpt_on_failure(void *st, run_ctx *rc, int node)
{
    ckpt_st *s = st;
    if (!res_members_drop(&s->mem, node)) return 0; /* a spare failed */
    run_cancel_pauses(rc);
    run_rollback(rc);
    res_members_fill(&s->mem, rc, s->cfg.n_nodes);
    run_pause(rc, run_detect_s(rc), RUN_B_RESTART);
    if (s->mem.n_in < s->cfg.n_nodes) {
        s->waiting = 1;
        run_set_config(rc, 0, s->samples);
        return 0;
    }
    run_pause(rc, s->cfg.restart_s + s->load_s, RUN_B_RESTART);
    return 0;
}

static int ckpt_on_arrival(void *st, run_ctx *rc, int node)
{
    ckpt_st *s = st;
    if (!s->waiting) return 0;
    res_members_add(&s->mem, rc, node);
    if (s->mem.n_in < s->cfg.n_nodes) return 0;
    s->waiting = 0;
    run_set_config(rc, s->it_s, s->samples);
    run_pause(rc, s->cfg.restart_s + s->load_s, RUN_B_RESTART);
    return 0;
}

static double ckpt_overhead(void *st)
{
    ckpt_st *s = st;
    return s->interval_s > 0 ? s->ckpt_s / (s->interval_s + s->ckpt_s) : 0;
}

static void ckpt_free(void *st)
{
    ckpt_st *s = st;
    if (!s) return;
    res_members_free(&s->mem);
    free(s);
}

res_scheme *res_ckpt_new(const res_config *cfg, double mtbf_s)
{
    res_scheme *r = calloc(1, sizeof *r);
    ckpt_st *s = calloc(1, sizeof *s);
    if (!r || !s) { free(r); free(s); return NULL; }
    s->cfg = *cfg;
    s->mtbf_s = mtbf_s;
    *r = (res_scheme){.name = "ckpt", .st = s, .start = ckpt_start, .on_failure = ckpt_on_failure,
                      .on_arrival = ckpt_on_arrival, .steady_overhead_frac = ckpt_overhead,
                      .free = ckpt_free};
    return r;
}

res_scheme *res_new(int kind, const res_config *cfg, double mtbf_s)
{
    switch (kind) {
    case RES_CKPT: return res_ckpt_new(cfg, mtbf_s);
    case RES_INMEM: return res_inmem_new(cfg, mtbf_s);
    case RES_OOBLECK: return res_oobleck_new(cfg, mtbf_s);
    case RES_BAMBOO: return res_bamboo_new(cfg, mtbf_s);
    case RES_VARUNA: return res_varuna_new(cfg, mtbf_s);
    default: return NULL;
    }
}

void res_free(res_scheme *s)
{
    if (!s) return;
    if (s->free) s->free(s->st);
    free(s);
}
