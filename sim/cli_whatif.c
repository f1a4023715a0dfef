/*
** cli_whatif.c -- `dtsim whatif TRACE.csv`: what-if straggler analysis of a
** per-op trace (CLI layer). Loads the CSV (optrace), analyses it (whatif),
** prints a summary and optionally writes the same numbers as JSON (cJSON).
*/
#include "cli.h"
#include "optrace.h"
#include "whatif.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Workers listed in the summary unless --top says otherwise. */
#define WHATIF_TOP_DEFAULT 10

static void usage(FILE *out)
{
    fprintf(out,
            "usage: dtsim whatif TRACE.csv [--json FILE] [--top N]\n"
            "\n"
            "What-if straggler analysis of a per-op training trace (Lin et al., OSDI'25):\n"
            "replays every step with the measured op times (T) and with every op at the\n"
            "typical time of its type (T_ideal: mean for compute, median for communication)\n"
            "and reports the slowdown S = mean T / mean T_ideal, the share of step time\n"
            "lost (1 - 1/S), which op types, stages and DP ranks cause it, M_S (share\n"
            "explained by the last stage) and M_W (by the worst 3%% of workers), and the\n"
            "workers ranked by min(S of their DP rank, S of their stage).\n"
            "\n"
            "TRACE.csv    header dp_rank,stage,rank,step,optype,start_ts,duration,seq_id,\n"
            "             mc,mb_id,gmc; times in seconds (see docs/whatif.md)\n"
            "--json FILE  also write the results as JSON to FILE ('-' = stdout, then\n"
            "             the summary is not printed)\n"
            "--top N      workers to list in the summary (default %d, 0 = all)\n"
            "--help       this text\n"
            "\n"
            "Exit status: 0 ok, 1 bad trace (the message names file and line), 2 usage.\n",
            WHATIF_TOP_DEFAULT);
}

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

static int print_summary(FILE *out, const char *path, const whatif_result *r, int top)
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
    LINE("S (slowdown)", "T / T_ideal", "%.6f", r->slowdown);
    LINE("waste", "1 - 1/S: step time lost to stragglers", "%.2f %%", 100 * r->waste_frac);
    LINE("T", "replayed with the measured op times", "%.6f s", r->mean_t_s);
    LINE("T_ideal", "replayed with every op at its type's ideal", "%.6f s", r->mean_t_ideal_s);
    LINE("T_base", "measured step time", "%.6f s", r->mean_t_base_s);
    LINE("launch slowdown", "T_base / T: CPU-side launch gaps", "%.6f", r->launch_slowdown);
    snprintf(a, sizeof a, "(step %d)", r->step[kmin]);
    snprintf(b, sizeof b, "(step %d)", r->step[kmax]);
    fprintf(out, "  %-16s %.4f %s .. %.4f %s\n", "S per step",
            r->t_s[kmin] / r->t_ideal_s[kmin], a, r->t_s[kmax] / r->t_ideal_s[kmax], b);
    fmt_m(r->ms.add, b, sizeof b);
    snprintf(desc, sizeof desc, "share of T - T_ideal due to the last stage (%d)",
             r->n_stages - 1);
    LINE("M_S", desc, "%s (add %s)", fmt_m(r->ms.rem, a, sizeof a), b);
    fmt_m(r->mw.add, b, sizeof b);
    snprintf(desc, sizeof desc, "share due to the worst %d%% of workers:", WHATIF_MW_PERCENT);
    snprintf(v, sizeof v, "%s (add %s)", fmt_m(r->mw.rem, a, sizeof a), b);
    fprintf(out, "  %-16s %-22s %s", "M_W", v, desc);
