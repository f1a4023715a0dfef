/*
** cli_resilience.c -- `dtsim resilience`: replay one failure stream against
** several resilience schemes and print goodput and where the time went
** (CLI layer).
**
** Three sources of iteration times: a standalone JSON with an analytic
** `profile` (plus optional `failures`/`resilience`), the Oobleck artifact's
** throughput table (--model, run engine, corrected accounting), or the
** artifact-compatible replay (--artifact --model, the artifact's quirks).
** The lead's experiment configs plug in through cli_resilience_run() with
** an engine-backed oracle.
*/
#include "artifact.h"
#include "cfg.h"
#include "cli.h"
#include "cli_common.h"
#include "eng_oracle.h"
#include "failure.h"
#include "linereader.h"
#include "numparse.h"
#include "rep.h"
#include "res.h"
#include "run.h"
#include "run_cfg.h"
#include "run_oracle.h"
#include "slow.h"

#include <cJSON.h>
#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_RUNS 10000

typedef struct {
    const char *config, *trace, *model, *table, *csv, *json, *schemes;
    int artifact, runs, quiet;
    int no_table;                 /* `dtsim run --quiet`, `--json -`: no table on stdout */
    long seed;
    double duration_h;
    cfg_overrides ov;             /* --set items (borrowed from argv) */
    char slowness[256];           /* the stragglers applied to every plan ("" = none) */
    const oracle_profile *prof;   /* the config's analytic profile (NULL: none) */
    const char *nodes_path;       /* the key that gave the job's node count (NULL: a
                                  ** trace's peak), blamed when a scheme finds no plan */
} cli_opts;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: dtsim resilience CONFIG.json [options]\n"
            "       dtsim resilience --model MODEL [--artifact] --failure-trace FILE [options]\n"
            "\n"
            "Replay one failure stream against resilience schemes and print goodput,\n"
            "effective samples/s and where the time went (fractions of wall time):\n"
            "useful, rework, restart, checkpoint, reconfig, degraded, waiting; then the\n"
            "plan each scheme starts with (shape, checkpointing, pipelines).\n"
            "\n"
            "CONFIG.json is an experiment config (model, cluster, parallel: iteration times\n"
            "simulated on SimGrid, README.md \"Configuration\") or has a 'profile' (analytic\n"
            "per-layer costs); both take optional 'failures' and 'resilience' sections\n"
            "(docs/resilience.md). --model uses the Oobleck artifact's throughput table\n"
            "(tests/data/oobleck_sim_tput.csv) instead. An experiment's 'stragglers'\n"
            "section slows every plan if it names no GPU or node (\"all\", noise, seqlen).\n"
            "\n"
            "options:\n"
            "  --set KEY=VALUE       override a config value by its dotted path (repeatable),\n"
            "                        e.g. --set failures.node_mtbf_h=3\n"
            "  --schemes LIST        comma-separated: ckpt,inmem,oobleck,bamboo,varuna\n"
            "                        (artifact mode: oobleck,bamboo,varuna)\n"
            "  --failure-trace FILE  replay FILE: a spot trace (time_ms,add|remove,nodeN)\n"
            "                        or a failure CSV (header time_s,node,cause,repair_s)\n"
            "  --runs N              N runs with seeds seed..seed+N-1: mean and 95%% interval\n"
            "  --seed S              first seed (default: the config's, 1)\n"
            "  --duration-h H        simulated run length in hours (1/3600 to 1e6, decimal)\n"
            "  --model NAME          artifact table model (BERT-large, GPT-2-ours, GPT-3-medium,\n"
            "                        GPT-3-2_7b, GPT-3-6_7b)\n"
            "  --table FILE          throughput table (default tests/data/oobleck_sim_tput.csv)\n"
            "  --artifact            artifact-compatible replay (its accounting quirks)\n"
            "  --csv FILE            throughput over time (samples/s per bin, one column a scheme;\n"
            "                        '-' = stdout instead of the table)\n"
            "  --json FILE           the results as JSON ('-' = stdout instead of the table)\n"
            "  --quiet               no progress line on stderr\n"
            "  -h, --help            this help\n"
            "\n"
            "exit status: 0 success, 1 invalid input or failed run, 2 usage error\n");
}

static int parse_args(int argc, char **argv, cli_opts *o)
{
    memset(o, 0, sizeof *o);
    o->runs = 1;
    o->seed = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKE(field) do { if (!v) goto missing; o->field = v; i++; } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 1; }
        else if (!strcmp(a, "--schemes")) TAKE(schemes);
        else if (!strcmp(a, "--failure-trace")) TAKE(trace);
        else if (!strcmp(a, "--model")) TAKE(model);
        else if (!strcmp(a, "--table")) TAKE(table);
        else if (!strcmp(a, "--csv")) TAKE(csv);
        else if (!strcmp(a, "--json")) TAKE(json);
        else if (!strcmp(a, "--set")) {
            if (!v) goto missing;
            if (cli_add_override("resilience", &o->ov, CFG_MAX_OVERRIDES, v)) return -1;
            i++;
        } else if (!strcmp(a, "--artifact")) o->artifact = 1;
        else if (!strcmp(a, "--quiet")) o->quiet = 1;
        else if (!strcmp(a, "--runs") || !strcmp(a, "--seed") || !strcmp(a, "--duration-h")) {
            if (!v) goto missing;
            /* decimal only, as the CSV readers (strtod took "0x10" as 16) */
            double x;
            if (num_parse_decimal(v, &x))
                return cli_usage_error("resilience", "%s: not a decimal number: '%s'", a, v), -1;
            if (!strcmp(a, "--runs")) {
                if (x < 1 || x > MAX_RUNS || x != (int)x)
                    return cli_usage_error("resilience", "--runs must be an integer in 1..%d",
                                           MAX_RUNS), -1;
                o->runs = (int)x;
            } else if (!strcmp(a, "--seed")) {
                if (x < 0 || x != floor(x) || x > 4294967295.0)
                    return cli_usage_error("resilience",
                                           "--seed must be a non-negative integer"), -1;
                o->seed = (long)x;
            } else {
                if (!(x >= RUN_MIN_DURATION_H) || x > RUN_MAX_DURATION_H)
                    return cli_usage_error("resilience", "--duration-h must be between %g "
                                           "(one second) and %g hours, got '%s'",
                                           RUN_MIN_DURATION_H, RUN_MAX_DURATION_H, v), -1;
                o->duration_h = x;
            }
            i++;
        } else if (a[0] == '-') {
            return cli_usage_error("resilience", "unknown option '%s'", a), -1;
        } else if (!o->config) {
            o->config = a;
        } else {
            return cli_usage_error("resilience", "more than one config ('%s')", a), -1;
        }
        continue;
