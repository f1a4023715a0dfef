/*
** whatif.c -- what-if straggler analysis (Lin et al., OSDI'25).
**
** HOW IT WORKS. Every step of a trace runs the same ops: a per-stage op list
** taken from dp_rank 0 of the first step (the "model"), laid out for every
** worker (dp_rank, stage). That layout is the step *template*: template op i
** is (worker, op type, seq_id), the same for all steps, so the dependency
** graph is built once on the template:
**   - preds(i): ops that must end before i starts (in-order streams, the
**     send/recv/compute edges, the post-backward chain: see build_edges);
**   - grp(i): the communication group instance i belongs to (a p2p pair, an
**     all-gather over DP ranks, ...), or -1 for a local op.
** A replay computes, in one topological order over "start of op i" and
** "group g complete" nodes,
**   start(i) = max(end(p) for p in preds(i)), 0 without preds
**   end(i)   = start(i) + x(i)                            local op
**   end(i)   = max(start(m) for m in grp(i)) + x(i)       communication op
** where x(i) is the op's own time: its measured duration (local) or transfer
** time = end - latest start of its group (communication), or its type's
** ideal time. A step's time is the latest end of an optimizer op (of any
** op if the trace has no optimizer ops).
** Each what-if scenario is a mask over template ops (1 = measured time,
** 0 = ideal time), replayed for every step: cost O(steps x (ops + edges)).
** The per-DP-rank and per-worker scenarios (one measured, the rest ideal)
** are replayed incrementally from the all-ideal replay (inc_replay), at a
** cost proportional to the part of the step they change.
*/
#include "whatif.h"
#include "errmsg.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Transfer times at or below this are clock noise and set to 0 (upstream
** analysis_util.py); smaller negative values are kept, as upstream does. */
#define WHATIF_NEG_CLIP_S (-0.01)

/* Coefficient of variation below which op times count as constant (the
** F/B correlation is then undefined). */
#define WHATIF_FB_MIN_CV 1e-9

#define NT OPTRACE_N_TYPES
#define NO_ROW SIZE_MAX

/* Analysis state: the template, its graph and the measured times. */
typedef struct {
    const optrace *tr;
    int n_steps, n_dp, n_stages, n_workers;
    int *steps;               /* [n_steps] ascending step numbers */
    size_t *worker_row;       /* [n_workers] first row of the worker, NO_ROW if none */
    int *cnt, *base;          /* [n_stages*NT] ops per type and first local index */
    int *model_n;             /* [n_stages] ops per worker of that stage */
    int *wbase;               /* [n_workers+1] first template op of a worker */
    int n_ops;                /* template ops per step */
    uint8_t *op_type;         /* [n_ops] */
    int *op_worker;           /* [n_ops] worker = dp*n_stages + stage */
    int *op_grp;              /* [n_ops] group instance, -1 for local ops */
    int *mc0;                 /* [n_ops] model chunk in the first step */
    int *pred_off, *pred;     /* CSR [n_ops+1], preds of each op */
    int n_grps;
    int *grp_off, *grp_mem;   /* CSR [n_grps+1], members of each group */
    int *order;               /* [n_ops+n_grps] topological order of nodes */
    int *succ_off, *succ;     /* CSR [n_ops+n_grps+1], successor nodes of each node */
    int *pos;                 /* [n_ops+n_grps] position of a node in order */
    int *end_ops, n_end_ops;  /* ops whose latest end is the step time */
    double *m_start, *m_end;  /* [n_steps*n_ops] measured */
    double *x_orig;           /* [n_steps*n_ops] own time, measured */
    double x_ideal[NT];       /* ideal own time per type */
    double *x_ideal_op;       /* [n_ops] x_ideal of the op's type */
    double *r_start, *r_end;  /* [n_ops] replay scratch */
    double *step_buf;         /* [n_steps] scratch */
} wi_ctx;

static void ctx_free(wi_ctx *c)
{
    free(c->steps);
    free(c->worker_row);
    free(c->cnt);
    free(c->base);
    free(c->model_n);
    free(c->wbase);
    free(c->op_type);
    free(c->op_worker);
    free(c->op_grp);
    free(c->mc0);
    free(c->pred_off);
    free(c->pred);
    free(c->grp_off);
    free(c->grp_mem);
    free(c->order);
    free(c->succ_off);
    free(c->succ);
    free(c->pos);
    free(c->end_ops);
    free(c->m_start);
    free(c->m_end);
    free(c->x_orig);
    free(c->x_ideal_op);
    free(c->r_start);
    free(c->r_end);
    free(c->step_buf);
}

/* "FILE:LINE" of a row, or "FILE: row N" for appended rows. */
static const char *row_loc(const wi_ctx *c, const optrace_row *r, char *buf, size_t n)
{
    const char *src = c->tr->source ? c->tr->source : "trace";
    if (r->line > 0) snprintf(buf, n, "%s:%d", src, (int)r->line);
    else snprintf(buf, n, "%s: row %zu", src, (size_t)(r - c->tr->rows) + 1);
    return buf;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Index of step number 'step' in c->steps (it is there). */
static int step_index(const wi_ctx *c, int step)
{
    const int *p = bsearch(&step, c->steps, (size_t)c->n_steps, sizeof *p, cmp_int);
    return (int)(p - c->steps);
}

/* Local index in its stage's op list of (type, k), or -1. */
static int local_op(const wi_ctx *c, int s, int type, int k)
{
    if (type < 0 || k < 0 || k >= c->cnt[s * NT + type]) return -1;
    return c->base[s * NT + type] + k;
}

/* ==== template: dimensions, model, measured times ======================= */

/* Steps, DP ranks, stages; op counts per stage from dp_rank 0 of the first
** step; the template layout. */
static int build_template(wi_ctx *c, char *err, size_t err_len)
{
    const optrace *t = c->tr;
    const char *src = t->source ? t->source : "trace";
    if (t->n_rows == 0) {
        errmsg_set(err, err_len, "%s: the trace has no ops", src);
        return -1;
    }
    int *all = malloc(t->n_rows * sizeof *all);
    if (!all) goto oom;
    int max_dp = 0, max_stage = 0;
    size_t r_dp = 0, r_stage = 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        all[r] = t->rows[r].step;
        if (t->rows[r].dp_rank > max_dp) max_dp = t->rows[r].dp_rank, r_dp = r;
        if (t->rows[r].stage > max_stage) max_stage = t->rows[r].stage, r_stage = r;
    }
    /* Every worker of 0..max_dp x 0..max_stage needs rows: more workers than
    ** rows means a stray rank (and would size arrays by it). */
    if ((uint64_t)(max_dp + 1) * (uint64_t)(max_stage + 1) > t->n_rows) {
        char loc[512];
        const optrace_row *o = &t->rows[max_dp > max_stage ? r_dp : r_stage];
        free(all);
        errmsg_set(err, err_len, "%s: dp_rank %d, stage %d: DP ranks up to %d and stages up "
                "to %d make %llu workers but the trace has only %zu rows (ranks and stages "
                "must be numbered 0..n-1, every worker in every step)",
                row_loc(c, o, loc, sizeof loc), (int)o->dp_rank, (int)o->stage, max_dp,
                max_stage, (unsigned long long)(max_dp + 1) * (unsigned long long)(max_stage + 1),
                t->n_rows);
        return -1;
    }
    qsort(all, t->n_rows, sizeof *all, cmp_int);
    int n = 0;
    for (size_t r = 0; r < t->n_rows; r++)
        if (r == 0 || all[r] != all[n - 1]) all[n++] = all[r];
    c->steps = all;
    c->n_steps = n;
    c->n_dp = max_dp + 1;
    c->n_stages = max_stage + 1;
    c->n_workers = c->n_dp * c->n_stages;

    int P = c->n_stages, W = c->n_workers;
    c->cnt = calloc((size_t)P * NT, sizeof *c->cnt);
    c->base = calloc((size_t)P * NT, sizeof *c->base);
    c->model_n = calloc((size_t)P, sizeof *c->model_n);
    c->wbase = calloc((size_t)W + 1, sizeof *c->wbase);
    c->worker_row = malloc((size_t)W * sizeof *c->worker_row);
    if (!c->cnt || !c->base || !c->model_n || !c->wbase || !c->worker_row) goto oom;
    for (int w = 0; w < W; w++) c->worker_row[w] = NO_ROW;
    for (size_t r = 0; r < t->n_rows; r++) {
        const optrace_row *o = &t->rows[r];
        size_t *first = &c->worker_row[o->dp_rank * P + o->stage];
        if (*first == NO_ROW) *first = r;
        if (o->step == c->steps[0] && o->dp_rank == 0) c->cnt[o->stage * NT + o->type]++;
    }
    for (int s = 0; s < P; s++) {
        for (int ty = 0; ty < NT; ty++) {
            c->base[s * NT + ty] = c->model_n[s];
            c->model_n[s] += c->cnt[s * NT + ty];
        }
        if (c->model_n[s] == 0) {
            size_t n_first = 0, r_first = 0;
            char loc[512];
            for (size_t r = t->n_rows; r-- > 0;)
                if (t->rows[r].step == c->steps[0]) n_first++, r_first = r;
            errmsg_set(err, err_len, "%s: the first step (%d) has no ops on dp_rank 0, stage %d; "
                    "the dependency model is built from dp_rank 0 of the first step, which "
                    "needs every stage (numbered 0..n-1). Step %d has %zu rows, the first "
                    "at %s", src, c->steps[0], s, c->steps[0], n_first,
                    row_loc(c, &t->rows[r_first], loc, sizeof loc));
            return -1;
        }
    }
    /* Slots = steps x template ops; a valid trace has exactly one row per
    ** slot. Far more slots than rows: say so before sizing arrays by them. */
    uint64_t n_ops = 0;
    for (int s = 0; s < P; s++) n_ops += (uint64_t)c->n_dp * (uint64_t)c->model_n[s];
    if (n_ops * (uint64_t)c->n_steps > 2 * (uint64_t)t->n_rows + 4096) {
        errmsg_set(err, err_len, "%s: incomplete trace: %d steps x %llu ops per step (the ops "
                "of dp_rank 0 in step %d on every worker) need %llu rows, the trace has %zu",
                src, c->n_steps, (unsigned long long)n_ops, c->steps[0],
                (unsigned long long)(n_ops * (uint64_t)c->n_steps), t->n_rows);
        return -1;
    }
    for (int w = 0; w < W; w++) c->wbase[w + 1] = c->wbase[w] + c->model_n[w % P];
    c->n_ops = c->wbase[W];
    return 0;
oom:
    errmsg_set(err, err_len, "out of memory");
    return -1;
}

