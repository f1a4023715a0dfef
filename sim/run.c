/*
** run.c -- the run engine: event loop, closed-form training progress and the
** time accounting (pure layer). See run.h.
**
** Between two events the job is in one of four phases, consumed in order:
** pending pauses (each charged to its bucket), waiting (cannot train),
** writing a checkpoint, training. Training completes whole iterations in
** bulk: n = min(time left / it, iterations before the next checkpoint), so a
** month of one-second iterations costs a few operations per event.
*/
#include "run.h"
#include "res.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const run_bucket_names[RUN_N_BUCKETS] = {
    "useful", "rework", "restart", "checkpoint", "reconfig", "degraded", "waiting"};

#define RUN_MAX_PAUSES 16
#define RUN_MAX_BINS 200000

struct run_ctx {
    const run_params *prm;
    const oracle *orc;
    double now_s;
    unsigned char *up;
    int n_ids, n_up;
    /* configuration */
    double it_s, samples_per_it;
    double base_it_s, base_samples;
    int have_base;
    double ckpt_every_s, ckpt_cost_s;
    /* progress */
    double inflight_s;          /* time into the current iteration */
    double ckpt_left_s;         /* > 0: writing a checkpoint */
    double since_ckpt_s;        /* training time since the last checkpoint */
    double pend_train_s, pend_samples;  /* since the last durable point */
    long pend_iters;
    double done_train_s;                /* committed training time */
    double min_it_s;                    /* fastest iteration completed */
    /* pauses */
    double pause_s[RUN_MAX_PAUSES];
    int pause_bucket[RUN_MAX_PAUSES];
    int n_pauses;
    run_result *res;
    char *err;
    size_t errlen;
    int failed;
};

void run_result_free(run_result *r)
{
    if (!r) return;
    free(r->bin_samples_per_s);
    r->bin_samples_per_s = NULL;
}

/* ---- calls for the schemes --------------------------------------------- */

double run_now(const run_ctx *rc) { return rc->now_s; }
double run_detect_s(const run_ctx *rc) { return rc->prm->detect_s; }
int run_n_ids(const run_ctx *rc) { return rc->n_ids; }
int run_n_up(const run_ctx *rc) { return rc->n_up; }
int run_node_up(const run_ctx *rc, int node)
{
    return node >= 0 && node < rc->n_ids && rc->up[node];
}
const oracle *run_oracle(const run_ctx *rc) { return rc->orc; }

int run_fail(run_ctx *rc, const char *fmt, ...)
{
    if (rc->failed) return -1;
    rc->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rc->err, rc->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void run_describe(run_ctx *rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rc->res->plan, sizeof rc->res->plan, fmt, ap);
    va_end(ap);
}

int run_time_plan(run_ctx *rc, const oracle_plan *plan, oracle_result *out)
{
    char e[256] = "";
    if (oracle_plan_time(rc->orc, plan, out, e, sizeof e)) return run_fail(rc, RUN_ERR_ORACLE "%s", e);
    return 0;
}

void run_set_base(run_ctx *rc, double it_s, double samples_per_it)
{
    rc->base_it_s = it_s;
    rc->base_samples = samples_per_it;
    rc->have_base = it_s > 0;
}

void run_set_config(run_ctx *rc, double it_s, double samples_per_it)
{
    if (it_s != rc->it_s) run_lose_inflight(rc); /* a new plan restarts the iteration */
    rc->it_s = it_s > 0 ? it_s : 0;
    rc->samples_per_it = samples_per_it;
    if (!rc->have_base && it_s > 0) run_set_base(rc, it_s, samples_per_it);
}

void run_set_ckpt(run_ctx *rc, double every_s, double cost_s)
{
    rc->ckpt_every_s = every_s > 0 ? every_s : 0;
    rc->ckpt_cost_s = cost_s > 0 ? cost_s : 0;
}

void run_lose_inflight(run_ctx *rc)
{
    rc->res->bucket_s[RUN_B_REWORK] += rc->inflight_s;
    rc->inflight_s = 0;
    rc->ckpt_left_s = 0; /* a checkpoint being written is abandoned */
}

void run_rollback(run_ctx *rc)
{
    run_lose_inflight(rc);
    rc->res->bucket_s[RUN_B_REWORK] += rc->pend_train_s;
    rc->pend_train_s = rc->pend_samples = 0;
    rc->pend_iters = 0;
    rc->since_ckpt_s = 0;
    rc->res->n_rollbacks++;
}

