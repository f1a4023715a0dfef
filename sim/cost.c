/*
** cost.c -- the transformer cost model (pure layer). See cost.h for sources.
**
** A layer is counted kernel by kernel. Per GPU of a TP group of size t, with
** T = b*s tokens, d = h/a, kv = KV heads, f = ffn hidden:
**   GEMMs  QKV [T x h]x[h x (h+2*kv*d)/t]; scores b*a/t x [s x d]x[d x s];
**          context b*a/t x [s x s]x[s x d]; out [T x h/t]x[h/t x h];
**          MLP up [T x h]x[h x f/t] (x2 for SwiGLU); down [T x f/t]x[f/t x h]
**   memory layernorms, softmax+dropout over the s x s scores, bias+dropout+
**          residual, the activation function: bytes through HBM
**   TP     2 collectives of T*h 16-bit values forward, 2 in the backward
** Backward: the input-gradient op B repeats every GEMM once (attention's two
** batched GEMMs twice, since both operands need gradients) and moves twice the
** forward's memory-bound bytes; the weight-gradient op W repeats the weight
** GEMMs once. This gives F = sbh(24h+4s), B = sbh(24h+8s), W = 24sbh^2 for
** MHA with ffn = 4h, as in Qi et al.
*/
#include "cost.h"

#include <math.h>
#include <string.h>

#define ACT_BYTES 2.0              /* 16-bit activations */
#define FP32 4.0

/* Kernels per layer and op, for the launch overhead (Megatron-LM's fused
** kernels: layernorm, QKV, scores, fused softmax, context, out-proj,
** bias-dropout-add, layernorm, MLP up, bias-gelu, MLP down, bias-dropout-add,
** plus TP collectives). */
#define KERNELS_F 13
#define KERNELS_B 17
#define KERNELS_W 4

double cost_gemm_s(const cfg_gpu *g, double peak, double M, double N, double K, double batch)
{
    if (M <= 0 || N <= 0 || K <= 0 || batch <= 0) return 0;
    /* occupancy: a GEMM with few output tiles cannot fill every SM */
    double out = M * N * batch, half = g->gemm_half_outputs;
    double eff = g->gemm_eff_max * (half > 0 ? out / (out + half) : 1.0);
    /* roofline: the GEMM also has to stream its operands and result once */
    double compute_s = 2.0 * M * N * K * batch / (peak * eff);
    double memory_s = cost_mem_s(g, ACT_BYTES * (M * K + K * N + M * N) * batch);
    return compute_s > memory_s ? compute_s : memory_s;
}

double cost_mem_s(const cfg_gpu *g, double bytes)
{
    return bytes / (g->hbm_bytes_per_s * g->mem_eff);
}

/* ======================================================================
** Parameters and FLOPs
** ====================================================================== */

double cost_layer_params(const cfg_model *m)
{
    double h = m->hidden, d = (double)m->hidden / m->heads, kvd = m->kv_heads * d;
    double f = m->ffn_hidden;
    double attn = h * (h + 2 * kvd) + (h + 2 * kvd) + h * h + h;
    double mlp = m->mlp == MLP_SWIGLU ? 3 * h * f + 2 * f + h : 2 * h * f + f + h;
    return attn + mlp + 4 * h; /* two layernorms (gain + bias) */
}

double cost_total_params(const cfg_model *m)
{
    if (m->kind == MODEL_ABSTRACT) return 0;
    double h = m->hidden;
    double emb = (double)m->vocab * h + (double)m->seq_len * h;   /* token + position */
    double head = m->tied_embeddings ? 0 : (double)m->vocab * h;  /* untied LM head */
    return m->layers * cost_layer_params(m) + emb + head;
}

double cost_megatron_flops(const cfg_model *m, double B, int full_recompute)
{
    double s = m->seq_len, l = m->layers, h = m->hidden, V = m->vocab;
    if (full_recompute) return 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
    return 72 * B * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h));
}

