/*
** run_cfg.h -- the `failures` and `resilience` config sections, and the
** analytic `profile` of standalone resilience configs (pure layer).
**
** Owns: reading those JSON sections with the strict reader (cfg_json.h:
** unknown keys rejected, every number range-checked, errors naming the file
** and JSON path), converting config units (hours, GB, GB/s, ms) to base
** units once, and the documented defaults (docs/resilience.md). It does not
** read model, cluster or parallel sections (cfg.c does) nor run anything.
*/
#ifndef DTSIM_RUN_CFG_H
#define DTSIM_RUN_CFG_H

#include "cfg_json.h"
#include "failure.h"
#include "res.h"
#include "run_oracle.h"

typedef enum { RUN_SRC_RANDOM = 0, RUN_SRC_TRACE, RUN_SRC_CSV } run_source;

/* Longest run accepted, hours (about 114 years: a typo such as 1e9 would
** otherwise run for hours instead of failing at once). */
#define RUN_MAX_DURATION_H (FAIL_MAX_TIME_S / 3600.0)

/* Shortest run accepted, hours (one second): a typo such as 1e-300 ran
** no iteration and reported a goodput of 1. */
#define RUN_MIN_DURATION_H (1.0 / 3600.0)

/* Shortest MTBF accepted, hours (one second): below it every scheme only
** ever restarts, and a typo such as 1e-30 would print a table of zeros. */
#define RUN_MIN_MTBF_H (1.0 / 3600.0)

/* Upper bounds of the resilience and profile keys (docs/resilience.md,
** "Config keys"): far above any real system, so that a typo such as 1e308
** is refused with its JSON path instead of running to a goodput of 0. A
** pause or an interval in seconds: about 116 days (RES_MAX_PAUSE_S); a time
** in hours (repairs, checkpoint periods): about 14 months; a bandwidth: a
** million GB/s; a checkpoint: a petabyte; GPU memory: 10 TB per GPU; a
** component's share of the failures (a relative weight): a million. */
#define RUN_MAX_PAUSE_S RES_MAX_PAUSE_S
#define RUN_MAX_HOURS_H 1e4
#define RUN_MAX_GBPS 1e6
#define RUN_MAX_CKPT_GB 1e6
#define RUN_MAX_GPU_MEM_GB 1e4
#define RUN_MAX_SHARE 1e6

typedef struct {
    int source;                   /* run_source */
    char trace_path[CFGJ_FILE_MAX]; /* TRACE / CSV file (relative paths: to the config's folder) */
    fail_random_cfg random;       /* RANDOM: node MTBF, distribution, components */
    double gpu_mtbf_s;            /* > 0: per-GPU MTBF given; node MTBF = this / GPUs per node */
    double job_mtbf_s;            /* > 0: MTBF of the whole job given; node MTBF = this x job nodes */
    double startup_s;             /* TRACE: an added node is usable this much later */
    double detect_s;              /* failure detection time */
    double duration_s;            /* run length (0: the trace's end) */
    unsigned long seed;
} run_failures_cfg;

typedef struct {
    int present;                  /* the config had a `failures` section */
    run_failures_cfg fail;
    res_config res;
    int n_schemes;
    int schemes[RES_N_SCHEMES];   /* res_kind, in the order given */
} run_config;

/* Defaults for everything (all five schemes, random Llama-3-like failures,
** 30 days). */
void run_config_defaults(run_config *c);

/* The keys of `failures` that each give the failure rate (a config gives
** one of them). */
enum { RUN_CFG_N_RATE_KEYS = 4 };
extern const char *const run_cfg_rate_keys[RUN_CFG_N_RATE_KEYS];

/* Parse the `failures` and `resilience` objects (either may be NULL: that
** section keeps its defaults) found in 'file'. 0, or -1 with err set (file,
** JSON path, message). Relative trace paths are resolved against the
** directory of 'file'. */
int run_cfg_parse(const cJSON *failures, const cJSON *resilience, const char *file,
                  run_config *out, cfg_error *err);

/* Parse an analytic per-layer `profile` object (units: ms, MB, GB, GB/s). */
int run_cfg_parse_profile(const cJSON *profile, const char *file, oracle_profile *out,
                          cfg_error *err);

#endif
