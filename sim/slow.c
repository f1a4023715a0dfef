/*
** slow.c -- sources of slowness: the "stragglers" section and its realisation
** as engine inputs (pure layer). See slow.h and docs/stragglers.md.
**
** Hosts are TP groups: host h runs pipeline stage d = h / dp of replica
** r = h % dp (plan.c, Megatron rank order), GPU g belongs to host g / tp and
** node n holds hosts n*k .. n*k+k-1 with k = gpus_per_node / tp. Replica
** classes (timeline.h) keep the engine fast: replicas nothing touches share
** class 0 when replica 0 is among them, replicas with the same constant
** slowness on every stage share a class, and replicas with any per-op,
** time-varying, link or stall source are classes of their own.
*/
#include "slow.h"

#include "errmsg.h"
#include "linereader.h"
#include "numparse.h"

#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Offset of the sequence-length stream's seed from the noise stream's, so
** that adding noise does not change the sampled lengths. */
#define SLOW_SEQLEN_SEED_OFFSET 0x5eedUL

/* Speed and bandwidth factors beyond a thousandfold are typos (a GPU at
** 1e-300 of its speed deadlocked the engine). */
#define SLOW_FACTOR_MIN 1e-3
#define SLOW_FACTOR_MAX 1e3

/* Per-op noise exp(sigma Z - sigma^2/2) keeps its mean at 1 only over many
** more draws than e^(sigma^2): its median is exp(-sigma^2/2), so past this
** the typical op takes almost no time and a run of a few thousand ops gets
** FASTER with more noise (sigma 10 ran in 0.13 s against 0.60 s without
** noise). At 2 the median op takes 0.14x and 55 draws carry the mean. */
#define SLOW_NOISE_SIGMA_MAX 2.0

/* Lognormal document lengths median * exp(sigma Z): past 3 almost every
** document is either rounded up to 1 token or longer than any context, so
** the result stops depending on sigma (docs/stragglers.md). */
#define SLOW_SEQLEN_SIGMA_MAX 3.0

/* A stall longer than an hour is an outage (the "failures" section), not a
** straggler; 1e308 ms printed a 300-digit iteration time. */
#define SLOW_PAUSE_MAX_MS 3.6e6

/* Documents one realisation may draw (all replicas and iterations). The
** draws, and the pieces kept for balance, grow with the tokens to fill over
** the document length: 1-token documents in 2^24-token samples took minutes
** and gigabytes. 2^24 draws take a few seconds at most (balance included). */
#define SLOW_SEQLEN_MAX_DOCS (1L << 24)

/* ======================================================================
** Parsing
** ====================================================================== */

/* "factor" of 'o' (> 0, required) within [SLOW_FACTOR_MIN, SLOW_FACTOR_MAX]. */
static int read_factor(cfgj_obj *o, double *out)
{
    if (cfgj_pos(o, "factor", out, 1, 1)) return -1;
    return cfgj_check_range(o, "factor", *out, SLOW_FACTOR_MIN, SLOW_FACTOR_MAX);
}

static int n_gpus_of(const cfg_experiment *e)
{
    return e->cluster.nodes * e->cluster.gpus_per_node;
}

/* One of "gpu", "node" or "all" selects GPUs. */
static int parse_sel(cfgj_obj *o, const cfg_experiment *e, slow_sel *out)
{
    int has_gpu = cfgj_has(o, "gpu"), has_node = cfgj_has(o, "node"), has_all = cfgj_has(o, "all");
    if (has_gpu + has_node + has_all != 1)
        return cfg_fail(o->err, o->file, o->path,
                        "name the GPUs with exactly one of \"gpu\", \"node\" or \"all\"");
    long v = 0;
    if (has_gpu) {
        if (cfgj_int(o, "gpu", &v, 0, 1, 0, n_gpus_of(e) - 1)) return -1;
        out->kind = SLOW_SEL_GPU;
    } else if (has_node) {
        if (cfgj_int(o, "node", &v, 0, 1, 0, e->cluster.nodes - 1)) return -1;
        out->kind = SLOW_SEL_NODE;
    } else {
        int all = 0;
        if (cfgj_bool(o, "all", &all, 0)) return -1;
        if (!all) return cfg_fail(o->err, o->file, o->path, "\"all\" must be true");
        out->kind = SLOW_SEL_ALL;
    }
    out->index = (int)v;
    return 0;
}

/* "profile": [[time_s, factor], ...], times ascending from 0. */
static int parse_profile(cfgj_obj *o, slow_device *d)
{
    const cJSON *arr;
    char path[CFGJ_PATH_MAX];
    if (cfgj_arr_member(o, "profile", &arr, path, sizeof path, 1) < 0) return -1;
    int n = cJSON_GetArraySize(arr);
    if (n < 1) return cfg_fail(o->err, o->file, path, "expected at least one [time_s, factor]");
    d->time_s = calloc((size_t)n, sizeof *d->time_s);
    d->factor_pt = calloc((size_t)n, sizeof *d->factor_pt);
    if (!d->time_s || !d->factor_pt) return cfg_fail(o->err, o->file, path, "out of memory");
    d->n_points = n;
    for (int i = 0; i < n; i++) {
        const cJSON *pt = cJSON_GetArrayItem(arr, i);
        const cJSON *t = cJSON_GetArrayItem(pt, 0), *f = cJSON_GetArrayItem(pt, 1);
        if (!cJSON_IsArray(pt) || cJSON_GetArraySize(pt) != 2 || !cJSON_IsNumber(t) ||
            !cJSON_IsNumber(f))
            return cfg_fail(o->err, o->file, path, "[%d]: expected [time_s, factor]", i);
        d->time_s[i] = t->valuedouble;
        d->factor_pt[i] = f->valuedouble;
        if (i == 0 && d->time_s[0] != 0)
            return cfg_fail(o->err, o->file, path, "[0]: the first point must be at time 0 (the "
                            "profile gives the speed from the start of the run), got %s",
                            num_text(d->time_s[0]).s);
        if (!(d->time_s[i] >= 0) || (i > 0 && !(d->time_s[i] > d->time_s[i - 1])))
            return cfg_fail(o->err, o->file, path, "[%d]: times must be >= 0 and increasing, "
                            "got %s", i, num_text(d->time_s[i]).s);
        if (!(d->factor_pt[i] >= SLOW_FACTOR_MIN && d->factor_pt[i] <= SLOW_FACTOR_MAX))
            return cfg_fail(o->err, o->file, path, "[%d]: expected a factor between %g and %g, "
                            "got %s", i, SLOW_FACTOR_MIN, SLOW_FACTOR_MAX, num_text(d->factor_pt[i]).s);
    }
    return 0;
}

