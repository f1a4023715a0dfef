/*
** test_run_cfg.c -- the `failures`, `resilience` and `profile` sections:
** unit conversion, defaults (docs/resilience.md) and errors naming the file
** and the JSON path.
*/
#include "testlib.h"
#include "run_cfg.h"

#include <stdio.h>
#include <string.h>

static int parse(const char *fail, const char *res, run_config *c, cfg_error *e)
{
    memset(e, 0, sizeof *e);
    cJSON *f = fail ? cJSON_Parse(fail) : NULL, *r = res ? cJSON_Parse(res) : NULL;
    if (fail) assert_non_null(f);
    if (res) assert_non_null(r);
    int rc = run_cfg_parse(f, r, "configs/x.json", c, e);
    cJSON_Delete(f);
    cJSON_Delete(r);
    return rc;
}

static void expect_error(const char *fail, const char *res, const char *path, const char *words)
{
    run_config c;
    cfg_error e;
    assert_int_equal(parse(fail, res, &c, &e), -1);
    char msg[1024];
    cfg_error_format(&e, msg, sizeof msg);
    if (!strstr(msg, path) || !strstr(msg, words) || !strstr(msg, "configs/x.json"))
        print_error("message: %s\n", msg);
    assert_non_null(strstr(msg, "configs/x.json"));
    assert_non_null(strstr(msg, path));
    assert_non_null(strstr(msg, words));
}

static void test_values(void **state)
{
    (void)state;
    run_config c;
    cfg_error e;
    assert_int_equal(parse("{\"source\":\"trace\",\"trace\":\"../traces/spot/1h.csv\",\"startup_s\":10,"
                           "\"detection_s\":5,\"seed\":9}",
                           "{\"schemes\":[\"oobleck\",\"ckpt\"],\"nodes\":30,\"interval\":\"fixed\","
                           "\"interval_s\":900,\"storage_write_gbps\":2,\"oobleck\":{\"f\":2},"
                           "\"inmem\":{\"placement\":\"ring\",\"remote_interval_h\":1}}",
                           &c, &e), 0);
    assert_int_equal(c.fail.source, RUN_SRC_TRACE);
    assert_string_equal(c.fail.trace_path, "configs/../traces/spot/1h.csv"); /* relative to the config */
    assert_close(c.fail.startup_s, 10, 0);
    assert_int_equal(c.fail.seed, 9);
    assert_int_equal(c.n_schemes, 2);
    assert_int_equal(c.schemes[0], RES_OOBLECK);
    assert_int_equal(c.schemes[1], RES_CKPT);
    assert_int_equal(c.res.n_nodes, 30);
    assert_int_equal(c.res.interval_policy, RES_IVL_FIXED);
    assert_close(c.res.interval_s, 900, 0);
    assert_close(c.res.storage_write_bytes_per_s, 2e9, 0);
    assert_int_equal(c.res.oob_f, 2);
    assert_int_equal(c.res.inmem_placement, RES_PLACE_RING);
    assert_close(c.res.inmem_remote_interval_s, 3600, 0);
    /* Meta RSC-1: 6.5 failures per 1000 node-days -> node MTBF 1000/6.5 days */
    assert_int_equal(parse("{\"failures_per_1000_node_days\":6.5,\"duration_h\":24}", NULL, &c, &e), 0);
    assert_close(c.fail.random.node_mtbf_s, 1000.0 / 6.5 * 86400, 1e-6);
    assert_close(c.fail.duration_s, 86400, 0);
    assert_int_equal(parse("{\"components\":[{\"name\":\"gpu\",\"share\":3,\"repair_h\":2}]}", NULL, &c, &e), 0);
    assert_int_equal(c.fail.random.n_components, 1);
    assert_close(c.fail.random.comp[0].repair_s, 7200, 0);
    /* defaults: all five schemes, 30 days */
    assert_int_equal(parse(NULL, NULL, &c, &e), 0);
    assert_int_equal(c.n_schemes, 5);
    assert_close(c.fail.duration_s, 30 * 86400.0, 0);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("{\"node_mtbf_h\":-3}", NULL, "$.failures.node_mtbf_h", "> 0");
    expect_error("{\"failures_per_1000_node_days\":0}", NULL, "$.failures.failures_per_1000_node_days", "> 0");
    expect_error("{\"node_mtbf_h\":3,\"gpu_mtbf_h\":4}", NULL, "$.failures", "node_mtbf_h and gpu_mtbf_h each give the failure rate");
    expect_error("{\"source\":\"dice\"}", NULL, "$.failures.source", "dice");
    expect_error("{\"source\":\"trace\"}", NULL, "$.failures.trace", "missing");
    expect_error("{\"components\":[{\"name\":\"gpu\",\"share\":-1,\"repair_h\":1}]}", NULL,
                 "$.failures.components[0].share", "> 0");
    expect_error("{\"bogus\":1}", NULL, "$.failures.bogus", "unknown key");
    expect_error(NULL, "{\"schemes\":[\"ckpt\",\"magic\"]}", "$.resilience.schemes[1]", "unknown scheme 'magic'");
    expect_error(NULL, "{\"restart_s\":-5}", "$.resilience.restart_s", ">= 0");
    expect_error(NULL, "{\"interval\":\"fixed\"}", "$.resilience.interval_s", "missing");
    expect_error(NULL, "{\"oobleck\":{\"f\":-1}}", "$.resilience.oobleck.f", "");
    expect_error(NULL, "{\"bamboo\":{\"slowdown\":0.5}}", "$.resilience.bamboo.slowdown", "");
    expect_error(NULL, "{\"varuna\":{\"extra\":1}}", "$.resilience.varuna.extra", "unknown key");
}

