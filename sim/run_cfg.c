/*
** run_cfg.c -- parsing of `failures`, `resilience` and `profile` (pure layer).
** Every key is documented in docs/resilience.md, with its unit and default.
*/
#include "run_cfg.h"

#include "numparse.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const run_cfg_rate_keys[RUN_CFG_N_RATE_KEYS] = {
    "node_mtbf_h", "gpu_mtbf_h", "job_mtbf_h", "failures_per_1000_node_days"};

#define H 3600.0
#define GB 1e9
#define MB 1e6

void run_config_defaults(run_config *c)
{
    memset(c, 0, sizeof *c);
    c->fail.source = RUN_SRC_RANDOM;
    fail_random_defaults(&c->fail.random);
    c->fail.startup_s = 45;      /* the Oobleck artifact's spot start-up */
    c->fail.detect_s = 30;       /* Gemini: 3 missed heartbeats (order of tens of s) */
    c->fail.duration_s = 30 * 24 * H;
    c->fail.seed = 1;
    res_config_defaults(&c->res);
    c->n_schemes = RES_N_SCHEMES;
    for (int i = 0; i < RES_N_SCHEMES; i++) c->schemes[i] = i;
}

/* Resolve 'rel' against the directory of 'file'. */
static void resolve(const char *file, const char *rel, char *out, size_t len)
{
    const char *slash = strrchr(file, '/');
    if (rel[0] == '/' || !slash) {
        snprintf(out, len, "%s", rel);
        return;
    }
    snprintf(out, len, "%.*s/%s", (int)(slash - file), file, rel);
}

/* A number in (0, max] ('pos') or [0, max] into *out ('def' if absent,
** unless 'required'); out of range is an error naming the key's path. */
static int num_max(cfgj_obj *o, const char *key, double *out, double def, int required, int pos,
                   double max)
{
    if (pos ? cfgj_pos(o, key, out, def, required) : cfgj_nonneg(o, key, out, def, required))
        return -1;
    if (!(*out > max)) return 0;
    char p[CFGJ_PATH_MAX];
    cfgj_child_path(o, key, p, sizeof p);
    return cfg_fail(o->err, o->file, p, "must be <= %g, got %s", max, num_text(*out).s);
}

static int parse_components(cfgj_obj *o, fail_random_cfg *r, cfg_error *err)
{
    const cJSON *arr;
    char path[CFGJ_PATH_MAX];
    int has = cfgj_arr_member(o, "components", &arr, path, sizeof path, 0);
    if (has <= 0) return has;
    int n = cJSON_GetArraySize(arr);
    if (n < 1 || n > FAIL_MAX_COMPONENTS)
        return cfg_fail(err, o->file, path, "expected 1..%d components, got %d", FAIL_MAX_COMPONENTS, n);
    r->n_components = n;
    for (int i = 0; i < n; i++) {
        char p[CFGJ_PATH_MAX];
        snprintf(p, sizeof p, "%s[%d]", path, i);
        cfgj_obj c;
        if (cfgj_open(&c, cJSON_GetArrayItem(arr, i), o->file, p, err)) return -1;
        double share, rep_h;
        cfgj_str(&c, "name", r->comp[i].name, sizeof r->comp[i].name, NULL, 1);
        num_max(&c, "share", &share, 0, 1, 1, RUN_MAX_SHARE);
        num_max(&c, "repair_h", &rep_h, 0, 1, 0, RUN_MAX_HOURS_H);
        if (cfgj_close(&c, "name, share, repair_h")) return -1;
        r->comp[i].weight = share;
        r->comp[i].repair_s = rep_h * H;
    }
    return 0;
}

/* A failure rate: an MTBF in hours ('is_mtbf') or failures per 1000
** node-days, > 0 and at most one failure per second (RUN_MIN_MTBF_H). */
static int read_mtbf_h(cfgj_obj *o, const char *file, const char *key, int is_mtbf, double *v,
                       cfg_error *err)
{
    if (cfgj_pos(o, key, v, 0, 1)) return -1;
    double mtbf_h = is_mtbf ? *v : 1000.0 * 24.0 / *v;
    if (mtbf_h >= RUN_MIN_MTBF_H) return 0;
    char path[CFGJ_PATH_MAX];
    snprintf(path, sizeof path, "$.failures.%s", key);
    return cfg_fail(err, file, path, "%g is more than one failure per second (an MTBF of %.3g s)",
                    *v, mtbf_h * 3600.0);
}

