/* solve.c: everything that touches libsolv.  Loads rpm-md repositories
 * (repomd.xml -> primary + filelists, each checked against the checksum
 * repomd.xml states before libsolv parses it) and plain directories of .rpm
 * files, applies excludes and repo priorities, solves the install job and
 * orders the transaction.  The sequence follows libsolv's examples/solv:
 * pool_setarch -> repos -> addfileprovides -> createwhatprovides -> job ->
 * solver_solve -> problems or transaction_order. */
#define _GNU_SOURCE
#include "solve.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <solv/bitmap.h>
#include <solv/chksum.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repo_repomdxml.h>
#include <solv/repo_rpmdb.h>
#include <solv/repo_rpmmd.h>
#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#include <solv/selection.h>
#include <solv/solv_xfopen.h>
#include <solv/solver.h>
#include <solv/solverdebug.h>
#include <solv/solvversion.h>
#include <solv/transaction.h>

#include "digest.h"
#include "util.h"

#define MAX_REPO_RPMS 100000

/* Per-repo data libsolv does not keep for us. */
struct repo_info
{
  const struct mk_repo_conf *conf;
  char *dir;
  Id start;     /* plain dirs: solvable id of paths[0] */
  char **paths; /* plain dirs: file of each solvable, by id - start */
  size_t n_paths;
};

struct solve_ctx
{
  const struct mk_recipe *recipe;
  Pool *pool;
  struct repo_info *repos;
  size_t n_repos;
  Map considered;
  bool have_considered;
};

static void
solve_ctx_free (struct solve_ctx *c)
{
  for (size_t i = 0; i < c->n_repos; i++)
    {
      free (c->repos[i].dir);
      for (size_t j = 0; j < c->repos[i].n_paths; j++)
        free (c->repos[i].paths[j]);
      free (c->repos[i].paths);
    }
  free (c->repos);
  if (c->pool)
    {
      c->pool->considered = NULL;
      pool_free (c->pool);
    }
  if (c->have_considered)
    map_free (&c->considered);
}

/* ---- rpm-md ------------------------------------------------------------- */

/* Find the file of type `what` in the repomd data libsolv parsed, with the
 * checksum repomd.xml states for it. */
static const char *
repomd_lookup (Repo *repo, const char *what, Id *chk_type,
               const char **chk_hex)
{
  Pool *pool = repo->pool;
  Dataiterator di;
  const char *location = NULL;

  *chk_type = 0;
  *chk_hex = NULL;
  dataiterator_init (&di, pool, repo, SOLVID_META, REPOSITORY_REPOMD_TYPE,
                     what, SEARCH_STRING);
  dataiterator_prepend_keyname (&di, REPOSITORY_REPOMD);
  if (dataiterator_step (&di))
    {
      dataiterator_setpos_parent (&di);
      location = pool_lookup_str (pool, SOLVID_POS, REPOSITORY_REPOMD_LOCATION);
      *chk_hex = pool_lookup_checksum (pool, SOLVID_POS,
                                       REPOSITORY_REPOMD_CHECKSUM, chk_type);
    }
  dataiterator_free (&di);
  return location;
}

static bool
safe_relative (const char *p)
{
  if (p[0] == '/' || strstr (p, "://"))
    return false;
  for (const char *s = p; (s = strstr (s, "..")) != NULL; s += 2)
    if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
      return false;
  return true;
}

/* Verify a metadata file against repomd.xml, then let libsolv parse it. */
static int
load_md_file (struct repo_info *ri, Repo *repo, const char *what, int flags,
              bool required, mk_error_t *err)
{
  Id type;
  const char *want, *loc = repomd_lookup (repo, what, &type, &want);
  cleanup_free char *path = NULL;
  cleanup_free char *loc_copy = NULL;
  cleanup_free char *want_copy = NULL;
  cleanup_free char *got = NULL;
  FILE *fp;
  int r;

  if (loc == NULL)
    return required ? mk_make_error (err, 0, "repo `%s`: repomd.xml lists no "
                                             "%s metadata", ri->conf->id, what)
                    : 0;
  loc_copy = xstrdup (loc);
  want_copy = want ? xstrdup (want) : NULL;
  if (!safe_relative (loc_copy))
    return mk_make_error (err, 0, "repo `%s`: refusing %s location `%s`",
                          ri->conf->id, what, loc_copy);
  if (want_copy == NULL)
    return mk_make_error (err, 0, "repo `%s`: repomd.xml states no checksum "
                                  "for %s", ri->conf->id, what);
  path = xasprintf ("%s/%s", ri->dir, loc_copy);
  if (mk_digest_path (path, solv_chksum_type2str (type), &got, err) < 0)
    return mk_error_wrap (err, "repo `%s`", ri->conf->id);
  if (strcmp (got, want_copy) != 0)
    return mk_make_error (err, 0, "repo `%s`: %s: checksum mismatch (repomd.xml "
                                  "states %s, the file has %s)",
                          ri->conf->id, loc_copy, want_copy, got);
  fp = solv_xfopen (path, "r");
  if (fp == NULL)
    return mk_make_error (err, errno, "repo `%s`: open `%s`", ri->conf->id,
                          path);
  r = repo_add_rpmmd (repo, fp, NULL, flags);
  fclose (fp);
  if (r != 0)
    return mk_make_error (err, 0, "repo `%s`: %s: %s", ri->conf->id, loc_copy,
                          pool_errstr (repo->pool));
  return 0;
}

