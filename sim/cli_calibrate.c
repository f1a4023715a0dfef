/*
** cli_calibrate.c -- `dtsim calibrate SET.json`: fit GPU-spec constants once
** against published measurements (CLI layer).
**
** A calibration set lists cases (an experiment config and the published value
** of one metric) and the parameters to fit (dotted config keys with bounds).
** The objective is the mean squared relative error of the metric over the
** cases; it is minimised with GSL's Nelder-Mead simplex (gsl_multimin
** nmsimplex2) over the parameters scaled to [0, 1]. Each evaluation runs
** `dtsim run CASE --set KEY=VALUE...` for every case in child processes (the
** binary itself, so the fit sees exactly what users run). With --loo it also
** reports leave-one-out errors: each case predicted by a fit on the others.
*/
#include "cli.h"
#include "cli_common.h"

#include "cfg_json.h"

#include <cJSON.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_vector.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PARAMS 8
#define MAX_CASES 64

typedef struct {
    char key[CFGJ_PATH_MAX];
    double lo, hi, start;
} fit_param;

typedef struct {
    char config[CFGJ_FILE_MAX];
    double published;
} fit_case;

typedef struct {
    char name[256];
    char metric[64];
    int n_params, n_cases;
    fit_param param[MAX_PARAMS];
    fit_case cases[MAX_CASES];
    int jobs;
    const char *self;        /* path of the dtsim binary */
    int skip;                /* case left out (-1 = none) */
    int evals;
    double last_sim[MAX_CASES];
    int failed[MAX_CASES];   /* why last_sim is NaN: FIT_RUN_FAILED or FIT_NO_METRIC */
} fit_ctx;

enum { FIT_OK, FIT_RUN_FAILED, FIT_NO_METRIC };

/* An objective where a case fails to simulate: large and finite, so the
** simplex moves away (GSL stops on a non-finite value). */
#define FIT_PENALTY 1e30

static void usage(FILE *out)
{
    fprintf(out,
        "usage: dtsim calibrate SET.json [--jobs N] [--loo] [--csv FILE]\n"
        "\n"
        "Fit GPU-spec constants once against published measurements. SET.json names a\n"
        "metric of the JSON report (e.g. tflops_per_gpu), the parameters to fit (dotted\n"
        "config keys with bounds and a start value) and the cases (experiment configs\n"
        "with their published value). Minimises the mean squared relative error with\n"
        "GSL's Nelder-Mead simplex; each evaluation simulates every case.\n"
        "\n"
        "  --jobs N     simulations run in parallel (default 2)\n"
        "  --loo        also fit once per case without it and predict it (leave-one-out)\n"
        "  --csv FILE   per-case results of the final fit as CSV ('-' = stdout; the table\n"
        "               then goes to stderr)\n"
        "  -h, --help   this help\n"
        "\n"
        "Example: dtsim calibrate configs/papers/megatron_sc21/calibration.json\n");
}

/* ---- the set file -------------------------------------------------------- */