missing:
        return cli_usage_error("resilience", "%s needs a value", a), -1;
#undef TAKE
    }
    if (!o->config && !o->model)
        return cli_usage_error("resilience", "give a CONFIG.json or --model"), -1;
    if (o->ov.n && !o->config)
        return cli_usage_error("resilience",
                               "--set needs a CONFIG.json (--model runs take none)"), -1;
    if (o->config && o->model)
        return cli_usage_error("resilience", "give either CONFIG.json or --model, not both"), -1;
    if (o->table && !o->model) {
        /* it was ignored: the config's profile gives the iteration times */
        return cli_usage_error("resilience", "--table applies to --model runs (CONFIG.json has "
                               "its own profile)"), -1;
    }
    if (o->model && !o->trace) {
        /* the tables cover 15..30 nodes: the job size comes from the trace */
        return cli_usage_error("resilience", "--model%s needs --failure-trace",
                               o->artifact ? " --artifact" : ""), -1;
    }
    if (o->artifact && (o->csv || o->runs > 1 || o->seed >= 0 || o->duration_h > 0))
        return cli_usage_error("resilience", "--artifact replays the whole trace as the artifact "
                               "does: --csv, --runs, --seed and --duration-h do not apply"), -1;
    if (o->artifact && !o->model)
        return cli_usage_error("resilience",
                               "--artifact needs --model (it replays the artifact's tables)"), -1;
    return 0;
}

/* Parse "a,b,c" into scheme kinds (or artifact systems). */
static int parse_schemes(const char *list, int artifact, int *out, int *n)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    *n = 0;
    /* strtok skips empty names: "ckpt," and "ckpt,,inmem" were accepted */
    if (list[0] == ',' || (list[0] && list[strlen(list) - 1] == ',') || strstr(list, ",,"))
        return cli_usage_error("resilience", "--schemes '%s' has an empty name", list), -1;
    for (char *s = strtok(buf, ","); s; s = strtok(NULL, ",")) {
        int k = artifact ? art_system_of(s) : res_kind_of(s);
        for (int i = 0; k >= 0 && i < *n; i++)
            if (out[i] == k)
                return cli_usage_error("resilience", "--schemes names '%s' twice", s), -1;
        if (k < 0 || *n >= RES_N_SCHEMES)
            return cli_usage_error("resilience", "unknown scheme '%s' (known: %s)", s,
                                   artifact ? "oobleck, bamboo, varuna"
                                            : "ckpt, inmem, oobleck, bamboo, varuna"), -1;
        out[(*n)++] = k;
    }
    if (*n == 0)
        return cli_usage_error("resilience", "--schemes is empty"), -1;
    return 0;
}

/* A trace file is a failure CSV if its first line is the CSV header. */
static int is_failure_csv(const char *path)
{
    line_reader rd;
    if (line_reader_open(&rd, path)) return 0;
    int yes = line_reader_next(&rd) == LINE_OK && !strncmp(rd.line, "time_s,", 7);
    line_reader_close(&rd);
    return yes;
}

static void table_printf(const cli_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- artifact mode ---------------------------------------------------------- */

static int run_artifact(const cli_opts *o, const oracle_table *tbl)
{
    int sys[RES_N_SCHEMES], n_sys = 3;
    for (int i = 0; i < 3; i++) sys[i] = i;
    if (o->schemes && parse_schemes(o->schemes, 1, sys, &n_sys)) return CLI_USAGE;
    char err[512];
    fail_trace_line *L = NULL;
    int n_ids;
    int n = fail_trace_read(o->trace, &L, &n_ids, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "dtsim resilience: %s\n", err);
        return CLI_ERR;
    }
    art_params prm;
    art_params_for(&prm, o->model, o->trace);
    /* every system replayed before the table's header: no partial output */
    art_result res[RES_N_SCHEMES];
    for (int k = 0; k < n_sys; k++)
        if (art_simulate(tbl, sys[k], o->model, L, n, &prm, &res[k], err, sizeof err)) {
            fprintf(stderr, "dtsim resilience: %s\n", err);
            free(L);
            return CLI_ERR;
        }
    free(L);
    cJSON *js = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(js, "systems");
    table_printf(o, "artifact-compatible replay: %s on %s (fractions of the accumulators' sum)\n",
                 o->model, o->trace);
    table_printf(o, "%-8s %10s %7s %5s", "system", "samples/s", "steps", "fatal");
    for (int a = 0; a < ART_N_ACC; a++) table_printf(o, " %10s", art_acc_names[a]);
    table_printf(o, "\n");
    int rc = CLI_OK;
    for (int k = 0; k < n_sys; k++) {
        const art_result r = res[k];
        double sum = 0;
        for (int a = 0; a < ART_N_ACC; a++) sum += r.acc_ms[a];
        table_printf(o, "%-8s %10.4f %7ld %5d", art_system_names[sys[k]], r.avg_samples_per_s,
                     r.steps_done, r.fatal_failures);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "system", art_system_names[sys[k]]);
        cJSON_AddNumberToObject(e, "avg_samples_per_s", r.avg_samples_per_s);
        cJSON_AddNumberToObject(e, "steps_done", (double)r.steps_done);
        cJSON_AddNumberToObject(e, "fatal_failures", r.fatal_failures);
        for (int a = 0; a < ART_N_ACC; a++) {
            table_printf(o, " %10.4f", sum > 0 ? r.acc_ms[a] / sum : 0);
            char key[32];
            snprintf(key, sizeof key, "%s_ms", art_acc_names[a]);
            cJSON_AddNumberToObject(e, key, r.acc_ms[a]);
        }
        table_printf(o, "\n");
        cJSON_AddItemToArray(arr, e);
    }
    errno = 0;
    if (o->json && rep_write_json_file(o->json, js)) rc = cli_write_failed("resilience", o->json);
    cJSON_Delete(js);
    return rc;
}

