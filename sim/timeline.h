/*
** timeline.h -- the per-op timeline of simulated iterations (pure layer).
**
** Owns the event record the engine writes and every consumer reads (metrics,
** the report and Chrome trace, the what-if export). A track is one compute
** stream (pipeline rank, replica class) or one device's DP stream. Times are
** simulated seconds from the start of the run.
*/
#ifndef DTSIM_TIMELINE_H
#define DTSIM_TIMELINE_H

#include <stdint.h>

typedef enum {
    TL_EV_F = 0,      /* forward op (chunk, mb) */
    TL_EV_B,          /* backward (input gradient; whole backward if not split) */
    TL_EV_W,          /* weight gradient */
    TL_EV_TP,         /* TP collectives of the preceding op */
    TL_EV_RECV,       /* a pipeline transfer into this device: start = sent, end = arrived */
    TL_EV_WAIT,       /* compute stream idle waiting for an input */
    TL_EV_DP,         /* one DP gradient bucket collective (on the DP track) */
    TL_EV_DP_WAIT,    /* compute stream waiting for the DP collectives to finish */
    TL_EV_EMB,        /* tied-embedding gradient all-reduce */
    TL_EV_OPT,        /* optimizer step */
    TL_EV_GC,         /* a stall of the rank (e.g. garbage collection), after its backward */
    TL_EV_SEND,       /* compute stream blocked on its own pipeline send (no p2p overlap) */
    TL_EV_N
} tl_ev_type;

typedef struct {
    uint8_t type;      /* tl_ev_type */
    uint8_t chunk;
    int32_t mb;        /* microbatch, or bucket for DP, -1 otherwise */
    int32_t peer;      /* source device for RECV, else -1 */
    int32_t iter;      /* iteration index */
    double start_s, end_s;  /* simulated seconds from the start of the run */
    double bytes;      /* transferred bytes per TP rank (RECV, TP, DP, EMB) */
    double exposed_s;  /* WAIT: part of the wait spent on the transfer itself
                          (arrival - max(wait start, send start)) */
} tl_event;

/* Events of one compute stream (device, class) or one DP stream (device). */
typedef struct {
    int dev, cls;      /* cls = -1 for a device's DP stream */
    int n, cap;
    tl_event *ev;
} tl_track;

/* Slowness of the replica classes (replicas simulated once per class, on the
** hosts of the class's representative replica). 'speed' divides every compute
** of device d in class c (optimizer included). The optional parts (NULL when
** unused; built by slow.h) make ops differ one by one:
**   op_scale  multiplies the duration of op i of device d's schedule list in
**             iteration it (noise, sequence lengths, GPU type), index
**             ((c * pp + d) * n_iter + it) * n_ops + i, n_ops >= every list;
**   pause_s   a stall of the device after its last backward of iteration it
**             (before the DP gradient sync), index (c * pp + d) * n_iter + it;
**   rep_replica  the replica whose hosts run class c (default: its lowest). */
typedef struct {
    int n_classes;
    int *class_of_replica;   /* [dp] */
    double *speed;           /* [n_classes * pp] factor of device d in class c */
    int n_iter, n_ops;       /* dimensions of op_scale and pause_s */
    double *op_scale;        /* [n_classes * pp * n_iter * n_ops] or NULL */
    double *pause_s;         /* [n_classes * pp * n_iter] or NULL */
    int *rep_replica;        /* [n_classes] or NULL */
} tl_classes;

typedef struct {
    double iteration_s;      /* mean over iterations: end of the last optimizer step */
    double first_start_s;    /* run start (simulated clock) */
    double *iter_end_s;      /* [iterations] end of each iteration (relative to start) */
    int iterations;
    int pp, n_classes;
    int n_tracks;
    tl_track *tracks;       /* compute tracks (dev, cls) then DP tracks (dev) */
    double wall_s;           /* wall-clock time of simgrid_run */
    double load_wall_s;      /* wall-clock time to build and load the platform */
    long n_actors;
} tl_result;

/* Release the tracks and arrays of a result. */
void tl_result_free(tl_result *r);

#endif
