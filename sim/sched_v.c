/*
** sched_v.c -- V-shape schedules: ZB-V (greedy) and the building-block
** schedules V-Half and V-Min (pure layer).
**
** All three use the V placement (SCHEDULES.md §2): device d holds chunk 0 =
** virtual stage d and chunk 1 = virtual stage 2p-1-d, so the forward runs
** down the devices on chunk 0 and back up on chunk 1. ZB-V restates the
** authors' greedy ([S3] v_schedule.py try_v_schedule / get_v_schedule,
** SCHEDULES.md §8); V-Half and V-Min restate the slot-based construction of
** [S3] v_schedule_greedy.py (SCHEDULES.md §9). Chunk indices here are ours
** (B.1 runs first, from device 0 down); the authors' code numbers the two
** backward chunks the other way round.
*/
#include "errmsg.h"
#include "sched.h"
#include "sched_gen.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================
** ZB-V: greedy with approved bubbles
** ====================================================================== */

/* Slot of a (kind, chunk) pair in the per-device counters: F.0, F.1, B.1,
** B.0, W (the order the V runs them in). */
enum { ZV_F0 = 0, ZV_F1, ZV_B1, ZV_B0, ZV_N };

typedef struct {
    int p, m;
    const sched_costs *c;
    double lim;
    int fill_f, fill_b;
    const double *approved;  /* [p] or NULL (first run) */
    double max_approved;
    /* state */
    int *cnt;                /* [p*ZV_N] ops of that kind placed */
    double *e, *mem, *bub;   /* [p] clock, live memory, idle after the first F.0 */
    double bub_max;          /* max of bub */
    double *t;               /* [(slot*p + dev)*m + mb] end time, NAN = not yet */
    sched_op *ops;           /* [dev*6m + k] in placing order */
    int *n_ops;              /* [p] */
    sched_op *wq;            /* [dev*2m + k] pending W ring (FIFO of their B's) */
    int *wq_head, *wq_len;   /* [p] */
    int failed;              /* a placement broke an invariant */
} zv_run;

#define ZV_CNT(r, slot, d) ((r)->cnt[(d) * ZV_N + (slot)])
#define ZV_T(r, slot, d, mb) ((r)->t[((size_t)(slot) * (r)->p + (d)) * (r)->m + (mb)])

static int zv_slot(int kind, int chunk)
{
    return kind == SCHED_OP_F ? (chunk ? ZV_F1 : ZV_F0) : (chunk ? ZV_B1 : ZV_B0);
}

static double zv_cost(const zv_run *r, int kind, int chunk, int d)
{
    int vs = chunk ? 2 * r->p - 1 - d : d;
    return kind == SCHED_OP_F ? r->c->t_f[vs] : kind == SCHED_OP_B ? r->c->t_b[vs] : r->c->t_w[vs];
}

static double zv_mem_d(const zv_run *r, int kind)
{
    return kind == SCHED_OP_F ? r->c->m_f : kind == SCHED_OP_B ? r->c->m_b : r->c->m_w;
}

/* MAXB(i): the worst bubble so far (a running maximum: bubbles only
** grow), or the approved slack of device i. */
static double zv_max_bubble(const zv_run *r, int i)
{
    double x = r->bub_max;
    if (r->approved && r->max_approved - r->approved[i] > x) x = r->max_approved - r->approved[i];
    return x;
}

/* End time (+ t_comm) of the cross-device input of the next (kind, chunk)
** op on device d, or NAN if it has none (F.0 on 0, F.1 on p-1, B.1 on 0,
** B.0 on p-1 take their input on the device) or it is not placed yet. */
static double zv_arrival(const zv_run *r, int kind, int chunk, int d, int *has_dep)
{
    int slot = zv_slot(kind, chunk), mb = ZV_CNT(r, slot, d), src;
    int down = (kind == SCHED_OP_F) == (chunk == 0);  /* input from d-1 */
    src = down ? d - 1 : d + 1;
    *has_dep = src >= 0 && src < r->p;
    if (!*has_dep || mb >= r->m) return NAN;
    double t = ZV_T(r, slot, src, mb);
    return isnan(t) ? NAN : t + r->c->t_comm;
}

/* Can the next (kind, chunk) F or B op of device d run: is there one left,
** are its cross-device input and the previous op of its microbatch on the
** device (F.0 < F.1 < B.1 < B.0) placed, and does an F fit in memory once
** the pending W's run? The authors' code asserts all this; where it would
** fail (stage costs that differ from stage to stage) we skip the op for
** this round instead of giving up. */
static int zv_ready(const zv_run *r, int kind, int chunk, int d)
{
    int slot = zv_slot(kind, chunk), mb = ZV_CNT(r, slot, d), has_dep;
    if (mb >= r->m) return 0;
    /* an F that cannot fit even after running every pending W waits */
    if (kind == SCHED_OP_F &&
        r->mem[d] + r->wq_len[d] * r->c->m_w + r->c->m_f > r->lim + SCHED_GEN_MEM_EPS) return 0;
    if (slot > ZV_F0 && isnan(ZV_T(r, slot - 1, d, mb))) return 0;
    double a = zv_arrival(r, kind, chunk, d, &has_dep);
    return !(has_dep && isnan(a));
}

