/*
** test_plan.c -- the collective volumes of the iteration plan (plan.c).
** Expected values: the closed forms in plan.h (ring all-reduce 2(k-1)/k * S
** in 2(k-1) steps; double binary tree 2S in 2*ceil(log2 k) steps), on a
** hand-filled plan_t and cluster; and plans built from the Megatron SC'21
** Table 1 configs, checked against closed forms of their shapes.
*/
#include "testlib.h"
#include "cfg_fixture.h"
#include "cfg.h"
#include "plan.h"

#include <string.h>

static void test_tp_collectives(void **state)
{
    (void)state;
    plan_t p;
    memset(&p, 0, sizeof p);
    p.tp = 8;
    p.tp_alpha_s = 1e-6;
    assert_close(plan_tp_bytes(&p, 2, 1e6), 2 * 2.0 * 7 / 8 * 1e6, 1e-6); /* 3.5 MB */
    assert_close(plan_tp_latency_s(&p, 2), 2 * 2.0 * 7 * 1e-6, 1e-18);   /* 28 steps */
    assert_close(plan_tp_bytes(&p, 0, 1e6), 0, 0);
    p.tp = 1; /* no TP group: nothing moves */
    assert_close(plan_tp_bytes(&p, 2, 1e6), 0, 0);
    assert_close(plan_tp_latency_s(&p, 2), 0, 0);
}

static void test_dp_allreduce(void **state)
{
    (void)state;
    plan_t p;
    memset(&p, 0, sizeof p);
    p.dp = 4;
    p.dp_alpha_s = 1e-6;
    p.dp_host_bytes_per_s = 25e9;
    double vol, lat;
    p.dp_algorithm = COLL_RING;
    plan_dp_allreduce(&p, 1e9, &vol, &lat);
    assert_close(vol, 1.5e9, 1e-3);      /* 2(k-1)/k * S */
    assert_close(lat, 6e-6, 1e-18);      /* 2(k-1) steps */
    p.dp_algorithm = COLL_TREE;
    plan_dp_allreduce(&p, 1e9, &vol, &lat);
    assert_close(vol, 2e9, 1e-3);        /* 2S */
    assert_close(lat, 4e-6, 1e-18);      /* 2 ceil(log2 4) steps */
    /* auto: ring when bandwidth dominates (0.5 GB / 25 GB/s = 20 ms > 2 us) */
    p.dp_algorithm = COLL_AUTO;
    plan_dp_allreduce(&p, 1e9, &vol, &lat);
    assert_close(vol, 1.5e9, 1e-3);
    /* auto: tree when latency dominates (2 s of saved steps > 20 ms) */
    p.dp_alpha_s = 1.0;
    plan_dp_allreduce(&p, 1e9, &vol, &lat);
    assert_close(vol, 2e9, 1e-3);
    assert_close(lat, 4.0, 1e-12);
    /* k not a power of two: a tree over 24 ranks is ceil(log2 24) = 5 deep,
    ** 2 * 5 = 10 steps (floor would give 8) */
    p.dp = 24;
    p.dp_alpha_s = 1e-6;
    p.dp_algorithm = COLL_TREE;
    plan_dp_allreduce(&p, 1e9, &vol, &lat);
    assert_close(lat, 10e-6, 1e-18);
}

/* The per-cluster parts: step latencies from the platform path's link
** count (2 NVLink links, 4 fabric links) and one GPU's share of the NICs. */
static void test_cluster_terms(void **state)
{
    (void)state;
    assert_close(plan_ring_bytes(4, 1e9), 1.5e9, 1e-3);
    assert_close(plan_ring_steps(4), 6, 0);
    assert_close(plan_ring_bytes(1, 1e9), 0, 0); /* one rank: nothing to reduce */
    assert_close(plan_ring_steps(1), 0, 0);
    cfg_cluster cl;
    memset(&cl, 0, sizeof cl);
    cl.nvlink_latency_s = 1e-6;
    cl.nic_latency_s = 5e-6;
    cl.nic_bytes_per_s = 25e9;   /* 200 Gb/s HDR */
    cl.nic_eff = 0.8;
    cl.nics_per_node = 8;
    cl.gpus_per_node = 8;
    assert_close(plan_tp_alpha_s(&cl), 2e-6, 1e-18);
    assert_close(plan_dp_alpha_s(&cl), 20e-6, 1e-18);
    assert_close(plan_gpu_nic_bytes_per_s(&cl), 20e9, 1e-3); /* 25 GB/s x 0.8 x 8 / 8 */
    cl.nics_per_node = 4;        /* two GPUs share a NIC */
    assert_close(plan_gpu_nic_bytes_per_s(&cl), 10e9, 1e-3);
}

static void build(const cfg_experiment *e, plan_t *p)
{
    char err[256];
    if (plan_build(e, p, err, sizeof err)) {
        print_error("plan_build: %s\n", err);
        fail();
    }
}