static int parse_devices(cfgj_obj *top, const cfg_experiment *e, slow_model *m)
{
    const cJSON *arr;
    char path[CFGJ_PATH_MAX];
    int rc = cfgj_arr_member(top, "devices", &arr, path, sizeof path, 0);
    if (rc <= 0) return rc;
    m->n_devices = cJSON_GetArraySize(arr);
    m->devices = calloc((size_t)m->n_devices + 1, sizeof *m->devices);
    if (!m->devices) return cfg_fail(top->err, top->file, path, "out of memory");
    for (int i = 0; i < m->n_devices; i++) {
        slow_device *d = &m->devices[i];
        cfgj_obj o;
        snprintf(d->path, sizeof d->path, "%s[%d]", path, i);
        if (cfgj_open(&o, cJSON_GetArrayItem(arr, i), top->file, d->path, top->err)) return -1;
        parse_sel(&o, e, &d->sel);
        int has_f = cfgj_has(&o, "factor"), has_p = cfgj_has(&o, "profile");
        d->factor = 1;
        if (!o.err->failed && has_f + has_p != 1)
            cfg_fail(o.err, o.file, o.path, "give exactly one of \"factor\" or \"profile\"");
        else if (has_f)
            read_factor(&o, &d->factor);
        else if (!o.err->failed)
            parse_profile(&o, d);
        if (o.err->failed) {
            cfgj_release(&o);
            return -1;
        }
        if (cfgj_close(&o, "gpu, node, all, factor, profile")) return -1;
    }
    return 0;
}

/* Read an array of node indices at 'key' (required). */
static int parse_nodes(cfgj_obj *o, const cfg_experiment *e, int **nodes, int *n)
{
    const cJSON *arr;
    char path[CFGJ_PATH_MAX];
    if (cfgj_arr_member(o, "nodes", &arr, path, sizeof path, 1) < 0) return -1;
    *n = cJSON_GetArraySize(arr);
    if (*n < 1) return cfg_fail(o->err, o->file, path, "expected at least one node");
    *nodes = calloc((size_t)*n, sizeof **nodes);
    if (!*nodes) return cfg_fail(o->err, o->file, path, "out of memory");
    for (int i = 0; i < *n; i++) {
        const cJSON *v = cJSON_GetArrayItem(arr, i);
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 0 ||
            v->valuedouble >= e->cluster.nodes)
            return cfg_fail(o->err, o->file, path, "[%d]: expected a node in 0..%d", i,
                            e->cluster.nodes - 1);
        (*nodes)[i] = (int)v->valuedouble;
    }
    return 0;
}

static int parse_gpu_types(cfgj_obj *top, const cfg_experiment *e, slow_model *m)
{
    const cJSON *arr;
    char path[CFGJ_PATH_MAX], name[CFG_NAME_MAX], ipath[CFGJ_PATH_MAX];
    int rc = cfgj_arr_member(top, "gpu_types", &arr, path, sizeof path, 0);
    if (rc <= 0) return rc;
    if (e->model.kind == MODEL_ABSTRACT)
        return cfg_fail(top->err, top->file, path, "GPU types need a transformer model (the "
                        "op times come from the cost model)");
    m->n_gpu_types = cJSON_GetArraySize(arr);
    m->gpu_types = calloc((size_t)m->n_gpu_types + 1, sizeof *m->gpu_types);
    if (!m->gpu_types) return cfg_fail(top->err, top->file, path, "out of memory");
    for (int i = 0; i < m->n_gpu_types; i++) {
        slow_gpu_type *g = &m->gpu_types[i];
        cfgj_obj o;
        snprintf(ipath, sizeof ipath, "%s[%d]", path, i);
        if (cfgj_open(&o, cJSON_GetArrayItem(arr, i), top->file, ipath, top->err)) return -1;
        if (parse_nodes(&o, e, &g->nodes, &g->n_nodes) ||
            cfgj_str(&o, "gpu", name, sizeof name, NULL, 1)) {
            cfgj_release(&o);
            return -1;
        }
        char gpath[CFGJ_PATH_MAX];
        cfgj_child_path(&o, "gpu", gpath, sizeof gpath);
        if (cfg_load_gpu(name, top->file, gpath, &g->gpu, top->err)) {
            cfgj_release(&o);
            return -1;
        }
        if (cfgj_close(&o, "nodes, gpu")) return -1;
    }
    return 0;
}

static int parse_links(cfgj_obj *top, const cfg_experiment *e, slow_model *m)
{
    const cJSON *arr;
    char path[CFGJ_PATH_MAX], ipath[CFGJ_PATH_MAX];
    int rc = cfgj_arr_member(top, "links", &arr, path, sizeof path, 0);
    if (rc <= 0) return rc;
    int n = cJSON_GetArraySize(arr), k = e->cluster.gpus_per_node / e->parallel.tp;
    int n_leaf = plat_n_leaves(e);
    m->links = calloc((size_t)n * (size_t)k + 1, sizeof *m->links);
    if (!m->links) return cfg_fail(top->err, top->file, path, "out of memory");
    for (int i = 0; i < n; i++) {
        cfgj_obj o;
        snprintf(ipath, sizeof ipath, "%s[%d]", path, i);
        if (cfgj_open(&o, cJSON_GetArrayItem(arr, i), top->file, ipath, top->err)) return -1;
        int has_node = cfgj_has(&o, "node"), has_leaf = cfgj_has(&o, "leaf");
        long idx = 0;
        double f = 1;
        if (has_node + has_leaf != 1) {
            cfg_fail(o.err, o.file, o.path, "name the link with exactly one of \"node\" (its "
                     "NICs) or \"leaf\" (its uplinks to the spines)");
        } else if (has_node) {
            cfgj_int(&o, "node", &idx, 0, 1, 0, e->cluster.nodes - 1);
        } else {
            cfgj_int(&o, "leaf", &idx, 0, 1, 0, n_leaf - 1);
        }
        read_factor(&o, &f);
        if (o.err->failed) {
            cfgj_release(&o);
            return -1;
        }
        if (has_leaf) {
            m->links[m->n_links++] = (plat_link_factor){PLAT_LINK_LEAF_UPLINKS, (int)idx, f};
        } else {
            for (int j = 0; j < k; j++)
                m->links[m->n_links++] = (plat_link_factor){PLAT_LINK_NIC, (int)idx * k + j, f};
        }
        if (cfgj_close(&o, "node, leaf, factor")) return -1;
    }
    return 0;
}