/* Places every row in its (step, template op) slot: measured start and end.
** Checks that every step has exactly the model's ops on every worker. */
static int fill_measured(wi_ctx *c, char *err, size_t err_len)
{
    const optrace *t = c->tr;
    char loc[512];
    size_t N = (size_t)c->n_ops, total = (size_t)c->n_steps * N;
    int P = c->n_stages, rc = -1;
    int32_t *row_of = malloc(total * sizeof *row_of);
    c->m_start = malloc(total * sizeof *c->m_start);
    c->m_end = malloc(total * sizeof *c->m_end);
    c->mc0 = malloc(N * sizeof *c->mc0);
    c->op_type = malloc(N * sizeof *c->op_type);
    c->op_worker = malloc(N * sizeof *c->op_worker);
    if (!row_of || !c->m_start || !c->m_end || !c->mc0 || !c->op_type || !c->op_worker) {
        errmsg_set(err, err_len, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < total; i++) row_of[i] = -1;
    for (int w = 0; w < c->n_workers; w++) {
        int s = w % P;
        for (int ty = 0; ty < NT; ty++)
            for (int k = 0; k < c->cnt[s * NT + ty]; k++) {
                int i = c->wbase[w] + c->base[s * NT + ty] + k;
                c->op_type[i] = (uint8_t)ty;
                c->op_worker[i] = w;
            }
    }
    for (size_t r = 0; r < t->n_rows; r++) {
        const optrace_row *o = &t->rows[r];
        int w = o->dp_rank * P + o->stage, s = o->stage;
        const optrace_row *first = &t->rows[c->worker_row[w]];
        if (first->rank != o->rank) {
            char loc2[512];
            errmsg_set(err, err_len, "%s: dp_rank %d, stage %d has rank %d here but rank %d at %s",
                    row_loc(c, o, loc, sizeof loc), (int)o->dp_rank, s, (int)o->rank,
                    (int)first->rank, row_loc(c, first, loc2, sizeof loc2));
            goto done;
        }
        int li = local_op(c, s, o->type, o->seq_id);
        if (li < 0) {
            errmsg_set(err, err_len, "%s: %s #%d on stage %d of step %d is not in the dependency "
                    "model (dp_rank 0 of step %d has %d such ops on that stage)",
                    row_loc(c, o, loc, sizeof loc), optrace_type_name(o->type),
                    (int)o->seq_id, s, (int)o->step, c->steps[0], c->cnt[s * NT + o->type]);
            goto done;
        }
        int k = step_index(c, o->step);
        size_t slot = (size_t)k * N + (size_t)(c->wbase[w] + li);
        if (row_of[slot] >= 0) {
            char loc2[512];
            errmsg_set(err, err_len, "%s: duplicate op: %s #%d of dp_rank %d, stage %d, step %d "
                    "already at %s", row_loc(c, o, loc, sizeof loc),
                    optrace_type_name(o->type), (int)o->seq_id, (int)o->dp_rank, s,
                    (int)o->step, row_loc(c, &t->rows[row_of[slot]], loc2, sizeof loc2));
            goto done;
        }
        row_of[slot] = (int32_t)r;
        c->m_start[slot] = o->start_s;
        c->m_end[slot] = o->start_s + o->duration_s;
        if (k == 0) c->mc0[c->wbase[w] + li] = o->mc;
    }
    for (size_t slot = 0; slot < total; slot++)
        if (row_of[slot] < 0) {
            int k = (int)(slot / N), i = (int)(slot % N), w = c->op_worker[i];
            int s = w % P, ty = c->op_type[i];
            if (c->worker_row[w] == NO_ROW) {
                errmsg_set(err, err_len, "%s: dp_rank %d, stage %d has no ops at all (DP ranks "
                        "up to %d and stages up to %d appear: both must be numbered 0..n-1)",
                        t->source ? t->source : "trace", w / P, s, c->n_dp - 1, P - 1);
                goto done;
            }
            errmsg_set(err, err_len, "%s: step %d, dp_rank %d, stage %d has no %s #%d, which "
                    "dp_rank 0 of step %d has", t->source ? t->source : "trace",
                    c->steps[k], w / P, s, optrace_type_name((optrace_type)ty),
                    i - c->wbase[w] - c->base[s * NT + ty], c->steps[0]);
            goto done;
        }
    rc = 0;
done:
    free(row_of);
    return rc;
}

/* ==== dependency graph ================================================== */

typedef struct {
    int n, cap;
    int *src, *dst;
} edge_list;

static int edge_add(edge_list *e, int src, int dst)
{
    if (src < 0 || dst < 0) return 0;
    if (e->n == e->cap) {
        int cap = e->cap ? 2 * e->cap : 1024;
        int *s = realloc(e->src, (size_t)cap * sizeof *s);
        if (!s) return -1;
        e->src = s;
        int *d = realloc(e->dst, (size_t)cap * sizeof *d);
        if (!d) return -1;
        e->dst = d;
        e->cap = cap;
    }
    e->src[e->n] = src;
    e->dst[e->n] = dst;
    e->n++;
    return 0;
}

/* An op of the model worker, for ordering streams by observed start. */
typedef struct {
    double start_s;
    int seq_id;
    int type;
    int local;
} stream_op;

/* Observed start order; ties by seq_id, then by type name (upstream sorts
** its rows by optype as a byte string). */
static int cmp_stream_op(const void *a, const void *b)
{
    const stream_op *x = a, *y = b;
    if (x->start_s != y->start_s) return x->start_s < y->start_s ? -1 : 1;
    if (x->seq_id != y->seq_id) return x->seq_id < y->seq_id ? -1 : 1;
    return strcmp(optrace_type_name((optrace_type)x->type),
                  optrace_type_name((optrace_type)y->type));
}

/* The ops of stage 's' (dp_rank 0, first step) of the listed types, in
** observed start order, into 'out' (room for model_n[s]); returns the count. */
static int stream_of(const wi_ctx *c, int s, const int *types, int n_types, stream_op *out)
{
    int n = 0, w = s; /* worker dp_rank 0, stage s */
    for (int j = 0; j < n_types; j++)
        for (int k = 0; k < c->cnt[s * NT + types[j]]; k++) {
            int li = c->base[s * NT + types[j]] + k;
            out[n++] = (stream_op){c->m_start[c->wbase[w] + li], k, types[j], li};
        }
    qsort(out, (size_t)n, sizeof *out, cmp_stream_op);
    return n;
}

/* Chains consecutive stream ops: each waits for its predecessor. */
static int chain(edge_list *e, const stream_op *ops, int n)
{
    for (int j = 1; j < n; j++)
        if (edge_add(e, ops[j - 1].local, ops[j].local)) return -1;
    return 0;
}

/* Model edges of stage 's', in local op indices (dependency_model.py):
** in-order streams, send/recv/compute edges, params-all-gather before the
** first forward of its chunk, and the post-backward chain. */
static int stage_edges(const wi_ctx *c, int s, edge_list *e, stream_op *buf)
{
    static const int compute_types[] = {OPTRACE_FORWARD_COMPUTE, OPTRACE_BACKWARD_COMPUTE,
                                        OPTRACE_WEIGHT_COMPUTE};
    static const int pp_types[] = {OPTRACE_FORWARD_SEND, OPTRACE_FORWARD_RECV,
                                   OPTRACE_BACKWARD_SEND, OPTRACE_BACKWARD_RECV};
    static const int dp_types[] = {OPTRACE_PARAMS_ALL_GATHER, OPTRACE_GRADS_REDUCE_SCATTER,
                                   OPTRACE_SEPARATE_GRADS_ALL_REDUCE};
    static const int grad_types[] = {OPTRACE_GRADS_REDUCE_SCATTER,
                                     OPTRACE_SEPARATE_GRADS_ALL_REDUCE};
    const int has_dp = c->n_dp > 1;

    /* pp streams, in seq_id order */
    for (int j = 0; j < 4; j++)
        for (int k = 1; k < c->cnt[s * NT + pp_types[j]]; k++)
            if (edge_add(e, local_op(c, s, pp_types[j], k - 1), local_op(c, s, pp_types[j], k)))
                return -1;
    /* DP stream */
    if (has_dp && chain(e, buf, stream_of(c, s, dp_types, 3, buf))) return -1;

    /* X-send #i after X-compute #i; X-compute #i after X-recv #i;
    ** X-recv #i after X-compute #(i-1). */
    static const int xs[2][3] = {
        {OPTRACE_FORWARD_COMPUTE, OPTRACE_FORWARD_SEND, OPTRACE_FORWARD_RECV},
        {OPTRACE_BACKWARD_COMPUTE, OPTRACE_BACKWARD_SEND, OPTRACE_BACKWARD_RECV}};
    for (int x = 0; x < 2; x++) {
        int comp = xs[x][0], send = xs[x][1], recv = xs[x][2];
        int n = c->cnt[s * NT + comp];
        for (int k = 0; k < c->cnt[s * NT + send]; k++)
            if (edge_add(e, local_op(c, s, comp, k), local_op(c, s, send, k))) return -1;
        for (int k = 0; k < n; k++)
            if (edge_add(e, local_op(c, s, recv, k), local_op(c, s, comp, k))) return -1;
        for (int k = 1; k < c->cnt[s * NT + recv]; k++)
            if (edge_add(e, local_op(c, s, comp, k - 1), local_op(c, s, recv, k))) return -1;
    }

    /* Compute stream (sorted last: 'buf' keeps it for the rules below). */
    int n_comp = stream_of(c, s, compute_types, 3, buf);
    if (chain(e, buf, n_comp)) return -1;

    /* backward-send/recv #0 also wait for the compute op two places before
    ** the first backward (the second-to-last warm-up forward). */
    for (int j = 0; j < n_comp; j++)
        if (buf[j].type == OPTRACE_BACKWARD_COMPUTE) {
            if (j >= 2 &&
                (edge_add(e, buf[j - 2].local, local_op(c, s, OPTRACE_BACKWARD_SEND, 0)) ||
                 edge_add(e, buf[j - 2].local, local_op(c, s, OPTRACE_BACKWARD_RECV, 0))))
                return -1;
            break;
        }

    /* The first forward of model chunk mc waits for that chunk's all-gather. */
    for (int k = 0; k < c->cnt[s * NT + OPTRACE_PARAMS_ALL_GATHER]; k++) {
        int pag = local_op(c, s, OPTRACE_PARAMS_ALL_GATHER, k);
        int mc = c->mc0[c->wbase[s] + pag];
        for (int j = 0; j < n_comp; j++)
            if (buf[j].type == OPTRACE_FORWARD_COMPUTE && c->mc0[c->wbase[s] + buf[j].local] == mc) {
                if (edge_add(e, pag, buf[j].local)) return -1;
                break;
            }
    }

    /* Post-backward chain, after the compute op that ends last: gc ->
    ** layernorm -> embedding -> grads-reduce-scatter (with DP) ->
    ** optimizer-clip-main-grad -> optimizer. */
    int prev = -1;
    double last_end = -INFINITY;
    for (int j = 0; j < n_comp; j++) {
        double end = c->m_end[c->wbase[s] + buf[j].local];
        if (end > last_end) {
            last_end = end;
            prev = buf[j].local;
        }
    }
    static const int head[] = {OPTRACE_GC, OPTRACE_LAYERNORM_GRADS_ALL_REDUCE,
                               OPTRACE_EMBEDDING_GRADS_ALL_REDUCE};
    static const int tail[] = {OPTRACE_OPTIMIZER_CLIP_MAIN_GRAD, OPTRACE_OPTIMIZER};
    for (int h = 0; h < 2; h++) {
        const int *types = h == 0 ? head : tail;
        int n_types = h == 0 ? 3 : 2;
        for (int j = 0; j < n_types; j++)
            for (int k = 0; k < c->cnt[s * NT + types[j]]; k++) {
                int op = local_op(c, s, types[j], k);
                if (edge_add(e, prev, op)) return -1;
                prev = op;
            }
        if (h == 0 && has_dp) {
            int n = stream_of(c, s, grad_types, 2, buf);
            for (int j = 0; j < n; j++) {
                if (edge_add(e, prev, buf[j].local)) return -1;
                prev = buf[j].local;
            }
        }
    }
    return 0;
}

/* Group instances: which ops synchronise across workers (see whatif.h). */
static int build_groups(wi_ctx *c, char *err, size_t err_len)
{
    int P = c->n_stages, D = c->n_dp, N = c->n_ops;
    const char *src = c->tr->source ? c->tr->source : "trace";
    /* p2p: send on stage s pairs with recv on s+1 (forward) or s-1 (backward) */
    static const int pairs[2][2] = {{OPTRACE_FORWARD_SEND, OPTRACE_FORWARD_RECV},
                                    {OPTRACE_BACKWARD_SEND, OPTRACE_BACKWARD_RECV}};
    for (int x = 0; x < 2; x++)
        for (int s = 0; s < P; s++) {
            int peer = x == 0 ? (s + 1) % P : (s + P - 1) % P;
            int ns = c->cnt[s * NT + pairs[x][0]], nr = c->cnt[peer * NT + pairs[x][1]];
            if (ns != nr) {
                errmsg_set(err, err_len, "%s: stage %d has %d %s ops but stage %d has %d %s ops "
                        "(dp_rank 0, step %d): they must pair one to one", src, s, ns,
                        optrace_type_name(pairs[x][0]), peer, nr,
                        optrace_type_name(pairs[x][1]), c->steps[0]);
                return -1;
            }
        }
    int n_clip = c->cnt[OPTRACE_OPTIMIZER_CLIP_MAIN_GRAD];
    for (int s = 1; s < P; s++)
        if (c->cnt[s * NT + OPTRACE_OPTIMIZER_CLIP_MAIN_GRAD] != n_clip) {
            errmsg_set(err, err_len, "%s: stages 0 and %d have different numbers of "
                    "optimizer-clip-main-grad ops (%d, %d), which synchronise all workers",
                    src, s, n_clip, c->cnt[s * NT + OPTRACE_OPTIMIZER_CLIP_MAIN_GRAD]);
            return -1;
        }
    if (P > 1 && c->cnt[OPTRACE_EMBEDDING_GRADS_ALL_REDUCE] !=
                     c->cnt[(P - 1) * NT + OPTRACE_EMBEDDING_GRADS_ALL_REDUCE]) {
        errmsg_set(err, err_len, "%s: stages 0 and %d have different numbers of "
                "embedding-grads-all-reduce ops, which pair them", src, P - 1);
        return -1;
    }

    /* Upper bound of members: every op in at most one group. */
    c->op_grp = malloc((size_t)N * sizeof *c->op_grp);
    c->grp_off = malloc(((size_t)N + 1) * sizeof *c->grp_off);
    c->grp_mem = malloc((size_t)N * sizeof *c->grp_mem);
    if (!c->op_grp || !c->grp_off || !c->grp_mem) {
        errmsg_set(err, err_len, "out of memory");
        return -1;
    }
    for (int i = 0; i < N; i++) c->op_grp[i] = -1;
    int g = 0, m = 0;
#define OP(dp, s, ty, k) (c->wbase[(dp) * P + (s)] + c->base[(s) * NT + (ty)] + (k))
#define MEMBER(i) do { c->op_grp[i] = g; c->grp_mem[m++] = (i); } while (0)
#define OPEN() (c->grp_off[g] = m)
#define CLOSE() (g++)
    for (int d = 0; d < D; d++)
        for (int x = 0; x < 2; x++)
            for (int s = 0; s < P; s++) {
                int peer = x == 0 ? (s + 1) % P : (s + P - 1) % P;
                for (int k = 0; k < c->cnt[s * NT + pairs[x][0]]; k++) {
                    OPEN();
                    MEMBER(OP(d, s, pairs[x][0], k));
                    MEMBER(OP(d, peer, pairs[x][1], k));
                    CLOSE();
                }
            }
    for (int d = 0; d < D; d++)
        for (int k = 0; k < c->cnt[OPTRACE_EMBEDDING_GRADS_ALL_REDUCE]; k++) {
            OPEN();
            MEMBER(OP(d, 0, OPTRACE_EMBEDDING_GRADS_ALL_REDUCE, k));
            if (P > 1) MEMBER(OP(d, P - 1, OPTRACE_EMBEDDING_GRADS_ALL_REDUCE, k));
            CLOSE();
        }
    for (int k = 0; k < n_clip; k++) {
        OPEN();
        for (int d = 0; d < D; d++)
            for (int s = 0; s < P; s++) MEMBER(OP(d, s, OPTRACE_OPTIMIZER_CLIP_MAIN_GRAD, k));
        CLOSE();
    }
    static const int dp_types[] = {OPTRACE_PARAMS_ALL_GATHER, OPTRACE_GRADS_REDUCE_SCATTER,
                                   OPTRACE_SEPARATE_GRADS_ALL_REDUCE};
    for (int j = 0; j < 3; j++)
        for (int s = 0; s < P; s++)
            for (int k = 0; k < c->cnt[s * NT + dp_types[j]]; k++) {
                OPEN();
                for (int d = 0; d < D; d++) MEMBER(OP(d, s, dp_types[j], k));
                CLOSE();
            }
#undef OP
#undef MEMBER
#undef OPEN
#undef CLOSE
    c->grp_off[g] = m;
    c->n_grps = g;
    return 0;
}

/* Predecessor lists of every template op, from the per-stage model edges
** replicated on every worker of the stage. */
static int build_edges(wi_ctx *c, char *err, size_t err_len)
{
    int P = c->n_stages, N = c->n_ops, rc = -1;
    edge_list e = {0};
    int max_n = 0;
    for (int s = 0; s < P; s++)
        if (c->model_n[s] > max_n) max_n = c->model_n[s];
    stream_op *buf = malloc((size_t)max_n * sizeof *buf);
    int *stage_first = calloc((size_t)P + 1, sizeof *stage_first);
    c->pred_off = calloc((size_t)N + 1, sizeof *c->pred_off);
    if (!buf || !stage_first || !c->pred_off) goto oom;
    for (int s = 0; s < P; s++) {
        stage_first[s] = e.n;
        if (stage_edges(c, s, &e, buf)) goto oom;
    }
    stage_first[P] = e.n;
    /* count, then fill, preds per template op */
    for (int pass = 0; pass < 2; pass++) {
        for (int w = 0; w < c->n_workers; w++) {
            int s = w % P, b = c->wbase[w];
            for (int j = stage_first[s]; j < stage_first[s + 1]; j++) {
                int dst = b + e.dst[j];
                if (pass == 0) c->pred_off[dst + 1]++;
                else c->pred[c->pred_off[dst]++] = b + e.src[j];
            }
        }
        if (pass == 0) {
            for (int i = 0; i < N; i++) c->pred_off[i + 1] += c->pred_off[i];
            c->pred = malloc(((size_t)c->pred_off[N] + 1) * sizeof *c->pred);
            if (!c->pred) goto oom;
        } else {
            for (int i = N; i > 0; i--) c->pred_off[i] = c->pred_off[i - 1];
            c->pred_off[0] = 0;
        }
    }
    rc = 0;
    goto done;
oom:
    errmsg_set(err, err_len, "out of memory");
done:
    free(buf);
    free(stage_first);
    free(e.src);
    free(e.dst);
    return rc;
}

/* Node of the replay graph at which op 'i' ends: its own start node for a
** local op, its group's node for a communication op. */
static int end_node(const wi_ctx *c, int i)
{
    return c->op_grp[i] < 0 ? i : c->n_ops + c->op_grp[i];
}

/* Topological order (Kahn) of the nodes: 0..N-1 "op i starts" and
** N..N+G-1 "group g completes". */
static int build_order(wi_ctx *c, char *err, size_t err_len)
{
    int N = c->n_ops, V = N + c->n_grps, rc = -1;
    int *indeg = calloc((size_t)V, sizeof *indeg);
    int *succ_off = calloc((size_t)V + 1, sizeof *succ_off);
    int n_edges = c->pred_off[N] + c->grp_off[c->n_grps];
    int *succ = malloc(((size_t)n_edges + 1) * sizeof *succ);
    c->order = malloc((size_t)V * sizeof *c->order);
    c->pos = malloc((size_t)V * sizeof *c->pos);
    if (!indeg || !succ_off || !succ || !c->order || !c->pos) {
        errmsg_set(err, err_len, "out of memory");
        goto done;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < N; i++)
            for (int j = c->pred_off[i]; j < c->pred_off[i + 1]; j++) {
                int from = end_node(c, c->pred[j]);
                if (pass == 0) succ_off[from + 1]++, indeg[i]++;
                else succ[succ_off[from]++] = i;
            }
        for (int g = 0; g < c->n_grps; g++)
            for (int j = c->grp_off[g]; j < c->grp_off[g + 1]; j++) {
                int from = c->grp_mem[j];
                if (pass == 0) succ_off[from + 1]++, indeg[N + g]++;
                else succ[succ_off[from]++] = N + g;
            }
        if (pass == 0)
            for (int v = 0; v < V; v++) succ_off[v + 1] += succ_off[v];
        else {
            for (int v = V; v > 0; v--) succ_off[v] = succ_off[v - 1];
            succ_off[0] = 0;
        }
    }
    int head = 0, tail = 0;
    for (int v = 0; v < V; v++)
        if (indeg[v] == 0) c->order[tail++] = v;
    while (head < tail) {
        int v = c->order[head++];
        for (int j = succ_off[v]; j < succ_off[v + 1]; j++)
            if (--indeg[succ[j]] == 0) c->order[tail++] = succ[j];
    }
    if (tail != V) {
        int v = 0;
        while (v < N && indeg[v] == 0) v++;
        int w = v < N ? c->op_worker[v] : 0;
        errmsg_set(err, err_len, "%s: the dependency model has a cycle (it involves %s on "
                "dp_rank %d, stage %d): the ops of dp_rank 0 in step %d are not in a "
                "consistent order", c->tr->source ? c->tr->source : "trace",
                v < N ? optrace_type_name((optrace_type)c->op_type[v]) : "a group",
                w / c->n_stages, w % c->n_stages, c->steps[0]);
        goto done;
    }
    for (int j = 0; j < V; j++) c->pos[c->order[j]] = j;
    c->succ_off = succ_off;
    c->succ = succ;
    succ_off = succ = NULL;
    rc = 0;
done:
    free(indeg);
    free(succ_off);
    free(succ);
    return rc;
}

