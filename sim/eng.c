/*
** eng.c -- the iteration engine on SimGrid (engine layer). See eng.h.
**
** Actors and what they wait on (all waits are plain blocking calls: there are
** no failures inside an iteration; the run level handles failures between
** iterations, so the failure-safe patterns of SIMGRID-NOTES §3 are not needed):
**   stage actor (dev, cls)  op list -> for each op: wait for its input from
**                           another device (mailbox get), execute, run its TP
**                           collectives on the loopback, send its output
**                           (async put to a mailbox with a permanent receiver,
**                           so the transfer starts at once and occupies no
**                           device); post gradient buckets; at the end wait
**                           for the DP collectives, sync tied embeddings, step
**                           the optimizer.
**   DP actor (dev, cls)     waits until every class posted bucket k, exchanges
**                           the bucket's per-rank volume with its peer actor
**                           (or the next class's host), sleeps the latency
**                           steps; when every class is done, releases the
**                           stage actors (see dp_stream).
**   DP peer actor (dev, cls) on another replica's host: the other end.
** One inbox per (class, destination, source) keeps each source's transfers in
** FIFO order, so a receiver never waits behind a message that is still in
** flight while another has arrived.
*/
#include "eng.h"

#include "errmsg.h"

#include <simgrid/actor.h>
#include <simgrid/comm.h>
#include <simgrid/engine.h>
#include <simgrid/exec.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <simgrid/mailbox.h>
#include <simgrid/semaphore.h>
#include <xbt/config.h>
#include <xbt/dynar.h>
#include <xbt/asserts.h>
#include <xbt/log.h>

#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The dtsim root category (STYLE.md 8): DTSIM_SIMGRID_LOG=dtsim.thres:debug
** reaches every engine file's subcategory. */
XBT_LOG_NEW_CATEGORY(dtsim, "dtsim, the SimGrid side");
XBT_LOG_NEW_DEFAULT_SUBCATEGORY(dtsim_eng, dtsim, "dtsim iteration engine");

struct eng {
    const cfg_experiment *cfg; /* borrowed (outlives the engine): leaf layout */
    int n_hosts;
    int hosts_per_node;      /* TP groups per node */
    sg_host_t *hosts;        /* [n_hosts] resolved once, by index */
    int tp;
    double load_wall_s;
    void (*progress)(void *arg, int done, int total); /* eng_set_progress */
    void *progress_arg;
};

/* The process may hold one engine: SimGrid cannot be initialised twice. */
static int engine_created;

static double wall_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ======================================================================
** Engine creation: SimGrid init, platform
** ====================================================================== */

eng_t *eng_new(const cfg_experiment *e, int tp, const plat_speed_profile *profiles,
               int n_profiles, char *err, size_t errlen)
{
    if (engine_created) {
        errmsg_set(err, errlen, "internal error: one SimGrid engine per process");
        return NULL;
    }
    double t0 = wall_now();
    plat_info pi;
    if (plat_describe(e, tp, &pi, err, errlen)) return NULL;

    const char *tmp = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/dtsim-platform-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        errmsg_set(err, errlen, "cannot create a temporary platform file in %s",
                tmp && tmp[0] ? tmp : "/tmp");
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f || plat_write_xml(e, tp, profiles, n_profiles, f, err, errlen)) {
        if (f) fclose(f);
        else close(fd);
        unlink(path);
        return NULL;
    }
    fclose(f);

    eng_t *eng = calloc(1, sizeof *eng);
    if (!eng) {
        unlink(path);
        errmsg_set(err, errlen, "out of memory");
        return NULL;
    }
    engine_created = 1;
    int argc = 1;
    char arg0[] = "dtsim";
    char *argv[] = {arg0, NULL};
    simgrid_init(&argc, argv);
    const char *log = getenv("DTSIM_SIMGRID_LOG");
    xbt_log_control_set(log && log[0] ? log : "root.thres:critical");
    /* CM02: max-min sharing with no TCP correction factors (the links carry
    ** NCCL over NVLink/InfiniBand, whose efficiency is in the cluster spec);
    ** no reverse ACK traffic for the same reason. */
    sg_cfg_set_string("network/model", "CM02");
    sg_cfg_set_boolean("network/crosstraffic", "no");
    /* ASan cannot follow raw stack switching (SIMGRID-NOTES §6). */
    if (getenv("DTSIM_SANITIZE")) sg_cfg_set_string("contexts/factory", "thread");
    sg_cfg_set_double("surf/precision", 1e-9);
    sg_cfg_set_double("maxmin/precision", 1e-9);
    simgrid_load_platform(path);
    unlink(path);

    /* Resolve every host once, by its index in the name "h<i>". */
    eng->tp = tp;
    eng->cfg = e;
    eng->n_hosts = pi.n_hosts;
    eng->hosts_per_node = pi.hosts_per_node;
    eng->hosts = calloc((size_t)pi.n_hosts, sizeof *eng->hosts);
    size_t n_all = sg_host_count();
    sg_host_t *all = sg_host_list();
    for (size_t i = 0; eng->hosts && i < n_all; i++) {
        int idx;
        if (sscanf(sg_host_get_name(all[i]), "h%d", &idx) == 1 && idx >= 0 && idx < pi.n_hosts)
            eng->hosts[idx] = all[i];
    }
    free(all);
    for (int i = 0; eng->hosts && i < pi.n_hosts; i++)
        if (!eng->hosts[i]) {
            errmsg_set(err, errlen, "internal error: host h%d missing from the platform", i);
            eng_free(eng);
            return NULL;
        }
    if (!eng->hosts) {
        errmsg_set(err, errlen, "out of memory");
        eng_free(eng);
        return NULL;
    }
    eng->load_wall_s = wall_now() - t0;
    return eng;
}

