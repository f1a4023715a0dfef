/*
** test_cfg.c -- experiment loading: names, "extends", --set, derived values,
** layer splits, unit conversion, and the file/JSON path of errors.
** Expected values come from the config files themselves (configs/) and from
** the unit conversions documented in README.md "Configuration".
*/
#include "testlib.h"

#include "cfg.h"

#include <string.h>

static int load(cfg_experiment *e, const char *cfg, int n, const char *const *sets, cfg_error *err)
{
    cfg_overrides ov = {.n = n};
    for (int i = 0; i < n; i++) ov.items[i] = sets[i];
    return cfg_load(cfg, &ov, e, err);
}

/* default.json: model by name, cluster extending selene with 12 nodes,
** the GPU from configs/gpus/a100-80g.json, units converted once. */
static void test_names_and_extends(void **state)
{
    (void)state;
    cfg_experiment e;
    cfg_error err;
    assert_int_equal(load(&e, TEST_PATH("configs/experiments/default.json"), 0, NULL, &err), 0);
    assert_string_equal(e.model.name, "gpt3-175b");
    assert_int_equal(e.model.layers, 96);
    assert_int_equal(e.model.kv_heads, 96);              /* default: heads */
    assert_int_equal(e.model.ffn_hidden, 4 * 12288);     /* default: 4h */
    assert_int_equal(e.cluster.nodes, 12);               /* overlaid on selene's 560 */
    assert_int_equal(e.cluster.gpus_per_node, 8);
    assert_close(e.cluster.nic_bytes_per_s, 200e9 / 8, 1e-3);   /* 200 Gb/s */
    assert_close(e.cluster.gpu.peak_bf16_flops_per_s, 312e12, 1);
    assert_close(e.cluster.gpu.hbm_bytes, 80e9, 1);
    assert_int_equal(e.parallel.dp, 1);
    assert_int_equal(e.parallel.n_microbatches, 96);     /* 96 / (1 * 1) */
    assert_int_equal(e.parallel.virtual_stages, 2);
    for (int i = 0; i < 24; i++) assert_int_equal(e.parallel.stage_layers[i], 4);
    cfg_free(&e);
}

/* --set replaces a value, creates a missing key, and an object can be
** replaced by a name that is resolved again. */
static void test_overrides(void **state)
{
    (void)state;
    static const char *const sets[] = {"parallel.global_batch_size=192",
                                       "parallel.sequence_parallel=true",
                                       "cluster.gpu=h100-sxm",
                                       "parallel.schedule=1f1b"};
    cfg_experiment e;
    cfg_error err;
    int rc = load(&e, TEST_PATH("configs/experiments/default.json"), 4, sets, &err);
    if (rc) {
        char buf[1024];
        cfg_error_format(&err, buf, sizeof buf);
        print_error("%s\n", buf);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(e.parallel.n_microbatches, 192);
    assert_int_equal(e.parallel.sequence_parallel, 1);
    assert_string_equal(e.cluster.gpu.name, "h100-sxm");
    assert_close(e.cluster.gpu.peak_bf16_flops_per_s, 989.4e12, 1e3);
    assert_int_equal(e.parallel.virtual_stages, 1);      /* 1F1B ignores virtual_stages */
    /* the report's "with --set" line: the items in order */
    char text[CFG_OVERRIDES_TEXT_MAX];
    cfg_overrides_text(&e.ov, text, sizeof text);
    assert_string_equal(text, "parallel.global_batch_size=192 parallel.sequence_parallel=true "
                                     "cluster.gpu=h100-sxm parallel.schedule=1f1b");
    cfg_free(&e);
}

/* 64 long overrides do not fit the report's text: it ends in "..." within
** its buffer (and the config still loads). */
static void test_overrides_text_truncated(void **state)
{
    (void)state;
    static char items[CFG_MAX_OVERRIDES][64];
    const char *sets[CFG_MAX_OVERRIDES];
    for (int i = 0; i < CFG_MAX_OVERRIDES; i++) {
        snprintf(items[i], sizeof items[i], "description=x%039d", i);
        sets[i] = items[i];
    }
    cfg_experiment e;
    cfg_error err;
    assert_int_equal(load(&e, TEST_PATH("configs/experiments/default.json"), CFG_MAX_OVERRIDES,
                          sets, &err), 0);
    char text[CFG_OVERRIDES_TEXT_MAX];
    cfg_overrides_text(&e.ov, text, sizeof text);
    size_t n = strlen(text);
    assert_true(n < sizeof text && n > sizeof text - 60);
    assert_string_equal(text + n - 3, "...");
    assert_int_equal(strncmp(text, items[0], strlen(items[0])), 0);
    cfg_free(&e);
}

static void test_lighter_ends(void **state)
{
    (void)state;
    /* 94 layers on 12 stages: (94 + 2) / 12 = 8, ends get 7 */
    static const char *const sets[] = {"model.layers=94", "parallel.layer_split=\"lighter_ends\"",
                                       "parallel.schedule=1f1b"};
    cfg_experiment e;
    cfg_error err;
    assert_int_equal(load(&e, TEST_PATH("configs/experiments/default.json"), 3, sets, &err), 0);
    assert_int_equal(e.parallel.stage_layers[0], 7);
    assert_int_equal(e.parallel.stage_layers[11], 7);
    int sum = 0;
    for (int i = 0; i < 12; i++) sum += e.parallel.stage_layers[i];
    assert_int_equal(sum, 94);
    cfg_free(&e);
}

/* Errors name the source of the value: the file of the section, or the
** --set that put it there. */
static void test_error_sources(void **state)
{
    (void)state;
    cfg_experiment e;
    cfg_error err;
    static const char *const bad_set[] = {"parallel.tp=3"};
    assert_int_equal(load(&e, TEST_PATH("configs/experiments/default.json"), 1, bad_set, &err), -1);
    assert_string_equal(err.file, "--set parallel.tp=3");
    assert_string_equal(err.path, "$.parallel.tp");
    static const char *const bad_model[] = {"model.hidden=12289"};
    assert_int_equal(load(&e, TEST_PATH("configs/experiments/default.json"), 1, bad_model, &err), -1);
    /* hidden % heads is reported at the key the --set wrote, blamed on it
    ** (it named models/gpt3-175b.json at $.model.heads) */
    assert_string_equal(err.file, "--set model.hidden=12289");
    assert_string_equal(err.path, "$.model.hidden");
    static const char *const new_key[] = {"parallel.tpp=2"};
    assert_int_equal(load(&e, TEST_PATH("configs/experiments/default.json"), 1, new_key, &err), -1);
    assert_string_equal(err.path, "$.parallel.tpp");
    assert_non_null(strstr(err.msg, "unknown key"));
}

/* The abstract mode needs no cluster: one single-GPU node per device. */
static void test_abstract_defaults(void **state)
{
    (void)state;
    cfg_experiment e;
    cfg_error err;
    assert_int_equal(load(&e, TEST_PATH("tests/data/configs/abstract.json"), 0, NULL, &err), 0);
    assert_int_equal(e.model.kind, MODEL_ABSTRACT);
    assert_int_equal(e.cluster.nodes, e.parallel.pp);
    assert_int_equal(e.parallel.dp, 1);
    assert_close(e.model.t_f_s, 1.0, 0);
    cfg_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_extends),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_overrides_text_truncated),
        cmocka_unit_test(test_lighter_ends),
        cmocka_unit_test(test_error_sources),
        cmocka_unit_test(test_abstract_defaults),
    };
    return RUN_TESTS("cfg", tests);
}