/* ==== measured and ideal op times ======================================= */

/* x_orig: duration of local ops, transfer time of communication ops; step
** times T_base; ideal time per type (mean of compute, median of comm). */
static int own_times(wi_ctx *c, whatif_result *res, char *err, size_t err_len)
{
    size_t N = (size_t)c->n_ops, total = (size_t)c->n_steps * N;
    double *vals = NULL;
    c->x_orig = malloc(total * sizeof *c->x_orig);
    c->x_ideal_op = malloc(N * sizeof *c->x_ideal_op);
    size_t *n_of = calloc(NT, sizeof *n_of);
    if (!c->x_orig || !c->x_ideal_op || !n_of) goto oom;
    for (int k = 0; k < c->n_steps; k++) {
        const double *st = c->m_start + (size_t)k * N, *en = c->m_end + (size_t)k * N;
        double *x = c->x_orig + (size_t)k * N;
        double first = INFINITY, last = -INFINITY;
        for (size_t i = 0; i < N; i++) {
            x[i] = en[i] - st[i];
            if (st[i] < first) first = st[i];
            if (en[i] > last) last = en[i];
        }
        for (int g = 0; g < c->n_grps; g++) {
            double latest = -INFINITY;
            for (int j = c->grp_off[g]; j < c->grp_off[g + 1]; j++)
                if (st[c->grp_mem[j]] > latest) latest = st[c->grp_mem[j]];
            for (int j = c->grp_off[g]; j < c->grp_off[g + 1]; j++) {
                int i = c->grp_mem[j];
                x[i] = en[i] - latest;
                if (x[i] <= WHATIF_NEG_CLIP_S) x[i] = 0;
            }
        }
        res->t_base_s[k] = last - first;
    }
    for (size_t i = 0; i < N; i++) n_of[c->op_type[i]]++;
    size_t max_n = 0;
    for (int ty = 0; ty < NT; ty++)
        if (n_of[ty] > max_n) max_n = n_of[ty];
    vals = malloc((max_n * (size_t)c->n_steps + 1) * sizeof *vals);
    if (!vals) goto oom;
    for (int ty = 0; ty < NT; ty++) {
        res->has_type[ty] = n_of[ty] > 0;
        if (!n_of[ty]) continue;
        size_t n = 0;
        for (int k = 0; k < c->n_steps; k++)
            for (size_t i = 0; i < N; i++)
                if (c->op_type[i] == ty) vals[n++] = c->x_orig[(size_t)k * N + i];
        if (optrace_type_is_compute((optrace_type)ty)) {
            c->x_ideal[ty] = gsl_stats_mean(vals, 1, n);
        } else {
            gsl_sort(vals, 1, n);
            c->x_ideal[ty] = gsl_stats_median_from_sorted_data(vals, 1, n);
        }
        res->ideal_s[ty] = c->x_ideal[ty];
    }
    for (size_t i = 0; i < N; i++) c->x_ideal_op[i] = c->x_ideal[c->op_type[i]];
    free(vals);
    free(n_of);
    return 0;
oom:
    free(vals);
    free(n_of);
    errmsg_set(err, err_len, "out of memory");
    return -1;
}

