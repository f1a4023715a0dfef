/*
** run_oracle_table.c -- the Oobleck artifact's throughput tables as an
** oracle (pure layer). Reads oobleck_sim_tput.csv:
**   system,model,nodes,global_batch_samples,samples_per_s,idle_nodes,pause_ms,ckpt_ms
** Node counts outside a (system, model) block are clamped to its range, as
** the artifact simulators do (15..30).
*/
#include "run_oracle.h"
#include "linereader.h"
#include "numparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TBL_NAME_MAX 32

typedef struct {
    char system[TBL_NAME_MAX], model[TBL_NAME_MAX];
    oracle_table_row row;
    int lineno;             /* in the file, for errors */
} tbl_line;

/* Largest node count, batch and pause the reader accepts (a pause longer
** than 10^6 h is a typo, not a run; FAIL_MAX_TIME_S). */
#define TBL_MAX_NODES 10000000
#define TBL_MAX_BATCH 1000000000
#define TBL_MAX_MS (1e6 * 3600.0 * 1000.0)

struct oracle_table {
    tbl_line *lines;
    int n, cap;
};

void oracle_table_free(oracle_table *t)
{
    if (!t) return;
    free(t->lines);
    free(t);
}

/* Split 'line' at commas in place into at most max fields; returns count. */
static int split_csv(char *line, char **f, int max)
{
    int n = 0;
    char *s = line;
    while (n < max) {
        f[n++] = s;
        char *c = strchr(s, ',');
        if (!c) break;
        *c = 0;
        s = c + 1;
    }
    return n;
}

/* Parse a number field; empty = def. -1 on junk. */
static int num_field(const char *s, double def, double *out)
{
    if (!*s) { *out = def; return 0; }
    return num_parse_decimal(s, out);
}

static int same_block(const tbl_line *a, const tbl_line *b)
{
    return !strcmp(a->system, b->system) && !strcmp(a->model, b->model);
}

/* One row per node count, and no count missing between a block's smallest
** and largest (the lookup clamps outside that range, never inside). */
static int check_blocks(const oracle_table *t, const char *path, char *err, size_t errlen)
{
    for (int i = 0; i < t->n; i++) {
        const tbl_line *a = &t->lines[i];
        int lo = a->row.n_nodes, hi = lo, n = 0, first = 1;
        for (int j = 0; j < t->n; j++) {
            const tbl_line *b = &t->lines[j];
            if (!same_block(a, b)) continue;
            if (j < i) first = 0;
            if (j < i && b->row.n_nodes == a->row.n_nodes) {
                snprintf(err, errlen, "%s:%d: a second row for %s %s at %d nodes (line %d)", path,
                         a->lineno, a->system, a->model, a->row.n_nodes, b->lineno);
                return -1;
            }
            if (b->row.n_nodes < lo) lo = b->row.n_nodes;
            if (b->row.n_nodes > hi) hi = b->row.n_nodes;
            n++;
        }
        if (first && n != hi - lo + 1) {
            snprintf(err, errlen, "%s: %s %s has rows for %d node counts between %d and %d: "
                     "every count in between needs one", path, a->system, a->model, n, lo, hi);
            return -1;
        }
    }
    return 0;
}

oracle_table *oracle_table_load(const char *path, char *err, size_t errlen)
{
    line_reader rd;
    if (line_reader_open(&rd, path)) {
        line_reader_error(&rd, LINE_READ_ERROR, path, err, errlen);
        return NULL;
    }
    oracle_table *t = calloc(1, sizeof *t);
    line_status st;
    if (!t) goto oom;
    while ((st = line_reader_next(&rd)) == LINE_OK) {
        char *line = rd.line;
        int lineno = rd.lineno;
        if (!strncmp(line, "system,", 7)) continue;
        char *fl[8];
        if (split_csv(line, fl, 8) != 8) {
            snprintf(err, errlen, "%s:%d: expected 8 comma-separated fields", path, lineno);
            goto fail;
        }
        double v[6];
        for (int i = 0; i < 6; i++)
            if (num_field(fl[2 + i], 0, &v[i]) || v[i] < 0) {
                snprintf(err, errlen, "%s:%d: field %d: not a non-negative number: '%s'", path,
                         lineno, 3 + i, fl[2 + i]);
                goto fail;
            }
        if (!fl[0][0] || !fl[1][0] || strlen(fl[0]) >= TBL_NAME_MAX ||
            strlen(fl[1]) >= TBL_NAME_MAX) {
            snprintf(err, errlen, "%s:%d: system and model must be 1..%d characters", path, lineno,
                     TBL_NAME_MAX - 1);
            goto fail;
        }
        if (v[0] < 1 || v[0] > TBL_MAX_NODES || v[0] != floor(v[0]) || v[1] < 1 ||
            v[1] > TBL_MAX_BATCH || v[1] != floor(v[1]) || v[3] > v[0] || v[3] != floor(v[3])) {
            snprintf(err, errlen, "%s:%d: nodes (1..%d), batch (1..%d) and idle nodes (0..nodes) "
                     "must be whole numbers", path, lineno, TBL_MAX_NODES, TBL_MAX_BATCH);
            goto fail;
        }
        if (v[4] > TBL_MAX_MS || v[5] > TBL_MAX_MS) {
            snprintf(err, errlen, "%s:%d: pause and checkpoint must be at most %g ms (10^6 h)",
                     path, lineno, TBL_MAX_MS);
            goto fail;
        }
        if (t->n == t->cap) {
            int cap = t->cap ? 2 * t->cap : 256;
            tbl_line *nl = realloc(t->lines, (size_t)cap * sizeof *nl);
            if (!nl) goto oom;
            t->lines = nl;
            t->cap = cap;
        }
        tbl_line *L = &t->lines[t->n++];
        L->lineno = lineno;
        snprintf(L->system, sizeof L->system, "%s", fl[0]);
        snprintf(L->model, sizeof L->model, "%s", fl[1]);
        L->row.n_nodes = (int)v[0];
        L->row.global_batch_samples = (int)v[1];
        L->row.samples_per_s = v[2];
        L->row.idle_nodes = (int)v[3];
        L->row.pause_s = v[4] / 1000.0;
        L->row.ckpt_s = v[5] / 1000.0;
    }
    if (st != LINE_END) {
        line_reader_error(&rd, st, path, err, errlen);
        goto fail;
    }
    line_reader_close(&rd);
    if (t->n == 0) {
        snprintf(err, errlen, "%s: no table rows", path);
        oracle_table_free(t);
        return NULL;
    }
    if (check_blocks(t, path, err, errlen)) {
        oracle_table_free(t);
        return NULL;
    }
    return t;
oom:
    snprintf(err, errlen, "%s: out of memory", path);
fail:
    line_reader_close(&rd);
    oracle_table_free(t);
    return NULL;
}

