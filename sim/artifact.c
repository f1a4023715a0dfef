/*
** artifact.c -- the Oobleck artifact simulators, quirks included (pure layer).
**
** One event loop for the three systems. The artifact's simulators are
** Python programs driven by heapq; events that fall on the same millisecond
** are ordered by their kind (EventKind: add < remove < ready < global
** rendezvous < local rendezvous < step) and, within a kind, by heapq's own
** sift order, which decides e.g. which nodes a rendezvous lists first. We
** therefore emulate heapq exactly (heapify of the trace in file order, then
** heappush/heappop), not a FIFO queue: Bamboo's pipeline slots depend on it.
** Rules per system follow RESILIENCE.md §6; where the text leaves a choice,
** the reading that reproduces oobleck_sim_results.csv was taken
** (docs/resilience.md, "Artifact replay", gives the evidence per rule):
**   - Oobleck and Varuna: a rendezvous that follows >= burst_stop removals
**     in one millisecond stops training until a node is ready; one that
**     trains on at most hold_max_nodes (15) books one step and completes
**     none until the next removal;
**   - Oobleck: a rendezvous costs no simulated time (its pause is only
**     booked); every removal adds the current step to
**     fallback; the rendezvous a burst stops books one step if training was
**     on when the burst began;
**   - step times are whole milliseconds (int(B / samples_per_s * 1000));
**     Bamboo's slowed step, its fallback charge and the failover's extension
**     of the step in flight too (int(step * 1.5), int(remaining / 2));
**   - Varuna: every rendezvous lasts its restart minus the checkpoint, at
**     the last rendezvous's node count, and the previous step chain runs on
**     until it ends; a node ready during a rendezvous a ready node started
**     restarts it; the configuration after a held one is held too; a
**     blocking checkpoint follows every 10th completed step and the first
**     completion after a removal, and fails when a walk of the heap array
**     from its head meets a removal; a removal falls back (2k - 1) steps, k
**     completed since the last restore point, or the current time before
**     there is one (also before the first start; the start then becomes the
**     restore point, unless a checkpoint has failed before any succeeded,
**     when the removal also stops training until a node is ready);
**     samples/s is the time-weighted mean of one point per completed step
**     from the first rendezvous's planned end, a removal zeroing its last k
**     points (all of them for k = 0 during a rendezvous: y[-0:]);
**   - Bamboo: any removal after the first start costs the current step
**     (times the slowdown already in force); one while training sets the
**     x1.5 slowdown, the first one since the pipelines were formed also adds
**     half the step's remaining time; a global rendezvous lists nodes in
**     the order they became ready, a local one in the order they were
**     added; pipelines are laid out stage-major, and
**     they stand until a rendezvous ends (a removal meanwhile is failed over);
**     a fatal failure while training books its restart and stops training
**     until a node is ready, whose global rendezvous books another.
*/
#include "artifact.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const art_system_names[ART_N_SYSTEMS] = {"oobleck", "bamboo", "varuna"};
const char *const art_acc_names[ART_N_ACC] = {"useful",     "redundant", "rebalance", "restart",
                                              "checkpoint", "fallback",  "idle"};

int art_system_of(const char *name)
{
    for (int i = 0; i < ART_N_SYSTEMS; i++)
        if (!strcmp(name, art_system_names[i])) return i;
    return -1;
}

void art_params_defaults(art_params *p)
{
    memset(p, 0, sizeof *p);
    p->startup_ms = 45000;
    p->min_nodes = 12;
    p->first_pause_ms = 0;
    p->ckpt_every_steps = 10;
    p->bamboo_stages = 12;
    p->bamboo_fatal_ms = 30000;
    p->bamboo_useful_frac = 0.1971;
    p->bamboo_slowdown = 1.5;
    p->steps_per_run = 200000;
    p->burst_stop = 3;
    p->hold_max_nodes = 15;
    p->burst_books_step = 1;
}

void art_params_for(art_params *p, const char *model, const char *trace_path)
{
    art_params_defaults(p);
    /* varuna_simulator.py: BERT-large's restart before the first start */
    if (!strcmp(model, "BERT-large")) p->first_pause_ms = 76000;
    const char *base = strrchr(trace_path, '/');
    base = base ? base + 1 : trace_path;
    if (strncmp(base, "scale_", 6)) return;
    /* eval_gcp_ec2.py settings */
    int small = !strcmp(model, "BERT-large") || !strcmp(model, "GPT-2-ours") ||
                !strcmp(model, "GPT-3-medium");
    if (small) p->no_small_model_fallback = 1;
    if (!strcmp(model, "GPT-3-medium")) p->steps_per_run = 60000;
    if (!strcmp(model, "GPT-3-2_7b") || !strcmp(model, "GPT-3-6_7b")) p->steps_per_run = 30000;
}