/* ==== replay ============================================================ */

/* Replays step 'k' with op i at its measured time where mask[i], at its
** ideal time elsewhere; returns the step time (latest end of an end op), s. */
static double replay_step(wi_ctx *c, int k, const uint8_t *mask)
{
    int N = c->n_ops, V = N + c->n_grps;
    const double *xo = c->x_orig + (size_t)k * (size_t)N, *xi = c->x_ideal_op;
    double *rs = c->r_start, *re = c->r_end;
    for (int j = 0; j < V; j++) {
        int v = c->order[j];
        if (v < N) {
            double s = 0;
            for (int p = c->pred_off[v]; p < c->pred_off[v + 1]; p++)
                if (re[c->pred[p]] > s) s = re[c->pred[p]];
            rs[v] = s;
            if (c->op_grp[v] < 0) re[v] = s + (mask[v] ? xo[v] : xi[v]);
        } else {
            int g = v - N;
            double b = -INFINITY;
            for (int m = c->grp_off[g]; m < c->grp_off[g + 1]; m++)
                if (rs[c->grp_mem[m]] > b) b = rs[c->grp_mem[m]];
            for (int m = c->grp_off[g]; m < c->grp_off[g + 1]; m++) {
                int i = c->grp_mem[m];
                re[i] = b + (mask[i] ? xo[i] : xi[i]);
            }
        }
    }
    double t = -INFINITY;
    for (int j = 0; j < c->n_end_ops; j++)
        if (re[c->end_ops[j]] > t) t = re[c->end_ops[j]];
    return t;
}

