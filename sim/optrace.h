/*
** optrace.h -- per-op training traces: rows, append API, CSV import/export (pure layer).
** Owns one job's trace: a row per executed op (worker, step, type, start, duration), in
** the CSV format of the OSDI'25 straggler study (docs/whatif.md). Does not interpret ops:
** dependencies, replay and slowdowns are whatif.h's. Invariants: valid type, finite
** start_s, finite duration_s >= 0, dp_rank/stage/rank/step/seq_id >= 0, mc/mb_id/gmc >= -1;
** rows stay in the order they were appended (or read).
*/
#ifndef DTSIM_OPTRACE_H
#define DTSIM_OPTRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Op types, named as upstream (Megatron-LM timers). OPTRACE_WEIGHT_COMPUTE is
** a dtsim extension: the W op of zero-bubble schedules, a compute-stream op. */
typedef enum {
    OPTRACE_FORWARD_COMPUTE = 0,
    OPTRACE_BACKWARD_COMPUTE,
    OPTRACE_OPTIMIZER,
    OPTRACE_GC,
    OPTRACE_FORWARD_SEND,
    OPTRACE_FORWARD_RECV,
    OPTRACE_BACKWARD_SEND,
    OPTRACE_BACKWARD_RECV,
    OPTRACE_PARAMS_ALL_GATHER,
    OPTRACE_GRADS_REDUCE_SCATTER,
    OPTRACE_SEPARATE_GRADS_ALL_REDUCE,
    OPTRACE_LAYERNORM_GRADS_ALL_REDUCE,
    OPTRACE_EMBEDDING_GRADS_ALL_REDUCE,
    OPTRACE_OPTIMIZER_CLIP_MAIN_GRAD,
    OPTRACE_WEIGHT_COMPUTE,
    OPTRACE_N_TYPES
} optrace_type;

/* One executed op. Times in seconds of simulated or measured time; the CSV
** writes start_s relative to the step's start but nothing here requires it. */
typedef struct {
    int32_t dp_rank;   /* DP rank of the worker */
    int32_t stage;     /* PP rank (pipeline stage) of the worker */
    int32_t rank;      /* global rank of the worker */
    int32_t step;      /* training step (iteration) number */
    int32_t seq_id;    /* index among ops of this type, step and worker, by start */
    int32_t mc;        /* model chunk within the stage, -1 if not applicable */
    int32_t mb_id;     /* microbatch id, -1 if not applicable */
    int32_t gmc;       /* global model chunk id, -1 if not applicable */
    int32_t line;      /* 1-based CSV line it was read from, 0 if appended */
    optrace_type type;
    double start_s;    /* start time, s */
    double duration_s; /* measured duration, s (comm ops include blocking) */
} optrace_row;

typedef struct {
    size_t n_rows;
    size_t cap_rows;
    optrace_row *rows; /* [n_rows], owned */
    char *source;      /* file it was read from (for messages), owned, or NULL */
} optrace;

/* Upstream name of 'type' ("forward-compute", ...); "?" if out of range. */
const char *optrace_type_name(optrace_type type);

/* Type whose name is the 'len' bytes at 'name' (not NUL-terminated), or -1. */
int optrace_type_from_name(const char *name, size_t len);

/* 1 for the compute-stream and local compute types (forward/backward/weight
** compute, optimizer, gc): their ideal time is a mean; 0 for communication
** types (ideal time is a median). */
int optrace_type_is_compute(optrace_type type);

/* An empty trace; NULL if out of memory. Free with optrace_free. */
optrace *optrace_new(void);

/* Frees 't' and its rows; optrace_free(NULL) is a no-op. */
void optrace_free(optrace *t);

/* Appends a copy of 'row' (its 'line' is kept as given; use 0). Returns 0, or
** -1 with a message in 'err' if the row breaks an invariant (bad type,
** negative id or duration, non-finite time) or memory runs out. */
int optrace_add(optrace *t, const optrace_row *row, char *err, size_t err_len);

/* Numbers the ops as the format wants, for producers that do not track it:
** seq_id = 0-based index among the ops of the same type, step and worker
** (dp_rank, stage), in start order (ties keep append order). Row order is
** unchanged. Returns 0, or -1 if out of memory (then nothing changed). */
int optrace_assign_seq_ids(optrace *t);

/* Reads the CSV file 'path' (header + one row a line, see docs/whatif.md).
** Returns a new trace the caller frees with optrace_free, or NULL with
** "PATH:LINE: what is wrong" in 'err' (missing header, wrong column count,
** unknown op type, non-numeric field, negative duration, ...). */
optrace *optrace_load_csv(const char *path, char *err, size_t err_len);

/* Writes 't' as CSV (header first) to 'out', every time as the shortest
** decimal string that reads back to the same double, in plain notation.
** Returns 0, or -1 if a write fails. */
int optrace_write_csv(const optrace *t, FILE *out);

/* optrace_write_csv to the file 'path'; -1 with "PATH: reason" in 'err'. */
int optrace_save_csv(const optrace *t, const char *path, char *err, size_t err_len);

/* Formats 'x' (finite) as the shortest plain decimal string that strtod reads
** back to exactly 'x' ("0.25", "12", "0.0000125"). 'buf' needs 400 bytes
** (the longest is a tiny subnormal). Returns the string length. */
int optrace_format_double(double x, char *buf, size_t buf_len);

#endif