/* Times, rates and sizes have documented upper bounds (docs/resilience.md,
** "Config keys"; run_cfg.h): 1e308 used to run and print a goodput of 0. */
static void test_upper_bounds(void **state)
{
    (void)state;
    expect_error("{\"detection_s\":1e308}", NULL, "$.failures.detection_s", "must be <= 1e+07, got 1e+308");
    expect_error("{\"startup_s\":2e7}", NULL, "$.failures.startup_s", "<= 1e+07");
    expect_error("{\"components\":[{\"name\":\"gpu\",\"share\":1e308,\"repair_h\":1}]}", NULL,
                 "$.failures.components[0].share", "<= 1e+06");
    expect_error("{\"components\":[{\"name\":\"gpu\",\"share\":1,\"repair_h\":1e308}]}", NULL,
                 "$.failures.components[0].repair_h", "<= 10000");
    static const char *const res_keys[][2] = {
        {"{\"restart_s\":1e308}", "$.resilience.restart_s"},
        {"{\"interval\":\"fixed\",\"interval_s\":1e308}", "$.resilience.interval_s"},
        {"{\"storage_write_gbps\":1e308}", "$.resilience.storage_write_gbps"},
        {"{\"storage_read_gbps\":1e308}", "$.resilience.storage_read_gbps"},
        {"{\"checkpoint_gb\":1e20}", "$.resilience.checkpoint_gb"},
        {"{\"mtbf_h\":1e308}", "$.resilience.mtbf_h"},
        {"{\"inmem\":{\"peer_gbps\":1e308}}", "$.resilience.inmem.peer_gbps"},
        {"{\"inmem\":{\"remote_interval_h\":1e308}}", "$.resilience.inmem.remote_interval_h"},
        {"{\"oobleck\":{\"reconfig_s\":1e308}}", "$.resilience.oobleck.reconfig_s"},
        {"{\"oobleck\":{\"copy_gbps\":1e308}}", "$.resilience.oobleck.copy_gbps"},
        {"{\"oobleck\":{\"fallback_interval_h\":1e308}}", "$.resilience.oobleck.fallback_interval_h"},
        {"{\"bamboo\":{\"failover_s\":1e308}}", "$.resilience.bamboo.failover_s"},
        {"{\"bamboo\":{\"reconfig_s\":1e308}}", "$.resilience.bamboo.reconfig_s"},
        {"{\"varuna\":{\"morph_s\":1e308}}", "$.resilience.varuna.morph_s"},
    };
    for (size_t i = 0; i < sizeof res_keys / sizeof *res_keys; i++)
        expect_error(NULL, res_keys[i][0], res_keys[i][1], "must be <=");
    /* the bounds themselves are accepted: a year-long run may restart for 1e7 s */
    run_config c;
    cfg_error e;
    assert_int_equal(parse("{\"detection_s\":1e7}", "{\"restart_s\":1e7,\"storage_write_gbps\":1e6,"
                           "\"checkpoint_gb\":1e6}", &c, &e), 0);
    assert_close(c.res.restart_s, 1e7, 0);
    assert_close(c.res.ckpt_bytes, 1e15, 0);
}

