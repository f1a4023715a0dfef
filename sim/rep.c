/*
** rep.c -- reports: human summary, JSON, Chrome/Perfetto trace (pure layer).
*/
#include "rep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GIB (1024.0 * 1024.0 * 1024.0)

/* ======================================================================
** Text
** ====================================================================== */

/* Seconds with a unit for the summary, in the callers' 32-byte buffers:
** fixed-point up to a million seconds, %g beyond (1e308 printed 300 digits
** cut to 31 without a unit), "n/a" when not finite. */
#define REP_TIME_FIXED_MAX_S 1e6

static const char *fmt_time(double s, char *buf, size_t len)
{
    if (!isfinite(s)) snprintf(buf, len, "n/a");
    else if (fabs(s) >= REP_TIME_FIXED_MAX_S) snprintf(buf, len, "%.6g s", s);
    else if (s >= 1) snprintf(buf, len, "%.3f s", s);
    else if (s >= 1e-3) snprintf(buf, len, "%.3f ms", s * 1e3);
    else snprintf(buf, len, "%.3f us", s * 1e6);
    return buf;
}

void rep_text(FILE *out, const cfg_experiment *e, const plan_t *p, const metrics *m)
{
    char a[32], b[32], c[32], d[32], set[CFG_OVERRIDES_TEXT_MAX];
    const cfg_parallel *par = &e->parallel;
    fprintf(out, "dtsim: %s\n", e->name[0] ? e->name : e->file);
    cfg_overrides_text(&e->ov, set, sizeof set);
    if (set[0]) fprintf(out, "  with     --set %s\n", set);
    if (p->abstract)
        fprintf(out, "  model    abstract: t_f %s, t_b %s, t_w %s, t_comm %s per microbatch and stage\n",
                fmt_time(e->model.t_f_s, a, sizeof a), fmt_time(e->model.t_b_s, b, sizeof b),
                fmt_time(e->model.t_w_s, c, sizeof c), fmt_time(e->model.t_comm_s, d, sizeof d));
    else
        fprintf(out, "  model    %s: %d layers, hidden %d, %d heads, seq %d, vocab %d, %.2fB params\n",
                e->model.name, e->model.layers, e->model.hidden, e->model.heads,
                e->model.seq_len, e->model.vocab, cost_total_params(&e->model) / 1e9);
    fprintf(out, "  cluster  %s: %d nodes x %d %s = %d GPUs\n", e->cluster.name, e->cluster.nodes,
            e->cluster.gpus_per_node, e->cluster.gpu.name, p->n_gpus);
    fprintf(out, "  plan     TP %d, PP %d, DP %d, schedule %s", p->tp, p->pp, p->dp,
            sched_type_name(par->schedule));
    if (p->v > 1) fprintf(out, " (%d chunks per device)", p->v);
    fprintf(out, ", %d microbatches of %d, global batch %d, recompute %s\n", p->m,
            par->microbatch_size, par->global_batch_size, cfg_recompute_names[par->recompute]);
    fprintf(out, "\n");
    fprintf(out, "  iteration time      %s", fmt_time(m->iteration_s, a, sizeof a));
    if (m->iterations > 1) /* the stragglers section reports the mean */
        fprintf(out, " (the last of %d iterations, as the rest of this summary; their mean %s)",
                m->iterations, fmt_time(m->mean_iteration_s, b, sizeof b));
    fprintf(out, "\n");
    if (!p->abstract) {
        fprintf(out, "  throughput          %.0f tokens/s, %.3f samples/s\n", m->tokens_per_s,
                m->samples_per_s);
        fprintf(out, "  per GPU             %.1f TFLOP/s (MFU %.1f%%, HFU %.1f%%)\n",
                m->tflops_per_gpu, 100 * m->mfu, 100 * m->hfu);
    }
    fprintf(out, "  pipeline bubble     %s per stage on average: %.2f%% of the iteration, "
            "%.2f%% of ideal time\n", fmt_time(m->mean_bubble_s, a, sizeof a),
            100 * m->bubble_fraction, 100 * m->bubble_ratio);
    fprintf(out, "  exposed comm        %s per stage on average\n",
            fmt_time(m->exposed_comm_s, a, sizeof a));
    if (!p->abstract)
        fprintf(out, "  peak memory         %.1f GiB per GPU (max over stages, GPU has %.1f GiB): %s\n",
                m->peak_memory_bytes / GIB, e->cluster.gpu.hbm_bytes / GIB,
                m->fits_in_memory ? "fits" : "DOES NOT FIT");
    fprintf(out, "\n");
    if (m->n_classes > 1) /* a slowed replica is not DP replica 0: say whose the rows are */
        fprintf(out, "  per stage: DP replica 0, one of %d replica classes simulated (the bubble "
                "and exposed comm above too)\n", m->n_classes);
    fprintf(out, "  stage   busy        bubble      bubble%%  exposed comm  DP wait     memory\n");
    for (int d = 0; d < m->pp; d++) {
        char bu[32], bb[32], ex[32], dw[32];
        fprintf(out, "  %5d   %-10s  %-10s  %6.2f   %-12s  %-10s  ", d,
                fmt_time(m->busy_s[d] + m->tp_s[d], bu, sizeof bu),
                fmt_time(m->bubble_s[d], bb, sizeof bb),
                m->iteration_s > 0 ? 100 * m->bubble_s[d] / m->iteration_s : 0,
                fmt_time(m->exposed_s[d], ex, sizeof ex), fmt_time(m->dp_wait_s[d], dw, sizeof dw));
        if (p->abstract) fprintf(out, "%.0f microbatches\n", p->peak_inflight[d]);
        else fprintf(out, "%.1f GiB%s\n", m->memory_bytes[d] / GIB, p->mem[d].fits ? "" : " (!)");
    }
}

