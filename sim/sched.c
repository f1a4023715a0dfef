/*
** sched.c -- op lists, placement, checker, D1-D4 timer, and the GPipe, 1F1B
** and Megatron interleaved-1F1B generators (pure layer).
**
** The rules follow SCHEDULES.md §3-§5 (our restatement of Megatron-LM's
** schedules.py). Every generator only appends ops; sched_build() then proves
** the result with sched_check(), so a generator bug surfaces as a clear error
** rather than as a hang in the engine.
*/
#include "sched.h"
#include "sched_gen.h"

#include "errmsg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================
** Names and the generator registry
** ====================================================================== */

static const struct {
    const char *name;
    int splits;        /* B/W split */
    int chunks;        /* 0 = as requested (interleaved), else fixed */
    sched_gen_fn gen;  /* NULL = not built yet */
} sched_registry[SCHED_N_TYPES] = {
    [SCHED_GPIPE]       = {"gpipe", 0, 1, sched_gen_gpipe},
    [SCHED_1F1B]        = {"1f1b", 0, 1, sched_gen_1f1b},
    [SCHED_INTERLEAVED] = {"interleaved", 0, 0, sched_gen_interleaved},
    [SCHED_ZB_H1]       = {"zb-h1", 1, 1, sched_gen_zb_h1},
    [SCHED_ZB_H2]       = {"zb-h2", 1, 1, sched_gen_zb_h2},
    [SCHED_ZB_1P]       = {"zb-1p", 1, 1, sched_gen_zb_1p},
    [SCHED_ZB_2P]       = {"zb-2p", 1, 1, sched_gen_zb_2p},
    [SCHED_ZB_V]        = {"zb-v", 1, 2, sched_gen_zb_v},
    [SCHED_V_HALF]      = {"v-half", 1, 2, sched_gen_v_half},
    [SCHED_V_MIN]       = {"v-min", 1, 2, sched_gen_v_min},
};

int sched_type_from_name(const char *name)
{
    for (int t = 0; t < SCHED_N_TYPES; t++)
        if (strcmp(name, sched_registry[t].name) == 0) return t;
    return -1;
}

const char *sched_type_name(sched_type t)
{
    return (t >= 0 && t < SCHED_N_TYPES) ? sched_registry[t].name : "?";
}

const char *sched_type_names(void)
{
    return "gpipe, 1f1b, interleaved, zb-h1, zb-h2, zb-1p, zb-2p, zb-v, v-half, v-min";
}

int sched_type_splits_backward(sched_type t) { return sched_registry[t].splits; }

int sched_type_chunks(sched_type t, int requested_v)
{
    int c = sched_registry[t].chunks;
    return c ? c : (requested_v > 0 ? requested_v : 1);
}

/* ======================================================================
** Allocation, placement
** ====================================================================== */

int sched_alloc(sched_t *s, sched_type type, int p, int m, int v,
                sched_placement placement, int split_backward, int cap)
{
    memset(s, 0, sizeof *s);
    s->type = type;
    s->p = p;
    s->m = m;
    s->v = v;
    s->placement = placement;
    s->split_backward = split_backward;
    s->n_ops = calloc((size_t)p, sizeof *s->n_ops);
    s->ops = calloc((size_t)p, sizeof *s->ops);
    if (!s->n_ops || !s->ops) goto fail;
    for (int d = 0; d < p; d++) {
        s->ops[d] = malloc((size_t)cap * sizeof **s->ops);
        if (!s->ops[d]) goto fail;
    }
    return 0;
fail:
    sched_free(s);
    return -1;
}

void sched_push(sched_t *s, int dev, sched_op_kind kind, int mb, int chunk)
{
    sched_op *op = &s->ops[dev][s->n_ops[dev]++];
    op->kind = (uint8_t)kind;
    op->chunk = (uint8_t)chunk;
    op->mb = mb;
}

void sched_free(sched_t *s)
{
    if (!s) return;
    if (s->ops)
        for (int d = 0; d < s->p; d++) free(s->ops[d]);
    free(s->ops);
    free(s->n_ops);
    s->ops = NULL;
    s->n_ops = NULL;
}