static int
load_rpmmd (struct repo_info *ri, Repo *repo, const char *repomd,
            mk_error_t *err)
{
  FILE *fp = fopen (repomd, "re");
  int r;
  if (fp == NULL)
    return mk_make_error (err, errno, "repo `%s`: open `%s`", ri->conf->id,
                          repomd);
  r = repo_add_repomdxml (repo, fp, 0);
  fclose (fp);
  if (r != 0)
    return mk_make_error (err, 0, "repo `%s`: %s: %s", ri->conf->id, repomd,
                          pool_errstr (repo->pool));
  if (load_md_file (ri, repo, "primary", 0, true, err) < 0)
    return -1;
  /* filelists answers file dependencies beyond primary's /etc and bin
   * subset (e.g. packages = /usr/libexec/foo). */
  return load_md_file (ri, repo, "filelists", REPO_EXTEND_SOLVABLES, false,
                       err);
}

int
mk_repomd_revision (const char *repomd, uint64_t *revision, mk_error_t *err)
{
  Pool *pool = pool_create ();
  Repo *repo = repo_create (pool, "repomd");
  FILE *fp = fopen (repomd, "re");
  const char *rev;
  int r = -1;

  *revision = 0;
  if (fp == NULL)
    mk_make_error (err, errno, "open `%s`", repomd);
  else if (repo_add_repomdxml (repo, fp, 0) != 0)
    mk_make_error (err, 0, "%s: %s", repomd, pool_errstr (pool));
  else
    {
      /* createrepo_c writes the generation time as the revision; fall back
       * on the newest <timestamp> of the files when it is not a number. */
      rev = repo_lookup_str (repo, SOLVID_META, REPOSITORY_REVISION);
      if (rev && *rev && strspn (rev, "0123456789") == strlen (rev))
        *revision = strtoull (rev, NULL, 10);
      else
        *revision = repo_lookup_num (repo, SOLVID_META,
                                     REPOSITORY_TIMESTAMP, 0);
      r = 0;
    }
  if (fp)
    fclose (fp);
  pool_free (pool);
  return r;
}

void
mk_md_file_clear (struct mk_md_file *f)
{
  free (f->location);
  free (f->checksum_type);
  free (f->checksum);
  memset (f, 0, sizeof *f);
}

int
mk_repomd_lookup (const char *repomd, const char *type, struct mk_md_file *out,
                  bool *found, mk_error_t *err)
{
  Pool *pool = pool_create ();
  Repo *repo = repo_create (pool, "repomd");
  FILE *fp = fopen (repomd, "re");
  const char *loc, *hex;
  Id chk = 0;
  int r = -1;

  *found = false;
  if (fp == NULL)
    {
      mk_make_error (err, errno, "open `%s`", repomd);
      goto done;
    }
  if (repo_add_repomdxml (repo, fp, 0) != 0)
    {
      mk_make_error (err, 0, "%s: %s", repomd, pool_errstr (pool));
      goto done;
    }
  loc = repomd_lookup (repo, type, &chk, &hex);
  r = 0;
  if (loc == NULL)
    goto done;
  if (!safe_relative (loc) || hex == NULL)
    {
      r = mk_make_error (err, 0, "%s: unusable %s entry (`%s`)", repomd, type,
                         loc);
      goto done;
    }
  out->location = xstrdup (loc);
  out->checksum_type = xstrdup (solv_chksum_type2str (chk));
  out->checksum = xstrdup (hex);
  {
    /* repomd_lookup left the position on the matching entry. */
    Dataiterator di;
    dataiterator_init (&di, pool, repo, SOLVID_META, REPOSITORY_REPOMD_TYPE,
                       type, SEARCH_STRING);
    dataiterator_prepend_keyname (&di, REPOSITORY_REPOMD);
    if (dataiterator_step (&di))
      {
        dataiterator_setpos_parent (&di);
        out->size = pool_lookup_num (pool, SOLVID_POS, REPOSITORY_REPOMD_SIZE,
                                     0);
      }
    dataiterator_free (&di);
  }
  *found = true;
done:
  if (fp)
    fclose (fp);
  pool_free (pool);
  return r;
}

/* ---- the parsed-metadata cache ------------------------------------------ */

