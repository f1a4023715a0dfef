/*
** plan.h -- the iteration plan: everything the engine executes, in seconds and
** bytes, with no transformer knowledge left (pure layer).
**
** Owns the translation of an experiment (cfg) through the cost model (cost)
** and a schedule (sched) into: per-device op lists, per-virtual-stage op
** durations and TP collective volumes, pipeline transfer sizes, data-parallel
** gradient buckets, optimizer and embedding-sync costs, the memory of every
** device, and the mapping of (pipeline rank, DP replica) to platform hosts.
** The engine (eng.c) only reads a plan; tests can build one by hand.
**
** Invariants: sched passes sched_check; arrays sized n_vs = pp*v (stage data)
** or pp (device data); durations >= 0; with model.kind == abstract, TP and DP
** traffic are zero and every cross-device edge costs comm_delay_s exactly.
*/
#ifndef DTSIM_PLAN_H
#define DTSIM_PLAN_H

#include "cfg.h"
#include "cost.h"
#include "sched.h"

typedef struct {
    /* shape */
    int pp, dp, tp, v, m;
    sched_t sched;
    int abstract;                 /* abstract mode: fixed comm delays, no TP/DP traffic */

    /* per virtual stage [n_vs]: compute seconds of one microbatch's op, and
    ** the TP collectives it issues (count, payload bytes each) */
    int n_vs;
    double *f_s, *b_s, *w_s;
    int *f_tp_colls, *b_tp_colls;
    double *tp_bytes;
    double *pp_bytes;             /* activation/gradient per transfer, per TP rank */
    double comm_delay_s;          /* abstract mode: delay of each cross-device edge */
    double tp_alpha_s;            /* latency per TP collective step */
    int tp_overlap;
    int pp_overlap;               /* 0: a device waits for its own pipeline sends */

    /* per device [pp] */
    double *grad_bytes;           /* DP gradient volume per GPU */
    int *n_buckets;
    double *optimizer_s;
    double embed_sync_bytes;      /* tied embedding grads, first <-> last device */
    int dp_overlap;
    cfg_coll_algo dp_algorithm;
    double dp_alpha_s;            /* latency per DP collective step */
    double dp_host_bytes_per_s;   /* NIC bandwidth of one TP group (for ring/tree choice) */

    /* memory per device [pp] */
    cost_memory *mem;
    double *peak_inflight;        /* peak live microbatch activations (stage units:
                                     chunk microbatches / v) */
    double *act_bytes_vs;         /* [n_vs] activation one microbatch leaves on each
                                     virtual stage until its W (0 in abstract mode) */
    int fits;                     /* every device fits in GPU memory */

    /* platform mapping: host of (device d, replica r) = host_of[d*dp + r] */
    int *host_of;

    /* accounting */
    double executed_flops, model_flops;  /* per iteration, all GPUs */
    double tokens_per_iter;
    double peak_flops_per_gpu;
    int n_gpus;
} plan_t;

/* Build the plan of experiment 'e'. Returns 0, or -1 with a message in err
** (schedule cannot be built for this shape). Free with plan_free. */
int plan_build(const cfg_experiment *e, plan_t *out, char *err, size_t errlen);
void plan_free(plan_t *p);

/* Seconds of the op the engine runs for 'op' on device 'dev':
** F -> f_s, B -> b_s (+ w_s when the schedule does not split), W -> w_s. */
double plan_op_s(const plan_t *p, int dev, const sched_op *op);
/* TP collectives issued by that op. */
int plan_op_tp_colls(const plan_t *p, int dev, const sched_op *op);

/* Bytes one GPU moves through its NVLink for 'n' ring all-reduces of 'bytes'
** each over the TP group: 2(t-1)/t * bytes each (with sequence parallelism a
** reduce-scatter plus an all-gather move the same); and their 2(t-1)
** latency steps each (s). Both 0 when tp == 1 or n == 0. */
double plan_tp_bytes(const plan_t *p, int n, double bytes);
double plan_tp_latency_s(const plan_t *p, int n);
/* One ring all-reduce of 'bytes' over k ranks: the bytes through each
** rank's link in each direction, 2(k-1)/k * bytes, in 2(k-1) latency steps.
** Both 0 when k <= 1. */
double plan_ring_bytes(int k, double bytes);
double plan_ring_steps(int k);

/* Latency of one collective step (s): the link latencies its platform path
** crosses, two NVLink links within a node (each GPU's link to the switch),
** four fabric links between nodes (host, leaf, spine, leaf, host). */
double plan_tp_alpha_s(const cfg_cluster *cl);
double plan_dp_alpha_s(const cfg_cluster *cl);

/* Effective NIC bandwidth one GPU gets (bytes/s): the node's NICs at their
** efficiency, shared by its GPUs. */
double plan_gpu_nic_bytes_per_s(const cfg_cluster *cl);

/* Per-rank volume (bytes, each direction) and latency (s) of one DP
** all-reduce of 'bytes' over the plan's dp ranks: ring, tree, or the faster
** of the two at dp_host_bytes_per_s (dp_algorithm). */
void plan_dp_allreduce(const plan_t *p, double bytes, double *vol_bytes, double *lat_s);

#endif
