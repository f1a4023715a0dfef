/*
** sched_gen.h -- the generator interface shared by sched*.c (pure layer).
**
** Internal to the schedule module: sched.c keeps a table of generators indexed
** by sched_type and calls them from sched_build(). A generator fills an empty
** sched_t (allocate it with sched_alloc, append with sched_push) and returns 0,
** or -1 with a message in err. sched_build() runs sched_check() on the result,
** so a generator does not need to check itself.
*/
#ifndef DTSIM_SCHED_GEN_H
#define DTSIM_SCHED_GEN_H

#include "sched.h"

typedef int (*sched_gen_fn)(const sched_params *prm, const sched_costs *costs,
                            sched_t *out, char *err, size_t errlen);

/* sched.c */
int sched_gen_gpipe(const sched_params *, const sched_costs *, sched_t *, char *, size_t);
int sched_gen_1f1b(const sched_params *, const sched_costs *, sched_t *, char *, size_t);
int sched_gen_interleaved(const sched_params *, const sched_costs *, sched_t *, char *, size_t);

/* sched_zb.c: ZB-H1, ZB-H2 (hand rule), ZB-1p, ZB-2p (greedy auto-scheduler) */
int sched_gen_zb_h1(const sched_params *, const sched_costs *, sched_t *, char *, size_t);
int sched_gen_zb_h2(const sched_params *, const sched_costs *, sched_t *, char *, size_t);
int sched_gen_zb_1p(const sched_params *, const sched_costs *, sched_t *, char *, size_t);
int sched_gen_zb_2p(const sched_params *, const sched_costs *, sched_t *, char *, size_t);

/* sched_v.c: ZB-V (greedy), V-Half and V-Min (building blocks) */
int sched_gen_zb_v(const sched_params *, const sched_costs *, sched_t *, char *, size_t);
int sched_gen_v_half(const sched_params *, const sched_costs *, sched_t *, char *, size_t);
int sched_gen_v_min(const sched_params *, const sched_costs *, sched_t *, char *, size_t);

/* ---- helpers shared by the generators (defined in sched_zb.c) ---------- */

/* Slack when comparing live memory (a sum of m_f/m_b/m_w deltas, chunk
** units of order 1) with a limit, so that rounding in non-integer deltas
** does not reject an op that fits exactly. */
#define SCHED_GEN_MEM_EPS 1e-9

/* The costs a cost-aware generator works with: the caller's (validated:
** n_vs matches, times >= 0, m_f > 0, m_b <= 0, m_w < 0) or, when 'in' is
** NULL, unit op times, zero comm and the +1/0/-1 memory model. 'buf' is
** owned by the struct; free with sched_gen_costs_free. Returns 0 or -1. */
typedef struct {
    sched_costs c;
    double *buf;
} sched_gen_costs;
int sched_gen_costs_init(sched_gen_costs *g, const sched_costs *in, int n_vs,
                         char *err, size_t errlen);
void sched_gen_costs_free(sched_gen_costs *g);

#endif
