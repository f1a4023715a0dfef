/*
** cfg.c -- experiment configuration: load, include, override, validate (pure layer).
**
** Loading runs in four steps, so that every error can name the file and JSON
** path the offending value came from:
**   1. parse the experiment file;
**   2. inline references: "model", "cluster" and "cluster.gpu" may be a name
**      (resolved in models/, configs/clusters/, configs/gpus/) or a path; the
**      file each subtree came from is remembered;
**   3. apply `--set` overrides to the merged tree (then inline again, since an
**      override may replace an object by a name), remembering overridden paths
**      so that errors about them say "--set" instead of a file;
**   4. read every section strictly (cfg_json.h) and check the plan.
*/
#include "cfg.h"
#include "run_cfg.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DTSIM_HOME
#define DTSIM_HOME "."
#endif

const char *const cfg_recompute_names[3] = {"none", "selective", "full"};
const char *const cfg_precision_names[3] = {"bf16", "fp16", "fp8"};
static const char *const mlp_names[2] = {"gelu", "swiglu"};
static const char *const kind_names[2] = {"transformer", "abstract"};
static const char *const coll_names[3] = {"auto", "ring", "tree"};
static const char *const topo_names[1] = {"fat_tree"};

#define GB 1e9
#define US 1e-6
/* Hardware numbers in the file's units (TFLOP/s, GB/s, Gb/s, GB, us) above
** HW_MAX, or rates below HW_RATE_MIN, are unit slips that take SimGrid out
** of its numeric range (1e300 Gb/s aborted it, 1e-300 TFLOP/s deadlocked
** it); so are abstract op times above OP_MAX_S. */
#define HW_MAX 1e6
#define HW_RATE_MIN 1e-3
#define OP_MAX_S 1e6
/* gemm_half_outputs is a GEMM's output elements (M*N*batch) at half
** efficiency, about 2e6 on an A100; 1e12 (a 1e6 x 1e6 output) already
** leaves every transformer GEMM near zero efficiency, and 1e308 deadlocked
** SimGrid. */
#define GEMM_HALF_OUTPUTS_MAX 1e12

const char *cfg_home(void)
{
    const char *h = getenv("DTSIM_HOME");
    return h && h[0] ? h : DTSIM_HOME;
}

/* Loading context: where each part of the merged tree came from. */
typedef struct {
    const char *exp_file;
    char model_file[CFGJ_FILE_MAX];
    char cluster_file[CFGJ_FILE_MAX];
    char gpu_file[CFGJ_FILE_MAX];
    /* paths whose values came from somewhere else than the file of their
    ** section: --set overrides, and keys overlaid on an "extends" base */
    int n_blame;
    char blame_path[2 * CFG_MAX_OVERRIDES][CFGJ_PATH_MAX];
    char blame_file[2 * CFG_MAX_OVERRIDES][CFGJ_FILE_MAX];
    /* the other keys a failed check across keys read (the error names the
    ** --sets that wrote them, as those under the error's own section) */
    int n_also;
    char also[8][CFGJ_PATH_MAX];
} load_ctx;

/* Record that the check about to fail also read 'path'. */
static void involve(load_ctx *lc, const char *path)
{
    if (lc->n_also < 8) snprintf(lc->also[lc->n_also++], CFGJ_PATH_MAX, "%s", path);
}

static void add_blame(load_ctx *lc, const char *path, const char *file)
{
    if (!lc || lc->n_blame >= 2 * CFG_MAX_OVERRIDES) return;
    snprintf(lc->blame_path[lc->n_blame], CFGJ_PATH_MAX, "%s", path);
    snprintf(lc->blame_file[lc->n_blame], CFGJ_FILE_MAX, "%s", file);
    lc->n_blame++;
}

static int path_within(const char *path, const char *prefix);

/* Index of the latest blame record covering 'path', -1 if none. */
static int blame_rank(const load_ctx *lc, const char *path)
{
    for (int i = lc ? lc->n_blame - 1 : -1; i >= 0; i--)
        if (path_within(path, lc->blame_path[i])) return i;
    return -1;
}

/* Of two keys a check reads, the one whose value was written last (a --set,
** then an "extends" overlay, then the base file): the error is reported
** there, so that it names what changed rather than the file it started from. */
static const char *latest_of(const load_ctx *lc, const char *a, const char *b)
{
    return blame_rank(lc, b) > blame_rank(lc, a) ? b : a;
}

/* The latest recorded source of 'path', else 'dflt'. */
static const char *source_of(const load_ctx *lc, const char *path, const char *dflt)
{
    for (int i = lc ? lc->n_blame - 1 : -1; i >= 0; i--)
        if (path_within(path, lc->blame_path[i])) return lc->blame_file[i];
    return dflt;
}

/* ======================================================================
** Resolving names and paths
** ====================================================================== */

static int file_exists(const char *p) { return access(p, R_OK) == 0; }

/* Resolve 'ref' (a name like "a100-80g" or a path) into 'out'. Search order:
** a path as given (relative to the working directory), relative to the
** directory of 'from_file', then <home>/<dir>/<ref>.json. */
static int resolve_ref(const char *ref, const char *dir, const char *from_file,
                       char *out, size_t len)
{
    int is_path = strchr(ref, '/') != NULL || strstr(ref, ".json") != NULL;
    if (is_path) {
        if (file_exists(ref)) {
            snprintf(out, len, "%s", ref);
            return 0;
        }
        if (from_file && ref[0] != '/') {
            const char *slash = strrchr(from_file, '/');
            if (slash) {
                snprintf(out, len, "%.*s/%s", (int)(slash - from_file), from_file, ref);
                if (file_exists(out)) return 0;
            }
        }
        return -1;
    }
    snprintf(out, len, "%s/%s/%s.json", cfg_home(), dir, ref);
    return file_exists(out) ? 0 : -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "; names there: a, b, c" for the *.json files of <home>/<dir>, sorted (for
** "cannot find gpu 'h100'"); "" if the directory cannot be read. */
static void names_in(const char *dir, char *buf, size_t len)
{
    char path[CFGJ_FILE_MAX];
    snprintf(path, sizeof path, "%s/%s", cfg_home(), dir);
    buf[0] = 0;
    DIR *d = opendir(path);
    if (!d) return;
    enum { MAX_NAMES = 64 };
    char *names[MAX_NAMES];
    int n = 0;
    for (struct dirent *de; n < MAX_NAMES && (de = readdir(d));) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l <= 5 || strcmp(de->d_name + l - 5, ".json")) continue;
        if ((names[n] = strndup(de->d_name, l - 5))) n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        if (used < len)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "; names there: ",
                                     names[i]);
        free(names[i]);
    }
}