/* The plan of Table 1's 145.6B row (TP 8, PP 8 x 2 interleaved chunks, DP 24,
** global batch 2304 of 2048 tokens, fp16, tied embeddings, Selene):
**   tokens_per_iter      B s = 2304 * 2048 = 4,718,592
**   dp_host_bytes_per_s  a TP group's 8 GPUs each get one 200 Gb/s HDR NIC
**                        at 0.92: 25e9 * 0.92 * 8/8 * 8 = 1.84e11
**   n_buckets[0]         ceil(grad bytes / 80 MB bucket), device 0 holding
**                        chunks 0 and 8 (5 layers each) and the embeddings:
**                        params (10 (12h^2 + 13h) + (V + s) h)/t, 2 bytes each
**                        (fp16 main grads): 4.69e9 / 80e6 = 58.7 -> 59 buckets
**   embed_sync_bytes     the tied word embedding's gradient, V h/t at 2 bytes
**                        = 51200 * 12288 / 8 * 2 = 157,286,400 */
static void test_plan_145b(void **state)
{
    (void)state;
    cfg_experiment e;
    load(&e, TEST_PATH("configs/papers/megatron_sc21/145.6b.json"), 0, NULL);
    plan_t p;
    build(&e, &p);
    double B = e.parallel.global_batch_size, s = e.model.seq_len, h = e.model.hidden;
    double V = e.model.vocab, t = e.parallel.tp, L = e.model.layers;
    assert_rel(p.tokens_per_iter, B * s, 1e-12);
    assert_rel(p.tokens_per_iter, 4718592, 1e-12);
    assert_rel(p.dp_host_bytes_per_s, 25e9 * 0.92 * 8 / 8 * t, 1e-9);
    assert_true(e.parallel.pp * e.parallel.virtual_stages == 16 && L / 16 == 5);
    double params0 = (10 * (12 * h * h + 13 * h) + (V + s) * h) / t;
    double buckets = 2 * params0 / e.parallel.dp_bucket_bytes;
    assert_true(buckets != floor(buckets)); /* ceil and floor differ */
    assert_int_equal(p.n_buckets[0], (int)ceil(buckets));
    assert_int_equal(p.n_buckets[0], 59);
    assert_rel(p.embed_sync_bytes, 2 * V * h / t, 1e-12);
    plan_free(&p);
    cfg_free(&e);
}

/* Table 1's 1.7B row runs with PP 1: the word embedding and the LM head are
** the same tensor on the same GPU (Megatron-LM ties them in place), so there
** is no embedding gradient to all-reduce between first and last stage. */
static void test_plan_pp1_no_embed_sync(void **state)
{
    (void)state;
    cfg_experiment e;
    load(&e, TEST_PATH("configs/papers/megatron_sc21/1.7b.json"), 0, NULL);
    assert_true(e.parallel.pp == 1 && e.model.tied_embeddings);
    plan_t p;
    build(&e, &p);
    assert_close(p.embed_sync_bytes, 0, 0);
    plan_free(&p);
    cfg_free(&e);
}

static int same_sched(const sched_t *a, const sched_t *b)
{
    if (a->p != b->p) return 0;
    for (int d = 0; d < a->p; d++) {
        if (a->n_ops[d] != b->n_ops[d]) return 0;
        for (int i = 0; i < a->n_ops[d]; i++)
            if (a->ops[d][i].kind != b->ops[d][i].kind || a->ops[d][i].mb != b->ops[d][i].mb ||
                a->ops[d][i].chunk != b->ops[d][i].chunk)
                return 0;
    }
    return 1;
}

/* The cost-aware ZB-1p scheduler is given plan.c's estimate of one pipeline
** transfer, t_comm = activation bytes per TP rank / one GPU's NIC share
** (plan_gpu_nic_bytes_per_s) + 2 x the NIC link latency. ZB paper 1.5B,
** PP 8, with a 20 ms link latency so that the latency term changes the
** greedy order (checked: the schedules with and without it differ). */
static void test_plan_zb_comm_estimate(void **state)
{
    (void)state;
    static const char *const sets[] = {"parallel.schedule=\"zb-1p\"",
                                       "cluster.inter_node.latency_us=20000"};
    cfg_experiment e;
    load(&e, TEST_PATH("configs/papers/zero_bubble/1.5b.json"), 2, sets);
    plan_t p;
    build(&e, &p);
    double comm = p.pp_bytes[0] / plan_gpu_nic_bytes_per_s(&e.cluster);
    sched_params sp = {.type = SCHED_ZB_1P, .p = p.pp, .m = p.m, .v = p.v};
    sched_costs sc = {.n_vs = p.n_vs, .t_f = p.f_s, .t_b = p.b_s, .t_w = p.w_s,
                      .t_comm = comm + 2 * e.cluster.nic_latency_s, .m_f = 1, .m_b = 0, .m_w = -1};
    sched_t with, without;
    char err[256];
    assert_int_equal(sched_build(&sp, &sc, &with, err, sizeof err), 0);
    sc.t_comm = comm;
    assert_int_equal(sched_build(&sp, &sc, &without, err, sizeof err), 0);
    assert_false(same_sched(&with, &without)); /* the latency matters here */
    assert_true(same_sched(&p.sched, &with));
    sched_free(&with);
    sched_free(&without);
    plan_free(&p);
    cfg_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tp_collectives),
        cmocka_unit_test(test_dp_allreduce),
        cmocka_unit_test(test_cluster_terms),
        cmocka_unit_test(test_plan_145b),
        cmocka_unit_test(test_plan_pp1_no_embed_sync),
        cmocka_unit_test(test_plan_zb_comm_estimate),
    };
    return RUN_TESTS("plan", tests);
}