/* ======================================================================
** JSON
** ====================================================================== */

/* A figure an abstract model has no data for (tokens, FLOPs, memory) is null,
** as the summary and compare's table leave it out ('-'): it was 0, or for
** tokens_per_s the samples/s. */
static void add_real(cJSON *j, const char *key, const plan_t *p, double x)
{
    if (p->abstract) cJSON_AddNullToObject(j, key);
    else cJSON_AddNumberToObject(j, key, x);
}

static cJSON *num_array(const double *x, int n, double scale)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(x[i] * scale));
    return a;
}

cJSON *rep_json(const cfg_experiment *e, const plan_t *p, const metrics *m)
{
    cJSON *j = cJSON_CreateObject();
    if (!j) return NULL;
    cJSON_AddStringToObject(j, "experiment", e->name[0] ? e->name : e->file);
    char set[CFG_OVERRIDES_TEXT_MAX];
    cfg_overrides_text(&e->ov, set, sizeof set);
    if (set[0]) cJSON_AddStringToObject(j, "overrides", set);
    cJSON_AddStringToObject(j, "model", e->model.name);
    cJSON_AddStringToObject(j, "cluster", e->cluster.name);
    cJSON_AddStringToObject(j, "gpu", e->cluster.gpu.name);
    cJSON_AddNumberToObject(j, "gpus", p->n_gpus);
    cJSON *plan = cJSON_AddObjectToObject(j, "parallel");
    cJSON_AddNumberToObject(plan, "tp", p->tp);
    cJSON_AddNumberToObject(plan, "pp", p->pp);
    cJSON_AddNumberToObject(plan, "dp", p->dp);
    cJSON_AddStringToObject(plan, "schedule", sched_type_name(e->parallel.schedule));
    cJSON_AddNumberToObject(plan, "virtual_stages", p->v);
    cJSON_AddNumberToObject(plan, "microbatches", p->m);
    cJSON_AddNumberToObject(plan, "microbatch_size", e->parallel.microbatch_size);
    cJSON_AddNumberToObject(plan, "global_batch_size", e->parallel.global_batch_size);
    cJSON_AddStringToObject(plan, "recompute", cfg_recompute_names[e->parallel.recompute]);
    cJSON_AddNumberToObject(j, "seed", (double)e->seed);
    cJSON_AddNumberToObject(j, "iterations", m->iterations);
    cJSON_AddNumberToObject(j, "iteration_time_s", m->iteration_s);
    cJSON_AddNumberToObject(j, "mean_iteration_time_s", m->mean_iteration_s);
    cJSON_AddNumberToObject(j, "pipeline_time_s", m->pipeline_s);
    add_real(j, "tokens_per_s", p, m->tokens_per_s);
    cJSON_AddNumberToObject(j, "samples_per_s", m->samples_per_s);
    add_real(j, "tflops_per_gpu", p, m->tflops_per_gpu);
    add_real(j, "mfu", p, m->mfu);
    add_real(j, "hfu", p, m->hfu);
    cJSON_AddNumberToObject(j, "bubble_time_s", m->mean_bubble_s);
    cJSON_AddNumberToObject(j, "bubble_fraction", m->bubble_fraction);
    cJSON_AddNumberToObject(j, "bubble_ratio", m->bubble_ratio);
    cJSON_AddNumberToObject(j, "zb_bubble_rate", m->zb_bubble_rate);
    cJSON_AddNumberToObject(j, "exposed_comm_s", m->exposed_comm_s);
    add_real(j, "peak_memory_bytes", p, m->peak_memory_bytes);
    if (!p->abstract) /* what peak_memory_bytes is compared with */
        cJSON_AddNumberToObject(j, "gpu_memory_bytes", e->cluster.gpu.hbm_bytes);
    cJSON_AddBoolToObject(j, "fits_in_memory", m->fits_in_memory);
    add_real(j, "executed_flops_per_iteration", p, p->executed_flops);
    add_real(j, "model_flops_per_iteration", p, p->model_flops);
    cJSON *st = cJSON_AddObjectToObject(j, "stages");
    /* whose rows: DP replica 0, one of the replica classes simulated (a slowed
    ** replica is another class; the text table says the same) */
    cJSON_AddNumberToObject(st, "dp_replica", 0);
    cJSON_AddNumberToObject(st, "replica_classes", m->n_classes > 1 ? m->n_classes : 1);
    cJSON_AddItemToObject(st, "busy_s", num_array(m->busy_s, m->pp, 1));
    cJSON_AddItemToObject(st, "tp_comm_s", num_array(m->tp_s, m->pp, 1));
    cJSON_AddItemToObject(st, "bubble_s", num_array(m->bubble_s, m->pp, 1));
    cJSON_AddItemToObject(st, "exposed_comm_s", num_array(m->exposed_s, m->pp, 1));
    cJSON_AddItemToObject(st, "dp_wait_s", num_array(m->dp_wait_s, m->pp, 1));
    cJSON_AddItemToObject(st, "optimizer_s", num_array(m->opt_s, m->pp, 1));
    if (p->abstract) cJSON_AddNullToObject(st, "memory_bytes");
    else cJSON_AddItemToObject(st, "memory_bytes", num_array(m->memory_bytes, m->pp, 1));
    cJSON_AddItemToObject(st, "peak_inflight_microbatches", num_array(p->peak_inflight, p->pp, 1));
    if (!p->abstract) {
        double *w = malloc((size_t)p->pp * sizeof *w), *a = malloc((size_t)p->pp * sizeof *a);
        if (w && a) {
            for (int d = 0; d < p->pp; d++) {
                w[d] = p->mem[d].state_bytes;
                a[d] = p->mem[d].act_bytes;
            }
            cJSON_AddItemToObject(st, "model_state_bytes", num_array(w, p->pp, 1));
            cJSON_AddItemToObject(st, "activation_bytes", num_array(a, p->pp, 1));
        }
        free(w);
        free(a);
    }
    return j;
}

