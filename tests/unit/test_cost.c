/*
** test_cost.c -- the transformer cost model against published closed forms.
**
** Expected values:
**   parameters  12lh^2(1 + 13/(12h) + (V+s)/(12lh)), which reproduces the
**               "params" column of Megatron-LM SC'21 Table 1 (reference README)
**   FLOPs       96Bslh^2(1 + s/6h + V/16lh) with full recomputation and
**               72Bslh^2(1 + s/6h + V/12lh) without (SC'21 App. A)
**   F, B, W     sbh(24h+4s), sbh(24h+8s), 24sbh^2 per layer (Qi et al., ICLR'24)
**   activations Korthikanti et al., MLSys'23, Table 2 (16-bit, per layer)
**   state       16 bytes/param mixed-precision Adam with fp16; 6 + 12/d with a
**               distributed optimizer and fp32 main gradients (reference README)
**   roofline    a GEMM is compute-bound at large sizes, memory-bound when one
**               dimension is tiny
*/
#include "testlib.h"
#include "cfg_fixture.h"

#include "cfg.h"
#include "cost.h"

#include <string.h>

/* Table 1's parameter column, in billions, to its printed precision. */
static void test_params_table1(void **state)
{
    (void)state;
    static const struct { const char *file; double billions; } rows[] = {
        {"1.7b", 1.7}, {"3.6b", 3.6}, {"7.5b", 7.5}, {"18.4b", 18.4}, {"39.1b", 39.1},
        {"76.1b", 76.1}, {"145.6b", 145.6}, {"310.1b", 310.1}, {"529.6b", 529.6},
        {"1008.0b", 1008.0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/configs/papers/megatron_sc21/%s.json", DTSIM_HOME,
                 rows[i].file);
        cfg_experiment e;
        load(&e, path, 0, NULL);
        double l = e.model.layers, h = e.model.hidden, V = e.model.vocab, s = e.model.seq_len;
        double closed = 12 * l * h * h * (1 + 13 / (12 * h) + (V + s) / (12 * l * h));
        assert_rel(cost_total_params(&e.model), closed, 1e-12);
        assert_close(cost_total_params(&e.model) / 1e9, rows[i].billions, 0.05 + 1e-9);
        cfg_free(&e);
    }
}

/* Executed and model FLOPs counted GEMM by GEMM equal Megatron's formulas,
** written out here (SC'21 App. A) rather than taken from cost_megatron_flops,
** which is checked against the same expressions. */
static void test_flops_megatron(void **state)
{
    (void)state;
    cfg_experiment e;
    load(&e, TEST_PATH("configs/papers/megatron_sc21/145.6b.json"), 0, NULL);
    double B = e.parallel.global_batch_size, s = e.model.seq_len, l = e.model.layers;
    double h = e.model.hidden, V = e.model.vocab;
    double full = 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
    double none = 72 * B * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h));
    assert_rel(cost_executed_flops(&e), full, 1e-12);
    assert_rel(cost_model_flops(&e), none, 1e-12);
    /* the attention core's share: 96Bslh^2 s/6h = 16Bs^2lh with full
    ** recomputation (4 passes of 4Bs^2h), 12Bs^2lh without (3 passes) */
    double tok, attn;
    cost_iteration_flops_split(&e, 1, &tok, &attn);
    assert_rel(attn, 16 * B * s * s * l * h, 1e-12);
    assert_rel(tok + attn, full, 1e-12);
    cost_iteration_flops_split(&e, 0, &tok, &attn);
    assert_rel(attn, 12 * B * s * s * l * h, 1e-12);
    assert_rel(tok + attn, none, 1e-12);
    assert_rel(cost_megatron_flops(&e.model, B, 1), full, 1e-12);
    assert_rel(cost_megatron_flops(&e.model, B, 0), none, 1e-12);
    cfg_free(&e);
}

