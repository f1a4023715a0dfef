/*
** sched.h -- pipeline schedules as per-device op lists (pure layer).
**
** Owns the op-list representation every schedule generator produces, the
** registry of generators (GPipe, 1F1B and interleaved 1F1B live in sched.c,
** the zero-bubble family in sched_zb.c, the V-shape family in sched_v.c), the
** checker that proves a schedule complete and dependency-ordered, and an
** in-order list-scheduling timer (rules D1-D4 of SCHEDULES.md) that tests,
** auto-schedulers and the checker share, and the activation-memory curve
** over time (sched_mem.c). It knows nothing about transformers or SimGrid:
** costs come in as seconds per op, memory as abstract units.
**
** Vocabulary (SCHEDULES.md §1): p devices, m microbatches, v chunks per
** device, p*v virtual stages in layer order. Ops per (microbatch, virtual
** stage): F forward, B input gradient, W weight gradient. A schedule without
** the B/W split has no W ops and its B is the whole backward (cost T_B+T_W).
**
** Invariants of a valid sched_t (sched_check proves them):
**   - every (kind, mb, vs) appears exactly once, on the device holding vs;
**   - W ops exist iff split_backward;
**   - executing each device's list in order, an op waiting for its inputs
**     (D1 F after F upstream, D2 B after B downstream / after F at the loss,
**     D3 W after B) never deadlocks.
*/
#ifndef DTSIM_SCHED_H
#define DTSIM_SCHED_H

#include <stddef.h>
#include <stdint.h>

typedef enum { SCHED_OP_F = 0, SCHED_OP_B = 1, SCHED_OP_W = 2 } sched_op_kind;

typedef struct {
    uint8_t kind;   /* sched_op_kind */
    uint8_t chunk;  /* chunk index on its device, 0..v-1 */
    int32_t mb;     /* microbatch, 0..m-1 */
} sched_op;

typedef enum {
    SCHED_PLACE_PLAIN = 0,       /* device d holds stage d (v = 1) */
    SCHED_PLACE_INTERLEAVED = 1, /* chunk c of device d is virtual stage c*p + d */
    SCHED_PLACE_V = 2            /* v = 2: chunk 0 is stage d, chunk 1 is 2p-1-d */
} sched_placement;

typedef enum {
    SCHED_GPIPE = 0,
    SCHED_1F1B,
    SCHED_INTERLEAVED,
    SCHED_ZB_H1,
    SCHED_ZB_H2,
    SCHED_ZB_1P,
    SCHED_ZB_2P,
    SCHED_ZB_V,
    SCHED_V_HALF,
    SCHED_V_MIN,
    SCHED_N_TYPES
} sched_type;

typedef struct {
    sched_type type;
    int p, m, v;              /* devices, microbatches, chunks per device */
    sched_placement placement;
    int split_backward;       /* 1: separate B and W ops */
    int *n_ops;               /* [p] ops on each device */
    sched_op **ops;           /* [p][n_ops[d]] in execution order */
} sched_t;

/* What a generator is asked for. 'v' matters for interleaved only (the V
** family always has 2 chunks). 'group_size' is Megatron's
** microbatch_group_size_per_vp_stage (0 = p). 'mem_limit' is the activation
** memory limit of the automatic zero-bubble schedulers in units of one
** microbatch's stage activation (M_F of a whole stage; 2 chunk units for
** ZB-V); 0 = the schedule's default (ZB-1p: p, ZB-2p: 2p, ZB-V: p). */
typedef struct {
    sched_type type;
    int p, m, v;
    int group_size;
    double mem_limit;
} sched_params;

/* Per-virtual-stage op costs for timing and for schedulers that look at
** costs (ZB-1p/2p, ZB-V). Arrays have n_vs = p*v entries and hold the time
** of one microbatch's op on that virtual stage (a chunk op for v > 1), in
** seconds. For schedules without the split, the backward costs t_b + t_w.
** t_comm (s) is added to every cross-device edge and occupies no device.
** m_f, m_b, m_w: activation memory delta of one op (chunk units), used by the
** memory-limited schedulers; the usual model is +1, 0, -1. */
typedef struct {
    int n_vs;
    const double *t_f, *t_b, *t_w;
    double t_comm;
    double m_f, m_b, m_w;
} sched_costs;

/* Uniform costs helper: fills 'c' to point at three arrays of n_vs equal
** values owned by the caller ('buf' must hold 3*n_vs doubles). */
void sched_costs_uniform(sched_costs *c, double *buf, int n_vs,
                         double t_f, double t_b, double t_w, double t_comm);

/* Timing of a schedule under D1-D4. Arrays are owned by the struct and freed
** with sched_timing_free. start/end[d][i] belong to op i of device d. */
typedef struct {
    int p;
    double **start, **end;    /* [p][n_ops[d]] seconds */
    double makespan;          /* last end over all devices (s) */
    double *dev_first_start;  /* [p] start of the device's first op (s) */
    double *dev_last_end;     /* [p] end of its last op (s) */
    double *dev_busy;         /* [p] sum of its op durations (s) */
    double *dev_peak_mem;     /* [p] peak live activation, chunk units (m_f, m_b, m_w) */
} sched_timing;