/* Overlay the members of 'over' on 'base' (objects merge recursively, other
** values replace), recording each overlaid path as coming from 'file'. */
static int overlay(cJSON *base, const cJSON *over, const char *path, const char *file,
                   load_ctx *lc)
{
    for (const cJSON *c = over->child; c; c = c->next) {
        if (!c->string || !strcmp(c->string, "extends")) continue;
        char p[CFGJ_PATH_MAX];
        snprintf(p, sizeof p, "%s.%s", path, c->string);
        cJSON *b = cJSON_GetObjectItemCaseSensitive(base, c->string);
        if (b && cJSON_IsObject(b) && cJSON_IsObject(c)) {
            if (overlay(b, c, p, file, lc)) return -1;
            continue;
        }
        cJSON *dup = cJSON_Duplicate(c, 1);
        if (!dup) return -1;
        if (b) cJSON_ReplaceItemInObjectCaseSensitive(base, c->string, dup);
        else cJSON_AddItemToObject(base, c->string, dup);
        add_blame(lc, p, file);
    }
    return 0;
}

/* Replace the member 'key' of 'parent' by the object loaded from the file it
** names: either the member is a string (a name or a path), or an object with
** "extends": NAME whose other members are overlaid on the loaded object.
** Returns 0 (also when the member is absent or a plain object), -1 on error.
** 'file_out' receives the file it came from. */
static int inline_ref(cJSON *parent, const char *key, const char *dir, const char *from_file,
                      const char *path, char *file_out, load_ctx *lc, cfg_error *err)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(parent, key);
    const cJSON *ext = v && cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, "extends") : NULL;
    if (ext && !cJSON_IsString(ext)) {
        char p[CFGJ_PATH_MAX];
        snprintf(p, sizeof p, "%s.extends", path);
        return cfg_fail(err, from_file, p, "expected the name or path of a %s to extend", key);
    }
    if (!v || (!cJSON_IsString(v) && !ext)) return 0;
    const char *ref = ext ? ext->valuestring : v->valuestring;
    char resolved[CFGJ_FILE_MAX];
    if (resolve_ref(ref, dir, from_file, resolved, sizeof resolved) != 0) {
        char names[512];
        names_in(dir, names, sizeof names);
        return cfg_fail(err, from_file, path, "cannot find %s '%s' (looked for a file of that "
                        "path, and for %s/%s/%s.json%s)", strcmp(key, "gpu") ? key : "GPU spec",
                        ref, cfg_home(), dir, ref, names);
    }
    cJSON *loaded = cfgj_load_file(resolved, err);
    if (!loaded) return -1;
    if (!cJSON_IsObject(loaded)) {
        cJSON_Delete(loaded);
        return cfg_fail(err, resolved, "$", "expected a JSON object");
    }
    /* the subtree now comes from this file, also after a --set that named
    ** it; the keys an "extends" overlays come from where the object was
    ** written, and are recorded after, so they win */
    const char *over_file = source_of(lc, path, from_file);
    add_blame(lc, path, resolved);
    if (ext && overlay(loaded, v, path, over_file, lc)) {
        cJSON_Delete(loaded);
        return cfg_fail(err, from_file, path, "out of memory");
    }
    cJSON_ReplaceItemInObjectCaseSensitive(parent, key, loaded);
    snprintf(file_out, CFGJ_FILE_MAX, "%s", resolved);
    return 0;
}

static int inline_all(cJSON *root, load_ctx *lc, cfg_error *err)
{
    if (inline_ref(root, "model", "models", lc->exp_file, "$.model", lc->model_file, lc, err))
        return -1;
    if (inline_ref(root, "cluster", "configs/clusters", lc->exp_file, "$.cluster",
                   lc->cluster_file, lc, err))
        return -1;
    cJSON *cl = cJSON_GetObjectItemCaseSensitive(root, "cluster");
    if (cl && cJSON_IsObject(cl)) {
        const char *from = lc->cluster_file[0] ? lc->cluster_file : lc->exp_file;
        if (inline_ref(cl, "gpu", "configs/gpus", from, "$.cluster.gpu", lc->gpu_file, lc, err))
            return -1;
    }
    return 0;
}

/* ======================================================================
** --set overrides
** ====================================================================== */

int cfg_key_has_empty_part(const char *key)
{
    size_t n = strlen(key);
    return n == 0 || key[0] == '.' || key[n - 1] == '.' || strstr(key, "..");
}

/* lc may be NULL: no blame record. */
static int apply_override(cJSON *root, const char *item, load_ctx *lc, cfg_error *err)
{
    const char *eq = strchr(item, '=');
    if (!eq || eq == item)
        return cfg_fail(err, "--set", "", "expected key=value, got '%s'", item);
    char key[CFGJ_PATH_MAX];
    size_t klen = (size_t)(eq - item);
    if (klen >= sizeof key) return cfg_fail(err, "--set", "", "key too long in '%s'", item);
    memcpy(key, item, klen);
    key[klen] = 0;
    if (cfg_key_has_empty_part(key))
        return cfg_fail(err, "--set", "", "empty key in '%s'", item);
    if (strpbrk(key, "[]"))
        return cfg_fail(err, "--set", "", "'%s': --set cannot index into an array; set the whole "
                        "array, e.g. --set 'a.list=[{...}]'", item);
    cJSON *value = cfgj_parse_value(eq + 1);
    if (!value) value = cJSON_CreateString(eq + 1);
    if (!value) return cfg_fail(err, "--set", "", "out of memory");

    char path[CFGJ_PATH_MAX] = "$";
    cJSON *node = root;
    char *save = NULL;
    char *tok = strtok_r(key, ".", &save);
    while (tok) {
        char *next = strtok_r(NULL, ".", &save);
        size_t pl = strlen(path);
        snprintf(path + pl, sizeof path - pl, ".%s", tok);
        if (!next) {
            if (cJSON_GetObjectItemCaseSensitive(node, tok))
                cJSON_ReplaceItemInObjectCaseSensitive(node, tok, value);
            else
                cJSON_AddItemToObject(node, tok, value);
            char what[CFGJ_FILE_MAX];
            snprintf(what, sizeof what, "--set %s", item);
            add_blame(lc, path, what);
            return 0;
        }
        cJSON *child = cJSON_GetObjectItemCaseSensitive(node, tok);
        if (!child) {
            /* a key the --set made up: its errors ("unknown key") are the --set's */
            child = cJSON_AddObjectToObject(node, tok);
            char what[CFGJ_FILE_MAX];
            snprintf(what, sizeof what, "--set %s", item);
            add_blame(lc, path, what);
        } else if (!cJSON_IsObject(child)) {
            cJSON_Delete(value);
            return cfg_fail(err, "--set", path, "cannot set '%s': %s is not an object", item, path);
        }
        node = child;
        tok = next;
    }
    cJSON_Delete(value);
    return cfg_fail(err, "--set", "", "empty key in '%s'", item);
}

/* If the error points at a path whose value came from an override or an
** "extends" overlay, name that source instead of the section's file. The
** latest source of a path wins. */
static int path_within(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && (path[n] == 0 || path[n] == '.' || path[n] == '[');
}

/* The path "key=value" sets ("$.key") into p; 0, or -1 if it has none. */
static int item_path(const char *item, char *p, size_t len)
{
    const char *eq = strchr(item, '=');
    if (!eq || (size_t)(eq - item) + 3 > len) return -1;
    snprintf(p, len, "$.%.*s", (int)(eq - item), item);
    return 0;
}