static int parse_noise(cfgj_obj *top, slow_model *m)
{
    cfgj_obj o;
    int rc = cfgj_obj_member(top, "noise", &o, 0);
    if (rc <= 0) return rc;
    static const char *const dists[] = {"lognormal"};
    int dist = 0;
    cfgj_enum(&o, "distribution", dists, 1, &dist, 0, 0);
    if (!cfgj_nonneg(&o, "sigma", &m->noise_sigma, 0, 1))
        cfgj_check_range(&o, "sigma", m->noise_sigma, 0, SLOW_NOISE_SIGMA_MAX);
    return cfgj_close(&o, "distribution, sigma");
}

static int parse_pauses(cfgj_obj *top, const cfg_experiment *e, slow_model *m)
{
    const cJSON *arr;
    char path[CFGJ_PATH_MAX], ipath[CFGJ_PATH_MAX];
    int rc = cfgj_arr_member(top, "pauses", &arr, path, sizeof path, 0);
    if (rc <= 0) return rc;
    m->n_pauses = cJSON_GetArraySize(arr);
    m->pauses = calloc((size_t)m->n_pauses + 1, sizeof *m->pauses);
    if (!m->pauses) return cfg_fail(top->err, top->file, path, "out of memory");
    for (int i = 0; i < m->n_pauses; i++) {
        slow_pause *ps = &m->pauses[i];
        cfgj_obj o;
        long every = 1, first = 0;
        double ms = 0;
        snprintf(ipath, sizeof ipath, "%s[%d]", path, i);
        if (cfgj_open(&o, cJSON_GetArrayItem(arr, i), top->file, ipath, top->err)) return -1;
        parse_sel(&o, e, &ps->sel);
        cfgj_int(&o, "every", &every, 1, 0, 1, 1000);
        cfgj_int(&o, "first", &first, every - 1, 0, 0, 999);
        if (!cfgj_pos(&o, "duration_ms", &ms, 0, 1))
            cfgj_check_range(&o, "duration_ms", ms, 0, SLOW_PAUSE_MAX_MS);
        ps->every = (int)every;
        ps->first = (int)first;
        ps->duration_s = ms * 1e-3;
        if (cfgj_close(&o, "gpu, node, all, every, first, duration_ms")) return -1;
    }
    return 0;
}

/* Lengths file 'file' (as resolved) named at 'json_path' of 'cfg_file': one
** positive length (tokens) a line; blank lines and lines starting with '#'
** are skipped. An error at a line names "FILE:LINE"; one about the whole
** file (cannot open or read it, no lengths) names the config file and quotes
** 'file'. */
static int read_len_file(const char *cfg_file, const char *file, const char *json_path,
                         slow_seqlen *sq, cfg_error *err)
{
    line_reader rd;
    if (line_reader_open(&rd, file))
        return cfg_fail(err, cfg_file, json_path, "cannot open '%s': %s", file, strerror(errno));
    char where[CFGJ_FILE_MAX + 16];
    int cap = 0, rc = 0;
    line_status st;
    while ((st = line_reader_next(&rd)) == LINE_OK) {
        char *s = rd.line + strspn(rd.line, " \t");
        char *end = s + strcspn(s, " \t"), saved = *end;
        double v = 0;
        *end = 0;
        int bad = num_parse_decimal(s, &v);
        *end = saved;
        end += strspn(end, " \t");
        if (bad || *end || !(v >= 1)) {
            snprintf(where, sizeof where, "%s:%d", file, rd.lineno);
            rc = cfg_fail(err, where, json_path, "expected a sequence length >= 1 (tokens), "
                          "got '%s'", s);
            break;
        }
        if (sq->n_file == cap) {
            cap = cap ? 2 * cap : 256;
            double *grown = realloc(sq->file_len, (size_t)cap * sizeof *grown);
            if (!grown) {
                rc = cfg_fail(err, cfg_file, json_path, "out of memory");
                break;
            }
            sq->file_len = grown;
        }
        sq->file_len[sq->n_file++] = v;
    }
    if (!rc && st == LINE_TOO_LONG) {
        snprintf(where, sizeof where, "%s:%d", file, rd.lineno);
        rc = cfg_fail(err, where, json_path, "line too long");
    } else if (!rc && st == LINE_READ_ERROR) { /* a directory: an error, not an empty file */
        rc = cfg_fail(err, cfg_file, json_path, "cannot read '%s': %s", file, strerror(errno));
    }
    line_reader_close(&rd);
    if (!rc && sq->n_file == 0)
        rc = cfg_fail(err, cfg_file, json_path, "no sequence lengths in '%s'", file);
    return rc;
}

/* A path relative to the experiment file's directory (absolute paths and
** files that exist as given are kept). */
static void resolve_near(const char *ref, const char *name, char *out, size_t len)
{
    const char *slash = strrchr(ref, '/');
    FILE *f = fopen(name, "r");
    if (name[0] == '/' || f || !slash) snprintf(out, len, "%s", name);
    else snprintf(out, len, "%.*s/%s", (int)(slash - ref), ref, name);
    if (f) fclose(f);
}

