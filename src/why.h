/* why.h: `mkbase why RECIPE PACKAGE`. */
#ifndef MK_WHY_H
#define MK_WHY_H

#include "build.h"
#include "error.h"

/* Resolve the recipe and print why `name` is in its package set (text, or
 * JSON with o->json) on stdout. */
int mk_why_explain (const char *recipe, const char *name,
                    const struct mk_build_opts *o, mk_error_t *err);

#endif
