/*
** failure.c -- random, spot-trace and failure-CSV event sources (pure layer).
**
** Random source: every node runs a renewal process. While up, its time to
** failure is drawn from an exponential of mean node_mtbf_s or a Weibull of
** shape k and scale node_mtbf_s / Gamma(1 + 1/k) (same mean); at a failure a
** component is drawn from the mix (gsl_ran_discrete) and the node is down
** for an exponential repair time of the component's mean. Pending events sit
** in a binary heap ordered by (time, node), so equal times are deterministic.
*/
#include "failure.h"
#include "linereader.h"
#include "numparse.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>

typedef enum { SRC_RANDOM, SRC_LIST } src_kind;

typedef struct {
    double t_s;
    int node;
    int kind;
    int cause;
    double repair_s;
} pend;

struct fail_source {
    src_kind kind;
    int n_ids, n_initial;
    unsigned char *initial_up;   /* [n_ids] */
    double end_s;
    /* causes */
    int n_causes;
    char (*causes)[FAIL_NAME_MAX];
    /* SRC_LIST: pre-computed events */
    fail_event *list;
    int n_list, pos;
    /* SRC_RANDOM */
    fail_random_cfg cfg;
    unsigned long seed;
    gsl_rng *rng;
    gsl_ran_discrete_t *mix;
    pend *heap;
    int n_heap;
};

/* ---- defaults -----------------------------------------------------------
** Llama 3 405B (Dubey et al. 2024, Table 5): 419 unexpected interruptions in
** 54 days on 16,384 GPUs. Per 8-GPU node: MTBF = 54 d * 24 h * 2048 / 419.
** Repair times are our assumptions (docs/resilience.md): software faults
** restart in place (back at once), hardware goes to repair for a day, network
** and host maintenance for hours. */
static const struct { const char *name; double count, repair_h; } llama3_mix[] = {
    {"faulty_gpu", 148, 24},  {"gpu_hbm3", 72, 24},        {"software_bug", 54, 0},
    {"network", 35, 2},       {"host_maintenance", 32, 4}, {"gpu_sram", 19, 24},
    {"gpu_system_processor", 17, 24}, {"nic", 7, 6},        {"nccl_watchdog", 7, 0},
    {"silent_data_corruption", 6, 24}, {"gpu_thermal", 6, 4}, {"ssd", 3, 6},
    {"psu", 3, 6},            {"chassis", 2, 24},          {"io_board", 2, 24},
    {"dependency", 2, 0},     {"cpu", 2, 24},              {"system_memory", 2, 24},
};

void fail_random_defaults(fail_random_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->node_mtbf_s = 54.0 * 86400.0 * 2048.0 / 419.0;
    c->dist = FAIL_DIST_EXP;
    c->weibull_shape = 1.0;
    c->n_components = (int)(sizeof llama3_mix / sizeof *llama3_mix);
    for (int i = 0; i < c->n_components; i++) {
        snprintf(c->comp[i].name, sizeof c->comp[i].name, "%s", llama3_mix[i].name);
        c->comp[i].weight = llama3_mix[i].count;
        c->comp[i].repair_s = llama3_mix[i].repair_h * 3600.0;
    }
    c->horizon_s = INFINITY;
}

/* ---- heap --------------------------------------------------------------- */

static int pend_less(const pend *a, const pend *b)
{
    return a->t_s < b->t_s || (a->t_s == b->t_s && a->node < b->node);
}

static void heap_push(fail_source *s, pend p)
{
    int i = s->n_heap++;
    s->heap[i] = p;
    while (i > 0) {
        int up = (i - 1) / 2;
        if (!pend_less(&s->heap[i], &s->heap[up])) break;
        pend t = s->heap[i];
        s->heap[i] = s->heap[up];
        s->heap[up] = t;
        i = up;
    }
}

static pend heap_pop(fail_source *s)
{
    pend top = s->heap[0];
    s->heap[0] = s->heap[--s->n_heap];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n_heap && pend_less(&s->heap[l], &s->heap[m])) m = l;
        if (r < s->n_heap && pend_less(&s->heap[r], &s->heap[m])) m = r;
        if (m == i) break;
        pend t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
    return top;
}

/* ---- random source ------------------------------------------------------ */

