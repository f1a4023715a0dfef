/*
** run_oracle_analytic.c -- closed-form iteration oracle from a per-layer
** profile (pure layer). See oracle_analytic_new() in run_oracle.h.
**
** Pipeline time, 1F1B (PipeDream-Flush, Narayanan et al. SC'21 §2.2):
** (m + S - 1) * max_s (F_s + B_s), i.e. the bubble is (S-1)/m of the ideal
** time. Gradient sync: ring all-reduce of the largest stage's gradients over
** the d pipelines, 2(d-1)/d * bytes / bw + 2(d-1) * latency.
*/
#include "run_oracle.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    oracle_profile p;
} analytic_ctx;

static void an_info(void *ctx, oracle_info *out)
{
    const oracle_profile *p = &((analytic_ctx *)ctx)->p;
    out->has_layers = 1;
    out->n_layers = p->n_layers;
    out->gpus_per_node = p->gpus_per_node;
    out->gpu_mem_bytes = p->gpu_mem_bytes;
    out->model_state_bytes = p->ckpt_bytes;
    out->global_batch_samples = p->global_batch_samples;
    out->n_microbatches = p->n_microbatches;
}

static int an_layer(void *ctx, int layer, int n_gpus, oracle_layer *out)
{
    const oracle_profile *p = &((analytic_ctx *)ctx)->p;
    if (layer < 0 || layer >= p->n_layers || n_gpus < 1) return -1;
    double eff = n_gpus == 1 ? 1.0 : p->tp_efficiency_frac;
    out->fwd_s = p->fwd_s / (n_gpus * eff);
    out->bwd_s = p->bwd_s / (n_gpus * eff);
    out->act_bytes = p->act_bytes;
    out->state_bytes = p->state_bytes;
    return 0;
}

static int an_plan_time(void *ctx, const oracle_plan *plan, oracle_result *out, char *err,
                        size_t errlen)
{
    const oracle_profile *p = &((analytic_ctx *)ctx)->p;
    double pipe_max = 0, max_stage_layers = 0;
    for (int i = 0; i < plan->n_pipes; i++) {
        const oracle_pipeline *q = &plan->pipes[i];
        if (q->n_stages < 1 || q->n_microbatches < 1) {
            snprintf(err, errlen, "pipeline %d: %d stages, %d microbatches", i, q->n_stages,
                     q->n_microbatches);
            return -1;
        }
        int layers = 0;
        double worst = 0;
        for (int s = 0; s < q->n_stages; s++) {
            int l = q->stage_layers[s], g = q->stage_gpus[s];
            if (l < 1 || g < 1) {
                snprintf(err, errlen, "pipeline %d stage %d: %d layers on %d GPUs", i, s, l, g);
                return -1;
            }
            layers += l;
            oracle_layer c = {0};
            an_layer(ctx, 0, g, &c);
            double t = l * (c.fwd_s + c.bwd_s);
            if (t > worst) worst = t;
            if (l > max_stage_layers) max_stage_layers = l;
            /* memory per GPU: state + activations of the in-flight microbatches */
            int inflight = q->n_stages - s;
            if (inflight > q->n_microbatches) inflight = q->n_microbatches;
            double bytes = l * (p->state_bytes + p->act_bytes * inflight) / g;
            if (bytes > p->gpu_mem_bytes) {
                out->fits = 0;
                return 0;
            }
        }
        if (layers != p->n_layers) {
            snprintf(err, errlen, "pipeline %d holds %d layers, the model has %d", i, layers,
                     p->n_layers);
            return -1;
        }
        double t = (q->n_microbatches + q->n_stages - 1) * worst;
        if (i < ORACLE_MAX_PIPES_REPORTED) out->pipe_s[i] = t;
        if (t > pipe_max) pipe_max = t;
    }
    int d = plan->n_pipes;
    double sync = 0;
    if (d > 1) {
        double bytes = max_stage_layers * p->grad_bytes_per_layer;
        sync = 2.0 * (d - 1) / d * bytes / p->dp_bw_bytes_per_s + 2.0 * (d - 1) * p->dp_latency_s;
    }
    out->fits = 1;
    out->pipe_max_s = pipe_max;
    out->sync_s = sync;
    out->iter_s = pipe_max + sync;
    return 0;
}

oracle *oracle_analytic_new(const oracle_profile *prof, char *err, size_t errlen)
{
    const char *bad = NULL;
    if (prof->n_layers < 1) bad = "n_layers must be >= 1";
    else if (prof->gpus_per_node < 1) bad = "gpus_per_node must be >= 1";
    else if (!(prof->gpu_mem_bytes > 0)) bad = "gpu memory must be > 0";
    else if (!(prof->fwd_s > 0) || !(prof->bwd_s > 0)) bad = "layer times must be > 0";
    else if (!(prof->tp_efficiency_frac > 0) || prof->tp_efficiency_frac > 1)
        bad = "tp efficiency must be in (0, 1]";
    else if (prof->act_bytes < 0 || !(prof->state_bytes > 0)) bad = "layer bytes must be > 0";
    else if (prof->global_batch_samples < 1 || prof->n_microbatches < 1)
        bad = "batch and microbatches must be >= 1";
    else if (!(prof->dp_bw_bytes_per_s > 0) || prof->dp_latency_s < 0)
        bad = "data-parallel bandwidth must be > 0";
    if (bad) {
        snprintf(err, errlen, "analytic profile: %s", bad);
        return NULL;
    }
    oracle *o = calloc(1, sizeof *o);
    analytic_ctx *c = calloc(1, sizeof *c);
    if (!o || !c) {
        free(o);
        free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->p = *prof;
    /* mixed-precision Adam: 16 B/param in GPU, 12 B/param checkpointed
    ** (fp32 weights + two moments), so the checkpoint is 3/4 of the state */
    if (!(c->p.ckpt_bytes > 0)) c->p.ckpt_bytes = 0.75 * prof->n_layers * prof->state_bytes;
    /* fp16 gradients: 2 of the 16 bytes per parameter */
    if (!(c->p.grad_bytes_per_layer > 0)) c->p.grad_bytes_per_layer = prof->state_bytes / 8.0;
    o->ctx = c;
    o->info = an_info;
    o->layer = an_layer;
    o->plan_time = an_plan_time;
    o->free = free;
    return o;
}

double oracle_analytic_min_gpu_bytes(const oracle_profile *prof, int n_nodes, double *state_b,
                                     double *act_b, int *n_layers_b)
{
    int S = prof->n_layers < n_nodes ? prof->n_layers : n_nodes;
    if (S < 1) S = 1;
    int l = (prof->n_layers + S - 1) / S;
    int g = prof->gpus_per_node > 0 ? prof->gpus_per_node : 1;
    *state_b = l * prof->state_bytes / g;
    *act_b = l * prof->act_bytes / g;
    *n_layers_b = l;
    return *state_b + *act_b;
}
