/* lock.c: recipe.lock, the exact package set of a recipe, so that a CI
 * build installs the same RPMs next month as today even after the
 * repositories moved on.  A lock is line-based text (one package a line,
 * in install order) so that a change shows as a readable diff in review;
 * docs/reproducible.md describes the format.
 *
 * A lock records the recipe lines that determine resolution next to their
 * sha256: a build checks the digest first, and when the recipe changed the
 * recorded lines let the error say what changed ("packages added: vim")
 * instead of only that something did.  Reading a lock never touches the
 * solver: the packages are taken as written, and build.c's checks (the
 * file's sha256 against the lock, the header's NEVRA against the lock) do
 * the rest.  libc only. */
#define _GNU_SOURCE
#include "lock.h"

#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>

#include "build.h"
#include "digest.h"
#include "repo.h"
#include "util.h"

#define LOCK_VERSION "1"
#define MAX_LOCK_BYTES (64u << 20)

char *
mk_lock_path (const struct mk_recipe *r, const char *override)
{
  size_t n = strlen (r->path);
  if (override)
    return xstrdup (override);
  if (r->lock)
    return r->lock[0] == '/' ? xstrdup (r->lock)
                             : xasprintf ("%s/%s", r->dir, r->lock);
  if (mk_str_has_suffix (r->path, ".conf"))
    n -= strlen (".conf");
  return xasprintf ("%.*s.lock", (int) n, r->path);
}

static void
push_sorted (char ***lines, const char *key, char **v, size_t n)
{
  cleanup_strv char **tmp = NULL;
  for (size_t i = 0; i < n; i++)
    mk_strv_push (&tmp, xasprintf ("%s %s", key, v[i]));
  if (tmp)
    qsort (tmp, n, sizeof (char *), mk_compare_strs);
  for (size_t i = 0; i < n; i++)
    mk_strv_push (lines, steal_pointer (&tmp[i]));
}

char **
mk_lock_recipe_lines (const struct mk_recipe *r)
{
  char **lines = NULL;
  cleanup_free char **specs = xcalloc (r->n_packages + 1, sizeof (char *));
  cleanup_strv char **repos = NULL;

  if (mk_strv_len (r->arches) > 1)
    {
      cleanup_free char *all = mk_strv_join (r->arches, " ");
      mk_strv_push (&lines, xasprintf ("arch %s", all));
    }
  else
    mk_strv_push (&lines, xasprintf ("arch %s",
                                     r->arch ? r->arch : mk_host_arch ()));
  mk_strv_push (&lines, r->releasever && *r->releasever
                            ? xasprintf ("releasever %s", r->releasever)
                            : xstrdup ("releasever"));
  mk_strv_push (&lines, xasprintf ("weak_deps %s",
                                   r->weak_deps ? "true" : "false"));
  for (size_t i = 0; i < r->n_packages; i++)
    specs[i] = r->packages[i].value;
  push_sorted (&lines, "request", specs, r->n_packages);
  push_sorted (&lines, "exclude", r->excludes, mk_strv_len (r->excludes));
  for (size_t i = 0; i < r->n_repos; i++)
    mk_strv_push (&repos, xasprintf ("%s priority=%d enabled=%s baseurl=%s",
                                     r->repos[i].id, r->repos[i].priority,
                                     r->repos[i].enabled ? "true" : "false",
                                     r->repos[i].baseurl));
  push_sorted (&lines, "repo", repos, r->n_repos);
  return lines;
}

static char *
lines_digest (char *const *lines)
{
  struct mk_digest *d = mk_digest_new ("sha256");
  for (size_t i = 0; lines && lines[i]; i++)
    {
      mk_digest_add (d, lines[i], strlen (lines[i]));
      mk_digest_add (d, "\n", 1);
    }
  return mk_digest_finish (d);
}

char *
mk_lock_recipe_digest (const struct mk_recipe *r)
{
  cleanup_strv char **lines = mk_lock_recipe_lines (r);
  return lines_digest (lines);
}

/* ---- writing ------------------------------------------------------------ */

/* Locations are one field: escape what would split or hide it. */
static char *
escape_field (const char *s)
{
  char *out = xmalloc (strlen (s) * 3 + 1), *o = out;
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    if (*p <= 0x20 || *p >= 0x7f || *p == '%')
      o += sprintf (o, "%%%02X", *p);
    else
      *o++ = (char) *p;
  *o = '\0';
  return out;
}

static int
package_sha256 (const struct mk_pkg *p, char **out, mk_error_t *err)
{
  if (p->checksum && p->checksum_type
      && strcmp (p->checksum_type, "sha256") == 0)
    {
      *out = xstrdup (p->checksum);
      return 0;
    }
  if (p->path == NULL)
    return mk_make_error (err, 0, "%s: repo `%s` states no sha256 for it and "
                                  "it is not local: cannot lock it",
                          p->nevra, p->repo_id);
  return mk_digest_path (p->path, "sha256", out, err);
}