void eng_free(eng_t *eng)
{
    if (!eng) return;
    free(eng->hosts);
    free(eng);
}

/* ======================================================================
** Degraded links
** ====================================================================== */

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return (x > y) - (x < y);
}

/* Append link 'pos' (negative: from the end) of the route src -> dst. */
static int route_link(const eng_t *eng, int src, int dst, int pos, sg_link_t **set, int *n,
                      int *cap)
{
    xbt_dynar_t links = xbt_dynar_new(sizeof(sg_link_t), NULL);
    sg_host_get_route(eng->hosts[src], eng->hosts[dst], links);
    int len = (int)xbt_dynar_length(links), at = pos < 0 ? len + pos : pos, rc = 0;
    if (at >= 0 && at < len) {
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 64;
            sg_link_t *grown = realloc(*set, (size_t)*cap * sizeof *grown);
            if (!grown) rc = -1;
            else *set = grown;
        }
        if (!rc) (*set)[(*n)++] = xbt_dynar_get_as(links, (unsigned long)at, sg_link_t);
    }
    xbt_dynar_free(&links);
    return rc;
}

/* The distinct links one factor names (see eng_scale_links). */
static int factor_links(const eng_t *eng, const plat_link_factor *f, sg_link_t **set, int *n,
                        int *cap)
{
    int k = eng->hosts_per_node, H = eng->n_hosts;
    if (f->kind == PLAT_LINK_NIC) {
        int other = ((f->index / k + 1) * k) % H; /* first host of the next node */
        if (other / k == f->index / k) return 0;
        return route_link(eng, f->index, other, 0, set, n, cap) ||
               route_link(eng, other, f->index, -1, set, n, cap);
    }
    /* every host of leaf 'index' to and from every host of the next leaf */
    int n_leaf = plat_n_leaves(eng->cfg);
    if (n_leaf < 2) return 0;
    int other_leaf = (f->index + 1) % n_leaf;
    for (int i = 0; i < H; i++) {
        if (plat_leaf_of_host(eng->cfg, eng->hosts_per_node, i) != f->index) continue;
        for (int j = 0; j < H; j++) {
            if (plat_leaf_of_host(eng->cfg, eng->hosts_per_node, j) != other_leaf) continue;
            if (route_link(eng, i, j, 1, set, n, cap) || route_link(eng, j, i, -2, set, n, cap))
                return -1;
        }
    }
    return 0;
}

void eng_set_progress(eng_t *eng, void (*fn)(void *arg, int done, int total), void *arg)
{
    eng->progress = fn;
    eng->progress_arg = arg;
}

int eng_scale_links(eng_t *eng, const plat_link_factor *f, int n, char *err, size_t errlen)
{
    for (int i = 0; i < n; i++) {
        int max = f[i].kind == PLAT_LINK_NIC ? eng->n_hosts : plat_n_leaves(eng->cfg);
        if (f[i].index < 0 || f[i].index >= max || !(f[i].factor > 0)) {
            errmsg_set(err, errlen, "internal error: link factor %d names %s %d of %d (factor %g)",
                    i, f[i].kind == PLAT_LINK_NIC ? "host" : "leaf", f[i].index, max, f[i].factor);
            return -1;
        }
        sg_link_t *set = NULL;
        int n_set = 0, cap = 0;
        if (factor_links(eng, &f[i], &set, &n_set, &cap)) {
            free(set);
            errmsg_set(err, errlen, "out of memory");
            return -1;
        }
        if (n_set > 1) qsort(set, (size_t)n_set, sizeof *set, cmp_ptr);
        for (int k = 0; k < n_set; k++)
            if (k == 0 || set[k] != set[k - 1])
                sg_link_set_bandwidth(set[k], sg_link_get_bandwidth(set[k]) * f[i].factor);
        free(set);
    }
    return 0;
}

/* ======================================================================
** Run context
** ====================================================================== */

typedef struct run_ctx run_ctx;

/* A pipeline transfer. The sender allocates it and keeps it in its pending
** list; the receiver marks it delivered; the sender then waits its comm
** (which returns at once). Waiting matters: in SimGrid 3.32 a comm that
** sg_comm_test() saw finished stays in the sender's activity list, which
** every later activity of that actor scans (measured: 9.5 s instead of
** 0.28 s for 4096 microbatches on 8 stages). Both sides hold a reference:
** with a permanent receiver the sender's wait can return before the
** receiver has read the message, so the last of the two frees it. */
typedef struct {
    int kind, mb, vs, iter;
    double sent_s;
    int delivered;
    int refs;
    sg_comm_t comm;
} xfer_msg;

static void xfer_release(xfer_msg *m)
{
    if (--m->refs == 0) free(m);
}