static int parse_failures(const cJSON *j, const char *file, run_config *out, cfg_error *err)
{
    static const char *const sources[] = {"random", "trace", "csv"};
    static const char *const dists[] = {"exponential", "weibull"};
    run_failures_cfg *f = &out->fail;
    cfgj_obj o;
    if (cfgj_open(&o, j, file, "$.failures", err)) return -1;
    out->present = 1;
    cfgj_enum(&o, "source", sources, 3, &f->source, RUN_SRC_RANDOM, 0);
    char trace[CFGJ_FILE_MAX] = "";
    cfgj_str(&o, "trace", trace, sizeof trace, "", f->source != RUN_SRC_RANDOM);
    if (trace[0]) resolve(file, trace, f->trace_path, sizeof f->trace_path);
    double dur_h, det, start;
    /* a trace or failure CSV runs to its last line unless a length is given
    ** (as with --failure-trace); 0 = that */
    cfgj_num(&o, "duration_h", &dur_h, f->source == RUN_SRC_RANDOM ? f->duration_s / H : 0, 0, 0,
             RUN_MAX_DURATION_H);
    /* 0 (a trace: its end) or a run of at least a second */
    cfgj_check_range(&o, "duration_h", dur_h, RUN_MIN_DURATION_H, RUN_MAX_DURATION_H);
    num_max(&o, "detection_s", &det, f->detect_s, 0, 0, RUN_MAX_PAUSE_S);
    num_max(&o, "startup_s", &start, f->startup_s, 0, 0, RUN_MAX_PAUSE_S);
    long seed;
    cfgj_int(&o, "seed", &seed, (long)f->seed, 0, 0, 4294967295L);
    /* one of four ways to give the rate */
    char given[128] = "";
    int n_rates = 0;
    for (int i = 0; i < RUN_CFG_N_RATE_KEYS; i++)
        if (cfgj_has(&o, run_cfg_rate_keys[i])) {
            size_t len = strlen(given);
            snprintf(given + len, sizeof given - len, "%s%s", n_rates++ ? " and " : "",
                     run_cfg_rate_keys[i]);
        }
    if (n_rates > 1)
        return cfgj_release(&o),
               cfg_fail(err, file, "$.failures",
                        "%s each give the failure rate: keep one of node_mtbf_h, gpu_mtbf_h, "
                        "job_mtbf_h, failures_per_1000_node_days (set the others to null)", given);
    double v;
    if (cfgj_has(&o, "job_mtbf_h") && !read_mtbf_h(&o, file, "job_mtbf_h", 1, &v, err))
        f->job_mtbf_s = v * H;
    if (cfgj_has(&o, "node_mtbf_h") && !read_mtbf_h(&o, file, "node_mtbf_h", 1, &v, err))
        f->random.node_mtbf_s = v * H;
    if (cfgj_has(&o, "gpu_mtbf_h") && !read_mtbf_h(&o, file, "gpu_mtbf_h", 1, &v, err))
        f->gpu_mtbf_s = v * H;
    if (cfgj_has(&o, "failures_per_1000_node_days") &&
        !read_mtbf_h(&o, file, "failures_per_1000_node_days", 0, &v, err))
        f->random.node_mtbf_s = 1000.0 * 86400.0 / v; /* Meta RSC: 6.5 per 1000 node-days */
    cfgj_enum(&o, "distribution", dists, 2, &f->random.dist, FAIL_DIST_EXP, 0);
    cfgj_num(&o, "weibull_shape", &f->random.weibull_shape, 1.0, 0, FAIL_WEIBULL_MIN_SHAPE,
             FAIL_WEIBULL_MAX_SHAPE);
    if (parse_components(&o, &f->random, err) < 0) return cfgj_release(&o), -1;
    if (cfgj_close(&o, "source, trace, duration_h, detection_s, startup_s, seed, node_mtbf_h, "
                       "gpu_mtbf_h, job_mtbf_h, failures_per_1000_node_days, distribution, weibull_shape, "
                       "components"))
        return -1;
    f->duration_s = dur_h * H;
    f->detect_s = det;
    f->startup_s = start;
    f->seed = (unsigned long)seed;
    if (f->source == RUN_SRC_RANDOM && !(f->duration_s > 0))
        return cfg_fail(err, file, "$.failures.duration_h", "random failures need a duration > 0");
    return 0;
}

/* Open an optional sub-object; 1 if present. */
static int sub(cfgj_obj *o, const char *key, cfgj_obj *c)
{
    return cfgj_obj_member(o, key, c, 0);
}