/* ---- run-engine mode ------------------------------------------------------------ */

typedef struct {
    const char *scheme;
    int run, n_runs, quiet;
} progress_arg;

static void progress(void *arg, double frac)
{
    const progress_arg *p = arg;
    if (p->quiet) return;
    fprintf(stderr, "\rdtsim resilience: %-8s run %d/%d  %3.0f%%", p->scheme, p->run + 1, p->n_runs,
            100 * frac);
    fflush(stderr);
}

/* Mean and 95% half-interval (Student t) of x[0..n-1]. */
static void mean_ci(const double *x, int n, double *mean, double *half)
{
    *mean = gsl_stats_mean(x, 1, (size_t)n);
    *half = n > 1 ? gsl_cdf_tdist_Pinv(0.975, n - 1) * gsl_stats_sd(x, 1, (size_t)n) / sqrt(n) : 0;
}

/* printf for the results table, which `dtsim run --quiet` and `--json -`
** (the JSON on stdout instead) leave out. */
static void table_printf(const cli_opts *o, const char *fmt, ...)
{
    if (o->no_table) return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

/* Job MTBF for Young/Daly: node MTBF / job nodes (random) or span / failures (replay). */
static double job_mtbf_s(const run_config *rc, fail_source *src, int n_nodes)
{
    if (rc->fail.source == RUN_SRC_RANDOM) return rc->fail.random.node_mtbf_s / (n_nodes > 0 ? n_nodes : 1);
    fail_rewind(src);
    fail_event e;
    int n = 0;
    while (fail_next(src, &e)) n += e.kind == FAIL_EV_FAIL;
    fail_rewind(src);
    return n > 0 ? fail_end_s(src) / n : INFINITY;
}

/* Run the schemes of rcfg (or --schemes) on one failure stream; scheme kind
** k takes its iteration times from orcs[k]. Prints the table; --json/--csv. */
int cli_resilience_run(const run_config *rcfg, const oracle *const *orcs, const cli_opts *o);

/* Most nodes present at once in a trace (the job size of a trace that starts empty). */
static int peak_nodes(fail_source *src)
{
    int n = fail_initial_nodes(src), peak = n;
    fail_event e;
    fail_rewind(src);
    while (fail_next(src, &e)) {
        n += e.kind == FAIL_EV_ARRIVE ? 1 : -1;
        if (n > peak) peak = n;
    }
    fail_rewind(src);
    return peak;
}

/* A stage count key (> 0 when set) that cannot be laid out on n nodes or
** the model's layers: the reason in why, 1; else 0. */
static int stages_unfit(int stages, int n, const oracle_info *inf, char *why, size_t len)
{
    if (stages <= 0) return 0;
    if (stages > n)
        snprintf(why, len, "%d stages need at least %d nodes, the job has %d", stages, stages, n);
    else if (inf->has_layers && stages > inf->n_layers)
        snprintf(why, len, "%d stages but the model has %d layers", stages, inf->n_layers);
    else
        return 0;
    return 1;
}

/* The first of paths[0..n-1] that a --set item overrides, else 'fallback':
** the key to name when several together make a value wrong. */
static const char *blamed_path(const cfg_overrides *ov, const char *const *paths, int n,
                               const char *fallback)
{
    for (int i = 0; i < n; i++) {
        cfg_error e = {0};
        snprintf(e.path, sizeof e.path, "%s", paths[i]);
        cfg_blame_overrides(ov, &e);
        if (!strncmp(e.file, "--set ", 6)) return paths[i]; /* set by that item itself */
    }
    return fallback;
}

/* A checkpoint of the config that takes longer than RES_MAX_PAUSE_S to
** write or load: the key to blame and the reason, 1; else 0. */
static int ckpt_too_slow(const run_config *rc, const oracle_info *inf, const cfg_overrides *ov,
                         const char **path, char *why, size_t len)
{
    double bytes = rc->res.ckpt_bytes > 0 ? rc->res.ckpt_bytes : inf->model_state_bytes;
    static const char *const keys[2][2] = {
        {"$.resilience.storage_write_gbps", "write"}, {"$.resilience.storage_read_gbps", "load"}};
    double bw[2] = {rc->res.storage_write_bytes_per_s, rc->res.storage_read_bytes_per_s};
    for (int i = 0; i < 2; i++) {
        double s = bytes / bw[i];
        if (!(s > RES_MAX_PAUSE_S)) continue;
        const char *cands[2] = {keys[i][0], "$.resilience.checkpoint_gb"};
        *path = blamed_path(ov, cands, 2,
                            rc->res.ckpt_bytes > 0 ? "$.resilience.checkpoint_gb" : keys[i][0]);
        snprintf(why, len, "a checkpoint %s takes %g s (%g GB at %g GB/s), more than %g s "
                           "(about %.0f days): lower the checkpoint size "
                           "($.resilience.checkpoint_gb%s) or raise %s",
                 keys[i][1], s, bytes / 1e9, bw[i] / 1e9, RES_MAX_PAUSE_S, RES_MAX_PAUSE_S / 86400,
                 rc->res.ckpt_bytes > 0 ? "" : ", default: the model's state", keys[i][0]);
        return 1;
    }
    return 0;
}

/* An analytic profile that fits in GPU memory on no plan of the cluster's
** n nodes (oracle_analytic_min_gpu_bytes): the key to blame and the
** figures, 1; else 0. Without this check ckpt said only "no PP x DP shape
** fits", and Oobleck and Varuna waited for nodes the whole run. */
static int profile_unfit(const oracle_profile *p, int n, const cfg_overrides *ov,
                         const char **path, char *why, size_t len)
{
    double state_b, act_b;
    int layers;
    double need = oracle_analytic_min_gpu_bytes(p, n, &state_b, &act_b, &layers);
    if (!(need > p->gpu_mem_bytes)) return 0;
    static const char *const cands[] = {"$.profile.act_mb", "$.profile.state_mb",
                                        "$.profile.gpu_mem_gb", "$.profile.layers",
                                        "$.profile.gpus_per_node", "$.resilience.nodes"};
    *path = blamed_path(ov, cands, 6,
                        state_b > p->gpu_mem_bytes ? "$.profile.state_mb" : "$.profile.act_mb");
    snprintf(why, len, "no plan on %d nodes fits the model in GPU memory: even %d pipeline "
                       "stages put %d layer%s on one node, at least %g GB per GPU (%g GB of "
                       "model state + %g GB of activations of one microbatch in flight), over "
                       "the %g GB of $.profile.gpu_mem_gb",
             n, p->n_layers < n ? p->n_layers : n, layers,
             layers == 1 ? "" : "s", need / 1e9, state_b / 1e9, act_b / 1e9,
             p->gpu_mem_bytes / 1e9);
    return 1;
}

/* Keys whose validity depends on the model and the failure source, checked
** once both are known (a trace sets the job size: its peak): one error naming
** the file and the JSON path (or the --set item that gave the value). */
static int check_shape_keys(const run_config *rc, const oracle_info *inf, const cli_opts *o)
{
    if (!o->config) return 0; /* --model: the artifact's constants, no user keys */
    const char *path = NULL;
    char why[512] = "";
    int n = rc->res.n_nodes;
    if (rc->fail.source != RUN_SRC_TRACE && n < 1) {
        path = "$.resilience.nodes";
        snprintf(why, sizeof why, "set the job's node count (only a spot trace implies it)");
    } else if (stages_unfit(rc->res.pp, n, inf, why, sizeof why)) {
        path = "$.resilience.pp";
    } else if (stages_unfit(rc->res.bam_stages, n, inf, why, sizeof why)) {
        path = "$.resilience.bamboo.stages";
    } else if (!(o->prof && profile_unfit(o->prof, n + rc->res.n_spares, &o->ov, &path, why,
                                          sizeof why)) &&
               !ckpt_too_slow(rc, inf, &o->ov, &path, why, sizeof why)) {
        return 0; /* each check sets path and why when it fails */
    }
    cfg_error e = {0};
    cfg_fail(&e, o->config, path, "%s", why);
    cfg_blame_overrides(&o->ov, &e);
    char msg[1024];
    cfg_error_format(&e, msg, sizeof msg);
    fprintf(stderr, "dtsim resilience: %s\n", msg);
    return -1;
}

/* The failure stream of rc, its run length and job size settled: the config's
** or --seed/--duration-h/--failure-trace, with the rate keys turned into a
** node MTBF. NULL after printing the error. */
static fail_source *open_stream(run_config *rc, const oracle_info *inf, const cli_opts *o)
{
    char err[1024] = "";
    if (o->seed >= 0) rc->fail.seed = (unsigned long)o->seed;
    if (o->duration_h > 0) rc->fail.duration_s = o->duration_h * 3600;
    if (o->trace) {
        snprintf(rc->fail.trace_path, sizeof rc->fail.trace_path, "%s", o->trace);
        rc->fail.source = is_failure_csv(o->trace) ? RUN_SRC_CSV : RUN_SRC_TRACE;
        if (o->duration_h <= 0) rc->fail.duration_s = 0;
    }
    if (rc->fail.gpu_mtbf_s > 0) rc->fail.random.node_mtbf_s = rc->fail.gpu_mtbf_s / inf->gpus_per_node;
    int job = rc->res.n_nodes;
    if (rc->fail.job_mtbf_s > 0) rc->fail.random.node_mtbf_s = rc->fail.job_mtbf_s * (job > 0 ? job : 1);
    if (rc->fail.source != RUN_SRC_TRACE && check_shape_keys(rc, inf, o)) return NULL;
    fail_source *src = NULL;
    int cluster = job + rc->res.n_spares;
    if (rc->fail.source == RUN_SRC_TRACE) {
        src = fail_trace_load(rc->fail.trace_path, rc->fail.startup_s, err, sizeof err);
    } else if (rc->fail.source == RUN_SRC_CSV) {
        src = fail_csv_load(rc->fail.trace_path, cluster, err, sizeof err);
    } else {
        rc->fail.random.horizon_s = rc->fail.duration_s;
        src = fail_random_new(&rc->fail.random, cluster, rc->fail.seed, err, sizeof err);
    }
    if (!src) {
        if (!o->trace && rc->fail.source != RUN_SRC_RANDOM) /* the config named it */
            fprintf(stderr, "dtsim resilience: %s (the trace of $.failures.trace in %s)\n", err,
                    o->config);
        else
            fprintf(stderr, "dtsim resilience: %s\n", err);
        return NULL;
    }
    if (rc->fail.source != RUN_SRC_RANDOM && !(rc->fail.duration_s > 0) && !(fail_end_s(src) > 0)) {
        fprintf(stderr, "dtsim resilience: %s: no event after time 0, so no run length: give "
                        "--duration-h\n", rc->fail.trace_path);
        fail_free(src);
        return NULL;
    }
    if (rc->fail.source == RUN_SRC_TRACE && rc->res.n_nodes < 1) rc->res.n_nodes = peak_nodes(src);
    if (rc->fail.source == RUN_SRC_TRACE && check_shape_keys(rc, inf, o)) {
        fail_free(src);
        return NULL;
    }
    return src;
}

/* What the runs produce: per scheme and run, goodput, samples/s and the
** buckets' fractions of wall time; per scheme its healthy rate, steady
** overhead, oracle calls and starting plan; the first run's series (--csv). */
enum { M_GOODPUT = 0, M_SPS, M_B0, M_N = M_B0 + RUN_N_BUCKETS };
typedef struct {
    int kinds[RES_N_SCHEMES], n_kinds, runs;
    double *vals;                 /* [n_kinds][runs][M_N] */
    double *series;               /* [n_bins][n_kinds] samples/s, or NULL */
    int n_bins;
    double bin_s;
    double base_sps[RES_N_SCHEMES], overhead[RES_N_SCHEMES];
    double span_s;                /* simulated run length */
    long calls[RES_N_SCHEMES];
    char plans[RES_N_SCHEMES][RUN_PLAN_TEXT];
} outcome;

/* A random stream's source for seed 'seed' in place of *src: 0, or -1 after
** printing the error. */
static int reseed(fail_source **src, run_config *rc, unsigned long seed)
{
    char err[1024] = "";
    fail_free(*src);
    *src = fail_random_new(&rc->fail.random, rc->res.n_nodes + rc->res.n_spares, seed, err,
                           sizeof err);
    if (*src) return 0;
    fprintf(stderr, "dtsim resilience: %s\n", err);
    return -1;
}

/* The JSON path to name for a run's error 'err', NULL to name the file only:
** an analytic profile's times out of the oracle's range ($.profile); a
** model that fits in GPU memory on no plan a scheme can form (the key a
** --set changed, else a fixed PP, else the profile's activations or state,
** or for a model config the key that sized the job, else $.model); any other
** failure to find a plan (too many nodes for the batch): the key that sized
** the job, unless a trace did. */
static const char *run_error_path(const run_config *rc, const cli_opts *o, const char *err)
{
    if (!o->config) return NULL; /* --model: the artifact's constants */
    int oracle_err = !strncmp(err, RUN_ERR_ORACLE, strlen(RUN_ERR_ORACLE));
    if (o->prof && oracle_err) return "$.profile";
    if (strncmp(err, RUN_ERR_MEMORY, strlen(RUN_ERR_MEMORY))) {
        /* no plan for the job's size otherwise (too many nodes for the batch):
        ** the key that sized it, unless a trace did */
        int sized_by_key = o->nodes_path && rc->fail.source != RUN_SRC_TRACE;
        return sized_by_key && !oracle_err && strcmp(err, "out of memory") ? o->nodes_path : NULL;
    }
    if (o->prof) {
        static const char *const cands[] = {
            "$.profile.act_mb", "$.profile.state_mb", "$.profile.gpu_mem_gb", "$.profile.layers",
            "$.profile.gpus_per_node", "$.profile.microbatches", "$.resilience.nodes",
            "$.resilience.pp", "$.resilience.bamboo.stages"};
        return blamed_path(&o->ov, cands, (int)(sizeof cands / sizeof *cands),
                           rc->res.pp > 0          ? "$.resilience.pp"
                           : o->prof->act_bytes > 0 ? "$.profile.act_mb"
                                                    : "$.profile.state_mb");
    }
    static const char *const cands[] = {
        "$.model", "$.cluster.gpu", "$.cluster.nodes", "$.parallel.recompute",
        "$.parallel.microbatch_size", "$.parallel.distributed_optimizer",
        "$.parallel.global_batch_size", "$.resilience.nodes", "$.resilience.pp",
        "$.resilience.bamboo.stages"};
    return blamed_path(&o->ov, cands, (int)(sizeof cands / sizeof *cands),
                       rc->res.pp > 0 ? "$.resilience.pp"
                       : o->nodes_path ? o->nodes_path
                                       : "$.model");
}

/* Every scheme of 'out' on the same stream; a random stream once per seed
** seed..seed+runs-1. 0, or CLI_ERR after printing the error. */
static int run_schemes(run_config *rc, fail_source **src, const oracle *const *orcs,
                       double job_mtbf, const cli_opts *o, outcome *out)
{
    char err[1024] = "";
    int runs = out->runs, random = rc->fail.source == RUN_SRC_RANDOM;
    run_params prm = {.duration_s = rc->fail.duration_s, .detect_s = rc->fail.detect_s};
    double span = rc->fail.duration_s > 0 ? rc->fail.duration_s : fail_end_s(*src);
    prm.series_dt_s = o->csv ? fmax(span / 500, 1.0) : 0;
    out->span_s = span;
    int stderr_tty = isatty(2) && !o->quiet;
    for (int k = 0; k < out->n_kinds; k++) {
        int kind = out->kinds[k];
        for (int r = 0; r < runs; r++) {
            if (random && r > 0 && reseed(src, rc, rc->fail.seed + (unsigned long)r)) return CLI_ERR;
            res_scheme *s = res_new(kind, &rc->res, job_mtbf);
            progress_arg pa = {.scheme = res_names[kind], .run = r, .n_runs = runs, .quiet = !stderr_tty};
            run_result res;
            if (!s || run_simulate(&prm, *src, orcs[kind], s, &res, progress, &pa, err, sizeof err)) {
                if (stderr_tty) fprintf(stderr, "\n");
                const char *path = s ? run_error_path(rc, o, err) : NULL;
                if (path) {
                    cfg_error e = {0};
                    cfg_fail(&e, o->config, path, "%s: %s", res_names[kind], err);
                    cfg_blame_overrides(&o->ov, &e);
                    cfg_error_format(&e, err, sizeof err);
                    fprintf(stderr, "dtsim resilience: %s\n", err);
                } else {
                    fprintf(stderr, "dtsim resilience: %s%s%s: %s\n", o->config ? o->config : "",
                            o->config ? ": " : "", res_names[kind], s ? err : "out of memory");
                }
                res_free(s);
                return CLI_ERR;
            }
            double *v = out->vals + ((size_t)k * runs + r) * M_N;
            v[M_GOODPUT] = res.goodput_frac;
            v[M_SPS] = res.samples_per_s;
            for (int b = 0; b < RUN_N_BUCKETS; b++) v[M_B0 + b] = res.bucket_s[b] / res.sim_s;
            out->base_sps[k] = res.base_samples_per_s;
            out->overhead[k] = s->steady_overhead_frac(s->st);
            out->calls[k] += res.n_oracle_calls;
            if (r == 0) snprintf(out->plans[k], sizeof out->plans[k], "%s", res.plan);
            if (o->csv && r == 0) {
                if (!out->series) {
                    out->n_bins = res.n_bins;
                    out->bin_s = res.bin_s;
                    out->series = calloc((size_t)out->n_bins * out->n_kinds + 1, sizeof *out->series);
                }
                for (int b = 0; out->series && b < out->n_bins && b < res.n_bins; b++)
                    out->series[(size_t)b * out->n_kinds + k] = res.bin_samples_per_s[b];
            }
            run_result_free(&res);
            res_free(s);
        }
        /* the next scheme replays the same seeds from the first */
        if (random && runs > 1 && reseed(src, rc, rc->fail.seed)) return CLI_ERR;
    }
    if (stderr_tty) fprintf(stderr, "\r%60s\r", "");
    return 0;
}

/* The table (mean, and the 95% half-width over runs), the plans, and
** --json. 0, or CLI_ERR if the JSON cannot be written. */
static int report(const run_config *rc, const cli_opts *o, const outcome *out)
{
    int runs = out->runs, code = CLI_OK;
    table_printf(o, "%d node%s", rc->res.n_nodes, rc->res.n_nodes == 1 ? "" : "s");
    if (rc->res.n_spares > 0)
        table_printf(o, " + %d spare%s", rc->res.n_spares, rc->res.n_spares == 1 ? "" : "s");
    /* the run length: the config's, --duration-h's (which wins over a --set
    ** of failures.duration_h) or the trace's */
    table_printf(o, ", %s over %.4g h, ",
                 rc->fail.source == RUN_SRC_RANDOM ? "random failures" : rc->fail.trace_path,
                 out->span_s / 3600);
    if (runs > 1)
        table_printf(o, "mean and 95%% interval over %d runs (seeds %lu..%lu)", runs, rc->fail.seed,
                     rc->fail.seed + runs - 1);
    else
        table_printf(o, "one run");
    /* a config changed by --set says so, as `dtsim run` reports do */
    char set_text[CFG_OVERRIDES_TEXT_MAX];
    cfg_overrides_text(&o->ov, set_text, sizeof set_text);
    table_printf(o, set_text[0] ? ", with --set %s\n" : "\n", set_text);
    if (o->slowness[0]) table_printf(o, "stragglers: %s\n", o->slowness);
    table_printf(o, "%-8s %9s %11s %9s", "scheme", "goodput", "samples/s", "overhead");
    for (int b = 0; b < RUN_N_BUCKETS; b++) table_printf(o, " %9s", run_bucket_names[b]);
    table_printf(o, "\n");
    cJSON *js = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(js, "schemes");
    cJSON_AddNumberToObject(js, "runs", runs);
    cJSON_AddNumberToObject(js, "nodes", rc->res.n_nodes);
    /* the rest of the table's header line */
    cJSON_AddNumberToObject(js, "spares", rc->res.n_spares);
    int random = rc->fail.source == RUN_SRC_RANDOM;
    cJSON_AddStringToObject(js, "failures", random ? "random" : rc->fail.trace_path);
    if (random) cJSON_AddNumberToObject(js, "seed", (double)rc->fail.seed);
    cJSON_AddNumberToObject(js, "duration_h", out->span_s / 3600);
    if (set_text[0]) cJSON_AddStringToObject(js, "overrides", set_text);
    if (o->slowness[0]) cJSON_AddStringToObject(js, "stragglers", o->slowness);
    for (int k = 0; k < out->n_kinds; k++) {
        const char *name = res_names[out->kinds[k]];
        double x[MAX_RUNS];
        double m[M_N], h[M_N];
        for (int q = 0; q < M_N; q++) {
            for (int r = 0; r < runs; r++) x[r] = out->vals[((size_t)k * runs + r) * M_N + q];
            mean_ci(x, runs, &m[q], &h[q]);
        }
        table_printf(o, "%-8s %9.4f %11.3f %9.4f", name, m[M_GOODPUT], m[M_SPS], out->overhead[k]);
        for (int b = 0; b < RUN_N_BUCKETS; b++) table_printf(o, " %9.4f", m[M_B0 + b]);
        table_printf(o, "\n");
        if (runs > 1) {
            table_printf(o, "%-8s %9.4f %11.3f %9s", "  +/-", h[M_GOODPUT], h[M_SPS], "");
            for (int b = 0; b < RUN_N_BUCKETS; b++) table_printf(o, " %9.4f", h[M_B0 + b]);
            table_printf(o, "\n");
        }
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "scheme", name);
        cJSON_AddNumberToObject(e, "goodput", m[M_GOODPUT]);
        cJSON_AddNumberToObject(e, "goodput_ci95", h[M_GOODPUT]);
        cJSON_AddNumberToObject(e, "samples_per_s", m[M_SPS]);
        cJSON_AddNumberToObject(e, "samples_per_s_ci95", h[M_SPS]);
        cJSON_AddNumberToObject(e, "healthy_samples_per_s", out->base_sps[k]);
        cJSON_AddNumberToObject(e, "steady_overhead", out->overhead[k]);
        cJSON_AddNumberToObject(e, "oracle_calls", (double)out->calls[k]);
        cJSON_AddStringToObject(e, "plan", out->plans[k]);
        cJSON *bk = cJSON_AddObjectToObject(e, "time_frac");
        for (int b = 0; b < RUN_N_BUCKETS; b++) cJSON_AddNumberToObject(bk, run_bucket_names[b], m[M_B0 + b]);
        /* the table's "+/-" row of the buckets */
        cJSON *bh = cJSON_AddObjectToObject(e, "time_frac_ci95");
        for (int b = 0; b < RUN_N_BUCKETS; b++)
            cJSON_AddNumberToObject(bh, run_bucket_names[b], h[M_B0 + b]);
        cJSON_AddItemToArray(arr, e);
    }
    /* after a blank line, so the table stays a block ($1 of a row is its scheme) */
    table_printf(o, "\nplans at the start:\n");
    for (int k = 0; k < out->n_kinds; k++) {
        char name[16];
        snprintf(name, sizeof name, "%s:", res_names[out->kinds[k]]);
        table_printf(o, "  %-9s %s\n", name, out->plans[k]);
    }
    errno = 0;
    if (o->json && rep_write_json_file(o->json, js)) code = cli_write_failed("resilience", o->json);
    cJSON_Delete(js);
    return code;
}