typedef struct {
    run_ctx *run;
    int dev, cls, host;
    double speed;              /* compute speed factor of this device in this class */
    const double *op_scale;    /* [n_iter * n_ops] duration factor of each op, or NULL */
    const double *pause_s;     /* [n_iter] stall after the last backward, or NULL */
    int n_ops_stride;          /* n_ops of the op_scale rows */
    tl_track *track;
    double *arrived;           /* [2][m][n_vs] arrival time of F / B inputs, NAN = not yet */
    double *sent;              /* [2][m][n_vs] when those inputs were sent */
    sg_mailbox_t *inbox;       /* [pp] from each source device (NULL if none) */
    sg_mailbox_t tp_box;       /* loopback mailbox for TP collectives */
    sg_mailbox_t emb_box;      /* tied-embedding gradients from the other end */
    xfer_msg **pending;        /* sends not yet known delivered */
    int n_pending, cap_pending;
    sg_sem_t dp_done;          /* one release per finished bucket */
    int *last_grad_op;         /* [v] index of the op that finishes chunk c's gradients */
} stage_actor;

/* The data-parallel stream of one (device, class): a DP actor on the class's
** host and a peer actor on another replica's host. Per bucket both send the
** ring's (or tree's) per-rank volume to each other, so the class host's NIC
** carries exactly its share of the collective in both directions while the
** other replicas, identical by symmetry, are not simulated. Each class gets
** a peer replica of its own that no other class uses (a host both in a class
** and a peer would carry two shares); when there are too few replicas for
** that (every replica its own class, with noise), the class hosts form the
** ring itself: class c sends to class c+1 and receives from c-1. */
typedef struct {
    run_ctx *run;
    int dev, cls, host, peer_host;
    sg_sem_t go;               /* one release per bucket ready for this class */
    sg_sem_t peer_go;          /* DP actor -> peer actor: start the bucket */
    sg_mailbox_t box, peer_box;
    tl_track *track;           /* class 0 only; NULL otherwise */
} dp_stream;

/* Per device: bucket bookkeeping shared by the classes. */
typedef struct {
    int *posted;               /* [iterations * n_buckets] classes that posted */
    int *finished;             /* [iterations * n_buckets] classes whose flows ended */
    int *queue, q_tail;        /* slots ready (all classes posted), in order */
    int *q_head;               /* [n_classes] next slot for each class's stream */
} dp_device;

struct run_ctx {
    eng_t *eng;
    const plan_t *p;
    int iterations, n_classes;
    int dp_ring;               /* DP streams exchange in a ring of class hosts */
    int *peer_replica;         /* [n_classes] replica of each class's DP peer */
    int *rep_replica;          /* [n_classes] replica simulated for each class */
    stage_actor *st;           /* [n_classes * pp] */
    dp_stream *dps;            /* [n_classes * pp] */
    dp_device *dpd;            /* [pp] */
    double t0;
};

static stage_actor *stage_of(run_ctx *r, int cls, int dev) { return &r->st[cls * r->p->pp + dev]; }
static dp_stream *stream_of(run_ctx *r, int cls, int dev) { return &r->dps[cls * r->p->pp + dev]; }

static tl_event *track_add(tl_track *t, int type, int chunk, int mb, int peer, int iter,
                           double start, double end, double bytes)
{
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 256;
        tl_event *ev = realloc(t->ev, (size_t)cap * sizeof *ev);
        xbt_assert(ev, "out of memory recording the timeline");
        t->ev = ev;
        t->cap = cap;
    }
    tl_event *e = &t->ev[t->n++];
    e->type = (uint8_t)type;
    e->chunk = (uint8_t)chunk;
    e->mb = mb;
    e->peer = peer;
    e->iter = iter;
    e->start_s = start;
    e->end_s = end;
    e->bytes = bytes;
    e->exposed_s = 0;
    return e;
}

static size_t arr_index(const plan_t *p, int kind, int mb, int vs)
{
    return ((size_t)kind * (size_t)p->m + (size_t)mb) * (size_t)p->n_vs + (size_t)vs;
}

/* The payload of transfers whose content does not matter (SimGrid refuses
** NULL); never written. */
static const int dummy_payload;
#define DUMMY_PAYLOAD ((void *)(uintptr_t)&dummy_payload)

/* Send 'bytes' to 'to' and receive the matching transfer on 'from' (both
** mailboxes have permanent receivers, so both flows run at once). */
static void exchange(sg_mailbox_t to, sg_mailbox_t from, double bytes)
{
    sg_comm_t c = sg_mailbox_put_async(to, DUMMY_PAYLOAD, (long)bytes);
    sg_mailbox_get(from);
    sg_comm_wait(c);
}

/* ======================================================================
** Stage actor
** ====================================================================== */

/* Block until input (kind, mb, vs) from device 'src' has arrived. */
static void wait_input(stage_actor *a, int src, int kind, int mb, int vs, int iter)
{
    const plan_t *p = a->run->p;
    double *slot = &a->arrived[arr_index(p, kind, mb, vs)];
    double t_wait = simgrid_get_clock();
    while (isnan(*slot)) {
        xfer_msg *msg = sg_mailbox_get(a->inbox[src]);
        double now = simgrid_get_clock();
        xbt_assert(msg->iter == iter, "transfer of iteration %d received in iteration %d",
                   msg->iter, iter);
        /* Abstract mode: a transfer is a pure delay from its send (the
        ** message itself moves instantly). Otherwise the data is usable when
        ** picked up; that is its arrival time whenever this actor was
        ** waiting for it, else it arrived earlier (the trace shows the span
        ** from send to pick-up). */
        size_t k = arr_index(p, msg->kind, msg->mb, msg->vs);
        double ready = p->abstract ? msg->sent_s + p->comm_delay_s : now;
        a->arrived[k] = ready;
        a->sent[k] = msg->sent_s;
        track_add(a->track, TL_EV_RECV, 0, msg->mb, src, iter, msg->sent_s, ready,
                  p->pp_bytes[msg->vs]);
        msg->delivered = 1;
        xfer_release(msg);
    }
    if (*slot > simgrid_get_clock()) sg_actor_sleep_until(*slot);
    double now = simgrid_get_clock();
    if (now > t_wait) {
        tl_event *ev = track_add(a->track, TL_EV_WAIT, 0, mb, src, iter, t_wait, now, 0);
        double from = a->sent[arr_index(p, kind, mb, vs)];
        ev->exposed_s = now - (from > t_wait ? from : t_wait);
    }
}

