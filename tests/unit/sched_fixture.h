/*
** sched_fixture.h -- reader for the schedule fixtures of tests/data/schedules
** (format: SCHEDULES.md §11). Test-only helper: parses a file into a sched_t
** plus its costs and expected makespan / per-device stats.
*/
#ifndef DTSIM_SCHED_FIXTURE_H
#define DTSIM_SCHED_FIXTURE_H

#include "sched.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    sched_t s;
    int chunks;
    double t_f, t_b, t_w, t_comm;   /* per op as executed */
    double makespan;
    double start[64], end[64], busy[64], bubble[64], peak[64];
} sched_fixture;

/* Parse 'path'. Returns 0 or -1. Ops of a 1-chunk file have chunk 0. */
static inline int fixture_load(const char *path, sched_fixture *fx)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    memset(fx, 0, sizeof *fx);
    char line[8192], place[32] = "plain";
    int p = 0, m = 0, have_w = 0;
    char *devline[64] = {0};
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        int d;
        if (sscanf(line, "p %d", &p) == 1) continue;
        if (sscanf(line, "m %d", &m) == 1) continue;
        if (sscanf(line, "chunks %d placement %31s", &fx->chunks, place) == 2) continue;
        if (strncmp(line, "cost ", 5) == 0) {
            char *t = strtok(line + 5, " \n");
            while (t) {
                char *v = strtok(NULL, " \n");
                if (!v) break;
                double x = atof(v);
                if (!strcmp(t, "F")) fx->t_f = x;
                else if (!strcmp(t, "B")) fx->t_b = x;
                else if (!strcmp(t, "W")) { fx->t_w = x; have_w = 1; }
                else if (!strcmp(t, "comm")) fx->t_comm = x;
                t = strtok(NULL, " \n");
            }
            continue;
        }
        if (sscanf(line, "dev %d", &d) == 1 && d >= 0 && d < 64) { devline[d] = strdup(line); continue; }
        if (sscanf(line, "makespan %lf", &fx->makespan) == 1) continue;
        double a, b, c, e; int pk;
        if (sscanf(line, "stat %d start %lf end %lf busy %lf bubble %lf peak %d", &d, &a, &b, &c, &e, &pk) == 6
            && d >= 0 && d < 64) {
            fx->start[d] = a; fx->end[d] = b; fx->busy[d] = c; fx->bubble[d] = e; fx->peak[d] = pk;
        }
    }
    fclose(f);
    sched_placement pl = !strcmp(place, "v") ? SCHED_PLACE_V :
                         !strcmp(place, "interleaved") ? SCHED_PLACE_INTERLEAVED : SCHED_PLACE_PLAIN;
    if (p < 1 || m < 1 || fx->chunks < 1) return -1;
    if (sched_alloc(&fx->s, SCHED_1F1B, p, m, fx->chunks, pl, have_w, 3 * m * fx->chunks)) return -1;
    for (int d = 0; d < p; d++) {
        if (!devline[d]) return -1;
        char *save = NULL, *t = strtok_r(devline[d], " \n", &save);
        t = strtok_r(NULL, " \n", &save); /* "dev" then number */
        while ((t = strtok_r(NULL, " \n", &save))) {
            int kind = t[0] == 'F' ? SCHED_OP_F : t[0] == 'B' ? SCHED_OP_B : SCHED_OP_W;
            int mb = atoi(t + 1), ch = 0;
            char *dot = strchr(t, '.');
            if (dot) ch = atoi(dot + 1);
            sched_push(&fx->s, d, kind, mb, ch);
        }
        free(devline[d]);
    }
    return 0;
}

/* Do two schedules run the same ops in the same order on every device? */
static inline int fixture_same_order(const sched_t *a, const sched_t *b, char *why, size_t len)
{
    if (a->p != b->p) { snprintf(why, len, "p %d vs %d", a->p, b->p); return 0; }
    for (int d = 0; d < a->p; d++) {
        if (a->n_ops[d] != b->n_ops[d]) {
            snprintf(why, len, "device %d: %d ops vs %d", d, a->n_ops[d], b->n_ops[d]);
            return 0;
        }
        for (int i = 0; i < a->n_ops[d]; i++) {
            const sched_op *x = &a->ops[d][i], *y = &b->ops[d][i];
            if (x->kind != y->kind || x->mb != y->mb || x->chunk != y->chunk) {
                char s1[32], s2[32];
                sched_op_str(a, x, s1, sizeof s1);
                sched_op_str(b, y, s2, sizeof s2);
                snprintf(why, len, "device %d op %d: %s vs %s", d, i, s1, s2);
                return 0;
            }
        }
    }
    return 1;
}

