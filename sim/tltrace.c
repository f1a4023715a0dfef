/*
** tltrace.c -- a simulated timeline as a per-op trace (pure layer). See tltrace.h.
**
** Two passes over the compute tracks. The first records, per (class, device,
** iteration, microbatch) and direction, when the input was sent, when it
** arrived and when the receiving stream asked for it; the second writes the
** rows of every replica, taking a send's end from its receiver's record (a
** p2p transfer completes for both ends at once).
*/
#include "tltrace.h"

#include "errmsg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { DIR_F = 0, DIR_B = 1 };

typedef struct {
    double sent_s, arrived_s, ask_s;
} xfer_rec;

typedef struct {
    const plan_t *p;
    const tl_result *r;
    xfer_rec *x;   /* [2][n_classes][pp][iterations][m] */
} ctx;

static xfer_rec *rec(const ctx *c, int dir, int cls, int dev, int iter, int mb)
{
    const plan_t *p = c->p;
    size_t i = (((size_t)dir * (size_t)c->r->n_classes + (size_t)cls) * (size_t)p->pp + (size_t)dev)
                   * (size_t)c->r->iterations + (size_t)iter;
    return &c->x[i * (size_t)p->m + (size_t)mb];
}

static int valid_event(const ctx *c, const tl_event *e)
{
    return e->iter >= 0 && e->iter < c->r->iterations &&
           (e->type == TL_EV_RECV || e->type == TL_EV_WAIT || e->type > TL_EV_W ||
            (e->mb >= 0 && e->mb < c->p->m)) &&
           (e->type != TL_EV_RECV || (e->mb >= 0 && e->mb < c->p->m));
}

/* Pass 1: sends, arrivals and asks of every input. */
static int scan_inputs(ctx *c, char *err, size_t errlen)
{
    const plan_t *p = c->p;
    for (int cls = 0; cls < c->r->n_classes; cls++)
        for (int d = 0; d < p->pp; d++) {
            const tl_track *t = &c->r->tracks[cls * p->pp + d];
            double wait_s = NAN;
            for (int k = 0; k < t->n; k++) {
                const tl_event *e = &t->ev[k];
                if (!valid_event(c, e)) {
                    errmsg_set(err, errlen, "internal error: event %d of stage %d class %d is "
                               "out of range (iteration %d, microbatch %d)", k, d, cls, e->iter,
                               e->mb);
                    return -1;
                }
                if (e->type == TL_EV_RECV) {
                    xfer_rec *x = rec(c, e->peer < d ? DIR_F : DIR_B, cls, d, e->iter, e->mb);
                    x->sent_s = e->start_s;
                    x->arrived_s = e->end_s;
                } else if (e->type == TL_EV_WAIT) {
                    wait_s = e->start_s;
                } else if (e->type == TL_EV_F || e->type == TL_EV_B) {
                    int dir = e->type == TL_EV_F ? DIR_F : DIR_B;
                    if ((dir == DIR_F && d > 0) || (dir == DIR_B && d < p->pp - 1))
                        rec(c, dir, cls, d, e->iter, e->mb)->ask_s = isnan(wait_s) ? e->start_s
                                                                                   : wait_s;
                    wait_s = NAN;
                } else if (e->type == TL_EV_W) {
                    wait_s = NAN;
                }
            }
        }
    return 0;
}

typedef struct {
    optrace *t;
    optrace_row row;      /* worker fields filled */
    char *err;
    size_t errlen;
} emitter;

static int emit(emitter *em, optrace_type type, int iter, int mb, double start, double end)
{
    em->row.type = type;
    em->row.step = iter;
    em->row.mb_id = mb;
    em->row.mc = mb >= 0 ? 0 : -1;
    em->row.gmc = mb >= 0 ? em->row.stage : -1;
    em->row.start_s = start;
    em->row.duration_s = end > start ? end - start : 0;
    return optrace_add(em->t, &em->row, em->err, em->errlen);
}

/* The end of a transfer both sides see: the receiver asked and the data is there. */
static double xfer_end(const xfer_rec *x) { return fmax(x->ask_s, x->arrived_s); }