static void send_output(stage_actor *a, int dst_dev, int kind, int mb, int vs, int iter)
{
    run_ctx *r = a->run;
    const plan_t *p = r->p;
    stage_actor *dst = stage_of(r, a->cls, dst_dev);
    /* retire delivered sends (their wait returns at once) */
    int keep = 0;
    for (int i = 0; i < a->n_pending; i++) {
        if (a->pending[i]->delivered) {
            sg_comm_wait(a->pending[i]->comm);
            xfer_release(a->pending[i]);
        } else {
            a->pending[keep++] = a->pending[i];
        }
    }
    a->n_pending = keep;
    if (a->n_pending == a->cap_pending) {
        a->cap_pending = a->cap_pending ? 2 * a->cap_pending : 64;
        a->pending = realloc(a->pending, (size_t)a->cap_pending * sizeof *a->pending);
        xbt_assert(a->pending, "out of memory");
    }
    xfer_msg *msg = malloc(sizeof *msg);
    xbt_assert(msg, "out of memory");
    msg->kind = kind;
    msg->mb = mb;
    msg->vs = vs;
    msg->iter = iter;
    msg->sent_s = simgrid_get_clock();
    msg->delivered = 0;
    msg->refs = 2;
    a->pending[a->n_pending++] = msg;
    /* the host aggregates the TP group's NICs: t ranks' traffic */
    double bytes = p->abstract ? 0 : p->pp_bytes[vs] * p->tp;
    msg->comm = sg_mailbox_put_async(dst->inbox[a->dev], msg, (long)bytes);
    if (!p->pp_overlap && !p->abstract) {
        /* the send runs on the compute stream (Megatron without
        ** overlap_p2p_comm): the device waits until its data has left */
        double t0 = msg->sent_s;
        sg_comm_wait(msg->comm);
        a->n_pending--;
        xfer_release(msg);
        double now = simgrid_get_clock();
        if (now > t0) track_add(a->track, TL_EV_SEND, 0, mb, dst_dev, iter, t0, now, bytes / p->tp);
    }
}

/* Run 'seconds' of compute at this device's speed. */
static void compute(stage_actor *a, double seconds)
{
    if (seconds > 0) sg_actor_execute(seconds * PLAT_SPEED / a->speed);
}

/* Post gradient bucket 'k' of this device for this class. When every class
** has posted it, each class's DP stream may start it. */
static void post_bucket(stage_actor *a, int iter, int k)
{
    run_ctx *r = a->run;
    dp_device *dd = &r->dpd[a->dev];
    int slot = iter * r->p->n_buckets[a->dev] + k;
    if (++dd->posted[slot] == r->n_classes) {
        dd->queue[dd->q_tail++] = slot;
        for (int c = 0; c < r->n_classes; c++) sg_sem_release(stream_of(r, c, a->dev)->go);
    }
}

/* Execute op 'op' of this device. The op that completes a chunk's gradients
** runs in bucket-sized pieces when DP overlaps the backward, posting each
** bucket as its piece ends. TP collectives follow the compute on the
** loopback (their latency steps are added to the compute: the loopback
** carries nothing else, so nothing can overlap them), or run alongside it
** with tp_overlap. */
static void run_op(stage_actor *a, int op_idx, const sched_op *op, int iter)
{
    const plan_t *p = a->run->p;
    int vs = sched_vstage(&p->sched, a->dev, op->chunk);
    int n_colls = plan_op_tp_colls(p, a->dev, op);
    double sec = plan_op_s(p, a->dev, op);
    if (a->op_scale) sec *= a->op_scale[(size_t)iter * (size_t)a->n_ops_stride + (size_t)op_idx];
    sec += plan_tp_latency_s(p, n_colls);
    double vol = plan_tp_bytes(p, n_colls, p->tp_bytes[vs]);
    int nb = p->n_buckets[a->dev];
    int last_grad = nb > 0 && a->last_grad_op[op->chunk] == op_idx;
    int type = op->kind == SCHED_OP_F ? TL_EV_F : op->kind == SCHED_OP_B ? TL_EV_B : TL_EV_W;
    double t0 = simgrid_get_clock();
    if (p->tp_overlap && vol > 0 && !last_grad) {
        sg_exec_t ex = sg_actor_exec_init(sec * PLAT_SPEED / a->speed);
        sg_exec_start(ex);
        sg_comm_t c = sg_mailbox_put_async(a->tp_box, DUMMY_PAYLOAD, (long)vol);
        sg_mailbox_get(a->tp_box);
        sg_comm_wait(c);
        sg_exec_wait(ex);
        track_add(a->track, type, op->chunk, op->mb, -1, iter, t0, simgrid_get_clock(), 0);
        return;
    }
    if (last_grad && p->dp_overlap) {
        /* chunk c owns buckets [c*nb/v, (c+1)*nb/v) */
        int k0 = op->chunk * nb / p->v, k1 = (op->chunk + 1) * nb / p->v;
        int pieces = k1 > k0 ? k1 - k0 : 1;
        for (int i = 0; i < pieces; i++) {
            compute(a, sec / pieces);
            if (k0 + i < k1) post_bucket(a, iter, k0 + i);
        }
    } else {
        compute(a, sec);
    }
    track_add(a->track, type, op->chunk, op->mb, -1, iter, t0, simgrid_get_clock(), 0);
    if (vol > 0) {
        double t1 = simgrid_get_clock();
        exchange(a->tp_box, a->tp_box, vol);
        track_add(a->track, TL_EV_TP, 0, -1, -1, iter, t1, simgrid_get_clock(), vol);
    }
}