/* Place the next op of (kind, chunk) on device d (W: the oldest pending;
** F/B: the caller checked zv_ready). Sets r->failed if the memory limit
** would be exceeded. */
static void zv_put(zv_run *r, int kind, int chunk, int d)
{
    int mb;
    if (r->failed) return;
    if (kind == SCHED_OP_W) {
        const sched_op *w = &r->wq[(size_t)d * 2 * r->m + r->wq_head[d]];
        chunk = w->chunk;
        mb = w->mb;
        r->wq_head[d] = (r->wq_head[d] + 1) % (2 * r->m);
        r->wq_len[d]--;
    } else {
        mb = ZV_CNT(r, zv_slot(kind, chunk), d);
    }
    if (r->mem[d] + zv_mem_d(r, kind) > r->lim + SCHED_GEN_MEM_EPS) {
        r->failed = 1;
        return;
    }
    double s = r->e[d];
    if (kind != SCHED_OP_W) {
        int has_dep;
        double a = zv_arrival(r, kind, chunk, d, &has_dep);
        if (has_dep && a > s) s = a;
    }
    if (ZV_CNT(r, ZV_F0, d) > 0) {
        r->bub[d] += s - r->e[d];
        if (r->bub[d] > r->bub_max) r->bub_max = r->bub[d];
    }
    r->e[d] = s + zv_cost(r, kind, chunk, d);
    r->mem[d] += zv_mem_d(r, kind);
    sched_op *op = &r->ops[(size_t)d * 6 * r->m + r->n_ops[d]++];
    op->kind = (uint8_t)kind;
    op->chunk = (uint8_t)chunk;
    op->mb = mb;
    if (kind != SCHED_OP_W) {
        int slot = zv_slot(kind, chunk);
        ZV_T(r, slot, d, mb) = r->e[d];
        ZV_CNT(r, slot, d)++;
    }
    if (kind == SCHED_OP_B) {
        int tail = (r->wq_head[d] + r->wq_len[d]++) % (2 * r->m);
        r->wq[(size_t)d * 2 * r->m + tail] = *op;
    }
}

/* Place (kind, chunk) on d if it is ready; returns 1 if placed. */
static int zv_try(zv_run *r, int kind, int chunk, int d)
{
    if (r->failed || !zv_ready(r, kind, chunk, d)) return 0;
    zv_put(r, kind, chunk, d);
    return !r->failed;
}

static double zv_next_w_cost(const zv_run *r, int d)
{
    const sched_op *w = &r->wq[(size_t)d * 2 * r->m + r->wq_head[d]];
    return zv_cost(r, SCHED_OP_W, w->chunk, d);
}

/* Before an op whose input arrives at 'a' on device d: W's that end in
** time, then one more if the wait exceeds the slack and 'allow'. Ops that
** take their input on the device fill nothing (the authors' code then
** compares against end_time[-1], which is -1 + T_comm until the very end). */
static void zv_fill(zv_run *r, int d, int has_dep, double a, int allow)
{
    if (!has_dep || isnan(a)) return;
    while (!r->failed && r->wq_len[d] > 0 && a >= r->e[d] + zv_next_w_cost(r, d))
        zv_put(r, SCHED_OP_W, 0, d);
    if (r->wq_len[d] > 0 && a - r->e[d] > zv_max_bubble(r, d) - r->bub[d] && allow)
        zv_put(r, SCHED_OP_W, 0, d);
}

/* Place W's until an op with memory delta 'delta' fits under the limit. */
static void zv_memfit(zv_run *r, double delta, int d)
{
    while (!r->failed && r->mem[d] + delta > r->lim + SCHED_GEN_MEM_EPS) {
        if (r->wq_len[d] == 0) { r->failed = 1; return; }
        zv_put(r, SCHED_OP_W, 0, d);
    }
}