/* --csv: samples/s per bin of the first run, one column per scheme. */
static int write_series(const cli_opts *o, const outcome *out)
{
    errno = 0;
    int to_stdout = !strcmp(o->csv, "-");
    FILE *f = to_stdout ? stdout : fopen(o->csv, "w");
    if (!f) return cli_write_failed("resilience", o->csv);
    fprintf(f, "time_h");
    for (int k = 0; k < out->n_kinds; k++) fprintf(f, ",%s", res_names[out->kinds[k]]);
    fprintf(f, "\n");
    for (int b = 0; b < out->n_bins; b++) {
        fprintf(f, "%.4f", (b + 0.5) * out->bin_s / 3600);
        for (int k = 0; k < out->n_kinds; k++) fprintf(f, ",%.6g", out->series[(size_t)b * out->n_kinds + k]);
        fprintf(f, "\n");
    }
    if (ferror(f) | (to_stdout ? fflush(f) : fclose(f)))
        return cli_write_failed("resilience", o->csv);
    return CLI_OK;
}

int cli_resilience_run(const run_config *rcfg, const oracle *const *orcs, const cli_opts *o)
{
    outcome out = {.n_kinds = rcfg->n_schemes};
    memcpy(out.kinds, rcfg->schemes, sizeof out.kinds);
    if (o->schemes && parse_schemes(o->schemes, 0, out.kinds, &out.n_kinds)) return CLI_USAGE;
    oracle_info inf;
    oracle_get_info(orcs[out.kinds[0]], &inf);
    run_config rc = *rcfg;
    fail_source *src = open_stream(&rc, &inf, o);
    if (!src) return CLI_ERR;
    double mtbf = job_mtbf_s(&rc, src, rc.res.n_nodes);
    out.runs = rc.fail.source == RUN_SRC_RANDOM ? o->runs : 1;
    if (o->runs > 1 && out.runs == 1)
        fprintf(stderr, "dtsim resilience: a replayed trace is deterministic: one run\n");
    if (o->seed >= 0 && rc.fail.source != RUN_SRC_RANDOM)
        fprintf(stderr, "dtsim resilience: a replayed trace draws nothing at random: --seed "
                        "has no effect\n");
    out.vals = calloc((size_t)out.n_kinds * M_N * out.runs, sizeof *out.vals);
    int code = out.vals ? run_schemes(&rc, &src, orcs, mtbf, o, &out) : CLI_ERR;
    if (code == CLI_OK) {
        code = report(&rc, o, &out);
        if (o->csv && out.series && write_series(o, &out) != CLI_OK) code = CLI_ERR;
    }
    free(out.vals);
    free(out.series);
    fail_free(src);
    return code;
}