static int parse_seqlen(cfgj_obj *top, const cfg_experiment *e, slow_model *m)
{
    cfgj_obj o;
    int rc = cfgj_obj_member(top, "seqlen", &o, 0);
    if (rc <= 0) return rc;
    slow_seqlen *sq = &m->seqlen;
    m->has_seqlen = 1;
    static const char *const dists[] = {"lognormal", "uniform", "exponential", "file"};
    static const char *const packs[] = {"none", "pack", "balance"};
    int dist = 0, pack = 0;
    long ctx = 0;
    char file[CFGJ_FILE_MAX], resolved[CFGJ_FILE_MAX], fpath[CFGJ_PATH_MAX];
    cfgj_enum(&o, "distribution", dists, 4, &dist, 0, 1);
    cfgj_enum(&o, "packing", packs, 3, &pack, 0, 0);
    int abstract = e->model.kind == MODEL_ABSTRACT;
    cfgj_int(&o, "context", &ctx, abstract ? 0 : e->model.seq_len, abstract, 1, 1L << 24);
    sq->attention_frac = NAN;
    if (cfgj_has(&o, "attention_frac"))
        cfgj_num(&o, "attention_frac", &sq->attention_frac, 0, 1, 0, 1);
    else if (abstract)
        sq->attention_frac = 0;
    sq->dist = (slow_len_dist)dist;
    sq->packing = (slow_packing)pack;
    sq->context = (int)ctx;
    switch (sq->dist) {
    case SLOW_LEN_LOGNORMAL:
        cfgj_pos(&o, "median", &sq->a, 0, 1);
        if (!cfgj_nonneg(&o, "sigma", &sq->b, 0, 1))
            cfgj_check_range(&o, "sigma", sq->b, 0, SLOW_SEQLEN_SIGMA_MAX);
        break;
    case SLOW_LEN_UNIFORM:
        cfgj_num(&o, "min", &sq->a, 1, 1, 1, INFINITY);
        cfgj_num(&o, "max", &sq->b, 1, 1, 1, INFINITY);
        if (!o.err->failed && sq->b < sq->a)
            cfg_fail(o.err, o.file, o.path, "\"max\" (%g) must be >= \"min\" (%g)", sq->b, sq->a);
        break;
    case SLOW_LEN_EXPONENTIAL:
        cfgj_pos(&o, "mean", &sq->a, 0, 1);
        break;
    case SLOW_LEN_FILE:
        cfgj_child_path(&o, "file", fpath, sizeof fpath);
        if (!cfgj_str(&o, "file", file, sizeof file, NULL, 1)) {
            resolve_near(top->file, file, resolved, sizeof resolved);
            read_len_file(top->file, resolved, fpath, sq, o.err);
        }
        break;
    }
    return cfgj_close(&o, sq->dist == SLOW_LEN_LOGNORMAL ? "distribution, median, sigma, "
                      "packing, context, attention_frac" : sq->dist == SLOW_LEN_UNIFORM ?
                      "distribution, min, max, packing, context, attention_frac" :
                      sq->dist == SLOW_LEN_EXPONENTIAL ? "distribution, mean, packing, context, "
                      "attention_frac" : "distribution, file, packing, context, attention_frac");
}

void slow_free(slow_model *m)
{
    if (!m) return;
    for (int i = 0; i < m->n_devices; i++) {
        free(m->devices[i].time_s);
        free(m->devices[i].factor_pt);
    }
    for (int i = 0; i < m->n_gpu_types; i++) free(m->gpu_types[i].nodes);
    free(m->devices);
    free(m->gpu_types);
    free(m->links);
    free(m->pauses);
    free(m->seqlen.file_len);
    free(m);
}

int slow_parse(const cfg_experiment *e, slow_model **out, cfg_error *err)
{
    *out = NULL;
    if (!e->stragglers) return 0;
    slow_model *m = calloc(1, sizeof *m);
    if (!m) return cfg_fail(err, e->file, "$.stragglers", "out of memory");
    cfgj_obj o;
    if (cfgj_open(&o, e->stragglers, e->file, "$.stragglers", err)) goto fail;
    if (parse_devices(&o, e, m) || parse_gpu_types(&o, e, m) || parse_links(&o, e, m) ||
        parse_noise(&o, m) || parse_pauses(&o, e, m) || parse_seqlen(&o, e, m)) {
        cfgj_release(&o);
        goto fail;
    }
    if (cfgj_close(&o, "devices, gpu_types, links, noise, pauses, seqlen")) goto fail;
    *out = m;
    return 0;
fail:
    /* a value written by --set (or compare's --vary) is blamed on it, not on the file */
    if (!strcmp(err->file, e->file)) cfg_blame_overrides(&e->ov, err);
    slow_free(m);
    return -1;
}

int slow_check_run_level(const slow_model *m, const cfg_experiment *e, cfg_error *err)
{
    static const char why[] = "a run with failures does not track which GPUs and nodes are "
                              "alive, so it applies only slowness that names none";
    int rc = 0;
    for (int i = 0; i < m->n_devices && !rc; i++) {
        const slow_device *d = &m->devices[i];
        if (d->sel.kind != SLOW_SEL_ALL)
            rc = cfg_fail(err, e->file, d->path, "%s: use \"all\": true, or drop failures", why);
        else if (d->n_points)
            rc = cfg_fail(err, e->file, d->path, "a run with failures applies constant "
                          "slowness only (its iteration times hold for the whole run): give "
                          "a \"factor\", not a \"profile\"");
    }
    const struct {
        int n;
        const char *path;
    } named[] = {{m->n_gpu_types, "$.stragglers.gpu_types"},
                 {m->n_links, "$.stragglers.links"},
                 {m->n_pauses, "$.stragglers.pauses"}};
    for (size_t i = 0; i < sizeof named / sizeof named[0] && !rc; i++)
        if (named[i].n)
            rc = cfg_fail(err, e->file, named[i].path, "%s (devices with \"all\", noise, "
                          "seqlen)", why);
    if (rc && !strcmp(err->file, e->file)) cfg_blame_overrides(&e->ov, err);
    return rc;
}

