/*
** cli_compare.c -- `dtsim compare CONFIG --vary KEY=V1,V2,...`: simulate
** variants of one experiment and tabulate them (CLI layer).
**
** Each variant is CONFIG plus the common --set overrides plus one value of
** every --vary key (the cartesian product of the --vary lists, the first
** --vary varying slowest). The parent loads every variant's config (so a
** config error common to all variants is reported once); each valid variant
** is then simulated in a forked child, since SimGrid can be initialised only
** once per process. The child follows `dtsim run`'s code path (cli_sim_run)
** and sends one JSON object back over a pipe: {"status": ..., "report":
** rep_json's report} or the reason it failed. At most --jobs children run at
** once; rows are kept in variant order, so the output does not depend on
** --jobs. Only the progress lines on stderr do (they carry wall times).
*/
#include "cli.h"
#include "cli_common.h"
#include "cli_sim.h"

#include "cfg.h"
#include "rep.h"
#include "slow.h"

#include <cJSON.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GIB (1024.0 * 1024.0 * 1024.0)
/* Limits that keep a typo from forking a million children. */
#define COMPARE_MAX_VARY 8
#define COMPARE_MAX_VARIANTS 10000
#define COMPARE_MAX_JOBS 256
/* Bytes read from a child's pipe per read() call. */
#define COMPARE_READ_CHUNK 65536

static void usage(FILE *out)
{
    fprintf(out,
        "usage: dtsim compare CONFIG --vary KEY=V1,V2,... [options]\n"
        "\n"
        "Simulate the experiment in CONFIG once per value of KEY (with several --vary,\n"
        "once per combination: the cartesian product, the first --vary varying slowest)\n"
        "and print one table: iteration time, bubble fraction, the Zero Bubble papers'\n"
        "bubble rate, peak activation memory (bytes and microbatches in flight), peak\n"
        "memory and whether it fits, tokens/s, samples/s per GPU and TFLOP/s per GPU\n"
        "(of the last iteration; with several, also their mean; with a stragglers\n"
        "section, also the slowdown against the no-slowness run and the what-if S).\n"
        "Each variant is a `dtsim run` of CONFIG with the overrides, timing its\n"
        "iterations only: a config's failures and resilience sections are not simulated\n"
        "(runs with failures: dtsim resilience, scripts/sweep_resilience.sh).\n"
        "\n"
        "options:\n"
        "  --vary KEY=V1,V2,...  values of one config key (a dotted path, as for --set).\n"
        "                    Values are separated by the commas outside [], {} and \"\",\n"
        "                    so 'parallel.layer_split=[1,2,1],[2,1,1]' is two arrays;\n"
        "                    each value is JSON if it parses as JSON, else a string.\n"
        "                    Repeatable (at most %d keys, %d variants).\n"
        "  --set KEY=VALUE   override applied to every variant (repeatable)\n"
        "  --csv FILE        also write the table as CSV ('-' = stdout instead of the table)\n"
        "  --json FILE       write every variant's full report ('-' = stdout instead of\n"
        "                    the table)\n"
        "  --jobs N          simulate up to N variants at once (default 1; the output is\n"
        "                    the same for every N)\n"
        "  --allow-oom       simulate variants that do not fit in GPU memory (column fits = no)\n"
        "  --quiet           no progress lines on stderr, nor the notes that a config's\n"
        "                    failures/resilience sections are not simulated and that\n"
        "                    more iterations are simulated for its stalls\n"
        "  -h, --help        this help\n"
        "\n"
        "exit status: 0 every variant simulated, 1 bad config or a variant failed (its row\n"
        "says why), 2 usage error\n", COMPARE_MAX_VARY, COMPARE_MAX_VARIANTS);
}

/* ======================================================================
** Arguments
** ====================================================================== */

typedef struct {
    char key[CFGJ_PATH_MAX];
    int n;
    char **values;        /* [n] owned */
} vary_axis;

typedef struct {
    const char *config, *csv_path, *json_path;
    int jobs, allow_oom, quiet;
    cfg_overrides common;            /* --set items (borrowed from argv) */
    int n_axes;
    vary_axis axes[COMPARE_MAX_VARY];
} compare_args;

static void args_free(compare_args *a)
{
    for (int k = 0; k < a->n_axes; k++) {
        for (int i = 0; i < a->axes[k].n; i++) free(a->axes[k].values[i]);
        free(a->axes[k].values);
    }
    a->n_axes = 0;
}

