/*
** artifact.h -- artifact-compatible replay of the Oobleck SOSP'23 simulator
** (pure layer).
**
** Owns three event-driven re-implementations of tools/simulator/{oobleck,
** varuna,bamboo}_simulator.py of SymbioticLab/Oobleck (sosp23-artifact), in
** milliseconds, with their quirks kept on purpose (RESILIENCE.md §6): the
** throughput tables instead of a cost model, a useful step counted when
** scheduled and again as fallback when lost, breakdowns divided by their own
** sum, the run stopped at the trace's last line. The default run engine
** (run.c) corrects these (docs/resilience.md lists each quirk and its fix).
** Invariant: same trace + same table => same numbers (no randomness).
*/
#ifndef DTSIM_ARTIFACT_H
#define DTSIM_ARTIFACT_H

#include "failure.h"
#include "run_oracle.h"

#include <stddef.h>

typedef enum { ART_OOBLECK = 0, ART_BAMBOO, ART_VARUNA, ART_N_SYSTEMS } art_system;
extern const char *const art_system_names[ART_N_SYSTEMS];
/* System index of 'name' ("oobleck", "bamboo", "varuna"), -1 if unknown. */
int art_system_of(const char *name);

typedef enum {
    ART_USEFUL = 0, ART_REDUNDANT, ART_REBALANCE, ART_RESTART, ART_CHECKPOINT, ART_FALLBACK,
    ART_IDLE, ART_N_ACC
} art_acc;
extern const char *const art_acc_names[ART_N_ACC];

typedef struct {
    double acc_ms[ART_N_ACC];   /* the simulators' accumulators */
    double avg_samples_per_s;   /* time-weighted throughput, first start to last step */
    long steps_done;
    int fatal_failures;
} art_result;

typedef struct {
    double startup_ms;          /* spot start-up (45 000) */
    int min_nodes;              /* fewer ready nodes stop training (12) */
    double first_pause_ms;      /* Varuna's pause before the first start (<= 0: table) */
    int no_small_model_fallback;/* Varuna loses no work on removals (eval_gcp_ec2.py) */
    int ckpt_every_steps;       /* Varuna (10) */
    int bamboo_stages;          /* S (12) */
    double bamboo_fatal_ms;     /* 30 000 */
    double bamboo_useful_frac;  /* 0.1971 (redundant share 0.8029) */
    double bamboo_slowdown;     /* 1.5 after any removal while training */
    long steps_per_run;         /* the run ends after this many steps (200 000) */
    int burst_stop;             /* Oobleck, Varuna: a rendezvous after >= this many removals in
                                ** one millisecond stops training until a node is ready
                                ** (3; 0: off) */
    int hold_max_nodes;         /* Oobleck, Varuna: a rendezvous that trains on at most this
                                ** many nodes books one step but completes none until the
                                ** next removal (15: the table's lowest row; 0: off) */
    int burst_books_step;       /* Oobleck: the rendezvous a burst stops books one step if
                                ** training was on when the burst began (1) */
} art_params;

/* The artifact's constants; first_pause_ms and no_small_model_fallback
** depend on the model and trace: see art_params_for(). */
void art_params_defaults(art_params *p);
/* Constants of eval_tput_vs_freq.py / eval_gcp_ec2.py for a model and a
** trace file name: Varuna's 76 s first pause for BERT-large; on the
** scale_* traces (eval_gcp_ec2.py) no_small_model_fallback for BERT-large,
** GPT-2 and GPT-3 medium, and steps_per_run 60 000 (GPT-3 medium) or
** 30 000 (GPT-3 2.7B, 6.7B), read off the out-of-memory rows. */
void art_params_for(art_params *p, const char *model, const char *trace_path);

/* Replay 'lines' (a spot trace) for 'system' with the table rows of
** (system, model). 0 on success, -1 with err (unknown pair). */
int art_simulate(const oracle_table *tbl, int system, const char *model,
                 const fail_trace_line *lines, int n_lines, const art_params *prm,
                 art_result *out, char *err, size_t errlen);

#endif
