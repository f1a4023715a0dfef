/*
** test_plan.c -- the collective volumes of the iteration plan (plan.c).
** Expected values: the closed forms in plan.h (ring all-reduce 2(k-1)/k * S
** in 2(k-1) steps; double binary tree 2S in 2*ceil(log2 k) steps), on a
** hand-filled plan_t.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tp_collectives),
        cmocka_unit_test(test_dp_allreduce),
    };
    return RUN_TESTS("plan", tests);
}
