/*
** run.h -- the run engine: hours to weeks of training over a failure stream
** (pure layer).
**
** Owns the clock of a run, the live-node set, the training progress between
** events (in closed form: whole iterations and checkpoint cycles at once),
** and the time accounting: every simulated second lands in exactly one
** bucket (useful, rework, restart, checkpointing, reconfiguration, degraded,
** waiting), so the buckets add up to the wall time. It does not decide what
** a failure costs: a resilience scheme (res.h) does, through the run_ctx
** calls below. Iteration times come from an oracle (run_oracle.h), memoised.
** Invariants: work becomes "useful" only when it can no longer be lost (a
** durable checkpoint, or the end of the run); the iteration in flight at a
** failure is always lost (rework).
*/
#ifndef DTSIM_RUN_H
#define DTSIM_RUN_H

#include "failure.h"
#include "run_oracle.h"

#include <stddef.h>

typedef enum {
    RUN_B_USEFUL = 0,   /* committed iterations at the healthy iteration time */
    RUN_B_REWORK,       /* work lost: iteration in flight, rolled-back iterations */
    RUN_B_RESTART,      /* detection, job restart, checkpoint load */
    RUN_B_CKPT,         /* blocking checkpoint writes */
    RUN_B_RECONFIG,     /* reconfiguration without restart (Oobleck, Bamboo) */
    RUN_B_DEGRADED,     /* committed iterations' time beyond the healthy time */
    RUN_B_WAITING,      /* not enough nodes to train */
    RUN_N_BUCKETS
} run_bucket;

extern const char *const run_bucket_names[RUN_N_BUCKETS];

typedef struct {
    double duration_s;      /* run length; <= 0: until the failure stream's end */
    double detect_s;        /* failure detection time, added by schemes to their pauses */
    double series_dt_s;     /* throughput-series bin width; 0: no series */
} run_params;

#define RUN_PLAN_TEXT 160

typedef struct {
    double bucket_s[RUN_N_BUCKETS];
    double sim_s;             /* simulated length (= sum of the buckets) */
    double base_iter_s;       /* healthy iteration time: the scheme's base plan, or the
                                 fastest plan that ran if that was faster */
    double base_samples_per_s;/* samples/s at base_iter_s */
    double samples;           /* committed samples */
    long iters;               /* committed iterations */
    double goodput_frac;      /* useful / sim_s */
    double samples_per_s;     /* committed samples / sim_s */
    int n_failures;           /* failure events seen */
    int n_arrivals;
    int n_rollbacks;          /* restarts from a durable checkpoint */
    int n_reconfigs;
    long n_oracle_calls;      /* distinct plans timed (memo misses) */
    int n_bins;               /* throughput series: samples/s per bin (completed iterations) */
    double bin_s;
    double *bin_samples_per_s;/* [n_bins], owned: run_result_free() */
    char plan[RUN_PLAN_TEXT]; /* the scheme's plan at the start, one line (run_describe) */
} run_result;

void run_result_free(run_result *r);

typedef struct run_ctx run_ctx;
struct res_scheme;

/* Simulate one run of 'scheme' on the events of 'src' (rewound first) with
** iteration times from 'orc' (memoise it with oracle_memo_new). 'progress'
** (may be NULL) is called about every 2% of simulated time with the
** fraction done. Returns 0, or -1 with err (e.g. no plan fits, oracle error).
** *out is filled (free with run_result_free) on success. */
int run_simulate(const run_params *prm, fail_source *src, const oracle *orc,
                 struct res_scheme *scheme, run_result *out,
                 void (*progress)(void *arg, double frac), void *progress_arg, char *err,
                 size_t errlen);

/* ---- calls for the schemes ---------------------------------------------- */
double run_now(const run_ctx *rc);
double run_detect_s(const run_ctx *rc);
int run_n_ids(const run_ctx *rc);
int run_n_up(const run_ctx *rc);
int run_node_up(const run_ctx *rc, int node);
const oracle *run_oracle(const run_ctx *rc);
/* Time 'plan' (memoised by the oracle). -1 with the run's error set. */
int run_time_plan(run_ctx *rc, const oracle_plan *plan, oracle_result *out);
/* Record an error that aborts the run; returns -1. Errors that begin with
** one of these prefixes tell the caller which input to blame: the oracle
** rejected a plan's times (RUN_ERR_ORACLE), or the model fits in GPU memory
** on no plan the scheme can form (RUN_ERR_MEMORY). */
#define RUN_ERR_ORACLE "oracle: "
#define RUN_ERR_MEMORY "out of GPU memory: "
int run_fail(run_ctx *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Describe the plan the scheme starts with, one line ("PP 16 x DP 128, ...";
** reports show it next to the scheme's row). */
void run_describe(run_ctx *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Training configuration: iteration time (0 or less: cannot train, the time
** is "waiting") and samples per iteration. The first call with it_s > 0 sets
** the healthy baseline unless run_set_base() did. */
void run_set_config(run_ctx *rc, double it_s, double samples_per_it);
void run_set_base(run_ctx *rc, double it_s, double samples_per_it);
/* Durable checkpoints: a blocking write of cost_s after every iteration that
** brings the training time since the last one to >= every_s (every_s <= 0:
** none). */
void run_set_ckpt(run_ctx *rc, double every_s, double cost_s);
/* The iteration in flight is lost (rework). */
void run_lose_inflight(run_ctx *rc);
/* Back to the last durable checkpoint: uncommitted iterations become rework. */
void run_rollback(run_ctx *rc);
/* Make the uncommitted iterations durable now (a checkpoint whose cost the
** scheme charged with run_pause). */
void run_commit(run_ctx *rc);
/* Pause training for s seconds charged to 'bucket' (after pending pauses). */
void run_pause(run_ctx *rc, double s, run_bucket bucket);
/* Drop pending pauses (a recovery in progress starts over). */
void run_cancel_pauses(run_ctx *rc);
/* 1 while pauses are pending (a restart or reconfiguration in progress). */
int run_paused(const run_ctx *rc);
/* Count a reconfiguration (statistics only). */
void run_count_reconfig(run_ctx *rc);

#endif