static int load_set(const char *path, fit_ctx *fc, cfg_error *err)
{
    cJSON *root = cfgj_load_file(path, err);
    if (!root) return -1;
    cfgj_obj o;
    const cJSON *params, *cases;
    char pp[CFGJ_PATH_MAX], cp[CFGJ_PATH_MAX], desc[4096];
    int rc = -1;
    if (cfgj_open(&o, root, path, "$", err)) goto out;
    cfgj_str(&o, "name", fc->name, sizeof fc->name, "calibration", 0);
    cfgj_str(&o, "description", desc, sizeof desc, "", 0);
    cfgj_str(&o, "metric", fc->metric, sizeof fc->metric, NULL, 1);
    cfgj_arr_member(&o, "parameters", &params, pp, sizeof pp, 1);
    cfgj_arr_member(&o, "cases", &cases, cp, sizeof cp, 1);
    if (err->failed) {
        cfgj_release(&o);
        goto out;
    }
    int i = 0;
    for (const cJSON *c = params->child; c; c = c->next, i++) {
        char ip[CFGJ_PATH_MAX];
        snprintf(ip, sizeof ip, "%s[%d]", pp, i);
        if (i >= MAX_PARAMS) {
            cfg_fail(err, path, ip, "at most %d parameters", MAX_PARAMS);
            break;
        }
        cfgj_obj po;
        fit_param *f = &fc->param[i];
        if (cfgj_open(&po, c, path, ip, err)) break;
        cfgj_str(&po, "key", f->key, sizeof f->key, NULL, 1);
        cfgj_num(&po, "min", &f->lo, 0, 1, -INFINITY, INFINITY);
        cfgj_num(&po, "max", &f->hi, 0, 1, -INFINITY, INFINITY);
        cfgj_num(&po, "start", &f->start, 0, 1, -INFINITY, INFINITY);
        if (cfgj_close(&po, "key, min, max, start")) break;
        if (cfg_key_has_empty_part(f->key) || strpbrk(f->key, "[]=")) {
            char kp[CFGJ_PATH_MAX + 8];
            snprintf(kp, sizeof kp, "%s.key", ip);
            cfg_fail(err, path, kp, "'%s' is not a dotted config key (as for --set, no array "
                     "index)", f->key);
            break;
        }
        if (!(f->lo < f->hi) || f->start < f->lo || f->start > f->hi) {
            cfg_fail(err, path, ip, "need min < max and min <= start <= max");
            break;
        }
        /* the later --set would win: one parameter fitted twice over */
        for (int k = 0; k < i && !err->failed; k++)
            if (!strcmp(fc->param[k].key, f->key))
                cfg_fail(err, path, ip, "key '%s' is given twice (also in %s[%d])", f->key, pp,
                         k);
        if (err->failed) break;
        fc->n_params++;
    }
    i = 0;
    for (const cJSON *c = cases->child; c && !err->failed; c = c->next, i++) {
        char ip[CFGJ_PATH_MAX], cfgname[CFGJ_FILE_MAX];
        snprintf(ip, sizeof ip, "%s[%d]", cp, i);
        if (i >= MAX_CASES) {
            cfg_fail(err, path, ip, "at most %d cases", MAX_CASES);
            break;
        }
        cfgj_obj co;
        if (cfgj_open(&co, c, path, ip, err)) break;
        cfgj_str(&co, "config", cfgname, sizeof cfgname, NULL, 1);
        cfgj_pos(&co, "published", &fc->cases[i].published, 0, 1);
        cfgj_str(&co, "source", desc, sizeof desc, "", 0);
        if (cfgj_close(&co, "config, published, source")) break;
        /* config paths are relative to the set file */
        const char *slash = strrchr(path, '/');
        if (cfgname[0] != '/' && slash)
            snprintf(fc->cases[i].config, sizeof fc->cases[i].config, "%.*s/%s",
                     (int)(slash - path), path, cfgname);
        else
            snprintf(fc->cases[i].config, sizeof fc->cases[i].config, "%s", cfgname);
        fc->n_cases++;
    }
    if (err->failed) {
        cfgj_release(&o);
        goto out;
    }
    if (cfgj_close(&o, "name, description, metric, parameters, cases")) goto out;
    if (fc->n_params == 0 || fc->n_cases == 0) {
        cfg_fail(err, path, "$", "need at least one parameter and one case");
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

/* ---- evaluation ------------------------------------------------------------ */

typedef struct {
    pid_t pid;
    int fd, idx;
    char *buf;
    size_t len, cap;
} child;

/* Start `dtsim run CONFIG --quiet --json - --set K=V...` with stdout on a pipe;
** stderr (its errors) is kept only with show_errors. */
static int spawn(const fit_ctx *fc, int idx, const double *x, int show_errors, child *ch)
{
    int fd;
    pid_t pid = cli_fork_piped(&fd);
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(fd, STDOUT_FILENO);
        close(fd);
        int devnull = open("/dev/null", O_WRONLY);
        /* progress lines; the check before the fit keeps the errors */
        if (devnull >= 0 && !show_errors) dup2(devnull, STDERR_FILENO);
        char sets[MAX_PARAMS][CFGJ_PATH_MAX + 64];
        char *argv[10 + 2 * MAX_PARAMS];
        int a = 0;
        argv[a++] = (char *)fc->self;
        argv[a++] = (char *)"run";
        argv[a++] = (char *)fc->cases[idx].config;
        argv[a++] = (char *)"--quiet";
        argv[a++] = (char *)"--json";
        argv[a++] = (char *)"-";
        argv[a++] = (char *)"--set";
        argv[a++] = (char *)"engine.progress=false";
        for (int k = 0; k < fc->n_params; k++) {
            snprintf(sets[k], sizeof sets[k], "%s=%.17g", fc->param[k].key, x[k]);
            argv[a++] = (char *)"--set";
            argv[a++] = sets[k];
        }
        argv[a] = NULL;
        execv(fc->self, argv);
        _exit(127);
    }
    ch->pid = pid;
    ch->fd = fd;
    ch->idx = idx;
    ch->len = 0;
    return 0;
}

/* Read the child's JSON to the end and extract the metric. */
static double collect(fit_ctx *fc, child *ch)
{
    fc->failed[ch->idx] = FIT_RUN_FAILED;
    char chunk[65536];
    ssize_t n;
    while ((n = read(ch->fd, chunk, sizeof chunk)) > 0) {
        if (ch->len + (size_t)n + 1 > ch->cap) {
            ch->cap = 2 * (ch->len + (size_t)n + 1);
            ch->buf = realloc(ch->buf, ch->cap);
            if (!ch->buf) return NAN;
        }
        memcpy(ch->buf + ch->len, chunk, (size_t)n);
        ch->len += (size_t)n;
    }
    close(ch->fd);
    int status = 0;
    waitpid(ch->pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !ch->buf) return NAN;
    ch->buf[ch->len] = 0;
    cJSON *j = cJSON_Parse(ch->buf);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, fc->metric);
    double r = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    cJSON_Delete(j);
    fc->failed[ch->idx] = isfinite(r) ? FIT_OK : FIT_NO_METRIC;
    return r;
}

