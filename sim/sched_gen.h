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

#endif
