/* compare.h: `mkbase build --check-repro` and the tar comparison it uses. */
#ifndef MK_COMPARE_H
#define MK_COMPARE_H

#include "build.h"
#include "error.h"

/* Compare two image tars (compressed ones too) entry by entry.  Returns 0
 * when every entry is the same, 1 with *diff naming the first differing
 * entry and field (content, mode, owner, mtime, xattr, order), -1 on error. */
int mk_compare_tars (const char *a, const char *b, char **diff,
                     mk_error_t *err);

/* Build the recipe twice with this very executable, under different
 * staging directories, umask, TZ, locale, CPU affinity and, as root, user;
 * compare every output.  Prints "reproducible: SHA256" or fails with
 * MK_EXIT_FAILURE and the first difference. */
int mk_compare_check_repro (const char *recipe, const struct mk_build_opts *o,
                            mk_error_t *err);

#endif
