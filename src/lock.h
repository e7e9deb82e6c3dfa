/* lock.h: recipe.lock, the exact package set of a recipe (format in
 * docs/reproducible.md). */
#ifndef MK_LOCK_H
#define MK_LOCK_H

#include "error.h"
#include "recipe.h"
#include "repo.h"
#include "solve.h"

/* Where the lock file of recipe r is: `override` when given (-o), else the
 * recipe's `lock = FILE` (relative to the recipe's directory), else the
 * recipe's path with .conf replaced by .lock.  Caller frees. */
char *mk_lock_path (const struct mk_recipe *r, const char *override);

/* The lines of a lock that describe what determines resolution (arch,
 * releasever, weak_deps, packages, excludes, repositories), and their
 * sha256.  Comments, whitespace and keys that do not change the package
 * set (name, profile, output...) are not part of it. */
char **mk_lock_recipe_lines (const struct mk_recipe *r);
char *mk_lock_recipe_digest (const struct mk_recipe *r);

/* Write the lock for a resolved package list (install order) atomically.
 * Every package needs a sha256: the repository's when it states one, else
 * the local file's. */
int mk_lock_write (const struct mk_recipe *r,
                   const struct mk_pkglist *const *l, const char *path,
                   mk_error_t *err);

/* Read a lock, check it still matches the recipe (an error with
 * MK_EXIT_RECIPE that says what changed otherwise) and return its
 * packages in install order, with checksum_type "sha256" and path NULL. */
int mk_lock_read (const struct mk_recipe *r, const char *path,
                  struct mk_pkglist **out, mk_error_t *err);

/* `mkbase lock RECIPE`: resolve (each architecture of a multi-arch
 * recipe, o->arch_list overriding it) and write the lock to
 * mk_lock_path. */
struct mk_build_opts;
int mk_lock_create (const char *recipe, const struct mk_build_opts *o,
                    const struct mk_repo_opts *ro, const char *output,
                    mk_error_t *err);

#endif