static double draw_ttf(fail_source *s)
{
    if (s->cfg.dist == FAIL_DIST_WEIBULL) {
        double k = s->cfg.weibull_shape;
        double scale = s->cfg.node_mtbf_s / gsl_sf_gamma(1.0 + 1.0 / k);
        return gsl_ran_weibull(s->rng, scale, k);
    }
    return gsl_ran_exponential(s->rng, s->cfg.node_mtbf_s);
}

static void schedule_failure(fail_source *s, int node, double from_s)
{
    pend p = {.t_s = from_s + draw_ttf(s), .node = node, .kind = FAIL_EV_FAIL};
    p.cause = (int)gsl_ran_discrete(s->rng, s->mix);
    double mean = s->cfg.comp[p.cause].repair_s;
    p.repair_s = mean > 0 ? gsl_ran_exponential(s->rng, mean) : 0.0;
    heap_push(s, p);
}

static void random_start(fail_source *s)
{
    gsl_rng_set(s->rng, s->seed);
    s->n_heap = 0;
    for (int i = 0; i < s->n_ids; i++) schedule_failure(s, i, 0.0);
}

fail_source *fail_random_new(const fail_random_cfg *cfg, int n_nodes, unsigned long seed,
                             char *err, size_t errlen)
{
    const char *bad = NULL;
    if (n_nodes < 1) bad = "the cluster needs at least one node";
    else if (!(cfg->node_mtbf_s > 0)) bad = "node MTBF must be > 0";
    else if (cfg->dist == FAIL_DIST_WEIBULL &&
             !(cfg->weibull_shape >= FAIL_WEIBULL_MIN_SHAPE &&
               cfg->weibull_shape <= FAIL_WEIBULL_MAX_SHAPE))
        bad = "Weibull shape must be in 0.1..20";
    else if (cfg->n_components < 1 || cfg->n_components > FAIL_MAX_COMPONENTS)
        bad = "need 1..32 failure components";
    double wsum = 0;
    for (int i = 0; !bad && i < cfg->n_components; i++) {
        if (!(cfg->comp[i].weight >= 0) || !(cfg->comp[i].repair_s >= 0))
            bad = "component weights and repair times must be >= 0";
        wsum += cfg->comp[i].weight;
    }
    if (!bad && !(wsum > 0)) bad = "component weights sum to 0";
    if (bad) {
        snprintf(err, errlen, "random failures: %s", bad);
        return NULL;
    }
    fail_source *s = calloc(1, sizeof *s);
    if (!s) goto oom;
    s->kind = SRC_RANDOM;
    s->cfg = *cfg;
    s->seed = seed;
    s->n_ids = s->n_initial = n_nodes;
    s->end_s = cfg->horizon_s;
    s->initial_up = malloc((size_t)n_nodes);
    s->heap = malloc((size_t)n_nodes * sizeof *s->heap);
    s->causes = calloc((size_t)cfg->n_components, sizeof *s->causes);
    s->rng = gsl_rng_alloc(gsl_rng_mt19937);
    double w[FAIL_MAX_COMPONENTS];
    for (int i = 0; i < cfg->n_components; i++) w[i] = cfg->comp[i].weight;
    s->mix = gsl_ran_discrete_preproc((size_t)cfg->n_components, w);
    if (!s->initial_up || !s->heap || !s->causes || !s->rng || !s->mix) goto oom;
    memset(s->initial_up, 1, (size_t)n_nodes);
    s->n_causes = cfg->n_components;
    for (int i = 0; i < cfg->n_components; i++)
        snprintf(s->causes[i], FAIL_NAME_MAX, "%s", cfg->comp[i].name);
    random_start(s);
    return s;
oom:
    fail_free(s);
    snprintf(err, errlen, "out of memory");
    return NULL;
}

static int random_next(fail_source *s, fail_event *ev)
{
    if (s->n_heap == 0) return 0;
    if (!(s->heap[0].t_s <= s->end_s)) return 0;
    pend p = heap_pop(s);
    ev->t_s = p.t_s;
    ev->kind = p.kind;
    ev->node = p.node;
    ev->cause = p.kind == FAIL_EV_FAIL ? p.cause : -1;
    ev->repair_s = p.kind == FAIL_EV_FAIL ? p.repair_s : 0;
    if (p.kind == FAIL_EV_FAIL) {
        pend back = {.t_s = p.t_s + p.repair_s, .node = p.node, .kind = FAIL_EV_ARRIVE,
                     .cause = -1};
        heap_push(s, back);
    } else {
        schedule_failure(s, p.node, p.t_s);
    }
    return 1;
}