/* Per-layer F, B, W FLOPs of the Zero Bubble paper (TP 1, no recompute). */
static void test_fbw_flops(void **state)
{
    (void)state;
    static const char *const sets[] = {"parallel.recompute=\"none\""};
    cfg_experiment e;
    load(&e, TEST_PATH("configs/papers/megatron_sc21/1.7b.json"), 1, sets);
    cost_op f, b, w;
    cost_layer_ops(&e, &f, &b, &w);
    double s = e.model.seq_len, h = e.model.hidden, bb = e.parallel.microbatch_size;
    assert_rel(f.flops, s * bb * h * (24 * h + 4 * s), 1e-12);
    assert_rel(b.flops, s * bb * h * (24 * h + 8 * s), 1e-12);
    assert_rel(w.flops, 24 * s * bb * h * h, 1e-12);
    cfg_free(&e);
}

/* Memory-bound time of a layer's ops from the per-kernel byte table of
** cost.c's header (16-bit values, 1-byte masks; forward / backward bytes per
** element): softmax 4/6 and dropout 5/5 on the b(a/t)s^2 scores; two
** layernorms 4/6 and two bias-dropout-adds 7/7 on T h elements each (T = sb,
** divided by t with sequence parallelism); GeLU 4/6 on T f/t elements. W has
** no memory-bound kernel. 145.6B: TP 8, no recomputation, no SP. */
static void test_layer_mem_bytes(void **state)
{
    (void)state;
    static const char *const sets[] = {"parallel.recompute=\"none\"",
                                       "parallel.sequence_parallel=false"};
    cfg_experiment e;
    load(&e, TEST_PATH("configs/papers/megatron_sc21/145.6b.json"), 2, sets);
    cost_op f, b, w;
    cost_layer_ops(&e, &f, &b, &w);
    double s = e.model.seq_len, h = e.model.hidden, a = e.model.heads, ff = e.model.ffn_hidden;
    double t = e.parallel.tp, T = s * e.parallel.microbatch_size;
    double probs = e.parallel.microbatch_size * a / t * s * s, ln = 2 * T * h, bda = 2 * T * h;
    double bw = e.cluster.gpu.hbm_bytes_per_s * e.cluster.gpu.mem_eff;
    assert_true(t > 1);
    double fwd = probs * (4 + 5) + ln * 4 + bda * 7 + T * ff / t * 4;
    double bwd = probs * (6 + 5) + ln * 6 + bda * 7 + T * ff / t * 6;
    assert_rel(f.mem_s, fwd / bw, 1e-12);
    assert_rel(b.mem_s, bwd / bw, 1e-12);
    assert_close(w.mem_s, 0, 0);
    cfg_free(&e);
}

/* Tensor-parallel collectives of a layer (Shoeybi et al. 2019, Fig. 4; SC'21
** §2.3): two all-reduces of the T x h activations (16-bit: 2sbh bytes) in the
** forward (after attention and after the MLP), two in the backward; full
** recomputation repeats the forward's two in the backward; none at TP 1. */
static void test_tp_collectives(void **state)
{
    (void)state;
    static const char *const none[] = {"parallel.recompute=\"none\""};
    static const char *const full[] = {"parallel.recompute=\"full\""};
    static const char *const tp1[] = {"parallel.recompute=\"none\"", "parallel.tp=1",
                                      "parallel.dp=192", "parallel.schedule=\"1f1b\"",
                                      "parallel.virtual_stages=1"};
    const char *cfg = TEST_PATH("configs/papers/megatron_sc21/145.6b.json"); /* TP 8 */
    cfg_experiment e;
    cost_op f, b, w;
    load(&e, cfg, 1, none);
    cost_layer_ops(&e, &f, &b, &w);
    double sbh = e.model.seq_len * e.parallel.microbatch_size * e.model.hidden;
    assert_int_equal(f.n_tp_colls, 2);
    assert_int_equal(b.n_tp_colls, 2);
    assert_int_equal(w.n_tp_colls, 0);
    assert_rel(f.tp_bytes, 2 * sbh, 1e-12);
    assert_rel(b.tp_bytes, 2 * sbh, 1e-12);
    cfg_free(&e);
    load(&e, cfg, 1, full);
    cost_layer_ops(&e, &f, &b, &w);
    assert_int_equal(b.n_tp_colls, 4);
    cfg_free(&e);
    load(&e, cfg, 5, tp1);
    cost_layer_ops(&e, &f, &b, &w);
    assert_int_equal(f.n_tp_colls + b.n_tp_colls, 0);
    cfg_free(&e);
}

