/*
** rep_whatif.c -- reports of a what-if straggler analysis (pure layer). See rep_whatif.h.
*/
#include "rep_whatif.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- summary ------------------------------------------------------------ */

static int cmp_attr_desc(const void *a, const void *b)
{
    const whatif_attr *x = *(const whatif_attr *const *)a, *y = *(const whatif_attr *const *)b;
    if (x->slowdown != y->slowdown) return x->slowdown > y->slowdown ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* "1.2345" or "n/a" for the NaN of an undefined M_S / M_W. */
static const char *fmt_m(double v, char *buf, size_t n)
{
    if (isnan(v)) snprintf(buf, n, "n/a");
    else snprintf(buf, n, "%.4f", v);
    return buf;
}

/* 'v' with 'fmt' (one double), or "n/a" when it is NaN or infinite: whatif
** refuses traces whose ratios are undefined, and a report never prints nan
** or inf. */
static const char *fmt_v(const char *fmt, double v, char *buf, size_t n)
{
    if (!isfinite(v)) snprintf(buf, n, "n/a");
    else snprintf(buf, n, fmt, v);
    return buf;
}

static int cmp_group_desc(const void *a, const void *b)
{
    const whatif_attr *x = *(const whatif_attr *const *)a, *y = *(const whatif_attr *const *)b;
    if (x->slowdown != y->slowdown) return x->slowdown > y->slowdown ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Stage or DP-rank groups: all in id order, or the 'max' slowest first. */
static int print_groups(FILE *out, const char *what, const char *label, const whatif_attr *a,
                        int n, int max)
{
    char num[32];
    if (max <= 0 || max >= n) {
        fprintf(out, "\nslowdown by %s:\n", what);
        for (int j = 0; j < n; j++)
            fprintf(out, "  %s %-4d %s\n", label, a[j].id, fmt_v("%.6f", a[j].slowdown, num, sizeof num));
        return 0;
    }
    const whatif_attr **sorted = malloc((size_t)n * sizeof *sorted);
    if (!sorted) return -1;
    for (int j = 0; j < n; j++) sorted[j] = &a[j];
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_group_desc);
    fprintf(out, "\nslowdown by %s (the %d highest of %d):\n", what, max, n);
    for (int j = 0; j < max; j++)
        fprintf(out, "  %s %-4d %s\n", label, sorted[j]->id,
                fmt_v("%.6f", sorted[j]->slowdown, num, sizeof num));
    free(sorted);
    return 0;
}

int rep_whatif_text(FILE *out, const char *path, const whatif_result *r, int top, int max_groups)
{
    char a[32], b[32], desc[96];
    int kmin = 0, kmax = 0;
    for (int k = 1; k < r->n_steps; k++) {
        double s = r->t_s[k] / r->t_ideal_s[k];
        if (s < r->t_s[kmin] / r->t_ideal_s[kmin]) kmin = k;
        if (s > r->t_s[kmax] / r->t_ideal_s[kmax]) kmax = k;
    }
    fprintf(out, "what-if straggler analysis of %s\n", path);
    fprintf(out, "  %d steps, %d workers (%d DP ranks x %d stages), %d ops per step\n\n",
            r->n_steps, r->n_workers, r->n_dp, r->n_stages, r->n_ops_per_step);
    char v[96];
#define LINE(label, desc, ...) \
    (snprintf(v, sizeof v, __VA_ARGS__), fprintf(out, "  %-16s %-22s %s\n", label, v, desc))
    LINE("S (slowdown)", "T / T_ideal", "%s", fmt_v("%.6f", r->slowdown, a, sizeof a));
    LINE("waste", "1 - 1/S: step time lost to stragglers", "%s",
         fmt_v("%.2f %%", 100 * r->waste_frac, a, sizeof a));
    LINE("T", "replayed with the measured op times", "%s", fmt_v("%.6f s", r->mean_t_s, a, sizeof a));
    LINE("T_ideal", "replayed with every op at its type's ideal", "%s",
         fmt_v("%.6f s", r->mean_t_ideal_s, a, sizeof a));
    LINE("T_base", "measured step time", "%s", fmt_v("%.6f s", r->mean_t_base_s, a, sizeof a));
    LINE("launch slowdown", "T_base / T: CPU-side launch gaps", "%s",
         fmt_v("%.6f", r->launch_slowdown, a, sizeof a));
    {
        char lo[32], hi[32];
        snprintf(a, sizeof a, "(step %d)", r->step[kmin]);
        snprintf(b, sizeof b, "(step %d)", r->step[kmax]);
        fprintf(out, "  %-16s %s %s .. %s %s\n", "S per step",
                fmt_v("%.4f", r->t_s[kmin] / r->t_ideal_s[kmin], lo, sizeof lo), a,
                fmt_v("%.4f", r->t_s[kmax] / r->t_ideal_s[kmax], hi, sizeof hi), b);
    }
    LINE("F/B correlation", "of microbatch times within a worker", "%s (%d pairs)",
         fmt_m(r->fb_corr, a, sizeof a), r->n_fb_pairs);
    fmt_m(r->ms.add, b, sizeof b);
    snprintf(desc, sizeof desc, "share of T - T_ideal due to the last stage (%d)",
             r->n_stages - 1);
    LINE("M_S", desc, "%s (add %s)", fmt_m(r->ms.rem, a, sizeof a), b);
    fmt_m(r->mw.add, b, sizeof b);
    snprintf(desc, sizeof desc, "share due to the worst %d%% of workers:", WHATIF_MW_PERCENT);
    snprintf(v, sizeof v, "%s (add %s)", fmt_m(r->mw.rem, a, sizeof a), b);
    fprintf(out, "  %-16s %-22s %s", "M_W", v, desc);
#undef LINE
    int n_mw = max_groups > 0 && max_groups < r->n_mw_workers ? max_groups : r->n_mw_workers;
    for (int j = 0; j < n_mw; j++) fprintf(out, " rank %d", r->workers[j].rank);
    if (n_mw < r->n_mw_workers) fprintf(out, " and %d more", r->n_mw_workers - n_mw);
    fprintf(out, "\n\nslowdown by op type (that type measured, the rest ideal):\n");
    const whatif_attr **sorted = malloc((size_t)r->n_by_optype * sizeof *sorted + 1);
    if (!sorted) return -1;
    for (int j = 0; j < r->n_by_optype; j++) sorted[j] = &r->by_optype[j];
    qsort(sorted, (size_t)r->n_by_optype, sizeof *sorted, cmp_attr_desc);
    for (int j = 0; j < r->n_by_optype; j++)
        fprintf(out, "  %-28s %s\n", sorted[j]->name, fmt_v("%.6f", sorted[j]->slowdown, a, sizeof a));
    free(sorted);
    if (print_groups(out, "stage", "stage", r->by_stage, r->n_stages, max_groups) ||
        print_groups(out, "DP rank", "dp_rank", r->by_dp, r->n_dp, max_groups))
        return -1;
    int n = top <= 0 || top > r->n_workers ? r->n_workers : top;
    fprintf(out, "\nworkers ranked by min(S of DP rank, S of stage) (%d of %d):\n", n,
            r->n_workers);
    fprintf(out, "  %6s %8s %6s %10s %10s\n", "rank", "dp_rank", "stage", "score", "alone");
    for (int j = 0; j < n; j++) {
        const whatif_worker *w = &r->workers[j];
        fprintf(out, "  %6d %8d %6d %10s %10s\n", w->rank, w->dp_rank, w->stage,
                fmt_v("%.6f", w->score, a, sizeof a), fmt_v("%.6f", w->slowdown_alone, b, sizeof b));
    }
    fprintf(out, "  (alone: S with only that worker measured, the rest ideal)\n");
    return 0;
}

/* ---- JSON --------------------------------------------------------------- */

/* {"0": v, "1": v, ...} of a group array indexed by id. */
static cJSON *attr_by_id(const whatif_attr *a, int n)
{
    char key[16];
    cJSON *o = cJSON_CreateObject();
    for (int j = 0; o && j < n; j++) {
        snprintf(key, sizeof key, "%d", a[j].id);
        cJSON_AddNumberToObject(o, key, a[j].slowdown);
    }
    return o;
}

static cJSON *share_json(const whatif_share *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "t_rem_s", s->t_rem_s);
    cJSON_AddNumberToObject(o, "t_add_s", s->t_add_s);
    cJSON_AddNumberToObject(o, "rem", s->rem); /* NaN prints as null */
    cJSON_AddNumberToObject(o, "add", s->add);
    return o;
}