/* ---- event heap: Python's heapq, ties by kind then by sift order ---------- */

/* The artifact's EventKind values: ties at one millisecond pop in this order. */
enum { EV_ADD = 1, EV_REMOVE = 2, EV_READY = 4, EV_RDV_GLOBAL = 5, EV_RDV_LOCAL = 6, EV_STEP = 7 };

typedef struct {
    double t_ms;
    int kind, node, ver;
} aev;

typedef struct {
    aev *v;
    int n, cap;
} aheap;

static int aev_less(const aev *a, const aev *b)
{
    return a->t_ms < b->t_ms || (a->t_ms == b->t_ms && a->kind < b->kind);
}

/* heapq._siftdown: move v[pos] up towards 'start' while it is smaller. */
static void sift_down(aheap *h, int start, int pos)
{
    aev it = h->v[pos];
    while (pos > start) {
        int parent = (pos - 1) >> 1;
        if (!aev_less(&it, &h->v[parent])) break;
        h->v[pos] = h->v[parent];
        pos = parent;
    }
    h->v[pos] = it;
}

/* heapq._siftup: bubble the smaller child up to a leaf, then sift down. */
static void sift_up(aheap *h, int pos)
{
    int end = h->n, start = pos, child = 2 * pos + 1;
    aev it = h->v[pos];
    while (child < end) {
        int right = child + 1;
        if (right < end && !aev_less(&h->v[child], &h->v[right])) child = right;
        h->v[pos] = h->v[child];
        pos = child;
        child = 2 * pos + 1;
    }
    h->v[pos] = it;
    sift_down(h, start, pos);
}

static int apush(aheap *h, double t, int kind, int node, int ver)
{
    if (h->n == h->cap) {
        int c = h->cap ? 2 * h->cap : 256;
        aev *nv = realloc(h->v, (size_t)c * sizeof *nv);
        if (!nv) return -1;
        h->v = nv;
        h->cap = c;
    }
    h->v[h->n++] = (aev){.t_ms = t, .kind = kind, .node = node, .ver = ver};
    sift_down(h, 0, h->n - 1);
    return 0;
}

static aev apop(aheap *h)
{
    aev last = h->v[--h->n];
    if (!h->n) return last;
    aev top = h->v[0];
    h->v[0] = last;
    sift_up(h, 0);
    return top;
}

/* ---- shared state ------------------------------------------------------------ */

enum { N_ABSENT = 0, N_STARTING, N_READY };
enum { S_STOPPED = 0, S_RUNNING, S_RDV };

typedef struct {
    const oracle_table *tbl;
    const char *system, *model;
    int sys;                  /* ART_OOBLECK, ... */
    const art_params *prm;
    art_result *out;
    aheap h;
    unsigned char *state;     /* [n_ids] N_* */
    int n_ids, status, ver;
    double cur_step_ms, step_end_ms, first_ms, last_ms, batch;
    int started;
    /* Oobleck, Varuna: removals in the current millisecond; stopped by a burst */
    double burst_t_ms;
    int burst_n, burst_stuck;
    int burst_from_run;       /* training (or held) when the current burst began */
    int held;                 /* Oobleck, Varuna: this window's steps never complete (rule 11) */
    int cfg_nodes;            /* nodes of the running configuration */
    int rdv_trigger;          /* Oobleck: node whose ready event restarted training:
                              ** not in that rendezvous (rule 10), -1 if none */
    /* Varuna: step counts, checkpoint state, the current rendezvous, and the
    ** throughput series (time ms, samples/s) behind avg_samples_per_s */
    long v_total, v_last_good;/* completed steps (never taken back); at the last restore
                              ** point (good checkpoint, or rule 28's fallback to the
                              ** start); read only when v_restore */
    int v_restore;            /* a restore point exists (else a removal costs the current time) */
    int v_good;               /* a checkpoint has succeeded */
    int v_void;               /* a failed checkpoint voided rule 28's restore point */
    int v_inflight;           /* a step of the current chain is in flight (or held) */
    int v_first_after;        /* a removal since the last completion */
    int rdv_id;               /* the current rendezvous (its end event's ver) */
    int v_from_ready;         /* the current rendezvous was started by a node becoming
                              ** ready while stopped (not restarted by a removal since) */
    int v_train_n;            /* nodes of the previous configuration that resumed training
                              ** (held or not; 0 before the first) */
    double v_ckpt_ms;         /* the checkpoint (the table's, at 30 nodes) */
    double v_idle_frac;       /* idle nodes / nodes of the running configuration */
    double prev_ms, *ser_x, *ser_y;
    int n_ser, cap_ser;
    /* Bamboo */
    int *slot;                /* [n_ids] running slot, -1 if none */
    int *slot_node;           /* [P*S] node per slot, -1 dead */
    unsigned char *dd;        /* [P*S] the slot's node runs two stages */
    unsigned char *listed;    /* [n_ids] in the current rendezvous list */
    int *add_seq, *ready_seq; /* node ids in order of add / of ready (dict order) */
    int n_add_seq, n_ready_seq;
    int P, overloaded, rdv_global;
    double rdv_t0_ms;         /* when the current rendezvous (re)started (Bamboo, Varuna) */
    double slow;
    double booked_ms;         /* the step in flight as booked (useful + redundant) */
} art_ctx;