/* Is 'path' at, under or above a key the failed check also read (lc->also)? */
static int near_also(const load_ctx *lc, const char *path)
{
    for (int k = 0; lc && k < lc->n_also; k++)
        if (path_within(path, lc->also[k]) || path_within(lc->also[k], path)) return 1;
    return 0;
}

/* An error in a config file at a path no single override set, but near which
** overrides set values, concerns the config as they changed it: name them
** after the file ("x.json with --set parallel.pp=3"). Near: under the
** error's path, or under its parent, as cross-key checks report at one of
** the keys (TP*PP*DP at $.parallel, microbatches at $.parallel.schedule
** after --set parallel.global_batch_size=97), or under a key of another
** section the check read (lc->also: heads at $.parallel.tp after --set
** model.heads=12). lc may be NULL. */
static void note_overrides(const cfg_overrides *ov, const load_ctx *lc, cfg_error *err)
{
    if (!ov) return;
    const char *file = err->file;
    char scope[CFGJ_PATH_MAX];
    snprintf(scope, sizeof scope, "%s", err->path);
    char *cut = strrchr(scope, '.'), *bracket = strrchr(scope, '[');
    if (bracket > cut) cut = bracket;
    if (cut && cut - scope > 1) *cut = 0; /* the parent, unless that is "$" */
    char text[CFGJ_FILE_MAX];
    size_t used = (size_t)snprintf(text, sizeof text, "%s with", file);
    int named = 0;
    for (int i = 0; i < ov->n && used < sizeof text; i++) {
        char path[CFGJ_PATH_MAX];
        if (item_path(ov->items[i], path, sizeof path)) continue;
        int near = path_within(path, scope) || strcmp(scope, "$") == 0 || near_also(lc, path);
        if (!near) continue;
        used += (size_t)snprintf(text + used, sizeof text - used, "%s --set %s", named ? "," : "",
                                 ov->items[i]);
        named++;
    }
    if (named) snprintf(err->file, sizeof err->file, "%s", text);
}

/* An error a --set is blamed for also names the --sets that wrote the other
** keys its check read ("--set parallel.sequence_parallel=true, --set
** model.seq_len=2050: ..."). */
static void add_also_sets(const cfg_overrides *ov, const load_ctx *lc, cfg_error *err)
{
    size_t used = strlen(err->file);
    char blamed[CFGJ_FILE_MAX];
    snprintf(blamed, sizeof blamed, "%s", err->file + 6);
    for (int i = 0; ov && i < ov->n && used < sizeof err->file; i++) {
        char path[CFGJ_PATH_MAX];
        if (item_path(ov->items[i], path, sizeof path)) continue;
        if (near_also(lc, path) && strcmp(blamed, ov->items[i]))
            used += (size_t)snprintf(err->file + used, sizeof err->file - used, ", --set %s",
                                     ov->items[i]);
    }
}

static void blame_source(const load_ctx *lc, const cfg_overrides *ov, cfg_error *err)
{
    /* a GPU file's errors are in its own coordinates ("$.memory_GB"), its
    ** overrides under "$.cluster.gpu" */
    char merged[CFGJ_PATH_MAX];
    const char *path = err->path;
    if (lc->gpu_file[0] && !strcmp(err->file, lc->gpu_file) && err->path[0] == '$') {
        snprintf(merged, sizeof merged, "$.cluster.gpu%s", err->path + 1);
        path = merged;
    }
    for (int i = lc->n_blame - 1; i >= 0; i--) {
        if (path_within(path, lc->blame_path[i])) {
            if (path == merged && !strcmp(lc->blame_file[i], lc->gpu_file)) return;
            snprintf(err->file, sizeof err->file, "%s", lc->blame_file[i]);
            if (path == merged) snprintf(err->path, sizeof err->path, "%s", merged);
            if (!strncmp(err->file, "--set ", 6)) add_also_sets(ov, lc, err);
            return;
        }
    }
    if (!strcmp(err->file, lc->exp_file) || lc->n_also) note_overrides(ov, lc, err);
}

/* Does "key=value" set exactly failures.<key>? */
static int item_sets_rate(const char *item, const char *key)
{
    static const char prefix[] = "failures.";
    size_t n = strlen(key);
    return strncmp(item, prefix, sizeof prefix - 1) == 0 &&
           strncmp(item + sizeof prefix - 1, key, n) == 0 && item[sizeof prefix - 1 + n] == '=';
}

/* The failure-rate keys (run_cfg_rate_keys) give one quantity in different
** units. Before applying ov->items[i], if it sets one of them, remove from
** 'root' the others that no earlier item set, so that `--set
** failures.job_mtbf_h=3` works on a config with node_mtbf_h; two given by
** --set still conflict (the section's reader says so). "key=null" only
** unsets. */
static void drop_other_rates(cJSON *root, const cfg_overrides *ov, int i)
{
    const char *eq = strchr(ov->items[i], '=');
    int is_rate = 0;
    for (int k = 0; k < RUN_CFG_N_RATE_KEYS; k++)
        is_rate |= item_sets_rate(ov->items[i], run_cfg_rate_keys[k]);
    cJSON *failures = cJSON_GetObjectItemCaseSensitive(root, "failures");
    if (!is_rate || !eq || strcmp(eq + 1, "null") == 0 || !cJSON_IsObject(failures)) return;
    for (int k = 0; k < RUN_CFG_N_RATE_KEYS; k++) {
        int set_before = 0;
        for (int j = 0; j <= i && !set_before; j++)
            set_before = item_sets_rate(ov->items[j], run_cfg_rate_keys[k]);
        if (!set_before) cJSON_DeleteItemFromObjectCaseSensitive(failures, run_cfg_rate_keys[k]);
    }
}

/* lc may be NULL: no blame records. */
static int apply_all_overrides(cJSON *root, const cfg_overrides *ov, load_ctx *lc,
                               cfg_error *err)
{
    for (int i = 0; ov && i < ov->n; i++) {
        drop_other_rates(root, ov, i);
        if (apply_override(root, ov->items[i], lc, err)) return -1;
    }
    return 0;
}

int cfg_apply_overrides(cJSON *root, const cfg_overrides *ov, cfg_error *err)
{
    return apply_all_overrides(root, ov, NULL, err);
}

void cfg_blame_overrides(const cfg_overrides *ov, cfg_error *err)
{
    for (int i = ov ? ov->n - 1 : -1; i >= 0; i--) {
        char path[CFGJ_PATH_MAX];
        if (item_path(ov->items[i], path, sizeof path)) continue;
        if (path_within(err->path, path)) {
            snprintf(err->file, sizeof err->file, "--set %s", ov->items[i]);
            return;
        }
    }
    note_overrides(ov, NULL, err);
}

/* ======================================================================
** Sections
** ====================================================================== */

