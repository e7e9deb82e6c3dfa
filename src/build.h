/* build.h: the pipeline, in one place: recipe -> solve -> unpack -> prune
 * -> pack. */
#ifndef MK_BUILD_H
#define MK_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct mk_recipe;

struct mk_build_opts
{
  const char *output;         /* -o; overrides the recipe */
  const char *staging_parent; /* --staging-dir */
  bool keep_staging;
  const char *cache;          /* --cache */
  bool offline;               /* --offline */
  /* docs/reproducible.md */
  bool locked;                /* --locked: the lock file's packages */
  const char *formats[8];     /* --format values (comma lists), in order */
  size_t n_formats;
  bool check_repro;           /* --check-repro */
  bool json;                  /* --json: a JSON summary on stdout */
  char **packages;            /* --packages (mkbase verify), NULL-terminated */
  bool no_record;             /* --no-record (mkbase verify) */
  const char *arch_list;      /* --arch LIST: overrides the recipe's arch */
  /* Set by mk_build_image for one platform of a multi-arch build. */
  const char *arch;
  bool multi;
};

/* The output of one platform of a multi-arch build: out/x.tar ->
 * out/x.aarch64.tar (mkbase check-repro compares these). */
char *mk_build_arch_output (const char *output, const char *arch);

/* Apply --arch to a loaded recipe: o->arch_list replaces r->arches (its
 * names checked here, MK_EXIT_USAGE) and o->arch, one platform of a
 * multi-arch build, sets r->arch. */
int mk_build_apply_arch (struct mk_recipe *r, const struct mk_build_opts *o,
                         mk_error_t *err);

int mk_build_image (const char *recipe, const struct mk_build_opts *o,
                    mk_error_t *err);
int mk_build_resolve (const char *recipe, const struct mk_build_opts *o,
                      mk_error_t *err);

/* For a recipe with `base = RECIPE` (docs/layers.md): the base's package
 * set, as r->installed, without building it (resolve, lock, why). */
struct mk_repo_opts;
int mk_build_pin_base (struct mk_recipe *r, const struct mk_repo_opts *ro,
                       bool locked, mk_error_t *err);

#endif