/* Split 'list' at the commas outside brackets, braces and double-quoted
** strings (backslash escapes honoured inside strings) into 'ax'. Returns 0,
** or -1 with a message (empty value, unbalanced brackets or quotes). */
static int split_values(const char *list, vary_axis *ax, char *err, size_t errlen)
{
    size_t len = strlen(list);
    ax->values = calloc(len + 1, sizeof *ax->values);
    if (!ax->values) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int depth = 0, in_str = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = list[i];
        if (in_str) {
            if (c == '\\' && list[i + 1]) i++;
            else if (c == '"') in_str = 0;
            else if (!c) break;
            continue;
        }
        if (c == '"') in_str = 1;
        else if (c == '[' || c == '{') depth++;
        else if ((c == ']' || c == '}') && --depth < 0) break;
        else if ((c == ',' && depth == 0) || !c) {
            if (i == start) {
                snprintf(err, errlen, "empty value at position %d of '%s'", ax->n + 1, list);
                return -1;
            }
            char *v = strndup(list + start, i - start);
            if (!v) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            ax->values[ax->n++] = v;
            start = i + 1;
        }
    }
    if (in_str || depth != 0) {
        snprintf(err, errlen, "unbalanced %s in '%s'", in_str ? "quotes" : "brackets", list);
        return -1;
    }
    return 0;
}

/* Parse one --vary argument into a new axis. Returns 0 or CLI_USAGE. */
static int add_axis(compare_args *a, const char *arg)
{
    if (a->n_axes == COMPARE_MAX_VARY)
        return cli_usage_error("compare", "at most %d --vary keys", COMPARE_MAX_VARY);
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return cli_usage_error("compare", "--vary expects KEY=V1,V2,..., got '%s'", arg);
    vary_axis *ax = &a->axes[a->n_axes];
    memset(ax, 0, sizeof *ax);
    size_t klen = (size_t)(eq - arg);
    if (klen >= sizeof ax->key)
        return cli_usage_error("compare", "--vary key too long in '%s'", arg);
    memcpy(ax->key, arg, klen);
    if (cfg_key_has_empty_part(ax->key))
        return cli_usage_error("compare", "--vary key '%s' has an empty part", ax->key);
    for (int k = 0; k < a->n_axes; k++)
        if (!strcmp(a->axes[k].key, ax->key))
            return cli_usage_error("compare", "--vary %s is given twice", ax->key);
    for (int k = 0; k < a->common.n; k++) {
        const char *s = a->common.items[k];
        if (!strncmp(s, ax->key, klen) && s[klen] == '=')
            return cli_usage_error("compare", "%s is both --set and --vary", ax->key);
    }
    a->n_axes++; /* owned from here on, freed by args_free */
    char err[512];
    if (split_values(eq + 1, ax, err, sizeof err))
        return cli_usage_error("compare", "--vary %s: %s", ax->key, err);
    /* the same variant twice is a typo, not a comparison */
    for (int i = 0; i < ax->n; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(ax->values[i], ax->values[j]))
                return cli_usage_error("compare", "--vary %s: value '%s' is given twice",
                                       ax->key, ax->values[i]);
    return 0;
}

/* Is dotted key 'key' the section 'section' or inside it? */
static int key_within(const char *key, const char *section)
{
    size_t n = strlen(section);
    return !strncmp(key, section, n) && (key[n] == 0 || key[n] == '.');
}

static int parse_args(int argc, char **argv, compare_args *a)
{
    memset(a, 0, sizeof *a);
    a->jobs = 1;
    const char *vary[COMPARE_MAX_VARY + 1];
    int n_vary = 0;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            usage(stdout);
            return -1;
        } else if (!strcmp(s, "--vary") || !strcmp(s, "--set") || !strcmp(s, "--csv") ||
                   !strcmp(s, "--json") || !strcmp(s, "--jobs")) {
            if (i + 1 >= argc) return cli_usage_error("compare", "%s needs a value", s);
            const char *v = argv[++i];
            if (!strcmp(s, "--vary")) {
                if (n_vary > COMPARE_MAX_VARY)
                    return cli_usage_error("compare", "at most %d --vary keys", COMPARE_MAX_VARY);
                vary[n_vary++] = v;
            } else if (!strcmp(s, "--set")) {
                if (cli_add_override("compare", &a->common, CFG_MAX_OVERRIDES - COMPARE_MAX_VARY, v))
                    return CLI_USAGE;
            } else if (!strcmp(s, "--csv")) a->csv_path = v;
            else if (!strcmp(s, "--json")) a->json_path = v;
            else if (cli_parse_int(v, 1, COMPARE_MAX_JOBS, &a->jobs))
                return cli_usage_error("compare", "--jobs needs an integer in 1..%d, got '%s'",
                                       COMPARE_MAX_JOBS, v);
        } else if (!strcmp(s, "--allow-oom")) {
            a->allow_oom = 1;
        } else if (!strcmp(s, "--quiet")) {
            a->quiet = 1;
        } else if (s[0] == '-' && s[1]) {
            return cli_usage_error("compare", "unknown option '%s'", s);
        } else if (!a->config) {
            a->config = s;
        } else {
            return cli_usage_error("compare", "unexpected argument '%s' (one CONFIG only)", s);
        }
    }
    if (!a->config) return cli_usage_error("compare", "missing CONFIG");
    if (!n_vary) return cli_usage_error("compare", "missing --vary KEY=V1,V2,...");
    if (a->csv_path && a->json_path && !strcmp(a->csv_path, "-") && !strcmp(a->json_path, "-"))
        return cli_usage_error("compare", "--csv - and --json - cannot both write to stdout");
    for (int k = 0; k < n_vary; k++) {
        int rc = add_axis(a, vary[k]);
        if (rc) return rc;
        const char *key = a->axes[a->n_axes - 1].key;
        if (key_within(key, "failures") || key_within(key, "resilience"))
            return cli_usage_error("compare", "--vary %s: compare times one iteration per "
                                   "variant, which the failures and resilience sections do not "
                                   "change; sweep runs with failures with "
                                   "scripts/sweep_resilience.sh", key);
    }
    const char *outs[] = {a->csv_path, a->json_path};
    return cli_outputs_writable("compare", outs, 2) ? CLI_ERR : 0;
}