/* Activation memory per layer, Korthikanti et al. Table 2. */
static void test_activation_bytes(void **state)
{
    (void)state;
    const char *cfg = TEST_PATH("configs/papers/megatron_sc21/145.6b.json");
    static const char *const none[] = {"parallel.recompute=\"none\""};
    static const char *const sp[] = {"parallel.recompute=\"none\"", "parallel.sequence_parallel=true"};
    static const char *const sel[] = {"parallel.recompute=\"selective\"", "parallel.sequence_parallel=true"};
    static const char *const sel_tp[] = {"parallel.recompute=\"selective\"", "parallel.sequence_parallel=false"};
    static const char *const full[] = {"parallel.recompute=\"full\""};
    cfg_experiment e;
    load(&e, cfg, 1, none);
    double s = e.model.seq_len, b = e.parallel.microbatch_size, h = e.model.hidden;
    double a = e.model.heads, t = e.parallel.tp, sbh = s * b * h;
    assert_rel(cost_layer_act_bytes(&e), sbh * (10 + 24 / t + 5 * a * s / (h * t)), 1e-12);
    cfg_free(&e);
    load(&e, cfg, 2, sp);
    assert_rel(cost_layer_act_bytes(&e), sbh / t * (34 + 5 * a * s / h), 1e-12);
    cfg_free(&e);
    load(&e, cfg, 2, sel);
    assert_rel(cost_layer_act_bytes(&e), 34 * sbh / t, 1e-12);
    cfg_free(&e);
    load(&e, cfg, 2, sel_tp); /* Table 2's "selective, tensor parallel" row */
    assert_rel(cost_layer_act_bytes(&e), sbh * (10 + 24 / t), 1e-12);
    cfg_free(&e);
    load(&e, cfg, 1, full);
    assert_rel(cost_layer_act_bytes(&e), 2 * sbh, 1e-12);
    cfg_free(&e);
}

static void test_state_bytes(void **state)
{
    (void)state;
    const char *cfg = TEST_PATH("configs/papers/megatron_sc21/145.6b.json"); /* fp16, DP 24 */
    static const char *const dist[] = {"parallel.precision=\"bf16\"", "parallel.distributed_optimizer=true"};
    cfg_experiment e;
    load(&e, cfg, 0, NULL);
    assert_close(cost_state_bytes_per_param(&e), 16, 1e-12);
    cfg_free(&e);
    load(&e, cfg, 2, dist);
    assert_close(cost_state_bytes_per_param(&e), 6 + 12.0 / e.parallel.dp, 1e-12);
    cfg_free(&e);
}

/* Roofline: a large square GEMM runs at peak * efficiency; one with a
** 16-wide inner dimension is bound by moving its operands and result. */
static void test_gemm_roofline(void **state)
{
    (void)state;
    cfg_gpu g;
    memset(&g, 0, sizeof g);
    g.gemm_eff_max = 0.8;
    g.gemm_half_outputs = 0;
    g.hbm_bytes_per_s = 2e12;
    g.mem_eff = 1;
    double peak = 300e12, n = 8192;
    assert_rel(cost_gemm_s(&g, peak, n, n, n, 1), 2 * n * n * n / (peak * 0.8), 1e-12);
    double small = cost_gemm_s(&g, peak, n, n, 16, 1);
    assert_rel(small, 2.0 * (n * 16 + 16 * n + n * n) / 2e12, 1e-12);
    /* occupancy: W = half_outputs halves the efficiency */
    g.gemm_half_outputs = n * n;
    assert_rel(cost_gemm_s(&g, peak, n, n, n, 1), 2 * n * n * n / (peak * 0.4), 1e-12);
}

/* Llama-3-405B-shaped model (GQA: 128 heads, 8 KV heads; SwiGLU, ffn 53248;
** untied LM head; seq 8192, vocab 128256) on H100, TP 8, SP, from the bench
** config. */
#define LLAMA_CFG TEST_PATH("configs/bench/16k-h100.json")

