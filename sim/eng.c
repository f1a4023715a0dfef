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
**   DP actor (dev)          waits until every class posted bucket k, runs the
**                           bucket's collective as one L07 ptask over the DP
**                           group's hosts, releases the stage actors.
** One inbox per (class, destination, source) keeps each source's transfers in
** FIFO order, so a receiver never waits behind a message that is still in
** flight while another has arrived.
*/
#include "eng.h"

#include <simgrid/actor.h>
#include <simgrid/comm.h>
#include <simgrid/engine.h>
#include <simgrid/exec.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <simgrid/semaphore.h>
#include <xbt/config.h>
#include <xbt/asserts.h>
#include <xbt/log.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

XBT_LOG_NEW_DEFAULT_CATEGORY(dtsim_eng, "dtsim iteration engine");

struct eng {
    int n_hosts;
    sg_host_t *hosts;        /* [n_hosts] resolved once, by index */
    int tp;
    double load_wall_s;
};

/* The process may hold one engine: SimGrid cannot be initialised twice. */
static int engine_created;

static double wall_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void set_err(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}

/* ======================================================================
** Engine creation: SimGrid init, platform
** ====================================================================== */

eng_t *eng_new(const cfg_experiment *e, int tp, const plat_speed_profile *profiles,
               int n_profiles, char *err, size_t errlen)
{
    if (engine_created) {
        set_err(err, errlen, "internal error: one SimGrid engine per process");
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
        set_err(err, errlen, "cannot create a temporary platform file in %s",
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
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    engine_created = 1;
    int argc = 1;
    char arg0[] = "dtsim";
    char *argv[] = {arg0, NULL};
    simgrid_init(&argc, argv);
    const char *log = getenv("DTSIM_SIMGRID_LOG");
    xbt_log_control_set(log && log[0] ? log : "root.thres:critical");
    sg_cfg_set_string("host/model", "ptask_L07");
    /* ASan cannot follow raw stack switching (SIMGRID-NOTES §6). */
    if (getenv("DTSIM_SANITIZE")) sg_cfg_set_string("contexts/factory", "thread");
    sg_cfg_set_double("surf/precision", 1e-9);
    sg_cfg_set_double("maxmin/precision", 1e-9);
    simgrid_load_platform(path);
    unlink(path);

    /* Resolve every host once, by its index in the name "h<i>". */
    eng->tp = tp;
    eng->n_hosts = pi.n_hosts;
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
            set_err(err, errlen, "internal error: host h%d missing from the platform", i);
            eng_free(eng);
            return NULL;
        }
    if (!eng->hosts) {
        set_err(err, errlen, "out of memory");
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
** Run context
** ====================================================================== */

typedef struct run_ctx run_ctx;

/* A pipeline transfer in flight; the sender allocates, the receiver frees. */
typedef struct {
    int kind, mb, vs, iter;
    double sent_s;
} xfer_msg;

typedef struct {
    run_ctx *run;
    int dev, cls, host;
    double speed;              /* compute speed factor of this device in this class */
    eng_track *track;
    double *arrived;           /* [2][m][n_vs] arrival time of F / B inputs, NAN = not yet */
    double *sent;              /* [2][m][n_vs] when those inputs were sent */
    sg_mailbox_t *inbox;       /* [pp] from each source device (NULL if none) */
    sg_mailbox_t tp_box;       /* loopback mailbox for TP collectives */
    sg_comm_t *pending;        /* outstanding sends, waited at the end */
    int n_pending, cap_pending;
    sg_sem_t dp_done;          /* one release per finished bucket */
    sg_sem_t emb_ready, emb_done;
    int *last_grad_op;         /* [v] index of the op that finishes chunk c's gradients */
} stage_actor;

typedef struct {
    run_ctx *run;
    int dev;
    sg_sem_t ready;            /* one release per (bucket, class) posting */
    int *posted;               /* [iterations * n_buckets] classes that posted */
    int *queue, q_head, q_tail;
    sg_host_t *hosts;          /* [dp] the DP group's hosts */
    eng_track *track;
} dp_actor;

struct run_ctx {
    eng_t *eng;
    const plan_t *p;
    int iterations, n_classes;
    int *rep_replica;          /* [n_classes] replica simulated for each class */
    stage_actor *st;           /* [n_classes * pp] */
    dp_actor *dp;              /* [pp] */
    double t0;
};

static stage_actor *stage_of(run_ctx *r, int cls, int dev) { return &r->st[cls * r->p->pp + dev]; }

static eng_event *track_add(eng_track *t, int type, int chunk, int mb, int peer, int iter,
                            double start, double end, double bytes)
{
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 256;
        eng_event *ev = realloc(t->ev, (size_t)cap * sizeof *ev);
        xbt_assert(ev, "out of memory recording the timeline");
        t->ev = ev;
        t->cap = cap;
    }
    eng_event *e = &t->ev[t->n++];
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
        a->arrived[arr_index(p, msg->kind, msg->mb, msg->vs)] = now + p->comm_delay_s;
        a->sent[arr_index(p, msg->kind, msg->mb, msg->vs)] = msg->sent_s;
        track_add(a->track, ENG_EV_RECV, 0, msg->mb, src, iter, msg->sent_s,
                  now + p->comm_delay_s, p->pp_bytes[msg->vs]);
        free(msg);
    }
    if (*slot > simgrid_get_clock()) sg_actor_sleep_until(*slot);
    double now = simgrid_get_clock();
    if (now > t_wait) {
        eng_event *ev = track_add(a->track, ENG_EV_WAIT, 0, mb, src, iter, t_wait, now, 0);
        double from = a->sent[arr_index(p, kind, mb, vs)];
        ev->exposed_s = now - (from > t_wait ? from : t_wait);
    }
}

static void send_output(stage_actor *a, int dst_dev, int kind, int mb, int vs, int iter)
{
    run_ctx *r = a->run;
    const plan_t *p = r->p;
    stage_actor *dst = stage_of(r, a->cls, dst_dev);
    xfer_msg *msg = malloc(sizeof *msg);
    xbt_assert(msg, "out of memory");
    msg->kind = kind;
    msg->mb = mb;
    msg->vs = vs;
    msg->iter = iter;
    msg->sent_s = simgrid_get_clock();
    /* the host aggregates the TP group's NICs: t ranks' traffic */
    double bytes = p->abstract ? 0 : p->pp_bytes[vs] * p->tp;
    if (a->n_pending == a->cap_pending) {
        a->cap_pending = a->cap_pending ? 2 * a->cap_pending : 64;
        a->pending = realloc(a->pending, (size_t)a->cap_pending * sizeof *a->pending);
        xbt_assert(a->pending, "out of memory");
    }
    a->pending[a->n_pending++] = sg_mailbox_put_async(dst->inbox[a->dev], msg, (long)bytes);
}

/* Run 'seconds' of compute at this device's speed. */
static void compute(stage_actor *a, double seconds)
{
    if (seconds > 0) sg_actor_execute(seconds * PLAT_SPEED / a->speed);
}

/* The TP collectives of an op: 'n' ring all-reduces of 'bytes' each over the
** TP group: 2(t-1)/t * bytes per collective through one GPU's NVLink (the
** loopback), plus 2(t-1) latency steps each. */
static void tp_collectives(stage_actor *a, int n, double bytes, int iter)
{
    const plan_t *p = a->run->p;
    if (n <= 0 || p->tp <= 1 || bytes <= 0) return;
    double t0 = simgrid_get_clock();
    double vol = n * 2.0 * (p->tp - 1) / p->tp * bytes;
    sg_comm_t c = sg_mailbox_put_async(a->tp_box, NULL, (long)vol);
    sg_mailbox_get(a->tp_box);
    sg_comm_wait(c);
    sg_actor_sleep_for(n * 2.0 * (p->tp - 1) * p->tp_alpha_s);
    track_add(a->track, ENG_EV_TP, 0, -1, -1, iter, t0, simgrid_get_clock(), vol);
}

/* Post gradient bucket 'k' of this device to its DP actor. */
static void post_bucket(stage_actor *a, int iter, int k)
{
    dp_actor *d = &a->run->dp[a->dev];
    int nb = a->run->p->n_buckets[a->dev];
    int slot = iter * nb + k;
    if (++d->posted[slot] == a->run->n_classes) d->queue[d->q_tail++] = slot;
    sg_sem_release(d->ready);
}

/* Execute op 'op' of this device, splitting it into bucket-sized pieces when
** it is the op that completes a chunk's gradients and DP overlaps. */
static void run_op(stage_actor *a, int op_idx, const sched_op *op, int iter)
{
    const plan_t *p = a->run->p;
    double sec = plan_op_s(p, a->dev, op);
    int vs = sched_vstage(&p->sched, a->dev, op->chunk);
    int nb = p->n_buckets[a->dev];
    int last_grad = a->last_grad_op[op->chunk] == op_idx && nb > 0;
    int type = op->kind == SCHED_OP_F ? ENG_EV_F : op->kind == SCHED_OP_B ? ENG_EV_B : ENG_EV_W;
    double t0 = simgrid_get_clock();
    int n_colls = plan_op_tp_colls(p, a->dev, op);
    if (p->tp_overlap && n_colls > 0 && p->tp > 1 && !last_grad) {
        /* compute and TP traffic in flight together: the op lasts their max */
        double vol = n_colls * 2.0 * (p->tp - 1) / p->tp * p->tp_bytes[vs];
        sg_exec_t ex = sg_actor_exec_init(sec * PLAT_SPEED / a->speed);
        sg_exec_start(ex);
        sg_comm_t c = sg_mailbox_put_async(a->tp_box, NULL, (long)vol);
        sg_mailbox_get(a->tp_box);
        sg_comm_wait(c);
        sg_exec_wait(ex);
        track_add(a->track, type, op->chunk, op->mb, -1, iter, t0, simgrid_get_clock(), 0);
        return;
    }
    if (last_grad && p->dp_overlap) {
        /* buckets of this chunk become ready as the backward walks the layers */
        int k0 = op->chunk * nb / p->v, k1 = (op->chunk + 1) * nb / p->v;
        int pieces = k1 - k0 > 0 ? k1 - k0 : 1;
        for (int k = k0; k < k0 + pieces; k++) {
            compute(a, sec / pieces);
            if (k < k1) post_bucket(a, iter, k);
        }
    } else {
        compute(a, sec);
    }
    track_add(a->track, type, op->chunk, op->mb, -1, iter, t0, simgrid_get_clock(), 0);
    tp_collectives(a, n_colls, p->tp_bytes[vs], iter);
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
    if (nb > 0) {
        if (!p->dp_overlap)
            for (int k = 0; k < nb; k++) post_bucket(a, iter, k);
        double t0 = simgrid_get_clock();
        for (int k = 0; k < nb; k++) sg_sem_acquire(a->dp_done);
        double t1 = simgrid_get_clock();
        if (t1 > t0) track_add(a->track, ENG_EV_DP_WAIT, 0, -1, -1, iter, t0, t1, 0);
    }
    /* tied embeddings: first and last device all-reduce the embedding grads */
    if (p->embed_sync_bytes > 0 && (a->dev == 0 || a->dev == p->pp - 1)) {
        stage_actor *first = stage_of(r, a->cls, 0), *last = stage_of(r, a->cls, p->pp - 1);
        double t0 = simgrid_get_clock();
        if (a->dev == p->pp - 1) {
            sg_sem_release(first->emb_ready);
            sg_sem_acquire(last->emb_done);
        } else {
            sg_sem_acquire(first->emb_ready);
            sg_host_t h[2] = {r->eng->hosts[first->host], r->eng->hosts[last->host]};
            double flops[2] = {0, 0};
            double s = p->embed_sync_bytes * p->tp;
            double bytes[4] = {0, s, s, 0};
            sg_actor_parallel_execute(2, h, flops, bytes);
            sg_actor_sleep_for(2 * p->dp_alpha_s);
            sg_sem_release(last->emb_done);
        }
        track_add(a->track, ENG_EV_EMB, 0, -1, -1, iter, t0, simgrid_get_clock(),
                  p->embed_sync_bytes);
    }
    double t0 = simgrid_get_clock();
    compute(a, p->optimizer_s[a->dev]);
    track_add(a->track, ENG_EV_OPT, 0, -1, -1, iter, t0, simgrid_get_clock(), 0);
}

static void stage_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    stage_actor *a = sg_actor_self_get_data();
    run_ctx *r = a->run;
    const plan_t *p = r->p;
    const sched_t *s = &p->sched;
    char name[96];
    /* become the permanent receiver of every inbox, so sends start at once */
    for (int src = 0; src < p->pp; src++) {
        if (!a->inbox[src]) continue;
        snprintf(name, sizeof name, "in.%d.%d.%d", a->cls, a->dev, src);
        sg_mailbox_set_receiver(name);
    }
    snprintf(name, sizeof name, "tp.%d.%d", a->cls, a->dev);
    sg_mailbox_set_receiver(name);
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
    }
    for (int i = 0; i < a->n_pending; i++) sg_comm_wait(a->pending[i]);
    a->n_pending = 0;
}

