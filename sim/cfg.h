/*
** cfg.h -- experiment configuration: load, include, override, validate (pure layer).
**
** Owns the plain-C description of one experiment (model, GPU, cluster,
** parallel plan, engine options, seed) and its loading from JSON: a model or
** cluster may be inline or a name/path resolved in models/, configs/clusters/
** and configs/gpus/; `--set dotted.key=value` overrides are applied to the
** JSON tree before validation; unknown keys, wrong types and inconsistent
** plans are rejected with the file and JSON path. Units are converted here,
** once, to base units (seconds, bytes, FLOP/s, bytes/s): no other module sees
** GB, ms or TFLOPS. The config sections owned by other modules (failures,
** resilience, stragglers) are handed to their parsers from here.
**
** Invariants after cfg_load() == 0: tp*pp*dp == total GPUs (transformer mode),
** gpus_per_node % tp == 0, stage_layers sums to the model's layers (each
** entry >= 1), global batch divisible by microbatch_size*dp, and every size
** and rate > 0.
*/
#ifndef DTSIM_CFG_H
#define DTSIM_CFG_H

#include "cfg_json.h"
#include "sched.h"

#define CFG_NAME_MAX 128
#define CFG_MAX_OVERRIDES 64
#define CFG_OVERRIDES_TEXT_MAX 1024
/* The engine simulates every microbatch on every (virtual) stage, at about
** 0.8 KB and 14 us each (measured: 96,000 microbatches x 24 chunks, 1.8 GB,
** 31 s); 2^22 of them per iteration is about 3.3 GB and a minute. */
#define CFG_MAX_MICROBATCH_STAGES (1L << 22)

typedef enum { MODEL_TRANSFORMER = 0, MODEL_ABSTRACT = 1 } cfg_model_kind;
typedef enum { MLP_GELU = 0, MLP_SWIGLU = 1 } cfg_mlp_kind;
typedef enum { RECOMPUTE_NONE = 0, RECOMPUTE_SELECTIVE = 1, RECOMPUTE_FULL = 2 } cfg_recompute;
typedef enum { PREC_BF16 = 0, PREC_FP16 = 1, PREC_FP8 = 2 } cfg_precision;
typedef enum { COLL_AUTO = 0, COLL_RING = 1, COLL_TREE = 2 } cfg_coll_algo;

typedef struct {
    char name[CFG_NAME_MAX];
    char file[CFGJ_FILE_MAX];     /* where it was defined ("" = inline) */
    cfg_model_kind kind;
    /* transformer */
    int layers, hidden, heads, kv_heads, seq_len, vocab, ffn_hidden;
    cfg_mlp_kind mlp;
    int tied_embeddings;          /* LM head shares the embedding matrix */
    /* abstract: seconds per microbatch on one whole stage; memory in
    ** microbatch units; used when kind == MODEL_ABSTRACT */
    double t_f_s, t_b_s, t_w_s, t_comm_s;
} cfg_model;

/* GPU spec: peak rates, memory, and the efficiency model calibrated once per
** GPU type (see configs/gpus/README.md for the procedure). */
typedef struct {
    char name[CFG_NAME_MAX];
    char file[CFGJ_FILE_MAX];
    double peak_bf16_flops_per_s, peak_fp16_flops_per_s, peak_fp8_flops_per_s;
    double hbm_bytes, hbm_bytes_per_s;
    double nvlink_bytes_per_s;    /* per GPU, per direction */
    /* efficiency model */
    double gemm_eff_max;          /* achieved/peak for very large GEMMs */
    double gemm_half_outputs;     /* output elements (M*N*batch) at which a GEMM reaches half
                                     of gemm_eff_max: too few output tiles leave SMs idle */
    double mem_eff;               /* achieved/peak HBM bandwidth for memory-bound kernels */
    double kernel_launch_s;       /* fixed overhead per kernel */
    double mem_reserved_bytes;    /* framework/workspace memory not available to the model */
} cfg_gpu;

typedef enum { TOPO_FAT_TREE = 0 } cfg_topology;

typedef struct {
    char name[CFG_NAME_MAX];
    char file[CFGJ_FILE_MAX];
    cfg_gpu gpu;
    int nodes, gpus_per_node;
    double nvlink_bytes_per_s;    /* per GPU per direction (default: the GPU's) */
    double nvlink_latency_s;
    double nvlink_eff, nic_eff;   /* achieved collective bus bandwidth / link bandwidth (NCCL) */
    double nic_bytes_per_s;       /* per NIC per direction */
    int nics_per_node;
    double nic_latency_s;         /* per link hop */
    cfg_topology topology;
    int nodes_per_leaf;           /* leaf (top-of-rack) switch radix in nodes */
    double oversubscription;      /* leaf down:up bandwidth ratio, 1 = non-blocking */
} cfg_cluster;