/* A present key is valid or an error: 0 no longer silently means "the
** default" (nodes 0 ran on the cluster's nodes, pp 0 chose the best shape,
** mtbf_h 0 derived the MTBF). Absent keys keep their defaults. */
static void test_present_zero(void **state)
{
    (void)state;
    expect_error(NULL, "{\"nodes\":0}", "$.resilience.nodes", "between 1 and 10000000, got 0");
    expect_error(NULL, "{\"nodes\":-1}", "$.resilience.nodes", "between 1 and 10000000, got -1");
    expect_error(NULL, "{\"pp\":0}", "$.resilience.pp", "between 1 and 100000, got 0");
    expect_error(NULL, "{\"mtbf_h\":0}", "$.resilience.mtbf_h", "must be > 0, got 0");
    expect_error(NULL, "{\"checkpoint_gb\":0}", "$.resilience.checkpoint_gb", "must be > 0");
    expect_error(NULL, "{\"bamboo\":{\"stages\":0}}", "$.resilience.bamboo.stages", "between 1");
    /* a run shorter than a second (1e-300 h reported a goodput of 1); 0 is a trace's end */
    expect_error("{\"duration_h\":1e-300}", NULL, "$.failures.duration_h", "between 0.000277778 and 1e+06");
    run_config c;
    cfg_error e;
    assert_int_equal(parse("{\"source\":\"trace\",\"trace\":\"t.csv\",\"duration_h\":0}", "{}", &c, &e), 0);
    assert_int_equal(c.res.n_nodes, 0);  /* absent: the trace's peak */
    assert_int_equal(c.res.pp, 0);       /* absent: the fastest shape */
    assert_close(c.res.mtbf_s, 0, 0);    /* absent: derived */
    assert_close(c.fail.duration_s, 0, 0);
}

static void test_profile(void **state)
{
    (void)state;
    cfg_error e = {0};
    oracle_profile p;
    cJSON *j = cJSON_Parse("{\"layers\":32,\"fwd_ms\":10,\"bwd_ms\":20,\"state_mb\":100,"
                           "\"global_batch\":512,\"microbatches\":64,\"gpu_mem_gb\":40}");
    assert_int_equal(run_cfg_parse_profile(j, "p.json", &p, &e), 0);
    assert_close(p.fwd_s, 0.010, 1e-15);
    assert_close(p.state_bytes, 100e6, 0);
    assert_close(p.gpu_mem_bytes, 40e9, 0);
    assert_int_equal(p.gpus_per_node, 8);
    cJSON_Delete(j);
    j = cJSON_Parse("{\"layers\":32,\"fwd_ms\":-1,\"bwd_ms\":20,\"state_mb\":100,\"global_batch\":8}");
    memset(&e, 0, sizeof e);
    assert_int_equal(run_cfg_parse_profile(j, "p.json", &p, &e), -1);
    assert_string_equal(e.path, "$.profile.fwd_ms");
    cJSON_Delete(j);
    /* tp_efficiency in (0, 1] at parse time, with its path (0 passed the
    ** parser and failed later as "analytic profile: tp efficiency must be
    ** in (0, 1]", without a path); bounds on memory and bandwidth */
    static const char *const bad[][3] = {
        {"\"tp_efficiency\":0", "$.profile.tp_efficiency", "must be > 0, got 0"},
        {"\"tp_efficiency\":1.5", "$.profile.tp_efficiency", "must be <= 1, got 1.5"},
        {"\"gpu_mem_gb\":1e308", "$.profile.gpu_mem_gb", "must be <= 10000"},
        {"\"dp_gbps\":1e308", "$.profile.dp_gbps", "must be <= 1e+06"},
        {"\"checkpoint_gb\":0", "$.profile.checkpoint_gb", "must be > 0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[256];
        snprintf(text, sizeof text, "{\"layers\":32,\"fwd_ms\":10,\"bwd_ms\":20,\"state_mb\":100,"
                 "\"global_batch\":8,%s}", bad[i][0]);
        j = cJSON_Parse(text);
        memset(&e, 0, sizeof e);
        assert_int_equal(run_cfg_parse_profile(j, "p.json", &p, &e), -1);
        assert_string_equal(e.path, bad[i][1]);
        if (!strstr(e.msg, bad[i][2])) print_error("message: %s\n", e.msg);
        assert_non_null(strstr(e.msg, bad[i][2]));
        cJSON_Delete(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_upper_bounds),
        cmocka_unit_test(test_present_zero),
        cmocka_unit_test(test_profile),
    };
    return RUN_TESTS("run_cfg", tests);
}
