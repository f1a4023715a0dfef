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

#include "cfg.h"
#include "cost.h"

#include <string.h>

static void load(cfg_experiment *e, const char *cfg, int n, const char *const *sets)
{
    cfg_overrides ov = {.n = n};
    for (int i = 0; i < n; i++) ov.items[i] = sets[i];
    cfg_error err;
    if (cfg_load(cfg, &ov, e, &err)) {
        char buf[1024];
        cfg_error_format(&err, buf, sizeof buf);
        print_error("%s\n", buf);
        fail();
    }
}

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
    };
    return RUN_TESTS("cost", tests);
}
