/*
** cfg_fixture.h -- load an experiment config with --set overrides in a unit
** test, failing the test with the loader's message if it is refused.
*/
#ifndef DTSIM_CFG_FIXTURE_H
#define DTSIM_CFG_FIXTURE_H

#include "testlib.h"

#include "cfg.h"

static inline void load(cfg_experiment *e, const char *cfg, int n, const char *const *sets)
{
    cfg_overrides ov = {.n = n};
    for (int i = 0; i < n; i++) ov.items[i] = sets[i];
    cfg_error err;
    if (cfg_load(cfg, &ov, e, &err)) {
        char buf[1024];
        cfg_error_format(&err, buf, sizeof buf);
        print_error("%s\n", buf);
        fail();
    }
}

#endif