static int n_ready(const art_ctx *c)
{
    int n = 0;
    for (int i = 0; i < c->n_ids; i++) n += c->state[i] == N_READY;
    return n;
}

static int row(const art_ctx *c, int n, oracle_table_row *r)
{
    return oracle_table_lookup(c->tbl, c->system, c->model, n, r);
}

/* int(B / samples_per_s * 1000) ms; 0 if the model does not run. */
static double step_ms(const oracle_table_row *r)
{
    return r->samples_per_s > 0 ? floor(r->global_batch_samples / r->samples_per_s * 1000.0) : 0;
}

static int schedule_step(art_ctx *c, double t)
{
    c->out->acc_ms[ART_USEFUL] += c->cur_step_ms;
    c->step_end_ms = t + c->cur_step_ms;
    return apush(&c->h, c->step_end_ms, EV_STEP, -1, c->ver);
}

/* ---- Oobleck: rendezvous ---------------------------------------------------- */

/* Start a rendezvous lasting 'dur_ms' (0 after a removal: it ends after the
** adds, removals and ready events of that millisecond, whose kinds sort
** first). */
static int start_rdv(art_ctx *c, double t, double dur_ms)
{
    c->ver++;
    c->status = S_RDV;
    return apush(&c->h, t + dur_ms, EV_RDV_GLOBAL, -1, c->ver);
}

/* End of a rendezvous: the ready nodes set the step time; training stops
** below min_nodes or after a burst of removals. 1 if training resumes. */
static int rdv_end(art_ctx *c, double t, oracle_table_row *r)
{
    int n = n_ready(c);
    if (c->rdv_trigger >= 0 && c->state[c->rdv_trigger] == N_READY) n--;
    c->rdv_trigger = -1;
    row(c, n, r);
    c->cfg_nodes = n;
    c->cur_step_ms = step_ms(r);
    if (c->cur_step_ms <= 0) c->cur_step_ms = 1e12; /* a stall, as the artifact */
    c->held = 0;
    if (n < c->prm->min_nodes || c->burst_stuck) {
        /* the rendezvous a burst stopped books one step (rule 12) */
        if (c->burst_stuck && c->burst_from_run && c->prm->burst_books_step)
            c->out->acc_ms[ART_USEFUL] += c->cur_step_ms;
        c->status = S_STOPPED;
        return 0;
    }
    c->status = S_RUNNING;
    /* on the table's lowest row (15 nodes or fewer): held (rule 11) */
    c->held = n <= c->prm->hold_max_nodes;
    /* the throughput span runs from the first start to the last completed
    ** step, not to the last rendezvous (GPT-3 6.7B on the scale_* traces,
    ** whose last windows complete no step: docs/resilience.md, rule 9) */
    if (!c->started) { c->first_ms = c->last_ms = t; c->started = 1; }
    return 1;
}

/* The table's pause of a rendezvous with n nodes, ms. */
static double pause_ms(art_ctx *c, int n)
{
    oracle_table_row r;
    row(c, n > 0 ? n : 1 << 30, &r);
    return r.pause_s * 1000;
}

/* Count removals per millisecond; a burst stops the next rendezvous. */
static void note_removal_burst(art_ctx *c, double t)
{
    if (c->status == S_RUNNING) c->burst_from_run = 1;
    else if (c->status == S_STOPPED) c->burst_from_run = 0;
    if (t != c->burst_t_ms) {
        c->burst_t_ms = t;
        c->burst_n = 0;
    }
    if (++c->burst_n >= c->prm->burst_stop && c->prm->burst_stop > 0) c->burst_stuck = 1;
}

/* A node joins the trace: it is ready after the spot start-up. */
static int node_added(art_ctx *c, const aev *e)
{
    c->state[e->node] = N_STARTING;
    return apush(&c->h, e->t_ms + c->prm->startup_ms, EV_READY, e->node, 0);
}

/* Oobleck: a node becomes ready; 1 if training was stopped, so
** that this node starts a new rendezvous (it also ends a burst stop). After
** the first start that rendezvous does not list the node itself: it waits
** for the next one (rule 10). */
static int node_ready_restarts(art_ctx *c, const aev *e)
{
    if (c->state[e->node] != N_STARTING) return 0;
    c->state[e->node] = N_READY;
    if (c->status != S_STOPPED) return 0;
    c->burst_stuck = 0;
    c->burst_from_run = 0;
    if (c->started) c->rdv_trigger = e->node;
    return 1;
}

