/*
** eng_oracle.h -- the run level's iteration-time oracle backed by the SimGrid
** iteration engine (engine layer).
**
** Owns the translation of an oracle plan (run_oracle.h: pipelines with stage
** layer splits, GPUs per stage and microbatches) into plans of the iteration
** engine, built from the experiment's model, GPU, cluster and schedule. A
** homogeneous plan (identical pipelines) is one engine run with DP = the
** number of pipelines, so its gradient buckets contend with pipeline traffic
** as in `dtsim run`; a heterogeneous plan (Oobleck) runs each distinct
** pipeline once and adds the cross-pipeline gradient all-reduce as a ring
** over the pipelines (alpha-beta at the NIC bandwidth of one GPU). The layer
** profile comes from the cost model. One engine per process (SimGrid), built
** at the first plan on the experiment's whole cluster. Times of a 1F1B split
** at a new microbatch count may come from an affine fit (eng_oracle_set_affine).
** Slowness that names no GPU or node (slow_check_run_level) can be applied to
** every plan (eng_oracle_set_slowness).
*/
#ifndef DTSIM_ENG_ORACLE_H
#define DTSIM_ENG_ORACLE_H

#include "cfg.h"
#include "run_oracle.h"
#include "slow.h"

/* An oracle for experiment 'e' (copied: 'e' may be freed afterwards).
** Release with oracle_free. NULL with err on failure. */
oracle *eng_oracle_new(const cfg_experiment *e, char *err, size_t errlen);

/* A 1F1B pipeline's iteration time is affine in its microbatch count m >=
** pp: once three simulated counts of a split lie on one line, other counts
** are derived from it instead of simulated (on by default; off: every count
** is simulated, derived entries are not used). The oracle must come from
** eng_oracle_new (not wrapped). */
void eng_oracle_set_affine(oracle *o, int on);
/* Time every plan with the slowness of 'm' (borrowed: it must outlive the
** oracle; it must pass slow_check_run_level), over the experiment's
** engine.iterations (the mean, for noise and sequence lengths, which also
** turn the affine fit off). Heterogeneous plans simulate each pipeline alone,
** so a pipeline's noise does not meet the others'. Call before the first plan. */
void eng_oracle_set_slowness(oracle *o, const slow_model *m);
/* Pipeline shapes simulated on SimGrid and derived from the fit, so far. */
void eng_oracle_stats(const oracle *o, long *n_simulated, long *n_derived);

#endif