void slow_describe_run_level(const slow_model *m, char *out, size_t len)
{
    static const char *const dist[] = {"lognormal", "uniform", "exponential", "from a file"};
    static const char *const packing[] = {"none", "pack", "balance"};
    double factor = 1;
    for (int i = 0; i < m->n_devices; i++) factor *= m->devices[i].factor;
    size_t at = 0;
    out[0] = 0;
    if (m->n_devices && at < len)
        at += (size_t)snprintf(out + at, len - at, "every GPU at %gx", factor);
    if (m->noise_sigma > 0 && at < len)
        at += (size_t)snprintf(out + at, len - at, "%sper-op noise (lognormal sigma %g)",
                               at ? ", " : "", m->noise_sigma);
    if (m->has_seqlen && at < len)
        snprintf(out + at, len - at, "%ssequence lengths %s (packing %s)", at ? ", " : "",
                 dist[m->seqlen.dist], packing[m->seqlen.packing]);
}

/* ======================================================================
** Sequence lengths
** ====================================================================== */

static int cmp_len_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Adds a piece of 'len' tokens to microbatch 'j'. */
static void add_piece(double *lin, double *quad, int j, double len)
{
    lin[j] += len;
    quad[j] += len * len;
}

int slow_fill_microbatches(slow_packing packing, int m, int samples, int context,
                           double (*draw)(void *ctx), void *ctx, double *lin, double *quad)
{
    double C = context, cap = (double)samples * C;
    for (int j = 0; j < m; j++) lin[j] = quad[j] = 0;
    if (packing == SLOW_PACK_NONE) {
        for (int j = 0; j < m; j++)
            for (int i = 0; i < samples; i++) {
                double s = draw(ctx);
                if (!(s >= 1)) return -2;
                add_piece(lin, quad, j, fmin(s, C));
            }
    } else {
        /* concatenate, cut every C tokens (a document crossing a sample
        ** boundary becomes two pieces). pack adds each piece to its
        ** microbatch as it is cut (O(m) memory); balance keeps the lengths
        ** (one double per piece: documents + samples) to place them below. */
        int keep = packing == SLOW_PACK_BALANCE;
        size_t n = 0, n_cap = 64;
        double *pc = keep ? malloc(n_cap * sizeof *pc) : NULL;
        if (keep && !pc) return -1;
        double total = (double)m * cap, filled = 0;
        while (filled < total) {
            double left = draw(ctx);
            if (!(left >= 1)) {
                free(pc);
                return -2;
            }
            left = fmin(left, total - filled);
            while (left > 0) {
                double room = C - fmod(filled, C), take = fmin(left, room);
                if (!keep) {
                    add_piece(lin, quad, (int)(filled / cap), take);
                } else {
                    if (n == n_cap) {
                        n_cap *= 2;
                        double *grown = realloc(pc, n_cap * sizeof *pc);
                        if (!grown) {
                            free(pc);
                            return -1;
                        }
                        pc = grown;
                    }
                    pc[n++] = take;
                }
                filled += take;
                left -= take;
            }
        }
        if (keep) {
            /* longest first to the microbatch with the least sum(s^2) that
            ** has room; a piece no microbatch can hold is split over the
            ** roomiest ones */
            double *room = malloc((size_t)m * sizeof *room);
            if (!room) {
                free(pc);
                return -1;
            }
            for (int j = 0; j < m; j++) room[j] = cap;
            qsort(pc, n, sizeof *pc, cmp_len_desc);
            for (size_t i = 0; i < n; i++) {
                double left = pc[i];
                while (left > 1e-9) {
                    int best = -1, roomiest = 0;
                    for (int j = 0; j < m; j++) {
                        if (room[j] > room[roomiest]) roomiest = j;
                        if (room[j] >= left && (best < 0 || quad[j] < quad[best])) best = j;
                    }
                    int j = best >= 0 ? best : roomiest;
                    double take = fmin(left, room[j]);
                    room[j] -= take;
                    add_piece(lin, quad, j, take);
                    left -= take;
                }
            }
            free(room);
        }
        free(pc);
    }
    for (int j = 0; j < m; j++) {
        lin[j] /= cap;
        quad[j] /= cap * C;
    }
    return 0;
}

typedef struct {
    const slow_seqlen *sq;
    gsl_rng *rng;
    long left;                 /* draws left of SLOW_SEQLEN_MAX_DOCS */
} len_source;

/* One document length (tokens, >= 1, whole), or 0 once 'left' is spent. */
static double draw_len(void *ctx)
{
    len_source *ls = ctx;
    const slow_seqlen *sq = ls->sq;
    double x = 1;
    if (ls->left-- <= 0) return 0;
    switch (sq->dist) {
    case SLOW_LEN_LOGNORMAL: x = gsl_ran_lognormal(ls->rng, log(sq->a), sq->b); break;
    case SLOW_LEN_UNIFORM: x = gsl_ran_flat(ls->rng, sq->a, sq->b); break;
    case SLOW_LEN_EXPONENTIAL: x = gsl_ran_exponential(ls->rng, sq->a); break;
    case SLOW_LEN_FILE: x = sq->file_len[gsl_rng_uniform_int(ls->rng, (unsigned long)sq->n_file)];
        break;
    }
    x = round(x);
    return x < 1 ? 1 : x;
}

/* ======================================================================
** Realisation for one plan
** ====================================================================== */

void slow_scale_plan_work(const slow_plan *sp, const cfg_experiment *e, plan_t *p)
{
    if (p->abstract || isnan(sp->seq_tokens)) return;
    double nominal = (double)e->parallel.global_batch_size * e->model.seq_len;
    double tf = sp->seq_tokens / nominal, af = sp->seq_tokens_sq / (nominal * e->model.seq_len);
    double tok, attn;
    p->tokens_per_iter = sp->seq_tokens;
    cost_iteration_flops_split(e, 1, &tok, &attn);
    p->executed_flops = tok * tf + attn * af;
    cost_iteration_flops_split(e, 0, &tok, &attn);
    p->model_flops = tok * tf + attn * af;
}