static int read_gpu(const cJSON *json, const char *file, const char *path, cfg_gpu *g,
                    cfg_error *err)
{
    cfgj_obj o, peak, eff;
    memset(g, 0, sizeof *g);
    snprintf(g->file, sizeof g->file, "%s", file);
    if (cfgj_open(&o, json, file, path, err)) return -1;
    double tf_bf16 = 0, tf_fp16 = 0, tf_fp8 = 0, tf_tf32 = 0, mem_gb = 0, bw_gbps = 0;
    double nvl_gbps = 0, launch_us = 0, reserved_gb = 0;
    char src[4096];
    cfgj_str(&o, "name", g->name, sizeof g->name, "gpu", 0);
    cfgj_str(&o, "source", src, sizeof src, "", 0);
    cfgj_str(&o, "notes", src, sizeof src, "", 0);
    if (cfgj_obj_member(&o, "peak_tflops", &peak, 1) == 1) {
        cfgj_pos(&peak, "bf16", &tf_bf16, 0, 1);
        cfgj_check_range(&peak, "bf16", tf_bf16, HW_RATE_MIN, HW_MAX);
        cfgj_num(&peak, "fp16", &tf_fp16, tf_bf16, 0, 0, INFINITY);
        cfgj_check_range(&peak, "fp16", tf_fp16, HW_RATE_MIN, HW_MAX);
        cfgj_num(&peak, "fp8", &tf_fp8, 0, 0, 0, INFINITY);
        cfgj_check_range(&peak, "fp8", tf_fp8, HW_RATE_MIN, HW_MAX);
        cfgj_num(&peak, "tf32", &tf_tf32, 0, 0, 0, HW_MAX); /* documented, not simulated */
        cfgj_close(&peak, "bf16, fp16, fp8, tf32");
    }
    cfgj_pos(&o, "memory_GB", &mem_gb, 0, 1);
    cfgj_check_range(&o, "memory_GB", mem_gb, 0, HW_MAX);
    cfgj_pos(&o, "memory_bandwidth_GBps", &bw_gbps, 0, 1);
    cfgj_check_range(&o, "memory_bandwidth_GBps", bw_gbps, HW_RATE_MIN, HW_MAX);
    cfgj_pos(&o, "nvlink_GBps", &nvl_gbps, 0, 1);
    cfgj_check_range(&o, "nvlink_GBps", nvl_gbps, HW_RATE_MIN, HW_MAX);
    if (cfgj_obj_member(&o, "efficiency", &eff, 1) == 1) {
        cfgj_num(&eff, "gemm_max", &g->gemm_eff_max, 0, 1, 1e-3, 1);
        cfgj_num(&eff, "gemm_half_outputs", &g->gemm_half_outputs, 0, 1, 0,
                 GEMM_HALF_OUTPUTS_MAX);
        cfgj_num(&eff, "memory", &g->mem_eff, 0, 1, 1e-3, 1);
        cfgj_num(&eff, "kernel_launch_us", &launch_us, 0, 1, 0, HW_MAX);
        cfgj_num(&eff, "reserved_memory_GB", &reserved_gb, 0, 0, 0, HW_MAX);
        cfgj_str(&eff, "calibration", src, sizeof src, "", 0);
        cfgj_close(&eff, "gemm_max, gemm_half_outputs, memory, kernel_launch_us, "
                         "reserved_memory_GB, calibration");
    }
    if (cfgj_close(&o, "name, source, notes, peak_tflops, memory_GB, memory_bandwidth_GBps, "
                       "nvlink_GBps, efficiency"))
        return -1;
    g->peak_bf16_flops_per_s = tf_bf16 * 1e12;
    g->peak_fp16_flops_per_s = tf_fp16 * 1e12;
    g->peak_fp8_flops_per_s = tf_fp8 * 1e12;
    g->hbm_bytes = mem_gb * GB;
    g->hbm_bytes_per_s = bw_gbps * GB;
    g->nvlink_bytes_per_s = nvl_gbps * GB;
    g->kernel_launch_s = launch_us * US;
    g->mem_reserved_bytes = reserved_gb * GB;
    return 0;
}

int cfg_load_gpu(const char *name_or_path, const char *from_file, const char *json_path,
                 cfg_gpu *out, cfg_error *err)
{
    char resolved[CFGJ_FILE_MAX];
    if (resolve_ref(name_or_path, "configs/gpus", from_file, resolved, sizeof resolved)) {
        char names[512];
        names_in("configs/gpus", names, sizeof names);
        return cfg_fail(err, from_file ? from_file : "", json_path, "cannot find GPU spec '%s' "
                        "(looked for a file of that path, and for %s/configs/gpus/%s.json%s)",
                        name_or_path, cfg_home(), name_or_path, names);
    }
    cJSON *json = cfgj_load_file(resolved, err);
    if (!json) return -1;
    int rc = read_gpu(json, resolved, "$", out, err);
    cJSON_Delete(json);
    return rc;
}

static int read_model(const cJSON *json, const char *file, load_ctx *lc, cfg_model *m,
                      cfg_error *err)
{
    cfgj_obj o;
    memset(m, 0, sizeof *m);
    snprintf(m->file, sizeof m->file, "%s", file);
    if (cfgj_open(&o, json, file, "$.model", err)) return -1;
    int kind = 0, mlp = 0;
    long layers = 0, hidden = 0, heads = 0, kv = 0, seq = 0, vocab = 0, ffn = 0;
    char src[4096];
    cfgj_str(&o, "name", m->name, sizeof m->name, "model", 0);
    cfgj_str(&o, "source", src, sizeof src, "", 0);
    cfgj_enum(&o, "kind", kind_names, 2, &kind, MODEL_TRANSFORMER, 0);
    m->kind = (cfg_model_kind)kind;
    if (m->kind == MODEL_ABSTRACT) {
        cfgj_pos(&o, "t_f", &m->t_f_s, 0, 1);
        cfgj_check_range(&o, "t_f", m->t_f_s, 0, OP_MAX_S);
        cfgj_pos(&o, "t_b", &m->t_b_s, 0, 1);
        cfgj_check_range(&o, "t_b", m->t_b_s, 0, OP_MAX_S);
        cfgj_num(&o, "t_w", &m->t_w_s, 0, 0, 0, OP_MAX_S);
        cfgj_num(&o, "t_comm", &m->t_comm_s, 0, 0, 0, OP_MAX_S);
        cfgj_int(&o, "layers", &layers, 0, 0, 1, 1L << 20);
        m->layers = (int)layers;
        return cfgj_close(&o, "kind, name, source, t_f, t_b, t_w, t_comm, layers");
    }
    cfgj_int(&o, "layers", &layers, 0, 1, 1, 1L << 20);
    cfgj_int(&o, "hidden", &hidden, 0, 1, 1, 1L << 24);
    cfgj_int(&o, "heads", &heads, 0, 1, 1, 1L << 16);
    cfgj_int(&o, "kv_heads", &kv, heads, 0, 1, 1L << 16);
    cfgj_int(&o, "seq_len", &seq, 0, 1, 1, 1L << 24);
    cfgj_int(&o, "vocab", &vocab, 0, 1, 1, 1L << 24);
    cfgj_enum(&o, "mlp", mlp_names, 2, &mlp, MLP_GELU, 0);
    cfgj_int(&o, "ffn_hidden", &ffn, mlp == MLP_GELU ? 4 * hidden : 0, mlp == MLP_SWIGLU, 1,
             1L << 26);
    cfgj_bool(&o, "tied_embeddings", &m->tied_embeddings, 1);
    if (err->failed) {
        cfgj_release(&o);
        return -1;
    }
    m->layers = (int)layers;
    m->hidden = (int)hidden;
    m->heads = (int)heads;
    m->kv_heads = (int)kv;
    m->seq_len = (int)seq;
    m->vocab = (int)vocab;
    m->ffn_hidden = (int)ffn;
    m->mlp = (cfg_mlp_kind)mlp;
    /* reported at the key written last (--set model.hidden=8192 on a
    ** 96-head model blamed the model file, at heads) */
    if (m->hidden % m->heads) {
        cfgj_release(&o);
        const char *at = latest_of(lc, "$.model.heads", "$.model.hidden");
        involve(lc, strcmp(at, "$.model.heads") ? "$.model.heads" : "$.model.hidden");
        return cfg_fail(err, file, at, "hidden (%d) must be a multiple of heads (%d)",
                        m->hidden, m->heads);
    }
    if (m->heads % m->kv_heads) {
        cfgj_release(&o);
        const char *at = latest_of(lc, "$.model.kv_heads", "$.model.heads");
        involve(lc, strcmp(at, "$.model.heads") ? "$.model.heads" : "$.model.kv_heads");
        return cfg_fail(err, file, at, "heads (%d) must be a multiple of kv_heads (%d)",
                        m->heads, m->kv_heads);
    }
    return cfgj_close(&o, "kind, name, source, layers, hidden, heads, kv_heads, seq_len, vocab, "
                          "ffn_hidden, mlp, tied_embeddings");
}