/* Find the op that completes each chunk's weight gradients: its last W when
** the backward is split, else its last B. */
static void find_last_grad_ops(stage_actor *a)
{
    const sched_t *s = &a->run->p->sched;
    int want = s->split_backward ? SCHED_OP_W : SCHED_OP_B;
    for (int c = 0; c < s->v; c++) a->last_grad_op[c] = -1;
    for (int i = 0; i < s->n_ops[a->dev]; i++)
        if (s->ops[a->dev][i].kind == want) a->last_grad_op[s->ops[a->dev][i].chunk] = i;
}

static void end_of_iteration(stage_actor *a, int iter)
{
    run_ctx *r = a->run;
    const plan_t *p = r->p;
    int nb = p->n_buckets[a->dev];
    if (a->pause_s && a->pause_s[iter] > 0) {
        /* a stall of this rank (garbage collection, ...) after its backward */
        double t0 = simgrid_get_clock();
        sg_actor_sleep_for(a->pause_s[iter]);
        track_add(a->track, TL_EV_GC, 0, -1, -1, iter, t0, simgrid_get_clock(), 0);
    }
    if (nb > 0) {
        if (!p->dp_overlap)
            for (int k = 0; k < nb; k++) post_bucket(a, iter, k);
        double t0 = simgrid_get_clock();
        for (int k = 0; k < nb; k++) sg_sem_acquire(a->dp_done);
        double t1 = simgrid_get_clock();
        if (t1 > t0) track_add(a->track, TL_EV_DP_WAIT, 0, -1, -1, iter, t0, t1, 0);
    }
    /* tied embeddings: the first and last devices all-reduce the embedding
    ** gradients (two ranks: each sends its S to the other) */
    if (p->embed_sync_bytes > 0 && (a->dev == 0 || a->dev == p->pp - 1)) {
        stage_actor *other = stage_of(r, a->cls, a->dev == 0 ? p->pp - 1 : 0);
        double t0 = simgrid_get_clock();
        exchange(other->emb_box, a->emb_box, p->embed_sync_bytes * p->tp);
        sg_actor_sleep_for(2 * p->dp_alpha_s);
        track_add(a->track, TL_EV_EMB, 0, -1, -1, iter, t0, simgrid_get_clock(),
                  p->embed_sync_bytes);
    }
    double t0 = simgrid_get_clock();
    compute(a, p->optimizer_s[a->dev]);
    track_add(a->track, TL_EV_OPT, 0, -1, -1, iter, t0, simgrid_get_clock(), 0);
}

static void stage_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    stage_actor *a = sg_actor_self_get_data();
    run_ctx *r = a->run;
    const plan_t *p = r->p;
    const sched_t *s = &p->sched;
    /* become the permanent receiver of every inbox, so sends start at once */
    for (int src = 0; src < p->pp; src++)
        if (a->inbox[src]) sg_mailbox_set_receiver(sg_mailbox_get_name(a->inbox[src]));
    sg_mailbox_set_receiver(sg_mailbox_get_name(a->tp_box));
    sg_mailbox_set_receiver(sg_mailbox_get_name(a->emb_box));
    find_last_grad_ops(a);
    size_t n_arr = 2 * (size_t)p->m * (size_t)p->n_vs;

    for (int iter = 0; iter < r->iterations; iter++) {
        for (size_t i = 0; i < n_arr; i++) a->arrived[i] = NAN;
        for (int i = 0; i < s->n_ops[a->dev]; i++) {
            const sched_op *op = &s->ops[a->dev][i];
            int vs = sched_vstage(s, a->dev, op->chunk), dev, chunk;
            /* D1/D2: inputs from another device */
            if (op->kind == SCHED_OP_F && vs > 0) {
                sched_locate(s, vs - 1, &dev, &chunk);
                if (dev != a->dev) wait_input(a, dev, SCHED_OP_F, op->mb, vs - 1, iter);
            } else if (op->kind == SCHED_OP_B && vs < p->n_vs - 1) {
                sched_locate(s, vs + 1, &dev, &chunk);
                if (dev != a->dev) wait_input(a, dev, SCHED_OP_B, op->mb, vs + 1, iter);
            }
            run_op(a, i, op, iter);
            /* outputs to another device */
            if (op->kind == SCHED_OP_F && vs < p->n_vs - 1) {
                sched_locate(s, vs + 1, &dev, &chunk);
                if (dev != a->dev) send_output(a, dev, SCHED_OP_F, op->mb, vs, iter);
            } else if (op->kind == SCHED_OP_B && vs > 0) {
                sched_locate(s, vs - 1, &dev, &chunk);
                if (dev != a->dev) send_output(a, dev, SCHED_OP_B, op->mb, vs, iter);
            }
        }
        end_of_iteration(a, iter);
        if (a->cls == 0 && a->dev == p->pp - 1 && r->eng->progress)
            r->eng->progress(r->eng->progress_arg, iter + 1, r->iterations);
    }
    for (int i = 0; i < a->n_pending; i++) {
        sg_comm_wait(a->pending[i]->comm);
        xfer_release(a->pending[i]);
    }
    a->n_pending = 0;
}

