/*
** test_metrics.c -- the metric definitions of metrics.h on a hand-built
** timeline whose every number can be computed by hand.
**
** Two devices, one iteration of 10 s. Device 0: F 0-2, TP 2-3, wait 3-5 (of
** which 1 s was the transfer itself), B 5-8, then waits for DP gradients 8-9,
** optimizer 9-10. Device 1: F 1-3, B 3-6, blocked on its own send 6-7,
** optimizer 7-8. Pipeline phase = last F/B/W/TP end = 8 s.
**   busy (F+B+W) 5 and 5; TP 1 and 0; send 0 and 1
**   bubble = 8 - busy - TP - send = 2 and 2; fraction 2/10; ratio 4/11
**   exposed = TP + waited transfer + send + DP wait = 1+1+0+1 = 3 and 1
**   span = last op end - first op start = 8 and 6 - 1 = 5
**   zb rate = 1 - mean(busy+TP)/longest span = 1 - 5.5/8
**   TFLOP/s = 2e13 FLOPs / (10 s * 2 GPUs) / 1e12 = 1
*/
#include "testlib.h"

#include "metrics.h"

static void add(tl_track *t, int type, double s, double e, double exposed)
{
    tl_event *ev = &t->ev[t->n++];
    ev->type = (uint8_t)type;
    ev->iter = 0;
    ev->start_s = s;
    ev->end_s = e;
    ev->exposed_s = exposed;
}

static void test_hand_timeline(void **state)
{
    (void)state;
    tl_event ev0[8], ev1[8];
    tl_track tr[2] = {{.dev = 0, .cls = 0, .ev = ev0, .cap = 8}, {.dev = 1, .cls = 0, .ev = ev1, .cap = 8}};
    add(&tr[0], TL_EV_F, 0, 2, 0);
    add(&tr[0], TL_EV_TP, 2, 3, 0);
    add(&tr[0], TL_EV_WAIT, 3, 5, 1);
    add(&tr[0], TL_EV_B, 5, 8, 0);
    add(&tr[0], TL_EV_DP_WAIT, 8, 9, 0);
    add(&tr[0], TL_EV_OPT, 9, 10, 0);
    add(&tr[1], TL_EV_F, 1, 3, 0);
    add(&tr[1], TL_EV_B, 3, 6, 0);
    add(&tr[1], TL_EV_SEND, 6, 7, 0);
    add(&tr[1], TL_EV_OPT, 7, 8, 0);
    double mem[2] = {5e9, 7e9};
    int fits[2] = {1, 1};
    met_input in = {.pp = 2, .n_gpus = 2, .executed_flops = 2e13, .model_flops = 1.5e13,
                    .tokens_per_iter = 4096, .samples_per_iter = 2, .peak_flops_per_gpu = 4e12,
                    .iteration_s = 10, .memory_bytes = mem, .fits = fits};
    metrics m;
    assert_int_equal(metrics_compute(&in, tr, 0, 0, &m), 0);
    assert_close(m.pipeline_s, 8, 1e-12);
    assert_close(m.busy_s[0], 5, 1e-12);
    assert_close(m.tp_s[0], 1, 1e-12);
    assert_close(m.bubble_s[0], 2, 1e-12);
    assert_close(m.bubble_s[1], 2, 1e-12);
    assert_close(m.bubble_fraction, 0.2, 1e-12);
    assert_close(m.bubble_ratio, 4.0 / 11.0, 1e-12);
    assert_close(m.exposed_s[0], 3, 1e-12);
    assert_close(m.exposed_s[1], 1, 1e-12);
    assert_close(m.exposed_comm_s, 2, 1e-12);
    assert_close(m.dp_wait_s[0], 1, 1e-12);
    assert_close(m.zb_bubble_rate, 1 - 5.5 / 8, 1e-12);
    assert_close(m.tflops_per_gpu, 1, 1e-12);
    assert_close(m.mfu, 1.5e13 / 20 / 4e12, 1e-12);
    assert_close(m.hfu, 2e13 / 20 / 4e12, 1e-12);
    assert_close(m.tokens_per_s, 409.6, 1e-9);
    assert_close(m.peak_memory_bytes, 7e9, 0);
    assert_int_equal(m.fits_in_memory, 1);
    metrics_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_timeline),
    };
    return RUN_TESTS("metrics", tests);
}