static int
package_lines (FILE *f, const struct mk_pkglist *l, mk_error_t *err)
{
  for (size_t i = 0; i < l->n; i++)
    {
      const struct mk_pkg *p = &l->pkgs[i];
      cleanup_free char *sha = NULL;
      cleanup_free char *loc = escape_field (p->location ? p->location : "");
      if (package_sha256 (p, &sha, err) < 0)
        return -1;
      fprintf (f, "package %s %s %s %s %s %" PRIu64 " sha256:%s\n", p->name,
               p->evr, p->arch, p->repo_id, loc, p->download_size, sha);
    }
  return 0;
}

/* One list per r->arches entry (in order) for a multi-arch recipe, each
 * after a `platform ARCH` line; else the one list alone. */
static int
lock_text (const struct mk_recipe *r, const struct mk_pkglist *const *l,
           char **out, mk_error_t *err)
{
  cleanup_strv char **lines = mk_lock_recipe_lines (r);
  cleanup_free char *digest = lines_digest (lines);
  cleanup_free char *text = NULL;
  size_t len = 0;
  bool multi = mk_strv_len (r->arches) > 1;
  FILE *f = open_memstream (&text, &len);

  if (f == NULL)
    return mk_make_error (err, errno, "open_memstream");
  fprintf (f, "# mkbase lock file for %s: the exact package set, in install "
              "order.\n# Written by `mkbase lock`; `mkbase build --locked` "
              "installs exactly these.\n", r->path);
  fprintf (f, "lock-version %s\nrecipe-digest sha256:%s\n", LOCK_VERSION,
           digest);
  for (size_t i = 0; lines[i]; i++)
    fprintf (f, "%s\n", lines[i]);
  fputs ("\n# package NAME EVR ARCH REPO LOCATION SIZE SHA256\n", f);
  for (size_t k = 0; k < (multi ? mk_strv_len (r->arches) : 1); k++)
    {
      if (multi)
        fprintf (f, "%splatform %s\n", k ? "\n" : "", r->arches[k]);
      if (package_lines (f, l[k], err) < 0)
        {
          fclose (f);
          return -1;
        }
    }
  if (fclose (f) != 0)
    return mk_make_error (err, errno, "lock: write");
  *out = steal_pointer (&text);
  return 0;
}

int
mk_lock_write (const struct mk_recipe *r, const struct mk_pkglist *const *l,
               const char *path, mk_error_t *err)
{
  cleanup_free char *text = NULL;

  if (lock_text (r, l, &text, err) < 0)
    return -1;
  return mk_write_file_atomic (path, text, strlen (text), err);
}

/* ---- reading ------------------------------------------------------------ */

struct lock_file
{
  const char *path;
  int line;
  char *digest;         /* recipe-digest, hex */
  char **recipe_lines;  /* as recorded */
  struct mk_pkglist *pkgs;
  const char *want;     /* the platform whose packages are kept */
  bool sections;        /* a `platform` line was seen */
  bool in_want;         /* in that platform's section */
  bool found;           /* its section was seen */
};

static int
lock_error (struct lock_file *lf, mk_error_t *err, const char *what)
{
  return mk_make_error_code (err, MK_EXIT_RECIPE, 0, "%s:%d: %s", lf->path,
                             lf->line, what);
}

static int
unescape_field (const char *s, char **out)
{
  char *o = *out = xmalloc (strlen (s) + 1);
  for (const char *p = s; *p; p++)
    {
      unsigned v;
      if (*p != '%')
        {
          *o++ = *p;
          continue;
        }
      if (!isxdigit ((unsigned char) p[1]) || !isxdigit ((unsigned char) p[2])
          || sscanf (p + 1, "%2x", &v) != 1 || v == 0)
        return -1;
      *o++ = (char) v;
      p += 2;
    }
  *o = '\0';
  return 0;
}

static bool
is_sha256_hex (const char *s)
{
  size_t n = strspn (s, "0123456789abcdef");
  return n == 64 && s[n] == '\0';
}

