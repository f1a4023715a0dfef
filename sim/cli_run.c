/*
** cli_run.c -- `dtsim run CONFIG`: simulate one experiment (CLI layer).
*/
#include "cli.h"

#include <stdio.h>

int cli_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "dtsim run: not built yet\n");
    return CLI_ERR;
}