void slow_plan_free(slow_plan *sp)
{
    if (!sp) return;
    free(sp->classes.class_of_replica);
    free(sp->classes.speed);
    free(sp->classes.op_scale);
    free(sp->classes.pause_s);
    free(sp->classes.rep_replica);
    free(sp->profiles);
    free(sp->links);
    memset(sp, 0, sizeof *sp);
}

/* Does selection 'sel' include a GPU of host 'h'? */
static int sel_has_host(const slow_sel *sel, int h, int tp, int hosts_per_node)
{
    switch (sel->kind) {
    case SLOW_SEL_GPU: return sel->index / tp == h;
    case SLOW_SEL_NODE: return h / hosts_per_node == sel->index;
    default: return 1;
    }
}

/* Nominal seconds of an op kind on stage 'st', as plan_op_s combines them. */
static double kind_s(const cost_stage *st, int kind, int split, int attn_only)
{
    const cost_op *f = &st->f, *b = &st->b, *w = &st->w;
    double fv = attn_only ? f->attn_s : f->compute_s, bv = attn_only ? b->attn_s : b->compute_s;
    double wv = attn_only ? w->attn_s : w->compute_s;
    switch (kind) {
    case SCHED_OP_F: return fv;
    case SCHED_OP_B: return split ? bv : bv + wv;
    default: return wv;
    }
}

/* Per (gpu type, vstage, kind) duration factors, and per (vstage, kind) attention shares. */
static int op_tables(const slow_model *m, const cfg_experiment *e, const plan_t *p,
                     double *type_factor, double *attn_share)
{
    int nv = p->n_vs, split = p->sched.split_backward;
    if (p->abstract) {
        for (int i = 0; i < 3 * nv; i++)
            attn_share[i] = isnan(m->seqlen.attention_frac) ? 0 : m->seqlen.attention_frac;
        return 0;
    }
    cost_stage *base = malloc((size_t)nv * sizeof *base);
    if (!base) return -1;
    for (int vs = 0; vs < nv; vs++) cost_stage_ops(e, vs, nv, &base[vs]);
    for (int vs = 0; vs < nv; vs++)
        for (int k = 0; k < 3; k++) {
            double t = kind_s(&base[vs], k, split, 0);
            double a = t > 0 ? kind_s(&base[vs], k, split, 1) / t : 0;
            attn_share[vs * 3 + k] = isnan(m->seqlen.attention_frac) ? a : m->seqlen.attention_frac;
        }
    for (int g = 0; g < m->n_gpu_types; g++) {
        cfg_experiment e2 = *e;
        e2.cluster.gpu = m->gpu_types[g].gpu;
        for (int vs = 0; vs < nv; vs++) {
            cost_stage other;
            cost_stage_ops(&e2, vs, nv, &other);
            for (int k = 0; k < 3; k++) {
                double t = kind_s(&base[vs], k, split, 0);
                type_factor[(g * nv + vs) * 3 + k] = t > 0 ? kind_s(&other, k, split, 0) / t : 1;
            }
        }
    }
    free(base);
    return 0;
}

/* Working arrays of slow_build, per host unless noted. */
typedef struct {
    int H, tp, k, pp, dp;
    double *gpu_f;     /* [n_gpus] constant factor of each GPU */
    double *host_f;    /* min over the group */
    int *prof;         /* device entry with a profile, or -1 */
    int *gtype;        /* GPU type, or -1 */
    unsigned char *unique;  /* profile, link or stall: the replica needs its own class */
    unsigned char *touched;
} build_ws;

static void ws_free(build_ws *w)
{
    free(w->gpu_f);
    free(w->host_f);
    free(w->prof);
    free(w->gtype);
    free(w->unique);
    free(w->touched);
}

static int host_of(const build_ws *w, int d, int r) { return r + w->dp * d; }

/* Per-host facts from the parsed entries. */
static int mark_hosts(const slow_model *m, const cfg_experiment *e, build_ws *w, char *err,
                      size_t errlen)
{
    int G = w->H * w->tp;
    for (int g = 0; g < G; g++) w->gpu_f[g] = 1;
    for (int h = 0; h < w->H; h++) w->prof[h] = w->gtype[h] = -1;
    for (int i = 0; i < m->n_devices; i++) {
        const slow_device *dv = &m->devices[i];
        for (int h = 0; h < w->H; h++) {
            if (!sel_has_host(&dv->sel, h, w->tp, w->k)) continue;
            if (dv->n_points) {
                w->touched[h] = 1;
                if (w->prof[h] >= 0) {
                    cfg_error ce = {0};
                    cfg_fail(&ce, e->file, dv->path, "a second speed profile on the TP group of "
                             "GPUs %d..%d, after %s's (one profile per group)", h * w->tp,
                             h * w->tp + w->tp - 1, m->devices[w->prof[h]].path);
                    cfg_blame_overrides(&e->ov, &ce);
                    cfg_error_format(&ce, err, errlen);
                    return -1;
                }
                w->prof[h] = i;
                w->unique[h] = 1;
                continue;
            }
            for (int g = h * w->tp; g < (h + 1) * w->tp; g++)
                if (dv->sel.kind != SLOW_SEL_GPU || g == dv->sel.index) w->gpu_f[g] *= dv->factor;
        }
    }
    for (int h = 0; h < w->H; h++) {
        double f = w->gpu_f[h * w->tp];
        for (int g = h * w->tp + 1; g < (h + 1) * w->tp; g++) f = fmin(f, w->gpu_f[g]);
        w->host_f[h] = f;
        if (f != 1) w->touched[h] = 1;
    }
    for (int t = 0; t < m->n_gpu_types; t++)
        for (int j = 0; j < m->gpu_types[t].n_nodes; j++)
            for (int h = m->gpu_types[t].nodes[j] * w->k; h < (m->gpu_types[t].nodes[j] + 1) * w->k; h++)
                if (h < w->H) {
                    w->gtype[h] = t;
                    w->touched[h] = 1;
                }
    for (int i = 0; i < m->n_links; i++)
        for (int h = 0; h < w->H; h++) {
            int hit = m->links[i].kind == PLAT_LINK_NIC
                          ? h == m->links[i].index
                          : plat_leaf_of_host(e, w->k, h) == m->links[i].index;
            if (hit) w->touched[h] = w->unique[h] = 1;
        }
    for (int i = 0; i < m->n_pauses; i++)
        for (int h = 0; h < w->H; h++)
            if (sel_has_host(&m->pauses[i].sel, h, w->tp, w->k)) w->touched[h] = w->unique[h] = 1;
    return 0;
}