/* Warm-up: F.0(0) everywhere, extra F.0's that fit before F.1(0) comes back
** (device i may hold 2+2i of them), then F's until each device has done
** at least as many as its upstream neighbour. */
static void zv_warmup(zv_run *r)
{
    int p = r->p, m = r->m;
    double mf = r->c->m_f;
    for (int i = 0; i < p; i++) zv_try(r, SCHED_OP_F, 0, i);
    for (int i = p - 1; i >= 0 && !r->failed; i--) {
        if (i < p - 1) {
            double a = ZV_T(r, ZV_F1, i + 1, 0) + r->c->t_comm;
            while (!r->failed && r->mem[i] + (2 + 2 * i) * mf <= r->lim + SCHED_GEN_MEM_EPS &&
                   r->e[i] + zv_cost(r, SCHED_OP_F, 0, i) <= a && ZV_CNT(r, ZV_F0, i) < m) {
                for (int j = 0; j < i; j++) zv_try(r, SCHED_OP_F, 0, j);
                if (!zv_try(r, SCHED_OP_F, 0, i)) break;
            }
        }
        zv_try(r, SCHED_OP_F, 1, i);
    }
    int c = 0, idle = 0;
    for (int i = 1; i < p && !r->failed; i++)
        while (!r->failed && idle < 2 &&
               (ZV_CNT(r, ZV_F0, i) + ZV_CNT(r, ZV_F1, i) <
                    ZV_CNT(r, ZV_F0, i - 1) + ZV_CNT(r, ZV_F1, i - 1) ||
                (ZV_CNT(r, ZV_F1, i) <= ZV_CNT(r, ZV_F1, i - 1) && ZV_CNT(r, ZV_F1, i - 1) < m))) {
            int placed = 0;
            for (int j = p - 1; j >= i; j--) placed += zv_try(r, SCHED_OP_F, c, j);
            idle = placed ? 0 : idle + 1;
            c = 1 - c;
        }
}

/* One B per device: B.1 if the device has done as many B.0's, else B.0 when
** its input is there (or B.1's are all done, or it is the turn device).
** B.0 devices go from high to low, then B.1 devices from low to high.
** Returns the number of B's placed. */
static int zv_b_step(zv_run *r, int *b0, int *b1)
{
    int p = r->p, n0 = 0, n1 = 0, placed = 0;
    for (int i = 0; i < p; i++) zv_memfit(r, r->c->m_b, i);
    for (int i = 0; i < p; i++) {
        int mb = ZV_CNT(r, ZV_B0, i), chunk;
        if (mb >= ZV_CNT(r, ZV_B1, i)) chunk = 1;
        else if (i == p - 1) chunk = 0;
        else chunk = !isnan(ZV_T(r, ZV_B0, i + 1, mb)) || ZV_CNT(r, ZV_B1, i) >= r->m ? 0 : 1;
        if (chunk == 0) b0[n0++] = i;
        else b1[n1++] = i;
    }
    for (int k = 0; k < n0 + n1 && !r->failed; k++) {
        int chunk = k < n0 ? 0 : 1, i = k < n0 ? b0[n0 - 1 - k] : b1[k - n0], has_dep;
        if (!zv_ready(r, SCHED_OP_B, chunk, i)) continue;
        double a = zv_arrival(r, SCHED_OP_B, chunk, i, &has_dep);
        zv_fill(r, i, has_dep, a, chunk == 0 || r->fill_b);
        placed += zv_try(r, SCHED_OP_B, chunk, i);
    }
    return placed;
}

/* One F per device (ascending) if one is ready: F.0 while the device has
** no F.1 pending, else F.1 once its input is there, else an F.0 whose
** input is there. */
static void zv_f_step(zv_run *r)
{
    int p = r->p, m = r->m;
    for (int i = 0; i < p && !r->failed; i++) {
        int n0 = ZV_CNT(r, ZV_F0, i), n1 = ZV_CNT(r, ZV_F1, i), chunk;
        if (n1 >= m) continue;
        if (n1 >= n0) chunk = 0;
        else if (i == p - 1 || !isnan(ZV_T(r, ZV_F1, i + 1, n1))) chunk = 1;
        else if (n0 < m && (i == 0 || !isnan(ZV_T(r, ZV_F0, i - 1, n0)))) chunk = 0;
        else continue;
        if (!zv_ready(r, SCHED_OP_F, chunk, i)) continue;
        zv_memfit(r, r->c->m_f, i);
        int has_dep;
        double a = zv_arrival(r, SCHED_OP_F, chunk, i, &has_dep);
        zv_fill(r, i, has_dep, a, r->fill_f);
        zv_try(r, SCHED_OP_F, chunk, i);
    }
}