int oracle_table_lookup(const oracle_table *t, const char *system, const char *model, int n,
                        oracle_table_row *out)
{
    const tbl_line *lo = NULL, *hi = NULL, *hit = NULL;
    for (int i = 0; i < t->n; i++) {
        const tbl_line *L = &t->lines[i];
        if (strcmp(L->system, system) || strcmp(L->model, model)) continue;
        if (!lo || L->row.n_nodes < lo->row.n_nodes) lo = L;
        if (!hi || L->row.n_nodes > hi->row.n_nodes) hi = L;
        if (L->row.n_nodes == n) hit = L;
    }
    if (!lo) return -1;
    if (!hit) hit = n < lo->row.n_nodes ? lo : n > hi->row.n_nodes ? hi : NULL;
    if (!hit) return -1; /* a hole inside the range */
    *out = hit->row;
    return 0;
}

int oracle_table_models(const oracle_table *t, const char **names, int max)
{
    int n = 0;
    for (int i = 0; i < t->n; i++) {
        int seen = 0;
        for (int j = 0; j < n && !seen; j++) seen = !strcmp(names[j], t->lines[i].model);
        if (!seen && n < max) names[n++] = t->lines[i].model;
    }
    return n;
}

void oracle_table_unknown(const oracle_table *t, const char *system, const char *model, char *err,
                          size_t errlen)
{
    const char *names[64];
    int n = oracle_table_models(t, names, 64);
    size_t len = (size_t)snprintf(err, errlen, "no throughput table for system '%s', model '%s' "
                                  "(models:", system, model);
    for (int i = 0; i < n && len < errlen; i++)
        len += (size_t)snprintf(err + len, errlen - len, "%s %s", i ? "," : "", names[i]);
    if (len < errlen) snprintf(err + len, errlen - len, ")");
}

/* ---- as an oracle ----------------------------------------------------- */

typedef struct {
    oracle_table tbl;
    char system[TBL_NAME_MAX], model[TBL_NAME_MAX];
    oracle_table_row full;   /* the largest node count's row */
} table_ctx;

static void tb_info(void *ctx, oracle_info *out)
{
    const table_ctx *c = ctx;
    out->has_layers = 0;
    out->gpus_per_node = 1;
    out->global_batch_samples = c->full.global_batch_samples;
    out->n_microbatches = c->full.global_batch_samples;
}

static int tb_plan_time(void *ctx, const oracle_plan *plan, oracle_result *out, char *err,
                        size_t errlen)
{
    const table_ctx *c = ctx;
    int n = oracle_plan_nodes(plan);
    oracle_table_row r;
    if (oracle_table_lookup(&c->tbl, c->system, c->model, n, &r)) {
        snprintf(err, errlen, "no table row for %s %s at %d nodes", c->system, c->model, n);
        return -1;
    }
    if (!(r.samples_per_s > 0)) {
        out->fits = 0;
        return 0;
    }
    out->fits = 1;
    out->iter_s = r.global_batch_samples / r.samples_per_s;
    out->pipe_max_s = out->iter_s;
    out->pipe_s[0] = out->iter_s;
    return 0;
}

static void tb_free(void *ctx)
{
    table_ctx *c = ctx;
    if (!c) return;
    free(c->tbl.lines);
    free(c);
}

oracle *oracle_table_new(const oracle_table *t, const char *system, const char *model, char *err,
                         size_t errlen)
{
    oracle_table_row probe;
    if (oracle_table_lookup(t, system, model, 1 << 30, &probe)) {
        oracle_table_unknown(t, system, model, err, errlen);
        return NULL;
    }
    oracle *o = calloc(1, sizeof *o);
    table_ctx *c = calloc(1, sizeof *c);
    if (c) c->tbl.lines = malloc((size_t)t->n * sizeof *t->lines);
    if (!o || !c || !c->tbl.lines) {
        free(o);
        tb_free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(c->tbl.lines, t->lines, (size_t)t->n * sizeof *t->lines);
    c->tbl.n = c->tbl.cap = t->n;
    snprintf(c->system, sizeof c->system, "%s", system);
    snprintf(c->model, sizeof c->model, "%s", model);
    c->full = probe;
    o->ctx = c;
    o->info = tb_info;
    o->layer = NULL;
    o->plan_time = tb_plan_time;
    o->free = tb_free;
    return o;
}