/* Replays every step under 'mask'; per-step times into 'per_step' (or the
** scratch buffer if NULL); returns their mean, s. */
static double replay_all(wi_ctx *c, const uint8_t *mask, double *per_step)
{
    double *t = per_step ? per_step : c->step_buf;
    for (int k = 0; k < c->n_steps; k++) t[k] = replay_step(c, k, mask);
    return gsl_stats_mean(t, 1, (size_t)c->n_steps);
}

/* ==== replays with one worker or one DP rank measured ================== */

/* With only the ops [lo, hi) measured (one worker's ops are contiguous, and
** so are one DP rank's workers), a replay differs from the all-ideal one only
** downstream of those ops. Starting from the ideal replay of the step, the
** nodes whose inputs change are recomputed in topological order (a min-heap
** on their position in 'order'), each with the expression replay_step uses:
** the result is identical to a full replay, at a cost proportional to what
** changes (about one pipeline and the step's tail) instead of the whole step,
** which made the per-worker replays quadratic in the number of workers. */
typedef struct {
    double *base_start, *base_end; /* [n_ops] the all-ideal replay of the step */
    int *heap, n_heap;             /* nodes, min-heap on pos */
    uint8_t *queued;               /* [n_ops+n_grps] in the heap */
    uint8_t *touched;              /* [n_ops] differs from the base */
    int *touched_list, n_touched;
} wi_inc;

static void inc_free(wi_inc *w)
{
    free(w->base_start);
    free(w->base_end);
    free(w->heap);
    free(w->queued);
    free(w->touched);
    free(w->touched_list);
}