/* package NAME EVR ARCH REPO LOCATION SIZE sha256:HEX */
static int
parse_package (struct lock_file *lf, char *rest, mk_error_t *err)
{
  char *f[7], *save = NULL, *end;
  size_t n = 0;
  struct mk_pkglist *l = lf->pkgs;
  struct mk_pkg *p;
  unsigned long long size;

  for (char *w = strtok_r (rest, " ", &save); w; w = strtok_r (NULL, " ", &save))
    {
      if (n == 7)
        return lock_error (lf, err, "package: too many fields");
      f[n++] = w;
    }
  if (n != 7)
    return lock_error (lf, err, "package: expected NAME EVR ARCH REPO "
                                "LOCATION SIZE sha256:HEX");
  errno = 0;
  size = strtoull (f[5], &end, 10);
  if (errno || *end || !mk_str_has_prefix (f[6], "sha256:")
      || !is_sha256_hex (f[6] + 7))
    return lock_error (lf, err, "package: bad SIZE or sha256:HEX");
  l->pkgs = xreallocarray (l->pkgs, l->n + 1, sizeof *l->pkgs);
  p = memset (&l->pkgs[l->n++], 0, sizeof *p);
  if (unescape_field (f[4], &p->location) < 0 || p->location[0] == '/'
      || strstr (p->location, "..") || p->location[0] == '\0')
    return lock_error (lf, err, "package: bad LOCATION");
  p->name = xstrdup (f[0]);
  p->evr = xstrdup (f[1]);
  p->arch = xstrdup (f[2]);
  p->nevra = xasprintf ("%s-%s.%s", f[0], f[1], f[2]);
  p->repo_id = xstrdup (f[3]);
  p->download_size = size;
  p->checksum_type = xstrdup ("sha256");
  p->checksum = xstrdup (f[6] + 7);
  return 0;
}

static int
parse_line (struct lock_file *lf, char *line, bool *versioned,
            mk_error_t *err)
{
  char *sp = strchr (line, ' ');
  const char *key = line;
  char *rest = sp ? sp + 1 : line + strlen (line);
  static const char *recipe_keys[] = { "arch", "releasever", "weak_deps",
                                       "request", "exclude", "repo" };
  if (sp)
    *sp = '\0';
  if (!*versioned)
    {
      if (strcmp (key, "lock-version") != 0)
        return lock_error (lf, err, "not an mkbase lock file (expected "
                                    "`lock-version " LOCK_VERSION "` first)");
      if (strcmp (rest, LOCK_VERSION) != 0)
        return lock_error (lf, err, "unsupported lock-version (this mkbase "
                                    "reads " LOCK_VERSION ")");
      *versioned = true;
      return 0;
    }
  if (strcmp (key, "recipe-digest") == 0 && lf->digest == NULL
      && mk_str_has_prefix (rest, "sha256:") && is_sha256_hex (rest + 7))
    return lf->digest = xstrdup (rest + 7), 0;
  if (strcmp (key, "platform") == 0)
    {
      lf->sections = true;
      lf->in_want = strcmp (rest, lf->want) == 0;
      lf->found |= lf->in_want;
      return 0;
    }
  if (strcmp (key, "package") == 0)
    {
      /* Every section is parsed (a bad line anywhere is an error); only
       * the wanted one's packages are kept. */
      size_t before = lf->pkgs->n;
      if (parse_package (lf, rest, err) < 0)
        return -1;
      if (lf->sections && !lf->in_want)
        mk_pkglist_truncate (lf->pkgs, before);
      return 0;
    }
  for (size_t i = 0; i < ARRAY_SIZE (recipe_keys); i++)
    if (strcmp (key, recipe_keys[i]) == 0)
      {
        mk_strv_push (&lf->recipe_lines,
                      *rest ? xasprintf ("%s %s", key, rest) : xstrdup (key));
        return 0;
      }
  {
    cleanup_free char *m = xasprintf ("unknown or repeated key `%s`", key);
    return lock_error (lf, err, m);
  }
}

static int
parse_lock (struct lock_file *lf, char *buf, mk_error_t *err)
{
  char *save = NULL;
  bool versioned = false;

  lf->pkgs = xcalloc (1, sizeof *lf->pkgs);
  lf->line = 0;
  for (char *p = buf; p; p = save)
    {
      char *nl = strchr (p, '\n');
      save = nl ? nl + 1 : NULL;
      if (nl)
        *nl = '\0';
      lf->line++;
      if (*p == '\0' || *p == '#')
        continue;
      if (parse_line (lf, p, &versioned, err) < 0)
        return -1;
    }
  lf->line = 1;
  if (!versioned || lf->digest == NULL)
    return lock_error (lf, err, "no `lock-version` or `recipe-digest` line "
                                "(not an mkbase lock file?)");
  if (lf->sections && !lf->found)
    {
      cleanup_free char *m = xasprintf ("no `platform %s` section", lf->want);
      return lock_error (lf, err, m);
    }
  if (lf->pkgs->n == 0)
    return lock_error (lf, err, "no packages");
  return 0;
}

/* "packages added: vim, less; arch added: aarch64; arch removed: x86_64"
 * from the recorded lines and the recipe's. */