/* Pass 2: the rows of replica 'rep' (class 'cls') on device 'd'. */
static int emit_worker(const ctx *c, emitter *em, int cls, int d, int with_gc)
{
    const plan_t *p = c->p;
    const tl_track *t = &c->r->tracks[cls * p->pp + d];
    int has_grads = p->dp > 1 && p->n_buckets[d] > 0;
    double last_end = 0, gc_end = -1, dpw_end = -1;
    for (int k = 0; k < t->n; k++) {
        const tl_event *e = &t->ev[k];
        int it = e->iter;
        switch (e->type) {
        case TL_EV_F: case TL_EV_B: case TL_EV_W: {
            double end = e->end_s;
            if (k + 1 < t->n && t->ev[k + 1].type == TL_EV_TP) end = t->ev[k + 1].end_s;
            last_end = end;
            optrace_type ty = e->type == TL_EV_F ? OPTRACE_FORWARD_COMPUTE
                              : e->type == TL_EV_B ? OPTRACE_BACKWARD_COMPUTE
                                                   : OPTRACE_WEIGHT_COMPUTE;
            if (emit(em, ty, it, e->mb, e->start_s, end)) return -1;
            if (e->type == TL_EV_W) break;
            int dir = e->type == TL_EV_F ? DIR_F : DIR_B;
            int from = dir == DIR_F ? d - 1 : d + 1, to = dir == DIR_F ? d + 1 : d - 1;
            optrace_type recv = dir == DIR_F ? OPTRACE_FORWARD_RECV : OPTRACE_BACKWARD_RECV;
            optrace_type send = dir == DIR_F ? OPTRACE_FORWARD_SEND : OPTRACE_BACKWARD_SEND;
            if (from >= 0 && from < p->pp) {
                const xfer_rec *x = rec(c, dir, cls, d, it, e->mb);
                if (isnan(x->arrived_s)) goto incomplete;
                if (emit(em, recv, it, e->mb, x->ask_s, xfer_end(x))) return -1;
            }
            if (to >= 0 && to < p->pp) {
                const xfer_rec *x = rec(c, dir, cls, to, it, e->mb);
                if (isnan(x->arrived_s) || isnan(x->ask_s)) goto incomplete;
                if (emit(em, send, it, e->mb, x->sent_s, xfer_end(x))) return -1;
            }
            break;
        }
        case TL_EV_GC:
            gc_end = e->end_s;
            if (with_gc && emit(em, OPTRACE_GC, it, -1, e->start_s, e->end_s)) return -1;
            break;
        case TL_EV_DP_WAIT:
            dpw_end = e->end_s;
            break;
        case TL_EV_EMB:
            if (emit(em, OPTRACE_EMBEDDING_GRADS_ALL_REDUCE, it, -1, e->start_s, e->end_s))
                return -1;
            break;
        case TL_EV_OPT: {
            if (with_gc && gc_end < 0 && emit(em, OPTRACE_GC, it, -1, last_end, last_end))
                return -1;
            double g0 = fmax(last_end, gc_end);
            if (has_grads &&
                emit(em, OPTRACE_GRADS_REDUCE_SCATTER, it, -1, g0, fmax(g0, dpw_end)))
                return -1;
            if (emit(em, OPTRACE_OPTIMIZER, it, -1, e->start_s, e->end_s)) return -1;
            gc_end = dpw_end = -1;
            break;
        }
        default:
            break;
        }
    }
    return 0;
incomplete:
    errmsg_set(em->err, em->errlen, "internal error: a pipeline transfer of stage %d (class %d) "
               "has no arrival in the timeline", d, cls);
    return -1;
}

int tltrace_export(const plan_t *p, const tl_result *r, const int *class_of_replica,
                   int with_gc, optrace *t, char *err, size_t errlen)
{
    if (p->v != 1) {
        errmsg_set(err, errlen, "the what-if analysis of a simulated run needs one model chunk "
                   "per device (this schedule has %d): its dependency model pairs the k-th "
                   "send of a stage with the k-th receive of the next", p->v);
        return -1;
    }
    if (r->pp != p->pp || r->n_tracks < r->n_classes * p->pp) {
        errmsg_set(err, errlen, "internal error: timeline of %d stages for a plan of %d",
                   r->pp, p->pp);
        return -1;
    }
    size_t n = 2 * (size_t)r->n_classes * (size_t)p->pp * (size_t)r->iterations * (size_t)p->m;
    ctx c = {p, r, malloc((n ? n : 1) * sizeof(xfer_rec))};
    if (!c.x) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) c.x[i] = (xfer_rec){NAN, NAN, NAN};
    int rc = scan_inputs(&c, err, errlen);
    emitter em = {.t = t, .err = err, .errlen = errlen};
    for (int rep = 0; !rc && rep < p->dp; rep++) {
        int cls = class_of_replica ? class_of_replica[rep] : 0;
        if (cls < 0 || cls >= r->n_classes) {
            errmsg_set(err, errlen, "internal error: replica %d in class %d of %d", rep, cls,
                       r->n_classes);
            rc = -1;
            break;
        }
        for (int d = 0; !rc && d < p->pp; d++) {
            em.row.dp_rank = rep;
            em.row.stage = d;
            em.row.rank = p->tp * (rep + p->dp * d);
            rc = emit_worker(&c, &em, cls, d, with_gc);
        }
    }
    free(c.x);
    if (!rc && optrace_assign_seq_ids(t)) {
        errmsg_set(err, errlen, "out of memory");
        rc = -1;
    }
    return rc;
}
