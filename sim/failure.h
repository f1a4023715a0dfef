/*
** failure.h -- streams of node failure and arrival events (pure layer).
**
** Owns the three failure sources of a run: random (per-node time to failure,
** exponential or Weibull, GSL mt19937 seeded; a component mix with repair
** times), spot-trace replay (`time_ms,add|remove,nodeN`, the Oobleck
** artifact's format) and failure-CSV replay (`time_s,node,cause,repair_s`).
** It does not know what a failure costs: the run engine and the resilience
** schemes decide that. Invariants: events come out in non-decreasing time;
** a node fails only while up and arrives only while down; node ids are
** 0..fail_n_ids()-1; errors name the file and line.
*/
#ifndef DTSIM_FAILURE_H
#define DTSIM_FAILURE_H

#include <stddef.h>

typedef enum { FAIL_EV_FAIL = 0, FAIL_EV_ARRIVE = 1 } fail_ev_kind;

/* Latest event time a trace or failure CSV may hold, seconds (10^6 hours,
** about 114 years; also the longest run, RUN_MAX_DURATION_H). */
#define FAIL_MAX_TIME_S (1e6 * 3600.0)
/* Weibull shapes accepted: below 0.1 the scale for a given mean needs
** Gamma(1 + 1/k) > Gamma(11) = 3.6e6 (at 0.001 it overflows); above 20 the
** draws are the mean within 5%. Published fits of HPC failures: 0.5-0.8. */
#define FAIL_WEIBULL_MIN_SHAPE 0.1
#define FAIL_WEIBULL_MAX_SHAPE 20.0

typedef struct {
    double t_s;        /* simulated time of the event */
    int kind;          /* fail_ev_kind */
    int node;          /* node id */
    int cause;         /* index into fail_cause_name(), -1 if none (spot removal, arrival) */
    double repair_s;   /* FAIL: time until the node is back (INFINITY: never) */
} fail_event;

#define FAIL_MAX_COMPONENTS 32
#define FAIL_NAME_MAX 48

typedef enum { FAIL_DIST_EXP = 0, FAIL_DIST_WEIBULL = 1 } fail_dist;

typedef struct {
    char name[FAIL_NAME_MAX];
    double weight;           /* share of failures (any positive scale) */
    double repair_s;         /* mean time until the node is back (exponential); 0 = at once */
} fail_component;

typedef struct {
    double node_mtbf_s;      /* mean time between failures of ONE node */
    int dist;                /* fail_dist */
    double weibull_shape;    /* k (k < 1: infant mortality, k = 1: exponential) */
    int n_components;
    fail_component comp[FAIL_MAX_COMPONENTS];
    double horizon_s;        /* no event after this time */
} fail_random_cfg;

/* Fill 'c' with the documented defaults: node MTBF from Llama 3 (419
** interruptions in 54 days on 16,384 GPUs = 2048 nodes of 8 GPUs: 6,333 h
** per node), exponential, and the Llama 3 component mix (counts as weights)
** with our repair-time assumptions (docs/resilience.md). */
void fail_random_defaults(fail_random_cfg *c);

typedef struct fail_source fail_source;

/* Random source over n_nodes nodes, all up at time 0. NULL with err on a
** bad config (non-positive MTBF or shape, no components, negative weight). */
fail_source *fail_random_new(const fail_random_cfg *cfg, int n_nodes, unsigned long seed,
                             char *err, size_t errlen);

/* Spot trace: nodes added at time <= 0 are the initial nodes (no event);
** later adds arrive startup_s after their trace time; a node removed before
** it is ready, or the instant it is, never appears. Removals are failures
** without repair.
** NULL with err "path:line: ..." on a malformed line or an impossible
** sequence (removing an absent node, adding a present one). */
fail_source *fail_trace_load(const char *path, double startup_s, char *err, size_t errlen);

/* Failure CSV over a cluster of n_nodes nodes (ids 0..n_nodes-1): header
** `time_s,node,cause,repair_s`, then one failure a row; node = nodeK or K
** (0-based); repair_s empty or "inf" = never back. Rows must be in time
** order. A failure of a node that is down is an error (with its line). */
fail_source *fail_csv_load(const char *path, int n_nodes, char *err, size_t errlen);

/* Next event: 1 and *ev filled, 0 at the end of the stream. */
int fail_next(fail_source *s, fail_event *ev);
/* Nodes up at time 0. */
int fail_initial_nodes(const fail_source *s);
/* Is node id up at time 0? */
int fail_initially_up(const fail_source *s, int node);
/* Size of the node id space. */
int fail_n_ids(const fail_source *s);
/* End of the stream's time (a trace's last line; the random horizon). */
double fail_end_s(const fail_source *s);
/* Name of cause index i ("spot" for trace removals). */
const char *fail_cause_name(const fail_source *s, int cause);
int fail_n_causes(const fail_source *s);
/* Restart the stream from its beginning (random: same seed, same draws). */
void fail_rewind(fail_source *s);
void fail_free(fail_source *s);

/* Lines of a spot trace, for the artifact replay (which has its own rules). */
typedef struct {
    double t_s;
    int add;           /* 1 add, 0 remove */
    int lineno;        /* 1-based line of the file, for error messages */
    int node;          /* id, in order of first appearance */
} fail_trace_line;
/* Parse a spot trace into lines (caller frees *out). Returns the count or
** -1 with err. */
int fail_trace_read(const char *path, fail_trace_line **out, int *n_ids, char *err,
                    size_t errlen);

#endif