/* Parsing primary and filelists is most of a resolve; libsolv's own
 * format (repo_write / repo_add_solv) loads the same repository in a
 * fraction of that.  The key names exactly what was parsed: repomd.xml's
 * bytes (which state primary's and filelists' checksums), libsolv's
 * version (the format) and how we load (bump MK_SOLV_LOADER when
 * load_rpmmd changes).  repo.c keeps the file and checks it is ours and
 * intact; libsolv then rejects what it cannot read, and we parse the XML
 * as if there were no cache. */
#define MK_SOLV_LOADER "rpmmd primary+filelists 1"
#define MAX_REPOMD_BYTES (16u << 20)

static char *
solv_cache_key (const char *repomd)
{
  cleanup_free char *buf = NULL;
  mk_error_t e = NULL;
  struct mk_digest *d;
  size_t len;

  if (mk_read_file_at (AT_FDCWD, repomd, MAX_REPOMD_BYTES, &buf, &len, &e)
      < 0)
    {
      mk_error_release (&e); /* load_rpmmd reports it */
      return NULL;
    }
  d = mk_digest_new ("sha256");
  mk_digest_add (d, MK_SOLV_LOADER, sizeof MK_SOLV_LOADER);
  mk_digest_add (d, solv_version, strlen (solv_version) + 1);
  mk_digest_add (d, buf, len);
  return mk_digest_finish (d);
}

static bool
load_cached (const struct mk_repo *rp, Repo *repo, const char *key)
{
  cleanup_free char *data = NULL;
  size_t len = 0;
  FILE *fp;
  int r;

  if (mk_repo_solv_read (rp, key, &data, &len) <= 0)
    return false;
  fp = fmemopen (data, len, "r");
  if (fp == NULL)
    return false;
  r = repo_add_solv (repo, fp, 0);
  fclose (fp);
  if (r != 0)
    mk_debug ("repo %s: metadata cache `%s` ignored: %s", rp->conf->id,
              rp->solv_path, pool_errstr (repo->pool));
  else
    mk_debug ("repo %s: metadata from the cache `%s`", rp->conf->id,
              rp->solv_path);
  return r == 0;
}

static void
save_cached (const struct mk_repo *rp, Repo *repo, const char *key)
{
  char *data = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&data, &len);

  if (fp == NULL)
    return;
  if (repo_write (repo, fp) == 0 && fflush (fp) == 0 && !ferror (fp))
    {
      fclose (fp);
      mk_repo_solv_write (rp, key, data, len);
    }
  else
    {
      fclose (fp);
      mk_debug ("repo %s: metadata cache not written: %s", rp->conf->id,
                pool_errstr (repo->pool));
    }
  free (data);
}

/* ---- plain directories of .rpm files ------------------------------------ */

static int
compare_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
collect_rpms (const char *dir, int depth, char ***out, mk_error_t *err)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  if (d == NULL)
    return mk_make_error (err, errno, "open `%s`", dir);
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      cleanup_free char *p = NULL;
      struct stat st;
      if (de->d_name[0] == '.')
        continue;
      p = xasprintf ("%s/%s", dir, de->d_name);
      if (stat (p, &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode) && depth < 2)
        {
          if (collect_rpms (p, depth + 1, out, err) < 0)
            return -1;
        }
      else if (S_ISREG (st.st_mode) && mk_str_has_suffix (de->d_name, ".rpm"))
        {
          if (mk_strv_len (*out) >= MAX_REPO_RPMS)
            return mk_make_error (err, 0, "`%s`: more than %d .rpm files",
                                  dir, MAX_REPO_RPMS);
          mk_strv_push (out, steal_pointer (&p));
        }
    }
  if (errno)
    return mk_make_error (err, errno, "read `%s`", dir);
  return 0;
}

static int
load_plain (struct repo_info *ri, Repo *repo, mk_error_t *err)
{
  cleanup_strv char **files = NULL;
  Repodata *data;
  size_t n;

  if (collect_rpms (ri->dir, 0, &files, err) < 0)
    return mk_error_wrap (err, "repo `%s`", ri->conf->id);
  n = mk_strv_len (files);
  if (n == 0)
    return mk_make_error (err, 0, "repo `%s`: `%s` has neither "
                                  "repodata/repomd.xml nor .rpm files",
                          ri->conf->id, ri->dir);
  qsort (files, n, sizeof (char *), compare_str);
  data = repo_add_repodata (repo, 0);
  ri->paths = xcalloc (n, sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      Id p = repo_add_rpm (repo, files[i],
                           REPO_REUSE_REPODATA | REPO_NO_INTERNALIZE
                               | RPM_ADD_WITH_SHA256SUM | RPM_ADD_WITH_PKGID);
      if (p == 0)
        return mk_make_error (err, 0, "repo `%s`: %s", ri->conf->id,
                              pool_errstr (repo->pool));
      if (ri->n_paths == 0)
        ri->start = p;
      if (p != ri->start + (Id) ri->n_paths)
        return mk_make_error (err, 0, "repo `%s`: unexpected solvable order",
                              ri->conf->id);
      ri->paths[ri->n_paths++] = steal_pointer (&files[i]);
    }
  (void) data;
  repo_internalize (repo);
  return 0;
}

