/*
** cli_slow.c -- the straggler part of `dtsim run` (CLI layer). See cli_slow.h.
*/
#include "cli_slow.h"
#include "cli_common.h"

#include "optrace.h"
#include "rep_whatif.h"
#include "tltrace.h"
#include "whatif.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int cli_slow_prepare(const char *config, const cfg_experiment *e, const plan_t *p,
                     int *iterations, int quiet, cli_slow *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->config = config;
    out->baseline_s = NAN;
    cfg_error cerr = {0};
    if (slow_parse(e, &out->model, &cerr)) {
        cfg_error_format(&cerr, err, errlen);
        return -1;
    }
    if (!out->model) return 0;
    int need = 1;
    for (int i = 0; i < out->model->n_pauses; i++)
        if (out->model->pauses[i].first + 1 > need) need = out->model->pauses[i].first + 1;
    if (*iterations < need) {
        if (!quiet)
            fprintf(stderr, "dtsim: %s: simulating %d iterations instead of %d, so that every "
                    "configured stall happens at least once\n", config, need, *iterations);
        *iterations = need;
    }
    if (slow_build(out->model, e, p, *iterations, &out->plan, err, errlen)) return -1;
    return 0;
}

const tl_classes *cli_slow_classes(const cli_slow *s)
{
    return s->model ? &s->plan.classes : NULL;
}

int cli_slow_before_run(cli_slow *s, eng_t *eng, char *err, size_t errlen)
{
    if (!s->model) return 0;
    char why[512];
    if (eng_scale_links(eng, s->plan.links, s->plan.n_links, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", s->config, why);
        return -1;
    }
    return 0;
}

/* The no-slowness baseline, after the run (speed profiles are in simulated
** time from the start, so the run goes first): links restored, every replica
** as one class on a replica without speed profiles. */
static int run_baseline(cli_slow *s, eng_t *eng, const plan_t *p, int iterations)
{
    char err[512];
    int n = s->plan.n_links, rep = s->plan.baseline_replica;
    plat_link_factor *undo = calloc((size_t)n + 1, sizeof *undo);
    int *class_of = calloc((size_t)p->dp, sizeof *class_of);
    double *speed = malloc((size_t)p->pp * sizeof *speed);
    if (!undo || !class_of || !speed) {
        fprintf(stderr, "dtsim: out of memory\n");
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        undo[i] = s->plan.links[i];
        undo[i].factor = 1 / undo[i].factor;
    }
    if (eng_scale_links(eng, undo, n, err, sizeof err)) {
        fprintf(stderr, "dtsim: %s: %s\n", s->config, err);
        goto fail;
    }
    if (rep >= 0) {
        for (int d = 0; d < p->pp; d++) speed[d] = 1;
        tl_classes one = {.n_classes = 1, .class_of_replica = class_of, .speed = speed,
                          .rep_replica = &rep};
        tl_result base;
        if (eng_run(eng, p, &one, iterations, 1, &base, err, sizeof err)) {
            fprintf(stderr, "dtsim: %s: baseline: %s\n", s->config, err);
            goto fail;
        }
        s->baseline_s = base.iteration_s;
        tl_result_free(&base);
    }
    free(undo);
    free(class_of);
    free(speed);
    return 0;
fail:
    free(undo);
    free(class_of);
    free(speed);
    return -1;
}

int cli_slow_after_run(cli_slow *s, eng_t *eng, const plan_t *p, const tl_result *res,
                       const char *export_path, FILE *out, cJSON *json)
{
    if (!s->model && !export_path) return 0;
    if (s->model && run_baseline(s, eng, p, res->iterations)) return -1;
    char err[1024] = "";
    int rc = -1;
    whatif_result *r = NULL;
    optrace *t = optrace_new();
    if (!t) {
        fprintf(stderr, "dtsim: out of memory\n");
        return -1;
    }
    int with_gc = s->model && s->model->n_pauses > 0;
    int exported = !tltrace_export(p, res, s->model ? s->plan.classes.class_of_replica : NULL,
                                   with_gc, t, err, sizeof err);
    if (!exported && export_path) {
        fprintf(stderr, "dtsim: %s: --export-trace: %s\n", s->config, err);
        goto done;
    }
    if (export_path && !strcmp(export_path, "-")) {
        /* stdout, as --json - (cli_run then prints no summary) */
        if (optrace_write_csv(t, stdout) || fflush(stdout)) {
            fprintf(stderr, "dtsim: cannot write the per-op trace to stdout\n");
            goto done;
        }
    } else if (export_path && optrace_save_csv(t, export_path, err, sizeof err)) {
        fprintf(stderr, "dtsim: %s\n", err);
        goto done;
    }
    if (!s->model) {
        rc = 0;
        goto done;
    }
    if (exported) {
        t->source = strdup("the simulated timeline");
        r = whatif_analyse(t, err, sizeof err);
    }
    rep_slow_run info = {
        .iterations = res->iterations,
        .n_classes = res->n_classes,
        .n_slow_tp_groups = s->plan.n_slow_hosts,
        .iteration_s = res->iteration_s,
        .baseline_s = s->baseline_s,
        .note = r ? NULL : err,
    };
    if (out && rep_stragglers_text(out, &info, r, 0)) {
        fprintf(stderr, "dtsim: out of memory\n");
        goto done;
    }
    if (json) {
        cJSON *j = rep_stragglers_json(&info, r);
        if (!j) {
            fprintf(stderr, "dtsim: out of memory\n");
            goto done;
        }
        cJSON_AddItemToObject(json, "stragglers", j);
    }
    rc = 0;
done:
    whatif_result_free(r);
    optrace_free(t);
    return rc;
}

void cli_slow_free(cli_slow *s)
{
    if (!s) return;
    slow_plan_free(&s->plan);
    slow_free(s->model);
    s->model = NULL;
}