/* One greedy run with the current flags and approved bubbles; returns the
** worst device bubble (r->failed set if it could not finish). The authors
** run exactly 2m B rounds; rounds only continue past that where a skipped
** op (zv_ready) left B's to do. */
static double zv_run_once(zv_run *r, int *scratch)
{
    int p = r->p, m = r->m;
    memset(r->cnt, 0, (size_t)p * ZV_N * sizeof *r->cnt);
    memset(r->e, 0, (size_t)p * sizeof *r->e);
    memset(r->mem, 0, (size_t)p * sizeof *r->mem);
    memset(r->bub, 0, (size_t)p * sizeof *r->bub);
    r->bub_max = 0;
    memset(r->n_ops, 0, (size_t)p * sizeof *r->n_ops);
    memset(r->wq_head, 0, (size_t)p * sizeof *r->wq_head);
    memset(r->wq_len, 0, (size_t)p * sizeof *r->wq_len);
    for (size_t k = 0; k < (size_t)ZV_N * p * m; k++) r->t[k] = NAN;
    r->failed = 0;
    r->max_approved = 0;
    if (r->approved)
        for (int i = 0; i < p; i++)
            if (i == 0 || r->approved[i] > r->max_approved) r->max_approved = r->approved[i];
    zv_warmup(r);
    long b_left = 2L * p * m;
    for (int k = 0; !r->failed && b_left > 0; k++) {
        int placed = zv_b_step(r, scratch, scratch + p);
        b_left -= placed;
        zv_f_step(r);
        if (k >= 2 * m && placed == 0) r->failed = 1;
    }
    for (int i = 0; i < p && !r->failed; i++)
        while (r->wq_len[i] > 0) zv_put(r, SCHED_OP_W, 0, i);
    for (int i = 0; i < p && !r->failed; i++)
        if (r->n_ops[i] != 6 * m) r->failed = 1;
    double x = 0;
    for (int j = 0; j < p; j++)
        if (r->bub[j] > x) x = r->bub[j];
    return x;
}

static void zv_run_free(zv_run *r)
{
    free(r->cnt);
    free(r->e);
    free(r->mem);
    free(r->bub);
    free(r->t);
    free(r->ops);
    free(r->n_ops);
    free(r->wq);
    free(r->wq_head);
    free(r->wq_len);
}

static int zv_run_alloc(zv_run *r, int p, int m)
{
    r->p = p;
    r->m = m;
    r->cnt = malloc((size_t)p * ZV_N * sizeof *r->cnt);
    r->e = malloc((size_t)p * sizeof *r->e);
    r->mem = malloc((size_t)p * sizeof *r->mem);
    r->bub = malloc((size_t)p * sizeof *r->bub);
    r->t = malloc((size_t)ZV_N * p * m * sizeof *r->t);
    r->ops = malloc((size_t)p * 6 * m * sizeof *r->ops);
    r->n_ops = malloc((size_t)p * sizeof *r->n_ops);
    r->wq = malloc((size_t)p * 2 * m * sizeof *r->wq);
    r->wq_head = malloc((size_t)p * sizeof *r->wq_head);
    r->wq_len = malloc((size_t)p * sizeof *r->wq_len);
    return r->cnt && r->e && r->mem && r->bub && r->t && r->ops && r->n_ops && r->wq &&
           r->wq_head && r->wq_len ? 0 : -1;
}

/* Upper bound on the approved-bubble iterations; each one must strictly
** lower the worst bubble, so the bound is never reached in practice. */
#define ZV_MAX_ITER 64

int sched_gen_zb_v(const sched_params *prm, const sched_costs *costs,
                   sched_t *out, char *err, size_t errlen)
{
    int p = prm->p, m = prm->m, rc = -1;
    sched_gen_costs gc;
    zv_run run = {0};
    sched_op *best_ops = NULL;
    double *approved = NULL;
    int *scratch = NULL;
    if (sched_gen_costs_init(&gc, costs, 2 * p, err, errlen)) return -1;
    if (zv_run_alloc(&run, p, m) ||
        !(best_ops = malloc((size_t)p * 6 * m * sizeof *best_ops)) ||
        !(approved = malloc((size_t)p * sizeof *approved)) ||
        !(scratch = malloc(2 * (size_t)p * sizeof *scratch))) {
        errmsg_set(err, errlen, "out of memory");
        goto fail;
    }
    run.c = &gc.c;
    /* default limit 2p chunk units = p stages (1F1B); mem_limit is in stages */
    run.lim = 2 * (prm->mem_limit > 0 ? prm->mem_limit : (double)p) * gc.c.m_f;
    double best = -1;
    for (int fb = 1; fb >= 0; fb--)
        for (int ff = 1; ff >= 0; ff--) {
            /* first run without approved bubbles, then rerun with the last
            ** run's bubbles approved while the worst bubble strictly drops */
            run.fill_b = fb;
            run.fill_f = ff;
            run.approved = NULL;
            double cur = -1;
            for (int it = 0; it < ZV_MAX_ITER; it++) {
                double x = zv_run_once(&run, scratch);
                if (run.failed || (cur >= 0 && !(x < cur))) break;
                cur = x;
                memcpy(approved, run.bub, (size_t)p * sizeof *approved);
                run.approved = approved;
                if (best < 0 || x < best) {
                    best = x;
                    memcpy(best_ops, run.ops, (size_t)p * 6 * m * sizeof *best_ops);
                }
            }
        }
    if (best < 0) {
        errmsg_set(err, errlen, "zb-v: no order found within the activation memory "
                      "limit of %g microbatches (p=%d, m=%d)",
                      run.lim / (2 * gc.c.m_f), p, m);
        goto fail;
    }
    if (sched_alloc(out, SCHED_ZB_V, p, m, 2, SCHED_PLACE_V, 1, 6 * m)) {
        errmsg_set(err, errlen, "out of memory");
        goto fail;
    }
    for (int d = 0; d < p; d++) {
        memcpy(out->ops[d], best_ops + (size_t)d * 6 * m, 6 * (size_t)m * sizeof *best_ops);
        out->n_ops[d] = 6 * m;
    }
    rc = 0;
fail:
    zv_run_free(&run);
    free(best_ops);
    free(approved);
    free(scratch);
    sched_gen_costs_free(&gc);
    return rc;
}