/* Simulate every case (except fc->skip) at parameters x; fills last_sim.
** Returns 0, or -1 if a case failed. */
static int simulate_all(fit_ctx *fc, const double *x)
{
    child ch[MAX_CASES];
    memset(ch, 0, sizeof ch);
    int next = 0, running = 0, ok = 1;
    int order[MAX_CASES], n = 0;
    for (int i = 0; i < fc->n_cases; i++)
        if (i != fc->skip) order[n++] = i;
    int slot_of[MAX_CASES];
    while (next < n || running > 0) {
        while (next < n && running < fc->jobs) {
            int i = order[next];
            if (spawn(fc, i, x, 0, &ch[i])) return -1;
            slot_of[running++] = i;
            next++;
        }
        /* collect the oldest running child (results do not depend on order) */
        int i = slot_of[0];
        fc->last_sim[i] = collect(fc, &ch[i]);
        if (isnan(fc->last_sim[i])) ok = 0;
        memmove(slot_of, slot_of + 1, (size_t)(--running) * sizeof *slot_of);
    }
    for (int i = 0; i < fc->n_cases; i++) free(ch[i].buf);
    fc->evals++;
    return ok ? 0 : -1;
}

static void unscale(const fit_ctx *fc, const gsl_vector *u, double *x)
{
    for (int k = 0; k < fc->n_params; k++) {
        double t = gsl_vector_get(u, (size_t)k);
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        x[k] = fc->param[k].lo + t * (fc->param[k].hi - fc->param[k].lo);
    }
}

/* Mean squared relative error over the cases in use. */
static double objective(const gsl_vector *u, void *data)
{
    fit_ctx *fc = data;
    double x[MAX_PARAMS];
    unscale(fc, u, x);
    if (simulate_all(fc, x)) return FIT_PENALTY;
    double sum = 0;
    int n = 0;
    for (int i = 0; i < fc->n_cases; i++) {
        if (i == fc->skip) continue;
        double e = (fc->last_sim[i] - fc->cases[i].published) / fc->cases[i].published;
        sum += e * e;
        n++;
    }
    return sum / n;
}

/* Minimise; fills x_best. Returns the objective at the optimum. */
static double fit(fit_ctx *fc, double *x_best, int verbose)
{
    const gsl_multimin_fminimizer_type *T = gsl_multimin_fminimizer_nmsimplex2;
    size_t n = (size_t)fc->n_params;
    gsl_multimin_fminimizer *s = gsl_multimin_fminimizer_alloc(T, n);
    gsl_vector *u = gsl_vector_alloc(n), *step = gsl_vector_alloc(n);
    for (size_t k = 0; k < n; k++) {
        const fit_param *f = &fc->param[k];
        gsl_vector_set(u, k, (f->start - f->lo) / (f->hi - f->lo));
        gsl_vector_set(step, k, 0.1);
    }
    gsl_multimin_function F = {.f = objective, .n = n, .params = fc};
    int status = gsl_multimin_fminimizer_set(s, &F, u, step) ? GSL_FAILURE : GSL_CONTINUE;
    for (int it = 0; it < 200 && status == GSL_CONTINUE; it++) {
        if (gsl_multimin_fminimizer_iterate(s)) break;
        status = gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), 1e-3);
        if (verbose) {
            double x[MAX_PARAMS];
            unscale(fc, s->x, x);
            fprintf(stderr, "dtsim calibrate: iteration %d, rms relative error %.4f at", it + 1,
                    sqrt(s->fval));
            for (int k = 0; k < fc->n_params; k++) fprintf(stderr, " %s=%.4g", fc->param[k].key, x[k]);
            fprintf(stderr, "\n");
        }
    }
    unscale(fc, s->x, x_best);
    double fval = status == GSL_FAILURE || s->fval >= FIT_PENALTY ? INFINITY : s->fval;
    gsl_vector_free(u);
    gsl_vector_free(step);
    gsl_multimin_fminimizer_free(s);
    return fval;
}

