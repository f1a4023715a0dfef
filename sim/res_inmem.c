/*
** res_inmem.c -- in-memory checkpoints, Gemini-style (pure layer).
**
** RESILIENCE.md §2 (Wang et al. SOSP'23): every iteration a checkpoint to
** CPU memory, copied to m peers (groups of m consecutive job slots, or a
** ring), scheduled into idle network time: free. A remote checkpoint every
** inmem_remote_interval_s (cost: state / write bandwidth) is the whole
** steady overhead.
** A failure loses the iteration in flight and costs detection + restart +
** retrieval of one node's shard from a peer (state / nodes / peer bandwidth);
** if every holder of some shard is down at once (all m members of a group,
** or m consecutive ring slots) the job restarts from the remote checkpoint.
** A failed node is "down" until the recovery that replaces it has ended.
*/
#include "res.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* C(n, k) as a double (lgamma keeps large n finite). */
static double binom(int n, int k)
{
    if (k < 0 || k > n) return 0;
    return exp(lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0));
}

double res_inmem_recover_prob(int n, int m, int k, int placement)
{
    if (k < m) return 1.0;
    if (k > n) return 0.0;
    double lost = binom(n - m, k - m) / binom(n, k);
    double p = 1.0 - (placement == RES_PLACE_RING ? n : (double)n / m) * lost;
    return p < 0 ? 0 : p;
}

typedef struct {
    res_config cfg;
    double mtbf_s;
    res_members mem;
    int *slot_of;           /* [n_ids] job slot of a member, -1 otherwise */
    int *slot_node;         /* [n_nodes] node in each slot, -1 if empty */
    unsigned char *down;    /* [n_nodes] slot lost its copy since the last completed recovery */
    double recover_end_s;
    double it_s, samples, remote_s, load_s, retrieve_s;
    int waiting;
} inmem_st;

/* Are all holders of some shard down? Group: the m slots of a group;
** ring: slot i's copies live on i .. i+m-1 (mod n). */
static int shard_lost(const inmem_st *s)
{
    int n = s->cfg.n_nodes, m = s->cfg.inmem_replicas;
    if (m > n) m = n;
    for (int i = 0; i < n; i++) {
        if (s->cfg.inmem_placement == RES_PLACE_GROUP && i % m) continue;
        int all = 1;
        for (int j = 0; j < m && all; j++) {
            int k = s->cfg.inmem_placement == RES_PLACE_GROUP ? i + j : (i + j) % n;
            if (k >= n) k = n - 1; /* the last group takes the remainder */
            all = s->down[k];
        }
        if (all) return 1;
    }
    return 0;
}

static void fill_slots(inmem_st *s, const run_ctx *rc)
{
    res_members_fill(&s->mem, rc, s->cfg.n_nodes);
    int nid = run_n_ids(rc);
    for (int id = 0; id < nid; id++) {
        if (!s->mem.in[id] || s->slot_of[id] >= 0) continue;
        for (int k = 0; k < s->cfg.n_nodes; k++)
            if (s->slot_node[k] < 0) {
                s->slot_node[k] = id;
                s->slot_of[id] = k;
                break;
            }
    }
}