/* ======================================================================
** V-Half and V-Min: building blocks on unit slots
** ====================================================================== */

/* Op classes, in the order one microbatch runs them on a device. */
enum { VB_F0 = 0, VB_F1, VB_B1, VB_B0, VB_W };

typedef struct {
    int dev, cls;
    int mb;             /* microbatch; an unnamed W: its rank among the device's W's */
    int chunk;          /* W only: chunk once named by the final fill, else -1 */
} vb_op;

/* Every op takes one unit slot; a device holds at most one op per slot,
** so (slot, device) orders all ops: the sweep order of SCHEDULES.md §9. */
typedef struct {
    int p, m, S;        /* devices, microbatches, slots per device */
    vb_op *op;          /* [n_op]: the 4pm F/B ops, then the W's */
    int n_op;
    int *slot;          /* [6pm] slot of each op */
    int *nslot;         /* [6pm] scratch: slots while re-timing */
    int *occ;           /* [d*S + s] op at slot s of device d, or -1 */
    int *idx;           /* [(cls*p + d)*m + mb] op index of each F/B op */
    int *widx;          /* [d*2m + k] op index of the k-th W of device d */
    int *nw;            /* [p] W's on each device */
    int *len;           /* [p] last occupied slot + 1 */
    int *pre;           /* [d*S + s] live activations (F - W) after slot s */
    int *pnd;           /* [d*S + s] W's pending after slot s (FILLW trajectory) */
    int *seq;           /* [p*2m] scratch: per-device queues and B lists */
    int *tmp;           /* [S] scratch */
} vb_sched;

#define VB_OCC(v, d, s) ((v)->occ[(size_t)(d) * (v)->S + (s)])
#define VB_PRE(v, d, s) ((v)->pre[(size_t)(d) * (v)->S + (s)])
#define VB_IDX(v, cls, d, mb) ((v)->idx[((size_t)(cls) * (v)->p + (d)) * (v)->m + (mb)])
#define VB_IS_B(o) ((o)->cls == VB_B1 || (o)->cls == VB_B0)

static void vb_put(vb_sched *v, int i, int slot)
{
    v->slot[i] = slot;
    VB_OCC(v, v->op[i].dev, slot) = i;
    if (slot + 1 > v->len[v->op[i].dev]) v->len[v->op[i].dev] = slot + 1;
}

static void vb_new_w(vb_sched *v, int d, int mb, int chunk, int slot)
{
    int i = v->n_op++;
    v->op[i] = (vb_op){.dev = d, .cls = VB_W, .mb = mb, .chunk = chunk};
    v->widx[(size_t)d * 2 * v->m + v->nw[d]++] = i;
    vb_put(v, i, slot);
}

/* Remove every W (the F/B ops keep their slots). */
static void vb_drop_w(vb_sched *v)
{
    for (int i = 4 * v->p * v->m; i < v->n_op; i++) VB_OCC(v, v->op[i].dev, v->slot[i]) = -1;
    v->n_op = 4 * v->p * v->m;
    for (int d = 0; d < v->p; d++) {
        v->nw[d] = 0;
        while (v->len[d] > 0 && VB_OCC(v, d, v->len[d] - 1) < 0) v->len[d]--;
    }
}

/* FILLW on a schedule without W's: sweep each device's slots; every empty
** slot while a B's W is pending takes one W, the rest follow the last op.
** Unnamed W's (per_chunk = 0) are ranked in slot order; named ones
** (per_chunk = 1) take a pending W.1 before a W.0, each chunk in the order
** its B's ran. */
static void vb_fillw(vb_sched *v, int per_chunk)
{
    int m = v->m;
    for (int d = 0; d < v->p; d++) {
        int *q[2] = {v->seq + (size_t)d * 2 * m, v->seq + (size_t)d * 2 * m + m};
        int qh[2] = {0, 0}, qt[2] = {0, 0}, n = v->len[d];
        for (int s = 0;; s++) {
            int i = s < n ? VB_OCC(v, d, s) : -1;
            if (i >= 0) {
                const vb_op *o = &v->op[i];
                if (VB_IS_B(o)) {
                    int c = o->cls == VB_B1;
                    q[c][qt[c]++] = o->mb;
                }
                continue;
            }
            int c = qh[1] < qt[1] ? 1 : qh[0] < qt[0] ? 0 : -1;
            if (c < 0) {
                if (s >= n) break;
                continue;
            }
            int mb = q[c][qh[c]++];
            vb_new_w(v, d, per_chunk ? mb : v->nw[d], per_chunk ? c : -1, s);
        }
    }
}