/* ======================================================================
** Variants
** ====================================================================== */

typedef enum { ROW_OK = 0, ROW_INVALID, ROW_PLAN, ROW_OOM, ROW_FAILED, N_ROW_STATUS } row_status;
/* in the table and CSV */
static const char *const row_status_names[N_ROW_STATUS] = {"ok", "invalid", "cannot schedule",
                                                           "does not fit", "failed"};
/* in JSON: the child's answer and --json */
static const char *const row_status_keys[N_ROW_STATUS] = {"ok", "invalid", "plan", "oom",
                                                          "failed"};

/* One variant: its overrides, its loaded config, and what came back. */
typedef struct {
    int value_of[COMPARE_MAX_VARY];  /* index of the value of each axis */
    char *items[COMPARE_MAX_VARY];   /* "key=value" overrides, owned */
    cfg_experiment e;
    int loaded;                      /* e is valid (cfg_load succeeded) */
    row_status status;
    char *error;                     /* full message (owned), NULL when ok */
    char *reason;                    /* short message for the table (owned) */
    cJSON *report;                   /* rep_json report of the variant (owned) */
    /* numbers of the table (NaN-free: 'has_*' say what is known) */
    int has_perf, has_act_bytes, has_mem, has_flops;
    double iteration_s, bubble_fraction, zb_bubble_rate;
    int iterations;                  /* simulated (the stalls' period may raise it) */
    double mean_iteration_s;         /* their mean */
    int has_slow, has_whatif;        /* a stragglers report; with an attribution */
    double sim_slowdown, whatif_s;   /* time / no-slowness baseline; what-if S */
    double act_bytes, inflight, mem_bytes;
    int fits;
    double tokens_per_s, samples_per_s_gpu, tflops_per_gpu;
} variant;

static void variant_free(variant *v, int n_axes)
{
    for (int k = 0; k < n_axes; k++) free(v->items[k]);
    if (v->loaded) cfg_free(&v->e);
    free(v->error);
    free(v->reason);
    cJSON_Delete(v->report);
}

static const char *value_text(const compare_args *a, const variant *v, int k)
{
    return a->axes[k].values[v->value_of[k]];
}

/* Set the variant's "key=value" overrides (mixed radix: the last axis
** varies fastest). Returns 0 or -1 (out of memory). */
static int variant_init(const compare_args *a, int index, variant *v)
{
    memset(v, 0, sizeof *v);
    for (int k = a->n_axes - 1; k >= 0; k--) {
        v->value_of[k] = index % a->axes[k].n;
        index /= a->axes[k].n;
    }
    for (int k = 0; k < a->n_axes; k++) {
        const char *val = value_text(a, v, k);
        size_t n = strlen(a->axes[k].key) + strlen(val) + 2;
        if (!(v->items[k] = malloc(n))) return -1;
        snprintf(v->items[k], n, "%s=%s", a->axes[k].key, val);
    }
    return 0;
}

/* cfg names --set overrides as the source of a bad value ("--set k=v", or
** "x.json with --set k=v, ..."), in a cfg_error's file or in a whole message
** ("--set k=v: $.a.b: ..."); say --vary for the variant's own. */
static void blame_vary(const variant *v, int n_axes, char *text, size_t size)
{
    for (int k = 0; k < n_axes; k++) {
        char set[CFGJ_FILE_MAX], f[1200];
        snprintf(set, sizeof set, "--set %s", v->items[k]);
        char *at = strstr(text, set);
        size_t n = strlen(set);
        if (!at || (at[n] != 0 && at[n] != ',' && at[n] != ':')) continue;
        snprintf(f, sizeof f, "%.*s--vary %s", (int)(at - text), text, at + 6);
        snprintf(text, size, "%s", f);
    }
}