/* Total parameters of Llama 3 405B: 126 layers (Dubey et al. 2024, Table 3),
** the first and last pipeline stage one layer lighter as in the paper. dtsim's
** layer also has biases and two 2h layernorms, and the model a learned
** position table, which Llama (no biases, RMSNorm gains, RoPE) lacks:
**   dtsim  L[h(h+2kd) + (h+2kd) + h^2 + h + 3hf + 2f + h + 4h] + 2Vh + sh
**   Llama  L[h(h+2kd) + h^2 + 3hf + 2h] + 2Vh + h = 405,853,388,800
** with kd = kv_heads * h/heads. The Llama count without those extras is the
** paper's nominal "405B" (Table 3: 126 layers, model dimension 16,384, FFN
** dimension 53,248, 128 heads, 8 KV heads, vocabulary 128K) within 1B: the
** closed form gives 405.85B for that shape. The untied LM head is 2.1B of
** it, the SwiGLU MLP's third matrix 110B. */
static void test_params_llama3_405b(void **state)
{
    (void)state;
    static const char *const sets[] = {"model.layers=126", "parallel.layer_split=\"lighter_ends\""};
    cfg_experiment e;
    load(&e, LLAMA_CFG, 2, sets);
    double L = e.model.layers, h = e.model.hidden, V = e.model.vocab, s = e.model.seq_len;
    double f = e.model.ffn_hidden, kd = e.model.kv_heads * h / e.model.heads;
    assert_int_equal(e.model.tied_embeddings, 0);
    double layer = h * (h + 2 * kd) + (h + 2 * kd) + h * h + h + 3 * h * f + 2 * f + h + 4 * h;
    double total = cost_total_params(&e.model);
    assert_rel(total, L * layer + 2 * V * h + s * h, 1e-9);
    double extras = L * ((h + 2 * kd) + h + 2 * f + h + 2 * h) + s * h - h;
    assert_close((total - extras) / 1e9, 405, 1.0);
    cfg_free(&e);
}

/* GQA and SwiGLU, GEMM by GEMM, per GPU of TP t, T = b s tokens, kd as above:
**   W FLOPs = 2T h/t [(h + 2kd) + h + 2f + f]  (QKV, out-proj, SwiGLU up and
**             gate, down), F = W + 4 b s^2 h/t (attention core)
** With the occupancy term off (gemm_half_outputs = 0) every weight GEMM of
** this size is compute-bound, so W's GEMM time is W FLOPs / (peak * gemm_max)
** exactly: the shapes the GEMMs are timed with (QKV width (h+2kd)/t, up width
** 2f/t) must match the FLOPs counted. */
static void test_gqa_swiglu_flops(void **state)
{
    (void)state;
    static const char *const sets[] = {"parallel.recompute=\"none\""};
    cfg_experiment e;
    load(&e, LLAMA_CFG, 1, sets);
    e.cluster.gpu.gemm_half_outputs = 0;
    cost_op f, b, w;
    cost_layer_ops(&e, &f, &b, &w);
    double h = e.model.hidden, ff = e.model.ffn_hidden, s = e.model.seq_len;
    double kd = e.model.kv_heads * h / e.model.heads, t = e.parallel.tp;
    double bb = e.parallel.microbatch_size, T = bb * s;
    assert_true(e.model.kv_heads < e.model.heads && e.model.mlp == MLP_SWIGLU && t > 1);
    double wflops = 2 * T * h / t * ((h + 2 * kd) + h + 3 * ff);
    assert_rel(w.flops, wflops, 1e-9);
    assert_rel(f.flops, wflops + 4 * bb * s * s * h / t, 1e-9);
    assert_rel(w.gemm_s, wflops / (cfg_peak_flops(&e) * e.cluster.gpu.gemm_eff_max), 1e-9);
    cfg_free(&e);
}