/* ---- names ------------------------------------------------------------ */

/* "1f1b" -> SCHED_1F1B; returns -1 for an unknown name. */
int sched_type_from_name(const char *name);
const char *sched_type_name(sched_type t);
/* Comma-separated list of all names, for error messages and --help. */
const char *sched_type_names(void);
/* Does this schedule split the backward into B and W? */
int sched_type_splits_backward(sched_type t);
/* Chunks per device the schedule uses given the requested v. */
int sched_type_chunks(sched_type t, int requested_v);

/* ---- building ----------------------------------------------------------- */

/* Build the schedule 'prm' into 'out' (caller-owned struct, contents freed
** with sched_free). 'costs' may be NULL for schedules that ignore costs; the
** automatic schedulers use unit costs then. Returns 0, or -1 with a message
** in err (e.g. "interleaved needs m to be a multiple of p"). */
int sched_build(const sched_params *prm, const sched_costs *costs,
                sched_t *out, char *err, size_t errlen);
void sched_free(sched_t *s);

/* Allocate an empty schedule with room for 'cap' ops per device (generators
** append with sched_push). Returns 0 or -1 (out of memory). */
int sched_alloc(sched_t *s, sched_type type, int p, int m, int v,
                sched_placement placement, int split_backward, int cap);
void sched_push(sched_t *s, int dev, sched_op_kind kind, int mb, int chunk);

/* ---- placement ---------------------------------------------------------- */

int sched_n_vs(const sched_t *s);
/* Virtual stage of chunk 'chunk' on device 'dev'. */
int sched_vstage(const sched_t *s, int dev, int chunk);
/* Device and chunk holding virtual stage 'vs'. */
void sched_locate(const sched_t *s, int vs, int *dev, int *chunk);

/* ---- checking and timing -------------------------------------------------- */

/* Prove the invariants above. Returns 0, or -1 with the first violation. */
int sched_check(const sched_t *s, char *err, size_t errlen);

/* Time the schedule with in-order list scheduling (D1-D4). Returns 0, or -1
** if the lists deadlock (then 'out' is left empty). */
int sched_time(const sched_t *s, const sched_costs *c, sched_timing *out);
void sched_timing_free(sched_timing *t);

/* ---- activation memory over time (sched_mem.c) --------------------------- */

/* Live activation memory of each device as a piecewise-constant curve:
** from t_s[d][k] until t_s[d][k+1] (or for ever after the last point) the
** device holds live[d][k]. Units are those of the memory deltas in
** sched_costs (chunk units under the usual +1/0/-1 model; multiply by the
** bytes of one chunk's activations to get bytes). Owned by the struct. */
typedef struct {
    int p;
    int *n_pts;        /* [p] points on each device's curve (>= 1) */
    double **t_s;      /* [p][n_pts[d]] strictly ascending times, s; t_s[d][0] = 0 */
    double **live;     /* [p][n_pts[d]] value from that time on */
    double *peak;      /* [p] highest value reached (= sched_timing.dev_peak_mem) */
} sched_mem_curve;

/* Build the curves of schedule 's' timed as 't' (from sched_time with the
** same costs 'c'), taking the memory deltas m_f, m_b, m_w from 'c' (a
** no-split B applies m_b + m_w). Convention: a delta > 0 (allocation)
** applies when its op starts, a delta <= 0 (release) when it ends, so the
** curve never under-states what the device holds. Changes at equal times
** are merged, keeping the value after all of them (ops of one device do not
** overlap, so a merged intermediate value is never above the kept one);
** 'peak' is taken over every intermediate value. The curve starts at
** (0, 0). Returns 0, or -1 (out of memory; 'out' left empty). Free with
** sched_mem_curve_free. */
int sched_mem_profile(const sched_t *s, const sched_timing *t, const sched_costs *c,
                      sched_mem_curve *out);
void sched_mem_curve_free(sched_mem_curve *mc);

/* Peak live activation of device 'dev' when each op's memory delta (m_f,
** m_b, m_w of 'c') is multiplied by w[chunk] (w may be NULL: 1 for every
** chunk; pass the bytes one microbatch leaves on each chunk to get bytes).
** Under the convention of sched_mem_profile the peak depends on the op
** order alone, so no timing is needed. If 'n_live' is not NULL it receives,
** for each of the v chunks, the sum of that chunk's unweighted deltas at the
** first instant the peak is reached (microbatches of the chunk alive then,
** under the +1/0/-1 model). Returns the peak (>= 0). */
double sched_mem_peak(const sched_t *s, const sched_costs *c, int dev, const double *w,
                      double *n_live);

/* Cost of one op under 'c' (a no-split B costs t_b + t_w). */
double sched_op_cost(const sched_t *s, const sched_costs *c, int dev, const sched_op *op);

/* Token for an op, e.g. "F3", "B0.1", "W7" (chunk suffix when v > 1). */
void sched_op_str(const sched_t *s, const sched_op *op, char *buf, size_t len);

#endif
