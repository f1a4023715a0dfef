/*
** cli_cost.c -- `dtsim cost CONFIG`: what the cost model says, without
** simulating (CLI layer). Per virtual stage: layers, FLOPs and time of the
** F, B and W ops of one microbatch split into GEMM, memory-bound and launch
** time, TP collectives, and per device the memory breakdown; the same as
** JSON with --json.
*/
#include "cli.h"
#include "cli_common.h"

#include "cfg.h"
#include "cost.h"
#include "plan.h"
#include "rep.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <string.h>

#define GIB (1024.0 * 1024.0 * 1024.0)

static void usage(FILE *out)
{
    fprintf(out,
        "usage: dtsim cost CONFIG [--set KEY=VALUE]... [--json FILE]\n"
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
        "  --json FILE       the same figures as JSON, in seconds, bytes and FLOPs\n"
        "                    ('-' = stdout instead of the text)\n"
        "  -h, --help        this help\n");
}

static cJSON *op_json(const cost_op *o)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "flops", o->flops);
    cJSON_AddNumberToObject(j, "time_s", o->compute_s);
    cJSON_AddNumberToObject(j, "gemm_s", o->gemm_s);
    cJSON_AddNumberToObject(j, "memory_s", o->mem_s);
    cJSON_AddNumberToObject(j, "launch_s", o->launch_s);
    cJSON_AddNumberToObject(j, "tp_collectives", o->n_tp_colls);
    cJSON_AddNumberToObject(j, "tp_bytes_each", o->tp_bytes);
    return j;
}

/* The text report's figures as JSON (units in the key names). */
static cJSON *cost_json(const cfg_experiment *e, const plan_t *p)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model", e->model.name);
    cJSON_AddStringToObject(j, "cluster", e->cluster.name);
    cJSON_AddStringToObject(j, "gpu", e->cluster.gpu.name);
    cJSON_AddNumberToObject(j, "tp", p->tp);
    cJSON_AddNumberToObject(j, "microbatch_size", e->parallel.microbatch_size);
    cJSON_AddStringToObject(j, "precision", cfg_precision_names[e->parallel.precision]);
    cJSON_AddStringToObject(j, "recompute", cfg_recompute_names[e->parallel.recompute]);
    cJSON_AddNumberToObject(j, "parameters", cost_total_params(&e->model));
    cJSON_AddNumberToObject(j, "executed_flops_per_iteration", p->executed_flops);
    cJSON_AddNumberToObject(j, "model_flops_per_iteration", p->model_flops);
    cJSON_AddNumberToObject(j, "megatron_flops_per_iteration",
                            cost_megatron_flops(&e->model, e->parallel.global_batch_size, 1));
    cJSON *vss = cJSON_AddArrayToObject(j, "virtual_stages");
    for (int vs = 0; vs < p->n_vs; vs++) {
        cost_stage st;
        cost_stage_ops(e, vs, p->n_vs, &st);
        cJSON *v = cJSON_CreateObject();
        cJSON_AddNumberToObject(v, "first_layer", st.first_layer);
        cJSON_AddNumberToObject(v, "layers", st.n_layers);
        cJSON_AddBoolToObject(v, "embedding", st.has_embedding);
        cJSON_AddBoolToObject(v, "lm_head", st.has_lm_head);
        cJSON_AddNumberToObject(v, "pp_send_bytes_per_tp_rank", st.pp_send_bytes);
        cJSON_AddItemToObject(v, "F", op_json(&st.f));
        cJSON_AddItemToObject(v, "B", op_json(&st.b));
        cJSON_AddItemToObject(v, "W", op_json(&st.w));
        cJSON_AddItemToArray(vss, v);
    }
    cJSON *devs = cJSON_AddArrayToObject(j, "devices");
    for (int d = 0; d < p->pp; d++) {
        const cost_memory *m = &p->mem[d];
        cJSON *v = cJSON_CreateObject();
        cJSON_AddNumberToObject(v, "params_per_gpu", m->params);
        cJSON_AddNumberToObject(v, "model_state_bytes", m->state_bytes);
        cJSON_AddNumberToObject(v, "activation_bytes", m->act_bytes);
        cJSON_AddNumberToObject(v, "peak_inflight_microbatches", p->peak_inflight[d]);
        cJSON_AddNumberToObject(v, "other_bytes", m->other_bytes);
        cJSON_AddNumberToObject(v, "total_bytes", m->total_bytes);
        cJSON_AddNumberToObject(v, "gpu_memory_bytes", e->cluster.gpu.hbm_bytes);
        cJSON_AddBoolToObject(v, "fits", m->fits);
        cJSON_AddNumberToObject(v, "optimizer_s", p->optimizer_s[d]);
        cJSON_AddNumberToObject(v, "dp_gradient_bytes", p->grad_bytes[d]);
        cJSON_AddNumberToObject(v, "dp_buckets", p->n_buckets[d]);
        cJSON_AddItemToArray(devs, v);
    }
    return j;
}

static void print_op(const char *name, const cost_op *o)
{
    printf("    %s  %9.3f TFLOP  %9.3f ms = GEMM %8.3f + memory %7.3f + launch %6.3f ms"
           "   TP %d x %.1f MB\n", name, o->flops / 1e12, o->compute_s * 1e3, o->gemm_s * 1e3,
           o->mem_s * 1e3, o->launch_s * 1e3, o->n_tp_colls, o->tp_bytes / 1e6);
}

int cli_cost(int argc, char **argv)
{
    const char *config = NULL, *json_path = NULL;
    cfg_overrides ov = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--set")) {
            if (i + 1 >= argc) return cli_usage_error("cost", "--set needs a value");
            if (cli_add_override("cost", &ov, CFG_MAX_OVERRIDES, argv[++i])) return CLI_USAGE;
        } else if (!strcmp(argv[i], "--json")) {
            if (i + 1 >= argc) return cli_usage_error("cost", "--json needs a file");
            json_path = argv[++i];
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
    int rc = CLI_OK;
    if (json_path) {
        cJSON *j = cost_json(&e, &p);
        if (!j || rep_write_json_file(json_path, j)) rc = cli_write_failed("cost", json_path);
        cJSON_Delete(j);
        if (rc != CLI_OK || !strcmp(json_path, "-")) { /* stdout holds the JSON alone */
            plan_free(&p);
            cfg_free(&e);
            return rc;
        }
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
    return rc;
}