static void
describe_key (FILE *f, bool *any, const char *key, const char *what,
              char *const *old, char *const *now)
{
  size_t kl = strlen (key);
  for (int pass = 0; pass < 2; pass++)
    {
      char *const *a = pass == 0 ? now : old, *const *b = pass == 0 ? old : now;
      bool started = false;
      for (size_t i = 0; a && a[i]; i++)
        {
          if (strncmp (a[i], key, kl) != 0 || (a[i][kl] != ' ' && a[i][kl])
              || mk_strv_contains (b, a[i]))
            continue;
          if (started)
            fputs (", ", f);
          else
            fprintf (f, "%s%s %s: ", *any ? "; " : "", what,
                     pass == 0 ? "added" : "removed");
          started = *any = true;
          fputs (a[i][kl] ? a[i] + kl + 1 : "(empty)", f);
        }
    }
}

static char *
describe_changes (char *const *old, char *const *now)
{
  char *text = NULL;
  size_t len = 0;
  bool any = false;
  FILE *f = open_memstream (&text, &len);
  if (f == NULL)
    abort ();
  describe_key (f, &any, "request", "packages", old, now);
  describe_key (f, &any, "exclude", "excludes", old, now);
  describe_key (f, &any, "repo", "repositories", old, now);
  describe_key (f, &any, "arch", "arch", old, now);
  describe_key (f, &any, "releasever", "releasever", old, now);
  describe_key (f, &any, "weak_deps", "weak_deps", old, now);
  fclose (f);
  if (*text == '\0')
    {
      free (text);
      text = xstrdup ("its recipe-digest does not match");
    }
  return text;
}

static int
check_recipe (struct lock_file *lf, const struct mk_recipe *r,
              mk_error_t *err)
{
  cleanup_strv char **now = mk_lock_recipe_lines (r);
  cleanup_free char *digest = lines_digest (now);
  cleanup_free char *what = NULL;

  if (strcmp (digest, lf->digest) == 0)
    return 0;
  what = describe_changes (lf->recipe_lines, now);
  return mk_make_error_code (err, MK_EXIT_RECIPE, 0,
                             "%s changed since %s was written: %s (run "
                             "`mkbase lock %s` to update the lock)",
                             r->path, lf->path, what, r->path);
}

int
mk_lock_read (const struct mk_recipe *r, const char *path,
              struct mk_pkglist **out, mk_error_t *err)
{
  cleanup_free char *buf = NULL;
  struct lock_file lf = { .path = path,
                          .want = r->arch ? r->arch : mk_host_arch () };
  size_t len;
  int ret = -1;

  if (mk_read_file_at (AT_FDCWD, path, MAX_LOCK_BYTES, &buf, &len, err) < 0)
    {
      (*err)->exit_code = MK_EXIT_RECIPE;
      if ((*err)->errnum == ENOENT)
        return mk_error_wrap (err, "lock file (`mkbase lock %s` writes it)",
                              r->path);
      return mk_error_wrap (err, "lock file");
    }
  if (strlen (buf) != len)
    {
      lf.line = 1;
      ret = lock_error (&lf, err, "contains a NUL byte");
    }
  else if (parse_lock (&lf, buf, err) == 0 && check_recipe (&lf, r, err) == 0)
    {
      *out = steal_pointer (&lf.pkgs);
      ret = 0;
    }
  mk_pkglist_free (lf.pkgs);
  mk_strv_free (lf.recipe_lines);
  free (lf.digest);
  return ret;
}

int
mk_lock_create (const char *recipe, const struct mk_build_opts *o,
                const struct mk_repo_opts *ro, const char *output,
                mk_error_t *err)
{
  cleanup_recipe struct mk_recipe *r = NULL;
  cleanup_free char *path = NULL;
  cleanup_free struct mk_pkglist **lists = NULL;
  size_t n, total = 0;
  int ret = -1;

  if (mk_recipe_load (recipe, &r, err) < 0
      || mk_build_apply_arch (r, o, err) < 0)
    return -1;
  n = mk_strv_len (r->arches) > 1 ? mk_strv_len (r->arches) : 1;
  lists = xcalloc (n, sizeof *lists);
  for (size_t k = 0; k < n; k++)
    {
      cleanup_repos struct mk_repos *repos = NULL;
      if (n > 1)
        mk_recipe_set_arch (r, r->arches[k]);
      if (mk_build_pin_base (r, ro, false, err) < 0
          || mk_repos_open (r, ro, &repos, err) < 0
          || mk_solve (r, repos, &lists[k], err) < 0)
        {
          if (n > 1)
            mk_error_wrap (err, "%s", r->arches[k]);
          goto done;
        }
      total += lists[k]->n;
    }
  path = mk_lock_path (r, output);
  if (mk_lock_write (r, (const struct mk_pkglist *const *) lists, path,
                     err) < 0)
    goto done;
  mk_info ("locked %zu packages in %s", total, path);
  ret = 0;
done:
  for (size_t k = 0; k < n; k++)
    mk_pkglist_free (lists[k]);
  return ret;
}
