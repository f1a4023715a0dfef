/*
** oobleck_plan.h -- Oobleck's pipeline templates, instantiation and
** reconfiguration (pure layer).
**
** Owns: templates (one per node count n0..n_max, stage partition from the
** per-layer cost), instantiation (the multiset of templates covering N nodes
** with >= f+1 pipelines and the microbatch split b_t that balances pipeline
** times), the node-level reconfiguration after failures (borrow, merge), and
** whether every layer still has a live copy after a set of failures.
** Sources: RESILIENCE.md §3 (SymbioticLab/Oobleck pipeline_template.cpp,
** instantiator.py, engine.py). It does not run anything: res_oobleck.c does.
** Invariants: a template of n nodes has n stages (one node each, all its
** GPUs, tensor-parallel); b_t >= 1 and sum x_t b_t = B exactly.
*/
#ifndef DTSIM_OOBLECK_PLAN_H
#define DTSIM_OOBLECK_PLAN_H

#include <stddef.h>

typedef struct {
    int n_nodes;            /* = stages */
    int *stage_layers;      /* [n_nodes] */
    double stage_s;         /* slowest stage F+B per microbatch */
    double cost;            /* Oobleck's T (sosp23 C++): sum l + c l_k* + sum_{i>=k*} l_i */
    double per_mb_s;        /* T / S: time per microbatch used to compare templates */
} oob_template;

typedef struct {
    int n0, n_max;          /* node counts of the first and last template */
    int n_layers;
    oob_template *t;        /* [n_max - n0 + 1], t[i].n_nodes = n0 + i */
} oob_templates;

/* Oobleck's template cost T for stage latencies l[0..S-1] (F+B each):
** k* = slowest stage (ties -> the later), c = 2S + k* + 1 (k* 0-based),
** T = sum l + c l_k* + sum_{i >= k*} l_i; one stage alone costs 4 l. */
double oob_template_cost(const double *l, int S);

/* Build templates n0..n_max from per-layer times layer_s[0..L-1] (F+B of one
** microbatch on one node). Each template splits the layers into n contiguous
** stages minimising the slowest stage (linear-partition DP). -1 on OOM or
** bad range (n0 < 1, n_max < n0, n_max > L). Free with oob_templates_free. */
int oob_templates_build(oob_templates *out, const double *layer_s, int n_layers, int n0,
                        int n_max);
void oob_templates_free(oob_templates *t);

/* Template range rule: n0 = fewest nodes holding the model (ceil(state /
** node memory), at least 1); n_max = N - f * n0 (our reading of the paper;
** the artifact test uses N - f) capped at the layer count. */
int oob_n_max(int n_nodes, int f, int n0, int n_layers);

/* An instantiation: x[i] pipelines of template size sizes[i], b[i] microbatches each. */
#define OOB_MAX_KINDS 64
typedef struct {
    int n_kinds;
    int sizes[OOB_MAX_KINDS];
    int x[OOB_MAX_KINDS];
    int b[OOB_MAX_KINDS];
    double z_s;              /* max over kinds of b * per_mb_s: the plan's pipeline time */
} oob_instance;

/* Integer microbatch split for a given mix (x_t pipelines of per-microbatch
** time per_mb[t]): least max_t b_t per_mb_t with sum x_t b_t = B, b_t >= 1.
** Returns 0 and fills b, z; 1 if no integer split exists. */
int oob_split_batch(int n_kinds, const int *x, const double *per_mb, int B, int *b, double *z);

/* Best instantiation of templates 'ts' over exactly N nodes with >= f+1
** pipelines and B microbatches: the mix with the least pipeline time z.
** Exhaustive over all mixes when they are few (<= OOB_ENUM_CAP), otherwise
** over the mixes of one or two adjacent template sizes (documented).
** Returns 0, or 1 if no mix exists. */
#define OOB_ENUM_CAP 200000
int oob_instantiate(const oob_templates *ts, int N, int f, int B, oob_instance *out);
/* The k best mixes by z (ascending) into out[0..k-1]; returns how many were
** found (0: none). Callers that can time plans exactly (the oracle) pick
** among them, which also accounts for the gradient sync z ignores. */
int oob_instantiate_top(const oob_templates *ts, int N, int f, int B, oob_instance *out, int k);

/* Node-level pipelines for reconfiguration. */
typedef struct {
    int n_pipes;
    int *len;               /* [n_pipes] */
    int **nodes;            /* [n_pipes][len] node ids in stage order */
} oob_pipes;

/* Build pipes from sizes in order, numbering nodes from 'first_id' up. -1 on OOM. */
int oob_pipes_from_sizes(oob_pipes *p, const int *sizes, int n, int first_id);
void oob_pipes_free(oob_pipes *p);
/* Deep copy of 'src' into 'dst' (dst's old contents are not freed). -1 on OOM. */
int oob_pipes_copy(oob_pipes *dst, const oob_pipes *src);

/* Does some layer have no surviving copy? Node k of a pipeline of n nodes
** holds stage k of the template for n (an even split of the layers if n is
** outside n0..n_max); lost[id] != 0 marks lost nodes (ids < n_ids). Returns 1
** if for some layer every pipeline lost the node holding it, 0 if each layer
** still has a live holder, -1 on OOM. */
int oob_layer_lost(const oob_templates *ts, const oob_pipes *p, const unsigned char *lost, int n_ids);

/* ReconfigurationEngine.on_reconfigure (RESILIENCE.md §3): drop the lost
** nodes (lost[id] != 0, ids < n_ids), borrow nodes from the largest pipeline
** (ties: the later) for pipelines below n_min, merge what cannot borrow, and
** sort by size (stable). Returns 0, 1 if fewer than n_min nodes remain (full
** restart), -1 on OOM. */
int oob_reconfigure(oob_pipes *p, const unsigned char *lost, int n_ids, int n_min);

#endif