#undef LINE
    for (int j = 0; j < r->n_mw_workers; j++) fprintf(out, " rank %d", r->workers[j].rank);
    fprintf(out, "\n\nslowdown by op type (that type measured, the rest ideal):\n");
    const whatif_attr **sorted = malloc((size_t)r->n_by_optype * sizeof *sorted + 1);
    if (!sorted) return -1;
    for (int j = 0; j < r->n_by_optype; j++) sorted[j] = &r->by_optype[j];
    qsort(sorted, (size_t)r->n_by_optype, sizeof *sorted, cmp_attr_desc);
    for (int j = 0; j < r->n_by_optype; j++)
        fprintf(out, "  %-28s %.6f\n", sorted[j]->name, sorted[j]->slowdown);
    free(sorted);
    fprintf(out, "\nslowdown by stage:\n");
    for (int s = 0; s < r->n_stages; s++)
        fprintf(out, "  stage %-4d %.6f\n", s, r->by_stage[s].slowdown);
    fprintf(out, "\nslowdown by DP rank:\n");
    for (int d = 0; d < r->n_dp; d++)
        fprintf(out, "  dp_rank %-4d %.6f\n", d, r->by_dp[d].slowdown);
    int n = top <= 0 || top > r->n_workers ? r->n_workers : top;
    fprintf(out, "\nworkers ranked by min(S of DP rank, S of stage) (%d of %d):\n", n,
            r->n_workers);
    fprintf(out, "  %6s %8s %6s %10s %10s\n", "rank", "dp_rank", "stage", "score", "alone");
    for (int j = 0; j < n; j++) {
        const whatif_worker *w = &r->workers[j];
        fprintf(out, "  %6d %8d %6d %10.6f %10.6f\n", w->rank, w->dp_rank, w->stage, w->score,
                w->slowdown_alone);
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

static cJSON *result_json(const char *path, const whatif_result *r)
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

/* Writes the JSON to 'dest' ("-" = stdout); -1 with a message printed. */
static int write_json(const char *dest, const char *path, const whatif_result *r)
{
    cJSON *root = result_json(path, r);
    char *text = root ? cJSON_Print(root) : NULL;
    int rc = -1;
    if (!text) {
        fprintf(stderr, "dtsim whatif: out of memory building the JSON report\n");
        goto done;
    }
    FILE *f = strcmp(dest, "-") ? fopen(dest, "w") : stdout;
    if (!f) {
        fprintf(stderr, "dtsim whatif: %s: %s\n", dest, strerror(errno));
        goto done;
    }
    int bad = fprintf(f, "%s\n", text) < 0;
    if (f != stdout) bad |= fclose(f) != 0;
    else bad |= fflush(f) != 0;
    if (bad) fprintf(stderr, "dtsim whatif: %s: write failed\n", dest);
    rc = bad ? -1 : 0;
done:
    cJSON_free(text);
    cJSON_Delete(root);
    return rc;
}

/* ---- entry -------------------------------------------------------------- */

int cli_whatif(int argc, char **argv)
{
    const char *trace = NULL, *json = NULL;
    int top = WHATIF_TOP_DEFAULT;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
            json = argv[++i];
        } else if (!strcmp(argv[i], "--top") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || v < 0 || v > 1000000) {
                fprintf(stderr, "dtsim whatif: --top needs a count >= 0, not '%s'\n", argv[i]);
                return CLI_USAGE;
            }
            top = (int)v;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "dtsim whatif: unknown or incomplete option '%s'\n\n", argv[i]);
            usage(stderr);
            return CLI_USAGE;
        } else if (!trace) {
            trace = argv[i];
        } else {
            fprintf(stderr, "dtsim whatif: one trace only ('%s' and '%s')\n", trace, argv[i]);
            return CLI_USAGE;
        }
    }
    if (!trace) {
        usage(stderr);
        return CLI_USAGE;
    }

    char err[1024];
    int rc = CLI_ERR;
    whatif_result *r = NULL;
    optrace *t = optrace_load_csv(trace, err, sizeof err);
    if (!t || !(r = whatif_analyse(t, err, sizeof err))) {
        fprintf(stderr, "dtsim whatif: %s\n", err);
        goto done;
    }
    if (!(json && !strcmp(json, "-")) && print_summary(stdout, trace, r, top)) {
        fprintf(stderr, "dtsim whatif: out of memory\n");
        goto done;
    }
    if (json && write_json(json, trace, r)) goto done;
    rc = CLI_OK;
done:
    whatif_result_free(r);
    optrace_free(t);
    return rc;
}