/* Slot of the k-th B of device d in slot order (scans from the nearer end). */
static int vb_kth_b_slot(const vb_sched *v, int d, int k)
{
    int seen = 0, from_end = k >= v->m, want = from_end ? 2 * v->m - 1 - k : k;
    for (int j = 0; j < v->len[d]; j++) {
        int s = from_end ? v->len[d] - 1 - j : j, i = VB_OCC(v, d, s);
        if (i >= 0 && VB_IS_B(&v->op[i]) && seen++ == want) return s;
    }
    return -1;
}

/* Latest slot (in 'slot_of') among what op i waits for: the same op
** upstream (F.0, B.1 on d-1; F.1, B.0 on d+1), the previous op of its
** microbatch on the device, the same op of the previous microbatch, and
** for a W its B, whose slot the caller passes in 'w_b_slot'. -1 if none. */
static int vb_dep(const vb_sched *v, int i, const int *slot_of, int w_b_slot)
{
    const vb_op *o = &v->op[i];
    int d = o->dev, mb = o->mb, dep = -1, x[3], n = 0;
    if (o->cls == VB_W) {
        if (mb > 0) x[n++] = v->widx[(size_t)d * 2 * v->m + mb - 1];
        dep = w_b_slot;
    } else {
        int up = (o->cls == VB_F0 || o->cls == VB_B1) ? d - 1 : d + 1;
        if (up >= 0 && up < v->p) x[n++] = VB_IDX(v, o->cls, up, mb);
        if (o->cls != VB_F0) x[n++] = VB_IDX(v, o->cls - 1, d, mb);
        if (mb > 0) x[n++] = VB_IDX(v, o->cls, d, mb - 1);
    }
    for (int k = 0; k < n; k++)
        if (slot_of[x[k]] > dep) dep = slot_of[x[k]];
    return dep;
}

/* Live activations after each slot, with the W's where they are; returns
** the peak over all devices. */
static int vb_mem(vb_sched *v)
{
    int peak = 0;
    for (int d = 0; d < v->p; d++) {
        int live = 0;
        for (int s = 0; s < v->S; s++) {
            int i = VB_OCC(v, d, s);
            if (i >= 0) live += v->op[i].cls == VB_W ? -1 : v->op[i].cls <= VB_F1 ? 1 : 0;
            VB_PRE(v, d, s) = live;
            if (live > peak) peak = live;
        }
    }
    return peak;
}

/* Re-time eagerly: in sweep order every op goes to 1 + the latest of the
** previous op on its device and what it waits for. */
static void vb_retime(vb_sched *v)
{
    int p = v->p, m = v->m, maxlen = 0;
    int *last = v->tmp, *nb = v->tmp + p, *nwk = v->tmp + 2 * p;
    for (int d = 0; d < p; d++) {
        last[d] = -1;
        nb[d] = nwk[d] = 0;
        if (v->len[d] > maxlen) maxlen = v->len[d];
    }
    for (int s = 0; s < maxlen; s++)
        for (int d = 0; d < p; d++) {
            int i = VB_OCC(v, d, s);
            if (i < 0) continue;
            const vb_op *o = &v->op[i];
            int *bs = v->seq + (size_t)d * 2 * m, wb = -1;
            if (o->cls == VB_W) wb = v->nslot[bs[nwk[d]++]];
            else if (VB_IS_B(o)) bs[nb[d]++] = i;
            int dep = vb_dep(v, i, v->nslot, wb);
            int t = (dep > last[d] ? dep : last[d]) + 1;
            v->nslot[i] = last[d] = t;
        }
    for (int d = 0; d < p; d++) {
        for (int s = 0; s < v->len[d]; s++) VB_OCC(v, d, s) = -1;
        v->len[d] = 0;
    }
    for (int i = 0; i < v->n_op; i++) vb_put(v, i, v->nslot[i]);
}

