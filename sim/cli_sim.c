/*
** cli_sim.c -- simulate one loaded experiment for the subcommands (CLI layer).
*/
#include "cli_sim.h"
#include "cli_common.h"

#include "eng.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void cli_sim_free(cli_sim *s)
{
    if (!s) return;
    if (s->have_met) metrics_free(&s->met);
    if (s->have_res) tl_result_free(&s->res);
    if (s->have_slow) cli_slow_free(&s->slow);
    eng_free(s->eng);
    if (s->have_plan) plan_free(&s->plan);
    memset(s, 0, sizeof *s);
}

/* "\rdtsim: iteration 3/8 simulated", erased after the last one. */
static void iteration_done(void *arg, int done, int total)
{
    (void)arg;
    if (done < total) fprintf(stderr, "\rdtsim: iteration %d/%d simulated", done, total);
    else fprintf(stderr, "\r%*s\r", 40, "");
    fflush(stderr);
}

cli_sim_status cli_sim_run(const char *config, const cfg_experiment *e, int iterations,
                           int allow_oom, int quiet, cli_sim *out, char *err, size_t errlen)
{
    char why[512];
    memset(out, 0, sizeof *out);
    if (plan_build(e, &out->plan, why, sizeof why)) {
        snprintf(err, errlen, "%s: $.parallel: %s", config, why);
        return CLI_SIM_PLAN;
    }
    out->have_plan = 1;
    if (!out->plan.fits && !allow_oom) {
        cli_oom_message(err, errlen, config, e, &out->plan);
        return CLI_SIM_OOM;
    }
    out->have_slow = 1;
    if (cli_slow_prepare(config, e, &out->plan, &iterations, quiet, &out->slow, err, errlen))
        return CLI_SIM_FAILED;
    /* tokens and FLOPs of the documents the microbatches hold (seqlen) */
    if (out->slow.model) slow_scale_plan_work(&out->slow.plan, e, &out->plan);
    out->eng = eng_new(e, out->plan.tp, out->slow.plan.profiles, out->slow.plan.n_profiles, why,
                       sizeof why);
    if (!out->eng) {
        snprintf(err, errlen, "%s: %s", config, why);
        return CLI_SIM_FAILED;
    }
    if (cli_slow_before_run(&out->slow, out->eng, err, errlen)) return CLI_SIM_FAILED;
    /* a progress line for runs of several iterations, on a terminal */
    if (e->engine.progress && iterations > 1 && isatty(STDERR_FILENO))
        eng_set_progress(out->eng, iteration_done, NULL);
    int bad = eng_run(out->eng, &out->plan, cli_slow_classes(&out->slow), iterations,
                      e->engine.exploit_symmetry, &out->res, why, sizeof why);
    eng_set_progress(out->eng, NULL, NULL);
    if (bad) {
        snprintf(err, errlen, "%s: %s", config, why);
        return CLI_SIM_FAILED;
    }
    out->have_res = 1;
    if (cli_metrics(e, &out->plan, &out->res, &out->met)) {
        snprintf(err, errlen, "out of memory");
        return CLI_SIM_FAILED;
    }
    out->have_met = 1;
    return CLI_SIM_OK;
}
