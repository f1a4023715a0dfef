/*
** sched_mem.c -- live activation memory of each device over simulated time
** (pure layer, part of the schedule module; see sched.h for the contract).
**
** The peak of the curve equals sched_mem_peak (and sched_timing.dev_peak_mem),
** which depends on the op order alone and is what plan.c uses for memory;
** the curve adds when it happens (used by the tests; the trace's memory
** counter, rep.c, applies the same convention to the simulated timeline).
*/
#include "sched.h"

#include <stdlib.h>
#include <string.h>

void sched_mem_curve_free(sched_mem_curve *mc)
{
    if (!mc) return;
    for (int d = 0; mc->t_s && d < mc->p; d++) free(mc->t_s[d]);
    for (int d = 0; mc->live && d < mc->p; d++) free(mc->live[d]);
    free(mc->t_s);
    free(mc->live);
    free(mc->n_pts);
    free(mc->peak);
    memset(mc, 0, sizeof *mc);
}

/* Memory delta of one op (a no-split B also frees what its W would). */
static double op_delta(const sched_t *s, const sched_costs *c, const sched_op *op)
{
    switch (op->kind) {
    case SCHED_OP_F: return c->m_f;
    case SCHED_OP_B: return s->split_backward ? c->m_b : c->m_b + c->m_w;
    default: return c->m_w;
    }
}

double sched_mem_peak(const sched_t *s, const sched_costs *c, int dev, const double *w,
                      double *n_live)
{
    double live = 0, peak = 0;
    int at = -1; /* op after which the peak is first reached */
    for (int i = 0; i < s->n_ops[dev]; i++) {
        const sched_op *op = &s->ops[dev][i];
        live += op_delta(s, c, op) * (w ? w[op->chunk] : 1.0);
        if (live > peak) {
            peak = live;
            at = i;
        }
    }
    if (n_live) {
        for (int k = 0; k < s->v; k++) n_live[k] = 0;
        for (int i = 0; i <= at; i++)
            n_live[s->ops[dev][i].chunk] += op_delta(s, c, &s->ops[dev][i]);
    }
    return peak;
}

int sched_mem_profile(const sched_t *s, const sched_timing *t, const sched_costs *c,
                      sched_mem_curve *out)
{
    int p = s->p;
    memset(out, 0, sizeof *out);
    out->p = p;
    out->n_pts = calloc((size_t)p, sizeof *out->n_pts);
    out->t_s = calloc((size_t)p, sizeof *out->t_s);
    out->live = calloc((size_t)p, sizeof *out->live);
    out->peak = calloc((size_t)p, sizeof *out->peak);
    if (!out->n_pts || !out->t_s || !out->live || !out->peak) goto fail;
    for (int d = 0; d < p; d++) {
        size_t cap = (size_t)s->n_ops[d] + 1;
        double *ts = out->t_s[d] = malloc(cap * sizeof *ts);
        double *lv = out->live[d] = malloc(cap * sizeof *lv);
        if (!ts || !lv) goto fail;
        int n = 1;
        double live = 0, peak = 0;
        ts[0] = 0;
        lv[0] = 0;
        for (int i = 0; i < s->n_ops[d]; i++) {
            double delta = op_delta(s, c, &s->ops[d][i]);
            if (delta == 0) continue;
            double at = delta > 0 ? t->start[d][i] : t->end[d][i];
            live += delta;
            if (live > peak) peak = live;
            if (at <= ts[n - 1]) lv[n - 1] = live;  /* same instant: keep the value after */
            else {
                ts[n] = at;
                lv[n++] = live;
            }
            if (n >= 2 && lv[n - 1] == lv[n - 2]) n--;  /* no change: drop the point */
        }
        out->n_pts[d] = n;
        out->peak[d] = peak;
    }
    return 0;
fail:
    sched_mem_curve_free(out);
    return -1;
}