/* ======================================================================
** DP streams
** ====================================================================== */

static void dp_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    dp_stream *d = sg_actor_self_get_data();
    run_ctx *r = d->run;
    const plan_t *p = r->p;
    dp_device *dd = &r->dpd[d->dev];
    int nb = p->n_buckets[d->dev];
    double vol, lat;
    plan_dp_allreduce(p, p->grad_bytes[d->dev] / nb * p->tp, &vol, &lat);
    sg_mailbox_set_receiver(sg_mailbox_get_name(d->box));
    for (int n = 0; n < r->iterations * nb; n++) {
        sg_sem_acquire(d->go);
        int slot = dd->queue[dd->q_head[d->cls]++];
        double t0 = simgrid_get_clock();
        sg_mailbox_t to = d->peer_box;
        if (r->dp_ring) to = stream_of(r, (d->cls + 1) % r->n_classes, d->dev)->box;
        else sg_sem_release(d->peer_go);
        exchange(to, d->box, vol);
        sg_actor_sleep_for(lat);
        if (d->track)
            track_add(d->track, TL_EV_DP, 0, slot % nb, -1, slot / nb, t0, simgrid_get_clock(),
                      vol / p->tp);
        /* the collective ends when every class's share has moved */
        if (++dd->finished[slot] == r->n_classes)
            for (int c = 0; c < r->n_classes; c++) sg_sem_release(stage_of(r, c, d->dev)->dp_done);
    }
}

static void dp_peer_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    dp_stream *d = sg_actor_self_get_data();
    const plan_t *p = d->run->p;
    int nb = p->n_buckets[d->dev];
    double vol, lat;
    plan_dp_allreduce(p, p->grad_bytes[d->dev] / nb * p->tp, &vol, &lat);
    sg_mailbox_set_receiver(sg_mailbox_get_name(d->peer_box));
    for (int n = 0; n < d->run->iterations * nb; n++) {
        sg_sem_acquire(d->peer_go);
        exchange(d->box, d->peer_box, vol);
    }
}

/* The replica whose host exchanges with replica 'rep' in the DP proxy: the
** next one, or, when the DP group spans nodes, the first replica on another
** node, so that the traffic crosses the NICs as the ring's does. */
static int dp_peer_replica(const eng_t *eng, const plan_t *p, int rep)
{
    int per_node = eng->hosts_per_node;
    int step = p->dp > per_node ? per_node : 1;
    return (rep + step) % p->dp;
}

/* DP peers: class c's is dp_peer_replica(rep) when one class (the default
** path), else the first replica from there that is neither a class's
** representative nor another class's peer, preferring another node; the
** ring of class hosts when some class finds none. Returns 0 or -1 (OOM). */
static int pick_dp_peers(run_ctx *r)
{
    const plan_t *p = r->p;
    int dp = p->dp, nc = r->n_classes, k = r->eng->hosts_per_node;
    r->peer_replica = calloc((size_t)nc, sizeof *r->peer_replica);
    unsigned char *used = calloc((size_t)dp, 1);
    if (!r->peer_replica || !used) {
        free(used);
        return -1;
    }
    for (int c = 0; c < nc; c++) used[r->rep_replica[c]] = 1;
    for (int c = 0; c < nc && !r->dp_ring; c++) {
        int start = dp_peer_replica(r->eng, p, r->rep_replica[c]), pick = -1;
        if (nc == 1) pick = start;
        for (int pass = 0; pass < 2 && pick < 0; pass++)
            for (int j = 0; j < dp && pick < 0; j++) {
                int cand = (start + j) % dp;
                int other_node = p->host_of[cand] / k != p->host_of[r->rep_replica[c]] / k;
                if (!used[cand] && (pass == 1 || other_node)) pick = cand;
            }
        if (pick < 0) r->dp_ring = 1;
        else used[pick] = 1;
        r->peer_replica[c] = pick;
    }
    free(used);
    return 0;
}

/* ======================================================================
** Running a plan
** ====================================================================== */

static void free_run(run_ctx *r, int n_classes, int pp)
{
    if (r->st)
        for (int i = 0; i < n_classes * pp; i++) {
            stage_actor *a = &r->st[i];
            free(a->arrived);
            free(a->sent);
            free(a->inbox);
            free(a->last_grad_op);
            free(a->pending);
            if (a->dp_done) sg_sem_destroy(a->dp_done);
        }
    if (r->dps)
        for (int i = 0; i < n_classes * pp; i++) {
            if (r->dps[i].go) sg_sem_destroy(r->dps[i].go);
            if (r->dps[i].peer_go) sg_sem_destroy(r->dps[i].peer_go);
        }
    if (r->dpd)
        for (int d = 0; d < pp; d++) {
            free(r->dpd[d].posted);
            free(r->dpd[d].finished);
            free(r->dpd[d].queue);
            free(r->dpd[d].q_head);
        }
    free(r->st);
    free(r->dps);
    free(r->dpd);
    free(r->rep_replica);
    free(r->peer_replica);
}