/* ---- list sources (trace, CSV) -------------------------------------------- */

static int list_push(fail_source *s, int *cap, fail_event e)
{
    if (s->n_list == *cap) {
        int c = *cap ? 2 * *cap : 256;
        fail_event *n = realloc(s->list, (size_t)c * sizeof *n);
        if (!n) return -1;
        s->list = n;
        *cap = c;
    }
    s->list[s->n_list++] = e;
    return 0;
}

/* Name -> id table: ids in order of first appearance (names[id]), found
** through an open-addressing hash index (FNV-1a, linear probing, at most half
** full) so that a trace of n distinct node names loads in O(n), not O(n^2):
** a 200k-node spot trace took over a minute with the linear search. 'names'
** may be taken over by the caller (the failure CSV's causes); 'slot' is
** always released with name_tab_free_index(). */
typedef struct {
    char (*names)[FAIL_NAME_MAX];
    int n, cap;
    int *slot;                    /* [n_slots] id + 1, 0 = empty */
    size_t n_slots;               /* a power of two, >= 2 * n */
} name_tab;

static size_t name_hash(const char *s)
{
    size_t h = (size_t)2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * (size_t)16777619u;
    return h;
}

/* The slot holding 'name', or the empty slot where it would go. */
static size_t name_slot(const name_tab *t, const char *name)
{
    size_t mask = t->n_slots - 1, i = name_hash(name) & mask;
    while (t->slot[i] && strcmp(t->names[t->slot[i] - 1], name)) i = (i + 1) & mask;
    return i;
}

/* Double the hash index (or create it): -1 on OOM. */
static int name_grow_index(name_tab *t)
{
    size_t n = t->n_slots ? 2 * t->n_slots : 128;
    int *old = t->slot;
    size_t old_n = t->n_slots;
    t->slot = calloc(n, sizeof *t->slot);
    if (!t->slot) {
        t->slot = old;
        return -1;
    }
    t->n_slots = n;
    for (size_t i = 0; i < old_n; i++)
        if (old[i]) t->slot[name_slot(t, t->names[old[i] - 1])] = old[i];
    free(old);
    return 0;
}

static void name_tab_free_index(name_tab *t)
{
    free(t->slot);
    t->slot = NULL;
    t->n_slots = 0;
}

/* The id of 'name', adding it if new; -1 on OOM. */
static int name_id(name_tab *t, const char *name)
{
    if (2 * ((size_t)t->n + 1) > t->n_slots && name_grow_index(t)) return -1;
    size_t i = name_slot(t, name);
    if (t->slot[i]) return t->slot[i] - 1;
    if (t->n == t->cap) {
        int c = t->cap ? 2 * t->cap : 64;
        char(*nn)[FAIL_NAME_MAX] = realloc(t->names, (size_t)c * sizeof *nn);
        if (!nn) return -1;
        t->names = nn;
        t->cap = c;
    }
    snprintf(t->names[t->n], FAIL_NAME_MAX, "%s", name);
    t->slot[i] = ++t->n;
    return t->n - 1;
}

/* A node name: printable, without blanks. */
static int good_name(const char *s)
{
    if (!s[0] || strlen(s) >= FAIL_NAME_MAX) return 0;
    for (; *s; s++)
        if (!isgraph((unsigned char)*s)) return 0;
    return 1;
}

/* A node is added only while absent and removed only while present (both
** replay paths rely on it; the artifact's Python would raise a KeyError). */
static int trace_check_presence(const char *path, const fail_trace_line *v, int n, int n_ids,
                                char *err, size_t errlen)
{
    unsigned char *present = calloc((size_t)n_ids, 1);
    if (!present) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int bad = 0;
    for (int i = 0; i < n && !bad; i++) {
        if (v[i].add == present[v[i].node]) {
            snprintf(err, errlen, "%s:%d: %s", path, v[i].lineno,
                     v[i].add ? "node added twice without a removal"
                              : "removal of a node that is not present");
            bad = 1;
        }
        present[v[i].node] = (unsigned char)v[i].add;
    }
    free(present);
    return bad ? -1 : 0;
}

