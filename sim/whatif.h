/*
** whatif.h -- what-if straggler analysis of a per-op trace (pure layer).
** Owns the method of Lin et al., OSDI'25 (ByteDance-Seed/StragglerAnalysis): a dependency
** model of a step, replays with measured or ideal op times, S = mean T / mean T_ideal, its
** attribution to op types, DP ranks and stages, M_S and M_W (docs/whatif.md). Does not
** read files (optrace.h) or print (the CLI); results are plain C structs. Invariants of a
** result: arrays have the lengths noted beside them; workers[] is ranked.
*/
#ifndef DTSIM_WHATIF_H
#define DTSIM_WHATIF_H

#include "optrace.h"

/* Share of workers that M_W treats as the worst ones (upstream: top 3%,
** rounded up, at least one). */
#define WHATIF_MW_PERCENT 3

/* One attribution group (an op type, a DP rank or a stage): the replay with
** this group's measured times and every other op at its ideal time. */
typedef struct {
    const char *name;       /* op-type group name ("forward-pp-comm", ...); NULL
                               for DP-rank and stage groups (use 'id') */
    int id;                 /* DP rank or stage number; -1 for op-type groups */
    double mean_t_s;        /* mean over steps of the replayed step time, s */
    double slowdown;        /* mean_t_s / mean T_ideal */
    double *step_slowdown;  /* [n_steps] replayed step time / T_ideal of the step */
} whatif_attr;

/* M_S or M_W: how much of the slowdown a set of ops explains. */
typedef struct {
    double t_rem_s;  /* mean replayed T with the set at ideal, the rest measured */
    double t_add_s;  /* mean replayed T with only the set measured */
    double rem;      /* (T - t_rem) / (T - T_ideal); the reported M_S / M_W */
    double add;      /* (t_add - T_ideal) / (T - T_ideal) */
} whatif_share;

/* One worker, a (dp_rank, stage) pair. */
typedef struct {
    int rank, dp_rank, stage;
    double score;           /* min(S of its DP rank, S of its stage): upstream's ranking */
    double slowdown_alone;  /* mean T with only this worker measured / mean T_ideal */
} whatif_worker;

typedef struct {
    int n_steps;
    int *step;                  /* [n_steps] step numbers, ascending */
    double *t_base_s;           /* [n_steps] measured step time: last end - first start */
    double *t_s;                /* [n_steps] replayed, measured op times, no launch delays */
    double *t_ideal_s;          /* [n_steps] replayed, every op at its type's ideal time */
    double mean_t_base_s, mean_t_s, mean_t_ideal_s;
    double slowdown;            /* S = mean_t_s / mean_t_ideal_s (blocking slowdown) */
    double waste_frac;          /* 1 - 1/S: share of the step time lost to stragglers */
    double launch_slowdown;     /* mean_t_base_s / mean_t_s */

    int n_dp, n_stages, n_workers, n_ops_per_step;
    int has_type[OPTRACE_N_TYPES];  /* 1 if the trace has ops of that type */
    double ideal_s[OPTRACE_N_TYPES];/* ideal op time per type: mean duration (compute),
                                       median transfer time (communication), s */

    int n_by_optype;
    whatif_attr *by_optype;     /* [n_by_optype] op-type groups present, fixed order */
    whatif_attr *by_dp;         /* [n_dp] indexed by DP rank */
    whatif_attr *by_stage;      /* [n_stages] indexed by stage */
    whatif_share ms;            /* M_S: the last stage */
    whatif_share mw;            /* M_W: the workers[0 .. n_mw_workers-1] */
    int n_mw_workers;           /* ceil(WHATIF_MW_PERCENT% of n_workers) */
    whatif_worker *workers;     /* [n_workers] by score descending, ties by lower rank */
    double fb_corr;             /* within-worker correlation of the forward-compute and
                                   backward-compute times of the same microbatch (and
                                   chunk): near 1 when microbatches differ in cost
                                   (sequence-length imbalance), near 0 for independent
                                   noise; NaN without variation or pairs */
    int n_fb_pairs;             /* (step, worker, microbatch) pairs it pools */
} whatif_result;

/* Analyses trace 't'. The trace must hold whole steps: every (dp_rank, stage)
** pair of 0..n_dp-1 x 0..n_stages-1 in every step, each with the same ops
** (type, seq_id 0..k-1) as dp_rank 0 of the first step, from which the
** dependency model is built. Returns a new result the caller frees with
** whatif_result_free, or NULL with a message in 'err' naming the file and line
** (or step and worker) that breaks this. M_S / M_W are NaN when T = T_ideal. */
whatif_result *whatif_analyse(const optrace *t, char *err, size_t err_len);

/* Frees 'r' and its arrays; whatif_result_free(NULL) is a no-op. */
void whatif_result_free(whatif_result *r);

#endif
