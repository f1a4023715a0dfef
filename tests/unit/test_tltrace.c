/*
** test_tltrace.c -- a hand-made two-stage timeline turned into trace rows
** (expected rows derived in the comments from the event times).
*/
#include "testlib.h"

#include "tltrace.h"

#include <stdlib.h>
#include <string.h>

static tl_event ev(int type, int mb, int peer, double s, double e)
{
    tl_event x = {.type = (uint8_t)type, .mb = mb, .peer = peer, .iter = 0, .start_s = s, .end_s = e};
    return x;
}

/* Stage 0: F 0-1; B's input sent at 4.0 arrives 4.5 while stage 0 has waited
** since 1; B 4.5-6.5; DP wait to 7; optimizer 7-7.5. Stage 1: waits from 0 for
** F's input (sent 1, arrives 1.25); F 1.25-2.25 + TP to 2.5; B 2.5-4; DP wait to
** 6.8; optimizer 6.8-7. Two identical replicas (one class). */
static void build(plan_t *p, tl_result *r, tl_track *tr, int *nb, tl_event *e0, tl_event *e1)
{
    memset(p, 0, sizeof *p);
    p->pp = 2, p->dp = 2, p->tp = 1, p->v = 1, p->m = 1;
    p->n_buckets = nb;
    int k = 0;
    e0[k++] = ev(TL_EV_F, 0, -1, 0, 1);
    e0[k++] = ev(TL_EV_RECV, 0, 1, 4.0, 4.5);
    e0[k++] = ev(TL_EV_WAIT, 0, 1, 1, 4.5);
    e0[k++] = ev(TL_EV_B, 0, -1, 4.5, 6.5);
    e0[k++] = ev(TL_EV_DP_WAIT, -1, -1, 6.5, 7);
    e0[k++] = ev(TL_EV_OPT, -1, -1, 7, 7.5);
    tr[0] = (tl_track){.dev = 0, .cls = 0, .n = k, .cap = k, .ev = e0};
    k = 0;
    e1[k++] = ev(TL_EV_RECV, 0, 0, 1, 1.25);
    e1[k++] = ev(TL_EV_WAIT, 0, 0, 0, 1.25);
    e1[k++] = ev(TL_EV_F, 0, -1, 1.25, 2.25);
    e1[k++] = ev(TL_EV_TP, -1, -1, 2.25, 2.5);
    e1[k++] = ev(TL_EV_B, 0, -1, 2.5, 4.0);
    e1[k++] = ev(TL_EV_DP_WAIT, -1, -1, 4.0, 6.8);
    e1[k++] = ev(TL_EV_OPT, -1, -1, 6.8, 7.0);
    tr[1] = (tl_track){.dev = 1, .cls = 0, .n = k, .cap = k, .ev = e1};
    tr[2] = (tl_track){.dev = 0, .cls = -1};
    tr[3] = (tl_track){.dev = 1, .cls = -1};
    memset(r, 0, sizeof *r);
    r->iterations = 1, r->pp = 2, r->n_classes = 1, r->n_tracks = 4, r->tracks = tr;
}

static const optrace_row *find(const optrace *t, int dp, int stage, optrace_type ty)
{
    for (size_t i = 0; i < t->n_rows; i++)
        if (t->rows[i].dp_rank == dp && t->rows[i].stage == stage && t->rows[i].type == ty)
            return &t->rows[i];
    return NULL;
}

static void expect(const optrace *t, int dp, int stage, optrace_type ty, double start, double dur)
{
    const optrace_row *r = find(t, dp, stage, ty);
    assert_non_null(r);
    assert_close(r->start_s, start, 1e-12);
    assert_close(r->duration_s, dur, 1e-12);
}

static void test_rows(void **state)
{
    (void)state;
    plan_t p;
    tl_result r;
    tl_track tr[4];
    int nb[2] = {1, 1};
    tl_event e0[8], e1[8];
    build(&p, &r, tr, nb, e0, e1);
    optrace *t = optrace_new();
    char err[256];
    assert_int_equal(tltrace_export(&p, &r, NULL, 0, t, err, sizeof err), 0);
    /* 6 rows per worker (compute F, B, one send or recv each way, grads,
    ** optimizer), 4 workers */
    assert_int_equal(t->n_rows, 24);
    for (int dp = 0; dp < 2; dp++) {
        /* stage 1 asked for F's input at 0 (its wait), it arrived at 1.25 */
        expect(t, dp, 1, OPTRACE_FORWARD_RECV, 0, 1.25);
        /* stage 0's send: from 1 to that same end */
        expect(t, dp, 0, OPTRACE_FORWARD_SEND, 1, 0.25);
        /* F with its TP collectives: 1.25 to 2.5 */
        expect(t, dp, 1, OPTRACE_FORWARD_COMPUTE, 1.25, 1.25);
        expect(t, dp, 1, OPTRACE_BACKWARD_COMPUTE, 2.5, 1.5);
        /* B's gradient: sent 4.0, asked for at 1, arrived 4.5 */
        expect(t, dp, 1, OPTRACE_BACKWARD_SEND, 4.0, 0.5);
        expect(t, dp, 0, OPTRACE_BACKWARD_RECV, 1, 3.5);
        /* the DP sync as the rank sees it: end of its backward to end of its wait */
        expect(t, dp, 1, OPTRACE_GRADS_REDUCE_SCATTER, 4.0, 2.8);
        expect(t, dp, 0, OPTRACE_GRADS_REDUCE_SCATTER, 6.5, 0.5);
        expect(t, dp, 0, OPTRACE_OPTIMIZER, 7, 0.5);
        /* global rank = tp * (dp_rank + dp * stage) */
        assert_int_equal(find(t, dp, 1, OPTRACE_OPTIMIZER)->rank, dp + 2);
    }
    /* with_gc: a 0 s gc row per worker after its last compute */
    optrace *g = optrace_new();
    assert_int_equal(tltrace_export(&p, &r, NULL, 1, g, err, sizeof err), 0);
    assert_int_equal(g->n_rows, 28);
    expect(g, 1, 1, OPTRACE_GC, 4.0, 0);
    optrace_free(g);
    optrace_free(t);
}

static void test_interleaved_refused(void **state)
{
    (void)state;
    plan_t p;
    tl_result r;
    tl_track tr[4];
    int nb[2] = {1, 1};
    tl_event e0[8], e1[8];
    build(&p, &r, tr, nb, e0, e1);
    p.v = 2;
    optrace *t = optrace_new();
    char err[256];
    assert_int_equal(tltrace_export(&p, &r, NULL, 0, t, err, sizeof err), -1);
    assert_non_null(strstr(err, "one model chunk per device"));
    optrace_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_interleaved_refused),
    };
    return RUN_TESTS("tltrace", tests);
}
