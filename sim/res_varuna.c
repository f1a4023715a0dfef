/*
** res_varuna.c -- Varuna job morphing (pure layer).
**
** RESILIENCE.md §5 (Athlur et al. EuroSys'22): the job runs on every live
** node in the best (PP, DP) shape for that count (AutoConfig: PP over the
** divisors of the layer count, DP = nodes / PP, least iteration time among
** the shapes that fit; res_best_shape). Blocking checkpoints every
** var_ckpt_every_iters iterations (or the shared interval policy). A failure
** (no notice) rolls back to the last checkpoint and restarts in the new
** shape: detection + restart + load + morph. An arrival checkpoints first
** (no work lost), then restarts in the larger shape if that is faster; one
** during a restart joins it (no second pause).
*/
#include "res.h"

#include <stdio.h>
#include <stdlib.h>

int res_varuna_shapes(int K, int G, int *P, int *D, int *idle, int max)
{
    int n = 0;
    for (int p = 1; p < K && p <= G && n < max; p++) {
        if (K % p) continue;
        P[n] = p;
        D[n] = G / p;
        idle[n] = G - p * (G / p);
        n++;
    }
    return n;
}

typedef struct {
    res_config cfg;
    double mtbf_s;
    double samples, ckpt_s, load_s, interval_s;
    double it_full_s;        /* iteration time at the initial size, for the overhead */
    int n_run;               /* nodes of the current shape (0: not running) */
    res_members mem;         /* the n_run nodes the shape runs on; the others idle */
} varuna_st;

/* Of n nodes, those a shape can use: at most PP x (one replica per
** microbatch), PP at most the layer count; the rest stay idle. */
static int usable_of(const varuna_st *s, run_ctx *rc, int n)
{
    oracle_info inf;
    oracle_get_info(run_oracle(rc), &inf);
    if (!inf.has_layers) return n;
    double cap = (double)(s->cfg.pp > 0 ? s->cfg.pp : inf.n_layers) * inf.n_microbatches;
    return n > cap ? (int)cap : n;
}

static int usable_nodes(const varuna_st *s, run_ctx *rc) { return usable_of(s, rc, run_n_up(rc)); }

/* Re-plan for the live nodes; waiting if nothing fits. */
static int morph(varuna_st *s, run_ctx *rc)
{
    oracle_plan *plan = NULL;
    oracle_result r;
    int n = usable_nodes(s, rc);
    int rc2 = res_best_shape(rc, n, s->cfg.pp, &plan, &r);
    int used = plan ? oracle_plan_nodes(plan) : n;   /* G - P x D of the n stay idle */
    oracle_plan_free(plan);
    if (rc2 < 0) return -1;
    s->n_run = rc2 ? 0 : used;
    if (s->n_run && res_members_init(&s->mem, rc, used) < 0) return run_fail(rc, "out of memory");
    run_set_config(rc, rc2 ? 0 : r.iter_s, s->samples);
    if (!rc2 && s->cfg.var_ckpt_every_iters > 0)
        run_set_ckpt(rc, s->cfg.var_ckpt_every_iters * r.iter_s, s->ckpt_s);
    return 0;
}

