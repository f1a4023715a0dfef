/*
** res.h -- the resilience-scheme interface and the five schemes (pure layer).
**
** A scheme is a struct of function pointers: start (choose the initial plan
** and checkpointing), on_failure, on_arrival, and its steady-state overhead.
** It acts on the run through run_ctx calls (run.h): set the iteration time,
** lose the iteration in flight, roll back to a checkpoint, pause. Schemes:
** checkpoint-restart (res_ckpt.c), in-memory checkpoints, Gemini-style
** (res_inmem.c), Oobleck (res_oobleck.c, planning in oobleck_plan.c), Bamboo
** (res_bamboo.c), Varuna (res_varuna.c). Settings: res_config (run_cfg.h
** parses them from the `resilience` section). Invariant: a scheme never
** prints and never owns the oracle.
*/
#ifndef DTSIM_RES_H
#define DTSIM_RES_H

#include "run.h"

#include <stddef.h>

typedef enum { RES_CKPT = 0, RES_INMEM, RES_OOBLECK, RES_BAMBOO, RES_VARUNA, RES_N_SCHEMES } res_kind;
extern const char *const res_names[RES_N_SCHEMES];
/* Scheme index of 'name' ("ckpt", "inmem", "oobleck", "bamboo", "varuna"), -1 if unknown. */
int res_kind_of(const char *name);

/* Longest pause accepted, seconds (about 116 days): a restart, failover or
** reconfiguration key (run_cfg.h bounds them by it) and a checkpoint write
** or load (res_ckpt_times refuses longer ones). A longer pause is a typo or
** a near-zero bandwidth, not a number to simulate with. */
#define RES_MAX_PAUSE_S 1e7

typedef enum { RES_IVL_YOUNG = 0, RES_IVL_DALY, RES_IVL_FIXED } res_interval_policy;
typedef enum { RES_PLACE_GROUP = 0, RES_PLACE_RING } res_placement;

typedef struct {
    int n_nodes;                  /* nodes the job asks for (the cluster is n_nodes + n_spares) */
    int n_spares;                 /* spare nodes that replace failed ones at once */
    double restart_s;             /* job restart (relaunch, warm-up), without detection and load */
    double storage_write_bytes_per_s;  /* checkpoint write bandwidth (whole job) */
    double storage_read_bytes_per_s;   /* checkpoint load bandwidth (whole job) */
    double ckpt_bytes;            /* 0: the oracle's model-state size */
    int interval_policy;          /* res_interval_policy */
    double interval_s;            /* RES_IVL_FIXED */
    double mtbf_s;                /* job MTBF for Young/Daly (0: from the failure source) */
    int pp, tp;                   /* shape of the fixed-shape schemes (pp 0: best that fits) */
    /* in-memory */
    int inmem_replicas;           /* m copies (2) */
    int inmem_placement;          /* res_placement */
    double inmem_remote_interval_s;   /* remote checkpoint period (3 h) */
    double inmem_peer_bytes_per_s;    /* per-node retrieval bandwidth from a peer */
    /* Oobleck */
    int oob_f;                    /* failures tolerated without checkpoint (f) */
    double oob_reconfig_s;        /* reconfiguration pause (artifact: 2-10 s) */
    double oob_copy_bytes_per_s;  /* per-node bandwidth to copy missing layers */
    int oob_use_arrivals;         /* re-instantiate when nodes arrive */
    double fallback_interval_s;   /* Oobleck/Bamboo durable checkpoint period (0: none) */
    /* Bamboo */
    int bam_stages;               /* S (0: the fastest S that holds model + replica) */
    double bam_failover_s;        /* failover pause */
    double bam_reconfig_s;        /* rebalancing pause (artifact: 76-450 s) */
    double bam_slowdown;          /* iteration-time factor while a node does double duty (0: from plan) */
    /* Varuna */
    int var_ckpt_every_iters;     /* 0: the shared interval policy */
    double var_morph_s;           /* extra restart time of a morph (profile, re-plan) */
} res_config;

/* Documented defaults (docs/resilience.md). */
void res_config_defaults(res_config *c);

typedef struct res_scheme {
    const char *name;
    void *st;
    /* Choose the initial plan and checkpointing; -1 (run_fail) if impossible. */
    int (*start)(void *st, run_ctx *rc);
    int (*on_failure)(void *st, run_ctx *rc, int node);
    int (*on_arrival)(void *st, run_ctx *rc, int node);
    /* Steady-state overhead as a fraction of wall time without failures
    ** (checkpoint writes, redundant computation); valid after start. */
    double (*steady_overhead_frac)(void *st);
    void (*free)(void *st);
} res_scheme;