/* Load the config of every variant. A config error shared by all of them
** (same JSON path and message) is printed once: returns CLI_ERR. Else the
** failing variants get an "invalid" row; returns 0. */
static int load_variants(const compare_args *a, variant *vars, int n)
{
    cfg_error first;
    memset(&first, 0, sizeof first);
    int n_bad = 0, same = 1;
    for (int i = 0; i < n; i++) {
        variant *v = &vars[i];
        cfg_overrides ov = a->common;
        for (int k = 0; k < a->n_axes; k++) ov.items[ov.n++] = v->items[k];
        cfg_error err;
        memset(&err, 0, sizeof err);
        if (!cfg_load(a->config, &ov, &v->e, &err)) {
            /* the stragglers section is parsed after loading (slow.h): check it
            ** here too, so a bad value is an invalid row blamed on its --vary */
            slow_model *sm = NULL;
            int bad = slow_parse(&v->e, &sm, &err);
            slow_free(sm);
            if (!bad) {
                v->loaded = 1;
                continue;
            }
            cfg_free(&v->e);
        }
        blame_vary(v, a->n_axes, err.file, sizeof err.file);
        if (n_bad++ == 0) first = err;
        else if (strcmp(err.path, first.path) || strcmp(err.msg, first.msg)) same = 0;
        char buf[1200];
        cfg_error_format(&err, buf, sizeof buf);
        v->status = ROW_INVALID;
        v->error = strdup(buf);
        v->reason = strdup(buf);
        if (!v->error || !v->reason) {
            fprintf(stderr, "dtsim: out of memory\n");
            return CLI_ERR;
        }
    }
    if (n_bad < n || !same) return 0;
    /* common to all: name the --vary key, not one of its values */
    if (!strncmp(first.file, "--vary ", 7)) {
        char *eq = strchr(first.file, '=');
        if (eq) *eq = 0;
    }
    return cli_config_error(&first);
}

/* ======================================================================
** Child: simulate one variant, answer in JSON
** ====================================================================== */

/* Write all of 'text' to 'fd'. 0 or -1. */
static int write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, text, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        text += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Memory of a plan that does not fit: maxima over stages, and the short
** reason for the table. */
static void oom_answer(cJSON *ans, const cfg_experiment *e, const plan_t *p)
{
    double act = 0, inflight = 0;
    for (int d = 0; d < p->pp; d++) {
        if (p->mem[d].act_bytes > act) act = p->mem[d].act_bytes;
        if (p->peak_inflight[d] > inflight) inflight = p->peak_inflight[d];
    }
    int worst = cli_worst_stage(p);
    char reason[256];
    snprintf(reason, sizeof reason, "stage %d needs %.1f GiB, the %s has %.1f GiB",
             worst, p->mem[worst].total_bytes / GIB, e->cluster.gpu.name,
             e->cluster.gpu.hbm_bytes / GIB);
    cJSON_AddStringToObject(ans, "reason", reason);
    cJSON *mem = cJSON_AddObjectToObject(ans, "memory");
    cJSON_AddNumberToObject(mem, "peak_memory_bytes", p->mem[worst].total_bytes);
    cJSON_AddNumberToObject(mem, "peak_activation_bytes", act);
    cJSON_AddNumberToObject(mem, "peak_inflight_microbatches", inflight);
}

/* The child's whole life: simulate, write the answer to 'fd', exit. */
static void child_main(const compare_args *a, const variant *v, int fd)
{
    char err[1200];
    cli_sim sim;
    cli_sim_status st = cli_sim_run(a->config, &v->e, v->e.engine.iterations, a->allow_oom, a->quiet, &sim,
                                    err, sizeof err);
    if (st != CLI_SIM_OK && !err[0]) snprintf(err, sizeof err, "failed without a message");
    if (st != CLI_SIM_OK) blame_vary(v, a->n_axes, err, sizeof err);
    row_status rs = st == CLI_SIM_OK ? ROW_OK : st == CLI_SIM_PLAN ? ROW_PLAN
                    : st == CLI_SIM_OOM ? ROW_OOM : ROW_FAILED;
    cJSON *ans = cJSON_CreateObject();
    char *text = NULL;
    if (ans) {
        cJSON *rep = rs == ROW_OK ? rep_json(&v->e, &sim.plan, &sim.met) : NULL;
        if (rs == ROW_OK && !rep) {
            rs = ROW_FAILED;
            snprintf(err, sizeof err, "out of memory");
        }
        /* as dtsim run --json: with a stragglers section, the baseline and the
        ** what-if attribution under "stragglers" (cli_slow prints its errors) */
        if (rep && cli_slow_after_run(&sim.slow, sim.eng, &sim.plan, &sim.res, NULL, NULL, rep)) {
            cJSON_Delete(rep);
            rep = NULL;
            rs = ROW_FAILED;
            snprintf(err, sizeof err, "the straggler analysis failed (see stderr)");
        }
        cJSON_AddStringToObject(ans, "status", row_status_keys[rs]);
        if (rep) cJSON_AddItemToObject(ans, "report", rep);
        else cJSON_AddStringToObject(ans, "error", err);
        if (rs == ROW_OOM) oom_answer(ans, &v->e, &sim.plan);
        text = cJSON_PrintUnformatted(ans);
    }
    int rc = text && !write_all(fd, text, strlen(text)) ? 0 : 1;
    cJSON_free(text);
    cJSON_Delete(ans);
    cli_sim_free(&sim);
    close(fd);
    _exit(rc); /* no atexit handlers: they belong to the parent */
}

/* ======================================================================
** Parent: run the children, collect their answers
** ====================================================================== */

static double num(const cJSON *o, const char *key, int *ok)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(x)) {
        *ok = 0;
        return 0;
    }
    return x->valuedouble;
}

