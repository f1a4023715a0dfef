/*
** cli_common.c -- helpers shared by the subcommands (CLI layer).
*/
#include "cli_common.h"
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GIB (1024.0 * 1024.0 * 1024.0)

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "dtsim %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see 'dtsim %s --help')\n", cmd);
    va_end(ap);
    return CLI_USAGE;
}

int cli_config_error(const cfg_error *err)
{
    char buf[1200];
    cfg_error_format(err, buf, sizeof buf);
    fprintf(stderr, "dtsim: %s\n", buf);
    return CLI_ERR;
}

int cli_outputs_writable(const char *cmd, const char *const *paths, int n)
{
    for (int i = 0; i < n; i++) {
        if (!paths[i] || !strcmp(paths[i], "-")) continue;
        /* "--json --quiet" would write a file named --quiet */
        if (!strncmp(paths[i], "--", 2)) {
            fprintf(stderr, "dtsim %s: cannot write %s: an option, not a file name (the option "
                    "before it lacks its value)\n", cmd, paths[i]);
            return -1;
        }
        FILE *f = fopen(paths[i], "a");
        if (!f) {
            fprintf(stderr, "dtsim %s: cannot write %s: %s\n", cmd, paths[i], strerror(errno));
            return -1;
        }
        fclose(f);
    }
    return 0;
}

int cli_write_failed(const char *cmd, const char *path)
{
    if (errno)
        fprintf(stderr, "dtsim %s: cannot write %s: %s\n", cmd, path, strerror(errno));
    else
        fprintf(stderr, "dtsim %s: cannot write %s\n", cmd, path);
    return CLI_ERR;
}

int cli_add_override(const char *cmd, cfg_overrides *ov, int max, const char *item)
{
    const char *eq = strchr(item, '=');
    if (ov->n >= max) return cli_usage_error(cmd, "too many --set (at most %d)", max);
    if (!eq || eq == item) return cli_usage_error(cmd, "--set needs KEY=VALUE, got '%s'", item);
    char key[CFGJ_PATH_MAX];
    snprintf(key, sizeof key, "%.*s", (int)(eq - item), item);
    if (cfg_key_has_empty_part(key))
        return cli_usage_error(cmd, "--set: empty key in '%s'", item);
    if (strpbrk(key, "[]"))
        return cli_usage_error(cmd, "--set cannot index into an array ('%s'): set the whole "
                               "array, e.g. --set 'a.list=[{...}]'", item);
    ov->items[ov->n++] = item;
    return 0;
}

int cli_parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

int cli_worst_stage(const plan_t *p)
{
    int worst = 0;
    for (int d = 1; d < p->pp; d++)
        if (p->mem[d].total_bytes > p->mem[worst].total_bytes) worst = d;
    return worst;
}

void cli_oom_message(char *buf, size_t len, const char *config, const cfg_experiment *e,
                     const plan_t *p)
{
    int worst = cli_worst_stage(p);
    const cost_memory *m = &p->mem[worst];
    /* memory depends on the whole config: name every --set item ("$") */
    cfg_error where = {.path = "$"};
    snprintf(where.file, sizeof where.file, "%s", config);
    cfg_blame_overrides(&e->ov, &where);
    snprintf(buf, len, "%s: $.parallel: the plan does not fit in GPU memory: pipeline stage "
             "%d needs %.1f GiB per GPU (model state %.1f GiB for %.2fB parameters per GPU, "
             "activations %.1f GiB, other %.1f GiB) but the %s has %.1f GiB; use more tensor or "
             "pipeline parallelism, activation recomputation, a distributed optimizer, or "
             "--allow-oom to simulate anyway", where.file, worst, m->total_bytes / GIB,
             m->state_bytes / GIB, m->params / 1e9, m->act_bytes / GIB, m->other_bytes / GIB,
             e->cluster.gpu.name, e->cluster.gpu.hbm_bytes / GIB);
}

int cli_metrics(const cfg_experiment *e, const plan_t *p, const tl_result *res, metrics *out)
{
    double *mem = malloc((size_t)p->pp * sizeof *mem);
    int *fits = malloc((size_t)p->pp * sizeof *fits);
    if (!mem || !fits) {
        free(mem);
        free(fits);
        return -1;
    }
    for (int d = 0; d < p->pp; d++) {
        mem[d] = p->mem[d].total_bytes;
        fits[d] = p->mem[d].fits;
    }
    int last = res->iterations - 1;
    double start = last > 0 ? res->iter_end_s[last - 1] : 0;
    met_input in = {
        .pp = p->pp,
        .n_gpus = p->n_gpus,
        .executed_flops = p->executed_flops,
        .model_flops = p->model_flops,
        .tokens_per_iter = p->tokens_per_iter,
        .samples_per_iter = e->parallel.global_batch_size,
        .peak_flops_per_gpu = p->peak_flops_per_gpu,
        .iteration_s = res->iter_end_s[last] - start,
        .memory_bytes = mem,
        .fits = fits,
    };
    /* compute tracks of class 0 are tracks[0..pp-1] */
    int rc = metrics_compute(&in, res->tracks, last, start, out);
    if (rc == 0) {
        out->iterations = res->iterations;
        out->mean_iteration_s = res->iteration_s;
        out->n_classes = res->n_classes;
    }
    free(mem);
    free(fits);
    return rc;
}

pid_t cli_fork_piped(int *fd)
{
    int fds[2];
    if (pipe(fds)) return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    close(pid ? fds[1] : fds[0]);
    *fd = pid ? fds[0] : fds[1];
    return pid;
}
