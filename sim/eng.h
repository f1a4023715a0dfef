/*
** eng.h -- the iteration engine: one training iteration on SimGrid (engine layer).
**
** Owns the SimGrid side: platform loading, actors, communications, and the
** raw timeline they produce. It executes a plan (plan.h) and knows nothing of
** transformers. One actor per (pipeline rank, replica class) runs its op list:
** compute ops are SimGrid execs on its host (a TP group), TP collectives are
** transfers on the host's NVLink loopback, pipeline sends are real
** communications between hosts, and one actor per pipeline rank runs the
** data-parallel gradient collectives as L07 parallel tasks over the replicas'
** hosts (SIMGRID-NOTES §5), overlapped with the backward when the plan says so.
** Replicas that are identical (same slowness) form one class simulated once:
** with no stragglers the whole DP dimension costs one pipeline's actors.
**
** SimGrid can be initialised and given a platform only once per process, so
** there is one eng_t per process; it can run many iterations (and many plans
** on the same cluster) one after the other, each measured from its own start.
*/
#ifndef DTSIM_ENG_H
#define DTSIM_ENG_H

#include "cfg.h"
#include "plan.h"
#include "plat_xml.h"

typedef enum {
    ENG_EV_F = 0,      /* forward op (chunk, mb) */
    ENG_EV_B,          /* backward (input gradient; whole backward if not split) */
    ENG_EV_W,          /* weight gradient */
    ENG_EV_TP,         /* TP collectives of the preceding op */
    ENG_EV_RECV,       /* a pipeline transfer into this device: start = sent, end = arrived */
    ENG_EV_WAIT,       /* compute stream idle waiting for an input */
    ENG_EV_DP,         /* one DP gradient bucket collective (on the DP track) */
    ENG_EV_DP_WAIT,    /* compute stream waiting for the DP collectives to finish */
    ENG_EV_EMB,        /* tied-embedding gradient all-reduce */
    ENG_EV_OPT,        /* optimizer step */
    ENG_EV_N
} eng_ev_type;

typedef struct {
    uint8_t type;      /* eng_ev_type */
    uint8_t chunk;
    int32_t mb;        /* microbatch, or bucket for DP, -1 otherwise */
    int32_t peer;      /* source device for RECV, else -1 */
    int32_t iter;      /* iteration index */
    double start_s, end_s;  /* simulated seconds from the start of the run */
    double bytes;      /* transferred bytes per TP rank (RECV, TP, DP, EMB) */
    double exposed_s;  /* WAIT: part of the wait spent on the transfer itself
                          (arrival - max(wait start, send start)) */
} eng_event;

/* Events of one compute stream (device, class) or one DP stream (device). */
typedef struct {
    int dev, cls;      /* cls = -1 for a device's DP stream */
    int n, cap;
    eng_event *ev;
} eng_track;

/* Slowness of one replica class: per-device compute speed factor (1 = nominal). */
typedef struct {
    int n_classes;
    int *class_of_replica;   /* [dp] */
    double *speed;           /* [n_classes * pp] factor of device d in class c */
} eng_classes;

typedef struct {
    double iteration_s;      /* mean over iterations: end of the last optimizer step */
    double first_start_s;    /* run start (simulated clock) */
    double *iter_end_s;      /* [iterations] end of each iteration (relative to start) */
    int iterations;
    int pp, n_classes;
    int n_tracks;
    eng_track *tracks;       /* compute tracks (dev, cls) then DP tracks (dev) */
    double wall_s;           /* wall-clock time of simgrid_run */
    double load_wall_s;      /* wall-clock time to build and load the platform */
    long n_actors;
} eng_result;

typedef struct eng eng_t;

/* Create the engine for the cluster of 'e' with TP groups of 'tp' GPUs:
** initialises SimGrid, writes and loads the platform (speed profiles may be
** NULL). Only one engine may exist per process. Returns NULL with err. */
eng_t *eng_new(const cfg_experiment *e, int tp, const plat_speed_profile *profiles,
               int n_profiles, char *err, size_t errlen);
void eng_free(eng_t *eng);

/* Simulate 'iterations' training iterations of plan 'p' (classes may be NULL:
** all replicas identical, or every replica its own class when
** exploit_symmetry is 0). Fills 'out' (free with eng_result_free). Returns 0
** or -1 with err (e.g. a deadlock, which would be an engine bug). */
int eng_run(eng_t *eng, const plan_t *p, const eng_classes *classes, int iterations,
            int exploit_symmetry, eng_result *out, char *err, size_t errlen);
void eng_result_free(eng_result *r);

#endif