/* The byte table of test_layer_mem_bytes on the SwiGLU model with sequence
** parallelism: layernorms and bias-dropout-adds see T/t tokens, SwiGLU moves
** 6 / 10 bytes per element of its T f/t output (two inputs). */
static void test_layer_mem_bytes_swiglu_sp(void **state)
{
    (void)state;
    static const char *const sets[] = {"parallel.recompute=\"none\"",
                                       "parallel.sequence_parallel=true"};
    cfg_experiment e;
    load(&e, LLAMA_CFG, 2, sets);
    cost_op f, b, w;
    cost_layer_ops(&e, &f, &b, &w);
    double s = e.model.seq_len, h = e.model.hidden, a = e.model.heads, ff = e.model.ffn_hidden;
    double t = e.parallel.tp, T = s * e.parallel.microbatch_size;
    double probs = e.parallel.microbatch_size * a / t * s * s, ln = 2 * T / t * h, bda = ln;
    double bw = e.cluster.gpu.hbm_bytes_per_s * e.cluster.gpu.mem_eff;
    double fwd = probs * (4 + 5) + ln * 4 + bda * 7 + T * ff / t * 6;
    double bwd = probs * (6 + 5) + ln * 6 + bda * 7 + T * ff / t * 10;
    assert_rel(f.mem_s, fwd / bw, 1e-9);
    assert_rel(b.mem_s, bwd / bw, 1e-9);
    cfg_free(&e);
}

/* Selective recomputation (Korthikanti et al., MLSys'23) redoes the attention
** core in the backward: its two batched GEMMs, 2 x 2 b (a/t) s^2 d =
** 4 b s^2 h/t FLOPs, and its 3 kernels (scores, fused softmax+dropout,
** context). Without recomputation B's attention part is the core's GEMMs twice
** plus the softmax and dropout backward (6 + 5 bytes per score), while F's is
** the GEMMs once plus 4 + 5 bytes per score. A middle stage's B is its layers'
** B for every recomputation mode (stage and layer views agree). 145.6B, TP 8. */
static void test_selective_recompute(void **state)
{
    (void)state;
    const char *cfg = TEST_PATH("configs/papers/megatron_sc21/145.6b.json");
    static const char *const none[] = {"parallel.recompute=\"none\""};
    static const char *const sel[] = {"parallel.recompute=\"selective\""};
    static const char *const full[] = {"parallel.recompute=\"full\""};
    const char *const *modes[] = {none, sel, full};
    cost_op f[3], b[3], w[3];
    cfg_experiment e;
    for (int i = 0; i < 3; i++) {
        load(&e, cfg, 1, modes[i]);
        cost_layer_ops(&e, &f[i], &b[i], &w[i]);
        int n_vs = e.parallel.pp * e.parallel.virtual_stages;
        cost_stage st;
        cost_stage_ops(&e, 1, n_vs, &st);
        assert_true(!st.has_embedding && !st.has_lm_head);
        assert_rel(st.b.compute_s, st.n_layers * b[i].compute_s, 1e-9);
        assert_rel(st.b.flops, st.n_layers * b[i].flops, 1e-9);
        if (i < 2) cfg_free(&e);
    }
    double s = e.model.seq_len, h = e.model.hidden, t = e.parallel.tp, bb = e.parallel.microbatch_size;
    double probs = bb * e.model.heads / t * s * s;
    double bw = e.cluster.gpu.hbm_bytes_per_s * e.cluster.gpu.mem_eff;
    assert_rel(b[1].flops - b[0].flops, 4 * bb * s * s * h / t, 1e-9);
    assert_rel(b[1].launch_s - b[0].launch_s, 3 * e.cluster.gpu.kernel_launch_s, 1e-9);
    double core_gemm_s = f[0].attn_s - probs * 9 / bw;
    assert_rel(b[0].attn_s, 2 * core_gemm_s + probs * 11 / bw, 1e-9);
    cfg_free(&e);
}