static Repo *
new_repo (struct solve_ctx *c, const struct mk_repo *rp, struct repo_info *ri)
{
  Repo *repo = repo_create (c->pool, rp->conf->id);
  repo->appdata = ri;
  /* dnf: lower priority number wins; libsolv: higher priority wins. */
  repo->priority = -rp->conf->priority;
  return repo;
}

/* rpm-md metadata: from the cache when it holds this repomd.xml's, else
 * parsed (and cached). */
static int
load_rpmmd_cached (struct solve_ctx *c, const struct mk_repo *rp,
                   struct repo_info *ri, Repo **repop, const char *repomd,
                   mk_error_t *err)
{
  cleanup_free char *key = rp->solv_path ? solv_cache_key (repomd) : NULL;

  if (key && load_cached (rp, *repop, key))
    return 0;
  if (key)
    {
      /* A cache file libsolv refused may have left something behind:
       * parse into a new, empty repository. */
      repo_free (*repop, 1);
      *repop = new_repo (c, rp, ri);
    }
  if (load_rpmmd (ri, *repop, repomd, err) < 0)
    return -1;
  if (key)
    save_cached (rp, *repop, key);
  return 0;
}

static int
load_repos (struct solve_ctx *c, const struct mk_repos *repos,
            mk_error_t *err)
{
  c->repos = xcalloc (repos->n, sizeof *c->repos);
  for (size_t i = 0; i < repos->n; i++)
    {
      const struct mk_repo *rp = &repos->v[i];
      struct repo_info *ri = &c->repos[c->n_repos++];
      cleanup_free char *repomd = NULL;
      Repo *repo;

      ri->conf = rp->conf;
      ri->dir = xstrdup (rp->dir);
      repo = new_repo (c, rp, ri);
      repomd = xasprintf ("%s/repodata/repomd.xml", ri->dir);
      if (access (repomd, F_OK) == 0
              ? load_rpmmd_cached (c, rp, ri, &repo, repomd, err) < 0
              : load_plain (ri, repo, err) < 0)
        return -1;
      mk_debug ("repo %s: %d packages from %s", rp->conf->id,
                repo->nsolvables, ri->dir);
    }
  if (c->n_repos == 0)
    return mk_make_error_code (err, MK_EXIT_RECIPE, 0,
                               "%s: every repository is disabled",
                               c->recipe->path);
  return 0;
}

/* ---- the job ------------------------------------------------------------ */

static void
apply_excludes (struct solve_ctx *c)
{
  Pool *pool = c->pool;
  char **ex = c->recipe->excludes;
  if (ex == NULL)
    return;
  map_init (&c->considered, pool->nsolvables);
  map_setall (&c->considered);
  c->have_considered = true;
  for (size_t i = 0; ex[i]; i++)
    {
      Queue sel, pkgs;
      queue_init (&sel);
      queue_init (&pkgs);
      selection_make (pool, &sel, ex[i],
                      SELECTION_NAME | SELECTION_GLOB | SELECTION_DOTARCH);
      selection_solvables (pool, &sel, &pkgs);
      if (pkgs.count == 0)
        mk_warn ("%s: exclude `%s` matches no package", c->recipe->path,
                 ex[i]);
      for (int j = 0; j < pkgs.count; j++)
        MAPCLR (&c->considered, pkgs.elements[j]);
      queue_free (&sel);
      queue_free (&pkgs);
    }
  pool->considered = &c->considered;
}

/* For a bare word that is no package: the packages that ship it as a
 * command, "; /usr/bin/find is in findutils", or "" (a new string).
 * supermin's and users' package lines name commands (`find`, `more`),
 * and the fix should be one edit. */
static char *
command_hint (Pool *pool, const char *word)
{
  static const char *const dirs[] = { "/usr/bin", "/usr/sbin", "/bin",
                                      "/sbin" };
  if (strpbrk (word, "/*?[<>= "))
    return xstrdup ("");
  for (size_t d = 0; d < ARRAY_SIZE (dirs); d++)
    {
      cleanup_free char *path = xasprintf ("%s/%s", dirs[d], word);
      cleanup_strv char **names = NULL;
      Queue sel, pkgs;
      queue_init (&sel);
      queue_init (&pkgs);
      selection_make (pool, &sel, path, SELECTION_FILELIST);
      selection_solvables (pool, &sel, &pkgs);
      for (int i = 0; i < pkgs.count; i++)
        {
          Solvable *sv = pool->solvables + pkgs.elements[i];
          const char *n = pool_id2str (pool, sv->name);
          if (!mk_strv_contains (names, n))
            mk_strv_push (&names, xstrdup (n));
        }
      queue_free (&sel);
      queue_free (&pkgs);
      if (names)
        {
          cleanup_free char *list = mk_strv_join (names, ", ");
          return xasprintf ("; %s is in %s (name the package, or the path)",
                            path, list);
        }
    }
  return xstrdup ("");
}

