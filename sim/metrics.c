/*
** metrics.c -- every reported metric, defined once (pure layer). See metrics.h.
*/
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

void metrics_free(metrics *m)
{
    if (!m) return;
    free(m->busy_s);
    free(m->tp_s);
    free(m->bubble_s);
    free(m->exposed_s);
    free(m->dp_wait_s);
    free(m->span_s);
    free(m->opt_s);
    free(m->send_s);
    free(m->memory_bytes);
    memset(m, 0, sizeof *m);
}

int metrics_compute(const met_input *in, const tl_track *tracks, int iter, double iter_start_s,
                    metrics *out)
{
    memset(out, 0, sizeof *out);
    int pp = in->pp;
    out->pp = pp;
    size_t k = (size_t)pp;
    out->busy_s = calloc(k, sizeof(double));
    out->tp_s = calloc(k, sizeof(double));
    out->bubble_s = calloc(k, sizeof(double));
    out->exposed_s = calloc(k, sizeof(double));
    out->dp_wait_s = calloc(k, sizeof(double));
    out->span_s = calloc(k, sizeof(double));
    out->opt_s = calloc(k, sizeof(double));
    out->send_s = calloc(k, sizeof(double));
    out->memory_bytes = calloc(k, sizeof(double));
    if (!out->busy_s || !out->tp_s || !out->bubble_s || !out->exposed_s || !out->dp_wait_s ||
        !out->span_s || !out->opt_s || !out->send_s || !out->memory_bytes) {
        metrics_free(out);
        return -1;
    }
    out->iteration_s = in->iteration_s;
    double pipe_end = 0, longest_span = 0;
    for (int d = 0; d < pp; d++) {
        double first = -1, last = 0;
        for (int i = 0; i < tracks[d].n; i++) {
            const tl_event *e = &tracks[d].ev[i];
            if (e->iter != iter) continue;
            double dur = e->end_s - e->start_s;
            switch (e->type) {
            case TL_EV_F: case TL_EV_B: case TL_EV_W: case TL_EV_TP:
                if (e->type == TL_EV_TP) out->tp_s[d] += dur;
                else out->busy_s[d] += dur;
                if (first < 0 || e->start_s < first) first = e->start_s;
                if (e->end_s > last) last = e->end_s;
                if (e->type == TL_EV_TP) out->exposed_s[d] += dur;
                break;
            case TL_EV_WAIT:
                out->exposed_s[d] += e->exposed_s;
                break;
            case TL_EV_SEND:
                out->send_s[d] += dur;
                out->exposed_s[d] += dur;
                break;
            case TL_EV_DP_WAIT:
                out->dp_wait_s[d] += dur;
                out->exposed_s[d] += dur;
                break;
            case TL_EV_EMB:
                out->exposed_s[d] += dur;
                break;
            case TL_EV_OPT:
                out->opt_s[d] += dur;
                break;
            default:
                break;
            }
        }
        if (first < 0) first = last = iter_start_s;
        out->span_s[d] = last - first;
        if (out->span_s[d] > longest_span) longest_span = out->span_s[d];
        if (last - iter_start_s > pipe_end) pipe_end = last - iter_start_s;
    }
    out->pipeline_s = pipe_end;
    double sum_bubble = 0, sum_busy = 0, sum_exposed = 0;
    out->fits_in_memory = 1;
    for (int d = 0; d < pp; d++) {
        double busy = out->busy_s[d] + out->tp_s[d];
        out->bubble_s[d] = pipe_end - busy - out->send_s[d];
        if (out->bubble_s[d] < 0) out->bubble_s[d] = 0;
        sum_bubble += out->bubble_s[d];
        sum_busy += busy;
        sum_exposed += out->exposed_s[d];
        out->memory_bytes[d] = in->memory_bytes ? in->memory_bytes[d] : 0;
        if (out->memory_bytes[d] > out->peak_memory_bytes) out->peak_memory_bytes = out->memory_bytes[d];
        if (in->fits && !in->fits[d]) out->fits_in_memory = 0;
    }
    out->mean_bubble_s = sum_bubble / pp;
    out->bubble_fraction = out->iteration_s > 0 ? out->mean_bubble_s / out->iteration_s : 0;
    out->bubble_ratio = sum_busy > 0 ? sum_bubble / sum_busy : 0;
    out->zb_bubble_rate = longest_span > 0 ? 1 - (sum_busy / pp) / longest_span : 0;
    out->exposed_comm_s = sum_exposed / pp;
    if (out->iteration_s > 0) {
        out->tokens_per_s = in->tokens_per_iter / out->iteration_s;
        out->samples_per_s = in->samples_per_iter / out->iteration_s;
        double gpu_s = out->iteration_s * in->n_gpus;
        out->tflops_per_gpu = in->executed_flops / gpu_s / 1e12;
        if (in->peak_flops_per_gpu > 0) {
            out->mfu = in->model_flops / gpu_s / in->peak_flops_per_gpu;
            out->hfu = in->executed_flops / gpu_s / in->peak_flops_per_gpu;
        }
    }
    return 0;
}