static int parse_resilience(const cJSON *j, const char *file, run_config *out, cfg_error *err)
{
    static const char *const ivl[] = {"young", "daly", "fixed"};
    static const char *const place[] = {"group", "ring"};
    res_config *r = &out->res;
    cfgj_obj o, c;
    if (cfgj_open(&o, j, file, "$.resilience", err)) return -1;
    const cJSON *arr;
    char path[CFGJ_PATH_MAX];
    int has = cfgj_arr_member(&o, "schemes", &arr, path, sizeof path, 0);
    if (has > 0) {
        int n = cJSON_GetArraySize(arr);
        if (n < 1 || n > RES_N_SCHEMES) {
            cfgj_release(&o);
            return cfg_fail(err, file, path, "expected 1..%d scheme names", RES_N_SCHEMES);
        }
        out->n_schemes = 0;
        for (int i = 0; i < n; i++) {
            const cJSON *s = cJSON_GetArrayItem(arr, i);
            int k = cJSON_IsString(s) ? res_kind_of(s->valuestring) : -1;
            if (k < 0) {
                char p[CFGJ_PATH_MAX];
                snprintf(p, sizeof p, "%s[%d]", path, i);
                cfgj_release(&o);
                return cfg_fail(err, file, p,
                                "unknown scheme %s%s%s (known: ckpt, inmem, oobleck, bamboo, varuna)",
                                cJSON_IsString(s) ? "'" : "", cJSON_IsString(s) ? s->valuestring : "(not a string)",
                                cJSON_IsString(s) ? "'" : "");
            }
            for (int q = 0; q < out->n_schemes; q++)
                if (out->schemes[q] == k) {
                    char p[CFGJ_PATH_MAX];
                    snprintf(p, sizeof p, "%s[%d]", path, i);
                    cfgj_release(&o);
                    return cfg_fail(err, file, p, "scheme '%s' is listed twice", s->valuestring);
                }
            out->schemes[out->n_schemes++] = k;
        }
    }
    long l;
    double v;
    /* absent: the trace's peak or the cluster's nodes; a given count is >= 1 */
    cfgj_int(&o, "nodes", &l, r->n_nodes, 0, 1, 10000000);
    r->n_nodes = (int)l;
    cfgj_int(&o, "spares", &l, r->n_spares, 0, 0, 10000000);
    r->n_spares = (int)l;
    num_max(&o, "restart_s", &r->restart_s, r->restart_s, 0, 0, RUN_MAX_PAUSE_S);
    num_max(&o, "storage_write_gbps", &v, r->storage_write_bytes_per_s / GB, 0, 1, RUN_MAX_GBPS);
    r->storage_write_bytes_per_s = v * GB;
    num_max(&o, "storage_read_gbps", &v, r->storage_read_bytes_per_s / GB, 0, 1, RUN_MAX_GBPS);
    r->storage_read_bytes_per_s = v * GB;
    /* absent (0 here): the model's state; a given size is > 0 */
    num_max(&o, "checkpoint_gb", &v, 0, 0, 1, RUN_MAX_CKPT_GB);
    r->ckpt_bytes = v * GB;
    cfgj_enum(&o, "interval", ivl, 3, &r->interval_policy, RES_IVL_YOUNG, 0);
    num_max(&o, "interval_s", &r->interval_s, 3600, r->interval_policy == RES_IVL_FIXED, 1,
            RUN_MAX_PAUSE_S);
    /* absent (0 here): derived from the failure rate; a given MTBF is > 0 */
    num_max(&o, "mtbf_h", &v, 0, 0, 1, RUN_MAX_DURATION_H);
    r->mtbf_s = v * H;
    /* absent (0 here): the fastest shape; a given depth is >= 1 */
    cfgj_int(&o, "pp", &l, 0, 0, 1, 100000);
    r->pp = (int)l;
    if (sub(&o, "inmem", &c) > 0) {
        cfgj_int(&c, "replicas", &l, r->inmem_replicas, 0, 1, 64);
        r->inmem_replicas = (int)l;
        cfgj_enum(&c, "placement", place, 2, &r->inmem_placement, r->inmem_placement, 0);
        num_max(&c, "remote_interval_h", &v, r->inmem_remote_interval_s / H, 0, 1, RUN_MAX_HOURS_H);
        r->inmem_remote_interval_s = v * H;
        num_max(&c, "peer_gbps", &v, r->inmem_peer_bytes_per_s / GB, 0, 1, RUN_MAX_GBPS);
        r->inmem_peer_bytes_per_s = v * GB;
        if (cfgj_close(&c, "replicas, placement, remote_interval_h, peer_gbps")) goto fail;
    }
    if (sub(&o, "oobleck", &c) > 0) {
        cfgj_int(&c, "f", &l, r->oob_f, 0, 0, 1000);
        r->oob_f = (int)l;
        num_max(&c, "reconfig_s", &r->oob_reconfig_s, r->oob_reconfig_s, 0, 0, RUN_MAX_PAUSE_S);
        num_max(&c, "copy_gbps", &v, r->oob_copy_bytes_per_s / GB, 0, 1, RUN_MAX_GBPS);
        r->oob_copy_bytes_per_s = v * GB;
        cfgj_bool(&c, "use_arrivals", &r->oob_use_arrivals, r->oob_use_arrivals);
        num_max(&c, "fallback_interval_h", &v, r->fallback_interval_s / H, 0, 0, RUN_MAX_HOURS_H);
        r->fallback_interval_s = v * H;
        if (cfgj_close(&c, "f, reconfig_s, copy_gbps, use_arrivals, fallback_interval_h")) goto fail;
    }
    if (sub(&o, "bamboo", &c) > 0) {
        /* absent (0 here): the fastest that fits; a given count is >= 1 */
        cfgj_int(&c, "stages", &l, r->bam_stages, 0, 1, 100000);
        r->bam_stages = (int)l;
        num_max(&c, "failover_s", &r->bam_failover_s, r->bam_failover_s, 0, 0, RUN_MAX_PAUSE_S);
        num_max(&c, "reconfig_s", &r->bam_reconfig_s, r->bam_reconfig_s, 0, 0, RUN_MAX_PAUSE_S);
        cfgj_num(&c, "slowdown", &r->bam_slowdown, 0, 0, 1, 100);
        if (cfgj_close(&c, "stages, failover_s, reconfig_s, slowdown")) goto fail;
    }
    if (sub(&o, "varuna", &c) > 0) {
        cfgj_int(&c, "checkpoint_every_iters", &l, 0, 0, 0, 100000000);
        r->var_ckpt_every_iters = (int)l;
        num_max(&c, "morph_s", &r->var_morph_s, r->var_morph_s, 0, 0, RUN_MAX_PAUSE_S);
        if (cfgj_close(&c, "checkpoint_every_iters, morph_s")) goto fail;
    }
    return cfgj_close(&o, "schemes, nodes, spares, restart_s, storage_write_gbps, "
                          "storage_read_gbps, checkpoint_gb, interval, interval_s, mtbf_h, pp, "
                          "inmem, oobleck, bamboo, varuna");
fail:
    cfgj_release(&c);
    cfgj_release(&o);
    return -1;
}