/* The base image's packages (docs/layers.md) are in the job exactly as
 * they are installed there: the solver keeps them and satisfies the new
 * packages' needs with them first, as dnf does with an installed system it
 * is not asked to upgrade.  One that the repositories no longer have, or
 * that a new package needs in another version, makes the job unsolvable
 * with libsolv's own words. */
static int
pin_installed (struct solve_ctx *c, Queue *job, mk_error_t *err)
{
  const struct mk_recipe *r = c->recipe;
  for (size_t i = 0; r->installed && r->installed[i]; i++)
    {
      Queue sel;
      queue_init (&sel);
      selection_make (c->pool, &sel, r->installed[i], SELECTION_CANON);
      if (sel.count == 0)
        {
          queue_free (&sel);
          return mk_make_error_code (err, MK_EXIT_SOLVE, 0,
                                     "%s:%d: %s of the base image is not in "
                                     "the enabled repositories (or it is "
                                     "excluded)", r->path, r->base_line,
                                     r->installed[i]);
        }
      for (int j = 0; j < sel.count; j += 2)
        queue_push2 (job, sel.elements[j] | SOLVER_INSTALL,
                     sel.elements[j + 1]);
      queue_free (&sel);
    }
  return 0;
}

static const char *
target_arch (const struct mk_recipe *r)
{
  return r->arch ? r->arch : mk_host_arch ();
}

/* The architectures the repositories have `name` for, when none of them
 * is installable here: " (the repositories have it for x86_64 only)". */
static char *
arch_hint (Pool *pool, const char *name, const char *target)
{
  cleanup_strv char **arches = NULL;
  cleanup_free char *list = NULL;
  Id id = pool_str2id (pool, name, 0);
  Id p;
  Solvable *s;

  if (id == 0)
    return xstrdup ("");
  FOR_POOL_SOLVABLES (p)
  {
    const char *a;
    s = pool->solvables + p;
    if (s->name != id || s->repo == pool->installed
        || s->arch == ARCH_SRC || s->arch == ARCH_NOSRC)
      continue;
    a = pool_id2str (pool, s->arch);
    if (!mk_strv_contains (arches, a))
      mk_strv_push (&arches, xstrdup (a));
  }
  if (arches == NULL)
    return xstrdup ("");
  list = mk_strv_join (arches, ", ");
  return xasprintf (" for %s (the repositories have it for %s only)", target,
                    list);
}

static int
build_job (struct solve_ctx *c, Queue *job, mk_error_t *err)
{
  const struct mk_recipe *r = c->recipe;
  for (size_t i = 0; i < r->n_packages; i++)
    {
      const char *spec = r->packages[i].value;
      int flags = SELECTION_NAME | SELECTION_PROVIDES | SELECTION_GLOB
                  | SELECTION_DOTARCH | SELECTION_REL;
      Queue sel;
      if (spec[0] == '/')
        flags |= SELECTION_FILELIST;
      queue_init (&sel);
      selection_make (c->pool, &sel, spec, flags);
      if (sel.count == 0)
        {
          cleanup_free char *hint = command_hint (c->pool, spec);
          cleanup_free char *other = arch_hint (c->pool, spec, target_arch (r));
          queue_free (&sel);
          if (*other)
            return mk_make_error_code (err, MK_EXIT_SOLVE, 0,
                                       "%s:%d: no package matches `%s`%s",
                                       r->path, r->packages[i].line, spec,
                                       other);
          if (*hint)
            return mk_make_error_code (err, MK_EXIT_SOLVE, 0,
                                       "%s:%d: `%s` is no package%s",
                                       r->path, r->packages[i].line, spec,
                                       hint);
          return mk_make_error_code (err, MK_EXIT_SOLVE, 0,
                                     "%s:%d: no package matches `%s`%s",
                                     r->path, r->packages[i].line, spec,
                                     c->recipe->excludes ? " (or it is "
                                     "excluded)" : "");
        }
      for (int j = 0; j < sel.count; j += 2)
        queue_push2 (job, sel.elements[j] | SOLVER_INSTALL,
                     sel.elements[j + 1]);
      queue_free (&sel);
    }
  return pin_installed (c, job, err);
}