/* ======================================================================
** DP actor
** ====================================================================== */

/* One bucket's collective over the DP group: a ring all-reduce puts
** 2(k-1)/k * S on each host's link to its right neighbour; a tree (NCCL's
** double binary tree, bandwidth-equivalent to one tree carrying S per edge
** each way) sends S up and down every parent-child edge. The 2(k-1)
** (ring) or 2*log2(k) (tree) latency steps are added analytically. */
static void dp_collective(dp_actor *d, double bytes_per_host)
{
    const plan_t *p = d->run->p;
    int k = p->dp;
    double *flops = calloc((size_t)k, sizeof *flops);
    double *mat = calloc((size_t)k * (size_t)k, sizeof *mat);
    xbt_assert(flops && mat, "out of memory");
    double ring_s = 2.0 * (k - 1) * p->dp_alpha_s;
    double tree_s = 2.0 * ceil(log2((double)k)) * p->dp_alpha_s;
    double bw = p->dp_host_bytes_per_s;
    int use_tree = p->dp_algorithm == COLL_TREE ||
                   (p->dp_algorithm == COLL_AUTO && k > 2 &&
                    tree_s + 2 * bytes_per_host / bw < ring_s + 2.0 * (k - 1) / k * bytes_per_host / bw);
    if (use_tree) {
        for (int i = 1; i < k; i++) {
            int parent = (i - 1) / 2;
            mat[i * k + parent] = bytes_per_host;
            mat[parent * k + i] = bytes_per_host;
        }
    } else {
        for (int i = 0; i < k; i++) mat[i * k + (i + 1) % k] = 2.0 * (k - 1) / k * bytes_per_host;
    }
    sg_actor_parallel_execute(k, d->hosts, flops, mat);
    sg_actor_sleep_for(use_tree ? tree_s : ring_s);
    free(flops);
    free(mat);
}

