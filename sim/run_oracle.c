/*
** run_oracle.c -- oracle calls, plan construction and memoisation (pure layer).
*/
#include "run_oracle.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void oracle_get_info(const oracle *o, oracle_info *out)
{
    memset(out, 0, sizeof *out);
    o->info(o->ctx, out);
}

int oracle_layer_cost(const oracle *o, int layer, int n_gpus, oracle_layer *out)
{
    if (!o->layer) return -1;
    return o->layer(o->ctx, layer, n_gpus, out);
}

int oracle_plan_time(const oracle *o, const oracle_plan *plan, oracle_result *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (o->plan_time(o->ctx, plan, out, err, errlen)) return -1;
    if (out->fits && !(out->iter_s >= ORACLE_MIN_ITER_S && out->iter_s <= ORACLE_MAX_ITER_S)) {
        snprintf(err, errlen,
                 "an iteration on %d nodes takes %g s, outside [%g s, %g s]: check the "
                 "profile's layer times and bandwidths",
                 oracle_plan_nodes(plan), out->iter_s, ORACLE_MIN_ITER_S, ORACLE_MAX_ITER_S);
        return -1;
    }
    return 0;
}

void oracle_free(oracle *o)
{
    if (!o) return;
    if (o->free) o->free(o->ctx);
    free(o);
}

/* ---- plans ---------------------------------------------------------- */

oracle_plan *oracle_plan_new(int n_pipes)
{
    if (n_pipes < 1) return NULL;
    oracle_plan *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->pipes = calloc((size_t)n_pipes, sizeof *p->pipes);
    if (!p->pipes) { free(p); return NULL; }
    p->n_pipes = n_pipes;
    return p;
}

int oracle_plan_set_stages(oracle_plan *p, int i, int n_stages)
{
    oracle_pipeline *q = &p->pipes[i];
    free(q->stage_layers);
    free(q->stage_gpus);
    q->stage_layers = calloc((size_t)n_stages, sizeof *q->stage_layers);
    q->stage_gpus = calloc((size_t)n_stages, sizeof *q->stage_gpus);
    q->n_stages = n_stages;
    return q->stage_layers && q->stage_gpus ? 0 : -1;
}

void oracle_plan_free(oracle_plan *p)
{
    if (!p) return;
    for (int i = 0; i < p->n_pipes; i++) {
        free(p->pipes[i].stage_layers);
        free(p->pipes[i].stage_gpus);
    }
    free(p->pipes);
    free(p);
}

int oracle_plan_nodes(const oracle_plan *p)
{
    int n = 0;
    for (int i = 0; i < p->n_pipes; i++) n += p->pipes[i].n_nodes;
    return n;
}

oracle_plan *oracle_plan_homogeneous(int pp, int dp, int n_layers, int gpus_per_node,
                                     int n_microbatches)
{
    if (pp < 1 || dp < 1 || n_layers < pp || gpus_per_node < 1 || n_microbatches < dp)
        return NULL;
    oracle_plan *p = oracle_plan_new(dp);
    if (!p) return NULL;
    for (int i = 0; i < dp; i++) {
        if (oracle_plan_set_stages(p, i, pp)) { oracle_plan_free(p); return NULL; }
        oracle_pipeline *q = &p->pipes[i];
        q->n_nodes = pp;
        q->n_microbatches = n_microbatches / dp + (i < n_microbatches % dp);
        for (int s = 0; s < pp; s++) {
            q->stage_layers[s] = n_layers / pp + (s < n_layers % pp);
            q->stage_gpus[s] = gpus_per_node;
        }
    }
    return p;
}

oracle_plan *oracle_plan_opaque(int n_nodes, int n_microbatches)
{
    oracle_plan *p = oracle_plan_new(1);
    if (!p) return NULL;
    p->pipes[0].n_nodes = n_nodes;
    p->pipes[0].n_microbatches = n_microbatches;
    return p;
}

/* ---- memoisation ------------------------------------------------------
** The key of a plan is the int sequence (n_pipes, then per pipeline
** n_nodes, n_microbatches, n_stages, layers..., gpus...). Entries live in an
** open-addressing table that doubles at 50% load. */

typedef struct {
    uint64_t hash;
    int *key;          /* NULL = empty slot */
    int key_len;
    oracle_result res;
} memo_entry;

typedef struct {
    oracle *inner;
    memo_entry *slots;
    size_t cap, used;
    long n_misses, n_hits;
    int *scratch;
    size_t scratch_cap;
} memo_ctx;