static int
report_problems (struct solve_ctx *c, Solver *solv, int count,
                 mk_error_t *err)
{
  char *msg = xasprintf ("%s: cannot resolve the package set:", c->recipe->path);
  for (Id p = 1; p <= count; p++)
    {
      /* problem2str returns pool temp space: copy at once. */
      char *n = xasprintf ("%s%s problem %d: %s", msg, p > 1 ? ";" : "", p,
                           solver_problem2str (solv, p));
      free (msg);
      msg = n;
    }
  mk_make_error_code (err, MK_EXIT_SOLVE, 0, "%s", msg);
  free (msg);
  return -1;
}

static char *
dup_or_null (const char *s)
{
  return s ? xstrdup (s) : NULL;
}

static void
fill_pkg (struct solve_ctx *c, Id p, struct mk_pkg *pkg)
{
  Pool *pool = c->pool;
  Solvable *s = pool_id2solvable (pool, p);
  struct repo_info *ri = s->repo->appdata;
  Id type = 0;
  const char *hex;

  pkg->name = xstrdup (pool_id2str (pool, s->name));
  pkg->evr = xstrdup (pool_id2str (pool, s->evr));
  pkg->arch = xstrdup (pool_id2str (pool, s->arch));
  pkg->nevra = xstrdup (pool_solvable2str (pool, s));
  pkg->repo_id = xstrdup (ri->conf->id);
  if (ri->paths)
    {
      const char *full = ri->paths[p - ri->start];
      pkg->path = xstrdup (full);
      pkg->location = xstrdup (full + strlen (ri->dir) + 1);
    }
  else
    {
      const char *loc = solvable_lookup_location (s, NULL);
      if (loc && safe_relative (loc))
        {
          pkg->location = xstrdup (loc);
          pkg->path = xasprintf ("%s/%s", ri->dir, loc);
        }
    }
  pkg->download_size = solvable_lookup_num (s, SOLVABLE_DOWNLOADSIZE, 0);
  pkg->install_size = solvable_lookup_num (s, SOLVABLE_INSTALLSIZE, 0);
  pkg->buildtime = (int64_t) solvable_lookup_num (s, SOLVABLE_BUILDTIME, 0);
  hex = solvable_lookup_checksum (s, SOLVABLE_CHECKSUM, &type);
  pkg->checksum = dup_or_null (hex);
  pkg->checksum_type = type ? xstrdup (solv_chksum_type2str (type)) : NULL;
}

static int
make_pkglist (struct solve_ctx *c, Solver *solv, struct mk_pkglist **out,
              mk_error_t *err)
{
  Transaction *trans = solver_create_transaction (solv);
  struct mk_pkglist *l = xcalloc (1, sizeof *l);

  transaction_order (trans, 0);
  l->pkgs = xcalloc ((size_t) trans->steps.count, sizeof *l->pkgs);
  for (int i = 0; i < trans->steps.count; i++)
    {
      Id p = trans->steps.elements[i];
      struct mk_pkg *pkg = &l->pkgs[l->n++];
      fill_pkg (c, p, pkg);
      if (pkg->path == NULL)
        {
          transaction_free (trans);
          mk_pkglist_free (l);
          return mk_make_error (err, 0, "repo metadata gives no usable "
                                        "location for %s",
                                pool_solvid2str (c->pool, p));
        }
    }
  transaction_free (trans);
  *out = l;
  return 0;
}

/* Repositories that have packages, but none for this architecture (a
 * baseurl without $basearch, an x86_64 mirror in an aarch64 build): say
 * so at once instead of "nothing provides libc.so.6()(64bit)". */
static int
check_arch_present (struct solve_ctx *c, mk_error_t *err)
{
  Pool *pool = c->pool;
  cleanup_strv char **others = NULL;
  cleanup_free char *list = NULL;
  Id p;

  FOR_POOL_SOLVABLES (p)
  {
    Solvable *s = pool->solvables + p;
    const char *a = pool_id2str (pool, s->arch);
    if (s->arch == ARCH_NOARCH || s->arch == ARCH_SRC || s->arch == ARCH_NOSRC)
      continue;
    if (pool_installable (pool, s))
      return 0;
    if (!mk_strv_contains (others, a))
      mk_strv_push (&others, xstrdup (a));
  }
  if (others == NULL)
    return 0;
  list = mk_strv_join (others, ", ");
  return mk_make_error_code (err, MK_EXIT_SOLVE, 0,
                             "%s: no enabled repository has %s packages "
                             "(they have %s; does baseurl need $basearch?)",
                             c->recipe->path, target_arch (c->recipe), list);
}

/* Everything up to a solved job: the pool, the repos, the job, the
 * solver.  On success *solvp is the caller's; job and c are always. */
