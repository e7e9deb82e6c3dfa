/* repo.h: the recipe's repositories made local: a local directory as it
 * is, a remote one (http/https, baseurl or mirrorlist) mirrored into the
 * cache with verified metadata, plus the signing keys each one trusts. */
#ifndef MK_REPO_H
#define MK_REPO_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "recipe.h"
#include "rpm.h"

struct mk_pkglist;

struct mk_repo_opts
{
  const char *cache; /* --cache; NULL: $MKBASE_CACHE, else the default */
  bool offline;      /* --offline: the cache alone */
};

struct mk_repo
{
  const struct mk_repo_conf *conf;
  char *dir;      /* local directory holding repodata/ (or .rpm files) */
  char **urls;    /* remote base URLs, in the order to try; NULL: local */
  struct mk_rpm_keyring *keyring; /* gpgcheck: the only trusted keys */
  char *solv_path; /* where solve.c keeps the parsed metadata
                    * (<cache>/solv/<id>-<hash>.solv, in a directory only we
                    * can write); NULL when no usable cache */
};

struct mk_repos
{
  struct mk_repo *v; /* the enabled repositories, in recipe order */
  size_t n;
  char *cache;       /* the cache root in use */
};

/* Prepare every enabled repository: resolve local directories, bring
 * remote metadata into the cache (fetching repomd.xml when older than
 * metadata_expire, then what it names, each checked before it is kept),
 * verify repomd.xml.asc when repo_gpgcheck is on, and load gpgkey files
 * or URLs into a keyring per repository. */
int mk_repos_open (const struct mk_recipe *r, const struct mk_repo_opts *o,
                   struct mk_repos **out, mk_error_t *err);
void mk_repos_free (struct mk_repos *rs);
static inline void
cleanup_reposp (struct mk_repos **rs)
{
  mk_repos_free (*rs);
}
#define cleanup_repos __attribute__ ((cleanup (cleanup_reposp)))

/* The local directory a local repo's baseurl names (expanded, file://
 * stripped, relative to the recipe's directory).  Errors for remote URLs. */
int mk_repo_local_dir (const struct mk_recipe *r,
                       const struct mk_repo_conf *repo, char **out,
                       mk_error_t *err);

struct mk_repo *mk_repos_find (const struct mk_repos *rs, const char *id);

/* The parsed-metadata cache (solve.c's libsolv data for rp), one file at
 * rp->solv_path: the data, then a trailer naming the key it was written
 * for and a 64-bit sum of the data.  read: 1 with *data (the caller's) and *len when the
 * file is ours, not writable by others, written for `key` and intact; 0
 * otherwise (what was wrong is said with -v; the next write replaces
 * it).  write: atomically (temporary file, rename); a failure only costs
 * the speed-up, so it is said with -v and not returned. */
int mk_repo_solv_read (const struct mk_repo *rp, const char *key,
                       char **data, size_t *len);
void mk_repo_solv_write (const struct mk_repo *rp, const char *key,
                         const char *data, size_t len);

/* Give every package of a remote repository a local path: verify what the
 * cache holds, download what is missing or bad (in parallel, with retries
 * and resume), each file checked against the size and checksum the
 * metadata states before it is renamed into the cache. */
int mk_repos_fetch (const struct mk_repos *rs, struct mk_pkglist *l,
                    const struct mk_repo_opts *o, mk_error_t *err);

#endif