/* Largest entry of the number array stages.<key>; 0 if absent. */
static double stage_max(const cJSON *report, const char *key, int *present)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(report, "stages");
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(st, key);
    double mx = 0;
    *present = cJSON_IsArray(arr);
    for (const cJSON *x = *present ? arr->child : NULL; x; x = x->next)
        if (cJSON_IsNumber(x) && x->valuedouble > mx) mx = x->valuedouble;
    return mx;
}

static int set_failed(variant *v, const char *fmt, int arg)
{
    char buf[256];
    snprintf(buf, sizeof buf, fmt, arg);
    v->status = ROW_FAILED;
    free(v->error);
    free(v->reason);
    v->error = strdup(buf);
    v->reason = strdup(buf);
    return v->error && v->reason ? 0 : -1;
}

/* Turn a child's answer into the variant's row. 'wstatus' from waitpid.
** Returns 0 or -1 (out of memory). */
static int take_answer(variant *v, const char *text, int wstatus)
{
    if (WIFSIGNALED(wstatus))
        return set_failed(v, "the simulation crashed (signal %d)", WTERMSIG(wstatus));
    cJSON *ans = text ? cJSON_Parse(text) : NULL;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(ans, "status");
    if (!cJSON_IsString(st)) {
        cJSON_Delete(ans);
        return set_failed(v, "the simulation gave no answer (exit status %d)",
                          WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
    }
    v->status = ROW_FAILED;
    for (int i = 0; i < N_ROW_STATUS; i++)
        if (!strcmp(st->valuestring, row_status_keys[i])) v->status = (row_status)i;
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(ans, "error");
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(ans, "reason");
    if (cJSON_IsString(err)) {
        v->error = strdup(err->valuestring);
        v->reason = strdup(cJSON_IsString(reason) ? reason->valuestring : err->valuestring);
        if (!v->error || !v->reason) {
            cJSON_Delete(ans);
            return -1;
        }
    }
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(ans, "memory");
    if (mem) {
        int ok = 1;
        v->mem_bytes = num(mem, "peak_memory_bytes", &ok);
        v->act_bytes = num(mem, "peak_activation_bytes", &ok);
        v->inflight = num(mem, "peak_inflight_microbatches", &ok);
        v->has_mem = v->has_act_bytes = ok;
        v->fits = 0;
    }
    cJSON *rep = cJSON_DetachItemFromObjectCaseSensitive(ans, "report");
    cJSON_Delete(ans);
    if (!rep) return 0;
    v->report = rep;
    int ok = 1, present;
    v->iteration_s = num(rep, "iteration_time_s", &ok);
    int ok_mean = 1;
    v->iterations = (int)num(rep, "iterations", &ok_mean);
    v->mean_iteration_s = num(rep, "mean_iteration_time_s", &ok_mean);
    if (!ok_mean) v->iterations = 1;
    const cJSON *slow = cJSON_GetObjectItemCaseSensitive(rep, "stragglers");
    if (slow) {
        int ok_slow = 1;
        v->sim_slowdown = num(slow, "sim_slowdown", &ok_slow);
        v->has_slow = ok_slow;
        const cJSON *wi = cJSON_GetObjectItemCaseSensitive(slow, "whatif");
        ok_slow = 1;
        v->whatif_s = num(wi, "slowdown", &ok_slow);
        v->has_whatif = ok_slow;
    }
    v->bubble_fraction = num(rep, "bubble_fraction", &ok);
    v->zb_bubble_rate = num(rep, "zb_bubble_rate", &ok);
    double gpus = num(rep, "gpus", &ok);
    v->samples_per_s_gpu = gpus > 0 ? num(rep, "samples_per_s", &ok) / gpus : 0;
    v->inflight = stage_max(rep, "peak_inflight_microbatches", &present);
    v->has_perf = ok && present;
    /* transformer mode only: bytes and FLOPs (the abstract model has neither) */
    v->act_bytes = stage_max(rep, "activation_bytes", &v->has_act_bytes);
    v->has_mem = v->has_act_bytes;
    v->mem_bytes = num(rep, "peak_memory_bytes", &ok);
    const cJSON *fits = cJSON_GetObjectItemCaseSensitive(rep, "fits_in_memory");
    v->fits = cJSON_IsTrue(fits);
    v->has_flops = num(rep, "executed_flops_per_iteration", &ok) > 0;
    v->tokens_per_s = num(rep, "tokens_per_s", &ok);
    v->tflops_per_gpu = num(rep, "tflops_per_gpu", &ok);
    return 0;
}

typedef struct {
    int variant;       /* index, -1 = free slot */
    pid_t pid;
    int fd;
    char *buf;
    size_t len, cap;
    struct timespec started;
} job;

static double wall_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static void progress(const compare_args *a, const variant *v, int index, int n, double wall_s)
{
    if (a->quiet) return;
    fprintf(stderr, "dtsim compare: variant %d of %d (", index + 1, n);
    for (int k = 0; k < a->n_axes; k++)
        fprintf(stderr, "%s%s", k ? ", " : "", v->items[k]);
    if (v->status == ROW_OK)
        fprintf(stderr, "): iteration %.6g s, %.2f s wall\n", v->iteration_s, wall_s);
    else
        fprintf(stderr, "): %s: %s\n", row_status_names[v->status], v->error ? v->error : "");
}

/* Start the child of variant 'i' in slot 'j'. Returns 0 or -1 (errno). */
static int start_job(const compare_args *a, variant *vars, int i, job *j)
{
    int fd;
    pid_t pid = cli_fork_piped(&fd);
    if (pid < 0) return -1;
    if (pid == 0) child_main(a, &vars[i], fd);
    j->variant = i;
    j->pid = pid;
    j->fd = fd;
    j->len = 0;
    clock_gettime(CLOCK_MONOTONIC, &j->started);
    return 0;
}

/* Read what is available from job 'j'. Returns 1 at end of file, 0 if more
** may come, -1 on error. */
static int read_job(job *j)
{
    if (j->cap - j->len < COMPARE_READ_CHUNK + 1) {
        size_t cap = j->cap * 2 + COMPARE_READ_CHUNK + 1;
        char *b = realloc(j->buf, cap);
        if (!b) return -1;
        j->buf = b;
        j->cap = cap;
    }
    ssize_t r = read(j->fd, j->buf + j->len, COMPARE_READ_CHUNK);
    if (r < 0) return errno == EINTR ? 0 : -1;
    j->len += (size_t)r;
    j->buf[j->len] = 0;
    return r == 0;
}

/* Simulate every loaded variant, 'jobs' at a time. Returns 0 or -1 (cannot
** fork, pipe or allocate: message printed). */
static int run_variants(const compare_args *a, variant *vars, int n)
{
    int n_jobs = a->jobs, rc = 0, next = 0, running = 0;
    job *jobs = calloc((size_t)n_jobs, sizeof *jobs);
    struct pollfd *pfd = calloc((size_t)n_jobs, sizeof *pfd);
    if (!jobs || !pfd) {
        fprintf(stderr, "dtsim: out of memory\n");
        free(jobs);
        free(pfd);
        return -1;
    }
    for (int s = 0; s < n_jobs; s++) jobs[s].variant = -1;
    for (;;) {
        for (int s = 0; s < n_jobs && rc == 0; s++) {
            while (next < n && !vars[next].loaded) next++;
            if (jobs[s].variant >= 0 || next >= n) continue;
            if (start_job(a, vars, next, &jobs[s])) {
                fprintf(stderr, "dtsim compare: cannot start a simulation: %s\n", strerror(errno));
                rc = -1;
                break;
            }
            next++;
            running++;
        }
        if (running == 0) break;
        int np = 0;
        int slot_of[COMPARE_MAX_JOBS];
        for (int s = 0; s < n_jobs; s++)
            if (jobs[s].variant >= 0) {
                pfd[np] = (struct pollfd){.fd = jobs[s].fd, .events = POLLIN};
                slot_of[np++] = s;
            }
        if (poll(pfd, (nfds_t)np, -1) < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "dtsim compare: poll: %s\n", strerror(errno));
            rc = -1;
            break;
        }
        for (int q = 0; q < np; q++) {
            if (!(pfd[q].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            job *j = &jobs[slot_of[q]];
            int r = read_job(j);
            if (r == 0) continue;
            close(j->fd);
            int wstatus = 0;
            while (waitpid(j->pid, &wstatus, 0) < 0 && errno == EINTR) {}
            variant *v = &vars[j->variant];
            if (r < 0 || take_answer(v, j->len ? j->buf : NULL, wstatus)) {
                fprintf(stderr, "dtsim: out of memory\n");
                rc = -1;
            }
            progress(a, v, j->variant, n, wall_since(&j->started));
            j->variant = -1;
            running--;
        }
    }
    /* after an error: collect the children still running */
    for (int s = 0; s < n_jobs; s++) {
        if (jobs[s].variant >= 0) {
            close(jobs[s].fd);
            waitpid(jobs[s].pid, NULL, 0);
        }
        free(jobs[s].buf);
    }
    free(jobs);
    free(pfd);
    return rc;
}

/* ======================================================================
** Output: table, CSV, JSON
** ====================================================================== */

/* Columns after the varied keys. COL_MEAN only when a variant simulated more
** than one iteration, COL_SLOW and COL_WHATIF only when one has a stragglers
** section (col_shown). */
enum { COL_ITER, COL_MEAN, COL_BUBBLE, COL_ZB, COL_ACT, COL_INFLIGHT, COL_MEM, COL_FITS,
       COL_TOKENS, COL_SAMPLES, COL_TFLOPS, COL_SLOW, COL_WHATIF, COL_STATUS, N_COLS };
static const char *const col_title[N_COLS] = {
    "iteration_s", "mean_iter_s", "bubble", "zb_bubble", "act_peak", "in_flight", "mem_peak",
    "fits", "tokens/s", "samples/s/GPU", "TFLOP/s/GPU", "sim_slowdown", "whatif_S", "status"};
static const char *const csv_title[N_COLS] = {
    "iteration_time_s", "mean_iteration_time_s", "bubble_fraction", "zb_bubble_rate",
    "peak_activation_bytes", "peak_inflight_microbatches", "peak_memory_bytes",
    "fits_in_memory", "tokens_per_s", "samples_per_s_per_gpu", "tflops_per_gpu",
    "sim_slowdown", "whatif_slowdown", "status"};

/* Is column 'c' part of this table? */
static int col_shown(const variant *vars, int n, int c)
{
    for (int i = 0; c == COL_MEAN && i < n; i++)
        if (vars[i].has_perf && vars[i].iterations > 1) return 1;
    for (int i = 0; (c == COL_SLOW || c == COL_WHATIF) && i < n; i++)
        if (vars[i].has_slow) return 1;
    return c != COL_MEAN && c != COL_SLOW && c != COL_WHATIF;
}

/* Cell 'c' of a variant: human (csv = 0) or CSV text; "" / "-" when unknown. */
static void cell(const variant *v, int c, int csv, char *buf, size_t len)
{
    const char *none = csv ? "" : "-";
    int known;
    double x = 0;
    switch (c) {
    case COL_ITER: known = v->has_perf; x = v->iteration_s; break;
    case COL_MEAN: known = v->has_perf; x = v->mean_iteration_s; break;
    case COL_SLOW: known = v->has_perf && v->has_slow; x = v->sim_slowdown; break;
    case COL_WHATIF: known = v->has_perf && v->has_whatif; x = v->whatif_s; break;
    case COL_BUBBLE: known = v->has_perf; x = v->bubble_fraction; break;
    case COL_ZB: known = v->has_perf; x = v->zb_bubble_rate; break;
    case COL_ACT: known = v->has_act_bytes; x = v->act_bytes; break;
    case COL_INFLIGHT: known = v->has_perf || v->has_mem; x = v->inflight; break;
    case COL_MEM: known = v->has_mem; x = v->mem_bytes; break;
    case COL_TOKENS: known = v->has_perf && v->has_flops; x = v->tokens_per_s; break;
    case COL_SAMPLES: known = v->has_perf; x = v->samples_per_s_gpu; break;
    case COL_TFLOPS: known = v->has_perf && v->has_flops; x = v->tflops_per_gpu; break;
    case COL_FITS:
        snprintf(buf, len, "%s", !v->has_mem ? none : v->fits ? "yes" : "no");
        return;
    default:
        if (v->status == ROW_OK) snprintf(buf, len, "ok");
        else snprintf(buf, len, "%s: %s", row_status_names[v->status], v->reason ? v->reason : "");
        return;
    }
    if (!known) snprintf(buf, len, "%s", none);
    else if (csv) snprintf(buf, len, "%.10g", x);
    else if (c == COL_BUBBLE || c == COL_ZB) snprintf(buf, len, "%.2f%%", 100 * x);
    else if (c == COL_ACT || c == COL_MEM) snprintf(buf, len, "%.1f GiB", x / GIB);
    else if (c == COL_TOKENS) snprintf(buf, len, "%.0f", x);
    else if (c == COL_TFLOPS) snprintf(buf, len, "%.1f", x);
    else snprintf(buf, len, "%.6g", x);
}

/* The human table: one row per variant, columns padded to their widest cell
** (the status column last, unpadded). */
static void print_table(FILE *out, const compare_args *a, const variant *vars, int n)
{
    int nc = a->n_axes + N_COLS;
    int *w = calloc((size_t)nc, sizeof *w);
    if (!w) return;
    char buf[1400];
    for (int k = 0; k < a->n_axes; k++) w[k] = (int)strlen(a->axes[k].key);
    for (int c = 0; c < N_COLS; c++) w[a->n_axes + c] = (int)strlen(col_title[c]);
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < a->n_axes; k++) {
            int l = (int)strlen(value_text(a, &vars[i], k));
            if (l > w[k]) w[k] = l;
        }
        for (int c = 0; c < N_COLS; c++) {
            cell(&vars[i], c, 0, buf, sizeof buf);
            if ((int)strlen(buf) > w[a->n_axes + c]) w[a->n_axes + c] = (int)strlen(buf);
        }
    }
    for (int k = 0; k < nc; k++) {
        if (k >= a->n_axes && !col_shown(vars, n, k - a->n_axes)) continue;
        const char *t = k < a->n_axes ? a->axes[k].key : col_title[k - a->n_axes];
        if (k == nc - 1) fprintf(out, "%s\n", t);
        else fprintf(out, "%-*s  ", w[k], t);
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < nc; k++) {
            if (k >= a->n_axes && !col_shown(vars, n, k - a->n_axes)) continue;
            if (k < a->n_axes) snprintf(buf, sizeof buf, "%s", value_text(a, &vars[i], k));
            else cell(&vars[i], k - a->n_axes, 0, buf, sizeof buf);
            if (k == nc - 1) fprintf(out, "%s\n", buf);
            else fprintf(out, "%-*s  ", w[k], buf);
        }
    free(w);
}

