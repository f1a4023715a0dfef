/*
** cost.h -- the transformer cost model: parameters, FLOPs, bytes, memory, op
** times on one GPU (pure layer).
**
** Owns everything that turns a model + parallel plan + GPU spec into numbers
** for one pipeline stage: FLOPs of the F, B (input gradient) and W (weight
** gradient) ops of one microbatch, the time of those ops on one GPU (a
** roofline of GEMMs at a shape-dependent efficiency, memory-bound kernels at
** the HBM bandwidth, and a launch overhead per kernel; all constants from the
** GPU spec), the bytes of tensor-, pipeline- and data-parallel traffic, and
** the memory a stage needs. It does not schedule or simulate anything.
**
** Sources. FLOPs per layer: Narayanan et al., SC'21 (App. A: 24bsh^2 + 4bs^2h
** forward) and Qi et al., ICLR'24 (F = sbh(24h+4s), B = sbh(24h+8s),
** W = 24sbh^2), generalised here to GQA and SwiGLU by counting each GEMM.
** Activation memory: Korthikanti et al., MLSys'23, Table 2 (per layer, 16-bit):
** none sbh(34 + 5as/h); TP t: sbh(10 + 24/t + 5as/(ht)); TP+SP sbh/t (34 +
** 5as/h); selective 34sbh/t (with SP); full recompute 2sbh (layer input).
** Model-state bytes: 16 per parameter (mixed-precision Adam), 6 + 12/dp with
** a distributed optimizer (Megatron-LM).
*/
#ifndef DTSIM_COST_H
#define DTSIM_COST_H

#include "cfg.h"

/* One op (F, B or W) of one microbatch on one virtual stage, per GPU of the
** stage's TP group. */
typedef struct {
    double flops;          /* executed FLOPs on one GPU (recomputation included) */
    double gemm_s;         /* time in GEMMs */
    double mem_s;          /* time in memory-bound kernels */
    double launch_s;       /* kernel launch overhead */
    double compute_s;      /* gemm_s + mem_s + launch_s */
    double attn_s;         /* part of gemm_s + mem_s in the attention core (scores,
                              softmax, context): grows with s^2, the rest with s */
    double tp_bytes;       /* payload of each TP collective (bytes) */
    int n_tp_colls;        /* TP collectives (all-reduce, or RS+AG pairs with SP) */
} cost_op;

/* Per virtual stage: its layers and the three ops of one microbatch. */
typedef struct {
    int first_layer, n_layers;
    int has_embedding, has_lm_head;
    cost_op f, b, w;       /* b is the input gradient only; b + w = full backward */
    double act_bytes;      /* activation memory one microbatch leaves on this stage */
    double act_working_bytes; /* extra while one layer's backward runs (recompute buffer) */
    double params;         /* parameters held per GPU of this stage */
    double pp_send_bytes;  /* activation sent to the next stage, per TP rank */
} cost_stage;

/* Memory of one device (pipeline rank), per GPU. */
typedef struct {
    double params;         /* parameters held (count) */
    double state_bytes;    /* weights + grads + optimizer */
    double act_bytes;      /* peak activations (schedule's peak in flight) */
    double other_bytes;    /* logits, working buffers, reserved workspace */
    double total_bytes;
    int fits;
} cost_memory;

/* ---- whole-model counts ---------------------------------------------------- */

/* Parameters of one transformer layer (unsharded). */
double cost_layer_params(const cfg_model *m);
/* Total parameters, tied input/output embedding counted once unless untied;
** GPT-3/Megatron SC'21 form: 12lh^2(1 + 13/(12h) + (V+s)/(12lh)). */
double cost_total_params(const cfg_model *m);
/* Megatron SC'21 FLOPs per iteration of a batch of B sequences:
** 96Bslh^2(1 + s/(6h) + V/(16lh)) with full recomputation, and the model
** FLOPs without recomputation 72Bslh^2(1 + s/(6h) + V/(12lh)), both for
** GELU MLPs with ffn = 4h; for other shapes the same counting is done GEMM
** by GEMM (cost_model_flops). */
double cost_megatron_flops(const cfg_model *m, double batch, int full_recompute);
/* FLOPs the plan executes per iteration (all GPUs), recomputation included,
** counted GEMM by GEMM, and model FLOPs (no recomputation). */
double cost_executed_flops(const cfg_experiment *e);
double cost_model_flops(const cfg_experiment *e);
/* The same FLOPs split into the part that grows with the tokens (weight GEMMs,
** LM head) and the attention core's (scores and context: s^2 per sequence),
** for sequences that hold shorter documents (slow.h's seqlen). Their sum is
** cost_executed_flops (with_recompute = 1) or cost_model_flops (0). */
void cost_iteration_flops_split(const cfg_experiment *e, int with_recompute,
                                double *token_flops, double *attn_flops);

/* ---- per stage --------------------------------------------------------------- */

/* Fill 'out' for virtual stage 'vs' of n_vs = pp * v. Layers per stage come
** from parallel.stage_layers (even when NULL); the embedding sits on stage 0,
** the LM head and loss on the last. */
void cost_stage_ops(const cfg_experiment *e, int vs, int n_vs, cost_stage *out);

/* Time of a GEMM [M x K] x [K x N], 'batch' times, on one GPU (s): the
** roofline max of 2MNK*batch / (peak * eff) with eff = gemm_max * W/(W +
** gemm_half_outputs), W = M*N*batch output elements (SM occupancy), and
** 16-bit operands + result through HBM. */
double cost_gemm_s(const cfg_gpu *g, double peak_flops_per_s, double M, double N, double K,
                   double batch);
/* Time of a memory-bound kernel moving 'bytes' through HBM (s). */
double cost_mem_s(const cfg_gpu *g, double bytes);

/* Optimizer step time per GPU of a stage holding 'params' parameters (s). */
double cost_optimizer_s(const cfg_experiment *e, double params);
/* Gradient bytes a stage all-reduces over DP per iteration, per GPU. */
double cost_grad_bytes(const cfg_experiment *e, double params);
/* Model-state bytes per parameter (weights, grads, optimizer). */
double cost_state_bytes_per_param(const cfg_experiment *e);

/* Memory of a device holding stages 'stages[0..n-1]' whose schedule keeps at
** most 'peak_inflight[i]' microbatches of stage i alive. */
void cost_device_memory(const cfg_experiment *e, const cost_stage *stages, int n,
                        const double *peak_inflight, cost_memory *out);

/* One transformer layer's F, B (input gradient, recomputation included) and
** W ops for one microbatch on one GPU of a TP group of e->parallel.tp. */
void cost_layer_ops(const cfg_experiment *e, cost_op *f, cost_op *b, cost_op *w);

/* Bytes of 16-bit activation for one layer and one microbatch, stored until
** its backward (Korthikanti et al.; see the header comment). */
double cost_layer_act_bytes(const cfg_experiment *e);

#endif
