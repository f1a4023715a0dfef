/*
** sched_zb.c -- zero-bubble schedules on the plain placement: the
** handcrafted ZB-H1 / ZB-H2 and the automatic ZB-1p / ZB-2p (pure layer).
**
** ZB-H1/H2 follow the authors' hand rule (SCHEDULES.md §6, [S3]
** efficiency.py get_hand_schedule). ZB-1p/2p restate the authors' greedy
** heuristic (SCHEDULES.md §7, [S3] auto_schedule.py manual_order and
** initial_solution): it places ops one device at a time while keeping a
** clock per device, fills waits with deferred W's, and keeps the best of
** eight flag combinations. The ILP refinement is not built (it is switched
** off in every released version of the authors' code). Also the shared
** helpers of the cost-aware generators (sched_gen_*), see sched_gen.h.
*/
#include "errmsg.h"
#include "sched.h"
#include "sched_gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================
** Shared generator helpers
** ====================================================================== */

int sched_gen_costs_init(sched_gen_costs *g, const sched_costs *in, int n_vs,
                         char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    if (!in) {
        g->buf = malloc(3 * (size_t)n_vs * sizeof *g->buf);
        if (!g->buf) {
            errmsg_set(err, errlen, "out of memory");
            return -1;
        }
        sched_costs_uniform(&g->c, g->buf, n_vs, 1, 1, 1, 0);
        return 0;
    }
    if (in->n_vs != n_vs) {
        errmsg_set(err, errlen, "costs cover %d virtual stages, the schedule has %d",
                      in->n_vs, n_vs);
        return -1;
    }
    for (int i = 0; i < n_vs; i++)
        if (!(in->t_f[i] >= 0 && in->t_b[i] >= 0 && in->t_w[i] >= 0)) {
            errmsg_set(err, errlen, "op costs of virtual stage %d must be >= 0", i);
            return -1;
        }
    if (!(in->t_comm >= 0)) {
        errmsg_set(err, errlen, "t_comm must be >= 0");
        return -1;
    }
    if (!(in->m_f > 0) || !(in->m_w < 0) || in->m_b > 0) {
        errmsg_set(err, errlen, "memory model needs m_f > 0, m_b <= 0 and m_w < 0 "
                      "(got %g, %g, %g)", in->m_f, in->m_b, in->m_w);
        return -1;
    }
    g->c = *in;
    return 0;
}

void sched_gen_costs_free(sched_gen_costs *g)
{
    if (!g) return;
    free(g->buf);
    g->buf = NULL;
}

/* ======================================================================
** ZB-H1 / ZB-H2: the hand rule
** ====================================================================== */

/* Device r: w = min((p-1-r)k, m) warm-up forwards, then per microbatch i an
** F (while any are left), B(i), and once i >= r*k the oldest pending W;
** the held-back W's drain at the end. k = 1 (ZB-H1) or 2 (ZB-H2). */
static int gen_zb_hand(const sched_params *prm, sched_type type, int k,
                       sched_t *out, char *err, size_t errlen)
{
    int p = prm->p, m = prm->m;
    if (sched_alloc(out, type, p, m, 1, SCHED_PLACE_PLAIN, 1, 3 * m)) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    for (int r = 0; r < p; r++) {
        int w = (p - 1 - r) * k < m ? (p - 1 - r) * k : m, nw = 0;
        for (int i = 0; i < w; i++) sched_push(out, r, SCHED_OP_F, i, 0);
        for (int i = 0; i < m; i++) {
            if (w + i < m) sched_push(out, r, SCHED_OP_F, w + i, 0);
            sched_push(out, r, SCHED_OP_B, i, 0);
            if (w + i >= (p - 1) * k) sched_push(out, r, SCHED_OP_W, nw++, 0);
        }
        while (nw < m) sched_push(out, r, SCHED_OP_W, nw++, 0);
    }
    return 0;
}

int sched_gen_zb_h1(const sched_params *prm, const sched_costs *costs,
                    sched_t *out, char *err, size_t errlen)
{
    (void)costs;
    return gen_zb_hand(prm, SCHED_ZB_H1, 1, out, err, errlen);
}

int sched_gen_zb_h2(const sched_params *prm, const sched_costs *costs,
                    sched_t *out, char *err, size_t errlen)
{
    (void)costs;
    return gen_zb_hand(prm, SCHED_ZB_H2, 2, out, err, errlen);
}

/* ======================================================================
** ZB-1p / ZB-2p: the automatic greedy scheduler
** ====================================================================== */

enum { ZB_F = SCHED_OP_F, ZB_B = SCHED_OP_B, ZB_W = SCHED_OP_W };