/* Same constant slowness on every stage? */
static int same_signature(const build_ws *w, int r1, int r2)
{
    for (int d = 0; d < w->pp; d++) {
        int a = host_of(w, d, r1), b = host_of(w, d, r2);
        if (w->host_f[a] != w->host_f[b] || w->gtype[a] != w->gtype[b]) return 0;
    }
    return 1;
}

/* Classes in order of their first replica, so replica 0 is in class 0. */
static int make_classes(const slow_model *m, build_ws *w, int *class_of, int *rep, int *n_classes)
{
    int all_unique = m->noise_sigma > 0 || m->has_seqlen, nc = 0;
    for (int r = 0; r < w->dp; r++) {
        int touched = 0, unique = all_unique;
        for (int d = 0; d < w->pp; d++) {
            touched |= w->touched[host_of(w, d, r)];
            unique |= w->unique[host_of(w, d, r)];
        }
        int c = -1;
        if (!unique)
            for (int j = 0; j < nc && c < 0; j++) {
                int r0 = rep[j], t0 = 0, u0 = all_unique;
                for (int d = 0; d < w->pp; d++) {
                    t0 |= w->touched[host_of(w, d, r0)];
                    u0 |= w->unique[host_of(w, d, r0)];
                }
                if (!u0 && t0 == touched && same_signature(w, r, r0)) c = j;
            }
        if (c < 0) {
            c = nc++;
            rep[c] = r;
        }
        class_of[r] = c;
    }
    *n_classes = nc;
    return 0;
}

/* op_scale of every class: GPU type, noise, sequence lengths. Returns 0, -1
** (out of memory) or -2 (more than SLOW_SEQLEN_MAX_DOCS documents). */
static int fill_op_scale(const slow_model *m, const cfg_experiment *e, const plan_t *p,
                         const build_ws *w, const int *rep, slow_plan *out)
{
    tl_classes *cl = &out->classes;
    int nv = p->n_vs, rc = -1;
    double *type_f = malloc(((size_t)m->n_gpu_types * (size_t)nv + 1) * 3 * sizeof *type_f);
    double *attn = malloc((size_t)nv * 3 * sizeof *attn);
    double *lin = malloc((size_t)p->m * sizeof *lin), *quad = malloc((size_t)p->m * sizeof *quad);
    double *len_lin = NULL, *len_quad = NULL;
    gsl_rng *noise = gsl_rng_alloc(gsl_rng_mt19937), *lens = gsl_rng_alloc(gsl_rng_mt19937);
    if (!type_f || !attn || !lin || !quad || !noise || !lens) goto done;
    if (op_tables(m, e, p, type_f, attn)) goto done;
    gsl_rng_set(noise, e->seed);
    gsl_rng_set(lens, e->seed + SLOW_SEQLEN_SEED_OFFSET);
    /* sequence lengths per (replica, iteration, microbatch), drawn in that order */
    size_t n_mb = (size_t)w->dp * (size_t)cl->n_iter * (size_t)p->m;
    if (m->has_seqlen) {
        len_lin = malloc(n_mb * sizeof *len_lin);
        len_quad = malloc(n_mb * sizeof *len_quad);
        if (!len_lin || !len_quad) goto done;
        len_source ls = {&m->seqlen, lens, SLOW_SEQLEN_MAX_DOCS};
        int b = p->abstract ? 1 : e->parallel.microbatch_size;
        for (int r = 0; r < w->dp; r++)
            for (int it = 0; it < cl->n_iter; it++) {
                size_t at = ((size_t)r * (size_t)cl->n_iter + (size_t)it) * (size_t)p->m;
                int frc = slow_fill_microbatches(m->seqlen.packing, p->m, b, m->seqlen.context,
                                                 draw_len, &ls, len_lin + at, len_quad + at);
                if (frc) {
                    rc = frc;
                    goto done;
                }
            }
    }
    if (m->has_seqlen) {
        /* the work the last iteration's microbatches hold, for the reports:
        ** lin = sum(s_i) / (b C), quad = sum(s_i^2) / (b C^2) scale the op
        ** costs, which are the model's at seq_len tokens a sample; so in the
        ** model's tokens (C unless a "context" other than seq_len is given) */
        int b = p->abstract ? 1 : e->parallel.microbatch_size;
        double C = p->abstract ? m->seqlen.context : e->model.seq_len, tok = 0, sq = 0;
        for (int r = 0; r < w->dp; r++)
            for (int j = 0; j < p->m; j++) {
                size_t at = ((size_t)r * (size_t)cl->n_iter + (size_t)(cl->n_iter - 1)) *
                                (size_t)p->m + (size_t)j;
                tok += len_lin[at] * b * C;
                sq += len_quad[at] * b * C * C;
            }
        out->seq_tokens = tok;
        out->seq_tokens_sq = sq;
    }
    double sig = m->noise_sigma;
    for (int c = 0; c < cl->n_classes; c++)
        for (int d = 0; d < p->pp; d++) {
            int h = host_of(w, d, rep[c]), gt = w->gtype[h];
            for (int it = 0; it < cl->n_iter; it++) {
                double *row = cl->op_scale +
                              (((size_t)c * (size_t)p->pp + (size_t)d) * (size_t)cl->n_iter +
                               (size_t)it) * (size_t)cl->n_ops;
                for (int i = 0; i < cl->n_ops; i++) row[i] = 1;
                for (int i = 0; i < p->sched.n_ops[d]; i++) {
                    const sched_op *op = &p->sched.ops[d][i];
                    int vs = sched_vstage(&p->sched, d, op->chunk);
                    double f = 1;
                    if (gt >= 0) f *= type_f[((size_t)gt * (size_t)nv + (size_t)vs) * 3 + op->kind];
                    if (sig > 0) f *= gsl_ran_lognormal(noise, -0.5 * sig * sig, sig);
                    if (m->has_seqlen) {
                        size_t at = ((size_t)rep[c] * (size_t)cl->n_iter + (size_t)it) *
                                        (size_t)p->m + (size_t)op->mb;
                        double a = attn[vs * 3 + op->kind];
                        f *= (1 - a) * len_lin[at] + a * len_quad[at];
                    }
                    row[i] = f;
                }
            }
        }
    rc = 0;
done:
    free(type_f);
    free(attn);
    free(lin);
    free(quad);
    free(len_lin);
    free(len_quad);
    gsl_rng_free(noise);
    gsl_rng_free(lens);
    return rc;
}

