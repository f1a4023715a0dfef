/*
** main.c -- the dtsim command: dispatches to a subcommand (CLI layer).
*/
#include "cli.h"
#include "cli_common.h"

#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand commands[] = {
    {"run", cli_run, "simulate one experiment config (iteration, or a whole run with failures)"},
    {"cost", cli_cost, "print the cost model's per-stage FLOPs, op times and memory (no simulation)"},
    {"calibrate", cli_calibrate, "fit GPU-spec efficiency constants once against published measurements"},
    {"resilience", cli_resilience, "replay a failure stream against resilience schemes"},
    {"compare", cli_compare, "simulate variants of an experiment (--vary KEY=V1,V2,...) in one table"},
    {"whatif", cli_whatif, "what-if straggler analysis of a per-op trace (OSDI'25 method)"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: dtsim <command> [arguments]\n"
            "\n"
            "A discrete-event simulator of distributed LLM training (SimGrid).\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'dtsim <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
    /* GSL's default handler aborts; every call site checks its inputs or
    ** its result instead */
    gsl_set_error_handler_off();
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        if (strcmp(argv[1], commands[i].name)) continue;
        /* no option or file takes an empty string; it is a shell variable
        ** that expanded to nothing, which would surface as ": No such file" */
        for (int a = 2; a < argc; a++)
            if (!argv[a][0])
                return cli_usage_error(argv[1], "argument %d is an empty string%s%s%s", a - 1,
                                       a > 2 ? " (after " : "", a > 2 ? argv[a - 1] : "",
                                       a > 2 ? ")" : "");
        return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "dtsim: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