/* One run of the greedy with one flag combination. Times are simulated
** seconds (or the caller's unit); memory in the caller's units. */
typedef struct {
    int p, m;
    const double *cost[3];  /* [kind][stage] op time */
    double mem_d[3];        /* [kind] memory delta */
    double t_comm, lim;
    int flag_a, flag_p, flag_g;
    /* state */
    int *cnt;               /* [kind*p + j] ops of that kind placed on j */
    double *e, *mem, *bub;  /* [p] device clock, live memory, idle after first F */
    double bub_max;         /* max of bub */
    double *t;              /* [(kind*p + j)*m + mb] end time, valid once placed */
    sched_op *ops;          /* [j*3m + k] ops of device j in placing order */
} zb_run;

#define ZB_CNT(r, kind, j) ((r)->cnt[(kind) * (r)->p + (j)])
#define ZB_T(r, kind, j, mb) ((r)->t[((size_t)(kind) * (r)->p + (j)) * (r)->m + (mb)])

/* MAXB: the worst device bubble so far (bubbles only grow, so a running
** maximum kept by zb_place). */
static double zb_max_bubble(const zb_run *r) { return r->bub_max; }

/* PLACE(j, kind) of SCHEDULES.md §7. Returns -1 if it would exceed the
** memory limit, nothing of that kind is left, or its input is not placed. */
static int zb_place(zb_run *r, int j, int kind)
{
    int mb = ZB_CNT(r, kind, j);
    if (mb >= r->m || (kind == ZB_W && mb >= ZB_CNT(r, ZB_B, j))) return -1;
    if (r->mem[j] + r->mem_d[kind] > r->lim + SCHED_GEN_MEM_EPS) return -1;
    double s = r->e[j], a = s;
    if (kind == ZB_F && j > 0) a = ZB_T(r, ZB_F, j - 1, mb) + r->t_comm;
    else if (kind == ZB_B && j < r->p - 1) a = ZB_T(r, ZB_B, j + 1, mb) + r->t_comm;
    else if (kind == ZB_B) a = ZB_T(r, ZB_F, j, mb);
    if (isnan(a)) return -1;  /* input not placed: this flag combination fails */
    if (a > s) s = a;
    if (ZB_CNT(r, ZB_F, j) > 0) {
        r->bub[j] += s - r->e[j];
        if (r->bub[j] > r->bub_max) r->bub_max = r->bub[j];
    }
    double end = s + r->cost[kind][j];
    r->e[j] = end;
    ZB_T(r, kind, j, mb) = end;
    r->mem[j] += r->mem_d[kind];
    int n = ZB_CNT(r, ZB_F, j) + ZB_CNT(r, ZB_B, j) + ZB_CNT(r, ZB_W, j);
    sched_op *op = &r->ops[(size_t)j * 3 * r->m + n];
    op->kind = (uint8_t)kind;
    op->chunk = 0;
    op->mb = mb;
    ZB_CNT(r, kind, j)++;
    return 0;
}

static int zb_w_pending(const zb_run *r, int j)
{
    return ZB_CNT(r, ZB_W, j) < ZB_CNT(r, ZB_B, j);
}

/* MEMFIT: place W's until an op of 'kind' fits under the limit. */
static int zb_memfit(zb_run *r, int j, int kind)
{
    while (r->mem[j] + r->mem_d[kind] > r->lim + SCHED_GEN_MEM_EPS)
        if (zb_place(r, j, ZB_W)) return -1;
    return 0;
}

/* FILL: W's that end before the input arrives at 'a'; one more that
** overruns it if the wait is worse than the worst bubble so far (or flag G). */
static void zb_fill(zb_run *r, int j, double a)
{
    while (zb_w_pending(r, j) && r->e[j] + r->cost[ZB_W][j] <= a) zb_place(r, j, ZB_W);
    if (zb_w_pending(r, j) && r->e[j] < a &&
        (a - r->e[j] > zb_max_bubble(r) - r->bub[j] || r->flag_g))
        zb_place(r, j, ZB_W);
}

