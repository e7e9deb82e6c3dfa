/* check.h: the image check that runs after pruning and before packing:
 * every ELF file's interpreter and libraries, every script's #!
 * interpreter, every symlink target and the image's locale must still be
 * in the image.  Reads the manifest and, through the root fd, the first
 * bytes of files in the staging tree.  libc only. */
#ifndef MK_CHECK_H
#define MK_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "tree.h"

struct mk_check_opts
{
  char *const *allow_broken; /* globs (the recipe's allow_broken), or NULL */
  char *const *env;          /* KEY=VALUE (the recipe's env), or NULL */
};

enum mk_check_level
{
  MK_CHECK_WARNING,
  MK_CHECK_PROBLEM, /* fails the build */
};

struct mk_check_item
{
  enum mk_check_level level;
  char *path;       /* the broken file or symlink ("/usr/bin/grep") */
  char *missing;    /* what it misses: a soname, a path, a locale name */
  char *reason;     /* "needs libpcre2-8.so.0 (DT_NEEDED), not in the
                       image (pruned)" */
  char *allowed_by; /* the allow_broken glob that made a problem a
                       warning, or NULL */
};

struct mk_check_report
{
  struct mk_check_item *items; /* sorted by path */
  size_t n;
  size_t n_problems, n_warnings;
  size_t n_elf, n_scripts, n_links; /* what was looked at */
};

/* Check the image the manifest describes (entries neither removed nor
 * %ghost), reading file heads through rootfd.  Problems and warnings go
 * into *out; the return value is <0 only when the check itself could not
 * run (an unreadable staging file). */
int mk_check_image (struct mk_tree *t, int rootfd,
                    const struct mk_check_opts *o,
                    struct mk_check_report **out, mk_error_t *err);
void mk_check_report_free (struct mk_check_report *r);
static inline void
cleanup_check_reportp (struct mk_check_report **r)
{
  mk_check_report_free (*r);
}
#define cleanup_check_report __attribute__ ((cleanup (cleanup_check_reportp)))

/* Print the warnings (mk_warn; the first 20 unless -v) and then every
 * problem, one line each: "mkbase: check: PATH: REASON". */
void mk_check_report_print (const struct mk_check_report *r);

/* en_US.UTF-8 -> en_US.utf8, de_DE.ISO-8859-1@euro -> de_DE.iso88591@euro:
 * glibc's normalised codeset, the name of the directory in
 * /usr/lib/locale. */
char *mk_check_locale_normalize (const char *name);

#endif