static int
solve_job (struct solve_ctx *c, const struct mk_repos *repos, Queue *job,
           Solver **solvp, mk_error_t *err)
{
  const struct mk_recipe *r = c->recipe;
  Solver *solv;
  int problems;

  c->pool = pool_create ();
  /* Debian builds libsolv with Debian semantics as the default (version
   * comparison, "all" instead of "noarch"): ask for rpm's explicitly, or
   * every noarch package is uninstallable. */
  if (pool_setdisttype (c->pool, DISTTYPE_RPM) < 0)
    return mk_make_error (err, 0, "this libsolv was built without rpm "
                                  "support");
  pool_setarch (c->pool, r->arch ? r->arch : mk_host_arch ());
  if (c->pool->id2arch == NULL)
    return mk_make_error_code (err, MK_EXIT_RECIPE, 0,
                               "%s: unknown arch `%s`", r->path,
                               r->arch ? r->arch : mk_host_arch ());
  if (load_repos (c, repos, err) < 0 || check_arch_present (c, err) < 0)
    return -1;
  pool_addfileprovides (c->pool);
  pool_createwhatprovides (c->pool);
  apply_excludes (c);
  if (build_job (c, job, err) < 0)
    return -1;
  solv = solver_create (c->pool);
  solver_set_flag (solv, SOLVER_FLAG_IGNORE_RECOMMENDED, !r->weak_deps);
  problems = solver_solve (solv, job);
  if (problems)
    {
      report_problems (c, solv, problems, err);
      solver_free (solv);
      return -1;
    }
  *solvp = solv;
  return 0;
}

int
mk_solve (const struct mk_recipe *r, const struct mk_repos *repos,
          struct mk_pkglist **out, mk_error_t *err)
{
  struct solve_ctx c = { .recipe = r };
  Solver *solv = NULL;
  Queue job;
  int ret;

  queue_init (&job);
  ret = solve_job (&c, repos, &job, &solv, err);
  if (ret == 0)
    ret = make_pkglist (&c, solv, out, err);
  if (solv)
    solver_free (solv);
  queue_free (&job);
  solve_ctx_free (&c);
  return ret;
}

/* ---- mkbase why ---------------------------------------------------------- */

#define WHY_MAX_LINKS 64

/* The installed solvable named `name` (or whose NEVRA is `name`), or 0. */
static Id
find_installed (Pool *pool, const Queue *decided, const char *name)
{
  for (int i = 0; i < decided->count; i++)
    {
      Id p = decided->elements[i];
      Solvable *s;
      if (p <= 0 || p == SYSTEMSOLVABLE)
        continue;
      s = pool_id2solvable (pool, p);
      if (strcmp (pool_id2str (pool, s->name), name) == 0
          || strcmp (pool_solvable2str (pool, s), name) == 0)
        return p;
    }
  return 0;
}

/* The recipe package word whose selection contains p, or NULL. */
static const struct mk_located *
requested_by (struct solve_ctx *c, Id p)
{
  const struct mk_recipe *r = c->recipe;
  for (size_t i = 0; i < r->n_packages; i++)
    {
      const char *spec = r->packages[i].value;
      int flags = SELECTION_NAME | SELECTION_PROVIDES | SELECTION_GLOB
                  | SELECTION_DOTARCH | SELECTION_REL
                  | (spec[0] == '/' ? SELECTION_FILELIST : 0);
      Queue sel, pkgs;
      bool hit = false;
      queue_init (&sel);
      queue_init (&pkgs);
      selection_make (c->pool, &sel, spec, flags);
      selection_solvables (c->pool, &sel, &pkgs);
      for (int j = 0; j < pkgs.count && !hit; j++)
        hit = pkgs.elements[j] == p;
      queue_free (&sel);
      queue_free (&pkgs);
      if (hit)
        return &r->packages[i];
    }
  return NULL;
}

/* Does installed package `from` require something p provides?  *dep is
 * that requirement. */
static bool
requires_provider (Pool *pool, Id from, Id p, Id *dep)
{
  Solvable *s = pool_id2solvable (pool, from);
  Id *reqp, req, pp, q;
  if (!s->requires)
    return false;
  for (reqp = s->repo->idarraydata + s->requires; (req = *reqp) != 0; reqp++)
    {
      if (req == SOLVABLE_PREREQMARKER)
        continue;
      FOR_PROVIDES (q, pp, req)
        if (q == p)
          {
            *dep = req;
            return true;
          }
    }
  return false;
}

/* When the decision's own rule is not a plain requires rule (a learnt or
 * choice rule): the installed package decided earliest that requires
 * something p provides. */
static Id
fallback_source (Solver *solv, Id p, Id *dep)
{
  Queue decided;
  Id found = 0;
  queue_init (&decided);
  solver_get_decisionqueue (solv, &decided);
  for (int i = 0; i < decided.count && !found; i++)
    {
      Id q = decided.elements[i];
      if (q > 0 && q != p && q != SYSTEMSOLVABLE
          && requires_provider (solv->pool, q, p, dep))
        found = q;
    }
  queue_free (&decided);
  return found;
}

/* Why p was installed: the package that pulled it in (*from), through
 * which dependency (*dep) and relation; 0 when a job asked for it. */
