/*
** run_oracle.h -- the iteration-time oracle the run engine asks (pure layer).
**
** Owns: the interface through which the run level (run.c, the resilience
** schemes) obtains the time of ONE training iteration for a set of
** data-parallel pipelines on the live nodes, plus per-layer costs from the
** cost model; a memoising wrapper (one call per distinct plan); and two
** implementations: analytic (closed-form 1F1B from a per-layer profile,
** run_oracle_analytic.c) and table (the Oobleck artifact's throughput per
** live-node count, run_oracle_table.c). The SimGrid-backed implementation
** lives in the engine layer and only has to fill an `oracle` struct.
** Invariants: times in seconds, sizes in bytes; a plan whose stage does not
** fit in GPU memory is reported with fits = 0, never silently timed.
*/
#ifndef DTSIM_RUN_ORACLE_H
#define DTSIM_RUN_ORACLE_H

#include <stddef.h>

/* One pipeline of a plan: stages hold consecutive layers, stage 0 first. */
typedef struct {
    int n_nodes;          /* nodes this pipeline occupies */
    int n_stages;
    int n_microbatches;   /* microbatches this pipeline runs per iteration */
    int *stage_layers;    /* [n_stages] number of layers of each stage (sum = n_layers) */
    int *stage_gpus;      /* [n_stages] GPUs of each stage (tensor-parallel inside a node) */
} oracle_pipeline;

/* A plan: pipelines that synchronise gradients at the end of the iteration.
** A homogeneous PP x DP shape is DP identical pipelines. */
typedef struct {
    int n_pipes;
    oracle_pipeline *pipes;
} oracle_plan;

#define ORACLE_MAX_PIPES_REPORTED 64

/* Iteration times the run engine accepts, seconds: below a microsecond the
** profile is nonsense (and the iteration count of a long run overflows);
** the upper bound is the longest run (FAIL_MAX_TIME_S). */
#define ORACLE_MIN_ITER_S 1e-6
#define ORACLE_MAX_ITER_S (1e6 * 3600.0)

typedef struct {
    int fits;             /* 0: some stage does not fit in GPU memory (times unset) */
    double iter_s;        /* iteration time: slowest pipeline + gradient sync */
    double sync_s;        /* the gradient synchronisation part of iter_s */
    double pipe_max_s;    /* slowest pipeline before the sync */
    /* first ORACLE_MAX_PIPES_REPORTED pipelines' times before the sync */
    double pipe_s[ORACLE_MAX_PIPES_REPORTED];
} oracle_result;

typedef struct {
    int has_layers;            /* 0: no per-layer profile (table oracle): plans are opaque */
    int n_layers;
    int gpus_per_node;
    double gpu_mem_bytes;      /* per GPU */
    double model_state_bytes;  /* whole model: weights + optimiser (checkpoint size) */
    int global_batch_samples;  /* samples per iteration */
    int n_microbatches;        /* global microbatches per iteration (B / microbatch size) */
} oracle_info;

typedef struct {
    double fwd_s, bwd_s;       /* one microbatch of this layer on g GPUs (TP), seconds */
    double act_bytes;          /* activations kept per in-flight microbatch, per layer (whole layer) */
    double state_bytes;        /* model state of the layer (weights, grads, optimiser) */
} oracle_layer;

/* The interface. 'ctx' belongs to the implementation; free(ctx) releases it. */
typedef struct oracle {
    void *ctx;
    void (*info)(void *ctx, oracle_info *out);
    /* Cost of layer 'layer' (0-based) on 'n_gpus' GPUs; -1 if not available. */
    int (*layer)(void *ctx, int layer, int n_gpus, oracle_layer *out);
    /* Time one iteration of 'plan'. 0 on success (check out->fits), -1 with
    ** err filled if the plan is malformed or the engine failed. */
    int (*plan_time)(void *ctx, const oracle_plan *plan, oracle_result *out, char *err,
                     size_t errlen);
    void (*free)(void *ctx);
} oracle;

/* ---- calling an oracle ---------------------------------------------- */
void oracle_get_info(const oracle *o, oracle_info *out);
int oracle_layer_cost(const oracle *o, int layer, int n_gpus, oracle_layer *out);
int oracle_plan_time(const oracle *o, const oracle_plan *plan, oracle_result *out, char *err,
                     size_t errlen);
/* Release the oracle and its context; NULL is a no-op. */
void oracle_free(oracle *o);

/* ---- plans ---------------------------------------------------------- */
/* Allocate a plan of n_pipes empty pipelines (arrays NULL). NULL on OOM. */
oracle_plan *oracle_plan_new(int n_pipes);
/* Give pipeline i n_stages stages (arrays zeroed). -1 on OOM. */
int oracle_plan_set_stages(oracle_plan *p, int i, int n_stages);
/* A homogeneous shape: dp pipelines of pp stages over pp*dp nodes, layers
** split as evenly as possible (earlier stages take the remainder), each stage
** on gpus_per_node GPUs, global microbatches split evenly (earlier pipelines
** take the remainder). NULL on bad arguments or OOM. */
oracle_plan *oracle_plan_homogeneous(int pp, int dp, int n_layers, int gpus_per_node,
                                     int n_microbatches);