/* First and last stage extras, 145.6B (PP 8 x 2 chunks, TP 8, SP):
**   embedding  lookup + position add move 3 x 2Th bytes forward, the
**              scatter-add of the gradient twice that in W: W mem = 12Th/bw;
**              its 16-bit output, sequence-sharded, stays for the backward:
**              act_bytes = layers' + 2Th/t
**   LM head    final layernorm read + write, 2 x 2Th bytes, then per logit
**              (TV/t of them) a 16-bit write and three fp32 passes of the
**              cross-entropy (2 + 3 x 4 bytes): F mem = layers' + (4Th + 14TV/t)/bw */
static void test_first_last_stage(void **state)
{
    (void)state;
    static const char *const sets[] = {"parallel.sequence_parallel=true"};
    cfg_experiment e;
    load(&e, TEST_PATH("configs/papers/megatron_sc21/145.6b.json"), 1, sets);
    cost_op f, b, w;
    cost_layer_ops(&e, &f, &b, &w);
    int n_vs = e.parallel.pp * e.parallel.virtual_stages;
    double t = e.parallel.tp, h = e.model.hidden, V = e.model.vocab;
    double T = e.parallel.microbatch_size * e.model.seq_len;
    double bw = e.cluster.gpu.hbm_bytes_per_s * e.cluster.gpu.mem_eff;
    cost_stage first, last;
    cost_stage_ops(&e, 0, n_vs, &first);
    cost_stage_ops(&e, n_vs - 1, n_vs, &last);
    assert_true(first.has_embedding && !first.has_lm_head && last.has_lm_head);
    assert_rel(first.w.mem_s, 12 * T * h / bw, 1e-9);
    assert_rel(first.act_bytes - first.n_layers * cost_layer_act_bytes(&e), 2 * T * h / t, 1e-9);
    assert_rel(last.f.mem_s - last.n_layers * f.mem_s, (4 * T * h + 14 * T * V / t) / bw, 1e-9);
    cfg_free(&e);
}

/* Parameters per GPU summed over the stages of 145.6B (PP 8, TP 8, tied
** embeddings): the layers (12h^2 + 13h each, GPT form), token and position
** embeddings on the first stage, the LM head's copy of the tied V x h matrix
** on the last (Megatron keeps one there when pp > 1 and all-reduces its
** gradient with the first stage's) and the final layernorm (2h, unsharded):
**   (L(12h^2 + 13h) + Vh + sh)/t + Vh/t + 2h = 1.82814474e10 */
static void test_stage_params(void **state)
{
    (void)state;
    cfg_experiment e;
    load(&e, TEST_PATH("configs/papers/megatron_sc21/145.6b.json"), 0, NULL);
    double L = e.model.layers, h = e.model.hidden, V = e.model.vocab, s = e.model.seq_len;
    double t = e.parallel.tp, sum = 0;
    int n_vs = e.parallel.pp * e.parallel.virtual_stages;
    assert_true(e.parallel.pp > 1 && e.model.tied_embeddings);
    for (int vs = 0; vs < n_vs; vs++) {
        cost_stage st;
        cost_stage_ops(&e, vs, n_vs, &st);
        sum += st.params;
    }
    assert_rel(sum, (L * (12 * h * h + 13 * h) + V * h + s * h) / t + V * h / t + 2 * h, 1e-9);
    cfg_free(&e);
}

/* Adam step over 1e9 parameters with fp16 (16-bit main gradients): read the
** 2-byte gradient and the fp32 master weight, m and v (12), write master, m
** and v (12) and the 16-bit weight (2): 28 bytes per parameter at HBM speed,
** plus 8 kernel launches. */
static void test_optimizer_s(void **state)
{
    (void)state;
    cfg_experiment e;
    load(&e, TEST_PATH("configs/papers/megatron_sc21/145.6b.json"), 0, NULL);
    assert_int_equal(e.parallel.precision, PREC_FP16);
    assert_int_equal(e.parallel.distributed_optimizer, 0);
    double bw = e.cluster.gpu.hbm_bytes_per_s * e.cluster.gpu.mem_eff;
    assert_rel(cost_optimizer_s(&e, 1e9), 1e9 * 28 / bw + 8 * e.cluster.gpu.kernel_launch_s, 1e-9);
    cfg_free(&e);
}