/* Load case i's config with the parameters at x, as the child will: a bad
** parameter key is the set's ($.parameters[k].key), any other config error
** the case's ($.cases[i].config); one line, 0 or -1. */
static int check_case_config(const fit_ctx *fc, int i, const double *x, const char *set)
{
    char sets[MAX_PARAMS][CFGJ_PATH_MAX + 64], what[CFGJ_FILE_MAX + 8], msg[1024];
    cfg_overrides ov = {.n = 0};
    for (int k = 0; k < fc->n_params; k++) {
        snprintf(sets[k], sizeof sets[k], "%s=%.17g", fc->param[k].key, x[k]);
        ov.items[ov.n++] = sets[k];
    }
    cfg_experiment e;
    cfg_error err;
    if (cfg_load(fc->cases[i].config, &ov, &e, &err) == 0) {
        cfg_free(&e);
        return 0;
    }
    for (int k = 0; k < fc->n_params; k++) {
        snprintf(what, sizeof what, "--set %s", sets[k]);
        if (!strcmp(err.file, what)) {
            fprintf(stderr, "dtsim calibrate: %s: $.parameters[%d].key: '%s' in %s: %s: %s\n",
                    set, k, fc->param[k].key, fc->cases[i].config, err.path, err.msg);
            return -1;
        }
    }
    cfg_error_format(&err, msg, sizeof msg);
    fprintf(stderr, "dtsim calibrate: %s: $.cases[%d].config: %s\n", set, i, msg);
    return -1;
}

/* Every case once at the start values, its errors shown: a case that does
** not run, or a metric its report lacks, is named before the fit starts. */
static int check_cases(fit_ctx *fc, const char *set)
{
    double x[MAX_PARAMS];
    for (int k = 0; k < fc->n_params; k++) x[k] = fc->param[k].start;
    for (int i = 0; i < fc->n_cases; i++) { /* one at a time: the first error only */
        if (check_case_config(fc, i, x, set)) return -1;
        child ch = {0};
        if (spawn(fc, i, x, 1, &ch)) {
            fprintf(stderr, "dtsim calibrate: cannot start dtsim run: %s\n", strerror(errno));
            return -1;
        }
        collect(fc, &ch);
        free(ch.buf);
        if (fc->failed[i] == FIT_RUN_FAILED)
            fprintf(stderr, "dtsim calibrate: %s: $.cases[%d]: dtsim run %s failed at the start "
                    "values (its error is above)\n", set, i, fc->cases[i].config);
        else if (fc->failed[i] == FIT_NO_METRIC)
            fprintf(stderr, "dtsim calibrate: %s: $.metric: '%s' is not a number in the report "
                    "of %s (dtsim run --json)\n", set, fc->metric, fc->cases[i].config);
        if (fc->failed[i] != FIT_OK) return -1;
    }
    return 0;
}

