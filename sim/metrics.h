/*
** metrics.h -- every reported metric, defined once (pure layer).
**
** Owns the definitions of DESIGN.md "Metrics": iteration time, throughput,
** TFLOP/s per GPU, MFU, HFU, pipeline bubble (per device and overall, in both
** conventions), exposed communication, memory. It reads a timeline of events
** (timeline.h); it knows nothing of SimGrid.
**
** Definitions (one iteration, a device = a pipeline rank, busy = its F, B, W
** compute plus its TP collectives):
**   pipeline_s        last F/B/W/TP end over all devices (from the iteration start)
**   bubble_s[d]       pipeline_s - busy[d] - send_s[d]: idle time of device d in the
**                     pipeline phase (time blocked on its own sends is communication)
**   bubble_fraction   mean_d bubble_s / iteration_s   ((p-1)/(m+p-1) for 1F1B)
**   bubble_ratio      mean_d bubble_s / mean_d busy   ((p-1)/m for 1F1B)
**   zb_bubble_rate    1 - mean_d busy / L, L = longest device span (first op start
**                     to last op end): the Zero Bubble papers' "bubble rate"
**   exposed_comm_s[d] TP collectives on the critical path + transfer time the
**                     device waited on + its blocking sends + waiting for DP
**                     gradients + embedding sync
**   tflops_per_gpu    executed FLOPs (recomputation included) / (iteration_s * GPUs)
**   mfu, hfu          model FLOPs resp. executed FLOPs / (iteration_s * GPUs * peak)
*/
#ifndef DTSIM_METRICS_H
#define DTSIM_METRICS_H

#include "timeline.h"

typedef struct {
    int pp;
    double iteration_s;
    double pipeline_s;
    double tokens_per_s, samples_per_s;
    double tflops_per_gpu;        /* TFLOP/s (1e12 FLOP/s) */
    double mfu, hfu;              /* fractions of peak, 0..1 */
    double bubble_fraction, bubble_ratio, zb_bubble_rate, mean_bubble_s;
    double exposed_comm_s;        /* mean over devices */
    double peak_memory_bytes;     /* max over devices */
    int fits_in_memory;
    /* per device [pp] */
    double *busy_s, *tp_s, *bubble_s, *exposed_s, *dp_wait_s, *span_s, *opt_s;
    double *send_s;               /* blocked on own pipeline sends (no p2p overlap) */
    double *memory_bytes;
    /* a run of several iterations: every figure above is of the last one */
    int iterations;               /* iterations simulated (set by the caller) */
    double mean_iteration_s;      /* their mean iteration time (set by the caller) */
    int n_classes;                /* replica classes simulated; the per-device figures
                                  ** are of class 0, DP replica 0's (set by the caller) */
} metrics;

/* What the metrics need besides the timeline. */
typedef struct {
    int pp, n_gpus;
    double executed_flops, model_flops;   /* per iteration, all GPUs */
    double tokens_per_iter, samples_per_iter;
    double peak_flops_per_gpu;
    double iteration_s;
    const double *memory_bytes;           /* [pp] */
    const int *fits;                      /* [pp] */
} met_input;

/* Compute the metrics of iteration 'iter' from the compute tracks of the
** representative replica (tracks[d] = device d), the iteration starting at
** 'iter_start_s' (run-relative seconds). Returns 0 or -1 (out of memory).
** Free with metrics_free. */
int metrics_compute(const met_input *in, const tl_track *tracks, int iter, double iter_start_s,
                    metrics *out);
void metrics_free(metrics *m);

#endif