static int oobleck_event(art_ctx *c, const aev *e)
{
    art_result *o = c->out;
    oracle_table_row r;
    switch (e->kind) {
    case EV_ADD:
        return node_added(c, e);
    case EV_READY:
        if (!node_ready_restarts(c, e)) return 0;
        o->acc_ms[ART_REBALANCE] += pause_ms(c, n_ready(c));
        return start_rdv(c, e->t_ms, 0);
    case EV_RDV_GLOBAL:
        if (e->ver != c->ver || !rdv_end(c, e->t_ms, &r)) return 0;
        return schedule_step(c, e->t_ms);
    case EV_REMOVE:
        if (c->state[e->node] == N_ABSENT) return 0;
        o->acc_ms[ART_REBALANCE] += pause_ms(c, n_ready(c));
        c->state[e->node] = N_ABSENT;
        o->fatal_failures++;
        o->acc_ms[ART_FALLBACK] += c->cur_step_ms;
        note_removal_burst(c, e->t_ms);
        return start_rdv(c, e->t_ms, 0);
    case EV_STEP:
        if (e->ver != c->ver || c->status != S_RUNNING || c->held) return 0;
        o->steps_done++;
        c->last_ms = e->t_ms;
        return schedule_step(c, e->t_ms);
    }
    return 0;
}

/* ---- Varuna --------------------------------------------------------------------- */

/* Append a completed step to the throughput series (time ms, samples/s). */
static int series_add(art_ctx *c, double t, double y)
{
    if (c->n_ser == c->cap_ser) {
        int cap = c->cap_ser ? 2 * c->cap_ser : 1024;
        double *nx = realloc(c->ser_x, (size_t)cap * sizeof *nx);
        if (!nx) return -1;
        c->ser_x = nx;
        double *ny = realloc(c->ser_y, (size_t)cap * sizeof *ny);
        if (!ny) return -1;
        c->ser_y = ny;
        c->cap_ser = cap;
    }
    c->ser_x[c->n_ser] = t;
    c->ser_y[c->n_ser++] = y;
    return 0;
}

/* Zero the last 'm' points of the series (their steps are lost). */
static void series_zero_last(art_ctx *c, long m)
{
    for (long i = c->n_ser - 1; i >= 0 && i >= c->n_ser - m; i--) c->ser_y[i] = 0;
}

/* A rendezvous: its pause (minus the checkpoint) is booked as restart and
** elapses; the step chain of the previous configuration runs on meanwhile. */
static int varuna_rdv(art_ctx *c, double t)
{
    /* before any start: the table's top row (30 nodes) */
    double p = !c->started && c->prm->first_pause_ms > 0 ? c->prm->first_pause_ms
                                                         : pause_ms(c, c->cfg_nodes);
    double wait = p - c->v_ckpt_ms;
    c->out->acc_ms[ART_RESTART] += wait;
    if (c->first_ms < 0) c->first_ms = c->prev_ms = t + wait; /* the series' origin */
    c->rdv_id++;
    c->rdv_t0_ms = t;
    c->status = S_RDV;
    return apush(&c->h, t + wait, EV_RDV_GLOBAL, -1, c->rdv_id);
}

/* Does a checkpoint taken now fail? Called with the next step already
** pushed and end_ms = now + 2 x checkpoint. The artifact scans its heap array
** in array order, not time order. If its head is due after end_ms, the
** checkpoint is good. Otherwise we walk the array from its head: a removal
** met before the step just scheduled fails the checkpoint, whatever its time;
** the walk ends (the checkpoint is good) at that step or after an entry due
** after end_ms. A removal as the second entry due before end_ms fails it too
** (the step just scheduled at the head). On the synthetic traces this is the
** two-entry scan of rule 21 plus rule 29 (the head a rendezvous end or a step
** of an ended chain); rule 30 walks on past adds, ready events and stale
** entries, which only the scale traces put at the head. A fit to the
** artifact's checkpoint counts (docs/resilience.md, rules 21, 29, 30), not a
** rule RESILIENCE.md states. */
static int varuna_ckpt_fails(const art_ctx *c, double end_ms)
{
    const aev *v = c->h.v;
    if (c->h.n == 0 || v[0].t_ms > end_ms) return 0;
    for (int i = 0; i < c->h.n; i++) {
        if (v[i].kind == EV_REMOVE) return 1;
        if (v[i].kind == EV_STEP && v[i].ver == c->ver) break;
        if (v[i].t_ms > end_ms) return 0;
    }
    return c->h.n > 1 && v[1].kind == EV_REMOVE && v[1].t_ms < end_ms;
}

