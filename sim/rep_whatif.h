/*
** rep_whatif.h -- reports of a what-if straggler analysis (pure layer).
** Owns the text summary and JSON of a whatif_result, shared by `dtsim whatif` (a trace
** file) and `dtsim run` (the attribution of a simulated run with stragglers), and the
** straggler section of the run report. Computes nothing (whatif.h does); output is
** deterministic.
*/
#ifndef DTSIM_REP_WHATIF_H
#define DTSIM_REP_WHATIF_H

#include "whatif.h"

#include <cJSON.h>
#include <stdio.h>

/* The summary of 'r' for trace 'source': S, waste, T, T_ideal, M_S, M_W,
** slowdown by op type (descending), stage and DP rank (all in id order, or
** the 'max_groups' highest when > 0; M_W's ranks likewise), and the 'top'
** workers (0 = all). Returns 0 or -1 (out of memory). */
int rep_whatif_text(FILE *out, const char *source, const whatif_result *r, int top,
                    int max_groups);

/* The same as a cJSON tree (caller frees with cJSON_Delete); NaN M_S / M_W
** print as null. */
cJSON *rep_whatif_json(const char *source, const whatif_result *r);

/* What `dtsim run` knows about a run with a "stragglers" section. */
typedef struct {
    int iterations;           /* simulated */
    int n_classes;            /* replica classes simulated */
    int n_slow_tp_groups;     /* TP groups a source touches */
    double iteration_s;       /* mean simulated iteration with the slowness, s */
    double baseline_s;        /* mean iteration without it on the same cluster, s; NAN
                                 when it could not be simulated */
    const char *note;         /* why there is no what-if attribution, or NULL */
} rep_slow_run;

/* The straggler section of the run summary: iteration time against the
** baseline, then the attribution (r may be NULL: then 'note' is printed). */
int rep_stragglers_text(FILE *out, const rep_slow_run *s, const whatif_result *r, int top);

/* {"iteration_s", "baseline_iteration_s", "sim_slowdown", ..., "whatif": {...}}
** (caller frees); NULL if out of memory. */
cJSON *rep_stragglers_json(const rep_slow_run *s, const whatif_result *r);

#endif
