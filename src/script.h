/* script.h: run the packages' install scriptlets in the staging tree
 * (`scriptlets = run`, docs/scriptlets.md). */
#ifndef MK_SCRIPT_H
#define MK_SCRIPT_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "rpm.h"
#include "tree.h"

/* One package's scriptlets, in install order. */
struct mk_script_pkg
{
  const char *nevra;
  struct mk_rpm_script s[MK_RPM_N_SCRIPTS];
  bool has[MK_RPM_N_SCRIPTS];
};

struct mk_script_opts
{
  const char *root;   /* the staging directory, as a path for the runner */
  int timeout;        /* seconds per scriptlet */
};

/* Run every scriptlet in rpm's order (all %pretrans, then %pre and %post
 * package by package, then all %posttrans) through `mkbase run` with no
 * network, then bring the manifest up to date with what the scripts
 * changed on disk.  A failing %pretrans or %pre fails (as in rpm); a
 * failing %post or %posttrans is a warning.  *report is the text of
 * <stem>.scripts (what ran, exit statuses, output, what was skipped),
 * for the caller to write with the image. */
int mk_script_run_all (struct mk_tree *t, int rootfd,
                       const struct mk_script_pkg *pkgs, size_t n,
                       const struct mk_script_opts *o, char **report,
                       mk_error_t *err);

/* The runner: $MKBASE_RUNNER, else `mkbase` next to this executable, else
 * the installed one. */
char *mk_script_runner_path (void);

#endif