cJSON *rep_whatif_json(const char *path, const whatif_result *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "trace", path);
    cJSON_AddNumberToObject(root, "n_steps", r->n_steps);
    cJSON_AddNumberToObject(root, "n_workers", r->n_workers);
    cJSON_AddNumberToObject(root, "n_dp", r->n_dp);
    cJSON_AddNumberToObject(root, "n_stages", r->n_stages);
    cJSON_AddNumberToObject(root, "n_ops_per_step", r->n_ops_per_step);
    cJSON_AddNumberToObject(root, "slowdown", r->slowdown);
    cJSON_AddNumberToObject(root, "waste_frac", r->waste_frac);
    cJSON_AddNumberToObject(root, "t_s", r->mean_t_s);
    cJSON_AddNumberToObject(root, "t_ideal_s", r->mean_t_ideal_s);
    cJSON_AddNumberToObject(root, "t_base_s", r->mean_t_base_s);
    cJSON_AddNumberToObject(root, "launch_slowdown", r->launch_slowdown);
    cJSON_AddNumberToObject(root, "fb_corr", r->fb_corr); /* NaN prints as null */
    cJSON_AddNumberToObject(root, "n_fb_pairs", r->n_fb_pairs);

    cJSON *ideal = cJSON_AddObjectToObject(root, "ideal_op_s");
    for (int t = 0; t < OPTRACE_N_TYPES; t++)
        if (r->has_type[t])
            cJSON_AddNumberToObject(ideal, optrace_type_name((optrace_type)t), r->ideal_s[t]);
    cJSON *byt = cJSON_AddObjectToObject(root, "slowdown_by_optype");
    for (int j = 0; j < r->n_by_optype; j++)
        cJSON_AddNumberToObject(byt, r->by_optype[j].name, r->by_optype[j].slowdown);
    cJSON_AddItemToObject(root, "slowdown_by_stage", attr_by_id(r->by_stage, r->n_stages));
    cJSON_AddItemToObject(root, "slowdown_by_dp_rank", attr_by_id(r->by_dp, r->n_dp));

    cJSON *ms = share_json(&r->ms);
    cJSON_AddNumberToObject(ms, "stage", r->n_stages - 1);
    cJSON_AddItemToObject(root, "ms", ms);
    cJSON *mw = share_json(&r->mw);
    cJSON *ranks = cJSON_AddArrayToObject(mw, "ranks");
    for (int j = 0; j < r->n_mw_workers; j++)
        cJSON_AddItemToArray(ranks, cJSON_CreateNumber(r->workers[j].rank));
    cJSON_AddItemToObject(root, "mw", mw);

    cJSON *steps = cJSON_AddArrayToObject(root, "steps");
    for (int k = 0; k < r->n_steps; k++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddNumberToObject(s, "step", r->step[k]);
        cJSON_AddNumberToObject(s, "t_base_s", r->t_base_s[k]);
        cJSON_AddNumberToObject(s, "t_s", r->t_s[k]);
        cJSON_AddNumberToObject(s, "t_ideal_s", r->t_ideal_s[k]);
        cJSON_AddNumberToObject(s, "slowdown", r->t_s[k] / r->t_ideal_s[k]);
        cJSON_AddItemToArray(steps, s);
    }
    cJSON *workers = cJSON_AddArrayToObject(root, "workers");
    for (int j = 0; j < r->n_workers; j++) {
        const whatif_worker *w = &r->workers[j];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "rank", w->rank);
        cJSON_AddNumberToObject(o, "dp_rank", w->dp_rank);
        cJSON_AddNumberToObject(o, "stage", w->stage);
        cJSON_AddNumberToObject(o, "score", w->score);
        cJSON_AddNumberToObject(o, "slowdown_alone", w->slowdown_alone);
        cJSON_AddItemToArray(workers, o);
    }
    return root;
}