/* Memory beyond states and stored activations on the last device of 145.6B
** (full recomputation, no SP): fp32 logits and their gradient for one
** microbatch, 2 x 4 b s V/t bytes, the one layer full recomputation rebuilds
** during its backward, sbh(10 + 24/t + 5as/(ht)) (Korthikanti et al. Table 2,
** TP row), and the reserved workspace. */
static void test_other_bytes(void **state)
{
    (void)state;
    static const char *const sets[] = {"parallel.recompute=\"full\"",
                                       "parallel.sequence_parallel=false"};
    cfg_experiment e;
    load(&e, TEST_PATH("configs/papers/megatron_sc21/145.6b.json"), 2, sets);
    int n_vs = e.parallel.pp * e.parallel.virtual_stages;
    cost_stage last;
    cost_stage_ops(&e, n_vs - 1, n_vs, &last);
    double one = 1;
    cost_memory mem;
    cost_device_memory(&e, &last, 1, &one, &mem);
    double s = e.model.seq_len, bb = e.parallel.microbatch_size, h = e.model.hidden;
    double a = e.model.heads, t = e.parallel.tp, V = e.model.vocab;
    double want = 8 * bb * s * V / t + s * bb * h * (10 + 24 / t + 5 * a * s / (h * t)) +
                  e.cluster.gpu.mem_reserved_bytes;
    assert_rel(mem.other_bytes, want, 1e-9);
    cfg_free(&e);
}

/* With PP 1 the tied word embedding and the LM head are one matrix on one
** GPU (Megatron-LM's output layer reads the embedding's weight when
** share_embeddings_and_output_weights and there is a single pipeline stage;
** only with PP > 1 does the last stage keep its own copy). Table 1's 1.7B
** row (TP 1, PP 1): the stage holds the model once plus the final
** layernorm, (L(12h^2 + 13h) + Vh + sh)/t + 2h = 1.652B, not 1.770B. An
** untied head (model.tied_embeddings=false) is a second V x h matrix. */
static void test_stage_params_pp1_tied(void **state)
{
    (void)state;
    static const char *const untied[] = {"model.tied_embeddings=false"};
    cfg_experiment e;
    load(&e, TEST_PATH("configs/papers/megatron_sc21/1.7b.json"), 0, NULL);
    double L = e.model.layers, h = e.model.hidden, V = e.model.vocab, s = e.model.seq_len;
    double t = e.parallel.tp;
    assert_true(e.parallel.pp == 1 && e.parallel.virtual_stages == 1 && e.model.tied_embeddings);
    cost_stage st;
    cost_stage_ops(&e, 0, 1, &st);
    assert_true(st.has_embedding && st.has_lm_head);
    double once = (L * (12 * h * h + 13 * h) + V * h + s * h) / t + 2 * h;
    assert_rel(st.params, once, 1e-9);
    assert_rel(st.params, cost_total_params(&e.model) / t + 2 * h, 1e-9);
    cfg_free(&e);
    load(&e, TEST_PATH("configs/papers/megatron_sc21/1.7b.json"), 1, untied);
    cost_stage_ops(&e, 0, 1, &st);
    assert_rel(st.params, once + V * h / t, 1e-9);
    cfg_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_table1),
        cmocka_unit_test(test_flops_megatron),
        cmocka_unit_test(test_fbw_flops),
        cmocka_unit_test(test_layer_mem_bytes),
        cmocka_unit_test(test_tp_collectives),
        cmocka_unit_test(test_activation_bytes),
        cmocka_unit_test(test_state_bytes),
        cmocka_unit_test(test_gemm_roofline),
        cmocka_unit_test(test_params_llama3_405b),
        cmocka_unit_test(test_gqa_swiglu_flops),
        cmocka_unit_test(test_layer_mem_bytes_swiglu_sp),
        cmocka_unit_test(test_selective_recompute),
        cmocka_unit_test(test_first_last_stage),
        cmocka_unit_test(test_stage_params),
        cmocka_unit_test(test_stage_params_pp1_tied),
        cmocka_unit_test(test_optimizer_s),
        cmocka_unit_test(test_other_bytes),
    };
    return RUN_TESTS("cost", tests);
}