int fail_trace_read(const char *path, fail_trace_line **out, int *n_ids, char *err,
                    size_t errlen)
{
    *out = NULL;
    *n_ids = 0;
    line_reader rd;
    if (line_reader_open(&rd, path)) {
        line_reader_error(&rd, LINE_READ_ERROR, path, err, errlen);
        return -1;
    }
    name_tab names = {0};
    fail_trace_line *v = NULL;
    int n = 0, cap = 0;
    double last_t = -INFINITY;
    line_status st;
    while ((st = line_reader_next(&rd)) == LINE_OK) {
        char *line = rd.line;
        int lineno = rd.lineno;
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c2 || strchr(c2 + 1, ',')) {
            snprintf(err, errlen, "%s:%d: expected 'time_ms,add|remove,node', got '%s'", path,
                     lineno, line);
            goto fail;
        }
        *c1 = *c2 = 0;
        double t;
        int add = !strcmp(c1 + 1, "add");
        if (num_parse_decimal(line, &t) || t < 0 || t / 1000 > FAIL_MAX_TIME_S) {
            snprintf(err, errlen, "%s:%d: time '%s' is not a number of ms in 0..%g", path,
                     lineno, line, FAIL_MAX_TIME_S * 1000);
            goto fail;
        }
        if (!add && strcmp(c1 + 1, "remove")) {
            snprintf(err, errlen, "%s:%d: event '%s' is neither 'add' nor 'remove'", path,
                     lineno, c1 + 1);
            goto fail;
        }
        if (!good_name(c2 + 1)) {
            snprintf(err, errlen, "%s:%d: bad node name '%s'", path, lineno, c2 + 1);
            goto fail;
        }
        if (t < last_t) {
            snprintf(err, errlen, "%s:%d: time %.0f ms goes back (previous %.0f ms)", path,
                     lineno, t, last_t);
            goto fail;
        }
        last_t = t;
        int id = name_id(&names, c2 + 1);
        if (id < 0) goto oom;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            fail_trace_line *nv = realloc(v, (size_t)cap * sizeof *nv);
            if (!nv) goto oom;
            v = nv;
        }
        v[n++] = (fail_trace_line){.t_s = t / 1000.0, .add = add, .node = id, .lineno = lineno};
    }
    if (st != LINE_END) {
        line_reader_error(&rd, st, path, err, errlen);
        goto fail;
    }
    line_reader_close(&rd);
    if (n == 0) {
        snprintf(err, errlen, "%s: empty trace", path);
        free(v);
        free(names.names);
        name_tab_free_index(&names);
        return -1;
    }
    name_tab_free_index(&names);
    if (trace_check_presence(path, v, n, names.n, err, errlen)) {
        free(v);
        free(names.names);
        return -1;
    }
    *out = v;
    *n_ids = names.n;
    free(names.names);
    return n;
oom:
    snprintf(err, errlen, "%s: out of memory", path);
fail:
    line_reader_close(&rd);
    free(v);
    free(names.names);
    name_tab_free_index(&names);
    return -1;
}

/* A list event with its rank among its node's events at the same time. */
typedef struct {
    fail_event e;
    int rank;
} ranked_event;

/* Time, then rank, then failures first, then node. The rank keeps a node's
** own events at one instant in the order they happened (a node back at t
** that fails again at t: arrival, then failure; a failure with repair 0:
** failure, then arrival), which "failures first" alone would break. */
static int cmp_event(const void *a, const void *b)
{
    const ranked_event *x = a, *y = b;
    if (x->e.t_s != y->e.t_s) return x->e.t_s < y->e.t_s ? -1 : 1;
    if (x->rank != y->rank) return x->rank - y->rank;
    if (x->e.kind != y->e.kind) return x->e.kind - y->e.kind; /* failures first */
    return x->e.node - y->e.node;
}

/* Order s->list by time. The loaders push each node's events in the order
** they happen (so in non-decreasing time per node); the rank of an event is
** how many of its node's events came before it at the same time. Returns 0
** or -1 (out of memory). */
static int sort_events(fail_source *s)
{
    if (s->n_list < 2) return 0;
    ranked_event *r = malloc((size_t)s->n_list * sizeof *r);
    int *prev = malloc((size_t)s->n_ids * sizeof *prev); /* node's last event in r, or -1 */
    if (!r || !prev) {
        free(r);
        free(prev);
        return -1;
    }
    for (int i = 0; i < s->n_ids; i++) prev[i] = -1;
    for (int i = 0; i < s->n_list; i++) {
        int node = s->list[i].node, p = prev[node];
        r[i].e = s->list[i];
        r[i].rank = p >= 0 && r[p].e.t_s == r[i].e.t_s ? r[p].rank + 1 : 0;
        prev[node] = i;
    }
    qsort(r, (size_t)s->n_list, sizeof *r, cmp_event);
    for (int i = 0; i < s->n_list; i++) s->list[i] = r[i].e;
    free(r);
    free(prev);
    return 0;
}

