/*
** rep.h -- reports: human summary, JSON, Chrome/Perfetto trace (pure layer).
**
** Owns every byte dtsim writes about a simulated iteration. It reads the
** experiment, the plan, the metrics and the timeline and writes them; it
** computes nothing new (metrics.c does). Output is deterministic: no wall-clock
** times, no addresses; JSON numbers in cJSON's formatting, text and trace
** numbers in fixed printf formats.
*/
#ifndef DTSIM_REP_H
#define DTSIM_REP_H

#include "cfg.h"
#include "metrics.h"
#include "plan.h"
#include "timeline.h"

#include <cJSON.h>
#include <stdio.h>

/* The human summary (stdout). */
void rep_text(FILE *out, const cfg_experiment *e, const plan_t *p, const metrics *m);

/* The JSON report as a cJSON tree (caller frees with cJSON_Delete), NULL if
** out of memory. Keys: see README "Outputs". */
cJSON *rep_json(const cfg_experiment *e, const plan_t *p, const metrics *m);

/* Write a cJSON tree to 'path' ("-" = stdout), formatted, with a newline.
** Returns 0 or -1 (errno tells why). */
int rep_write_json_file(const char *path, const cJSON *json);

/* Chrome/Perfetto trace of the timeline: a process per replica class, a
** thread per pipeline stage with F/B/W slices labelled by microbatch (and
** chunk), TP collectives, pipeline transfers and DP buckets on their own
** threads, and an activation-memory counter per stage. Returns 0 or -1. */
int rep_write_trace(const char *path, const plan_t *p, const tl_result *r);

#endif