void run_commit(run_ctx *rc)
{
    run_result *r = rc->res;
    rc->done_train_s += rc->pend_train_s;
    r->iters += rc->pend_iters;
    r->samples += rc->pend_samples;
    rc->pend_train_s = rc->pend_samples = 0;
    rc->pend_iters = 0;
    rc->since_ckpt_s = 0;
}

void run_pause(run_ctx *rc, double s, run_bucket bucket)
{
    if (!(s > 0)) return;
    if (rc->n_pauses == RUN_MAX_PAUSES) { /* merge into the last one */
        rc->pause_s[RUN_MAX_PAUSES - 1] += s;
        return;
    }
    rc->pause_s[rc->n_pauses] = s;
    rc->pause_bucket[rc->n_pauses++] = bucket;
}

void run_cancel_pauses(run_ctx *rc) { rc->n_pauses = 0; }
int run_paused(const run_ctx *rc) { return rc->n_pauses > 0; }
void run_count_reconfig(run_ctx *rc) { rc->res->n_reconfigs++; }

/* ---- progress ----------------------------------------------------------- */

/* m iterations completing at t_first, t_first + it, ...: add their samples
** to the throughput bins. */
static void bin_add(run_ctx *rc, double t_first, long m, double it, double samples)
{
    run_result *r = rc->res;
    if (!r->n_bins || m <= 0) return;
    double dt = r->bin_s;
    long i = 0;
    while (i < m) {
        double t = t_first + i * it;
        long b = (long)(t / dt);
        if (b >= r->n_bins) return;
        /* iterations i.. that end before the bin's end */
        long last = it > 0 ? (long)floor(((b + 1) * dt - t_first) / it - 1e-12) : m - 1;
        if (last < i) last = i;
        if (last > m - 1) last = m - 1;
        r->bin_samples_per_s[b] += (double)(last - i + 1) * samples / dt;
        i = last + 1;
    }
}

/* Account m completed iterations ending at now + it, now + 2 it, ... */
static void complete_iters(run_ctx *rc, long m, double t_first)
{
    rc->pend_iters += m;
    rc->pend_samples += m * rc->samples_per_it;
    rc->pend_train_s += m * rc->it_s;
    if (rc->samples_per_it > 0 && rc->it_s / rc->samples_per_it < rc->min_it_s)
        rc->min_it_s = rc->it_s / rc->samples_per_it;
    rc->since_ckpt_s += m * rc->it_s;
    bin_add(rc, t_first, m, rc->it_s, rc->samples_per_it);
}

/* Move the clock to t1, consuming pauses, waiting, checkpoints, training. */
static void advance(run_ctx *rc, double t1)
{
    run_result *r = rc->res;
    while (rc->now_s < t1) {
        double left = t1 - rc->now_s;
        if (rc->n_pauses > 0) {
            double d = fmin(left, rc->pause_s[0]);
            r->bucket_s[rc->pause_bucket[0]] += d;
            rc->now_s += d;
            rc->pause_s[0] -= d;
            if (rc->pause_s[0] <= 1e-12) {
                memmove(rc->pause_s, rc->pause_s + 1, (size_t)(rc->n_pauses - 1) * sizeof(double));
                memmove(rc->pause_bucket, rc->pause_bucket + 1,
                        (size_t)(rc->n_pauses - 1) * sizeof(int));
                rc->n_pauses--;
            }
            continue;
        }
        if (!(rc->it_s > 0)) {
            r->bucket_s[RUN_B_WAITING] += left;
            rc->now_s = t1;
            break;
        }
        if (rc->ckpt_left_s > 0) {
            double d = fmin(left, rc->ckpt_left_s);
            r->bucket_s[RUN_B_CKPT] += d;
            rc->now_s += d;
            rc->ckpt_left_s -= d;
            if (rc->ckpt_left_s <= 1e-12) {
                rc->ckpt_left_s = 0;
                run_commit(rc);
            }
            continue;
        }
        double it = rc->it_s;
        double rem = it - rc->inflight_s;
        if (rem > left) {
            rc->inflight_s += left;
            rc->now_s = t1;
            break;
        }
        /* finish the iteration in flight, then whole ones in bulk */
        rc->now_s += rem;
        rc->inflight_s = 0;
        long m = 1 + (long)floor((t1 - rc->now_s) / it);
        if (rc->ckpt_every_s > 0) {
            double need = rc->ckpt_every_s - rc->since_ckpt_s;
            double to_ckpt = need <= it ? 1 : ceil(need / it - 1e-9); /* may exceed a long */
            if (to_ckpt < (double)m) m = (long)to_ckpt;
        }
        double t_first = rc->now_s;
        complete_iters(rc, m, t_first);
        rc->now_s += (m - 1) * it;
        if (rc->ckpt_every_s > 0 && rc->since_ckpt_s >= rc->ckpt_every_s - 1e-9) {
            if (rc->ckpt_cost_s > 0) rc->ckpt_left_s = rc->ckpt_cost_s;
            else run_commit(rc);
        }
    }
}

