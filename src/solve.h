/* solve.h: repositories in, an ordered list of packages out (libsolv). */
#ifndef MK_SOLVE_H
#define MK_SOLVE_H

#include <stdint.h>

#include "error.h"
#include "recipe.h"
#include "repo.h"

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
  int64_t buildtime;   /* as the metadata says (0: not said); the header's
                        * is the one that counts (build.c) */
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
int mk_solve (const struct mk_recipe *r, const struct mk_repos *repos,
              struct mk_pkglist **out, mk_error_t *err);
void mk_pkglist_free (struct mk_pkglist *l);
/* Free the packages from index n on. */
void mk_pkglist_truncate (struct mk_pkglist *l, size_t n);
static inline void
cleanup_pkglistp (struct mk_pkglist **l)
{
  mk_pkglist_free (*l);
}
#define cleanup_pkglist __attribute__ ((cleanup (cleanup_pkglistp)))

/* `mkbase why`: links[0] is the package asked about; each link was
 * pulled in by the next one, which `relation`s (requires, recommends)
 * `dep`.  The last link was asked for by the recipe: `spec` at `line`. */
struct mk_why_link
{
  char *nevra;
  char *name;
  char *relation; /* NULL on the last link */
  char *dep;      /* as libsolv prints it: "libpcre2-8.so.0()(64bit)" */
  char *spec;     /* last link: the recipe's word that selected it */
  int line;       /* last link: its line in the recipe (0: unknown) */
};

struct mk_why
{
  struct mk_why_link *links;
  size_t n;
};

/* Solve the recipe as mk_solve does and explain why package `name` (a
 * name or NEVRA) is in the set, from libsolv's decision reasons. */
int mk_solve_why (const struct mk_recipe *r, const struct mk_repos *repos,
                  const char *name, struct mk_why **out, mk_error_t *err);
void mk_why_free (struct mk_why *w);
static inline void
cleanup_whyp (struct mk_why **w)
{
  mk_why_free (*w);
}
#define cleanup_why __attribute__ ((cleanup (cleanup_whyp)))

/* A metadata file that repomd.xml names. */
struct mk_md_file
{
  char *location;      /* relative to the repo's base URL */
  char *checksum_type; /* "sha256", ... */
  char *checksum;      /* hex */
  uint64_t size;       /* 0 when repomd.xml does not say */
};

/* Read repomd.xml and return the entry of `type` ("primary",
 * "filelists"); *found is false when it has none.  The location is
 * checked to stay inside the repository. */
int mk_repomd_lookup (const char *repomd, const char *type,
                      struct mk_md_file *out, bool *found, mk_error_t *err);
void mk_md_file_clear (struct mk_md_file *f);

/* The repository's revision as repomd.xml states it (a number; 0 when it
 * has none), to refuse a replayed older repomd.xml. */
int mk_repomd_revision (const char *repomd, uint64_t *revision,
                        mk_error_t *err);

#endif