/* Schedule the next step at t (after a completion if 'completed'), with a
** checkpoint first after every 10th completed step and after the first
** completion since a removal. */
static int varuna_next(art_ctx *c, double t, int completed)
{
    art_result *o = c->out;
    double d = c->cur_step_ms;
    int take = completed && (c->v_total % c->prm->ckpt_every_steps == 0 || c->v_first_after);
    if (completed) c->v_first_after = 0;
    c->v_inflight = 1;
    o->acc_ms[ART_USEFUL] += d;
    o->acc_ms[ART_IDLE] += d * c->v_idle_frac;
    if (!take) return apush(&c->h, t + d, EV_STEP, -1, c->ver);
    o->acc_ms[ART_CHECKPOINT] += c->v_ckpt_ms;
    d += c->v_ckpt_ms;
    if (apush(&c->h, t + d, EV_STEP, -1, c->ver)) return -1;
    if (!varuna_ckpt_fails(c, t + 2 * c->v_ckpt_ms)) {
        c->v_last_good = c->v_total;
        c->v_restore = c->v_good = 1;
        return 0;
    }
    /* before any good checkpoint, a failed one leaves no restore point:
    ** removals cost the current time until a checkpoint succeeds (rule 33) */
    if (!c->v_good) c->v_restore = 0, c->v_void = 1;
    if (!c->prm->no_small_model_fallback) {
        int k = c->prm->ckpt_every_steps;
        o->acc_ms[ART_FALLBACK] += k * c->cur_step_ms;
        o->steps_done = o->steps_done > k ? o->steps_done - k : 0;
        series_zero_last(c, k);
    }
    return 0;
}

static int varuna_event(art_ctx *c, const aev *e)
{
    art_result *o = c->out;
    oracle_table_row r;
    switch (e->kind) {
    case EV_ADD:
        return node_added(c, e);
    case EV_READY:
        if (c->state[e->node] != N_STARTING) return 0;
        c->state[e->node] = N_READY;
        /* a node ready during a rendezvous that a ready node started
        ** restarts it with the larger list (charged again); nodes ready in
        ** the millisecond it (re)started join it as they are (rule 24) */
        if (c->status == S_RDV && c->v_from_ready && e->t_ms != c->rdv_t0_ms)
            return varuna_rdv(c, e->t_ms);
        if (c->status != S_STOPPED) return 0;
        c->burst_stuck = 0; /* a node ready ends a burst stop */
        c->v_from_ready = 1;
        return varuna_rdv(c, e->t_ms);
    case EV_REMOVE:
        if (c->state[e->node] == N_ABSENT) return 0;
        c->state[e->node] = N_ABSENT;
        o->fatal_failures++;
        note_removal_burst(c, e->t_ms);
        /* also before the first start, i.e. during the first rendezvous (rule 27) */
        if (!c->prm->no_small_model_fallback) {
            long k;
            if (!c->v_restore) {
                o->acc_ms[ART_FALLBACK] += e->t_ms; /* nothing saved yet */
                k = c->v_total;
                /* back to the start, which is now the restore point; with no
                ** step in flight (before the first start) the next step
                ** counts from when it is scheduled (rule 28) */
                c->v_restore = !c->v_void;
                c->v_last_good = c->v_total - (c->v_inflight ? 0 : 1);
                /* with the restore point voided by a failed checkpoint
                ** (rule 33), nothing can be restored: training stops until
                ** a node is ready, as after a burst (rule 34) */
                if (c->v_void) c->burst_stuck = 1;
            } else {
                k = c->v_total - c->v_last_good;
                o->acc_ms[ART_FALLBACK] += (k > 0 ? 2 * k - 1 : 0) * c->cur_step_ms;
                /* during a rendezvous, k = 0 zeroes every point: the last
                ** -0 points are the whole series in Python (rule 32) */
                if (k == 0 && c->status == S_RDV) k = c->n_ser;
            }
            series_zero_last(c, k);
        }
        c->v_first_after = 1;
        c->v_from_ready = 0;
        return varuna_rdv(c, e->t_ms);
    case EV_RDV_GLOBAL: {
        if (e->ver != c->rdv_id) return 0;
        /* the previous configuration's step chain ends here, not at the
        ** removal that started the rendezvous */
        c->ver++;
        c->v_inflight = 0;
        int n = n_ready(c);
        /* the next pause is read at this rendezvous's node count, also when
        ** it ends stopped (rule 25) */
        c->cfg_nodes = n;
        if (n < c->prm->min_nodes || c->burst_stuck) {
            c->status = S_STOPPED;
            return 0;
        }
        c->started = 1;
        c->status = S_RUNNING;
        int prev_n = c->v_train_n;
        c->v_train_n = n;
        row(c, n, &r);
        c->cur_step_ms = step_ms(&r);
        if (c->cur_step_ms <= 0) c->cur_step_ms = 1e12;
        c->v_idle_frac = (double)r.idle_nodes / n;
        /* on the table's lowest row: one step booked, none completes (rule 11);
        ** so too in the configuration that follows such a one (rule 26) */
        c->held = n <= c->prm->hold_max_nodes ||
                  (prev_n > 0 && prev_n <= c->prm->hold_max_nodes);
        if (c->held) {
            c->v_inflight = 1;
            o->acc_ms[ART_USEFUL] += c->cur_step_ms;
            o->acc_ms[ART_IDLE] += c->cur_step_ms * c->v_idle_frac;
            return 0;
        }
        return varuna_next(c, e->t_ms, 0);
    }
    case EV_STEP: {
        if (e->ver != c->ver) return 0;
        o->steps_done++;
        c->v_total++;
        c->last_ms = e->t_ms;
        double y = c->batch / ((e->t_ms - c->prev_ms) / 1000.0);
        c->prev_ms = e->t_ms;
        if (series_add(c, e->t_ms, y)) return -1;
        return varuna_next(c, e->t_ms, 1);
    }
    }
    return 0;
}

