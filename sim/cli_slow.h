/*
** cli_slow.h -- the straggler part of `dtsim run` (CLI layer).
** Owns the steps a "stragglers" section (slow.h) or --export-trace adds to a run: build
** the slowness for the plan, simulate a no-slowness baseline on the same platform, scale
** the degraded links, export the timeline as a per-op trace (tltrace.h), analyse it
** (whatif.h) and report (rep_whatif.h). Preparing and degrading the links put their
** one-line error in the caller's buffer (printed after "dtsim: "); the steps after the
** run print their own errors (stderr). Both return -1.
*/
#ifndef DTSIM_CLI_SLOW_H
#define DTSIM_CLI_SLOW_H

#include "cfg.h"
#include "eng.h"
#include "plan.h"
#include "slow.h"

#include <cJSON.h>
#include <stdio.h>

typedef struct {
    const char *config;        /* for messages */
    slow_model *model;         /* NULL: no stragglers section */
    slow_plan plan;
    double baseline_s;         /* NAN until simulated */
} cli_slow;

/* Parse and realise the section of 'e' for plan 'p'; raises *iterations to
** the stalls' period (a note on stderr unless 'quiet'). 0 or -1 (message in
** 'err'). */
int cli_slow_prepare(const char *config, const cfg_experiment *e, const plan_t *p,
                     int *iterations, int quiet, cli_slow *out, char *err, size_t errlen);
/* The classes for eng_run (NULL without a section). */
const tl_classes *cli_slow_classes(const cli_slow *s);
/* Before the run: degrade the links. 0 or -1 (message in 'err'). */
int cli_slow_before_run(cli_slow *s, eng_t *eng, char *err, size_t errlen);
/* After the run 'res': with a section, restore the links and simulate the
** no-slowness baseline (after the run, because speed profiles count from the
** simulation's start); export the trace to 'export_path' (may be NULL); with a
** section print the attribution to 'out' (may be NULL) and add it to 'json'
** (may be NULL) under "stragglers". 0 or -1. */
int cli_slow_after_run(cli_slow *s, eng_t *eng, const plan_t *p, const tl_result *res,
                       const char *export_path, FILE *out, cJSON *json);
void cli_slow_free(cli_slow *s);

#endif