/* Forward GEMM FLOPs of one layer for 'tokens' tokens of 'b' sequences,
** unsharded, split into the weight GEMMs and the attention core. */
static void layer_fwd_flops(const cfg_model *m, double b, double *weights, double *attn)
{
    double s = m->seq_len, h = m->hidden, T = b * s, d = h / m->heads;
    double kvd = m->kv_heads * d, f = m->ffn_hidden;
    double mlp_up = (m->mlp == MLP_SWIGLU ? 2 : 1) * 2 * T * h * f;
    *weights = 2 * T * h * (h + 2 * kvd) + 2 * T * h * h + mlp_up + 2 * T * f * h;
    *attn = 4 * b * s * s * h;
}

static double lm_head_fwd_flops(const cfg_model *m, double b)
{
    return 2.0 * b * m->seq_len * m->hidden * m->vocab;
}

/* FLOPs of one iteration: F + B + W = 3x the forward (the attention core's
** backward is 2x), plus the recomputed forward. */
void cost_iteration_flops_split(const cfg_experiment *e, int with_recompute,
                                double *token_flops, double *attn_flops)
{
    const cfg_model *m = &e->model;
    *token_flops = *attn_flops = 0;
    if (m->kind == MODEL_ABSTRACT) return;
    double B = e->parallel.global_batch_size, wts, attn;
    layer_fwd_flops(m, B, &wts, &attn);
    double per_wts = 3 * wts, per_attn = 3 * attn;
    if (with_recompute) {
        if (e->parallel.recompute == RECOMPUTE_FULL) {
            per_wts += wts;
            per_attn += attn;
        } else if (e->parallel.recompute == RECOMPUTE_SELECTIVE) {
            per_attn += attn;
        }
    }
    *token_flops = m->layers * per_wts + 3 * lm_head_fwd_flops(m, B);
    *attn_flops = m->layers * per_attn;
}

static double iteration_flops(const cfg_experiment *e, int with_recompute)
{
    double tok, attn;
    cost_iteration_flops_split(e, with_recompute, &tok, &attn);
    return tok + attn;
}

double cost_executed_flops(const cfg_experiment *e) { return iteration_flops(e, 1); }
double cost_model_flops(const cfg_experiment *e) { return iteration_flops(e, 0); }

/* ======================================================================
** Per-stage ops
** ====================================================================== */

static void op_add(cost_op *dst, const cost_op *src, double k)
{
    dst->flops += k * src->flops;
    dst->gemm_s += k * src->gemm_s;
    dst->mem_s += k * src->mem_s;
    dst->launch_s += k * src->launch_s;
    dst->attn_s += k * src->attn_s;
    dst->n_tp_colls += (int)lround(k * src->n_tp_colls);
    if (src->tp_bytes > dst->tp_bytes) dst->tp_bytes = src->tp_bytes;
}