static int inmem_start(void *st, run_ctx *rc)
{
    inmem_st *s = st;
    oracle_info inf;
    oracle_get_info(run_oracle(rc), &inf);
    oracle_result r;
    char shape[96];
    int want, used;
    if (res_start_shape(rc, &s->cfg, &want, &r, shape, sizeof shape, &used)) return -1;
    s->cfg.n_nodes = want = used;   /* the nodes it leaves idle are spares */
    int nid = run_n_ids(rc);
    s->slot_of = malloc((size_t)nid * sizeof *s->slot_of);
    s->slot_node = malloc((size_t)want * sizeof *s->slot_node);
    s->down = calloc((size_t)want, 1);
    if (!s->slot_of || !s->slot_node || !s->down || res_members_init(&s->mem, rc, 0) < 0)
        return run_fail(rc, "out of memory");
    for (int i = 0; i < nid; i++) s->slot_of[i] = -1;
    for (int i = 0; i < want; i++) s->slot_node[i] = -1;
    fill_slots(s, rc);
    s->it_s = r.iter_s;
    s->samples = inf.global_batch_samples;
    if (res_ckpt_times(rc, &s->cfg, &inf, &s->remote_s, &s->load_s)) return -1;
    double shard = (s->cfg.ckpt_bytes > 0 ? s->cfg.ckpt_bytes : inf.model_state_bytes) / want;
    s->retrieve_s = shard / s->cfg.inmem_peer_bytes_per_s;
    run_describe(rc, "%s, %d copies in peers' memory (retrieve %.1f s), storage every %.1f h "
                 "(write %.0f s)", shape, s->cfg.inmem_replicas, s->retrieve_s,
                 s->cfg.inmem_remote_interval_s / 3600, s->remote_s);
    run_set_base(rc, s->it_s, s->samples);
    run_set_ckpt(rc, s->cfg.inmem_remote_interval_s, s->remote_s);
    s->waiting = s->mem.n_in < want;
    run_set_config(rc, s->waiting ? 0 : s->it_s, s->samples);
    return 0;
}

static int inmem_on_failure(void *st, run_ctx *rc, int node)
{
    inmem_st *s = st;
    if (!res_members_drop(&s->mem, node)) return 0;
    double now = run_now(rc);
    if (now >= s->recover_end_s) memset(s->down, 0, (size_t)s->cfg.n_nodes);
    int k = s->slot_of[node];
    s->slot_of[node] = -1;
    s->slot_node[k] = -1;
    s->down[k] = 1;
    run_cancel_pauses(rc);
    double pause = run_detect_s(rc) + s->cfg.restart_s;
    if (shard_lost(s)) {
        run_rollback(rc);  /* back to the remote checkpoint */
        pause += s->load_s;
    } else {
        run_lose_inflight(rc);
        pause += s->retrieve_s;
    }
    fill_slots(s, rc);
    if (s->mem.n_in < s->cfg.n_nodes) {
        s->waiting = 1;
        run_set_config(rc, 0, s->samples);
        run_pause(rc, run_detect_s(rc), RUN_B_RESTART);
        s->recover_end_s = INFINITY;
        return 0;
    }
    run_pause(rc, pause, RUN_B_RESTART);
    s->recover_end_s = now + pause;
    return 0;
}

static int inmem_on_arrival(void *st, run_ctx *rc, int node)
{
    inmem_st *s = st;
    (void)node;
    if (!s->waiting) return 0;
    fill_slots(s, rc);
    if (s->mem.n_in < s->cfg.n_nodes) return 0;
    s->waiting = 0;
    double pause = s->cfg.restart_s + (shard_lost(s) ? s->load_s : s->retrieve_s);
    if (shard_lost(s)) run_rollback(rc);
    run_set_config(rc, s->it_s, s->samples);
    run_pause(rc, pause, RUN_B_RESTART);
    s->recover_end_s = run_now(rc) + pause;
    return 0;
}

static double inmem_overhead(void *st)
{
    inmem_st *s = st;
    double t = s->cfg.inmem_remote_interval_s;
    return t > 0 ? s->remote_s / (t + s->remote_s) : 0;
}

static void inmem_free(void *st)
{
    inmem_st *s = st;
    if (!s) return;
    res_members_free(&s->mem);
    free(s->slot_of);
    free(s->slot_node);
    free(s->down);
    free(s);
}

res_scheme *res_inmem_new(const res_config *cfg, double mtbf_s)
{
    res_scheme *r = calloc(1, sizeof *r);
    inmem_st *s = calloc(1, sizeof *s);
    if (!r || !s) { free(r); free(s); return NULL; }
    s->cfg = *cfg;
    if (s->cfg.inmem_replicas < 1) s->cfg.inmem_replicas = 1;
    s->mtbf_s = mtbf_s;
    *r = (res_scheme){.name = "inmem", .st = s, .start = inmem_start,
                      .on_failure = inmem_on_failure, .on_arrival = inmem_on_arrival,
                      .steady_overhead_frac = inmem_overhead, .free = inmem_free};
    return r;
}