static fail_source *list_source_new(int n_ids)
{
    fail_source *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->kind = SRC_LIST;
    s->n_ids = n_ids;
    s->initial_up = calloc((size_t)(n_ids > 0 ? n_ids : 1), 1);
    if (!s->initial_up) { free(s); return NULL; }
    return s;
}

fail_source *fail_trace_load(const char *path, double startup_s, char *err, size_t errlen)
{
    fail_trace_line *L = NULL;
    int n_ids = 0, cap = 0;
    int n = fail_trace_read(path, &L, &n_ids, err, errlen);
    if (n < 0) return NULL;
    fail_source *s = list_source_new(n_ids);
    /* per node: index of its pending arrival event, -1 if none (fail_trace_read
    ** has checked that adds and removals of a node alternate) */
    int *add_ev = malloc((size_t)n_ids * sizeof *add_ev);
    if (!s || !add_ev || !(s->causes = calloc(1, sizeof *s->causes))) goto oom;
    s->n_causes = 1;
    snprintf(s->causes[0], FAIL_NAME_MAX, "spot");
    for (int i = 0; i < n; i++) {
        int id = L[i].node;
        if (L[i].add) {
            add_ev[id] = -1;
            if (L[i].t_s <= 0) {
                s->initial_up[id] = 1;
                s->n_initial++;
                continue;
            }
            fail_event e = {.t_s = L[i].t_s + startup_s, .kind = FAIL_EV_ARRIVE, .node = id,
                            .cause = -1};
            add_ev[id] = s->n_list;
            if (list_push(s, &cap, e)) goto oom;
        } else {
            int a = add_ev[id];
            if (a >= 0 && s->list[a].t_s >= L[i].t_s) {
                /* removed while still starting, or the instant it is ready:
                ** it never arrives */
                s->list[a].kind = -1;
                continue;
            }
            fail_event e = {.t_s = L[i].t_s, .kind = FAIL_EV_FAIL, .node = id, .cause = 0,
                            .repair_s = INFINITY};
            if (list_push(s, &cap, e)) goto oom;
        }
    }
    s->end_s = L[n - 1].t_s;
    /* drop cancelled arrivals, then order by time (arrivals were delayed) */
    int k = 0;
    for (int i = 0; i < s->n_list; i++)
        if (s->list[i].kind >= 0) s->list[k++] = s->list[i];
    s->n_list = k;
    if (sort_events(s)) goto oom;
    free(L);
    free(add_ev);
    return s;
oom:
    snprintf(err, errlen, "%s: out of memory", path);
    free(L);
    free(add_ev);
    fail_free(s);
    return NULL;
}