/* ---- Bamboo ------------------------------------------------------------------ */

/* Start a rendezvous that lists the ready nodes: global (start, fatal
** failure; 30 s, booked as restart) or local (rules (a)-(c); the table's
** pause, booked as rebalance). A listed node that goes restarts it. */
static int bamboo_rdv(art_ctx *c, double t, int global)
{
    double pause_ms;
    if (global) {
        pause_ms = c->prm->bamboo_fatal_ms;
        /* a global rendezvous takes its list after the removals of the
        ** millisecond it starts in: they do not charge it again (rule 15) */
        if (!(c->status == S_RDV && c->rdv_global && t == c->rdv_t0_ms))
            c->out->acc_ms[ART_RESTART] += pause_ms;
    } else {
        oracle_table_row r;
        row(c, n_ready(c), &r);
        pause_ms = r.pause_s * 1000;
        c->out->acc_ms[ART_REBALANCE] += pause_ms;
    }
    for (int i = 0; i < c->n_ids; i++) c->listed[i] = c->state[i] == N_READY;
    c->ver++;
    c->status = S_RDV;
    c->rdv_global = global;
    c->rdv_t0_ms = t;
    return apush(&c->h, t + pause_ms, global ? EV_RDV_GLOBAL : EV_RDV_LOCAL, -1, c->ver);
}

/* Fresh pipelines after a rendezvous: P = n / S, the first P*S ready nodes
** of the rendezvous list run (a global list is in ready order, a local one
** in add order, as the artifact's dict of instances). Returns 1 when the
** run ends (the model does not fit: zero-time steps up to steps_per_run). */
static int bamboo_fresh(art_ctx *c, double t)
{
    int S = c->prm->bamboo_stages, n = n_ready(c);
    c->P = n / S;
    c->overloaded = 0;
    c->slow = 1;
    for (int i = 0; i < c->n_ids; i++) c->slot[i] = -1;
    free(c->slot_node);
    free(c->dd);
    c->slot_node = malloc((size_t)(c->P * S + 1) * sizeof *c->slot_node);
    c->dd = calloc((size_t)(c->P * S + 1), 1);
    if (!c->slot_node || !c->dd) return -1;
    const int *seq = c->rdv_global ? c->ready_seq : c->add_seq;
    int n_seq = c->rdv_global ? c->n_ready_seq : c->n_add_seq;
    /* stage-major: the k-th listed node runs stage k / P of pipeline k % P
    ** (slot = pipeline * S + stage) */
    int k = 0;
    for (int j = 0; j < n_seq && k < c->P * S; j++) {
        int i = seq[j];
        if (c->state[i] != N_READY || c->slot[i] >= 0) continue;
        int q = (k % c->P) * S + k / c->P;
        c->slot[i] = q;
        c->slot_node[q] = i;
        k++;
    }
    if (c->P < 1) { c->status = S_STOPPED; return 0; }
    oracle_table_row r;
    row(c, n, &r);
    c->cur_step_ms = step_ms(&r);
    c->status = S_RUNNING;
    if (!c->started) { c->first_ms = c->last_ms = t; c->started = 1; }
    if (c->cur_step_ms <= 0) {
        /* out of memory in the table: the artifact's steps take no time and
        ** the run ends at steps_per_run with no throughput */
        c->out->steps_done = c->prm->steps_per_run;
        c->status = S_STOPPED;
        c->ver++;
        return 1;
    }
    c->ver++;
    c->booked_ms = c->cur_step_ms;
    c->out->acc_ms[ART_USEFUL] += c->prm->bamboo_useful_frac * c->cur_step_ms;
    c->out->acc_ms[ART_REDUNDANT] += (1 - c->prm->bamboo_useful_frac) * c->cur_step_ms;
    c->step_end_ms = t + c->cur_step_ms;
    return apush(&c->h, c->step_end_ms, EV_STEP, -1, c->ver);
}

