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

static void add_iter(tl_track *t, int iter, int type, double s, double e, double exposed)
{
    tl_event *ev = &t->ev[t->n++];
    ev->type = (uint8_t)type;
    ev->iter = iter;
    ev->start_s = s;
    ev->end_s = e;
    ev->exposed_s = exposed;
}

static void add(tl_track *t, int type, double s, double e, double exposed)
{
    add_iter(t, 0, type, s, e, exposed);
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
    assert_close(m.tokens_per_s, 409.6, 1e-9);  /* 4096 tokens / 10 s */
    assert_close(m.samples_per_s, 0.2, 1e-12);  /* 2 samples / 10 s, not tokens / 10 s */
    assert_close(m.peak_memory_bytes, 7e9, 0);
    assert_int_equal(m.fits_in_memory, 1);
    metrics_free(&m);
}

/* Iteration 1 of a run, starting at 100 s and lasting 10 s, with iteration
** 0's events still on the tracks (they must be ignored). Times relative to
** the iteration start:
**   device 0: F 0-2, B 3-8, tied-embedding sync 8-9; iteration 0: F 90-99 s
**   device 1: F 0-4, B 4-8, a TP collective 0-3 running under the compute
**             (tp_overlap), so busy + TP = 11 s exceeds the 8 s phase
**   pipeline_s   = last F/B/W/TP end - start = 108 - 100 = 8
**   busy         = 2 + 5 = 7 and 4 + 4 = 8; TP 0 and 3
**   bubble       = 8 - 7 = 1 and max(8 - 8 - 3, 0) = 0 (idle time is never
**                  negative); fraction 0.5/10, ratio 1/(7 + 11)
**   exposed      = embedding sync 1 and TP 3
**   span         = 8 - 0 = 8 on both (not 108 - 90 with iteration 0's F) */
static void test_later_iteration(void **state)
{
    (void)state;
    tl_event ev0[8], ev1[8];
    tl_track tr[2] = {{.dev = 0, .cls = 0, .ev = ev0, .cap = 8}, {.dev = 1, .cls = 0, .ev = ev1, .cap = 8}};
    add_iter(&tr[0], 0, TL_EV_F, 90, 99, 0);
    add_iter(&tr[0], 1, TL_EV_F, 100, 102, 0);
    add_iter(&tr[0], 1, TL_EV_B, 103, 108, 0);
    add_iter(&tr[0], 1, TL_EV_EMB, 108, 109, 0);
    add_iter(&tr[1], 1, TL_EV_F, 100, 104, 0);
    add_iter(&tr[1], 1, TL_EV_TP, 100, 103, 0);
    add_iter(&tr[1], 1, TL_EV_B, 104, 108, 0);
    met_input in = {.pp = 2, .n_gpus = 2, .executed_flops = 2e13, .model_flops = 1.5e13,
                    .tokens_per_iter = 4096, .samples_per_iter = 2, .peak_flops_per_gpu = 4e12,
                    .iteration_s = 10};
    metrics m;
    assert_int_equal(metrics_compute(&in, tr, 1, 100, &m), 0);
    assert_close(m.pipeline_s, 8, 1e-12);
    assert_close(m.busy_s[0], 7, 1e-12);
    assert_close(m.busy_s[1], 8, 1e-12);
    assert_close(m.tp_s[1], 3, 1e-12);
    assert_close(m.span_s[0], 8, 1e-12);
    assert_close(m.span_s[1], 8, 1e-12);
    assert_close(m.bubble_s[0], 1, 1e-12);
    assert_close(m.bubble_s[1], 0, 0);
    assert_close(m.bubble_fraction, 0.05, 1e-12);
    assert_close(m.bubble_ratio, 1.0 / 18.0, 1e-12);
    assert_close(m.exposed_s[0], 1, 1e-12);
    assert_close(m.exposed_s[1], 3, 1e-12);
    assert_close(m.exposed_comm_s, 2, 1e-12);
    metrics_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_timeline),
        cmocka_unit_test(test_later_iteration),
    };
    return RUN_TESTS("metrics", tests);
}
