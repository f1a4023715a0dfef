/*
** cli_sim.c -- simulate one loaded experiment for the subcommands (CLI layer).
*/
#include "cli_sim.h"
#include "cli_common.h"

#include "eng.h"

#include <stdio.h>
#include <string.h>

void cli_sim_free(cli_sim *s)
{
    if (!s) return;
    if (s->have_met) metrics_free(&s->met);
    if (s->have_res) tl_result_free(&s->res);
    if (s->have_plan) plan_free(&s->plan);
    memset(s, 0, sizeof *s);
}

cli_sim_status cli_sim_run(const char *config, const cfg_experiment *e, int iterations,
                           int allow_oom, cli_sim *out, char *err, size_t errlen)
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
    cli_sim_status st = CLI_SIM_FAILED;
    eng_t *eng = eng_new(e, out->plan.tp, NULL, 0, why, sizeof why);
    if (!eng) {
        snprintf(err, errlen, "%s: %s", config, why);
        return st;
    }
    if (eng_run(eng, &out->plan, NULL, iterations, e->engine.exploit_symmetry, &out->res, why,
                sizeof why)) {
        snprintf(err, errlen, "%s: %s", config, why);
        goto out;
    }
    out->have_res = 1;
    if (cli_metrics(e, &out->plan, &out->res, &out->met)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    out->have_met = 1;
    st = CLI_SIM_OK;
out:
    eng_free(eng);
    return st;
}