static void dp_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    dp_actor *d = sg_actor_self_get_data();
    run_ctx *r = d->run;
    const plan_t *p = r->p;
    int nb = p->n_buckets[d->dev];
    double bytes = p->grad_bytes[d->dev] / nb * p->tp;
    int total = r->iterations * nb;
    for (int done = 0; done < total;) {
        while (d->q_head == d->q_tail) sg_sem_acquire(d->ready);
        int slot = d->queue[d->q_head++];
        double t0 = simgrid_get_clock();
        dp_collective(d, bytes);
        track_add(d->track, ENG_EV_DP, 0, slot % nb, -1, slot / nb, t0, simgrid_get_clock(),
                  bytes / p->tp);
        for (int c = 0; c < r->n_classes; c++) sg_sem_release(stage_of(r, c, d->dev)->dp_done);
        done++;
    }
}

/* ======================================================================
** Running a plan
** ====================================================================== */

void eng_result_free(eng_result *res)
{
    if (!res) return;
    for (int i = 0; i < res->n_tracks; i++) free(res->tracks[i].ev);
    free(res->tracks);
    free(res->iter_end_s);
    memset(res, 0, sizeof *res);
}

int eng_run(eng_t *eng, const plan_t *p, const eng_classes *classes, int iterations,
            int exploit_symmetry, eng_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (iterations < 1) iterations = 1;
    int pp = p->pp, dp = p->dp;
    for (int i = 0; i < pp * dp; i++)
        if (p->host_of[i] >= eng->n_hosts) {
            set_err(err, errlen, "internal error: plan uses host %d of %d", p->host_of[i],
                    eng->n_hosts);
            return -1;
        }

    /* Replica classes: given, or one (symmetry), or one per replica. */
    int n_classes;
    int *class_of = calloc((size_t)dp, sizeof *class_of);
    double *speed = NULL;
    if (!class_of) goto oom;
    if (classes) {
        n_classes = classes->n_classes;
        memcpy(class_of, classes->class_of_replica, (size_t)dp * sizeof *class_of);
    } else if (exploit_symmetry) {
        n_classes = 1;
    } else {
        n_classes = dp;
        for (int r = 0; r < dp; r++) class_of[r] = r;
    }
    speed = malloc((size_t)n_classes * (size_t)pp * sizeof *speed);
    if (!speed) goto oom;
    for (int i = 0; i < n_classes * pp; i++) speed[i] = classes ? classes->speed[i] : 1.0;

    run_ctx r;
    memset(&r, 0, sizeof r);
    r.eng = eng;
    r.p = p;
    r.iterations = iterations;
    r.n_classes = n_classes;
    r.rep_replica = calloc((size_t)n_classes, sizeof *r.rep_replica);
    r.st = calloc((size_t)n_classes * (size_t)pp, sizeof *r.st);
    r.dp = calloc((size_t)pp, sizeof *r.dp);
    out->n_tracks = n_classes * pp + pp;
    out->tracks = calloc((size_t)out->n_tracks, sizeof *out->tracks);
    out->iter_end_s = calloc((size_t)iterations, sizeof *out->iter_end_s);
    if (!r.rep_replica || !r.st || !r.dp || !out->tracks || !out->iter_end_s) goto oom_run;
    for (int c = 0; c < n_classes; c++) r.rep_replica[c] = -1;
    for (int rep = dp - 1; rep >= 0; rep--) r.rep_replica[class_of[rep]] = rep;

    /* Which device sends to which: sources of each device's inputs. */
    const sched_t *s = &p->sched;
    size_t n_arr = 2 * (size_t)p->m * (size_t)p->n_vs;
    for (int c = 0; c < n_classes; c++)
        for (int d = 0; d < pp; d++) {
            stage_actor *a = stage_of(&r, c, d);
            a->run = &r;
            a->dev = d;
            a->cls = c;
            a->host = p->host_of[d * dp + r.rep_replica[c]];
            a->speed = speed[c * pp + d];
            a->track = &out->tracks[c * pp + d];
            a->track->dev = d;
            a->track->cls = c;
            a->arrived = malloc(n_arr * sizeof *a->arrived);
            a->sent = malloc(n_arr * sizeof *a->sent);
            a->inbox = calloc((size_t)pp, sizeof *a->inbox);
            a->last_grad_op = calloc((size_t)p->v, sizeof *a->last_grad_op);
            if (!a->arrived || !a->sent || !a->inbox || !a->last_grad_op) goto oom_run;
            a->dp_done = sg_sem_init(0);
            a->emb_ready = sg_sem_init(0);
            a->emb_done = sg_sem_init(0);
            char name[96];
            snprintf(name, sizeof name, "tp.%d.%d", c, d);
            a->tp_box = sg_mailbox_by_name(name);
        }
    for (int c = 0; c < n_classes; c++)
        for (int d = 0; d < pp; d++)
            for (int i = 0; i < s->n_ops[d]; i++) {
                const sched_op *op = &s->ops[d][i];
                int vs = sched_vstage(s, d, op->chunk), dst = -1, chunk;
                if (op->kind == SCHED_OP_F && vs < p->n_vs - 1) sched_locate(s, vs + 1, &dst, &chunk);
                if (op->kind == SCHED_OP_B && vs > 0) sched_locate(s, vs - 1, &dst, &chunk);
                if (dst < 0 || dst == d) continue;
                stage_actor *b = stage_of(&r, c, dst);
                if (!b->inbox[d]) {
                    char name[96];
                    snprintf(name, sizeof name, "in.%d.%d.%d", c, dst, d);
                    b->inbox[d] = sg_mailbox_by_name(name);
                }
            }
    for (int d = 0; d < pp; d++) {
        dp_actor *da = &r.dp[d];
        da->run = &r;
        da->dev = d;
        da->track = &out->tracks[n_classes * pp + d];
        da->track->dev = d;
        da->track->cls = -1;
        int nb = p->n_buckets[d];
        if (nb == 0) continue;
        da->ready = sg_sem_init(0);
        da->posted = calloc((size_t)iterations * (size_t)nb, sizeof *da->posted);
        da->queue = calloc((size_t)iterations * (size_t)nb, sizeof *da->queue);
        da->hosts = calloc((size_t)dp, sizeof *da->hosts);
        if (!da->posted || !da->queue || !da->hosts) goto oom_run;
        for (int rep = 0; rep < dp; rep++) da->hosts[rep] = eng->hosts[p->host_of[d * dp + rep]];
    }

    /* Actors: context attached before start (SimGrid 3.32 C API). */
    r.t0 = simgrid_get_clock();
    long n_actors = 0;
    for (int c = 0; c < n_classes; c++)
        for (int d = 0; d < pp; d++) {
            stage_actor *a = stage_of(&r, c, d);
            char name[64];
            snprintf(name, sizeof name, "stage%d.c%d", d, c);
            sg_actor_t act = sg_actor_init(name, eng->hosts[a->host]);
            sg_actor_set_data(act, a);
            sg_actor_start(act, stage_main, 0, NULL);
            n_actors++;
        }
    for (int d = 0; d < pp; d++) {
        if (p->n_buckets[d] == 0) continue;
        char name[64];
        snprintf(name, sizeof name, "dp%d", d);
        sg_actor_t act = sg_actor_init(name, eng->hosts[stage_of(&r, 0, d)->host]);
        sg_actor_set_data(act, &r.dp[d]);
        sg_actor_start(act, dp_main, 0, NULL);
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
    for (int c = 0; c < n_classes; c++)
        for (int d = 0; d < pp; d++) {
            eng_track *t = stage_of(&r, c, d)->track;
            int steps = 0;
            for (int i = 0; i < t->n; i++)
                if (t->ev[i].type == ENG_EV_OPT) {
                    steps++;
                    double end = t->ev[i].end_s - r.t0;
                    if (end > out->iter_end_s[t->ev[i].iter]) out->iter_end_s[t->ev[i].iter] = end;
                }
            if (steps != iterations) complete = 0;
        }
    out->iteration_s = out->iter_end_s[iterations - 1] / iterations;
    /* make event times relative to the run start */
    for (int i = 0; i < out->n_tracks; i++)
        for (int k = 0; k < out->tracks[i].n; k++) {
            out->tracks[i].ev[k].start_s -= r.t0;
            out->tracks[i].ev[k].end_s -= r.t0;
        }

    for (int i = 0; i < n_classes * pp; i++) {
        stage_actor *a = &r.st[i];
        free(a->arrived);
        free(a->sent);
        free(a->inbox);
        free(a->last_grad_op);
        free(a->pending);
        sg_sem_destroy(a->dp_done);
        sg_sem_destroy(a->emb_ready);
        sg_sem_destroy(a->emb_done);
    }
    for (int d = 0; d < pp; d++) {
        free(r.dp[d].posted);
        free(r.dp[d].queue);
        free(r.dp[d].hosts);
        if (r.dp[d].ready) sg_sem_destroy(r.dp[d].ready);
    }
    free(r.st);
    free(r.dp);
    free(r.rep_replica);
    free(class_of);
    free(speed);
    if (!complete) {
        set_err(err, errlen, "internal error: the simulation stopped before every device "
                "finished (deadlock in the engine)");
        eng_result_free(out);
        return -1;
    }
    return 0;

oom_run:
    if (r.st)
        for (int i = 0; i < n_classes * pp; i++) {
            free(r.st[i].arrived);
            free(r.st[i].sent);
            free(r.st[i].inbox);
            free(r.st[i].last_grad_op);
        }
    if (r.dp)
        for (int d = 0; d < pp; d++) {
            free(r.dp[d].posted);
            free(r.dp[d].queue);
            free(r.dp[d].hosts);
        }
    free(r.st);
    free(r.dp);
    free(r.rep_replica);
oom:
    free(class_of);
    free(speed);
    eng_result_free(out);
    set_err(err, errlen, "out of memory");
    return -1;
}
