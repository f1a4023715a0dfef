/*
** cli_sim.h -- simulate one loaded experiment for the subcommands (CLI layer).
**
** Owns the one code path from a loaded experiment to its metrics that
** `dtsim run` and every variant of `dtsim compare` follow: build the plan,
** refuse a plan that does not fit in GPU memory (unless allowed), create the
** engine, simulate, compute the metrics. It prints only the progress line
** and the note that stalls raised the iterations (both on stderr); failures
** come back as a status and a message. SimGrid is
** initialised by it, so it can run once per process (compare forks a child
** per variant).
*/
#ifndef DTSIM_CLI_SIM_H
#define DTSIM_CLI_SIM_H

#include "cfg.h"
#include "cli_slow.h"
#include "eng.h"
#include "metrics.h"
#include "plan.h"
#include "timeline.h"

#include <stddef.h>

typedef enum {
    CLI_SIM_OK = 0,
    CLI_SIM_PLAN,      /* the schedule cannot be built for this shape */
    CLI_SIM_OOM,       /* a stage does not fit in GPU memory (the plan is valid) */
    CLI_SIM_FAILED     /* the engine failed, or out of memory */
} cli_sim_status;

/* What one simulation produced; which parts are valid depends on the status:
** the plan from CLI_SIM_OOM on, the timeline and the metrics with CLI_SIM_OK. */
typedef struct {
    plan_t plan;
    tl_result res;
    metrics met;
    cli_slow slow;       /* the stragglers section, realised for this plan */
    eng_t *eng;          /* kept until cli_sim_free (the straggler baseline reuses it) */
    int have_plan, have_res, have_met, have_slow;
} cli_sim;

/* Simulate 'iterations' iterations of experiment 'e' (loaded from 'config',
** named in messages), with its stragglers section if any (cli_slow.h; the
** stall period may raise the number of iterations: a note on stderr unless
** 'quiet'). Unless the status is CLI_SIM_OK, 'err' holds a message
** to print after "dtsim: " (e.g. "CONFIG: $.parallel: the plan does not fit
** ..."). 'out' is caller-owned; release it with cli_sim_free whatever the
** status. SimGrid: at most one call per process. */
cli_sim_status cli_sim_run(const char *config, const cfg_experiment *e, int iterations,
                           int allow_oom, int quiet, cli_sim *out, char *err, size_t errlen);
void cli_sim_free(cli_sim *s);

#endif