static int inc_init(const wi_ctx *c, wi_inc *w)
{
    size_t N = (size_t)c->n_ops, V = N + (size_t)c->n_grps;
    memset(w, 0, sizeof *w);
    w->base_start = malloc(N * sizeof *w->base_start);
    w->base_end = malloc(N * sizeof *w->base_end);
    w->heap = malloc(V * sizeof *w->heap);
    w->queued = calloc(V, 1);
    w->touched = calloc(N, 1);
    w->touched_list = malloc(N * sizeof *w->touched_list);
    if (w->base_start && w->base_end && w->heap && w->queued && w->touched && w->touched_list)
        return 0;
    inc_free(w);
    return -1;
}

static void inc_push(const wi_ctx *c, wi_inc *w, int v)
{
    if (w->queued[v]) return;
    w->queued[v] = 1;
    int i = w->n_heap++;
    while (i > 0 && c->pos[w->heap[(i - 1) / 2]] > c->pos[v]) {
        w->heap[i] = w->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    w->heap[i] = v;
}

static int inc_pop(const wi_ctx *c, wi_inc *w)
{
    int top = w->heap[0], last = w->heap[--w->n_heap], i = 0;
    for (;;) {
        int j = 2 * i + 1;
        if (j >= w->n_heap) break;
        if (j + 1 < w->n_heap && c->pos[w->heap[j + 1]] < c->pos[w->heap[j]]) j++;
        if (c->pos[w->heap[j]] >= c->pos[last]) break;
        w->heap[i] = w->heap[j];
        i = j;
    }
    if (w->n_heap > 0) w->heap[i] = last;
    w->queued[top] = 0;
    return top;
}

static void inc_touch(wi_inc *w, int v)
{
    if (w->touched[v]) return;
    w->touched[v] = 1;
    w->touched_list[w->n_touched++] = v;
}

static void inc_push_succ(const wi_ctx *c, wi_inc *w, int v)
{
    for (int j = c->succ_off[v]; j < c->succ_off[v + 1]; j++) inc_push(c, w, c->succ[j]);
}

/* Step k with the ops [lo, hi) measured; c->r_start/r_end hold the base
** replay of step k on entry and on return. */
static double inc_replay(wi_ctx *c, wi_inc *w, int k, int lo, int hi)
{
    int N = c->n_ops;
    const double *xo = c->x_orig + (size_t)k * (size_t)N, *xi = c->x_ideal_op;
    double *rs = c->r_start, *re = c->r_end;
    for (int i = lo; i < hi; i++) inc_push(c, w, i);
    while (w->n_heap > 0) {
        int v = inc_pop(c, w);
        if (v < N) {
            double s = 0;
            for (int p = c->pred_off[v]; p < c->pred_off[v + 1]; p++)
                if (re[c->pred[p]] > s) s = re[c->pred[p]];
            if (s != rs[v]) inc_touch(w, v), rs[v] = s;
            if (c->op_grp[v] >= 0) {
                inc_push_succ(c, w, v); /* its group completes later */
                continue;
            }
            double e = s + (v >= lo && v < hi ? xo[v] : xi[v]);
            if (e != re[v]) {
                inc_touch(w, v), re[v] = e;
                inc_push_succ(c, w, v);
            }
        } else {
            int g = v - N, changed = 0;
            double b = -INFINITY;
            for (int m = c->grp_off[g]; m < c->grp_off[g + 1]; m++)
                if (rs[c->grp_mem[m]] > b) b = rs[c->grp_mem[m]];
            for (int m = c->grp_off[g]; m < c->grp_off[g + 1]; m++) {
                int i = c->grp_mem[m];
                double e = b + (i >= lo && i < hi ? xo[i] : xi[i]);
                if (e != re[i]) inc_touch(w, i), re[i] = e, changed = 1;
            }
            if (changed) inc_push_succ(c, w, v);
        }
    }
    double t = -INFINITY;
    for (int j = 0; j < c->n_end_ops; j++)
        if (re[c->end_ops[j]] > t) t = re[c->end_ops[j]];
    for (int j = 0; j < w->n_touched; j++) {
        int v = w->touched_list[j];
        rs[v] = w->base_start[v];
        re[v] = w->base_end[v];
        w->touched[v] = 0;
    }
    w->n_touched = 0;
    return t;
}

/* Step times with each op range [lo[r], hi[r]) alone measured:
** t[r * n_steps + k]. */
static int replay_ranges(wi_ctx *c, int n_ranges, const int *lo, const int *hi, double *t)
{
    wi_inc w;
    uint8_t *ideal = calloc((size_t)c->n_ops, 1);
    if (!ideal || inc_init(c, &w)) {
        free(ideal);
        return -1;
    }
    size_t bytes = (size_t)c->n_ops * sizeof(double);
    for (int k = 0; k < c->n_steps; k++) {
        replay_step(c, k, ideal);
        memcpy(w.base_start, c->r_start, bytes);
        memcpy(w.base_end, c->r_end, bytes);
        for (int r = 0; r < n_ranges; r++)
            t[(size_t)r * (size_t)c->n_steps + (size_t)k] = inc_replay(c, &w, k, lo[r], hi[r]);
    }
    inc_free(&w);
    free(ideal);
    return 0;
}

/* Op-type attribution groups: upstream merges send and recv of a direction. */
static const struct {
    const char *name;
    int t1, t2;
} OPTYPE_GROUPS[] = {
    {"forward-compute", OPTRACE_FORWARD_COMPUTE, -1},
    {"backward-compute", OPTRACE_BACKWARD_COMPUTE, -1},
    {"weight-compute", OPTRACE_WEIGHT_COMPUTE, -1},
    {"forward-pp-comm", OPTRACE_FORWARD_SEND, OPTRACE_FORWARD_RECV},
    {"backward-pp-comm", OPTRACE_BACKWARD_SEND, OPTRACE_BACKWARD_RECV},
    {"params-all-gather", OPTRACE_PARAMS_ALL_GATHER, -1},
    {"grads-reduce-scatter", OPTRACE_GRADS_REDUCE_SCATTER, -1},
    {"separate-grads-all-reduce", OPTRACE_SEPARATE_GRADS_ALL_REDUCE, -1},
    {"embedding-grads-all-reduce", OPTRACE_EMBEDDING_GRADS_ALL_REDUCE, -1},
    {"layernorm-grads-all-reduce", OPTRACE_LAYERNORM_GRADS_ALL_REDUCE, -1},
    {"optimizer-clip-main-grad", OPTRACE_OPTIMIZER_CLIP_MAIN_GRAD, -1},
    {"optimizer", OPTRACE_OPTIMIZER, -1},
    {"gc", OPTRACE_GC, -1},
};
#define N_OPTYPE_GROUPS ((int)(sizeof OPTYPE_GROUPS / sizeof *OPTYPE_GROUPS))

/* Mask selectors: which template ops keep their measured time. */
enum { SEL_OPTYPE, SEL_STAGE, SEL_NOT_STAGE, SEL_SET, SEL_NOT_SET };

static void make_mask(const wi_ctx *c, int sel, int arg, const uint8_t *set, uint8_t *mask)
{
    int P = c->n_stages;
    for (int i = 0; i < c->n_ops; i++) {
        int w = c->op_worker[i], ty = c->op_type[i], on = 0;
        switch (sel) {
        case SEL_OPTYPE: on = ty == OPTYPE_GROUPS[arg].t1 || ty == OPTYPE_GROUPS[arg].t2; break;
        case SEL_STAGE: on = w % P == arg; break;
        case SEL_NOT_STAGE: on = w % P != arg; break;
        case SEL_SET: on = set[w]; break;
        case SEL_NOT_SET: on = !set[w]; break;
        }
        mask[i] = (uint8_t)on;
    }
}

/* An attribution group from its replayed step times t[n_steps]. */
static int attribute_from(wi_ctx *c, const whatif_result *r, const double *t, whatif_attr *a)
{
    a->step_slowdown = malloc((size_t)c->n_steps * sizeof *a->step_slowdown);
    if (!a->step_slowdown) return -1;
    memcpy(a->step_slowdown, t, (size_t)c->n_steps * sizeof *t);
    a->mean_t_s = gsl_stats_mean(t, 1, (size_t)c->n_steps);
    for (int k = 0; k < c->n_steps; k++) a->step_slowdown[k] /= r->t_ideal_s[k];
    a->slowdown = a->mean_t_s / r->mean_t_ideal_s;
    return 0;
}

/* Replays one attribution group into 'a'. */
static int attribute(wi_ctx *c, const whatif_result *r, uint8_t *mask, whatif_attr *a)
{
    replay_all(c, mask, c->step_buf);
    return attribute_from(c, r, c->step_buf, a);
}

/* M_S / M_W of a set of ops: 'rem_mask' keeps all but the set measured,
** 'add_mask' only the set. */
static void share(wi_ctx *c, const whatif_result *r, const uint8_t *rem_mask,
                  const uint8_t *add_mask, whatif_share *out)
{
    double span = r->mean_t_s - r->mean_t_ideal_s;
    out->t_rem_s = replay_all(c, rem_mask, NULL);
    out->t_add_s = replay_all(c, add_mask, NULL);
    out->rem = span != 0 ? (r->mean_t_s - out->t_rem_s) / span : NAN;
    out->add = span != 0 ? (out->t_add_s - r->mean_t_ideal_s) / span : NAN;
}

/* Ranking: score descending, then lower global rank. */
static int cmp_worker(const void *a, const void *b)
{
    const whatif_worker *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* ==== entry point ======================================================= */

void whatif_result_free(whatif_result *r)
{
    if (!r) return;
    for (int j = 0; j < r->n_by_optype; j++) free(r->by_optype[j].step_slowdown);
    for (int j = 0; r->by_dp && j < r->n_dp; j++) free(r->by_dp[j].step_slowdown);
    for (int j = 0; r->by_stage && j < r->n_stages; j++) free(r->by_stage[j].step_slowdown);
    free(r->by_optype);
    free(r->by_dp);
    free(r->by_stage);
    free(r->workers);
    free(r->step);
    free(r->t_base_s);
    free(r->t_s);
    free(r->t_ideal_s);
    free(r);
}

/* Allocates the result arrays sized by the template. */
static int result_alloc(const wi_ctx *c, whatif_result *r)
{
    size_t K = (size_t)c->n_steps;
    r->n_steps = c->n_steps;
    r->n_dp = c->n_dp;
    r->n_stages = c->n_stages;
    r->n_workers = c->n_workers;
    r->n_ops_per_step = c->n_ops;
    r->step = malloc(K * sizeof *r->step);
    r->t_base_s = malloc(K * sizeof *r->t_base_s);
    r->t_s = malloc(K * sizeof *r->t_s);
    r->t_ideal_s = malloc(K * sizeof *r->t_ideal_s);
    r->by_optype = calloc(N_OPTYPE_GROUPS, sizeof *r->by_optype);
    r->by_dp = calloc((size_t)c->n_dp, sizeof *r->by_dp);
    r->by_stage = calloc((size_t)c->n_stages, sizeof *r->by_stage);
    r->workers = calloc((size_t)c->n_workers, sizeof *r->workers);
    if (!r->step || !r->t_base_s || !r->t_s || !r->t_ideal_s || !r->by_optype || !r->by_dp ||
        !r->by_stage || !r->workers)
        return -1;
    memcpy(r->step, c->steps, K * sizeof *r->step);
    return 0;
}

/* Pooled within-worker Pearson correlation of forward and backward compute
** times of the same (step, worker, microbatch, chunk): deviations from the
** worker's step means, so a uniformly slow worker adds nothing (Lin et al.
** read sequence-length imbalance from this correlation). */
/* A forward or backward compute time keyed by (step x worker, chunk,
** microbatch); 'row' orders duplicates (the last row of a key counts). */
typedef struct {
    size_t grp, row;
    int mc, mb;
    double dur_s;
} fb_item;

static int cmp_fb_key(const fb_item *x, const fb_item *y)
{
    if (x->grp != y->grp) return x->grp < y->grp ? -1 : 1;
    if (x->mc != y->mc) return x->mc < y->mc ? -1 : 1;
    return (x->mb > y->mb) - (x->mb < y->mb);
}

static int cmp_fb_item(const void *a, const void *b)
{
    const fb_item *x = a, *y = b;
    int k = cmp_fb_key(x, y);
    return k ? k : (x->row > y->row) - (x->row < y->row);
}

/* Sorts by key and keeps the last row of each key; returns the count. */
static size_t fb_sort_unique(fb_item *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_fb_item);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && !cmp_fb_key(&v[m - 1], &v[i])) m--;
        v[m++] = v[i];
    }
    return m;
}

