/*
** cli.h -- the subcommands of the dtsim binary (CLI layer).
**
** Each subcommand is one function taking the arguments after its name
** (argv[0] is the subcommand name) and returning the process exit code:
** 0 success, 1 bad input or failed run, 2 usage error. Only this layer
** prints errors and chooses exit codes; the core returns status codes.
*/
#ifndef DTSIM_CLI_H
#define DTSIM_CLI_H

#define CLI_OK 0
#define CLI_ERR 1
#define CLI_USAGE 2

int cli_run(int argc, char **argv);
int cli_cost(int argc, char **argv);
int cli_calibrate(int argc, char **argv);
int cli_resilience(int argc, char **argv);
/* dtsim whatif TRACE.csv: what-if straggler analysis (cli_whatif.c). */
int cli_whatif(int argc, char **argv);

#endif
