/*
** eng.h -- the iteration engine: one training iteration on SimGrid (engine layer).
**
** Owns the SimGrid side: platform loading, actors, communications, and the
** raw timeline they produce. It executes a plan (plan.h) and knows nothing of
** transformers. One actor per (pipeline rank, replica class) runs its op list:
** compute ops are SimGrid execs on its host (a TP group), TP collectives are
** transfers on the host's NVLink loopback, pipeline sends are real
** communications between hosts, and per (pipeline rank, class) a DP actor and
** a peer actor on another replica's host exchange each gradient bucket's
** per-rank ring (or tree) volume, plus its latency steps as a sleep (no L07
** ptasks: README "Performance"), overlapped with the backward when the plan
** says so.
** Replicas that are identical (same slowness) form one class simulated once:
** with no stragglers the whole DP dimension costs one pipeline's actors.
** Classes may carry per-op duration factors and stalls (timeline.h, built by
** slow.h); eng_scale_links degrades links of the loaded platform.
**
** SimGrid can be initialised and given a platform only once per process, so
** there is one eng_t per process; it can run many iterations (and many plans
** on the same cluster) one after the other, each measured from its own start.
*/
#ifndef DTSIM_ENG_H
#define DTSIM_ENG_H

#include "cfg.h"
#include "plan.h"
#include "plat_xml.h"
#include "timeline.h"

typedef struct eng eng_t;

/* Create the engine for the cluster of 'e' with TP groups of 'tp' GPUs:
** initialises SimGrid, writes and loads the platform (speed profiles may be
** NULL). Only one engine may exist per process; it borrows 'e', which must
** outlive it. Returns NULL with err. */
eng_t *eng_new(const cfg_experiment *e, int tp, const plat_speed_profile *profiles,
               int n_profiles, char *err, size_t errlen);
void eng_free(eng_t *eng);

/* Scale the bandwidth of the links named by 'f[0..n-1]' (plat_xml.h) in the
** loaded platform, for every later eng_run: a host's NIC links in both
** directions, or a leaf's uplinks in both directions. Links are found on
** routes to another node (leaf), so a NIC factor has no effect on a
** one-node cluster and an uplink factor none on a one-leaf cluster; factors
** naming the same link multiply. Returns 0, or -1 with err (bad index). */
int eng_scale_links(eng_t *eng, const plat_link_factor *f, int n, char *err, size_t errlen);

/* Have 'fn(arg, done, total)' called as the last pipeline stage finishes
** each simulated iteration of later eng_run calls (NULL: none); for a
** progress line. */
void eng_set_progress(eng_t *eng, void (*fn)(void *arg, int done, int total), void *arg);

/* Simulate 'iterations' training iterations of plan 'p' (classes may be NULL:
** all replicas identical, or every replica its own class when
** exploit_symmetry is 0). Fills 'out' (free with tl_result_free). Returns 0
** or -1 with err (e.g. a deadlock, which would be an engine bug). */
int eng_run(eng_t *eng, const plan_t *p, const tl_classes *classes, int iterations,
            int exploit_symmetry, tl_result *out, char *err, size_t errlen);

#endif