/* The ops of one transformer layer for one microbatch on one GPU. 'attn_f'
** receives the attention core alone (what selective recomputation redoes). */
static void layer_ops(const cfg_experiment *e, cost_op *f, cost_op *bwd, cost_op *w, cost_op *attn_f)
{
    const cfg_model *m = &e->model;
    const cfg_gpu *g = &e->cluster.gpu;
    const cfg_parallel *p = &e->parallel;
    double peak = cfg_peak_flops(e);
    double t = p->tp, b = p->microbatch_size, s = m->seq_len, h = m->hidden;
    double T = b * s, d = h / m->heads, kvd = m->kv_heads * d, ff = m->ffn_hidden;
    double heads_local = m->heads / t;
    double T_ln = p->sequence_parallel ? T / t : T; /* tokens in layernorm/dropout regions */
    int swiglu = m->mlp == MLP_SWIGLU;

    memset(f, 0, sizeof *f);
    memset(bwd, 0, sizeof *bwd);
    memset(w, 0, sizeof *w);
    memset(attn_f, 0, sizeof *attn_f);

    /* weight GEMMs, forward: time and FLOPs per GPU */
    double qkv = cost_gemm_s(g, peak, T, (h + 2 * kvd) / t, h, 1);
    double out = cost_gemm_s(g, peak, T, h, h / t, 1);
    double up = cost_gemm_s(g, peak, T, (swiglu ? 2 : 1) * ff / t, h, 1);
    double down = cost_gemm_s(g, peak, T, h, ff / t, 1);
    double wts_gemm_s = qkv + out + up + down;
    double wts_flops, attn_flops;
    layer_fwd_flops(m, b, &wts_flops, &attn_flops);
    wts_flops /= t;
    attn_flops /= t;

    /* Memory-bound kernels, bytes per element moved through HBM (16-bit
    ** values, 1-byte dropout masks), forward / backward:
    **   fused scale-mask-softmax  read + write               4 / 6 (grad, probs -> grad)
    **   dropout                   read + write + mask        5 / 5 (grad, mask -> grad)
    **   layernorm                 read + write               4 / 6 (grad, input -> grad)
    **   bias-dropout-add          x, residual -> out, mask   7 / 7 (grad, mask -> 2 grads)
    **   GeLU / SwiGLU             in -> out                  4 / 6 (6 / 10 for SwiGLU's
    **                                                        two inputs) */
    double scores = cost_gemm_s(g, peak, s, s, d, b * heads_local);
    double context = cost_gemm_s(g, peak, s, d, s, b * heads_local);
    double probs = b * heads_local * s * s;
    attn_f->gemm_s = scores + context;
    attn_f->mem_s = cost_mem_s(g, probs * (4 + 5));
    attn_f->flops = attn_flops;
    attn_f->launch_s = 3 * g->kernel_launch_s;
    attn_f->attn_s = attn_f->gemm_s + attn_f->mem_s;
    double attn_b_mem_s = cost_mem_s(g, probs * (6 + 5));

    double ln = 2 * T_ln * h;       /* elements through the two layernorms */
    double bda = ln;                /* and through the two bias-dropout-adds */
    double act_fn = T * ff / t;     /* through the MLP activation */
    double fwd_bytes = ln * 4 + bda * 7 + act_fn * (swiglu ? 6 : 4);
    double bwd_bytes = ln * 6 + bda * 7 + act_fn * (swiglu ? 10 : 6);

    f->gemm_s = wts_gemm_s + attn_f->gemm_s;
    f->mem_s = cost_mem_s(g, fwd_bytes) + attn_f->mem_s;
    f->flops = wts_flops + attn_flops;
    f->launch_s = KERNELS_F * g->kernel_launch_s;
    f->attn_s = attn_f->attn_s;

    /* B: data gradients of the weight GEMMs (same shapes), the attention
    ** core's two batched GEMMs twice each (both operands need gradients),
    ** and the backward of every memory-bound kernel */
    bwd->gemm_s = wts_gemm_s + 2 * attn_f->gemm_s;
    bwd->mem_s = cost_mem_s(g, bwd_bytes) + attn_b_mem_s;
    bwd->flops = wts_flops + 2 * attn_flops;
    bwd->launch_s = KERNELS_B * g->kernel_launch_s;
    bwd->attn_s = 2 * attn_f->gemm_s + attn_b_mem_s;

    /* W: weight gradients (the GEMMs again) */
    w->gemm_s = wts_gemm_s;
    w->flops = wts_flops;
    w->launch_s = KERNELS_W * g->kernel_launch_s;

    if (t > 1) {
        f->tp_bytes = bwd->tp_bytes = T * h * ACT_BYTES;
        f->n_tp_colls = 2;
        bwd->n_tp_colls = 2;
    }
    f->compute_s = f->gemm_s + f->mem_s + f->launch_s;
    bwd->compute_s = bwd->gemm_s + bwd->mem_s + bwd->launch_s;
    w->compute_s = w->gemm_s + w->mem_s + w->launch_s;
    attn_f->compute_s = attn_f->gemm_s + attn_f->mem_s + attn_f->launch_s;
}

void cost_layer_ops(const cfg_experiment *e, cost_op *f, cost_op *b, cost_op *w)
{
    cost_op attn;
    layer_ops(e, f, b, w, &attn);
    if (e->parallel.recompute == RECOMPUTE_FULL) op_add(b, f, 1);
    else if (e->parallel.recompute == RECOMPUTE_SELECTIVE) op_add(b, &attn, 1);
    b->compute_s = b->gemm_s + b->mem_s + b->launch_s;
}