int run_cfg_parse(const cJSON *failures, const cJSON *resilience, const char *file,
                  run_config *out, cfg_error *err)
{
    run_config_defaults(out);
    if (failures && parse_failures(failures, file, out, err)) return -1;
    if (resilience && parse_resilience(resilience, file, out, err)) return -1;
    return 0;
}

int run_cfg_parse_profile(const cJSON *j, const char *file, oracle_profile *p, cfg_error *err)
{
    memset(p, 0, sizeof *p);
    cfgj_obj o;
    if (cfgj_open(&o, j, file, "$.profile", err)) return -1;
    long l;
    double v;
    cfgj_int(&o, "layers", &l, 0, 1, 1, 100000);
    p->n_layers = (int)l;
    cfgj_int(&o, "gpus_per_node", &l, 8, 0, 1, 1024);
    p->gpus_per_node = (int)l;
    num_max(&o, "gpu_mem_gb", &v, 80, 0, 1, RUN_MAX_GPU_MEM_GB);
    p->gpu_mem_bytes = v * GB;
    cfgj_pos(&o, "fwd_ms", &v, 0, 1);
    p->fwd_s = v / 1000;
    cfgj_pos(&o, "bwd_ms", &v, 0, 1);
    p->bwd_s = v / 1000;
    /* (0, 1]: 0 would make every multi-GPU layer take forever */
    num_max(&o, "tp_efficiency", &p->tp_efficiency_frac, 0.9, 0, 1, 1);
    cfgj_nonneg(&o, "act_mb", &v, 0, 0);
    p->act_bytes = v * MB;
    cfgj_pos(&o, "state_mb", &v, 0, 1);
    p->state_bytes = v * MB;
    /* absent (0 here): 3/4 of the state; a given size is > 0 */
    num_max(&o, "checkpoint_gb", &v, 0, 0, 1, RUN_MAX_CKPT_GB);
    p->ckpt_bytes = v * GB;
    cfgj_int(&o, "global_batch", &l, 0, 1, 1, 1000000000);
    p->global_batch_samples = (int)l;
    cfgj_int(&o, "microbatches", &l, p->global_batch_samples, 0, 1, 1000000000);
    p->n_microbatches = (int)l;
    num_max(&o, "dp_gbps", &v, 25, 0, 1, RUN_MAX_GBPS);
    p->dp_bw_bytes_per_s = v * GB;
    cfgj_nonneg(&o, "dp_latency_us", &v, 10, 0);
    p->dp_latency_s = v * 1e-6;
    return cfgj_close(&o, "layers, gpus_per_node, gpu_mem_gb, fwd_ms, bwd_ms, tp_efficiency, "
                          "act_mb, state_mb, checkpoint_gb, global_batch, microbatches, dp_gbps, "
                          "dp_latency_us");
}
