/*
** timeline.c -- the per-op timeline of simulated iterations (pure layer).
*/
#include "timeline.h"

#include <stdlib.h>
#include <string.h>

void tl_result_free(tl_result *res)
{
    if (!res) return;
    for (int i = 0; i < res->n_tracks; i++) free(res->tracks[i].ev);
    free(res->tracks);
    free(res->iter_end_s);
    memset(res, 0, sizeof *res);
}