/* The error of a "seqlen" section that needs more than SLOW_SEQLEN_MAX_DOCS
** documents, blaming the --set that wrote it if one did. */
static void too_many_docs(const cfg_experiment *e, char *err, size_t errlen)
{
    cfg_error ce = {0};
    cfg_fail(&ce, e->file, "$.stragglers.seqlen", "filling the microbatches takes more than "
             "%ld documents (tokens per sample over the document length, for every "
             "microbatch, replica and iteration): use longer documents or a shorter \"context\"",
             SLOW_SEQLEN_MAX_DOCS);
    cfg_blame_overrides(&e->ov, &ce);
    cfg_error_format(&ce, err, errlen);
}

int slow_build(const slow_model *m, const cfg_experiment *e, const plan_t *p, int iterations,
               slow_plan *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->seq_tokens = out->seq_tokens_sq = NAN;
    build_ws w = {.H = p->pp * p->dp, .tp = p->tp, .pp = p->pp, .dp = p->dp};
    w.k = e->cluster.gpus_per_node / p->tp;
    if (w.k < 1) w.k = 1;
    if (iterations < 1) iterations = 1;
    size_t H = (size_t)w.H;
    int *rep = malloc((size_t)p->dp * sizeof *rep);
    w.gpu_f = malloc(H * (size_t)w.tp * sizeof *w.gpu_f);
    w.host_f = malloc(H * sizeof *w.host_f);
    w.prof = malloc(H * sizeof *w.prof);
    w.gtype = malloc(H * sizeof *w.gtype);
    w.unique = calloc(H, 1);
    w.touched = calloc(H, 1);
    tl_classes *cl = &out->classes;
    cl->class_of_replica = malloc((size_t)p->dp * sizeof *cl->class_of_replica);
    if (!rep || !w.gpu_f || !w.host_f || !w.prof || !w.gtype || !w.unique || !w.touched ||
        !cl->class_of_replica)
        goto oom;
    if (mark_hosts(m, e, &w, err, errlen)) goto fail;
    make_classes(m, &w, cl->class_of_replica, rep, &cl->n_classes);
    size_t nc = (size_t)cl->n_classes, pp = (size_t)p->pp;
    cl->speed = malloc(nc * pp * sizeof *cl->speed);
    if (!cl->speed) goto oom;
    for (size_t c = 0; c < nc; c++)
        for (size_t d = 0; d < pp; d++) cl->speed[c * pp + d] = w.host_f[host_of(&w, (int)d, rep[c])];
    cl->n_iter = out->n_iter = iterations;
    for (int d = 0; d < p->pp; d++)
        if (p->sched.n_ops[d] > cl->n_ops) cl->n_ops = p->sched.n_ops[d];

    if (m->n_gpu_types || m->noise_sigma > 0 || m->has_seqlen) {
        cl->op_scale = malloc(nc * pp * (size_t)iterations * (size_t)cl->n_ops * sizeof(double));
        if (!cl->op_scale) goto oom;
        int frc = fill_op_scale(m, e, p, &w, rep, out);
        if (frc == -2) {
            too_many_docs(e, err, errlen);
            goto fail;
        }
        if (frc) goto oom;
    }
    out->min_iterations = 1;
    if (m->n_pauses) {
        cl->pause_s = calloc(nc * pp * (size_t)iterations, sizeof *cl->pause_s);
        if (!cl->pause_s) goto oom;
        for (int i = 0; i < m->n_pauses; i++) {
            const slow_pause *ps = &m->pauses[i];
            if (ps->first + 1 > out->min_iterations) out->min_iterations = ps->first + 1;
            for (size_t c = 0; c < nc; c++)
                for (int d = 0; d < p->pp; d++) {
                    if (!sel_has_host(&ps->sel, host_of(&w, d, rep[c]), w.tp, w.k)) continue;
                    for (int it = ps->first; it < iterations; it += ps->every)
                        cl->pause_s[(c * pp + (size_t)d) * (size_t)iterations + (size_t)it] +=
                            ps->duration_s;
                }
        }
    }
    /* speed profiles of the hosts that run a class */
    out->profiles = calloc(nc * pp + 1, sizeof *out->profiles);
    if (!out->profiles) goto oom;
    for (size_t c = 0; c < nc; c++)
        for (int d = 0; d < p->pp; d++) {
            int h = host_of(&w, d, rep[c]);
            if (w.prof[h] < 0) continue;
            const slow_device *dv = &m->devices[w.prof[h]];
            out->profiles[out->n_profiles++] =
                (plat_speed_profile){h, dv->n_points, dv->time_s, dv->factor_pt};
        }
    out->links = calloc((size_t)m->n_links + 1, sizeof *out->links);
    if (!out->links) goto oom;
    if (m->n_links) memcpy(out->links, m->links, (size_t)m->n_links * sizeof *out->links);
    out->n_links = m->n_links;
    out->baseline_replica = -1;
    for (int r = 0; r < p->dp && out->baseline_replica < 0; r++) {
        int profiled = 0;
        for (int d = 0; d < p->pp; d++) profiled |= w.prof[host_of(&w, d, r)] >= 0;
        if (!profiled) out->baseline_replica = r;
    }
    for (size_t h = 0; h < H; h++) out->n_slow_hosts += w.touched[h];
    free(rep);
    ws_free(&w);
    return 0;
oom:
    errmsg_set(err, errlen, "out of memory");
fail:
    free(rep);
    ws_free(&w);
    slow_plan_free(out);
    return -1;
}
