/*
** tltrace.h -- a simulated timeline as a per-op trace (pure layer).
** Owns the mapping of the engine's events (timeline.h) to the op rows of the OSDI'25
** straggler format (optrace.h), so that whatif.h can analyse dtsim's own runs. Does not
** simulate or analyse. Invariants: one worker per (DP replica, pipeline stage), every
** replica of a class gets its class's events; every worker of a stage has the same ops
** in every iteration (the what-if analysis requires it).
*/
#ifndef DTSIM_TLTRACE_H
#define DTSIM_TLTRACE_H

#include "optrace.h"
#include "plan.h"
#include "timeline.h"

/* Appends to 't' the ops of every iteration of run 'r' of plan 'p', whose
** replica r was simulated as class class_of_replica[r] (NULL: all class 0).
** Rows (step = iteration, times in simulated seconds from the run start):
**   forward-/backward-/weight-compute  an F/B/W op with its TP collectives;
**   forward-/backward-recv  from when the compute stream asked for the input
**       (the op start, or the start of its wait) to max(ask, arrival);
**   forward-/backward-send  from the send to the receiver's recv end;
**   gc                 a stall (TL_EV_GC), 0 s on the other workers, only
**                      when 'with_gc' (the what-if needs the same ops everywhere);
**   grads-reduce-scatter  the DP gradient sync as the rank sees it (dp > 1):
**       from the end of its backward (and stall) to the end of its wait for
**       the collectives;
**   embedding-grads-all-reduce, optimizer  as simulated.
** The what-if dependency model pairs the k-th send with the k-th receive,
** which fits schedules with one chunk per device (v = 1). Returns 0, or -1
** with err (v > 1, an incomplete timeline, out of memory). */
int tltrace_export(const plan_t *p, const tl_result *r, const int *class_of_replica,
                   int with_gc, optrace *t, char *err, size_t errlen);

#endif