/* ---- the straggler section of `dtsim run` --------------------------------- */

/* Workers, stages and DP ranks listed in the run summary. */
#define REP_SLOW_TOP 5

int rep_stragglers_text(FILE *out, const rep_slow_run *s, const whatif_result *r, int top)
{
    fprintf(out, "\nstragglers: %d TP group%s slowed, %d replica class%s simulated, %d "
            "iteration%s\n", s->n_slow_tp_groups, s->n_slow_tp_groups == 1 ? "" : "s",
            s->n_classes, s->n_classes == 1 ? "" : "es", s->iterations,
            s->iterations == 1 ? "" : "s");
    fprintf(out, "  %-16s %.6f s per iteration (mean)\n", "with slowness", s->iteration_s);
    if (isfinite(s->baseline_s) && s->baseline_s > 0)
        fprintf(out, "  %-16s %.6f s per iteration: the slowness costs x%.4f\n", "without",
                s->baseline_s, s->iteration_s / s->baseline_s);
    if (!r) {
        fprintf(out, "  no what-if attribution: %s\n", s->note ? s->note : "unavailable");
        return 0;
    }
    fprintf(out, "\n");
    return rep_whatif_text(out, "the simulated timeline", r, top > 0 ? top : REP_SLOW_TOP,
                           REP_SLOW_TOP);
}

cJSON *rep_stragglers_json(const rep_slow_run *s, const whatif_result *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "iterations", s->iterations);
    cJSON_AddNumberToObject(o, "n_classes", s->n_classes);
    cJSON_AddNumberToObject(o, "n_slow_tp_groups", s->n_slow_tp_groups);
    cJSON_AddNumberToObject(o, "iteration_s", s->iteration_s);
    cJSON_AddNumberToObject(o, "baseline_iteration_s", s->baseline_s); /* NaN -> null */
    cJSON_AddNumberToObject(o, "sim_slowdown", s->iteration_s / s->baseline_s);
    if (r) {
        cJSON *w = rep_whatif_json("simulated", r);
        if (!w) {
            cJSON_Delete(o);
            return NULL;
        }
        cJSON_AddItemToObject(o, "whatif", w);
    } else {
        cJSON_AddNullToObject(o, "whatif");
        cJSON_AddStringToObject(o, "note", s->note ? s->note : "unavailable");
    }
    return o;
}