/* One CSV field, quoted (RFC 4180) when it holds a comma, quote or newline. */
static void csv_field(FILE *out, const char *s, int last)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', out);
        for (; *s; s++) {
            if (*s == '"') fputc('"', out);
            fputc(*s, out);
        }
        fputc('"', out);
    } else {
        fputs(s, out);
    }
    fputc(last ? '\n' : ',', out);
}

static int write_csv(const char *path, const compare_args *a, const variant *vars, int n)
{
    FILE *out = strcmp(path, "-") ? fopen(path, "w") : stdout;
    if (!out) return -1;
    char buf[1400];
    for (int k = 0; k < a->n_axes; k++) csv_field(out, a->axes[k].key, 0);
    for (int c = 0; c < N_COLS; c++)
        if (col_shown(vars, n, c)) csv_field(out, csv_title[c], c == N_COLS - 1);
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < a->n_axes; k++) csv_field(out, value_text(a, &vars[i], k), 0);
        for (int c = 0; c < N_COLS; c++) {
            if (!col_shown(vars, n, c)) continue;
            cell(&vars[i], c, 1, buf, sizeof buf);
            csv_field(out, buf, c == N_COLS - 1);
        }
    }
    int rc = ferror(out) ? -1 : 0;
    if (out != stdout && fclose(out)) rc = -1;
    return rc;
}

