/* verify.h: `mkbase verify IMAGE`: an offline `rpm -V` for an image tar. */
#ifndef MK_VERIFY_H
#define MK_VERIFY_H

#include <stdbool.h>

#include "error.h"
#include "listing.h"

/* mkbase verify's exit status when it could not verify (unreadable tar,
 * no package headers): 2, as cmp(1) and diff(1) use it; 1 means "a file
 * was modified". */
enum
{
  MK_EXIT_VERIFY = 2,
};

struct mk_verify_opts
{
  bool json;
  bool no_record; /* --no-record: judge scripted files by their headers */
  char **packages; /* --packages: RPM files or directories; NULL-terminated,
                    * NULL when none */
};

/* Check every file of every installed package against the tar: print one
 * rpm -V line per modified file, the missing (pruned) and extra ones, and
 * a summary on stderr.  Returns 0 when nothing is modified, 1 when a file
 * is, -1 on error (exit code MK_EXIT_VERIFY). */
int mk_verify (const char *image, const struct mk_verify_opts *o,
               mk_error_t *err);

/* Where a package path lands in the image: its directories resolved
 * through the tar's own symlinks (the last component is not followed),
 * clamped to the root, as the build placed it.  NULL after 40 links.
 * Exposed for the unit tests. */
char *mk_verify_resolve (const struct mk_listing *l, const char *path);

/* The index in l->v of the entry extracting the tar leaves at path (the
 * last of that name), or -1. */
long mk_verify_find (const struct mk_listing *l, const char *path);

#endif