static int varuna_start(void *st, run_ctx *rc)
{
    varuna_st *s = st;
    oracle_info inf;
    oracle_get_info(run_oracle(rc), &inf);
    s->samples = inf.global_batch_samples;
    if (res_ckpt_times(rc, &s->cfg, &inf, &s->ckpt_s, &s->load_s)) return -1;
    if (morph(s, rc)) return -1;
    /* the job MTBF given is for the job's nodes; Varuna runs on the nodes its
    ** shape uses (spares too, idle ones not) */
    int given = s->cfg.n_nodes > 0 ? s->cfg.n_nodes : run_n_up(rc);
    if (s->n_run > 0) s->mtbf_s *= (double)given / s->n_run;
    s->interval_s = res_interval_s(&s->cfg, s->ckpt_s, s->mtbf_s);
    if (s->cfg.var_ckpt_every_iters <= 0) run_set_ckpt(rc, s->interval_s, s->ckpt_s);
    char ck[48];
    if (s->cfg.var_ckpt_every_iters > 0)
        snprintf(ck, sizeof ck, "every %d iterations", s->cfg.var_ckpt_every_iters);
    else
        snprintf(ck, sizeof ck, "every %.0f s", s->interval_s);
    if (!s->n_run) { /* not enough nodes yet: wait; the first shape sets the base */
        /* unless no shape fits even on the job's nodes and spares (a trace's
        ** peak; more replicas hold fewer microbatches in flight): it would
        ** wait the whole run */
        int most = usable_of(s, rc, s->cfg.n_nodes > 0 ? s->cfg.n_nodes + s->cfg.n_spares
                                                       : run_n_ids(rc));
        oracle_plan *plan = NULL;
        oracle_result r;
        int fits = res_best_shape(rc, most, s->cfg.pp, &plan, &r);
        oracle_plan_free(plan);
        if (fits < 0) return -1;
        if (fits > 0) return res_no_shape_fail(rc, most, s->cfg.pp);
        run_describe(rc, "waiting for nodes, checkpoint %s", ck);
        return 0;
    }
    oracle_plan *plan = NULL;
    oracle_result r;
    char shape[96] = "";
    res_best_shape(rc, s->n_run, s->cfg.pp, &plan, &r);
    if (plan) res_shape_text(plan, usable_nodes(s, rc), shape, sizeof shape);
    oracle_plan_free(plan);
    run_describe(rc, "%s, morphs on every change, checkpoint %s (write %.0f s)", shape, ck,
                 s->ckpt_s);
    s->it_full_s = r.iter_s;
    run_set_base(rc, r.iter_s, s->samples);
    return 0;
}

static int varuna_on_failure(void *st, run_ctx *rc, int node)
{
    varuna_st *s = st;
    /* a node the shape leaves idle (beyond what the batch can use) is not missed */
    if (s->n_run && !res_members_drop(&s->mem, node)) return 0;
    run_cancel_pauses(rc);
    run_rollback(rc);
    run_pause(rc, run_detect_s(rc) + s->cfg.restart_s + s->load_s + s->cfg.var_morph_s,
              RUN_B_RESTART);
    return morph(s, rc);
}

static int varuna_on_arrival(void *st, run_ctx *rc, int node)
{
    varuna_st *s = st;
    (void)node;
    oracle_plan *plan = NULL;
    oracle_result r;
    int rc2 = res_best_shape(rc, usable_nodes(s, rc), s->cfg.pp, &plan, &r);
    oracle_plan_free(plan);
    if (rc2 < 0) return -1;
    if (rc2 > 0) return 0;
    /* a restart in progress takes the node along (simultaneous arrivals
    ** make one morph, not one each) */
    if (run_paused(rc)) return morph(s, rc);
    if (s->n_run) {
        /* worth a morph only if the new shape is faster (AutoConfig keeps D x P) */
        oracle_plan *p2 = NULL;
        oracle_result cur;
        if (res_best_shape(rc, s->n_run, s->cfg.pp, &p2, &cur) < 0) return -1;
        oracle_plan_free(p2);
        if (!(r.iter_s < cur.iter_s)) return 0;
        run_lose_inflight(rc);
        run_pause(rc, s->ckpt_s, RUN_B_CKPT);
        run_commit(rc);
    }
    run_pause(rc, s->cfg.restart_s + s->load_s + s->cfg.var_morph_s, RUN_B_RESTART);
    return morph(s, rc);
}

static double varuna_overhead(void *st)
{
    varuna_st *s = st;
    double ivl = s->cfg.var_ckpt_every_iters > 0 ? s->cfg.var_ckpt_every_iters * s->it_full_s
                                                 : s->interval_s;
    return ivl > 0 ? s->ckpt_s / (ivl + s->ckpt_s) : 0;
}

static void varuna_free(void *st)
{
    varuna_st *s = st;
    res_members_free(&s->mem);
    free(s);
}

res_scheme *res_varuna_new(const res_config *cfg, double mtbf_s)
{
    res_scheme *r = calloc(1, sizeof *r);
    varuna_st *s = calloc(1, sizeof *s);
    if (!r || !s) { free(r); free(s); return NULL; }
    s->cfg = *cfg;
    s->mtbf_s = mtbf_s;
    *r = (res_scheme){.name = "varuna", .st = s, .start = varuna_start,
                      .on_failure = varuna_on_failure, .on_arrival = varuna_on_arrival,
                      .steady_overhead_frac = varuna_overhead, .free = varuna_free};
    return r;
}