/* {"config", "vary": [keys], "variants": [{"values": {key: value}, "status",
** "error"?, "report"?}]}: values as the config saw them (JSON or string). */
static int write_json(const char *path, const compare_args *a, variant *vars, int n)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return -1;
    cJSON_AddStringToObject(root, "config", a->config);
    cJSON *ks = cJSON_AddArrayToObject(root, "vary");
    for (int k = 0; k < a->n_axes; k++)
        cJSON_AddItemToArray(ks, cJSON_CreateString(a->axes[k].key));
    cJSON *arr = cJSON_AddArrayToObject(root, "variants");
    for (int i = 0; i < n; i++) {
        variant *v = &vars[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON *vals = cJSON_AddObjectToObject(o, "values");
        for (int k = 0; k < a->n_axes; k++) {
            const char *t = value_text(a, v, k);
            cJSON *x = cfgj_parse_value(t);
            cJSON_AddItemToObject(vals, a->axes[k].key, x ? x : cJSON_CreateString(t));
        }
        cJSON_AddStringToObject(o, "status", row_status_keys[v->status]);
        if (v->error) cJSON_AddStringToObject(o, "error", v->error);
        if (v->report) {
            cJSON_AddItemToObject(o, "report", v->report);
            v->report = NULL; /* owned by 'root' now */
        }
    }
    int rc = rep_write_json_file(path, root);
    cJSON_Delete(root);
    return rc;
}