/* `dtsim resilience EXPERIMENT.json` and `dtsim run` of an experiment with
** `failures`/`resilience` sections: the experiment's model, cluster and plan
** give the iteration times through the engine-backed oracle (one per
** process, shared by every scheme: each distinct plan is simulated once);
** the job size defaults to the cluster's nodes. */
static int resilience_experiment(const char *config, const cfg_overrides *ov, const cli_opts *o)
{
    cfg_experiment e;
    cfg_error ce = {0};
    char err[1024];
    if (cfg_load(config, ov, &e, &ce)) {
        cfg_error_format(&ce, err, sizeof err);
        fprintf(stderr, "dtsim: %s\n", err);
        return CLI_ERR;
    }
    run_config rc;
    if (run_cfg_parse(e.failures, e.resilience, config, &rc, &ce)) {
        cfg_error_format(&ce, err, sizeof err);
        fprintf(stderr, "dtsim: %s\n", err);
        cfg_free(&e);
        return CLI_ERR;
    }
    /* stragglers that name no GPU or node slow every plan alike */
    slow_model *slow = NULL;
    if (slow_parse(&e, &slow, &ce) || (slow && slow_check_run_level(slow, &e, &ce))) {
        cli_config_error(&ce);
        slow_free(slow);
        cfg_free(&e);
        return CLI_ERR;
    }
    const char *nodes_path = rc.res.n_nodes < 1 ? "$.cluster.nodes" : "$.resilience.nodes";
    if (rc.res.n_nodes < 1) rc.res.n_nodes = e.cluster.nodes;
    if (o->seed < 0 && !e.failures) rc.fail.seed = e.seed;
    /* the platform holds the job, its spares and whatever a trace adds */
    cfg_experiment big = e;
    int need = rc.res.n_nodes + rc.res.n_spares;
    if (need < 2 * rc.res.n_nodes) need = 2 * rc.res.n_nodes;
    if (big.cluster.nodes < need) big.cluster.nodes = need;
    oracle *eng_orc = eng_oracle_new(&big, err, sizeof err);
    oracle *orc = eng_orc ? oracle_memo_new(eng_orc) : NULL;
    if (!orc) {
        fprintf(stderr, "dtsim: %s: %s\n", config, err);
        slow_free(slow);
        cfg_free(&e);
        return CLI_ERR;
    }
    eng_oracle_set_slowness(eng_orc, slow);
    cli_opts with_slowness = *o;
    with_slowness.nodes_path = nodes_path;
    if (slow)
        slow_describe_run_level(slow, with_slowness.slowness, sizeof with_slowness.slowness);
    const oracle *orcs[RES_N_SCHEMES];
    for (int k = 0; k < RES_N_SCHEMES; k++) orcs[k] = orc;
    int code = cli_resilience_run(&rc, orcs, &with_slowness);
    long miss = 0, hit = 0, sims = 0, derived = 0;
    oracle_memo_stats(orc, &miss, &hit);
    eng_oracle_stats(eng_orc, &sims, &derived);
    if (code == CLI_OK)
        fprintf(stderr, "dtsim: %ld distinct plans timed (%ld more answered from the cache): "
                        "%ld pipeline runs on SimGrid, %ld pipeline times derived from them "
                        "(1F1B is affine in the microbatch count)\n", miss, hit, sims, derived);
    oracle_free(orc);
    slow_free(slow);
    cfg_free(&e);
    return code;
}