static int fb_correlation(const wi_ctx *c, whatif_result *r)
{
    const optrace *t = c->tr;
    r->fb_corr = NAN;
    r->n_fb_pairs = 0;
    fb_item *f = malloc((t->n_rows + 1) * sizeof *f), *b = malloc((t->n_rows + 1) * sizeof *b);
    double *x = malloc((t->n_rows + 1) * sizeof *x), *y = malloc((t->n_rows + 1) * sizeof *y);
    size_t *g_of = malloc((t->n_rows + 1) * sizeof *g_of);
    if (!f || !b || !x || !y || !g_of) {
        free(f), free(b), free(x), free(y), free(g_of);
        return -1;
    }
    size_t nf = 0, nb = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        const optrace_row *row = &t->rows[i];
        int fwd = row->type == OPTRACE_FORWARD_COMPUTE;
        if ((!fwd && row->type != OPTRACE_BACKWARD_COMPUTE) || row->mb_id < 0) continue;
        size_t w = (size_t)row->dp_rank * (size_t)c->n_stages + (size_t)row->stage;
        fb_item it = {.grp = (size_t)step_index(c, row->step) * (size_t)c->n_workers + w,
                      .row = i, .mc = row->mc > 0 ? row->mc : 0, .mb = row->mb_id,
                      .dur_s = row->duration_s};
        if (fwd) f[nf++] = it;
        else b[nb++] = it;
    }
    nf = fb_sort_unique(f, nf);
    nb = fb_sort_unique(b, nb);
    /* pairs in key order: the same sums, in the same order, as a dense
    ** (step, worker, chunk, microbatch) array, without its size */
    size_t np_all = 0;
    for (size_t i = 0, j = 0; i < nf && j < nb;) {
        int k = cmp_fb_key(&f[i], &b[j]);
        if (k < 0) i++;
        else if (k > 0) j++;
        else {
            g_of[np_all] = f[i].grp;
            x[np_all] = f[i++].dur_s;
            y[np_all++] = b[j++].dur_s;
        }
    }
    double sxy = 0, sxx = 0, syy = 0, sum_x = 0, sum_y = 0;
    for (size_t g0 = 0, g1; g0 < np_all; g0 = g1) {
        for (g1 = g0; g1 < np_all && g_of[g1] == g_of[g0]; g1++) {}
        double mx = 0, my = 0;
        int m = 0;
        for (size_t j = g0; j < g1; j++) {
            if (isnan(x[j]) || isnan(y[j])) continue;
            mx += x[j];
            my += y[j];
            m++;
        }
        if (m < 2) continue;
        sum_x += mx;
        sum_y += my;
        mx /= m;
        my /= m;
        for (size_t j = g0; j < g1; j++) {
            if (isnan(x[j]) || isnan(y[j])) continue;
            sxy += (x[j] - mx) * (y[j] - my);
            sxx += (x[j] - mx) * (x[j] - mx);
            syy += (y[j] - my) * (y[j] - my);
        }
        r->n_fb_pairs += m;
    }
    /* spreads below WHATIF_FB_MIN_CV of the mean are float rounding in
    ** times, not variation */
    int np = r->n_fb_pairs;
    if (np > 1 && sqrt(sxx / np) > WHATIF_FB_MIN_CV * fabs(sum_x / np) &&
        sqrt(syy / np) > WHATIF_FB_MIN_CV * fabs(sum_y / np))
        r->fb_corr = sxy / sqrt(sxx * syy);
    free(f), free(b), free(x), free(y), free(g_of);
    return 0;
}