static int read_cluster(const cJSON *json, const load_ctx *lc, cfg_cluster *c, cfg_error *err)
{
    const char *file = lc->cluster_file[0] ? lc->cluster_file : lc->exp_file;
    cfgj_obj o, intra, inter, topo;
    memset(c, 0, sizeof *c);
    snprintf(c->file, sizeof c->file, "%s", lc->cluster_file);
    if (cfgj_open(&o, json, file, "$.cluster", err)) return -1;
    long nodes = 0, gpn = 0, nics = 0, leaf = 0;
    char src[4096];
    cfgj_str(&o, "name", c->name, sizeof c->name, "cluster", 0);
    cfgj_str(&o, "source", src, sizeof src, "", 0);
    const cJSON *gpu = cfgj_raw(&o, "gpu");
    if (!gpu) {
        cfg_fail(err, file, "$.cluster.gpu", "missing required key 'gpu' (a name in "
                 "configs/gpus/, a path, or an inline object)");
    } else {
        const char *gfile = lc->gpu_file[0] ? lc->gpu_file : file;
        read_gpu(gpu, gfile, lc->gpu_file[0] ? "$" : "$.cluster.gpu", &c->gpu, err);
    }
    cfgj_int(&o, "nodes", &nodes, 0, 1, 1, 1L << 20);
    cfgj_int(&o, "gpus_per_node", &gpn, 8, 0, 1, 1024);
    double nvl_gbps = 0, nvl_lat_us = 0.7, nic_gbit = 0, nic_lat_us = 0, over = 1;
    double nvl_eff = 1, nic_eff = 1;
    if (cfgj_obj_member(&o, "intra_node", &intra, 0) == 1) {
        cfgj_pos(&intra, "bandwidth_GBps", &nvl_gbps, 0, 0);
        cfgj_check_range(&intra, "bandwidth_GBps", nvl_gbps, HW_RATE_MIN, HW_MAX);
        cfgj_num(&intra, "latency_us", &nvl_lat_us, 0.7, 0, 0, HW_MAX);
        cfgj_num(&intra, "efficiency", &nvl_eff, 1, 0, 0.01, 1);
        cfgj_close(&intra, "bandwidth_GBps, latency_us, efficiency");
    }
    if (cfgj_obj_member(&o, "inter_node", &inter, 1) == 1) {
        cfgj_pos(&inter, "nic_Gbps", &nic_gbit, 0, 1);
        cfgj_check_range(&inter, "nic_Gbps", nic_gbit, HW_RATE_MIN, HW_MAX);
        cfgj_int(&inter, "nics_per_node", &nics, gpn, 0, 1, 1024);
        cfgj_num(&inter, "latency_us", &nic_lat_us, 1.0, 0, 0, HW_MAX);
        cfgj_num(&inter, "efficiency", &nic_eff, 1, 0, 0.01, 1);
        cfgj_close(&inter, "nic_Gbps, nics_per_node, latency_us, efficiency");
    }
    int tkind = 0;
    if (cfgj_obj_member(&o, "topology", &topo, 0) == 1) {
        cfgj_enum(&topo, "kind", topo_names, 1, &tkind, TOPO_FAT_TREE, 0);
        cfgj_int(&topo, "nodes_per_leaf", &leaf, nodes < 32 ? nodes : 32, 0, 1, 1L << 20);
        cfgj_num(&topo, "oversubscription", &over, 1, 0, 1, 1e6);
        cfgj_close(&topo, "kind, nodes_per_leaf, oversubscription");
    } else {
        leaf = nodes < 32 ? nodes : 32;
    }
    if (cfgj_close(&o, "name, source, gpu, nodes, gpus_per_node, intra_node, inter_node, topology"))
        return -1;
    c->nodes = (int)nodes;
    c->gpus_per_node = (int)gpn;
    c->nvlink_bytes_per_s = nvl_gbps > 0 ? nvl_gbps * GB : c->gpu.nvlink_bytes_per_s;
    c->nvlink_latency_s = nvl_lat_us * US;
    c->nvlink_eff = nvl_eff;
    c->nic_eff = nic_eff;
    c->nic_bytes_per_s = nic_gbit * 1e9 / 8;
    c->nics_per_node = (int)nics;
    c->nic_latency_s = nic_lat_us * US;
    c->topology = (cfg_topology)tkind;
    c->nodes_per_leaf = (int)(leaf < nodes ? leaf : nodes);
    c->oversubscription = over;
    return 0;
}

/* The abstract mode may omit the cluster: one single-GPU node per device. */
static void default_abstract_cluster(cfg_experiment *e)
{
    cfg_cluster *c = &e->cluster;
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "abstract");
    snprintf(c->gpu.name, sizeof c->gpu.name, "abstract");
    c->gpu.peak_bf16_flops_per_s = c->gpu.peak_fp16_flops_per_s = 1e12;
    c->gpu.hbm_bytes = 1e15;
    c->gpu.hbm_bytes_per_s = 1e12;
    c->gpu.nvlink_bytes_per_s = 1e12;
    c->gpu.gemm_eff_max = c->gpu.mem_eff = 1;
    c->nodes = e->parallel.pp * e->parallel.dp;
    c->gpus_per_node = 1;
    c->nvlink_bytes_per_s = 1e12;
    c->nic_bytes_per_s = 1e12;
    c->nvlink_eff = c->nic_eff = 1;
    c->nics_per_node = 1;
    c->nodes_per_leaf = c->nodes < 32 ? c->nodes : 32;
    c->oversubscription = 1;
}