double cost_layer_act_bytes(const cfg_experiment *e)
{
    const cfg_model *m = &e->model;
    const cfg_parallel *p = &e->parallel;
    double s = m->seq_len, b = p->microbatch_size, h = m->hidden, a = m->heads, t = p->tp;
    double sbh = s * b * h;
    double attn_term = 5 * a * s / h; /* softmax output, dropout mask, scores */
    switch (p->recompute) {
    case RECOMPUTE_FULL:
        return 2 * sbh / (p->sequence_parallel ? t : 1);
    case RECOMPUTE_SELECTIVE:
        return p->sequence_parallel ? 34 * sbh / t : sbh * (10 + 24 / t);
    default:
        if (p->sequence_parallel) return sbh / t * (34 + attn_term);
        return sbh * (10 + 24 / t + attn_term / t);
    }
}

/* Activation one microbatch of one whole layer needs while its backward
** runs (what full recomputation rebuilds), Korthikanti et al. without
** recomputation. */
static double layer_full_act_bytes(const cfg_experiment *e)
{
    const cfg_model *m = &e->model;
    const cfg_parallel *p = &e->parallel;
    double s = m->seq_len, b = p->microbatch_size, h = m->hidden, a = m->heads, t = p->tp;
    double sbh = s * b * h, attn_term = 5 * a * s / h;
    if (p->sequence_parallel) return sbh / t * (34 + attn_term);
    return sbh * (10 + 24 / t + attn_term / t);
}

void cost_stage_ops(const cfg_experiment *e, int vs, int n_vs, cost_stage *out)
{
    const cfg_model *m = &e->model;
    const cfg_parallel *p = &e->parallel;
    const cfg_gpu *g = &e->cluster.gpu;
    memset(out, 0, sizeof *out);
    /* layers come from parallel.stage_layers (cfg.c); an even split otherwise */
    int per = p->stage_layers ? p->stage_layers[vs] : m->layers / n_vs;
    out->first_layer = 0;
    for (int i = 0; i < vs; i++) out->first_layer += p->stage_layers ? p->stage_layers[i] : per;
    out->n_layers = per;
    out->has_embedding = vs == 0;
    out->has_lm_head = vs == n_vs - 1;

    cost_op lf, lb, lw, attn;
    layer_ops(e, &lf, &lb, &lw, &attn);
    op_add(&out->f, &lf, per);
    op_add(&out->b, &lb, per);
    op_add(&out->w, &lw, per);
    if (p->recompute == RECOMPUTE_FULL) op_add(&out->b, &lf, per);
    else if (p->recompute == RECOMPUTE_SELECTIVE) op_add(&out->b, &attn, per);

    double t = p->tp, b = p->microbatch_size, s = m->seq_len, h = m->hidden, V = m->vocab;
    double T = b * s, peak = cfg_peak_flops(e);
    if (out->has_embedding) {
        /* lookup + position add forward; scatter-add of the gradient in W */
        double bytes = T * h * ACT_BYTES * 3;
        out->f.mem_s += cost_mem_s(g, bytes);
        out->w.mem_s += cost_mem_s(g, 2 * bytes);
        out->f.launch_s += 2 * g->kernel_launch_s;
        out->w.launch_s += 2 * g->kernel_launch_s;
    }
    if (out->has_lm_head) {
        /* final layernorm, logits GEMM, cross-entropy in fp32 over V/t */
        double logits = T * V / t;
        double fl = 2 * T * h * V / t;
        out->f.gemm_s += cost_gemm_s(g, peak, T, V / t, h, 1);
        out->f.mem_s += cost_mem_s(g, 2 * T * h * ACT_BYTES + logits * (ACT_BYTES + 3 * FP32));
        out->f.flops += fl;
        out->b.gemm_s += cost_gemm_s(g, peak, T, h, V / t, 1);
        out->b.mem_s += cost_mem_s(g, logits * (FP32 + ACT_BYTES) + 4 * T * h * ACT_BYTES);
        out->b.flops += fl;
        out->w.gemm_s += cost_gemm_s(g, peak, h, V / t, T, 1);
        out->w.flops += fl;
        out->f.launch_s += 4 * g->kernel_launch_s;
        out->b.launch_s += 3 * g->kernel_launch_s;
        out->w.launch_s += 1 * g->kernel_launch_s;
    }
    out->f.compute_s = out->f.gemm_s + out->f.mem_s + out->f.launch_s;
    out->b.compute_s = out->b.gemm_s + out->b.mem_s + out->b.launch_s;
    out->w.compute_s = out->w.gemm_s + out->w.mem_s + out->w.launch_s;

    /* memory and traffic */
    out->act_bytes = per * cost_layer_act_bytes(e);
    if (out->has_embedding) out->act_bytes += T * h * ACT_BYTES / (p->sequence_parallel ? t : 1);
    out->act_working_bytes = p->recompute == RECOMPUTE_FULL ? layer_full_act_bytes(e) : 0;
    out->params = per * (cost_layer_params(m) / t);
    if (out->has_embedding) out->params += (V * h + (double)m->seq_len * h) / t;
    /* The LM head's V x h matrix: its own when untied; a copy of the tied
    ** embedding when the embedding lives on another pipeline rank (Megatron
    ** all-reduces the two copies' gradients, plan.c embed_sync_bytes); none
    ** with PP 1, where the head reads the embedding's weight on the same GPU
    ** (Megatron-LM: the output layer skips its weight when pre_process and
    ** share_embeddings_and_output_weights). Plus the final layernorm. */
    if (out->has_lm_head) {
        int shares_embedding = m->tied_embeddings && p->pp == 1;
        out->params += (shares_embedding ? 0 : V * h / t) + 2 * h;
    }
    out->pp_send_bytes = T * h * ACT_BYTES / (p->pp_scatter_gather ? t : 1);
}