/* ======================================================================
** Entry point
** ====================================================================== */

int cli_compare(int argc, char **argv)
{
    compare_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) {
        args_free(&a);
        return rc < 0 ? CLI_OK : rc;
    }
    long n = 1;
    for (int k = 0; k < a.n_axes; k++) {
        n *= a.axes[k].n;
        if (n > COMPARE_MAX_VARIANTS) {
            args_free(&a);
            return cli_usage_error("compare", "more than %d variants", COMPARE_MAX_VARIANTS);
        }
    }
    variant *vars = calloc((size_t)n, sizeof *vars);
    rc = CLI_ERR;
    if (!vars) goto out;
    for (int i = 0; i < n; i++)
        if (variant_init(&a, i, &vars[i])) {
            fprintf(stderr, "dtsim: out of memory\n");
            goto out;
        }
    if (load_variants(&a, vars, (int)n)) goto out;
    for (int i = 0; i < n && !a.quiet; i++)
        if (vars[i].loaded && (vars[i].e.failures || vars[i].e.resilience)) {
            fprintf(stderr, "dtsim compare: %s has failures/resilience sections; compare times one "
                            "iteration per variant without them (runs with failures: dtsim "
                            "resilience, scripts/sweep_resilience.sh)\n", a.config);
            break;
        }
    if (run_variants(&a, vars, (int)n)) goto out;

    rc = CLI_OK;
    for (int i = 0; i < n; i++)
        if (vars[i].status != ROW_OK) rc = CLI_ERR;
    int to_stdout = (a.csv_path && !strcmp(a.csv_path, "-")) ||
                    (a.json_path && !strcmp(a.json_path, "-"));
    if (!to_stdout) print_table(stdout, &a, vars, (int)n);
    errno = 0;
    if (a.csv_path && write_csv(a.csv_path, &a, vars, (int)n))
        rc = cli_write_failed("compare", a.csv_path);
    errno = 0;
    if (a.json_path && write_json(a.json_path, &a, vars, (int)n))
        rc = cli_write_failed("compare", a.json_path);
out:
    for (int i = 0; vars && i < n; i++) variant_free(&vars[i], a.n_axes);
    free(vars);
    args_free(&a);
    return rc;
}