typedef struct {
    int tp, pp, dp;
    int microbatch_size, global_batch_size;
    int n_microbatches;           /* derived: global / (mbs * dp) */
    sched_type schedule;
    int virtual_stages;           /* chunks per device (interleaved; V family = 2) */
    int group_size;               /* interleaved microbatch group (0 = pp) */
    cfg_recompute recompute;
    int sequence_parallel;
    int distributed_optimizer;    /* shard optimizer state over DP (ZeRO-1 style) */
    int dp_overlap;               /* overlap gradient reduction with backward */
    double dp_bucket_bytes;
    cfg_coll_algo dp_algorithm;
    int tp_overlap;               /* overlap TP communication with compute */
    int pp_scatter_gather;        /* send 1/tp of activations per TP rank */
    int pp_overlap;               /* pipeline sends overlap compute (else the sender waits) */
    cfg_precision precision;
    double zb_mem_limit;          /* ZB-1p/2p limit in microbatches (0 = default) */
    int *stage_layers;            /* [pp * virtual_stages] layers of each virtual stage
                                     (transformer mode; owned, freed by cfg_free) */
} cfg_parallel;

typedef struct {
    int exploit_symmetry;         /* simulate identical DP replicas once */
    int iterations;               /* iterations to simulate (steady state) */
    int progress;                 /* progress line on stderr */
} cfg_engine;

/* One `--set key=value` override: dotted path into the experiment JSON
** ("parallel.tp=4", "model.hidden=8192", "cluster.gpu=h100-sxm"). The value is
** parsed as JSON if it is valid JSON, else taken as a string. */
typedef struct {
    int n;
    const char *items[CFG_MAX_OVERRIDES];   /* borrowed "key=value" strings */
} cfg_overrides;

typedef struct {
    char file[CFGJ_FILE_MAX];     /* the experiment file */
    char name[CFG_NAME_MAX];
    cfg_overrides ov;             /* the --set items applied (borrowed from the caller, as
                                  ** cfg_load's 'ov'): reports name them (cfg_overrides_text),
                                  ** so a modified config is not shown under its file's name,
                                  ** and sections parsed later blame their errors on them */
    cfg_model model;
    cfg_cluster cluster;
    cfg_parallel parallel;
    cfg_engine engine;
    unsigned long seed;
    /* sections owned by other modules, kept as JSON (deep copies, freed by
    ** cfg_free) until their modules parse them; NULL when absent */
    cJSON *failures, *resilience, *stragglers;
} cfg_experiment;

/* Load experiment 'path', apply 'ov' (may be NULL), resolve includes,
** validate. Returns 0, or -1 with 'err' naming file and JSON path. The
** experiment is caller-owned; release with cfg_free. */
int cfg_load(const char *path, const cfg_overrides *ov, cfg_experiment *out, cfg_error *err);
void cfg_free(cfg_experiment *e);

/* For configs that are not experiments (`dtsim resilience` profiles): apply
** 'ov' to the JSON tree 'root' as cfg_load does (0, or -1 with 'err'), and
** after a later error at a path an override set, name that override as the
** error's source instead of the file. */
int cfg_apply_overrides(cJSON *root, const cfg_overrides *ov, cfg_error *err);
/* The "key=value" items of 'ov', space-separated, into 'text' ("" if none);
** a list that does not fit ends in "...". */
void cfg_overrides_text(const cfg_overrides *ov, char *text, size_t size);
/* An error at a path an override set is that override's ("--set k=v"); one
** at a path under which (or under whose parent) overrides set values, as a
** cross-key check's, or at "$", names them after the file ("x.json with
** --set k=v, --set ..."). */
void cfg_blame_overrides(const cfg_overrides *ov, cfg_error *err);
/* Does dotted 'key' have an empty part ("parallel..pp", ".parallel.pp",
** "parallel.pp.")? strtok would read them all as parallel.pp. */
int cfg_key_has_empty_part(const char *key);

/* Load a GPU spec by name ("a100-80g") or path, named at 'json_path' of
** 'from_file' (an unknown name is an error there; one inside the spec file
** is that file's). */
int cfg_load_gpu(const char *name_or_path, const char *from_file, const char *json_path,
                 cfg_gpu *out, cfg_error *err);

/* Total GPUs of the cluster. */
int cfg_total_gpus(const cfg_experiment *e);
/* Peak dense FLOP/s of the GPU at the plan's precision. */
double cfg_peak_flops(const cfg_experiment *e);

/* Where models/ and configs/ live: $DTSIM_HOME, else the build-time path. */
const char *cfg_home(void);

/* Names for messages and reports. */
extern const char *const cfg_recompute_names[3];
extern const char *const cfg_precision_names[3];

#endif