static int bamboo_waiting(const art_ctx *c)
{
    int w = 0;
    for (int i = 0; i < c->n_ids; i++) w += c->state[i] == N_READY && c->slot[i] < 0;
    return w;
}

/* The node of slot k is gone: its predecessor in the pipeline takes its
** stage. 1 if that is fatal (either already runs two stages, or the
** predecessor is gone too). */
static int bamboo_take_over(art_ctx *c, int k)
{
    int S = c->prm->bamboo_stages;
    int p = k / S, i = k % S, pred = p * S + (i + S - 1) % S;
    c->slot_node[k] = -1;
    if (c->dd[k] || c->dd[pred] || c->slot_node[pred] < 0) return 1;
    c->dd[pred] = 1;
    c->overloaded++;
    return 0;
}

/* A removal while training: a running node's predecessor takes its stage.
** Fatal: the restart is booked, but training stops (the step in flight is
** lost, the slowdown gone) until a node becomes ready, which starts the
** global rendezvous (rule 15); the lost step is taken back out of useful and
** redundant (rule 17). Any other removal sets the slowdown; the first one
** since the pipelines were formed (running node, standby or one still
** starting) also adds half its remaining time to the step in flight: "plus
** half the failure-to-next-step time once" (RESILIENCE.md §6). */
static int bamboo_failover(art_ctx *c, double t, int k)
{
    if (k >= 0 && bamboo_take_over(c, k)) {
        c->out->fatal_failures++;
        c->out->acc_ms[ART_RESTART] += c->prm->bamboo_fatal_ms;
        /* the lost step is not booked (rule 17) */
        c->out->acc_ms[ART_USEFUL] -= c->prm->bamboo_useful_frac * c->booked_ms;
        c->out->acc_ms[ART_REDUNDANT] -= (1 - c->prm->bamboo_useful_frac) * c->booked_ms;
        c->booked_ms = 0;
        c->status = S_STOPPED;
        c->slow = 1;
        c->ver++;
        return 0;
    }
    int first = c->slow == 1;
    c->slow = c->prm->bamboo_slowdown;
    double rem = c->step_end_ms - t;
    if (!first || rem <= 0) return 0;
    c->ver++;
    c->step_end_ms += floor(rem / 2); /* whole milliseconds, as every step time */
    return apush(&c->h, c->step_end_ms, EV_STEP, -1, c->ver);
}

static int bamboo_event(art_ctx *c, const aev *e)
{
    art_result *o = c->out;
    int S = c->prm->bamboo_stages;
    switch (e->kind) {
    case EV_ADD:
        c->slot[e->node] = -1;
        c->add_seq[c->n_add_seq++] = e->node;
        return node_added(c, e);
    case EV_READY:
        if (c->state[e->node] != N_STARTING) return 0;
        c->state[e->node] = N_READY;
        c->slot[e->node] = -1;
        c->ready_seq[c->n_ready_seq++] = e->node;
        if (c->status == S_STOPPED && n_ready(c) >= S) return bamboo_rdv(c, e->t_ms, 1);
        return 0;
    case EV_RDV_GLOBAL:
    case EV_RDV_LOCAL:
        if (e->ver != c->ver) return 0;
        return bamboo_fresh(c, e->t_ms);
    case EV_REMOVE: {
        if (c->state[e->node] == N_ABSENT) return 0;
        int k = c->slot[e->node], was_listed = c->listed[e->node];
        c->state[e->node] = N_ABSENT;
        c->slot[e->node] = -1;
        c->listed[e->node] = 0;
        /* the step at the slowdown in force, in whole milliseconds: int(step * 1.5) */
        if (c->started) o->acc_ms[ART_FALLBACK] += floor(c->cur_step_ms * c->slow);
        if (c->status == S_RUNNING) return bamboo_failover(c, e->t_ms, k);
        /* the old pipelines stand until a rendezvous ends, or while stopped
        ** after a fatal failure: losing one of their nodes is checked as a
        ** failover (rules 13, 15); stopped, a fatal one is only counted */
        if (k >= 0 && bamboo_take_over(c, k)) {
            o->fatal_failures++;
            return c->status == S_RDV ? bamboo_rdv(c, e->t_ms, 1) : 0;
        }
        return c->status == S_RDV && was_listed ? bamboo_rdv(c, e->t_ms, c->rdv_global) : 0;
    }
    case EV_STEP: {
        if (e->ver != c->ver || c->status != S_RUNNING) return 0;
        o->steps_done++;
        c->last_ms = e->t_ms;
        int PS = c->P * S, over = c->overloaded, wait = bamboo_waiting(c);
        if ((over > 0 && wait >= over) || (PS - over > 0 && 2.0 * over / (PS - over) > 0.05) ||
            (PS - over + wait) / S > c->P)
            return bamboo_rdv(c, e->t_ms, 0);
        double st = floor(c->cur_step_ms * c->slow); /* int(step * 1.5) when slowed */
        c->booked_ms = st;
        o->acc_ms[ART_USEFUL] += c->prm->bamboo_useful_frac * st;
        o->acc_ms[ART_REDUNDANT] += (1 - c->prm->bamboo_useful_frac) * st;
        c->step_end_ms = e->t_ms + st;
        return apush(&c->h, c->step_end_ms, EV_STEP, -1, c->ver);
    }
    }
    return 0;
}