static void start_actor(eng_t *eng, int host, const char *name, void (*fn)(int, char **),
                        void *data)
{
    sg_actor_t act = sg_actor_init(name, eng->hosts[host]);
    sg_actor_set_data(act, data);
    sg_actor_start(act, fn, 0, NULL);
}

/* Allocate and wire the actors' contexts. Returns 0 or -1 (out of memory). */
static int setup_run(run_ctx *r, tl_result *out, const int *class_of, const double *speed,
                     const tl_classes *cl)
{
    const plan_t *p = r->p;
    int pp = p->pp, dp = p->dp, nc = r->n_classes;
    char name[96];
    r->rep_replica = calloc((size_t)nc, sizeof *r->rep_replica);
    r->st = calloc((size_t)nc * (size_t)pp, sizeof *r->st);
    r->dps = calloc((size_t)nc * (size_t)pp, sizeof *r->dps);
    r->dpd = calloc((size_t)pp, sizeof *r->dpd);
    if (!r->rep_replica || !r->st || !r->dps || !r->dpd) return -1;
    for (int rep = dp - 1; rep >= 0; rep--) r->rep_replica[class_of[rep]] = rep;
    if (cl && cl->rep_replica)
        memcpy(r->rep_replica, cl->rep_replica, (size_t)nc * sizeof *r->rep_replica);
    if (pick_dp_peers(r)) return -1;

    size_t n_arr = 2 * (size_t)p->m * (size_t)p->n_vs;
    for (int c = 0; c < nc; c++)
        for (int d = 0; d < pp; d++) {
            stage_actor *a = stage_of(r, c, d);
            a->run = r;
            a->dev = d;
            a->cls = c;
            a->host = p->host_of[d * dp + r->rep_replica[c]];
            a->speed = speed[c * pp + d];
            if (cl && cl->op_scale) {
                a->n_ops_stride = cl->n_ops;
                a->op_scale = cl->op_scale + (size_t)(c * pp + d) * (size_t)cl->n_iter *
                                                 (size_t)cl->n_ops;
            }
            if (cl && cl->pause_s) a->pause_s = cl->pause_s + (size_t)(c * pp + d) * (size_t)cl->n_iter;
            a->track = &out->tracks[c * pp + d];
            a->track->dev = d;
            a->track->cls = c;
            a->arrived = malloc(n_arr * sizeof *a->arrived);
            a->sent = malloc(n_arr * sizeof *a->sent);
            a->inbox = calloc((size_t)pp, sizeof *a->inbox);
            a->last_grad_op = calloc((size_t)p->v, sizeof *a->last_grad_op);
            if (!a->arrived || !a->sent || !a->inbox || !a->last_grad_op) return -1;
            a->dp_done = sg_sem_init(0);
            snprintf(name, sizeof name, "tp.%d.%d", c, d);
            a->tp_box = sg_mailbox_by_name(name);
            snprintf(name, sizeof name, "emb.%d.%d", c, d);
            a->emb_box = sg_mailbox_by_name(name);
        }
    /* inboxes: one per (class, destination, source) actually used */
    const sched_t *s = &p->sched;
    for (int c = 0; c < nc; c++)
        for (int d = 0; d < pp; d++)
            for (int i = 0; i < s->n_ops[d]; i++) {
                const sched_op *op = &s->ops[d][i];
                int vs = sched_vstage(s, d, op->chunk), dst = -1, chunk;
                if (op->kind == SCHED_OP_F && vs < p->n_vs - 1) sched_locate(s, vs + 1, &dst, &chunk);
                if (op->kind == SCHED_OP_B && vs > 0) sched_locate(s, vs - 1, &dst, &chunk);
                if (dst < 0 || dst == d) continue;
                stage_actor *b = stage_of(r, c, dst);
                if (!b->inbox[d]) {
                    snprintf(name, sizeof name, "in.%d.%d.%d", c, dst, d);
                    b->inbox[d] = sg_mailbox_by_name(name);
                }
            }
    for (int d = 0; d < pp; d++) {
        tl_track *t = &out->tracks[nc * pp + d];
        t->dev = d;
        t->cls = -1;
        int nb = p->n_buckets[d];
        if (nb == 0) continue;
        dp_device *dd = &r->dpd[d];
        size_t slots = (size_t)r->iterations * (size_t)nb;
        dd->posted = calloc(slots, sizeof *dd->posted);
        dd->finished = calloc(slots, sizeof *dd->finished);
        dd->queue = calloc(slots, sizeof *dd->queue);
        dd->q_head = calloc((size_t)nc, sizeof *dd->q_head);
        if (!dd->posted || !dd->finished || !dd->queue || !dd->q_head) return -1;
        for (int c = 0; c < nc; c++) {
            dp_stream *ds = stream_of(r, c, d);
            ds->run = r;
            ds->dev = d;
            ds->cls = c;
            ds->host = stage_of(r, c, d)->host;
            ds->peer_host = r->dp_ring ? ds->host : p->host_of[d * dp + r->peer_replica[c]];
            ds->go = sg_sem_init(0);
            ds->peer_go = sg_sem_init(0);
            snprintf(name, sizeof name, "dp.%d.%d", c, d);
            ds->box = sg_mailbox_by_name(name);
            snprintf(name, sizeof name, "dppeer.%d.%d", c, d);
            ds->peer_box = sg_mailbox_by_name(name);
            ds->track = c == 0 ? t : NULL;
        }
    }
    return 0;
}