/* "layer_split": "even" (default), "lighter_ends" (first and last virtual
** stage one layer fewer, as Llama 3 and the Zero Bubble experiments do), or
** an explicit array of layers per virtual stage. Kept as JSON until the
** number of layers is known (check_plan). */
static const char *const split_names[2] = {"even", "lighter_ends"};

static int read_parallel(const cJSON *json, const char *file, cfg_parallel *p, int *dp_given,
                         const cJSON **split, cfg_error *err)
{
    cfgj_obj o;
    memset(p, 0, sizeof *p);
    if (cfgj_open(&o, json, file, "$.parallel", err)) return -1;
    long tp = 0, pp = 0, dp = 0, mbs = 0, gbs = 0, v = 0, g = 0;
    int rc_ = 0, prec = 0, algo = 0;
    char sched_name[32];
    double bucket_mb = 0;
    cfgj_int(&o, "tp", &tp, 1, 0, 1, 1 << 16);
    cfgj_int(&o, "pp", &pp, 1, 0, 1, 1 << 16);
    *dp_given = cfgj_has(&o, "dp");
    cfgj_int(&o, "dp", &dp, 0, 0, 1, 1 << 24);
    cfgj_int(&o, "microbatch_size", &mbs, 1, 0, 1, 1 << 20);
    cfgj_int(&o, "global_batch_size", &gbs, 0, 1, 1, 1L << 30);
    cfgj_str(&o, "schedule", sched_name, sizeof sched_name, "1f1b", 0);
    cfgj_int(&o, "virtual_stages", &v, 0, 0, 1, 1024);
    cfgj_int(&o, "microbatch_group_size", &g, 0, 0, 1, 1 << 20);
    int rec = RECOMPUTE_NONE;
    cfgj_enum(&o, "recompute", cfg_recompute_names, 3, &rec, RECOMPUTE_NONE, 0);
    cfgj_bool(&o, "sequence_parallel", &p->sequence_parallel, 0);
    cfgj_bool(&o, "distributed_optimizer", &p->distributed_optimizer, 0);
    cfgj_bool(&o, "dp_overlap", &p->dp_overlap, 1);
    /* PyTorch DDP's first bucket is 1 MB, its default 25 MB; below 1 MB the
    ** bucket count grows to millions (0.1 MB took seconds, 1e-4 MB hung), and
    ** past ~1e302 MB the byte count overflowed and the all-reduce vanished */
    cfgj_num(&o, "dp_bucket_MB", &bucket_mb, 80, 0, 1, 1e5);
    cfgj_enum(&o, "dp_algorithm", coll_names, 3, &algo, COLL_AUTO, 0);
    cfgj_bool(&o, "tp_overlap", &p->tp_overlap, 0);
    cfgj_bool(&o, "pp_scatter_gather", &p->pp_scatter_gather, 1);
    cfgj_bool(&o, "pp_overlap", &p->pp_overlap, 0);
    cfgj_enum(&o, "precision", cfg_precision_names, 3, &prec, PREC_BF16, 0);
    cfgj_num(&o, "zb_memory_limit", &p->zb_mem_limit, 0, 0, 0, 1e6);
    *split = cfgj_raw(&o, "layer_split");
    if (err->failed) {
        cfgj_release(&o);
        return -1;
    }
    int st = sched_type_from_name(sched_name);
    if (st < 0) {
        cfgj_release(&o);
        return cfg_fail(err, file, "$.parallel.schedule", "unknown schedule \"%s\" (expected one "
                        "of: %s)", sched_name, sched_type_names());
    }
    p->tp = (int)tp;
    p->pp = (int)pp;
    p->dp = (int)dp;
    p->microbatch_size = (int)mbs;
    p->global_batch_size = (int)gbs;
    p->schedule = (sched_type)st;
    p->group_size = (int)g;
    int fixed_chunks = sched_type_chunks(p->schedule, 0);
    /* virtual_stages is interleaved 1F1B's knob; the other schedules have a
    ** fixed chunk count and ignore it, so that one config can be compared
    ** across schedules (dtsim compare --vary parallel.schedule=...) */
    p->virtual_stages = st == SCHED_INTERLEAVED ? (v > 0 ? (int)v : 2) : fixed_chunks;
    p->recompute = (cfg_recompute)rec;
    p->dp_bucket_bytes = bucket_mb * 1e6;
    p->dp_algorithm = (cfg_coll_algo)algo;
    p->precision = (cfg_precision)prec;
    if (cfgj_close(&o, "tp, pp, dp, microbatch_size, global_batch_size, schedule, "
                       "virtual_stages, microbatch_group_size, recompute, sequence_parallel, "
                       "distributed_optimizer, dp_overlap, dp_bucket_MB, dp_algorithm, "
                       "tp_overlap, pp_scatter_gather, pp_overlap, precision, zb_memory_limit, "
                       "layer_split"))
        return -1;
    return rc_;
}

static int read_engine(const cJSON *json, const char *file, cfg_engine *en, cfg_error *err)
{
    en->exploit_symmetry = 1;
    en->iterations = 1;
    en->progress = 1;
    if (!json) return 0;
    cfgj_obj o;
    if (cfgj_open(&o, json, file, "$.engine", err)) return -1;
    long it = 1;
    cfgj_bool(&o, "exploit_symmetry", &en->exploit_symmetry, 1);
    cfgj_int(&o, "iterations", &it, 1, 0, 1, 1000);
    cfgj_bool(&o, "progress", &en->progress, 1);
    en->iterations = (int)it;
    return cfgj_close(&o, "exploit_symmetry, iterations, progress");
}