/* ---- driver ---------------------------------------------------------------------- */

int art_simulate(const oracle_table *tbl, int system, const char *model,
                 const fail_trace_line *lines, int n_lines, const art_params *prm,
                 art_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (system < 0 || system >= ART_N_SYSTEMS || n_lines < 1) {
        snprintf(err, errlen, "artifact replay: bad system or empty trace");
        return -1;
    }
    oracle_table_row r;
    if (oracle_table_lookup(tbl, art_system_names[system], model, 30, &r)) {
        oracle_table_unknown(tbl, art_system_names[system], model, err, errlen);
        return -1;
    }
    art_ctx c = {.tbl = tbl, .system = art_system_names[system], .sys = system, .model = model,
                 .prm = prm, .out = out, .batch = r.global_batch_samples, .slow = 1,
                 .burst_t_ms = -1, .rdv_trigger = -1,
                 .first_ms = system == ART_VARUNA ? -1 : 0, .v_ckpt_ms = r.ckpt_s * 1000};
    int rc = -1;
    for (int i = 0; i < n_lines; i++)
        if (lines[i].node + 1 > c.n_ids) c.n_ids = lines[i].node + 1;
    c.state = calloc((size_t)c.n_ids, 1);
    c.listed = calloc((size_t)c.n_ids, 1);
    c.slot = malloc((size_t)c.n_ids * sizeof *c.slot);
    c.add_seq = malloc((size_t)n_lines * sizeof *c.add_seq);
    c.ready_seq = malloc((size_t)n_lines * sizeof *c.ready_seq);
    c.h.cap = n_lines + 256;
    c.h.v = malloc((size_t)c.h.cap * sizeof *c.h.v);
    if (!c.state || !c.listed || !c.slot || !c.add_seq || !c.ready_seq || !c.h.v) goto done;
    for (int i = 0; i < c.n_ids; i++) c.slot[i] = -1;
    /* the trace in file order, heapified as one list (heapq.heapify) */
    for (int i = 0; i < n_lines; i++)
        c.h.v[c.h.n++] = (aev){.t_ms = floor(lines[i].t_s * 1000.0 + 0.5),
                               .kind = lines[i].add ? EV_ADD : EV_REMOVE, .node = lines[i].node};
    for (int i = c.h.n / 2 - 1; i >= 0; i--) sift_up(&c.h, i);
    double hard_ms = floor(lines[n_lines - 1].t_s * 1000.0 + 0.5);
    while (c.h.n > 0) {
        aev e = apop(&c.h);
        if (e.t_ms >= hard_ms) break;
        int x = system == ART_BAMBOO   ? bamboo_event(&c, &e)
                : system == ART_VARUNA ? varuna_event(&c, &e)
                                       : oobleck_event(&c, &e);
        if (x < 0) goto done;
        if (x > 0) break;
    }
    double span_s = (c.last_ms - c.first_ms) / 1000.0;
    if (out->steps_done < 0) out->steps_done = 0;
    if (system == ART_VARUNA) {
        /* time-weighted mean of the series: each point holds since the
        ** previous one, the first since the series' origin */
        double samples = 0;
        for (int i = 0; i < c.n_ser; i++)
            samples += c.ser_y[i] * (c.ser_x[i] - (i ? c.ser_x[i - 1] : c.first_ms)) / 1000.0;
        out->avg_samples_per_s = span_s > 0 ? samples / span_s : 0;
    } else {
        out->avg_samples_per_s =
            span_s > 0 && c.cur_step_ms > 0 ? out->steps_done * c.batch / span_s : 0;
    }
    rc = 0;
done:
    if (rc) snprintf(err, errlen, "out of memory");
    free(c.state);
    free(c.listed);
    free(c.slot);
    free(c.slot_node);
    free(c.dd);
    free(c.add_seq);
    free(c.ready_seq);
    free(c.h.v);
    free(c.ser_x);
    free(c.ser_y);
    return rc;
}