int rep_write_json_file(const char *path, const cJSON *json)
{
    char *text = cJSON_Print(json);
    if (!text) return -1;
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    int rc = -1;
    if (f) {
        rc = fputs(text, f) < 0 || fputc('\n', f) == EOF ? -1 : 0;
        if (f != stdout && fclose(f) != 0) rc = -1;
    }
    cJSON_free(text);
    return rc;
}

/* ======================================================================
** Chrome trace
** ====================================================================== */

/* Thread ids inside a class's process: compute = stage, then one thread per
** stage for TP, for incoming transfers and for DP buckets. */
enum { TID_TP = 10000, TID_RECV = 20000, TID_DP = 30000 };

static void ev_x(FILE *f, int *first, const char *name, const char *cat, int pid, int tid,
                 double start_s, double end_s, const char *args)
{
    fprintf(f, "%s\n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%d,\"tid\":%d,"
            "\"ts\":%.3f,\"dur\":%.3f%s%s%s}", *first ? "" : ",", name, cat, pid, tid,
            start_s * 1e6, (end_s - start_s) * 1e6, args ? ",\"args\":{" : "", args ? args : "",
            args ? "}" : "");
    *first = 0;
}

static void thread_name(FILE *f, int *first, int pid, int tid, const char *name, int sort)
{
    fprintf(f, "%s\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,"
            "\"args\":{\"name\":\"%s\"}},\n{\"name\":\"thread_sort_index\",\"ph\":\"M\","
            "\"pid\":%d,\"tid\":%d,\"args\":{\"sort_index\":%d}}", *first ? "" : ",", pid, tid,
            name, pid, tid, sort);
    *first = 0;
}