int sched_n_vs(const sched_t *s) { return s->p * s->v; }

int sched_vstage(const sched_t *s, int dev, int chunk)
{
    switch (s->placement) {
    case SCHED_PLACE_INTERLEAVED: return chunk * s->p + dev;
    case SCHED_PLACE_V: return chunk == 0 ? dev : 2 * s->p - 1 - dev;
    default: return dev;
    }
}

void sched_locate(const sched_t *s, int vs, int *dev, int *chunk)
{
    switch (s->placement) {
    case SCHED_PLACE_INTERLEAVED:
        *dev = vs % s->p;
        *chunk = vs / s->p;
        break;
    case SCHED_PLACE_V:
        if (vs < s->p) { *dev = vs; *chunk = 0; }
        else { *dev = 2 * s->p - 1 - vs; *chunk = 1; }
        break;
    default:
        *dev = vs;
        *chunk = 0;
    }
}

void sched_costs_uniform(sched_costs *c, double *buf, int n_vs,
                         double t_f, double t_b, double t_w, double t_comm)
{
    for (int i = 0; i < n_vs; i++) {
        buf[i] = t_f;
        buf[n_vs + i] = t_b;
        buf[2 * n_vs + i] = t_w;
    }
    c->n_vs = n_vs;
    c->t_f = buf;
    c->t_b = buf + n_vs;
    c->t_w = buf + 2 * n_vs;
    c->t_comm = t_comm;
    c->m_f = 1;
    c->m_b = 0;
    c->m_w = -1;
}

void sched_op_str(const sched_t *s, const sched_op *op, char *buf, size_t len)
{
    static const char kc[] = {'F', 'B', 'W'};
    if (s->v > 1)
        snprintf(buf, len, "%c%d.%d", kc[op->kind], op->mb, op->chunk);
    else
        snprintf(buf, len, "%c%d", kc[op->kind], op->mb);
}

/* ======================================================================
** Generators: GPipe, 1F1B, interleaved 1F1B
** ====================================================================== */

/* GPipe (SCHEDULES.md §3): all forwards, then all backwards. */
int sched_gen_gpipe(const sched_params *prm, const sched_costs *costs,
                    sched_t *out, char *err, size_t errlen)
{
    (void)costs;
    if (sched_alloc(out, SCHED_GPIPE, prm->p, prm->m, 1, SCHED_PLACE_PLAIN, 0, 2 * prm->m)) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    for (int d = 0; d < prm->p; d++) {
        for (int i = 0; i < prm->m; i++) sched_push(out, d, SCHED_OP_F, i, 0);
        for (int i = 0; i < prm->m; i++) sched_push(out, d, SCHED_OP_B, i, 0);
    }
    return 0;
}

/* 1F1B / PipeDream-Flush (SCHEDULES.md §4): device d warms up with
** min(p-1-d, m) forwards, alternates one forward and one backward, then
** drains the remaining backwards. */
int sched_gen_1f1b(const sched_params *prm, const sched_costs *costs,
                   sched_t *out, char *err, size_t errlen)
{
    (void)costs;
    int p = prm->p, m = prm->m;
    if (sched_alloc(out, SCHED_1F1B, p, m, 1, SCHED_PLACE_PLAIN, 0, 2 * m)) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    for (int d = 0; d < p; d++) {
        int w = p - 1 - d < m ? p - 1 - d : m;
        for (int i = 0; i < w; i++) sched_push(out, d, SCHED_OP_F, i, 0);
        for (int k = 0; k < m - w; k++) {
            sched_push(out, d, SCHED_OP_F, k + w, 0);
            sched_push(out, d, SCHED_OP_B, k, 0);
        }
        for (int k = m - w; k < m; k++) sched_push(out, d, SCHED_OP_B, k, 0);
    }
    return 0;
}