int run_simulate(const run_params *prm, fail_source *src, const oracle *orc,
                 res_scheme *scheme, run_result *out, void (*progress)(void *, double),
                 void *progress_arg, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    fail_rewind(src);
    double end = prm->duration_s > 0 ? prm->duration_s : fail_end_s(src);
    if (!isfinite(end) || !(end > 0)) {
        snprintf(err, errlen, "the run needs a duration (the failure source has no end)");
        return -1;
    }
    run_ctx rc = {.prm = prm, .orc = orc, .res = out, .err = err, .errlen = errlen,
                  .min_it_s = INFINITY};
    rc.n_ids = fail_n_ids(src);
    rc.up = calloc((size_t)rc.n_ids, 1);
    if (!rc.up) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < rc.n_ids; i++)
        if (fail_initially_up(src, i)) { rc.up[i] = 1; rc.n_up++; }
    if (prm->series_dt_s > 0) {
        double nb = ceil(end / prm->series_dt_s);
        out->n_bins = nb > RUN_MAX_BINS ? RUN_MAX_BINS : (int)nb;
        out->bin_s = prm->series_dt_s;
        out->bin_samples_per_s = calloc((size_t)out->n_bins, sizeof(double));
        if (!out->bin_samples_per_s) {
            free(rc.up);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    long misses0 = 0, hits0 = 0;
    oracle_memo_stats(orc, &misses0, &hits0);
    if (scheme->start(scheme->st, &rc)) goto fail;
    double next_report = end / 50;
    fail_event ev;
    while (fail_next(src, &ev) && ev.t_s < end) {
        advance(&rc, ev.t_s);
        if (ev.kind == FAIL_EV_FAIL) {
            if (!rc.up[ev.node]) continue;
            rc.up[ev.node] = 0;
            rc.n_up--;
            out->n_failures++;
            if (scheme->on_failure(scheme->st, &rc, ev.node)) goto fail;
        } else {
            if (rc.up[ev.node]) continue;
            rc.up[ev.node] = 1;
            rc.n_up++;
            out->n_arrivals++;
            if (scheme->on_arrival(scheme->st, &rc, ev.node)) goto fail;
        }
        if (progress && rc.now_s >= next_report) {
            progress(progress_arg, rc.now_s / end);
            next_report = rc.now_s + end / 50;
        }
    }
    advance(&rc, end);
    /* the iteration in flight at the end is progress, not loss */
    if (rc.inflight_s > 0 && rc.it_s > 0) {
        rc.pend_train_s += rc.inflight_s;
        rc.pend_samples += rc.samples_per_it * rc.inflight_s / rc.it_s;
    }
    run_commit(&rc); /* the work since the last checkpoint survives the end */
    /* useful = committed samples at the healthy speed: the scheme's base plan,
    ** or a faster plan it found later (so that degraded >= 0) */
    double per_sample = rc.base_samples > 0 ? rc.base_it_s / rc.base_samples : INFINITY;
    if (!rc.have_base || rc.min_it_s < per_sample) per_sample = rc.min_it_s;
    if (!isfinite(per_sample)) per_sample = 0;
    out->bucket_s[RUN_B_USEFUL] = fmin(out->samples * per_sample, rc.done_train_s);
    out->bucket_s[RUN_B_DEGRADED] = rc.done_train_s - out->bucket_s[RUN_B_USEFUL];
    out->sim_s = rc.now_s;
    out->base_iter_s = per_sample * rc.base_samples;
    out->base_samples_per_s = per_sample > 0 ? 1 / per_sample : 0;
    out->goodput_frac = out->bucket_s[RUN_B_USEFUL] / out->sim_s;
    out->samples_per_s = out->samples / out->sim_s;
    long misses = 0, hits = 0;
    oracle_memo_stats(orc, &misses, &hits);
    out->n_oracle_calls = misses - misses0;
    free(rc.up);
    return 0;
fail:
    if (!rc.failed) snprintf(err, errlen, "%s: scheme failed", scheme->name);
    free(rc.up);
    run_result_free(out);
    return -1;
}