/* Activation memory counter of one stage track, with the convention of
** sched_mem_profile (sched.h): one microbatch of a chunk is allocated when
** its F starts and released when its W ends (its B without the split);
** changes at one instant are merged. "microbatches" counts stage units
** (chunk microbatches / v, as stages.peak_inflight_microbatches), "bytes"
** adds each chunk's own activation (plan.act_bytes_vs), so the peaks of the
** counter are the JSON report's peak_inflight_microbatches and
** activation_bytes. Points are (time, microbatch delta, byte delta). */
static int cmp_mem_point(const void *x, const void *y)
{
    const double *a = x, *b = y;
    if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : (a[1] > b[1]); /* releases first */
}

static void memory_counter(FILE *f, const plan_t *p, const tl_track *t, int pid)
{
    int releases_on = p->sched.split_backward ? TL_EV_W : TL_EV_B;
    double *pts = malloc((size_t)(t->n + 1) * 3 * sizeof *pts);
    if (!pts) return;
    int n = 0;
    double unit = 1.0 / p->v;
    for (int i = 0; i < t->n; i++) {
        const tl_event *e = &t->ev[i];
        if (e->type != TL_EV_F && e->type != releases_on) continue;
        double sign = e->type == TL_EV_F ? 1 : -1;
        pts[3 * n] = e->type == TL_EV_F ? e->start_s : e->end_s;
        pts[3 * n + 1] = sign * unit;
        pts[3 * n + 2] = sign * p->act_bytes_vs[sched_vstage(&p->sched, t->dev, e->chunk)];
        n++;
    }
    qsort(pts, (size_t)n, 3 * sizeof *pts, cmp_mem_point);
    double live = 0, bytes = 0;
    for (int i = 0; i < n; i++) {
        live += pts[3 * i + 1];
        bytes += pts[3 * i + 2];
        if (i + 1 < n && pts[3 * i + 3] == pts[3 * i]) continue; /* same instant */
        fprintf(f, ",\n{\"name\":\"activations stage %d\",\"ph\":\"C\",\"pid\":%d,\"ts\":%.3f,"
                "\"args\":{\"microbatches\":%.6g,\"bytes\":%.6g}}", t->dev, pid, pts[3 * i] * 1e6,
                live, bytes);
    }
    free(pts);
}