/* Round 0: one F per device, the extra warm-up F's that fit before B0
** arrives (flag A: only those that end in time), then B0 from the last
** device up. 'extra' is scratch of p ints. */
static int zb_round0(zb_run *r, int *extra)
{
    int p = r->p;
    for (int j = 0; j < p; j++)
        if (zb_place(r, j, ZB_F)) return -1;
    double last = ZB_T(r, ZB_F, p - 1, 0) + r->cost[ZB_B][p - 1];
    extra[p - 1] = 0;
    for (int j = p - 2; j >= 0; j--) {
        double c = r->e[j], mm = r->mem[j], tf = r->cost[ZB_F][j];
        int x = 0;
        while (ZB_CNT(r, ZB_F, j) + x < r->m && mm + r->mem_d[ZB_F] <= r->lim + SCHED_GEN_MEM_EPS &&
               (r->flag_a ? c + tf <= last + r->t_comm : c < last + r->t_comm)) {
            c += tf;
            mm += r->mem_d[ZB_F];
            x++;
        }
        extra[j] = x;
        last = (c > last + r->t_comm ? c : last + r->t_comm) + r->cost[ZB_B][j];
    }
    for (int j = 1; j < p; j++) {
        while (extra[j] > 0 && extra[j] >= extra[j - 1] && ZB_CNT(r, ZB_F, j) + extra[j] < r->m)
            extra[j]--;
        /* Not in the authors' code: never more forwards than the device
        ** upstream (their exception for a device reaching m could let it
        ** run a forward whose input does not exist yet when stage costs
        ** differ; it never triggers with equal stage costs). */
        int cap = ZB_CNT(r, ZB_F, j - 1) + extra[j - 1] - ZB_CNT(r, ZB_F, j);
        if (extra[j] > cap) extra[j] = cap;
    }
    for (int j = 0; j < p; j++)
        for (int x = 0; x < extra[j]; x++)
            if (zb_place(r, j, ZB_F)) return -1;
    for (int j = p - 1; j >= 0; j--)
        if (zb_memfit(r, j, ZB_B) || zb_place(r, j, ZB_B)) return -1;
    return 0;
}

/* Does device j (flag P, >= 2 F's ahead of j+1) place an F this round? */
static int zb_want_f(const zb_run *r, int j)
{
    double nxt = r->e[j + 1] + r->cost[ZB_F][j + 1] + r->cost[ZB_B][j + 1] + r->t_comm;
    if (r->e[j] >= nxt) return 0;
    int need_w = 0;
    for (double mm = r->mem[j]; mm + r->mem_d[ZB_F] > r->lim + SCHED_GEN_MEM_EPS; mm += r->mem_d[ZB_W])
        need_w++;
    if (r->e[j] + r->cost[ZB_F][j] + need_w * r->cost[ZB_W][j] <= nxt) return 1;
    if (nxt - r->e[j] <= zb_max_bubble(r) - r->bub[j]) return 0;
    return 1;
}

/* The whole greedy for one flag combination; 'want' is scratch of p ints.
** Returns -1 if the memory limit cannot be met. */
static int zb_run_once(zb_run *r, int *want)
{
    int p = r->p, m = r->m;
    if (zb_round0(r, want)) return -1;
    for (int i = 1; i < m; i++) {
        for (int j = 0; j < p; j++) {
            want[j] = ZB_CNT(r, ZB_F, j) < m;
            if (want[j] && r->flag_p && j < p - 1 &&
                ZB_CNT(r, ZB_F, j) >= ZB_CNT(r, ZB_F, j + 1) + 2)
                want[j] = zb_want_f(r, j);
        }
        for (int j = p - 2; j >= 0; j--)
            if (want[j + 1] < want[j]) want[j] = want[j + 1];
        for (int j = 0; j < p; j++) {
            if (!want[j]) continue;
            if (zb_memfit(r, j, ZB_F)) return -1;
            if (j > 0) zb_fill(r, j, ZB_T(r, ZB_F, j - 1, ZB_CNT(r, ZB_F, j)) + r->t_comm);
            if (zb_place(r, j, ZB_F)) return -1;
        }
        for (int j = p - 1; j >= 0; j--) {
            if (zb_memfit(r, j, ZB_B)) return -1;
            if (j < p - 1) zb_fill(r, j, ZB_T(r, ZB_B, j + 1, i) + r->t_comm);
            if (j == 0 && ZB_CNT(r, ZB_F, 0) == m)
                while (zb_w_pending(r, 0)) zb_place(r, 0, ZB_W);
            if (zb_place(r, j, ZB_B)) return -1;
        }
    }
    for (int j = 0; j < p; j++) {
        while (zb_w_pending(r, j)) zb_place(r, j, ZB_W);
        if (ZB_CNT(r, ZB_F, j) != m || ZB_CNT(r, ZB_W, j) != m) return -1;
    }
    return 0;
}

/* Longest device span: end of its last op - start of its F0. */
static double zb_score(const zb_run *r)
{
    double best = 0;
    for (int j = 0; j < r->p; j++) {
        double span = r->e[j] - (ZB_T(r, ZB_F, j, 0) - r->cost[ZB_F][j]);
        if (span > best) best = span;
    }
    return best;
}

