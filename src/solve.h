/* solve.h: repositories in, an ordered list of packages out (libsolv). */
#ifndef MK_SOLVE_H
#define MK_SOLVE_H

#include <stdint.h>

#include "error.h"
#include "recipe.h"

struct mk_pkg
{
  char *name;
  char *evr;       /* [epoch:]version-release */
  char *arch;
  char *nevra;     /* name-[epoch:]version-release.arch */
  char *repo_id;
  char *location;  /* relative to the repo's baseurl, as the metadata says */
  char *path;      /* the .rpm file on disk (for a remote repo: once
                    * fetched) */
  uint64_t download_size;
  uint64_t install_size;
  char *checksum_type; /* "sha256", ... or NULL when the repo states none */
  char *checksum;      /* hex */
};

struct mk_pkglist
{
  struct mk_pkg *pkgs; /* in install order */
  size_t n;
};

/* Load the recipe's repositories, solve the install job and order the
 * transaction.  Unsolvable jobs and unknown packages fail with
 * MK_EXIT_SOLVE and libsolv's problem text. */
int mk_solve (const struct mk_recipe *r, struct mk_pkglist **out,
              mk_error_t *err);
void mk_pkglist_free (struct mk_pkglist *l);
static inline void
cleanup_pkglistp (struct mk_pkglist **l)
{
  mk_pkglist_free (*l);
}
#define cleanup_pkglist __attribute__ ((cleanup (cleanup_pkglistp)))

/* The local directory a repo's baseurl names (expanded, file:// stripped,
 * made relative to the recipe's directory).  Errors for remote URLs. */
int mk_repo_local_dir (const struct mk_recipe *r,
                       const struct mk_repo_conf *repo, char **out,
                       mk_error_t *err);

#endif