/* Consistency of the plan with the model and the cluster. */
/* Fill parallel.stage_layers from "layer_split" (see split_names). */
/* 'layers_from': where the model's layer count came from (a model file, a
** --set), named in the divisibility error when it is not 'f'. */
static int set_layer_split(cfg_experiment *e, const cJSON *split, const char *f,
                           const char *layers_from, cfg_error *err)
{
    cfg_parallel *p = &e->parallel;
    int n = p->pp * p->virtual_stages, L = e->model.layers;
    const char *path = "$.parallel.layer_split";
    p->stage_layers = calloc((size_t)n, sizeof *p->stage_layers);
    if (!p->stage_layers) return cfg_fail(err, f, path, "out of memory");
    if (split && cJSON_IsArray(split)) {
        if (cJSON_GetArraySize(split) != n)
            return cfg_fail(err, f, path, "expected %d entries (pp*virtual_stages), got %d", n,
                            cJSON_GetArraySize(split));
        int i = 0, sum = 0;
        for (const cJSON *c = split->child; c; c = c->next, i++) {
            if (!cJSON_IsNumber(c) || c->valuedouble != (int)c->valuedouble || c->valuedouble < 1) {
                char pi[CFGJ_PATH_MAX];
                snprintf(pi, sizeof pi, "%s[%d]", path, i);
                return cfg_fail(err, f, pi, "expected an integer >= 1");
            }
            p->stage_layers[i] = (int)c->valuedouble;
            sum += p->stage_layers[i];
        }
        if (sum != L)
            return cfg_fail(err, f, path, "the entries sum to %d layers, the model has %d", sum, L);
        return 0;
    }
    int mode = 0;
    if (split) {
        if (!cJSON_IsString(split))
            return cfg_fail(err, f, path, "expected \"even\", \"lighter_ends\" or an array of "
                            "layers per virtual stage");
        for (mode = 0; mode < 2 && strcmp(split->valuestring, split_names[mode]); mode++) {}
        if (mode == 2)
            return cfg_fail(err, f, path, "unknown value \"%s\" (expected one of: even, "
                            "lighter_ends, or an array)", split->valuestring);
    }
    if (mode == 1 && n > 1) {
        if ((L + 2) % n || (L + 2) / n < 2)
            return cfg_fail(err, f, path, "lighter_ends needs layers + 2 (%d) to be a multiple of "
                            "pp*virtual_stages = %d, with at least 2 layers per stage", L + 2, n);
        for (int i = 0; i < n; i++) p->stage_layers[i] = (L + 2) / n - (i == 0 || i == n - 1);
        return 0;
    }
    if (L % n) { /* a check across the model and the plan: the plan's, as TP*PP*DP */
        char from[CFGJ_FILE_MAX + 16] = "";
        if (strcmp(layers_from, f)) snprintf(from, sizeof from, ", from %s", layers_from);
        return cfg_fail(err, f, "$.parallel", "layers (%d%s) must be divisible by "
                        "pp*virtual_stages = %d*%d = %d (or set parallel.layer_split)", L, from,
                        p->pp, p->virtual_stages, n);
    }
    for (int i = 0; i < n; i++) p->stage_layers[i] = L / n;
    return 0;
}

/* The pipeline depth nearest to the plan's (the deepest not above it, else
** the shallowest above) whose TP x PP divides the cluster's GPUs and whose
** stages split the layers evenly; 0 if none. For the hint of a plan that
** does not fill the cluster. */
static int pp_that_fits(const cfg_experiment *e, int gpus)
{
    const cfg_parallel *p = &e->parallel;
    if (gpus % p->tp) return 0;
    int groups = gpus / p->tp, v = p->virtual_stages, below = 0, above = 0;
    for (int pp = 1; pp <= groups; pp++) {
        if (groups % pp) continue;
        if (e->model.kind != MODEL_ABSTRACT && e->model.layers % (pp * v)) continue;
        if (pp <= p->pp) below = pp;
        else if (!above) above = pp;
    }
    return below ? below : above;
}

static int check_plan(cfg_experiment *e, int dp_given, const cJSON *split, load_ctx *lc,
                      cfg_error *err)
{
    const char *f = lc->exp_file;
    cfg_parallel *p = &e->parallel;
    int abstract = e->model.kind == MODEL_ABSTRACT;
    int gpus = cfg_total_gpus(e);
    involve(lc, "$.cluster.gpus_per_node");
    if (p->tp > e->cluster.gpus_per_node)
        return cfg_fail(err, f, "$.parallel.tp", "tensor parallelism (%d) must stay inside a node "
                        "(gpus_per_node = %d)", p->tp, e->cluster.gpus_per_node);
    if (e->cluster.gpus_per_node % p->tp)
        return cfg_fail(err, f, "$.parallel.tp", "gpus_per_node (%d) must be a multiple of tp (%d)",
                        e->cluster.gpus_per_node, p->tp);
    lc->n_also = 0; /* the cluster's size, from here */
    involve(lc, "$.cluster.nodes");
    involve(lc, "$.cluster.gpus_per_node");
    int fit_pp = pp_that_fits(e, gpus);
    char pp_hint[96] = "";
    if (fit_pp && fit_pp != p->pp)
        snprintf(pp_hint, sizeof pp_hint, ": pp = %d with dp = %d uses all %d GPUs", fit_pp,
                 gpus / (p->tp * fit_pp), gpus);
    if (!dp_given) {
        if (gpus % (p->tp * p->pp))
            return cfg_fail(err, f, "$.parallel", "tp*pp = %d does not divide the %d GPUs of the "
                            "cluster%s", p->tp * p->pp, gpus, pp_hint);
        p->dp = gpus / (p->tp * p->pp);
    } else if ((long)p->tp * p->pp * p->dp != gpus) {
        /* the usual cause: tp or pp changed (--set, --vary) and dp kept */
        char hint[160] = "";
        long want = (long)p->tp * p->pp * p->dp;
        if (gpus % (p->tp * p->pp) == 0)
            snprintf(hint, sizeof hint, ": dp = %d fits, or leave dp out to derive it",
                     gpus / (p->tp * p->pp));
        else if (want % e->cluster.gpus_per_node == 0 && !abstract &&
                 !(pp_hint[0] && !strncmp(source_of(lc, "$.cluster.nodes", f), "--set ", 6)))
            /* PP 16 instead of 12 on default.json: the cluster must grow
            ** (unless a --set chose its size: then the pipeline changes) */
            snprintf(hint, sizeof hint, ": cluster.nodes = %ld fits",
                     want / e->cluster.gpus_per_node);
        else
            snprintf(hint, sizeof hint, "%s", pp_hint);
        return cfg_fail(err, f, "$.parallel", "tp*pp*dp = %d*%d*%d = %ld, but the cluster has %d "
                        "GPUs (%d nodes x %d)%s", p->tp, p->pp, p->dp, (long)p->tp * p->pp * p->dp,
                        gpus, e->cluster.nodes, e->cluster.gpus_per_node, hint);
    }
    /* a derived dp comes from the cluster's size: the batch checks below
    ** read it (a given one does not) */
    if (dp_given) lc->n_also = 0;
    int v = p->virtual_stages;
    const char *layers_from =
        source_of(lc, "$.model.layers", e->model.file[0] ? e->model.file : f);
    if (!abstract && set_layer_split(e, split, f, layers_from, err)) return -1;
    long per_step = (long)p->microbatch_size * p->dp;
    involve(lc, "$.parallel.microbatch_size");
    involve(lc, "$.parallel.dp");
    if (p->global_batch_size % per_step)
        return cfg_fail(err, f, "$.parallel.global_batch_size", "global_batch_size (%d) must be a "
                        "multiple of microbatch_size*dp = %d*%d = %ld", p->global_batch_size,
                        p->microbatch_size, p->dp, per_step);
    p->n_microbatches = (int)(p->global_batch_size / per_step);
    long units = (long)p->n_microbatches * p->pp * v;
    if (units > CFG_MAX_MICROBATCH_STAGES)
        return cfg_fail(err, f, "$.parallel.global_batch_size", "%d microbatches per pipeline x "
                        "%d stages x %d chunks = %ld microbatch-stages per iteration, more than "
                        "the engine simulates (%ld, about 1 KB of memory each): use a smaller "
                        "global_batch_size or a larger microbatch_size", p->n_microbatches,
                        p->pp, v, units, CFG_MAX_MICROBATCH_STAGES);
    involve(lc, "$.parallel.global_batch_size");
    involve(lc, "$.parallel.pp");
    if (p->schedule == SCHED_INTERLEAVED && v > 1 && p->n_microbatches % p->pp)
        return cfg_fail(err, f, "$.parallel.schedule", "interleaved 1F1B needs the microbatches per "
                        "pipeline (global_batch_size/(microbatch_size*dp) = %d) to be a multiple "
                        "of pp (%d)", p->n_microbatches, p->pp);
    /* each check below names the key of another section it reads */
    lc->n_also = 0;
    if (!abstract && p->tp > 1 && e->model.heads % p->tp) {
        involve(lc, "$.model.heads");
        return cfg_fail(err, f, "$.parallel.tp", "heads (%d) must be divisible by tp (%d)",
                        e->model.heads, p->tp);
    }
    if (!abstract && p->sequence_parallel && e->model.seq_len % p->tp) {
        involve(lc, "$.model.seq_len");
        return cfg_fail(err, f, "$.parallel.sequence_parallel", "seq_len (%d) must be divisible "
                        "by tp (%d) with sequence parallelism", e->model.seq_len, p->tp);
    }
    if (p->precision == PREC_FP8 && e->cluster.gpu.peak_fp8_flops_per_s <= 0) {
        involve(lc, "$.cluster.gpu");
        return cfg_fail(err, f, "$.parallel.precision", "GPU %s has no FP8 peak in its spec",
                        e->cluster.gpu.name);
    }
    return 0;
}