/* Megatron interleaved 1F1B (SCHEDULES.md §5). Forward step k runs the
** (microbatch, chunk) pair table[k]; the table walks microbatch groups of
** size g, and inside a group chunk 0 of every microbatch, then chunk 1, ...
** Backward step k runs the same microbatch on chunk v-1-c. Device d warms up
** with min(2(p-1-d) + (v-1)g, m*v) forward steps. v = 1 is plain 1F1B, as in
** Megatron, which only interleaves with a virtual pipeline size. */
int sched_gen_interleaved(const sched_params *prm, const sched_costs *costs,
                          sched_t *out, char *err, size_t errlen)
{
    int p = prm->p, m = prm->m, v = prm->v > 0 ? prm->v : 1;
    int g = prm->group_size > 0 ? prm->group_size : p;
    if (v == 1) {
        int rc = sched_gen_1f1b(prm, costs, out, err, errlen);
        if (rc == 0) out->type = SCHED_INTERLEAVED;
        return rc;
    }
    if (m % p != 0) {
        errmsg_set(err, errlen, "interleaved 1F1B needs the number of microbatches (%d) "
                "to be a multiple of the pipeline size (%d)", m, p);
        return -1;
    }
    if (g < p || g > m || (m % g != 0 && m % g < p)) {
        errmsg_set(err, errlen, "interleaved 1F1B: group size %d must satisfy p <= g <= m "
                "and m mod g = 0 or >= p (p=%d, m=%d)", g, p, m);
        return -1;
    }
    int n = m * v;
    int *t_mb = malloc((size_t)n * sizeof *t_mb), *t_c = malloc((size_t)n * sizeof *t_c);
    if (!t_mb || !t_c || sched_alloc(out, SCHED_INTERLEAVED, p, m, v,
                                     SCHED_PLACE_INTERLEAVED, 0, 2 * n)) {
        free(t_mb);
        free(t_c);
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    int k = 0;
    for (int g0 = 0; g0 < m; g0 += g) {
        int g1 = g0 + g < m ? g0 + g : m;
        for (int c = 0; c < v; c++)
            for (int mb = g0; mb < g1; mb++) {
                t_mb[k] = mb;
                t_c[k] = c;
                k++;
            }
    }
    for (int d = 0; d < p; d++) {
        int w = 2 * (p - 1 - d) + (v - 1) * g;
        if (w > n) w = n;
        for (int i = 0; i < w; i++) sched_push(out, d, SCHED_OP_F, t_mb[i], t_c[i]);
        for (int i = 0; i < n - w; i++) {
            sched_push(out, d, SCHED_OP_F, t_mb[i + w], t_c[i + w]);
            sched_push(out, d, SCHED_OP_B, t_mb[i], v - 1 - t_c[i]);
        }
        for (int i = n - w; i < n; i++) sched_push(out, d, SCHED_OP_B, t_mb[i], v - 1 - t_c[i]);
    }
    free(t_mb);
    free(t_c);
    return 0;
}

int sched_build(const sched_params *prm, const sched_costs *costs,
                sched_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (prm->type < 0 || prm->type >= SCHED_N_TYPES) {
        errmsg_set(err, errlen, "unknown schedule type %d", (int)prm->type);
        return -1;
    }
    if (prm->p < 1 || prm->m < 1) {
        errmsg_set(err, errlen, "pipeline size and microbatches must be >= 1 (p=%d, m=%d)",
                prm->p, prm->m);
        return -1;
    }
    sched_gen_fn gen = sched_registry[prm->type].gen;
    if (!gen) {
        errmsg_set(err, errlen, "schedule '%s' is not available in this build",
                sched_registry[prm->type].name);
        return -1;
    }
    if (gen(prm, costs, out, err, errlen) != 0) {
        sched_free(out);
        return -1;
    }
    char why[256];
    if (sched_check(out, why, sizeof why) != 0) {
        errmsg_set(err, errlen, "internal error: schedule %s (p=%d, m=%d) failed its check: %s",
                sched_registry[prm->type].name, prm->p, prm->m, why);
        sched_free(out);
        return -1;
    }
    return 0;
}

/* ======================================================================
** Checker and D1-D4 timer
** ====================================================================== */

/* Index of (kind, mb, vs) in the per-op arrays of the timer and checker. */
static size_t op_index(const sched_t *s, int kind, int mb, int vs)
{
    return ((size_t)kind * (size_t)s->m + (size_t)mb) * (size_t)sched_n_vs(s) + (size_t)vs;
}

int sched_check(const sched_t *s, char *err, size_t errlen)
{
    int n_vs = sched_n_vs(s);
    size_t n = 3 * (size_t)s->m * (size_t)n_vs;
    unsigned char *seen = calloc(n, 1);
    if (!seen) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    size_t total = 0;
    int rc = -1;
    char tok[32];
    for (int d = 0; d < s->p; d++) {
        for (int i = 0; i < s->n_ops[d]; i++) {
            const sched_op *op = &s->ops[d][i];
            sched_op_str(s, op, tok, sizeof tok);
            if (op->kind > SCHED_OP_W || op->chunk >= s->v || op->mb < 0 || op->mb >= s->m) {
                errmsg_set(err, errlen, "device %d op %d (%s) is out of range", d, i, tok);
                goto done;
            }
            if (op->kind == SCHED_OP_W && !s->split_backward) {
                errmsg_set(err, errlen, "device %d has a W op (%s) but the backward is not split", d, tok);
                goto done;
            }
            size_t k = op_index(s, op->kind, op->mb, sched_vstage(s, d, op->chunk));
            if (seen[k]) {
                errmsg_set(err, errlen, "device %d runs %s twice", d, tok);
                goto done;
            }
            seen[k] = 1;
            total++;
        }
    }
    size_t want = (size_t)(s->split_backward ? 3 : 2) * (size_t)s->m * (size_t)n_vs;
    if (total != want) {
        for (int kind = 0; kind < (s->split_backward ? 3 : 2); kind++)
            for (int mb = 0; mb < s->m; mb++)
                for (int vs = 0; vs < n_vs; vs++)
                    if (!seen[op_index(s, kind, mb, vs)]) {
                        int d, c;
                        sched_locate(s, vs, &d, &c);
                        sched_op o = {(uint8_t)kind, (uint8_t)c, mb};
                        sched_op_str(s, &o, tok, sizeof tok);
                        errmsg_set(err, errlen, "device %d never runs %s", d, tok);
                        goto done;
                    }
    }
    /* Dependency order: in-order execution with unit costs must finish. */
    double *buf = malloc(3 * (size_t)n_vs * sizeof *buf);
    if (!buf) {
        errmsg_set(err, errlen, "out of memory");
        goto done;
    }
    sched_costs unit;
    sched_costs_uniform(&unit, buf, n_vs, 1, 1, 1, 0);
    sched_timing t;
    if (sched_time(s, &unit, &t) != 0) {
        errmsg_set(err, errlen, "the op lists deadlock: some op waits for an input that "
                "its producer runs later in an order that cannot complete");
        free(buf);
        goto done;
    }
    sched_timing_free(&t);
    free(buf);
    rc = 0;
done:
    free(seen);
    return rc;
}

double sched_op_cost(const sched_t *s, const sched_costs *c, int dev, const sched_op *op)
{
    int vs = sched_vstage(s, dev, op->chunk);
    switch (op->kind) {
    case SCHED_OP_F: return c->t_f[vs];
    case SCHED_OP_B: return s->split_backward ? c->t_b[vs] : c->t_b[vs] + c->t_w[vs];
    default: return c->t_w[vs];
    }
}

void sched_timing_free(sched_timing *t)
{
    if (!t) return;
    if (t->start)
        for (int d = 0; d < t->p; d++) free(t->start[d]);
    if (t->end)
        for (int d = 0; d < t->p; d++) free(t->end[d]);
    free(t->start);
    free(t->end);
    free(t->dev_first_start);
    free(t->dev_last_end);
    free(t->dev_busy);
    free(t->dev_peak_mem);
    memset(t, 0, sizeof *t);
}

/* Earliest time op 'op' of device 'dev' may start given finished ops
** ('done' holds end times, NAN = not yet). Returns NAN if an input is
** missing. Dependencies D1-D3 of SCHEDULES.md §1. */
static double ready_time(const sched_t *s, const sched_costs *c, const double *done,
                         int dev, const sched_op *op)
{
    int n_vs = sched_n_vs(s);
    int vs = sched_vstage(s, dev, op->chunk);
    int dep_kind, dep_vs;
    switch (op->kind) {
    case SCHED_OP_F:
        if (vs == 0) return 0.0;
        dep_kind = SCHED_OP_F;
        dep_vs = vs - 1;
        break;
    case SCHED_OP_B:
        if (vs == n_vs - 1) { dep_kind = SCHED_OP_F; dep_vs = vs; }
        else { dep_kind = SCHED_OP_B; dep_vs = vs + 1; }
        break;
    default:
        dep_kind = SCHED_OP_B;
        dep_vs = vs;
    }
    double t = done[op_index(s, dep_kind, op->mb, dep_vs)];
    if (isnan(t)) return NAN;
    int dep_dev, dep_chunk;
    sched_locate(s, dep_vs, &dep_dev, &dep_chunk);
    return dep_dev != dev ? t + c->t_comm : t;
}

int sched_time(const sched_t *s, const sched_costs *c, sched_timing *out)
{
    int p = s->p, n_vs = sched_n_vs(s);
    size_t n = 3 * (size_t)s->m * (size_t)n_vs;
    memset(out, 0, sizeof *out);
    out->p = p;
    double *done = malloc(n * sizeof *done);
    int *next = calloc((size_t)p, sizeof *next);
    double *free_at = calloc((size_t)p, sizeof *free_at);
    out->start = calloc((size_t)p, sizeof *out->start);
    out->end = calloc((size_t)p, sizeof *out->end);
    out->dev_first_start = calloc((size_t)p, sizeof(double));
    out->dev_last_end = calloc((size_t)p, sizeof(double));
    out->dev_busy = calloc((size_t)p, sizeof(double));
    out->dev_peak_mem = calloc((size_t)p, sizeof(double));
    int ok = done && next && free_at && out->start && out->end && out->dev_first_start &&
             out->dev_last_end && out->dev_busy && out->dev_peak_mem;
    for (int d = 0; ok && d < p; d++) {
        size_t k = s->n_ops[d] > 0 ? (size_t)s->n_ops[d] : 1;
        out->start[d] = malloc(k * sizeof(double));
        out->end[d] = malloc(k * sizeof(double));
        ok = out->start[d] && out->end[d];
    }
    if (!ok) goto fail;
    for (size_t i = 0; i < n; i++) done[i] = NAN;

    size_t remaining = 0;
    for (int d = 0; d < p; d++) remaining += (size_t)s->n_ops[d];
    while (remaining > 0) {
        size_t progress = 0;
        for (int d = 0; d < p; d++) {
            while (next[d] < s->n_ops[d]) {
                const sched_op *op = &s->ops[d][next[d]];
                double r = ready_time(s, c, done, d, op);
                if (isnan(r)) break;
                double st = r > free_at[d] ? r : free_at[d];
                double en = st + sched_op_cost(s, c, d, op);
                out->start[d][next[d]] = st;
                out->end[d][next[d]] = en;
                done[op_index(s, op->kind, op->mb, sched_vstage(s, d, op->chunk))] = en;
                free_at[d] = en;
                next[d]++;
                progress++;
            }
        }
        if (progress == 0) goto fail;
        remaining -= progress;
    }
    for (int d = 0; d < p; d++) {
        double live = 0, peak = 0, busy = 0;
        for (int i = 0; i < s->n_ops[d]; i++) {
            const sched_op *op = &s->ops[d][i];
            busy += out->end[d][i] - out->start[d][i];
            if (op->kind == SCHED_OP_F) live += c->m_f;
            else if (op->kind == SCHED_OP_B) live += s->split_backward ? c->m_b : c->m_b + c->m_w;
            else live += c->m_w;
            if (live > peak) peak = live;
        }
        out->dev_busy[d] = busy;
        out->dev_peak_mem[d] = peak;
        out->dev_first_start[d] = s->n_ops[d] ? out->start[d][0] : 0;
        out->dev_last_end[d] = s->n_ops[d] ? out->end[d][s->n_ops[d] - 1] : 0;
        if (out->dev_last_end[d] > out->makespan) out->makespan = out->dev_last_end[d];
    }
    free(done);
    free(next);
    free(free_at);
    return 0;
fail:
    free(done);
    free(next);
    free(free_at);
    sched_timing_free(out);
    return -1;
}