static Id
decision_source (Solver *solv, Id p, Id *dep, const char **rel)
{
  Id info = 0, from = 0, to = 0;
  int reason = solver_describe_decision (solv, p, &info);
  SolverRuleinfo type;

  *rel = "requires";
  *dep = 0;
  if (reason == SOLVER_REASON_RESOLVE_JOB)
    return 0;
  if (reason == SOLVER_REASON_WEAKDEP)
    {
      type = solver_weakdepinfo (solv, p, &from, &to, dep);
      if (type == SOLVER_RULE_PKG_RECOMMENDS && from > 0)
        {
          *rel = "recommends";
          return from;
        }
    }
  else if (info > 0)
    {
      type = solver_ruleinfo (solv, info, &from, &to, dep);
      if (type == SOLVER_RULE_PKG_REQUIRES && from > 0 && from != p)
        return from;
    }
  return fallback_source (solv, p, dep);
}

static void
why_push (struct solve_ctx *c, struct mk_why *w, Id p)
{
  struct mk_why_link *l;
  w->links = xreallocarray (w->links, w->n + 1, sizeof *w->links);
  l = &w->links[w->n++];
  memset (l, 0, sizeof *l);
  l->nevra = xstrdup (pool_solvid2str (c->pool, p));
  l->name = xstrdup (pool_id2str (c->pool, pool_id2solvable (c->pool,
                                                             p)->name));
}

/* Follow the decisions from p back to a job. */
static int
why_chain (struct solve_ctx *c, Solver *solv, Id p, struct mk_why *w,
           mk_error_t *err)
{
  Id seen[WHY_MAX_LINKS];
  for (size_t n = 0; n < WHY_MAX_LINKS; n++)
    {
      const struct mk_located *spec;
      const char *rel;
      Id dep, from;
      struct mk_why_link *l;
      for (size_t i = 0; i < n; i++)
        if (seen[i] == p)
          return mk_make_error (err, 0, "why: a dependency loop at %s",
                                pool_solvid2str (c->pool, p));
      seen[n] = p;
      why_push (c, w, p);
      l = &w->links[w->n - 1];
      /* A package the recipe names ends the chain even when libsolv
       * happened to decide it by propagation before the job got to it. */
      spec = requested_by (c, p);
      from = spec ? 0 : decision_source (solv, p, &dep, &rel);
      if (from == 0)
        {
          l->line = spec ? spec->line : 0;
          l->spec = xstrdup (spec ? spec->value : "?");
          return 0;
        }
      l->relation = xstrdup (rel);
      l->dep = xstrdup (pool_dep2str (c->pool, dep));
      p = from;
    }
  return mk_make_error (err, 0, "why: the chain is longer than %d links",
                        WHY_MAX_LINKS);
}

int
mk_solve_why (const struct mk_recipe *r, const struct mk_repos *repos,
              const char *name, struct mk_why **out, mk_error_t *err)
{
  struct solve_ctx c = { .recipe = r };
  struct mk_why *w = xcalloc (1, sizeof *w);
  Solver *solv = NULL;
  Queue job, decided;
  Id p = 0;
  int ret;

  queue_init (&job);
  queue_init (&decided);
  ret = solve_job (&c, repos, &job, &solv, err);
  if (ret == 0)
    {
      solver_get_decisionqueue (solv, &decided);
      p = find_installed (c.pool, &decided, name);
    }
  if (ret == 0 && p == 0)
    ret = mk_make_error (err, 0, "`%s` is not in the package set of %s",
                         name, r->path);
  else if (ret == 0)
    ret = why_chain (&c, solv, p, w, err);
  if (ret == 0)
    *out = steal_pointer (&w);
  mk_why_free (w);
  if (solv)
    solver_free (solv);
  queue_free (&decided);
  queue_free (&job);
  solve_ctx_free (&c);
  return ret;
}

void
mk_why_free (struct mk_why *w)
{
  if (w == NULL)
    return;
  for (size_t i = 0; i < w->n; i++)
    {
      free (w->links[i].nevra);
      free (w->links[i].name);
      free (w->links[i].relation);
      free (w->links[i].dep);
      free (w->links[i].spec);
    }
  free (w->links);
  free (w);
}

void
mk_pkglist_free (struct mk_pkglist *l)
{
  if (l == NULL)
    return;
  mk_pkglist_truncate (l, 0);
  free (l->pkgs);
  free (l);
}

void
mk_pkglist_truncate (struct mk_pkglist *l, size_t n)
{
  for (size_t i = n; i < l->n; i++)
    {
      struct mk_pkg *p = &l->pkgs[i];
      free (p->name);
      free (p->evr);
      free (p->arch);
      free (p->nevra);
      free (p->repo_id);
      free (p->location);
      free (p->path);
      free (p->checksum_type);
      free (p->checksum);
    }
  if (n < l->n)
    l->n = n;
}