/* ======================================================================
** Top level
** ====================================================================== */

int cfg_total_gpus(const cfg_experiment *e) { return e->cluster.nodes * e->cluster.gpus_per_node; }

double cfg_peak_flops(const cfg_experiment *e)
{
    switch (e->parallel.precision) {
    case PREC_FP8: return e->cluster.gpu.peak_fp8_flops_per_s;
    case PREC_FP16: return e->cluster.gpu.peak_fp16_flops_per_s;
    default: return e->cluster.gpu.peak_bf16_flops_per_s;
    }
}

void cfg_free(cfg_experiment *e)
{
    if (!e) return;
    free(e->parallel.stage_layers);
    e->parallel.stage_layers = NULL;
    cJSON_Delete(e->failures);
    cJSON_Delete(e->resilience);
    cJSON_Delete(e->stragglers);
    e->failures = e->resilience = e->stragglers = NULL;
}

static cJSON *dup_section(cfgj_obj *o, const char *key, cfg_error *err)
{
    const cJSON *v = cfgj_raw(o, key);
    if (!v || cJSON_IsNull(v)) return NULL;
    if (!cJSON_IsObject(v)) {
        char p[CFGJ_PATH_MAX];
        cfgj_child_path(o, key, p, sizeof p);
        cfg_fail(err, o->file, p, "expected an object");
        return NULL;
    }
    return cJSON_Duplicate(v, 1);
}

void cfg_overrides_text(const cfg_overrides *ov, char *text, size_t size)
{
    text[0] = 0;
    for (int i = 0; ov && i < ov->n; i++) {
        size_t used = strlen(text);
        int n = snprintf(text + used, size - used, "%s%s", used ? " " : "", ov->items[i]);
        if (n < 0 || (size_t)n >= size - used) {
            snprintf(text + (size > 4 ? size - 4 : 0), 4, "...");
            return;
        }
    }
}

int cfg_load(const char *path, const cfg_overrides *ov, cfg_experiment *out, cfg_error *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    snprintf(out->file, sizeof out->file, "%s", path);
    load_ctx lc;
    memset(&lc, 0, sizeof lc);
    lc.exp_file = out->file;
    cfgj_obj o;
    int dp_given = 0;
    long seed = 1;
    cJSON *root = cfgj_load_file(path, err);
    if (!root) return -1;
    if (!cJSON_IsObject(root)) {
        cfg_fail(err, path, "$", "expected a JSON object");
        goto fail;
    }
    if (inline_all(root, &lc, err)) goto fail;
    if (apply_all_overrides(root, ov, &lc, err)) goto fail;
    if (ov) out->ov = *ov;
    if (inline_all(root, &lc, err)) goto fail;

    if (cfgj_open(&o, root, path, "$", err)) goto fail;
    char desc[4096];
    cfgj_str(&o, "name", out->name, sizeof out->name, "", 0);
    cfgj_str(&o, "description", desc, sizeof desc, "", 0);
    cfgj_str(&o, "source", desc, sizeof desc, "", 0);
    cfgj_int(&o, "seed", &seed, 1, 0, 0, 0x7fffffffL);
    out->seed = (unsigned long)seed;
    const cJSON *model = cfgj_raw(&o, "model");
    const cJSON *cluster = cfgj_raw(&o, "cluster");
    const cJSON *parallel = cfgj_raw(&o, "parallel");
    const cJSON *engine = cfgj_raw(&o, "engine");
    out->failures = dup_section(&o, "failures", err);
    out->resilience = dup_section(&o, "resilience", err);
    out->stragglers = dup_section(&o, "stragglers", err);
    if (cJSON_GetObjectItemCaseSensitive(root, "profile")) {
        cfg_fail(err, path, "$.profile", "an analytic profile is read only by `dtsim "
                 "resilience`: run `dtsim resilience %s`", path);
        cfgj_release(&o);
        goto fail;
    }
    if (cfgj_close(&o, "name, description, source, seed, model, cluster, parallel, engine, "
                       "failures, resilience, stragglers"))
        goto fail;
    if (!model) {
        cfg_fail(err, path, "$.model", "missing required key 'model' (a name in models/, a path, "
                 "or an inline object)");
        goto fail;
    }
    if (read_model(model, lc.model_file[0] ? lc.model_file : path, &lc, &out->model, err))
        goto fail;
    if (!parallel) {
        cfg_fail(err, path, "$.parallel", "missing required key 'parallel'");
        goto fail;
    }
    const cJSON *split = NULL;
    if (read_parallel(parallel, path, &out->parallel, &dp_given, &split, err)) goto fail;
    if (cluster) {
        if (read_cluster(cluster, &lc, &out->cluster, err)) goto fail;
    } else if (out->model.kind == MODEL_ABSTRACT) {
        if (!dp_given) out->parallel.dp = 1;
        dp_given = 1;
        default_abstract_cluster(out);
    } else {
        cfg_fail(err, path, "$.cluster", "missing required key 'cluster' (a name in "
                 "configs/clusters/, a path, or an inline object)");
        goto fail;
    }
    if (read_engine(engine, path, &out->engine, err)) goto fail;
    if (out->failures || out->resilience) {
        /* validated here, so a bad run section fails like any other key;
        ** the run level parses it again when it runs */
        run_config rc;
        if (run_cfg_parse(out->failures, out->resilience, path, &rc, err)) goto fail;
    }
    if (check_plan(out, dp_given, split, &lc, err)) goto fail;
    cJSON_Delete(root);
    return 0;
fail:
    blame_source(&lc, ov, err);
    cJSON_Delete(root);
    cfg_free(out);
    return -1;
}