fail_source *fail_csv_load(const char *path, int n_nodes, char *err, size_t errlen)
{
    if (n_nodes < 1) {
        snprintf(err, errlen, "%s: the cluster needs at least one node", path);
        return NULL;
    }
    line_reader rd;
    if (line_reader_open(&rd, path)) {
        line_reader_error(&rd, LINE_READ_ERROR, path, err, errlen);
        return NULL;
    }
    fail_source *s = list_source_new(n_nodes);
    double *back = calloc((size_t)n_nodes, sizeof *back); /* time the node is up again */
    name_tab causes = {0};
    int cap = 0, header = 0;
    double last_t = 0;
    line_status st;
    if (!s || !back) goto oom;
    memset(s->initial_up, 1, (size_t)n_nodes);
    s->n_initial = n_nodes;
    while ((st = line_reader_next(&rd)) == LINE_OK) {
        char *line = rd.line;
        int lineno = rd.lineno;
        if (!header) {
            if (strcmp(line, "time_s,node,cause,repair_s")) {
                snprintf(err, errlen, "%s:%d: expected the header 'time_s,node,cause,repair_s'",
                         path, lineno);
                goto fail;
            }
            header = 1;
            continue;
        }
        int commas = 0;
        for (const char *q = line; *q; q++) commas += *q == ',';
        char *fld[4], *p = line;
        int nf = 0;
        while (nf < 4) {
            fld[nf++] = p;
            char *c = strchr(p, ',');
            if (!c) break;
            *c = 0;
            p = c + 1;
        }
        if (nf != 4 || commas != 3) {
            snprintf(err, errlen, "%s:%d: expected 4 fields 'time_s,node,cause,repair_s'", path,
                     lineno);
            goto fail;
        }
        double t, rep = INFINITY, id_d;
        if (num_parse_decimal(fld[0], &t) || t < 0 || t > FAIL_MAX_TIME_S) {
            snprintf(err, errlen, "%s:%d: time '%s' is not a number of seconds in 0..%g",
                     path, lineno, fld[0], FAIL_MAX_TIME_S);
            goto fail;
        }
        if (t < last_t) {
            snprintf(err, errlen, "%s:%d: time %g s goes back (previous %g s)", path, lineno, t,
                     last_t);
            goto fail;
        }
        last_t = t;
        const char *nm = !strncmp(fld[1], "node", 4) ? fld[1] + 4 : fld[1];
        if (!nm[0] || strspn(nm, "0123456789") != strlen(nm) || num_parse_decimal(nm, &id_d) ||
            id_d >= n_nodes) {
            snprintf(err, errlen, "%s:%d: node '%s' is not node0..node%d", path, lineno, fld[1],
                     n_nodes - 1);
            goto fail;
        }
        if (fld[3][0] && strcmp(fld[3], "inf") && (num_parse_decimal(fld[3], &rep) || rep < 0)) {
            snprintf(err, errlen, "%s:%d: repair time '%s' is not a non-negative number", path,
                     lineno, fld[3]);
            goto fail;
        }
        if (!fld[2][0] || strlen(fld[2]) >= FAIL_NAME_MAX) {
            snprintf(err, errlen, "%s:%d: missing or too long cause", path, lineno);
            goto fail;
        }
        int id = (int)id_d;
        if (back[id] > t) {
            snprintf(err, errlen, "%s:%d: node%d fails at %g s while down until %g s", path,
                     lineno, id, t, back[id]);
            goto fail;
        }
        int cause = name_id(&causes, fld[2]);
        if (cause < 0) goto oom;
        fail_event e = {.t_s = t, .kind = FAIL_EV_FAIL, .node = id, .cause = cause,
                        .repair_s = rep};
        if (list_push(s, &cap, e)) goto oom;
        back[id] = t + rep;
        if (isfinite(rep)) {
            fail_event a = {.t_s = t + rep, .kind = FAIL_EV_ARRIVE, .node = id, .cause = -1};
            if (list_push(s, &cap, a)) goto oom;
        }
    }
    if (st != LINE_END) {
        line_reader_error(&rd, st, path, err, errlen);
        goto fail;
    }
    if (!header) {
        snprintf(err, errlen, "%s: empty failure CSV (no header)", path);
        goto fail;
    }
    line_reader_close(&rd);
    if (sort_events(s)) goto oom;
    s->end_s = last_t;
    s->causes = causes.names;
    s->n_causes = causes.n;
    name_tab_free_index(&causes);
    free(back);
    return s;
oom:
    snprintf(err, errlen, "%s: out of memory", path);
fail:
    line_reader_close(&rd);
    free(back);
    free(causes.names);
    name_tab_free_index(&causes);
    fail_free(s);
    return NULL;
}

/* ---- common -------------------------------------------------------------- */

int fail_next(fail_source *s, fail_event *ev)
{
    if (s->kind == SRC_RANDOM) return random_next(s, ev);
    if (s->pos >= s->n_list) return 0;
    *ev = s->list[s->pos++];
    return 1;
}

void fail_rewind(fail_source *s)
{
    if (s->kind == SRC_RANDOM) random_start(s);
    else s->pos = 0;
}

int fail_initial_nodes(const fail_source *s) { return s->n_initial; }
int fail_initially_up(const fail_source *s, int node)
{
    return node >= 0 && node < s->n_ids && s->initial_up[node];
}
int fail_n_ids(const fail_source *s) { return s->n_ids; }
double fail_end_s(const fail_source *s) { return s->end_s; }
int fail_n_causes(const fail_source *s) { return s->n_causes; }

const char *fail_cause_name(const fail_source *s, int cause)
{
    return cause >= 0 && cause < s->n_causes ? s->causes[cause] : "-";
}

void fail_free(fail_source *s)
{
    if (!s) return;
    free(s->initial_up);
    free(s->causes);
    free(s->list);
    free(s->heap);
    if (s->rng) gsl_rng_free(s->rng);
    if (s->mix) gsl_ran_discrete_free(s->mix);
    free(s);
}
