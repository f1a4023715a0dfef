/*
** cli_run.c -- `dtsim run CONFIG`: simulate one experiment (CLI layer).
**
** Steps: load and validate the config, build the plan (cost model +
** schedule), refuse plans that do not fit in GPU memory (unless
** --allow-oom), simulate on SimGrid, compute the metrics, print the summary
** and write the JSON report and trace when asked.
*/
#include "cli.h"
#include "cli_common.h"
#include "cli_sim.h"

#include "cfg.h"
#include "rep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
        "usage: dtsim run CONFIG [options]\n"
        "\n"
        "Simulate one training iteration of the experiment in CONFIG (a JSON file, see\n"
        "README.md \"Configuration\") on a SimGrid model of the cluster, and report where\n"
        "the time goes: iteration time, throughput, TFLOP/s per GPU, MFU, pipeline bubble,\n"
        "exposed communication and memory per stage. With a \"stragglers\" section\n"
        "(docs/stragglers.md) it also prints the slowdown and its what-if attribution.\n"
        "With \"failures\"/\"resilience\" sections (docs/resilience.md) it simulates a\n"
        "whole training run instead, as `dtsim resilience CONFIG` does; stragglers that\n"
        "name no GPU or node (\"all\", noise, seqlen) then slow every plan it times.\n"
        "\n"
        "options:\n"
        "  --set KEY=VALUE   override a config value by its dotted path, e.g.\n"
        "                    --set parallel.pp=16 --set cluster.gpu=h100-sxm\n"
        "                    (VALUE is JSON if it parses as JSON, else a string; repeatable)\n"
        "  --json FILE       write the report as JSON\n"
        "  --trace FILE      write a Chrome/Perfetto trace (open in ui.perfetto.dev)\n"
        "  --iterations N    simulate N iterations (default: engine.iterations, 1)\n"
        "  --export-trace F  write the simulated ops as a per-op trace CSV (the format of\n"
        "                    `dtsim whatif`, docs/whatif.md); one chunk per device only\n"
        "                    (--json, --trace, --export-trace: FILE '-' = stdout instead of\n"
        "                    the summary, for one of them)\n"
        "  --allow-oom       simulate even if a stage does not fit in GPU memory\n"
        "  --quiet           no summary on stdout\n"
        "  -h, --help        this help\n"
        "\n"
        "exit status: 0 success, 1 invalid config or failed simulation, 2 usage error\n");
}

int cli_run(int argc, char **argv)
{
    const char *config = NULL, *json_path = NULL, *trace_path = NULL, *export_path = NULL;
    int allow_oom = 0, quiet = 0, iterations = 0;
    cfg_overrides ov = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "--set") || !strcmp(a, "--json") || !strcmp(a, "--trace") ||
                   !strcmp(a, "--iterations") || !strcmp(a, "--export-trace")) {
            if (i + 1 >= argc) return cli_usage_error("run", "%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--set")) {
                if (cli_add_override("run", &ov, CFG_MAX_OVERRIDES, v)) return CLI_USAGE;
            } else if (!strcmp(a, "--json")) json_path = v;
            else if (!strcmp(a, "--trace")) trace_path = v;
            else if (!strcmp(a, "--export-trace")) export_path = v;
            else if (cli_parse_int(v, 1, 1000, &iterations))
                return cli_usage_error("run", "--iterations needs an integer in 1..1000, got '%s'", v);
        } else if (!strcmp(a, "--allow-oom")) {
            allow_oom = 1;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("run", "unknown option '%s'", a);
        } else if (!config) {
            config = a;
        } else {
            return cli_usage_error("run", "unexpected argument '%s' (one CONFIG only)", a);
        }
    }
    if (!config) return cli_usage_error("run", "missing CONFIG");
    /* '-' puts one output on stdout, instead of the summary (as compare and
    ** resilience do): two there, or the summary with one, would not parse */
    const char *outs[] = {json_path, trace_path, export_path};
    const char *out_flags[] = {"--json", "--trace", "--export-trace"};
    int n_stdout = 0;
    for (int k = 0; k < 3; k++) {
        if (!outs[k] || strcmp(outs[k], "-")) continue;
        for (int l = 0; l < k; l++)
            if (outs[l] && !strcmp(outs[l], "-"))
                return cli_usage_error("run", "%s - and %s - cannot both write to stdout",
                                       out_flags[l], out_flags[k]);
        n_stdout++;
    }
    if (n_stdout) quiet = 1;

    cfg_experiment e;
    cfg_error cerr;
    if (cfg_load(config, &ov, &e, &cerr)) return cli_config_error(&cerr);
    /* refusals that need the config come before any output file is created */
    if ((e.failures || e.resilience) && (trace_path || export_path || iterations || allow_oom)) {
        cfg_free(&e);
        return cli_usage_error("run", "--trace, --export-trace, --iterations and --allow-oom "
                               "apply to one iteration; this config simulates a run with "
                               "failures");
    }
    if (export_path && e.parallel.virtual_stages != 1) {
        cfg_fail(&cerr, config, "$.parallel", "--export-trace needs one model chunk per device, "
                 "this schedule has %d (the per-op trace's dependency model pairs the k-th send "
                 "of a stage with the k-th receive of the next)", e.parallel.virtual_stages);
        cfg_blame_overrides(&ov, &cerr);
        cfg_free(&e);
        return cli_config_error(&cerr);
    }
    if (cli_outputs_writable("run", outs, 3)) {
        cfg_free(&e);
        return CLI_ERR;
    }
    if (e.failures || e.resilience) {
        /* a whole training run with failures: the run level, iteration times
        ** from the engine (same as `dtsim resilience CONFIG`) */
        cfg_free(&e);
        return cli_run_resilience(config, &ov, json_path, quiet);
    }
    if (!iterations) iterations = e.engine.iterations;

    char err[1024];
    cli_sim sim;
    if (cli_sim_run(config, &e, iterations, allow_oom, 0, &sim, err, sizeof err) != CLI_SIM_OK) {
        if (err[0]) fprintf(stderr, "dtsim: %s\n", err);
        cli_sim_free(&sim);
        cfg_free(&e);
        return CLI_ERR;
    }
    const plan_t *p = &sim.plan;
    const tl_result *res = &sim.res;
    if (e.engine.progress)
        fprintf(stderr, "dtsim: simulated %d iteration%s of %d GPUs (%ld actors) in %.3f s "
                "wall (platform %.3f s)\n", res->iterations, res->iterations > 1 ? "s" : "",
                p->n_gpus, res->n_actors, res->wall_s, res->load_wall_s);
    if (!quiet) rep_text(stdout, &e, p, &sim.met);
    int rc = CLI_OK;
    cJSON *j = json_path ? rep_json(&e, p, &sim.met) : NULL;
    if (cli_slow_after_run(&sim.slow, sim.eng, p, res, export_path, quiet ? NULL : stdout, j))
        rc = CLI_ERR;
    errno = 0;
    if (json_path) {
        if (!j || rep_write_json_file(json_path, j)) rc = cli_write_failed("run", json_path);
        cJSON_Delete(j);
    }
    errno = 0;
    if (trace_path && rep_write_trace(trace_path, p, res)) rc = cli_write_failed("run", trace_path);
    cli_sim_free(&sim);
    cfg_free(&e);
    return rc;
}