/* An opaque plan for oracles without layers: one pipeline of n_nodes nodes. */
oracle_plan *oracle_plan_opaque(int n_nodes, int n_microbatches);
int oracle_plan_nodes(const oracle_plan *p);
void oracle_plan_free(oracle_plan *p);

/* ---- memoisation ------------------------------------------------------ */
/* Wrap 'inner' (ownership taken, freed with the wrapper) so that each
** distinct plan is timed once. NULL on OOM (inner is then freed). */
oracle *oracle_memo_new(oracle *inner);
/* Calls that reached the inner oracle, and calls answered from the cache
** (0 if 'o' is not a memo). */
void oracle_memo_stats(const oracle *o, long *n_misses, long *n_hits);

/* ---- analytic implementation (run_oracle_analytic.c) ----------------- */
/* Per-layer profile: uniform layers; times of one microbatch on ONE GPU. */
typedef struct {
    int n_layers;
    int gpus_per_node;
    double gpu_mem_bytes;
    double fwd_s, bwd_s;          /* per layer, per microbatch, 1 GPU */
    double tp_efficiency_frac;    /* on g GPUs a layer takes t/(g*eff) (1 = perfect) */
    double act_bytes;             /* per layer per in-flight microbatch */
    double state_bytes;           /* per layer: weights + grads + optimiser state */
    double ckpt_bytes;            /* whole-model checkpoint size (0: n_layers*state_bytes*0.75) */
    int global_batch_samples;
    int n_microbatches;           /* global microbatches per iteration */
    double dp_bw_bytes_per_s;     /* per-node bandwidth of the gradient all-reduce */
    double dp_latency_s;          /* per all-reduce step */
    double grad_bytes_per_layer;  /* gradient bytes of one layer (0: state_bytes/8) */
} oracle_profile;

/* Analytic oracle: pipeline time = (m + S - 1) * max stage (F + B) (1F1B,
** PipeDream-Flush) with a stage's F = sum of its layers' f/(g*eff); sync =
** ring all-reduce of the largest stage's gradients over the pipelines,
** 2(d-1)/d * bytes / bw + 2(d-1) * latency. Memory per GPU: (state + act *
** in-flight microbatches (S - stage index, at most m)) / g <= gpu_mem.
** NULL on bad profile (err filled). */
oracle *oracle_analytic_new(const oracle_profile *prof, char *err, size_t errlen);
/* The least memory per GPU that any plan of at most 'n_nodes' nodes needs
** on its fullest GPU, bytes (a lower bound, for a config error before the
** run): S = min(layers, n_nodes) stages put at least ceil(layers / S)
** layers on one node's GPUs, with at least one microbatch in flight. Its
** model-state and activation parts go to *state_b and *act_b; *n_layers_b
** is the layer count. If it exceeds gpu_mem_bytes, no scheme can train. */
double oracle_analytic_min_gpu_bytes(const oracle_profile *prof, int n_nodes, double *state_b,
                                     double *act_b, int *n_layers_b);

/* ---- table implementation (run_oracle_table.c) ----------------------- */
/* One row of oobleck_sim_tput.csv. */
typedef struct {
    int n_nodes;
    int global_batch_samples;
    double samples_per_s;         /* 0 = cannot run */
    int idle_nodes;
    double pause_s;               /* reconfiguration / restart pause */
    double ckpt_s;                /* Varuna blocking checkpoint */
} oracle_table_row;

typedef struct oracle_table oracle_table;

/* Load oobleck_sim_tput.csv ('#' comment lines and a header allowed).
** NULL with err ("file:line: message") on error. Caller frees. */
oracle_table *oracle_table_load(const char *path, char *err, size_t errlen);
void oracle_table_free(oracle_table *t);
/* Row of (system, model) for n live nodes, n clamped to the table's range
** (the artifact's rule). -1 if the system/model pair is unknown. */
int oracle_table_lookup(const oracle_table *t, const char *system, const char *model, int n,
                        oracle_table_row *out);
/* Model names in file order (borrowed), for --help and errors. */
int oracle_table_models(const oracle_table *t, const char **names, int max);
/* The error for a (system, model) pair the table lacks, listing its models. */
void oracle_table_unknown(const oracle_table *t, const char *system, const char *model, char *err,
                          size_t errlen);
/* An oracle whose plan time is B / samples_per_s(system, model, nodes of
** the plan); no layers. The table is copied (the caller keeps 't').
** NULL with err if the pair is unknown. */
oracle *oracle_table_new(const oracle_table *t, const char *system, const char *model, char *err,
                         size_t errlen);

#endif