/* Step-time ops: the optimizers, or every op if the trace has none. */
static int pick_end_ops(wi_ctx *c)
{
    int n_opt = 0;
    for (int i = 0; i < c->n_ops; i++) n_opt += c->op_type[i] == OPTRACE_OPTIMIZER;
    c->end_ops = malloc(((size_t)(n_opt ? n_opt : c->n_ops)) * sizeof *c->end_ops);
    if (!c->end_ops) return -1;
    for (int i = 0; i < c->n_ops; i++)
        if (!n_opt || c->op_type[i] == OPTRACE_OPTIMIZER) c->end_ops[c->n_end_ops++] = i;
    return 0;
}

/* S = T / T_ideal and every ratio after it need both replayed step times
** > 0 (T_ideal is the same in every step). A trace whose op durations are
** all 0 (or whose replays take no time) has nothing to analyse: refused
** rather than reported as NaN and infinity. 0 or -1 with 'err'. */
static int check_times(const wi_ctx *c, const whatif_result *r, char *err, size_t err_len)
{
    const char *src = c->tr->source ? c->tr->source : "trace";
    int any = 0;
    for (size_t i = 0; i < c->tr->n_rows && !any; i++) any = c->tr->rows[i].duration_s > 0;
    if (!any) {
        errmsg_set(err, err_len, "%s: every op duration is 0: nothing to analyse", src);
        return -1;
    }
    if (!(r->mean_t_s > 0) || !(r->mean_t_ideal_s > 0)) {
        errmsg_set(err, err_len, "%s: the replayed step time is %g s with the measured op "
                   "times and %g s with the ideal ones: S = T / T_ideal needs both > 0, "
                   "nothing to analyse", src, r->mean_t_s, r->mean_t_ideal_s);
        return -1;
    }
    return 0;
}

whatif_result *whatif_analyse(const optrace *t, char *err, size_t err_len)
{
    wi_ctx c = {.tr = t};
    whatif_result *r = calloc(1, sizeof *r);
    uint8_t *mask = NULL, *mask2 = NULL, *set = NULL;
    int *lo = NULL, *hi = NULL;
    double *alone = NULL;
    if (!r) goto oom;
    if (build_template(&c, err, err_len) || fill_measured(&c, err, err_len) ||
        build_groups(&c, err, err_len) || build_edges(&c, err, err_len) ||
        build_order(&c, err, err_len))
        goto fail;
    if (result_alloc(&c, r) || pick_end_ops(&c)) goto oom;
    if (own_times(&c, r, err, err_len)) goto fail;
    c.r_start = malloc((size_t)c.n_ops * sizeof *c.r_start);
    c.r_end = malloc((size_t)c.n_ops * sizeof *c.r_end);
    c.step_buf = malloc((size_t)c.n_steps * sizeof *c.step_buf);
    mask = malloc((size_t)c.n_ops);
    mask2 = malloc((size_t)c.n_ops);
    set = calloc((size_t)c.n_workers, 1);
    if (!c.r_start || !c.r_end || !c.step_buf || !mask || !mask2 || !set) goto oom;

    /* T (all measured) and T_ideal (all ideal) */
    memset(mask, 1, (size_t)c.n_ops);
    r->mean_t_s = replay_all(&c, mask, r->t_s);
    memset(mask, 0, (size_t)c.n_ops);
    r->mean_t_ideal_s = replay_all(&c, mask, r->t_ideal_s);
    r->mean_t_base_s = gsl_stats_mean(r->t_base_s, 1, (size_t)c.n_steps);
    if (check_times(&c, r, err, err_len)) goto fail;
    r->slowdown = r->mean_t_s / r->mean_t_ideal_s;
    r->waste_frac = 1 - 1 / r->slowdown;
    r->launch_slowdown = r->mean_t_base_s / r->mean_t_s;

    /* attribution */
    for (int gi = 0; gi < N_OPTYPE_GROUPS; gi++) {
        int t2 = OPTYPE_GROUPS[gi].t2;
        if (!r->has_type[OPTYPE_GROUPS[gi].t1] && !(t2 >= 0 && r->has_type[t2])) continue;
        whatif_attr *a = &r->by_optype[r->n_by_optype++];
        a->name = OPTYPE_GROUPS[gi].name;
        a->id = -1;
        make_mask(&c, SEL_OPTYPE, gi, NULL, mask);
        if (attribute(&c, r, mask, a)) goto oom;
    }
    /* one DP rank, then one worker, alone measured: incremental replays */
    int n_ranges = c.n_dp + c.n_workers, P = c.n_stages;
    lo = malloc((size_t)n_ranges * sizeof *lo);
    hi = malloc((size_t)n_ranges * sizeof *hi);
    alone = malloc((size_t)n_ranges * (size_t)c.n_steps * sizeof *alone);
    if (!lo || !hi || !alone) goto oom;
    for (int d = 0; d < c.n_dp; d++) lo[d] = c.wbase[d * P], hi[d] = c.wbase[(d + 1) * P];
    for (int w = 0; w < c.n_workers; w++)
        lo[c.n_dp + w] = c.wbase[w], hi[c.n_dp + w] = c.wbase[w + 1];
    if (replay_ranges(&c, n_ranges, lo, hi, alone)) goto oom;
    for (int d = 0; d < c.n_dp; d++) {
        r->by_dp[d].id = d;
        if (attribute_from(&c, r, alone + (size_t)d * (size_t)c.n_steps, &r->by_dp[d])) goto oom;
    }
    for (int s = 0; s < c.n_stages; s++) {
        r->by_stage[s].id = s;
        make_mask(&c, SEL_STAGE, s, NULL, mask);
        if (attribute(&c, r, mask, &r->by_stage[s])) goto oom;
    }

    /* M_S: the last stage */
    make_mask(&c, SEL_NOT_STAGE, c.n_stages - 1, NULL, mask);
    make_mask(&c, SEL_STAGE, c.n_stages - 1, NULL, mask2);
    share(&c, r, mask, mask2, &r->ms);

    /* workers, ranked; M_W on the top WHATIF_MW_PERCENT % */
    for (int w = 0; w < c.n_workers; w++) {
        whatif_worker *wk = &r->workers[w];
        int d = w / c.n_stages, s = w % c.n_stages;
        wk->rank = t->rows[c.worker_row[w]].rank;
        wk->dp_rank = d;
        wk->stage = s;
        wk->score = fmin(r->by_dp[d].slowdown, r->by_stage[s].slowdown);
        wk->slowdown_alone = gsl_stats_mean(alone + (size_t)(c.n_dp + w) * (size_t)c.n_steps, 1,
                                            (size_t)c.n_steps) / r->mean_t_ideal_s;
    }
    qsort(r->workers, (size_t)c.n_workers, sizeof *r->workers, cmp_worker);
    r->n_mw_workers = (WHATIF_MW_PERCENT * c.n_workers + 99) / 100;
    for (int j = 0; j < r->n_mw_workers; j++)
        set[r->workers[j].dp_rank * c.n_stages + r->workers[j].stage] = 1;
    make_mask(&c, SEL_NOT_SET, 0, set, mask);
    make_mask(&c, SEL_SET, 0, set, mask2);
    share(&c, r, mask, mask2, &r->mw);

    if (fb_correlation(&c, r)) goto oom;
    free(mask);
    free(mask2);
    free(set);
    free(lo);
    free(hi);
    free(alone);
    ctx_free(&c);
    return r;
oom:
    errmsg_set(err, err_len, "out of memory");
fail:
    free(mask);
    free(mask2);
    free(set);
    free(lo);
    free(hi);
    free(alone);
    ctx_free(&c);
    whatif_result_free(r);
    return NULL;
}