/* ======================================================================
** Optimizer, gradients, memory
** ====================================================================== */

/* Main gradients are fp32 with bf16 (Megatron requires fp32 accumulation
** there) and 16-bit with fp16, as in Megatron SC'21. */
static double grad_bytes_per_param(const cfg_experiment *e)
{
    return e->parallel.precision == PREC_FP16 ? 2.0 : FP32;
}

double cost_state_bytes_per_param(const cfg_experiment *e)
{
    double opt = 12.0; /* fp32 master weights, Adam m and v */
    if (e->parallel.distributed_optimizer) opt /= e->parallel.dp;
    return 2.0 + grad_bytes_per_param(e) + opt;
}

double cost_grad_bytes(const cfg_experiment *e, double params)
{
    return params * grad_bytes_per_param(e);
}

double cost_optimizer_s(const cfg_experiment *e, double params)
{
    double local = e->parallel.distributed_optimizer ? params / e->parallel.dp : params;
    /* Adam: read grad, master, m, v; write master, m, v, 16-bit weights */
    double bytes = local * (grad_bytes_per_param(e) + 3 * FP32 + 3 * FP32 + 2.0);
    return cost_mem_s(&e->cluster.gpu, bytes) + 8 * e->cluster.gpu.kernel_launch_s;
}

void cost_device_memory(const cfg_experiment *e, const cost_stage *stages, int n,
                        const double *peak_inflight, cost_memory *out)
{
    const cfg_model *m = &e->model;
    const cfg_parallel *p = &e->parallel;
    memset(out, 0, sizeof *out);
    double working = 0;
    for (int i = 0; i < n; i++) {
        out->params += stages[i].params;
        out->act_bytes += peak_inflight[i] * stages[i].act_bytes;
        if (stages[i].act_working_bytes > working) working = stages[i].act_working_bytes;
        if (stages[i].has_lm_head) {
            /* fp32 logits and their gradient for one microbatch */
            double logits = (double)p->microbatch_size * m->seq_len * m->vocab / p->tp;
            out->other_bytes += 2 * FP32 * logits;
        }
    }
    out->state_bytes = out->params * cost_state_bytes_per_param(e);
    out->other_bytes += working + e->cluster.gpu.mem_reserved_bytes;
    out->total_bytes = out->state_bytes + out->act_bytes + out->other_bytes;
    out->fits = out->total_bytes <= e->cluster.gpu.hbm_bytes;
}