/* Build schedule 'type' for the fixture's p and m with the fixture's own
** costs (uniform per op as executed, memory +1/0/-1), and compare with it:
** the op order of every device, the makespan and each stat line (start,
** end, busy, bubble = end - start - busy, peak). Returns 1 if all match,
** else 0 with the first difference in 'why'. */
static inline int fixture_reproduce(sched_type type, const char *path, char *why, size_t len)
{
    sched_fixture fx;
    if (fixture_load(path, &fx)) {
        snprintf(why, len, "cannot read %s", path);
        return 0;
    }
    int ok = 0, n_vs = fx.s.p * fx.chunks;
    double *buf = malloc(3 * (size_t)n_vs * sizeof *buf);
    sched_costs c;
    sched_costs_uniform(&c, buf, n_vs, fx.t_f, fx.t_b, fx.t_w, fx.t_comm);
    sched_params prm = {.type = type, .p = fx.s.p, .m = fx.s.m, .v = fx.chunks};
    sched_t s;
    sched_timing t;
    char err[256];
    if (sched_build(&prm, &c, &s, err, sizeof err)) {
        snprintf(why, len, "%s: sched_build: %s", path, err);
        goto done_fx;
    }
    if (!fixture_same_order(&s, &fx.s, err, sizeof err)) {
        snprintf(why, len, "%s: order: %s", path, err);
        goto done_s;
    }
    if (sched_time(&s, &c, &t)) {
        snprintf(why, len, "%s: deadlock", path);
        goto done_s;
    }
    ok = t.makespan == fx.makespan;
    if (!ok) snprintf(why, len, "%s: makespan %g, fixture %g", path, t.makespan, fx.makespan);
    for (int d = 0; ok && d < s.p; d++) {
        double bubble = t.dev_last_end[d] - t.dev_first_start[d] - t.dev_busy[d];
        ok = t.dev_first_start[d] == fx.start[d] && t.dev_last_end[d] == fx.end[d] &&
             t.dev_busy[d] == fx.busy[d] && bubble == fx.bubble[d] &&
             t.dev_peak_mem[d] == fx.peak[d];
        if (!ok)
            snprintf(why, len, "%s: device %d start %g end %g busy %g bubble %g peak %g, fixture "
                     "%g %g %g %g %g", path, d, t.dev_first_start[d], t.dev_last_end[d],
                     t.dev_busy[d], bubble, t.dev_peak_mem[d], fx.start[d], fx.end[d],
                     fx.busy[d], fx.bubble[d], fx.peak[d]);
    }
    sched_timing_free(&t);
done_s:
    sched_free(&s);
done_fx:
    free(buf);
    sched_free(&fx.s);
    return ok;
}

/* Build schedule 'type' (p, m, requested v) without costs and time it with
** uniform stage op times t_f, t_b, t_w (a chunk op of a v-chunk schedule
** costs 1/v of them) and transfer time t_comm. Returns 0 or -1 with 'err'. */
static inline int sched_build_timed(sched_type type, int p, int m, int v, double t_f,
                                    double t_b, double t_w, double t_comm, sched_t *s,
                                    sched_timing *t, char *err, size_t len)
{
    sched_params prm = {.type = type, .p = p, .m = m, .v = v};
    if (sched_build(&prm, NULL, s, err, len)) return -1;
    int n_vs = sched_n_vs(s);
    double *buf = malloc(3 * (size_t)n_vs * sizeof *buf);
    sched_costs c;
    sched_costs_uniform(&c, buf, n_vs, t_f / s->v, t_b / s->v, t_w / s->v, t_comm);
    int rc = sched_time(s, &c, t);
    free(buf);
    if (rc) {
        snprintf(err, len, "deadlock");
        sched_free(s);
    }
    return rc;
}

/* Worst device bubble inside its own span: max over d of
** (last end - first start - busy). */
static inline double sched_worst_span_bubble(const sched_timing *t)
{
    double x = 0;
    for (int d = 0; d < t->p; d++) {
        double b = t->dev_last_end[d] - t->dev_first_start[d] - t->dev_busy[d];
        if (b > x) x = b;
    }
    return x;
}

#endif