int cli_calibrate(int argc, char **argv)
{
    const char *set = NULL, *csv = NULL;
    int loo = 0, jobs = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--jobs")) {
            if (i + 1 >= argc || cli_parse_int(argv[++i], 1, 256, &jobs))
                return cli_usage_error("calibrate", "--jobs needs an integer in 1..256");
        } else if (!strcmp(argv[i], "--csv")) {
            if (i + 1 >= argc) return cli_usage_error("calibrate", "--csv needs a file");
            csv = argv[++i];
        } else if (!strcmp(argv[i], "--loo")) {
            loo = 1;
        } else if (argv[i][0] == '-') {
            return cli_usage_error("calibrate", "unknown option '%s'", argv[i]);
        } else if (!set) {
            set = argv[i];
        } else {
            return cli_usage_error("calibrate", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!set) return cli_usage_error("calibrate", "missing SET.json");
    /* the fit takes minutes: fail before it, not after */
    const char *outs[] = {csv};
    if (cli_outputs_writable("calibrate", outs, 1)) return CLI_ERR;
    fit_ctx fc; /* ~40 KB */
    memset(&fc, 0, sizeof fc);
    cfg_error err;
    memset(&err, 0, sizeof err);
    if (load_set(set, &fc, &err)) return cli_config_error(&err);
    if (loo && fc.n_cases <= fc.n_params) {
        /* each leave-one-out fit sees the other cases only: with none left it
        ** minimised 0/0 and "predicted" from wherever the simplex stopped */
        cfg_fail(&err, set, "$.cases", "--loo fits the %d parameter%s to the other cases of "
                 "each case, so it needs more cases than parameters (at least %d), got %d",
                 fc.n_params, fc.n_params == 1 ? "" : "s", fc.n_params + 1, fc.n_cases);
        return cli_config_error(&err);
    }
    fc.jobs = jobs;
    fc.skip = -1;
    char self[4096];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) {
        fprintf(stderr, "dtsim calibrate: cannot find the dtsim binary: %s\n", strerror(errno));
        return CLI_ERR;
    }
    self[sl] = 0;
    fc.self = self;

    if (check_cases(&fc, set)) return CLI_ERR;
    double x[MAX_PARAMS];
    double f = fit(&fc, x, 1);
    if (!isfinite(f)) {
        fprintf(stderr, "dtsim calibrate: a case failed to simulate; run it with dtsim run\n");
        return CLI_ERR;
    }
    simulate_all(&fc, x);
    /* --csv -: the CSV on stdout, the table (with the fitted values, which the
    ** CSV lacks) on stderr; it wrote a file named '-' */
    int csv_stdout = csv && !strcmp(csv, "-");
    FILE *tab = csv_stdout ? stderr : stdout;
    fprintf(tab, "calibration: %s (%d case%s, %d evaluations)\n", fc.name, fc.n_cases,
            fc.n_cases == 1 ? "" : "s", fc.evals);
    for (int k = 0; k < fc.n_params; k++) fprintf(tab, "  %s = %.4g\n", fc.param[k].key, x[k]);
    FILE *out = csv_stdout ? stdout : csv ? fopen(csv, "w") : NULL;
    if (csv && !out) return cli_write_failed("calibrate", csv);
    if (out) fprintf(out, "config,published,simulated,rel_error%s\n", loo ? ",loo_simulated,loo_rel_error" : "");
    double sum = 0, max = 0;
    double loo_sim[MAX_CASES], full_sim[MAX_CASES];
    /* the leave-one-out fits overwrite last_sim: the table shows the full fit's */
    memcpy(full_sim, fc.last_sim, sizeof full_sim);
    for (int i = 0; loo && i < fc.n_cases; i++) {
        double xi[MAX_PARAMS];
        fc.skip = i;
        fit(&fc, xi, 0);
        fc.skip = -1;
        fit_ctx one = fc;
        simulate_all(&one, xi);
        loo_sim[i] = one.last_sim[i];
        fprintf(stderr, "dtsim calibrate: leave-one-out %d/%d done\n", i + 1, fc.n_cases);
    }
    memcpy(fc.last_sim, full_sim, sizeof full_sim);
    fprintf(tab, "  %-44s %10s %10s %8s%s\n", "case", "published", "simulated", "error",
            loo ? "  leave-one-out" : "");
    double loo_sum = 0, loo_max = 0;
    for (int i = 0; i < fc.n_cases; i++) {
        double e = (fc.last_sim[i] - fc.cases[i].published) / fc.cases[i].published;
        sum += fabs(e);
        if (fabs(e) > max) max = fabs(e);
        const char *base = strrchr(fc.cases[i].config, '/');
        fprintf(tab, "  %-44s %10.4g %10.4g %+7.1f%%", base ? base + 1 : fc.cases[i].config,
                fc.cases[i].published, fc.last_sim[i], 100 * e);
        if (loo) {
            double le = (loo_sim[i] - fc.cases[i].published) / fc.cases[i].published;
            loo_sum += fabs(le);
            if (fabs(le) > loo_max) loo_max = fabs(le);
            fprintf(tab, "  %+7.1f%%", 100 * le);
        }
        fprintf(tab, "\n");
        if (out) {
            fprintf(out, "%s,%.17g,%.17g,%.6f", fc.cases[i].config, fc.cases[i].published,
                    fc.last_sim[i], e);
            if (loo)
                fprintf(out, ",%.17g,%.6f", loo_sim[i],
                        (loo_sim[i] - fc.cases[i].published) / fc.cases[i].published);
            fprintf(out, "\n");
        }
    }
    fprintf(tab, "  mean |error| %.2f%%, max |error| %.2f%%", 100 * sum / fc.n_cases, 100 * max);
    if (loo)
        fprintf(tab, "; leave-one-out mean %.2f%%, max %.2f%%", 100 * loo_sum / fc.n_cases,
                100 * loo_max);
    fprintf(tab, "\n");
    if (out && (ferror(out) | (csv_stdout ? fflush(out) : fclose(out))))
        return cli_write_failed("calibrate", csv);
    return CLI_OK;
}