int rep_write_trace(const char *path, const plan_t *p, const tl_result *r)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f) return -1;
    int first = 1;
    fprintf(f, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[");
    char name[64], args[160];
    static const char kind_c[] = {'F', 'B', 'W'};
    for (int c = 0; c < r->n_classes; c++) {
        fprintf(f, "%s\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"args\":{\"name\":"
                "\"replica class %d\"}}", first ? "" : ",", c, c);
        first = 0;
        for (int d = 0; d < p->pp; d++) {
            snprintf(name, sizeof name, "stage %d compute", d);
            thread_name(f, &first, c, d, name, 4 * d);
            snprintf(name, sizeof name, "stage %d TP comm", d);
            thread_name(f, &first, c, TID_TP + d, name, 4 * d + 1);
            snprintf(name, sizeof name, "stage %d PP recv", d);
            thread_name(f, &first, c, TID_RECV + d, name, 4 * d + 2);
            if (c == 0 && p->n_buckets[d] > 0) {
                snprintf(name, sizeof name, "stage %d DP comm", d);
                thread_name(f, &first, c, TID_DP + d, name, 4 * d + 3);
            }
        }
    }
    for (int i = 0; i < r->n_tracks; i++) {
        const tl_track *t = &r->tracks[i];
        int pid = t->cls < 0 ? 0 : t->cls;
        for (int k = 0; k < t->n; k++) {
            const tl_event *e = &t->ev[k];
            switch (e->type) {
            case TL_EV_F: case TL_EV_B: case TL_EV_W:
                if (p->v > 1) snprintf(name, sizeof name, "%c%d.%d", kind_c[e->type], e->mb, e->chunk);
                else snprintf(name, sizeof name, "%c%d", kind_c[e->type], e->mb);
                snprintf(args, sizeof args, "\"microbatch\":%d,\"chunk\":%d,\"iteration\":%d",
                         e->mb, e->chunk, e->iter);
                ev_x(f, &first, name, "compute", pid, t->dev, e->start_s, e->end_s, args);
                break;
            case TL_EV_TP:
                snprintf(args, sizeof args, "\"bytes\":%.17g", e->bytes);
                ev_x(f, &first, "TP all-reduce", "tp", pid, TID_TP + t->dev, e->start_s, e->end_s, args);
                break;
            case TL_EV_RECV:
                snprintf(name, sizeof name, "recv mb %d from stage %d", e->mb, e->peer);
                snprintf(args, sizeof args, "\"bytes\":%.17g", e->bytes);
                ev_x(f, &first, name, "pp", pid, TID_RECV + t->dev, e->start_s, e->end_s, args);
                break;
            case TL_EV_WAIT:
                ev_x(f, &first, "wait input", "idle", pid, t->dev, e->start_s, e->end_s, NULL);
                break;
            case TL_EV_DP:
                snprintf(name, sizeof name, "DP bucket %d", e->mb);
                snprintf(args, sizeof args, "\"bytes\":%.17g", e->bytes);
                ev_x(f, &first, name, "dp", pid, TID_DP + t->dev, e->start_s, e->end_s, args);
                break;
            case TL_EV_DP_WAIT:
                ev_x(f, &first, "wait DP grads", "idle", pid, t->dev, e->start_s, e->end_s, NULL);
                break;
            case TL_EV_EMB:
                ev_x(f, &first, "embedding grad sync", "comm", pid, TID_DP + t->dev, e->start_s,
                     e->end_s, NULL);
                break;
            case TL_EV_OPT:
                ev_x(f, &first, "optimizer", "compute", pid, t->dev, e->start_s, e->end_s, NULL);
                break;
            case TL_EV_GC:
                ev_x(f, &first, "stall", "idle", pid, t->dev, e->start_s, e->end_s, NULL);
                break;
            case TL_EV_SEND:
                snprintf(name, sizeof name, "send mb %d to stage %d", e->mb, e->peer);
                snprintf(args, sizeof args, "\"bytes\":%.17g", e->bytes);
                ev_x(f, &first, name, "pp", pid, t->dev, e->start_s, e->end_s, args);
                break;
            default:
                break;
            }
        }
        if (t->cls >= 0) memory_counter(f, p, t, pid);
    }
    fprintf(f, "\n]}\n");
    int rc = ferror(f) ? -1 : 0;
    if (f != stdout && fclose(f) != 0) rc = -1;
    return rc;
}
