/*
** cli_common.h -- helpers shared by the subcommands (CLI layer): error
** printing with exit codes, integer parsing, the memory report of a plan that
** does not fit, metrics from a simulated timeline, and forking a child whose
** output comes back through a pipe.
*/
#ifndef DTSIM_CLI_COMMON_H
#define DTSIM_CLI_COMMON_H

#include "cfg.h"
#include "metrics.h"
#include "plan.h"
#include "timeline.h"

#include <sys/types.h>

/* "dtsim CMD: message" + hint on stderr; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line "dtsim: file: $.path: message" on stderr; returns CLI_ERR. */
int cli_config_error(const cfg_error *err);
/* Fail before a long run, not after it, when an output file cannot be
** written: each non-NULL path other than "-" (stdout) is created, or kept as
** is; a path starting with "--" is an option that took the place of a
** missing value. Prints "dtsim CMD: cannot write PATH: reason"; 0 or -1. */
int cli_outputs_writable(const char *cmd, const char *const *paths, int n);
/* Print "dtsim CMD: cannot write PATH: reason" (errno's, if the failed write
** set it: clear errno before writing). Returns CLI_ERR. */
int cli_write_failed(const char *cmd, const char *path);
/* Append a --set item to 'ov' (at most 'max' items): a usage error
** (CLI_USAGE, printed) unless it reads KEY=VALUE with a dotted key that has
** no empty part and no array index; else 0. */
int cli_add_override(const char *cmd, cfg_overrides *ov, int max, const char *item);
/* Parse a decimal integer in [lo, hi]; 0 or -1. */
int cli_parse_int(const char *s, long lo, long hi, int *out);
/* `dtsim run` of an experiment with failures/resilience sections: the run
** level with the engine-backed oracle (cli_resilience.c). Exit code. */
int cli_run_resilience(const char *config, const cfg_overrides *ov, const char *json_path,
                       int quiet);
/* Pipeline stage needing the most memory per GPU. */
int cli_worst_stage(const plan_t *p);
/* Explain in 'buf' which stage does not fit and by how much:
** "CONFIG: $.parallel: the plan does not fit ..." (print after "dtsim: "). */
void cli_oom_message(char *buf, size_t len, const char *config, const cfg_experiment *e,
                     const plan_t *p);
/* Metrics of the last simulated iteration of 'res' for the representative
** replica class. 0 or -1. */
int cli_metrics(const cfg_experiment *e, const plan_t *p, const tl_result *res, metrics *out);
/* Fork with a pipe from the child to the parent (stdio flushed first).
** Returns the child's pid in the parent with *fd the read end, 0 in the
** child with *fd the write end, -1 on error (errno). */
pid_t cli_fork_piped(int *fd);

#endif
