/*
** test_plan.c -- the collective volumes of the iteration plan (plan.c).
** Expected values: the closed forms in plan.h (ring all-reduce 2(k-1)/k * S
** in 2(k-1) steps; double binary tree 2S in 2*ceil(log2 k) steps), on a
** hand-filled plan_t and cluster.
*/
#include "testlib.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tp_collectives),
        cmocka_unit_test(test_dp_allreduce),
        cmocka_unit_test(test_cluster_terms),
    };
    return RUN_TESTS("plan", tests);
}