int cli_run_resilience(const char *config, const cfg_overrides *ov, const char *json_path,
                       int quiet)
{
    cli_opts o;
    memset(&o, 0, sizeof o);
    o.config = config;
    o.runs = 1;
    o.seed = -1;
    o.json = json_path;
    o.quiet = quiet;
    o.no_table = quiet;
    if (ov) o.ov = *ov;
    return resilience_experiment(config, ov, &o);
}

int cli_resilience(int argc, char **argv)
{
    cli_opts o;
    int p = parse_args(argc, argv, &o);
    if (p) return p > 0 ? CLI_OK : CLI_USAGE;
    int json_out = o.json && !strcmp(o.json, "-"), csv_out = o.csv && !strcmp(o.csv, "-");
    if (json_out && csv_out)
        return cli_usage_error("resilience", "--csv - and --json - cannot both write to stdout");
    if (json_out || csv_out) o.no_table = 1; /* the JSON or CSV on stdout instead */
    const char *outs[] = {o.json, o.csv};
    if (cli_outputs_writable("resilience", outs, 2)) return CLI_ERR;
    char err[1024];
    if (o.model) {
        const char *tp = o.table ? o.table : DTSIM_HOME "/tests/data/oobleck_sim_tput.csv";
        oracle_table *tbl = oracle_table_load(tp, err, sizeof err);
        if (!tbl) { fprintf(stderr, "dtsim resilience: %s\n", err); return CLI_ERR; }
        /* an unknown model is named as such, not as a (system, model) pair
        ** missing from the table */
        const char *models[64];
        int n_models = oracle_table_models(tbl, models, 64), known = 0;
        for (int i = 0; i < n_models && !known; i++) known = !strcmp(models[i], o.model);
        if (!known) {
            char list[512] = "";
            for (int i = 0; i < n_models; i++) {
                size_t len = strlen(list);
                snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", models[i]);
            }
            fprintf(stderr, "dtsim resilience: %s: unknown model '%s' (models: %s)\n", tp,
                    o.model, list);
            oracle_table_free(tbl);
            return CLI_ERR;
        }
        int code;
        if (o.artifact) {
            code = run_artifact(&o, tbl);
        } else {
            /* each scheme reads its own system's table; the fixed-size and
            ** in-memory schemes read Varuna's (homogeneous PP x DP shapes) */
            static const char *const sys_of[RES_N_SCHEMES] = {"varuna", "varuna", "oobleck", "bamboo", "varuna"};
            oracle *orcs[RES_N_SCHEMES] = {0};
            for (int k = 0; k < RES_N_SCHEMES; k++) {
                orcs[k] = oracle_table_new(tbl, sys_of[k], o.model, err, sizeof err);
                if (orcs[k]) orcs[k] = oracle_memo_new(orcs[k]);
                if (!orcs[k]) {
                    fprintf(stderr, "dtsim resilience: %s\n", err);
                    for (int j = 0; j < k; j++) oracle_free(orcs[j]);
                    oracle_table_free(tbl);
                    return CLI_ERR;
                }
            }
            run_config rc;
            run_config_defaults(&rc);
            /* the artifact's constants at 30 nodes (RESILIENCE.md §6) */
            oracle_table_row ro, rb, rv;
            oracle_table_lookup(tbl, "oobleck", o.model, 30, &ro);
            oracle_table_lookup(tbl, "bamboo", o.model, 30, &rb);
            oracle_table_lookup(tbl, "varuna", o.model, 30, &rv);
            rc.fail.detect_s = 0;
            rc.res.bam_stages = 12;
            rc.res.bam_reconfig_s = rb.pause_s;
            rc.res.bam_failover_s = 0;
            rc.res.oob_reconfig_s = ro.pause_s;
            rc.res.restart_s = rv.pause_s - rv.ckpt_s; /* the restart the artifact charges */
            rc.res.storage_write_bytes_per_s = rc.res.storage_read_bytes_per_s = 1e9;
            rc.res.ckpt_bytes = rv.ckpt_s * 1e9;      /* C = Varuna's blocking checkpoint */
            rc.res.var_ckpt_every_iters = 10;
            rc.res.fallback_interval_s = 0;
            code = cli_resilience_run(&rc, (const oracle *const *)orcs, &o);
            for (int k = 0; k < RES_N_SCHEMES; k++) oracle_free(orcs[k]);
        }
        oracle_table_free(tbl);
        return code;
    }
    cfg_error ce = {0};
    cJSON *root = cfgj_load_file(o.config, &ce);
    if (root && cJSON_GetObjectItemCaseSensitive(root, "model")) {
        /* an experiment config: iteration times from the SimGrid engine */
        cJSON_Delete(root);
        return resilience_experiment(o.config, &o.ov, &o);
    }
    cfgj_obj top;
    oracle_profile prof;
    run_config rc;
    if (!root || cfg_apply_overrides(root, &o.ov, &ce) ||
        cfgj_open(&top, root, o.config, "$", &ce))
        goto cfg_fail;
    /* null means absent (the key's default), as in experiment configs */
    const cJSON *prof_j = cfgj_raw(&top, "profile");
    const cJSON *fail_j = cfgj_raw(&top, "failures");
    const cJSON *res_j = cfgj_raw(&top, "resilience");
    if (cJSON_IsNull(prof_j)) prof_j = NULL;
    if (cJSON_IsNull(fail_j)) fail_j = NULL;
    if (cJSON_IsNull(res_j)) res_j = NULL;
    if (cfgj_close(&top, "profile, failures, resilience")) goto cfg_fail;
    if (!prof_j) { cfg_fail(&ce, o.config, "$", "missing required key 'profile'"); goto cfg_fail; }
    if (run_cfg_parse_profile(prof_j, o.config, &prof, &ce)) goto cfg_fail;
    if (run_cfg_parse(fail_j, res_j, o.config, &rc, &ce)) goto cfg_fail;
    oracle *orc = oracle_analytic_new(&prof, err, sizeof err);
    if (orc) orc = oracle_memo_new(orc);
    if (!orc) { fprintf(stderr, "dtsim resilience: %s: %s\n", o.config, err); cJSON_Delete(root); return CLI_ERR; }
    const oracle *orcs[RES_N_SCHEMES];
    for (int k = 0; k < RES_N_SCHEMES; k++) orcs[k] = orc;
    o.prof = &prof;
    if (rc.res.n_nodes > 0) o.nodes_path = "$.resilience.nodes";
    int code = cli_resilience_run(&rc, orcs, &o);
    oracle_free(orc);
    cJSON_Delete(root);
    return code;
cfg_fail:
    cfg_blame_overrides(&o.ov, &ce);
    cfg_error_format(&ce, err, sizeof err);
    fprintf(stderr, "dtsim resilience: %s\n", err);
    cJSON_Delete(root);
    return CLI_ERR;
}