int eng_run(eng_t *eng, const plan_t *p, const tl_classes *classes, int iterations,
            int exploit_symmetry, tl_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (iterations < 1) iterations = 1;
    int pp = p->pp, dp = p->dp;
    for (int i = 0; i < pp * dp; i++)
        if (p->host_of[i] >= eng->n_hosts) {
            errmsg_set(err, errlen, "internal error: plan uses host %d of %d", p->host_of[i],
                    eng->n_hosts);
            return -1;
        }

    /* Replica classes: given, or one (symmetry), or one per replica. */
    int n_classes = 0;
    int *class_of = calloc((size_t)dp, sizeof *class_of);
    double *speed = NULL;
    run_ctx r;
    memset(&r, 0, sizeof r);
    if (!class_of) goto oom;
    if (classes) {
        int max_ops = 0;
        for (int d = 0; d < pp; d++)
            if (p->sched.n_ops[d] > max_ops) max_ops = p->sched.n_ops[d];
        if ((classes->op_scale || classes->pause_s) &&
            (classes->n_iter < iterations || (classes->op_scale && classes->n_ops < max_ops))) {
            errmsg_set(err, errlen, "internal error: per-op slowness built for %d iterations of "
                    "%d ops, run has %d of %d", classes->n_iter, classes->n_ops, iterations,
                    max_ops);
            free(class_of);
            return -1;
        }
        n_classes = classes->n_classes;
        memcpy(class_of, classes->class_of_replica, (size_t)dp * sizeof *class_of);
    } else if (exploit_symmetry) {
        n_classes = 1;
    } else {
        n_classes = dp;
        for (int rep = 0; rep < dp; rep++) class_of[rep] = rep;
    }
    speed = malloc((size_t)n_classes * (size_t)pp * sizeof *speed);
    if (!speed) goto oom;
    for (int i = 0; i < n_classes * pp; i++) speed[i] = classes ? classes->speed[i] : 1.0;

    r.eng = eng;
    r.p = p;
    r.iterations = iterations;
    r.n_classes = n_classes;
    out->n_tracks = n_classes * pp + pp;
    out->tracks = calloc((size_t)out->n_tracks, sizeof *out->tracks);
    out->iter_end_s = calloc((size_t)iterations, sizeof *out->iter_end_s);
    if (!out->tracks || !out->iter_end_s || setup_run(&r, out, class_of, speed, classes))
        goto oom;

    /* Actors: context attached before start (SimGrid 3.32 C API). */
    r.t0 = simgrid_get_clock();
    long n_actors = 0;
    char name[64];
    for (int c = 0; c < n_classes; c++)
        for (int d = 0; d < pp; d++) {
            snprintf(name, sizeof name, "stage%d.c%d", d, c);
            start_actor(eng, stage_of(&r, c, d)->host, name, stage_main, stage_of(&r, c, d));
            n_actors++;
            if (p->n_buckets[d] == 0) continue;
            dp_stream *ds = stream_of(&r, c, d);
            snprintf(name, sizeof name, "dp%d.c%d", d, c);
            start_actor(eng, ds->host, name, dp_main, ds);
            n_actors++;
            if (r.dp_ring) continue;
            snprintf(name, sizeof name, "dppeer%d.c%d", d, c);
            start_actor(eng, ds->peer_host, name, dp_peer_main, ds);
            n_actors++;
        }
    double w0 = wall_now();
    simgrid_run();
    out->wall_s = wall_now() - w0;
    out->load_wall_s = eng->load_wall_s;
    out->n_actors = n_actors;
    out->first_start_s = r.t0;
    out->iterations = iterations;
    out->pp = pp;
    out->n_classes = n_classes;

    /* Iteration ends: the last optimizer step of each iteration. */
    int complete = 1;
    for (int i = 0; i < n_classes * pp; i++) {
        tl_track *t = &out->tracks[i];
        int steps = 0;
        for (int k = 0; k < t->n; k++)
            if (t->ev[k].type == TL_EV_OPT) {
                steps++;
                double end = t->ev[k].end_s - r.t0;
                if (end > out->iter_end_s[t->ev[k].iter]) out->iter_end_s[t->ev[k].iter] = end;
            }
        if (steps != iterations) complete = 0;
    }
    out->iteration_s = out->iter_end_s[iterations - 1] / iterations;
    for (int i = 0; i < out->n_tracks; i++)
        for (int k = 0; k < out->tracks[i].n; k++) {
            out->tracks[i].ev[k].start_s -= r.t0;
            out->tracks[i].ev[k].end_s -= r.t0;
        }
    free_run(&r, n_classes, pp);
    free(class_of);
    free(speed);
    if (!complete) {
        errmsg_set(err, errlen, "internal error: the simulation stopped before every device "
                "finished (deadlock in the engine)");
        tl_result_free(out);
        return -1;
    }
    return 0;

oom:
    free_run(&r, n_classes, pp);
    free(class_of);
    free(speed);
    tl_result_free(out);
    errmsg_set(err, errlen, "out of memory");
    return -1;
}
