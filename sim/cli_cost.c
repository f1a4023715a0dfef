/*
** cli_cost.c -- `dtsim cost CONFIG`: what the cost model says, without
** simulating (CLI layer). Per virtual stage: layers, FLOPs and time of the
** F, B and W ops of one microbatch split into GEMM, memory-bound and launch
** time, TP collectives, and per device the memory breakdown.
*/
#include "cli.h"
#include "cli_common.h"

#include "cfg.h"
#include "cost.h"
#include "plan.h"

#include <stdio.h>
#include <string.h>

#define GIB (1024.0 * 1024.0 * 1024.0)

static void usage(FILE *out)
{
    fprintf(out,
        "usage: dtsim cost CONFIG [--set KEY=VALUE]...\n"
        "\n"
        "Print the cost model's view of the experiment without simulating it: for each\n"
        "virtual pipeline stage the FLOPs and time of one microbatch's forward (F),\n"
        "input-gradient (B) and weight-gradient (W) ops on one GPU, split into GEMM,\n"
        "memory-bound and kernel-launch time, with the TP collectives they issue; then\n"
        "the memory of each pipeline rank. Useful to see why a plan is slow or does\n"
        "not fit before running it.\n"
        "\n"
        "options:\n"
        "  --set KEY=VALUE   override a config value by its dotted path (repeatable)\n"
        "  -h, --help        this help\n");
}

static void print_op(const char *name, const cost_op *o)
{
    printf("    %s  %9.3f TFLOP  %9.3f ms = GEMM %8.3f + memory %7.3f + launch %6.3f ms"
           "   TP %d x %.1f MB\n", name, o->flops / 1e12, o->compute_s * 1e3, o->gemm_s * 1e3,
           o->mem_s * 1e3, o->launch_s * 1e3, o->n_tp_colls, o->tp_bytes / 1e6);
}

int cli_cost(int argc, char **argv)
{
    const char *config = NULL;
    cfg_overrides ov = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--set")) {
            if (i + 1 >= argc) return cli_usage_error("cost", "--set needs a value");
            if (cli_add_override("cost", &ov, CFG_MAX_OVERRIDES, argv[++i])) return CLI_USAGE;
        } else if (argv[i][0] == '-') {
            return cli_usage_error("cost", "unknown option '%s'", argv[i]);
        } else if (!config) {
            config = argv[i];
        } else {
            return cli_usage_error("cost", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!config) return cli_usage_error("cost", "missing CONFIG");
    cfg_experiment e;
    cfg_error cerr;
    if (cfg_load(config, &ov, &e, &cerr)) return cli_config_error(&cerr);
    if (e.model.kind == MODEL_ABSTRACT) {
        fprintf(stderr, "dtsim cost: %s: an abstract model has no cost model\n", config);
        cfg_free(&e);
        return CLI_ERR;
    }
    char err[512];
    plan_t p;
    if (plan_build(&e, &p, err, sizeof err)) {
        fprintf(stderr, "dtsim: %s: $.parallel: %s\n", config, err);
        cfg_free(&e);
        return CLI_ERR;
    }
    printf("cost model: %s on %s (%s), TP %d, microbatch %d, precision %s, recompute %s\n",
           e.model.name, e.cluster.name, e.cluster.gpu.name, p.tp, e.parallel.microbatch_size,
           cfg_precision_names[e.parallel.precision], cfg_recompute_names[e.parallel.recompute]);
    printf("  parameters %.3fB; FLOPs per iteration: executed %.4g, model %.4g "
           "(Megatron formula with full recompute %.4g)\n", cost_total_params(&e.model) / 1e9,
           p.executed_flops, p.model_flops,
           cost_megatron_flops(&e.model, e.parallel.global_batch_size, 1));
    for (int vs = 0; vs < p.n_vs; vs++) {
        cost_stage st;
        cost_stage_ops(&e, vs, p.n_vs, &st);
        printf("  virtual stage %d: layers %d..%d%s%s, sends %.1f MB per TP rank\n", vs,
               st.first_layer, st.first_layer + st.n_layers - 1,
               st.has_embedding ? ", embedding" : "", st.has_lm_head ? ", LM head + loss" : "",
               st.pp_send_bytes / 1e6);
        print_op("F", &st.f);
        print_op("B", &st.b);
        print_op("W", &st.w);
    }
    for (int d = 0; d < p.pp; d++) {
        const cost_memory *m = &p.mem[d];
        printf("  device %d: %.3fB params/GPU, model state %.2f GiB + activations %.2f GiB "
               "(peak %.2f microbatches) + other %.2f GiB = %.2f GiB of %.2f%s; optimizer %.2f ms, "
               "DP gradients %.1f MB in %d buckets\n", d, m->params / 1e9, m->state_bytes / GIB,
               m->act_bytes / GIB, p.peak_inflight[d], m->other_bytes / GIB, m->total_bytes / GIB,
               e.cluster.gpu.hbm_bytes / GIB, m->fits ? "" : " (DOES NOT FIT)",
               p.optimizer_s[d] * 1e3, p.grad_bytes[d] / 1e6, p.n_buckets[d]);
    }
    plan_free(&p);
    cfg_free(&e);
    return CLI_OK;
}
