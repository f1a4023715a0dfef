/*
** cli_whatif.c -- `dtsim whatif TRACE.csv`: what-if straggler analysis of a
** per-op trace (CLI layer). Loads the CSV (optrace), analyses it (whatif),
** prints a summary and optionally writes the same numbers as JSON (cJSON).
*/
#include "cli.h"
#include "cli_common.h"
#include "optrace.h"
#include "rep_whatif.h"
#include "whatif.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Workers listed in the summary unless --top says otherwise. */
#define WHATIF_TOP_DEFAULT 10

static void usage(FILE *out)
{
    fprintf(out,
            "usage: dtsim whatif TRACE.csv [--json FILE] [--top N]\n"
            "\n"
            "What-if straggler analysis of a per-op training trace (Lin et al., OSDI'25):\n"
            "replays every step with the measured op times (T) and with every op at the\n"
            "typical time of its type (T_ideal: mean for compute, median for communication)\n"
            "and reports the slowdown S = mean T / mean T_ideal, the share of step time\n"
            "lost (1 - 1/S), which op types, stages and DP ranks cause it, M_S (share\n"
            "explained by the last stage) and M_W (by the worst 3%% of workers), and the\n"
            "workers ranked by min(S of their DP rank, S of their stage).\n"
            "\n"
            "TRACE.csv    header dp_rank,stage,rank,step,optype,start_ts,duration,seq_id,\n"
            "             mc,mb_id,gmc; times in seconds (see docs/whatif.md)\n"
            "--json FILE  also write the results as JSON to FILE ('-' = stdout, then\n"
            "             the summary is not printed)\n"
            "--top N      workers to list in the summary (default %d, 0 = all)\n"
            "-h, --help   this text\n"
            "\n"
            "Exit status: 0 ok, 1 bad trace (the message names file and line), 2 usage.\n",
            WHATIF_TOP_DEFAULT);
}

/* Writes the JSON to 'dest' ("-" = stdout); -1 with a message printed. */
static int write_json(const char *dest, const char *path, const whatif_result *r)
{
    cJSON *root = rep_whatif_json(path, r);
    char *text = root ? cJSON_Print(root) : NULL;
    int rc = -1;
    if (!text) {
        fprintf(stderr, "dtsim whatif: out of memory building the JSON report\n");
        goto done;
    }
    errno = 0;
    FILE *f = strcmp(dest, "-") ? fopen(dest, "w") : stdout;
    if (!f) {
        cli_write_failed("whatif", dest);
        goto done;
    }
    int bad = fprintf(f, "%s\n", text) < 0;
    if (f != stdout) bad |= fclose(f) != 0;
    else bad |= fflush(f) != 0;
    if (bad) cli_write_failed("whatif", dest);
    rc = bad ? -1 : 0;
done:
    cJSON_free(text);
    cJSON_Delete(root);
    return rc;
}

/* ---- entry -------------------------------------------------------------- */

int cli_whatif(int argc, char **argv)
{
    const char *trace = NULL, *json = NULL;
    int top = WHATIF_TOP_DEFAULT;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return CLI_OK;
        } else if ((!strcmp(argv[i], "--json") || !strcmp(argv[i], "--top")) && i + 1 >= argc) {
            return cli_usage_error("whatif", "%s needs a value", argv[i]);
        } else if (!strcmp(argv[i], "--json")) {
            json = argv[++i];
        } else if (!strcmp(argv[i], "--top")) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || v < 0 || v > 1000000) {
                fprintf(stderr, "dtsim whatif: --top needs a count >= 0, not '%s'\n", argv[i]);
                return CLI_USAGE;
            }
            top = (int)v;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("whatif", "unknown option '%s'", argv[i]);
        } else if (!trace) {
            trace = argv[i];
        } else {
            fprintf(stderr, "dtsim whatif: one trace only ('%s' and '%s')\n", trace, argv[i]);
            return CLI_USAGE;
        }
    }
    if (!trace) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *outs[] = {json};
    if (cli_outputs_writable("whatif", outs, 1)) return CLI_ERR;

    char err[1024];
    int rc = CLI_ERR;
    whatif_result *r = NULL;
    optrace *t = optrace_load_csv(trace, err, sizeof err);
    if (!t || !(r = whatif_analyse(t, err, sizeof err))) {
        fprintf(stderr, "dtsim whatif: %s\n", err);
        goto done;
    }
    if (!(json && !strcmp(json, "-")) && rep_whatif_text(stdout, trace, r, top, 0)) {
        fprintf(stderr, "dtsim whatif: out of memory\n");
        goto done;
    }
    if (json && write_json(json, trace, r)) goto done;
    rc = CLI_OK;
done:
    whatif_result_free(r);
    optrace_free(t);
    return rc;
}
