/*
** slow.h -- sources of slowness (stragglers) in a simulated job (pure layer).
** Owns the experiment's "stragglers" section (docs/stragglers.md): slow GPUs (constant
** or time-varying), mixed GPU types, degraded links, per-op noise, rank stalls and
** sequence-length imbalance; and its realisation for one plan as engine inputs: replica
** classes with per-op factors and stalls (timeline.h), host speed profiles and link
** factors (plat_xml.h). Does not simulate or analyse. Invariants: a TP group (a host)
** runs at its slowest GPU's speed; same config and seed => identical outputs.
*/
#ifndef DTSIM_SLOW_H
#define DTSIM_SLOW_H

#include "cfg.h"
#include "plan.h"
#include "plat_xml.h"
#include "timeline.h"

/* Which GPUs an entry names. */
typedef enum { SLOW_SEL_GPU = 0, SLOW_SEL_NODE, SLOW_SEL_ALL } slow_sel_kind;
typedef struct {
    slow_sel_kind kind;
    int index;                 /* GPU (global rank, Megatron order) or node; 0 for all */
} slow_sel;

/* A slow device: constant 'factor' (speed multiplier, 1 = nominal), or a
** piecewise-constant profile: factor_pt[i] from time_s[i] (simulated s). */
typedef struct {
    slow_sel sel;
    double factor;
    int n_points;              /* 0 = constant */
    double *time_s, *factor_pt;
    char path[CFGJ_PATH_MAX];  /* JSON path, for messages */
} slow_device;

/* Nodes nodes[0..n_nodes-1] have another GPU type. */
typedef struct {
    int n_nodes;
    int *nodes;
    cfg_gpu gpu;
} slow_gpu_type;

/* A stall of 'duration_s' on the TP group of the GPUs selected, in
** iterations first, first + every, ... */
typedef struct {
    slow_sel sel;
    int every, first;
    double duration_s;
} slow_pause;

typedef enum { SLOW_LEN_LOGNORMAL = 0, SLOW_LEN_UNIFORM, SLOW_LEN_EXPONENTIAL, SLOW_LEN_FILE }
    slow_len_dist;
typedef enum { SLOW_PACK_NONE = 0, SLOW_PACK_PACK, SLOW_PACK_BALANCE } slow_packing;

/* Document lengths (tokens) and how they fill microbatches. */
typedef struct {
    slow_len_dist dist;
    double a, b;               /* lognormal: median, sigma; uniform: min, max;
                                  exponential: mean */
    double *file_len;          /* SLOW_LEN_FILE: lengths to sample from */
    int n_file;
    slow_packing packing;
    int context;               /* tokens per sample (model.seq_len by default) */
    double attention_frac;     /* share of op time growing with s^2; NAN = cost model */
} slow_seqlen;

typedef struct {
    int n_devices;
    slow_device *devices;
    int n_gpu_types;
    slow_gpu_type *gpu_types;
    int n_links;
    plat_link_factor *links;   /* NIC entries name hosts (one per TP group of the node) */
    double noise_sigma;        /* lognormal sigma of per-op noise, 0 = none */
    int n_pauses;
    slow_pause *pauses;
    int has_seqlen;
    slow_seqlen seqlen;
} slow_model;

/* The model realised for one plan: engine inputs and what they touch. */
typedef struct {
    tl_classes classes;        /* owned arrays (slow_plan_free) */
    int n_profiles;
    plat_speed_profile *profiles; /* owned array; point into the slow_model */
    int n_links;
    plat_link_factor *links;   /* owned */
    int min_iterations;        /* iterations needed to see every stall once */
    int baseline_replica;      /* a replica on no profiled host (for a no-slowness
                                  baseline run on the same platform), or -1 */
    int n_slow_hosts;          /* TP groups touched by any source */
    int n_iter;                /* iterations the per-op arrays cover */
    double seq_tokens;         /* seqlen: tokens the last iteration's microbatches hold,
                                  sum(s_i) over every sample of every replica; NAN
                                  without seqlen */
    double seq_tokens_sq;      /* ... and sum(s_i^2) over the documents (pieces) in them */
} slow_plan;

/* Parses 'e->stragglers' (NULL: *out = NULL, returns 0). Returns 0 with a
** new model in *out (free with slow_free), or -1 with 'err' naming the file
** and JSON path (unknown key, negative factor, a value outside its
** documented range, GPU or node out of range, unknown GPU type, bad length
** file line). GPU types and length files are read here. */
int slow_parse(const cfg_experiment *e, slow_model **out, cfg_error *err);
void slow_free(slow_model *m);

/* A run with failures (run.h) times plans per live-node count and does not
** know which GPUs and nodes are alive, so it can only apply slowness that
** names none: devices with "all" and a constant factor, noise and sequence
** lengths. Returns 0, or -1 with 'err' naming the first entry that names a
** GPU or node, varies over time (gpu_types, links, pauses, profiles). */
int slow_check_run_level(const slow_model *m, const cfg_experiment *e, cfg_error *err);
/* One line for a report of such a run, e.g. "every GPU at 0.98x, per-op
** noise (lognormal sigma 0.1)"; "" for a model that slows nothing. */
void slow_describe_run_level(const slow_model *m, char *out, size_t len);

/* Realises 'm' for plan 'p' of 'e' over 'iterations' iterations (seeded
** from e->seed): replicas touched by nothing form class 0, replicas with the
** same constant slowness share a class, every other touched replica is a
** class of its own (noise and sequence lengths touch every replica). Returns
** 0, or -1 with err (two profiles on one TP group, sequence lengths that
** need more than 2^24 documents, out of memory). The plan
** borrows from 'm'; free with slow_plan_free. */
int slow_build(const slow_model *m, const cfg_experiment *e, const plan_t *p, int iterations,
               slow_plan *out, char *err, size_t errlen);
void slow_plan_free(slow_plan *sp);
/* The work of one iteration the reports count (plan_t's tokens_per_iter,
** executed_flops and model_flops) for the documents the last iteration's
** microbatches hold: seq_tokens tokens; the FLOPs that grow with the tokens
** x seq_tokens / (B seq_len), the attention core's x seq_tokens_sq / (B
** seq_len^2) (document-masked attention). Nothing changes without seqlen, or
** for an abstract model (no tokens or FLOPs). */
void slow_scale_plan_work(const slow_plan *sp, const cfg_experiment *e, plan_t *p);

/* Fills microbatches 0..m-1 of 'samples' x 'context' tokens from documents
** drawn by 'draw' (one length per call) under 'packing', writing each
** microbatch's sum(s_i) / (b C) to lin[j] and sum(s_i^2) / (b C^2) to
** quad[j]; an op whose attention share is a then takes (1 - a) * lin[j] +
** a * quad[j] of its nominal time. Packing: none = one document per sample
** (cut at C); pack = documents concatenated and cut every C tokens; balance =
** the pieces of pack, longest first, each to the microbatch with the least
** sum(s_i^2) that has room (split when none has). 'draw' returns a length
** >= 1, or 0 when it has run out (slow.c's stops after 2^24 documents). Time
** grows with the documents drawn; pack needs no memory beyond the arrays,
** balance keeps one double per piece. Returns 0, -1 (out of memory) or -2
** (the draws ran out). Exposed for tests. */
int slow_fill_microbatches(slow_packing packing, int m, int samples, int context,
                           double (*draw)(void *ctx), void *ctx, double *lin, double *quad);

#endif