/* A new scheme of kind k with settings 'cfg' (copied); mtbf_s is the job
** MTBF the caller derived from the failure source (used when cfg->mtbf_s is
** 0). NULL on OOM or unknown kind. Free with res_free. */
res_scheme *res_new(int kind, const res_config *cfg, double mtbf_s);
void res_free(res_scheme *s);

/* ---- shared helpers (res_ckpt.c) ---------------------------------------- */
/* Young (CACM 1974): sqrt(2 C M). */
double res_young_interval_s(double ckpt_s, double mtbf_s);
/* Daly (FGCS 2006) for C < 2M: sqrt(2CM)[1 + sqrt(C/2M)/3 + (C/2M)/9] - C; M otherwise. */
double res_daly_interval_s(double ckpt_s, double mtbf_s);
/* Checkpoint write and load times of the job's model state (or of
** checkpoint_gb) into *write_s, *read_s; -1 (run_fail'ed) if either is
** longer than RES_MAX_PAUSE_S (a huge checkpoint or a bandwidth near zero). */
int res_ckpt_times(run_ctx *rc, const res_config *c, const oracle_info *inf, double *write_s,
                   double *read_s);
/* "PP p x DP d" of a homogeneous plan, "n nodes" of an opaque one; when it
** uses fewer than n_given nodes, also how many it leaves idle as spares. */
void res_shape_text(const oracle_plan *p, int n_given, char *buf, size_t len);
/* The checkpoint interval the config asks for (policy, C, M). */
double res_interval_s(const res_config *c, double ckpt_s, double mtbf_s);
/* Best homogeneous shape on n nodes: fills *plan (caller frees) and *res;
** pp_fixed > 0 forces PP. Opaque plan for oracles without layers. Returns
** 0, 1 if nothing fits (no plan), -1 on oracle error (run_fail'ed). */
int res_best_shape(run_ctx *rc, int n_nodes, int pp_fixed, oracle_plan **plan,
                   oracle_result *res);
/* run_fail with why res_best_shape found nothing for a fixed-size job:
** too many nodes for the batch's microbatches, or no shape fits in memory. */
int res_no_shape_fail(run_ctx *rc, int n_nodes, int pp_fixed);
/* The shape a fixed-size scheme (ckpt, inmem) starts with: on the nodes it
** asks for in *want (c->n_nodes, else the nodes up now less the spares), its
** result in *res, its text (res_shape_text) in 'text', and in *used the
** nodes it runs on (the others it was given serve as spares). 0, or -1
** (run_fail'ed, also when no shape fits). */
int res_start_shape(run_ctx *rc, const res_config *c, int *want, oracle_result *res,
                    char *text, size_t len, int *used);

/* Job membership of fixed-size schemes: which node ids the job runs on. */
typedef struct {
    unsigned char *in;   /* [n_ids] */
    int n_in;
} res_members;
/* Take up nodes (lowest ids first) until 'want' members; returns n_in or -1 on OOM. */
int res_members_init(res_members *m, const run_ctx *rc, int want);
/* Remove 'node'; 1 if it was a member. */
int res_members_drop(res_members *m, int node);
/* Add up non-members (lowest ids first) until 'want'; returns n_in. */
int res_members_fill(res_members *m, const run_ctx *rc, int want);
/* Add one node; 1 if it was added (up and not yet a member). */
int res_members_add(res_members *m, const run_ctx *rc, int node);
void res_members_free(res_members *m);

/* Varuna's candidate shapes (AutoConfig, RESILIENCE.md §5): P over the
** divisors of K cut points with P < K and P <= G; D = G / P; idle = G - P D.
** Fills up to max entries; returns the count. */
int res_varuna_shapes(int K, int G, int *P, int *D, int *idle, int max);

/* Gemini (Wang et al. SOSP'23 §5) lower bound of P(recover from CPU memory)
** after k simultaneous machine failures among n machines with m replicas:
** 1 if k < m; group: 1 - (n/m) C(n-m,k-m)/C(n,k); ring: 1 - n C(n-m,k-m)/C(n,k). */
double res_inmem_recover_prob(int n, int m, int k, int placement);

/* Scheme constructors (one per file). */
res_scheme *res_ckpt_new(const res_config *cfg, double mtbf_s);
res_scheme *res_inmem_new(const res_config *cfg, double mtbf_s);
res_scheme *res_oobleck_new(const res_config *cfg, double mtbf_s);
res_scheme *res_bamboo_new(const res_config *cfg, double mtbf_s);
res_scheme *res_varuna_new(const res_config *cfg, double mtbf_s);

#endif