/* SQUEEZE: sweep all ops; warm-up ops (before device 0's first B.0) move if
** 'move_warmup', stable ops (up to the first F.0 of the last microbatch)
** stay, cool-down ops move. A moving op takes the earliest free slot after
** what it waits for that keeps its device's live activations within the
** current peak. Then re-time. */
static void vb_squeeze(vb_sched *v, int move_warmup)
{
    int p = v->p, m = v->m, peak = vb_mem(v), phase = 0, maxlen = 0;
    for (int d = 0; d < p; d++)
        if (v->len[d] > maxlen) maxlen = v->len[d];
    for (int s = 0; s < maxlen; s++)
        for (int d = 0; d < p; d++) {
            int i = VB_OCC(v, d, s);
            if (i < 0) continue;
            const vb_op *o = &v->op[i];
            if (phase == 0 && d == 0 && o->cls == VB_B0 && o->mb == 0) { phase = 1; continue; }
            if (phase < 2 && o->cls == VB_F0 && o->mb == m - 1) { phase = 2; continue; }
            if (!(phase == 2 || (phase == 0 && move_warmup))) continue;
            int wb = o->cls == VB_W ? vb_kth_b_slot(v, d, o->mb) : -1;
            int lo = vb_dep(v, i, v->slot, wb) + 1, delta = o->cls == VB_W ? -1 : o->cls <= VB_F1;
            /* tmp[t] = peak of the device over [t, s) */
            int mx = INT_MIN;
            for (int t = s - 1; t >= lo; t--) {
                if (VB_PRE(v, d, t) > mx) mx = VB_PRE(v, d, t);
                v->tmp[t] = mx;
            }
            for (int t = lo; t < s; t++) {
                if (VB_OCC(v, d, t) >= 0 || v->tmp[t] + delta > peak) continue;
                VB_OCC(v, d, s) = -1;
                vb_put(v, i, t);
                for (int u = t; u < s; u++) VB_PRE(v, d, u) += delta;
                break;
            }
        }
    vb_retime(v);
}

/* FILLW trajectory of device d on a schedule without W's: pending W's and
** live activations after each slot (into pnd and pre), recomputed from
** slot 'from' on. Returns its peak over those slots. */
static int vb_traj(vb_sched *v, int d, int from)
{
    size_t base = (size_t)d * v->S;
    int pend = from > 0 ? v->pnd[base + from - 1] : 0;
    int live = from > 0 ? v->pre[base + from - 1] : 0, peak = 0;
    for (int s = from; s < v->S; s++) {
        int i = VB_OCC(v, d, s);
        if (i >= 0) {
            if (v->op[i].cls <= VB_F1) live++;
            else pend++;
        } else if (pend > 0) {
            pend--;
            live--;
        }
        v->pnd[(size_t)d * v->S + s] = pend;
        VB_PRE(v, d, s) = live;
        if (live > peak) peak = live;
    }
    return peak;
}

/* Would moving op i of device d from slot o to the free slot t keep the
** FILLW trajectory within 'peak'? Replays from t until the state meets the
** old trajectory again after o. */
static int vb_move_fits(const vb_sched *v, int d, int i, int o, int t, int peak)
{
    size_t base = (size_t)d * v->S;
    int pend = t > 0 ? v->pnd[base + t - 1] : 0, live = t > 0 ? v->pre[base + t - 1] : 0;
    for (int u = t; u < v->S; u++) {
        int j = u == t ? i : u == o ? -1 : VB_OCC(v, d, u);
        if (j >= 0) {
            if (v->op[j].cls <= VB_F1) live++;
            else pend++;
        } else if (pend > 0) {
            pend--;
            live--;
        }
        if (live > peak) return 0;
        if (u > o && pend == v->pnd[base + u] && live == v->pre[base + u]) return 1;
    }
    return 1;
}

/* SQUEEZE on a schedule without W's, the memory of a device being that of
** its FILLW trajectory; then FILLW and re-time (SCHEDULES.md §9 step 4,
** the second squeeze). */
static void vb_squeeze_nw(vb_sched *v, int move_warmup)
{
    int p = v->p, m = v->m, peak = 0, phase = 0, maxlen = 0;
    for (int d = 0; d < p; d++) {
        int x = vb_traj(v, d, 0);
        if (x > peak) peak = x;
        if (v->len[d] > maxlen) maxlen = v->len[d];
    }
    for (int s = 0; s < maxlen; s++)
        for (int d = 0; d < p; d++) {
            int i = VB_OCC(v, d, s);
            if (i < 0) continue;
            const vb_op *o = &v->op[i];
            if (phase == 0 && d == 0 && o->cls == VB_B0 && o->mb == 0) { phase = 1; continue; }
            if (phase < 2 && o->cls == VB_F0 && o->mb == m - 1) { phase = 2; continue; }
            if (!(phase == 2 || (phase == 0 && move_warmup))) continue;
            for (int t = vb_dep(v, i, v->slot, -1) + 1; t < s; t++) {
                if (VB_OCC(v, d, t) >= 0 || !vb_move_fits(v, d, i, s, t, peak)) continue;
                VB_OCC(v, d, s) = -1;
                vb_put(v, i, t);
                vb_traj(v, d, t);
                break;
            }
        }
    vb_fillw(v, 0);
    vb_retime(v);
}

static void vb_free(vb_sched *v)
{
    free(v->op);
    free(v->slot);
    free(v->nslot);
    free(v->occ);
    free(v->idx);
    free(v->widx);
    free(v->nw);
    free(v->len);
    free(v->pre);
    free(v->pnd);
    free(v->seq);
    free(v->tmp);
}