static void zb_run_free(zb_run *r)
{
    free(r->cnt);
    free(r->e);
    free(r->mem);
    free(r->bub);
    free(r->t);
    free(r->ops);
}

static int zb_run_alloc(zb_run *r, int p, int m)
{
    r->cnt = malloc(3 * (size_t)p * sizeof *r->cnt);
    r->e = malloc((size_t)p * sizeof *r->e);
    r->mem = malloc((size_t)p * sizeof *r->mem);
    r->bub = malloc((size_t)p * sizeof *r->bub);
    r->t = malloc(3 * (size_t)p * (size_t)m * sizeof *r->t);
    r->ops = malloc(3 * (size_t)p * (size_t)m * sizeof *r->ops);
    return r->cnt && r->e && r->mem && r->bub && r->t && r->ops ? 0 : -1;
}

static void zb_run_reset(zb_run *r)
{
    memset(r->cnt, 0, 3 * (size_t)r->p * sizeof *r->cnt);
    memset(r->e, 0, (size_t)r->p * sizeof *r->e);
    memset(r->mem, 0, (size_t)r->p * sizeof *r->mem);
    memset(r->bub, 0, (size_t)r->p * sizeof *r->bub);
    r->bub_max = 0;
    for (size_t k = 0; k < 3 * (size_t)r->p * r->m; k++) r->t[k] = NAN;
}

/* ZB-1p (k = 1) and ZB-2p (k = 2): best of the 8 flag combinations in the
** authors' order (A, P, G each true then false; first strict best kept).
** The device order is the placing order, which is the authors' order of
** ops sorted by end time whenever every op costs > 0. */
static int gen_zb_auto(const sched_params *prm, const sched_costs *costs, sched_type type,
                       int k, sched_t *out, char *err, size_t errlen)
{
    int p = prm->p, m = prm->m, rc = -1;
    sched_gen_costs gc;
    zb_run run = {0}, best = {0};
    int *want = NULL;
    if (sched_gen_costs_init(&gc, costs, p, err, errlen)) return -1;
    run.p = best.p = p;
    run.m = best.m = m;
    run.cost[ZB_F] = gc.c.t_f;
    run.cost[ZB_B] = gc.c.t_b;
    run.cost[ZB_W] = gc.c.t_w;
    run.mem_d[ZB_F] = gc.c.m_f;
    run.mem_d[ZB_B] = gc.c.m_b;
    run.mem_d[ZB_W] = gc.c.m_w;
    run.t_comm = gc.c.t_comm;
    run.lim = (prm->mem_limit > 0 ? prm->mem_limit : (double)k * p) * gc.c.m_f;
    want = malloc((size_t)p * sizeof *want);
    if (!want || zb_run_alloc(&run, p, m) || zb_run_alloc(&best, p, m)) {
        errmsg_set(err, errlen, "out of memory");
        goto fail;
    }
    double best_score = -1;
    for (int flags = 0; flags < 8; flags++) {
        run.flag_a = !(flags & 4);
        run.flag_p = !(flags & 2);
        run.flag_g = !(flags & 1);
        zb_run_reset(&run);
        if (zb_run_once(&run, want)) continue;
        double score = zb_score(&run);
        if (best_score < 0 || score < best_score) {
            best_score = score;
            memcpy(best.ops, run.ops, 3 * (size_t)p * (size_t)m * sizeof *run.ops);
        }
    }
    if (best_score < 0) {
        errmsg_set(err, errlen, "%s: no order keeps the activation memory under the "
                      "limit of %g microbatches (p=%d, m=%d)", sched_type_name(type),
                      run.lim / gc.c.m_f, p, m);
        goto fail;
    }
    if (sched_alloc(out, type, p, m, 1, SCHED_PLACE_PLAIN, 1, 3 * m)) {
        errmsg_set(err, errlen, "out of memory");
        goto fail;
    }
    for (int j = 0; j < p; j++) {
        memcpy(out->ops[j], best.ops + (size_t)j * 3 * m, 3 * (size_t)m * sizeof *best.ops);
        out->n_ops[j] = 3 * m;
    }
    rc = 0;
fail:
    free(want);
    zb_run_free(&run);
    zb_run_free(&best);
    sched_gen_costs_free(&gc);
    return rc;
}

int sched_gen_zb_1p(const sched_params *prm, const sched_costs *costs,
                    sched_t *out, char *err, size_t errlen)
{
    return gen_zb_auto(prm, costs, SCHED_ZB_1P, 1, out, err, errlen);
}

int sched_gen_zb_2p(const sched_params *prm, const sched_costs *costs,
                    sched_t *out, char *err, size_t errlen)
{
    return gen_zb_auto(prm, costs, SCHED_ZB_2P, 2, out, err, errlen);
}