static int plan_key(memo_ctx *m, const oracle_plan *p, int *len)
{
    size_t need = 1;
    for (int i = 0; i < p->n_pipes; i++) need += 3 + 2 * (size_t)p->pipes[i].n_stages;
    if (need > m->scratch_cap) {
        int *s = realloc(m->scratch, need * sizeof *s);
        if (!s) return -1;
        m->scratch = s;
        m->scratch_cap = need;
    }
    int *k = m->scratch, n = 0;
    k[n++] = p->n_pipes;
    for (int i = 0; i < p->n_pipes; i++) {
        const oracle_pipeline *q = &p->pipes[i];
        k[n++] = q->n_nodes;
        k[n++] = q->n_microbatches;
        k[n++] = q->n_stages;
        for (int s = 0; s < q->n_stages; s++) k[n++] = q->stage_layers[s];
        for (int s = 0; s < q->n_stages; s++) k[n++] = q->stage_gpus[s];
    }
    *len = n;
    return 0;
}

static uint64_t hash_ints(const int *k, int n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (int i = 0; i < n; i++) {
        uint32_t v = (uint32_t)k[i];
        for (int b = 0; b < 4; b++) {
            h ^= (v >> (8 * b)) & 0xff;
            h *= 1099511628211ULL;
        }
    }
    return h;
}

static memo_entry *memo_find(memo_ctx *m, uint64_t h, const int *k, int n)
{
    size_t i = (size_t)h & (m->cap - 1);
    for (;;) {
        memo_entry *e = &m->slots[i];
        if (!e->key) return e;
        if (e->hash == h && e->key_len == n && !memcmp(e->key, k, (size_t)n * sizeof *k)) return e;
        i = (i + 1) & (m->cap - 1);
    }
}

static int memo_grow(memo_ctx *m)
{
    size_t old_cap = m->cap;
    memo_entry *old = m->slots;
    m->cap = old_cap ? 2 * old_cap : 64;
    m->slots = calloc(m->cap, sizeof *m->slots);
    if (!m->slots) { m->slots = old; m->cap = old_cap; return -1; }
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].key) continue;
        memo_entry *e = memo_find(m, old[i].hash, old[i].key, old[i].key_len);
        *e = old[i];
    }
    free(old);
    return 0;
}

static void memo_info(void *ctx, oracle_info *out)
{
    memo_ctx *m = ctx;
    oracle_get_info(m->inner, out);
}

static int memo_layer(void *ctx, int layer, int n_gpus, oracle_layer *out)
{
    memo_ctx *m = ctx;
    return oracle_layer_cost(m->inner, layer, n_gpus, out);
}

static int memo_plan_time(void *ctx, const oracle_plan *plan, oracle_result *out, char *err,
                          size_t errlen)
{
    memo_ctx *m = ctx;
    int n = 0;
    if (plan_key(m, plan, &n)) { snprintf(err, errlen, "out of memory"); return -1; }
    if (2 * (m->used + 1) > m->cap && memo_grow(m)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    uint64_t h = hash_ints(m->scratch, n);
    memo_entry *e = memo_find(m, h, m->scratch, n);
    if (e->key) {
        m->n_hits++;
        *out = e->res;
        return 0;
    }
    if (oracle_plan_time(m->inner, plan, out, err, errlen)) return -1;
    m->n_misses++;
    e->key = malloc((size_t)n * sizeof *e->key);
    if (!e->key) return 0; /* answer stays valid, just not cached */
    memcpy(e->key, m->scratch, (size_t)n * sizeof *e->key);
    e->key_len = n;
    e->hash = h;
    e->res = *out;
    m->used++;
    return 0;
}

static void memo_free(void *ctx)
{
    memo_ctx *m = ctx;
    if (!m) return;
    for (size_t i = 0; i < m->cap; i++) free(m->slots[i].key);
    free(m->slots);
    free(m->scratch);
    oracle_free(m->inner);
    free(m);
}

oracle *oracle_memo_new(oracle *inner)
{
    oracle *o = calloc(1, sizeof *o);
    memo_ctx *m = calloc(1, sizeof *m);
    if (!o || !m || (m->inner = inner, memo_grow(m))) {
        free(o);
        if (m) m->inner = NULL;
        memo_free(m);
        oracle_free(inner);
        return NULL;
    }
    o->ctx = m;
    o->info = memo_info;
    o->layer = inner->layer ? memo_layer : NULL;
    o->plan_time = memo_plan_time;
    o->free = memo_free;
    return o;
}

void oracle_memo_stats(const oracle *o, long *n_misses, long *n_hits)
{
    *n_misses = *n_hits = 0;
    if (!o || o->plan_time != memo_plan_time) return;
    const memo_ctx *m = o->ctx;
    *n_misses = m->n_misses;
    *n_hits = m->n_hits;
}