/* Slot of microbatch 0's (cls) op on device i in the building block
** (SCHEDULES.md §9 step 1); microbatch k sits 6k slots later. */
static int vb_block_slot(sched_type type, int p, int i, int cls)
{
    if (type == SCHED_V_MIN) {
        int g = p % 3 == 0 ? 2 : 0;
        int s[4] = {i, 2 * p - 1 - i, 2 * p + g + i, 4 * p + g - 1 - i};
        return s[cls];
    }
    int g = p % 2 == 0 ? 3 : 0;
    int s[4] = {2 * i, 3 * p - 2 - i, 3 * p + g + 2 * i - 1, 6 * p + g - i - 2};
    return s[cls];
}

/* V-Half / V-Min: repeat the block m times, FILLW, SQUEEZE moving warm-up
** and cool-down ops, drop the W's, FILLW and SQUEEZE the cool-down again,
** drop the W's and fill them back per chunk. The device order is the final
** slot order; costs do not enter (the authors time the result afterwards). */
static int gen_v_block(const sched_params *prm, sched_type type, sched_t *out,
                       char *err, size_t errlen)
{
    int p = prm->p, m = prm->m, rc = -1, maxslot = 0;
    vb_sched v = {0};
    for (int i = 0; i < p; i++)
        for (int c = 0; c < 4; c++) {
            int s = vb_block_slot(type, p, i, c) + 6 * (m - 1);
            if (s > maxslot) maxslot = s;
        }
    v.p = p;
    v.m = m;
    v.S = maxslot + 1 + 2 * m + 3 * p;
    size_t n_all = 6 * (size_t)p * m;
    v.op = malloc(n_all * sizeof *v.op);
    v.slot = malloc(n_all * sizeof *v.slot);
    v.nslot = malloc(n_all * sizeof *v.nslot);
    v.occ = malloc((size_t)p * v.S * sizeof *v.occ);
    v.idx = malloc(4 * (size_t)p * m * sizeof *v.idx);
    v.widx = malloc(2 * (size_t)p * m * sizeof *v.widx);
    v.nw = calloc((size_t)p, sizeof *v.nw);
    v.len = calloc((size_t)p, sizeof *v.len);
    v.pre = malloc((size_t)p * v.S * sizeof *v.pre);
    v.pnd = malloc((size_t)p * v.S * sizeof *v.pnd);
    v.seq = malloc(2 * (size_t)p * m * sizeof *v.seq);
    v.tmp = malloc((size_t)v.S * sizeof *v.tmp);
    if (!v.op || !v.slot || !v.nslot || !v.occ || !v.idx || !v.widx || !v.nw || !v.len ||
        !v.pre || !v.pnd || !v.seq || !v.tmp) {
        errmsg_set(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t k = 0; k < (size_t)p * v.S; k++) v.occ[k] = -1;
    for (int d = 0; d < p; d++)
        for (int mb = 0; mb < m; mb++)
            for (int c = 0; c < 4; c++) {
                int i = v.n_op++;
                v.op[i] = (vb_op){.dev = d, .cls = c, .mb = mb, .chunk = -1};
                VB_IDX(&v, c, d, mb) = i;
                vb_put(&v, i, vb_block_slot(type, p, d, c) + 6 * mb);
            }
    vb_fillw(&v, 0);
    vb_squeeze(&v, 1);
    vb_drop_w(&v);
    vb_squeeze_nw(&v, 0);
    vb_drop_w(&v);
    vb_fillw(&v, 1);
    if (sched_alloc(out, type, p, m, 2, SCHED_PLACE_V, 1, 6 * m)) {
        errmsg_set(err, errlen, "out of memory");
        goto fail;
    }
    static const int kind[] = {SCHED_OP_F, SCHED_OP_F, SCHED_OP_B, SCHED_OP_B, SCHED_OP_W};
    for (int d = 0; d < p; d++)
        for (int s = 0; s < v.len[d]; s++) {
            int i = VB_OCC(&v, d, s);
            if (i < 0) continue;
            const vb_op *o = &v.op[i];
            int chunk = o->cls == VB_W ? o->chunk : (o->cls == VB_F1 || o->cls == VB_B1);
            sched_push(out, d, kind[o->cls], o->mb, chunk);
        }
    rc = 0;
fail:
    vb_free(&v);
    return rc;
}

int sched_gen_v_half(const sched_params *prm, const sched_costs *costs,
                     sched_t *out, char *err, size_t errlen)
{
    (void)costs;
    return gen_v_block(prm, SCHED_V_HALF, out, err, errlen);
}

int sched_gen_v_min(const sched_params *prm, const sched_costs *costs,
                    sched_t *out, char *err, size_t errlen)
{
    (void)costs;
    return gen_v_block(prm, SCHED_V_MIN, out, err, errlen);
}
