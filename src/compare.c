/* compare.c: `mkbase build --check-repro`.  A user who wants to know that
 * a recipe builds reproducibly should not need diffoscope: we build it
 * twice, with this very executable as two child processes whose
 * conditions differ in everything that must not matter (staging
 * directory, umask, TZ, locale, CPU affinity, and as root the user), and
 * compare every output.  When the tars differ, they are read back with
 * libarchive and the first differing entry is named with the field that
 * differs, which says where to look far better than two sha256s do. */
#define _GNU_SOURCE
#include "compare.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>

#include "digest.h"
#include "listing.h"
#include "recipe.h"
#include "util.h"

#define READ_BLOCK (1 << 16)
#define NOBODY 65534

/* ---- comparing two tars -------------------------------------------------- */

static struct archive *
open_tar (const char *path, mk_error_t *err)
{
  struct archive *a = archive_read_new ();
  archive_read_support_filter_all (a);
  archive_read_support_format_tar (a);
  if (archive_read_open_filename (a, path, READ_BLOCK) != ARCHIVE_OK)
    {
      mk_make_error (err, 0, "read `%s`: %s", path, archive_error_string (a));
      archive_read_free (a);
      return NULL;
    }
  return a;
}

/* All xattrs as one "name=hexvalue;..." string, in archive order. */
static char *
xattr_text (struct archive_entry *e)
{
  char *text = NULL;
  size_t len = 0;
  const char *name;
  const void *value;
  size_t size;
  FILE *f = open_memstream (&text, &len);
  if (f == NULL)
    abort ();
  archive_entry_xattr_reset (e);
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    {
      fprintf (f, "%s=", name);
      for (size_t i = 0; i < size; i++)
        fprintf (f, "%02x", ((const unsigned char *) value)[i]);
      fputc (';', f);
    }
  fclose (f);
  return text;
}

static const char *
str_or_empty (const char *s)
{
  return s ? s : "";
}

/* The first field in which two entries of the same name differ, or NULL. */
static char *
entry_diff (struct archive_entry *x, struct archive_entry *y)
{
  cleanup_free char *xa = xattr_text (x);
  cleanup_free char *ya = xattr_text (y);
  if (archive_entry_mode (x) != archive_entry_mode (y))
    return xasprintf ("mode (0%o vs 0%o)", archive_entry_mode (x),
                      archive_entry_mode (y));
  if (archive_entry_uid (x) != archive_entry_uid (y)
      || archive_entry_gid (x) != archive_entry_gid (y)
      || strcmp (str_or_empty (archive_entry_uname (x)),
                 str_or_empty (archive_entry_uname (y)))
      || strcmp (str_or_empty (archive_entry_gname (x)),
                 str_or_empty (archive_entry_gname (y))))
    return xasprintf ("owner (%" PRId64 ":%" PRId64 " vs %" PRId64 ":%" PRId64
                      ")", (int64_t) archive_entry_uid (x),
                      (int64_t) archive_entry_gid (x),
                      (int64_t) archive_entry_uid (y),
                      (int64_t) archive_entry_gid (y));
  if (archive_entry_mtime (x) != archive_entry_mtime (y)
      || archive_entry_mtime_nsec (x) != archive_entry_mtime_nsec (y))
    return xasprintf ("mtime (%" PRId64 " vs %" PRId64 ")",
                      (int64_t) archive_entry_mtime (x),
                      (int64_t) archive_entry_mtime (y));
  if (strcmp (xa, ya) != 0)
    return xstrdup ("xattr");
  if (strcmp (str_or_empty (archive_entry_symlink (x)),
              str_or_empty (archive_entry_symlink (y)))
      || strcmp (str_or_empty (archive_entry_hardlink (x)),
                 str_or_empty (archive_entry_hardlink (y))))
    return xstrdup ("content (link target)");
  if (archive_entry_size (x) != archive_entry_size (y))
    return xasprintf ("content (size %" PRId64 " vs %" PRId64 ")",
                      (int64_t) archive_entry_size (x),
                      (int64_t) archive_entry_size (y));
  return NULL;
}

/* One step of the parallel walk: 0 go on, 1 a difference, 2 both ended. */
static int
compare_step (struct archive *x, struct archive *y, const char *a,
              const char *b, size_t n, char **diff, mk_error_t *err)
{
  struct archive_entry *ex = NULL, *ey = NULL;
  int rx = archive_read_next_header (x, &ex);
  int ry = archive_read_next_header (y, &ey);
  cleanup_free char *dx = NULL;
  cleanup_free char *dy = NULL;
  char *field;

  if (rx == ARCHIVE_EOF && ry == ARCHIVE_EOF)
    return 2;
  if ((rx != ARCHIVE_OK && rx != ARCHIVE_EOF)
      || (ry != ARCHIVE_OK && ry != ARCHIVE_EOF))
    return mk_make_error (err, 0, "read `%s`: %s", rx != ARCHIVE_OK ? a : b,
                          archive_error_string (rx != ARCHIVE_OK ? x : y));
  if (rx == ARCHIVE_EOF || ry == ARCHIVE_EOF)
    return *diff = xasprintf ("entry `%s`: only in the %s build (order)",
                              archive_entry_pathname (rx == ARCHIVE_EOF ? ey
                                                                        : ex),
                              rx == ARCHIVE_EOF ? "second" : "first"),
           1;
  if (strcmp (archive_entry_pathname (ex), archive_entry_pathname (ey)) != 0)
    return *diff = xasprintf ("entry %zu is `%s` in the first build and `%s` "
                              "in the second (order)", n,
                              archive_entry_pathname (ex),
                              archive_entry_pathname (ey)),
           1;
  field = entry_diff (ex, ey);
  if (field == NULL && (mk_listing_data_digest (x, a, &dx, err) < 0
                        || mk_listing_data_digest (y, b, &dy, err) < 0))
    return -1;
  if (field == NULL && strcmp (dx, dy) != 0)
    field = xstrdup ("content");
  if (field == NULL)
    return 0;
  *diff = xasprintf ("entry `%s`: %s", archive_entry_pathname (ex), field);
  free (field);
  return 1;
}

int
mk_compare_tars (const char *a, const char *b, char **diff, mk_error_t *err)
{
  struct archive *x = open_tar (a, err), *y = NULL;
  int r = -1;
  if (x == NULL || (y = open_tar (b, err)) == NULL)
    goto done;
  for (size_t n = 1;; n++)
    {
      r = compare_step (x, y, a, b, n, diff, err);
      if (r != 0)
        break;
    }
  if (r == 2)
    r = 0;
done:
  if (x)
    archive_read_free (x);
  if (y)
    archive_read_free (y);
  return r;
}

/* ---- comparing two output directories ------------------------------------- */

static int
scan (const char *dir, struct dirent ***out, mk_error_t *err)
{
  int n = scandir (dir, out, NULL, alphasort);
  if (n < 0)
    return mk_make_error (err, errno, "read `%s`", dir);
  return n;
}

static void
free_scan (struct dirent **v, int n)
{
  for (int i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

static int compare_dirs (const char *a, const char *b, const char *rel,
                         char **diff, mk_error_t *err);

static int
compare_files (const char *a, const char *b, const char *rel, char **diff,
               mk_error_t *err)
{
  struct stat sa, sb;
  cleanup_free char *ha = NULL;
  cleanup_free char *hb = NULL;
  if (lstat (a, &sa) < 0 || lstat (b, &sb) < 0)
    return mk_make_error (err, errno, "stat `%s`", rel);
  if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT))
    return *diff = xasprintf ("`%s`: a different file type", rel), 1;
  if (S_ISDIR (sa.st_mode))
    return compare_dirs (a, b, rel, diff, err);
  if (mk_digest_path (a, "sha256", &ha, err) < 0
      || mk_digest_path (b, "sha256", &hb, err) < 0)
    return -1;
  if (strcmp (ha, hb) == 0)
    return 0;
  *diff = xasprintf ("`%s` differs", rel);
  return 1;
}

static int
compare_dirs (const char *a, const char *b, const char *rel, char **diff,
              mk_error_t *err)
{
  struct dirent **va = NULL, **vb = NULL;
  int na = scan (a, &va, err), nb = na < 0 ? -1 : scan (b, &vb, err);
  int r = 0;

  if (na < 0 || nb < 0)
    {
      free_scan (va, na < 0 ? 0 : na);
      return -1;
    }
  for (int i = 0, j = 0; r == 0 && (i < na || j < nb);)
    {
      int c = i == na ? 1 : j == nb ? -1 : strcmp (va[i]->d_name, vb[j]->d_name);
      const char *name = c <= 0 ? va[i]->d_name : vb[j]->d_name;
      cleanup_free char *sub = *rel ? xasprintf ("%s/%s", rel, name)
                                    : xstrdup (name);
      cleanup_free char *pa = xasprintf ("%s/%s", a, name);
      cleanup_free char *pb = xasprintf ("%s/%s", b, name);
      if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
        ;
      else if (c != 0)
        {
          *diff = xasprintf ("`%s`: only in the %s build", sub,
                             c < 0 ? "first" : "second");
          r = 1;
        }
      else
        r = compare_files (pa, pb, sub, diff, err);
      i += c <= 0;
      j += c >= 0;
    }
  free_scan (va, na);
  free_scan (vb, nb);
  return r;
}

/* ---- building twice -------------------------------------------------------- */

struct variant
{
  const char *staging;
  const char *cache;    /* NULL: as given */
  bool vary;            /* umask, TZ, locale, CPU affinity */
  bool as_nobody;
};

static char **
child_argv (const char *exe, const char *recipe, const struct mk_build_opts *o,
            const struct variant *v, const char *output)
{
  char **a = NULL;
  mk_strv_push (&a, xstrdup (exe));
  mk_strv_push (&a, xstrdup ("build"));
  mk_strv_push (&a, xstrdup ("-q"));
  mk_strv_push (&a, xasprintf ("--staging-dir=%s", v->staging));
  mk_strv_push (&a, xasprintf ("--output=%s", output));
  if (o->locked)
    mk_strv_push (&a, xstrdup ("--locked"));
  for (size_t i = 0; i < o->n_formats; i++)
    mk_strv_push (&a, xasprintf ("--format=%s", o->formats[i]));
  if (v->cache || o->cache)
    mk_strv_push (&a, xasprintf ("--cache=%s", v->cache ? v->cache : o->cache));
  if (o->offline)
    mk_strv_push (&a, xstrdup ("--offline"));
  if (o->arch_list)
    mk_strv_push (&a, xasprintf ("--arch=%s", o->arch_list));
  mk_strv_push (&a, xstrdup (recipe));
  return a;
}

/* In the child: never returns. */
static void
exec_variant (char **argv, const struct variant *v)
{
  cpu_set_t set;
  umask (v->vary ? 077 : 022);
  if (v->vary)
    {
      setenv ("TZ", "Pacific/Chatham", 1);
      setenv ("LANG", "de_DE.UTF-8", 1);
      setenv ("LC_ALL", "tr_TR.UTF-8", 1);
      if (sched_getaffinity (0, sizeof set, &set) == 0)
        {
          int cpu = 0;
          while (cpu < CPU_SETSIZE && !CPU_ISSET (cpu, &set))
            cpu++;
          CPU_ZERO (&set);
          CPU_SET (cpu, &set);
          sched_setaffinity (0, sizeof set, &set);
        }
    }
  else
    {
      setenv ("TZ", "UTC", 1);
      setenv ("LC_ALL", "C", 1);
    }
  /* Each build must really build: a reused output proves nothing. */
  setenv ("MKBASE_REUSE", "0", 1);
  /* The builds' "SHA256  PATH" lines would look like our result. */
  {
    int null = open ("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null < 0 || dup2 (null, STDOUT_FILENO) < 0)
      _exit (MK_EXIT_FAILURE);
  }
  if (v->as_nobody
      && (setgroups (0, NULL) < 0 || setresgid (NOBODY, NOBODY, NOBODY) < 0
          || setresuid (NOBODY, NOBODY, NOBODY) < 0))
    _exit (MK_EXIT_FAILURE);
  execv (argv[0], argv);
  _exit (MK_EXIT_NOT_FOUND);
}

static int
run_variant (const char *exe, const char *recipe,
             const struct mk_build_opts *o, const struct variant *v,
             const char *output, mk_error_t *err)
{
  cleanup_strv char **argv = child_argv (exe, recipe, o, v, output);
  int status;
  pid_t pid = fork ();

  if (pid < 0)
    return mk_make_error (err, errno, "fork");
  if (pid == 0)
    exec_variant (argv, v);
  if (TEMP_FAILURE_RETRY (waitpid (pid, &status, 0)) < 0)
    return mk_make_error (err, errno, "waitpid");
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  return mk_make_error_code (
      err, WIFEXITED (status) ? WEXITSTATUS (status) : MK_EXIT_FAILURE, 0,
      "check-repro: the %s build failed (%s %d)", v->vary ? "second" : "first",
      WIFEXITED (status) ? "exit status" : "signal",
      WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status));
}

/* As root, the second build runs as nobody when nobody can read the recipe
 * and its (local) repositories; a remote repository would need a cache
 * of nobody's own, so it stays root then. */
static bool
nobody_can_build (const struct mk_recipe *r)
{
  int status;
  pid_t pid;
  if (geteuid () != 0)
    return false;
  for (size_t i = 0; i < r->n_repos; i++)
    if (strstr (r->repos[i].baseurl, "://")
        && !mk_str_has_prefix (r->repos[i].baseurl, "file://"))
      return false;
  pid = fork ();
  if (pid < 0)
    return false;
  if (pid == 0)
    {
      bool ok = setgroups (0, NULL) == 0 && setresgid (NOBODY, NOBODY, NOBODY) == 0
                && setresuid (NOBODY, NOBODY, NOBODY) == 0
                && access (r->path, R_OK) == 0;
      for (size_t i = 0; ok && i < r->n_repos; i++)
        {
          cleanup_free char *url = mk_recipe_expand (r, r->repos[i].baseurl);
          const char *p = mk_str_has_prefix (url, "file://") ? url + 7 : url;
          cleanup_free char *dir = p[0] == '/' ? xstrdup (p)
                                               : xasprintf ("%s/%s", r->dir, p);
          ok = access (dir, R_OK | X_OK) == 0;
        }
      _exit (ok ? 0 : 1);
    }
  return TEMP_FAILURE_RETRY (waitpid (pid, &status, 0)) == pid
         && WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

static char *
output_base (const struct mk_recipe *r, const struct mk_build_opts *o)
{
  const char *out = o->output ? o->output : r->output;
  const char *slash;
  if (out == NULL)
    return xasprintf ("%s.tar", r->name);
  slash = strrchr (out, '/');
  return xstrdup (slash ? slash + 1 : out);
}

/* a/ and b/ get the outputs, the staging dirs differ in name and depth;
 * what the second build writes belongs to nobody when it runs as nobody. */
static int
make_dirs (const char *top, bool nobody, mk_error_t *err)
{
  static const struct { const char *name; bool second; } subs[] = {
    { "a", false }, { "staging-a", false }, { "b", true },
    { "staging-b", true }, { "staging-b/deeper", true }, { "cache-b", true } };
  if (chmod (top, 0755) < 0)
    return mk_make_error (err, errno, "chmod `%s`", top);
  for (size_t i = 0; i < ARRAY_SIZE (subs); i++)
    {
      cleanup_free char *p = xasprintf ("%s/%s", top, subs[i].name);
      if (mkdir (p, 0755) < 0)
        return mk_make_error (err, errno, "mkdir `%s`", p);
      if (nobody && subs[i].second && chown (p, NOBODY, NOBODY) < 0)
        return mk_make_error (err, errno, "chown `%s`", p);
    }
  return 0;
}

/* One image's tar in a/ and b/: 0 the same, 1 not (*diff says how). */
static int
compare_tar (const char *a, const char *b, const char *base, char **hash,
             char **diff, mk_error_t *err)
{
  cleanup_free char *ia = xasprintf ("%s/%s", a, base);
  cleanup_free char *ib = xasprintf ("%s/%s", b, base);
  cleanup_free char *ha = NULL;
  cleanup_free char *hb = NULL;
  int r;

  if (mk_digest_path (ia, "sha256", &ha, err) < 0
      || mk_digest_path (ib, "sha256", &hb, err) < 0)
    return -1;
  if (strcmp (ha, hb) == 0)
    {
      *hash = steal_pointer (&ha);
      return 0;
    }
  r = mk_compare_tars (ia, ib, diff, err);
  if (r == 0)
    *diff = xstrdup ("the entries are the same but the bytes are not "
                     "(headers or compression)");
  if (r >= 0)
    {
      char *d = xasprintf ("%s: %s", base, *diff);
      free (*diff);
      *diff = d;
    }
  return r < 0 ? -1 : 1;
}

/* Each image's tar first (the readable difference), then every other
 * output byte for byte. */
static int
compare_outputs (const char *top, char *const *bases, char **diff,
                 mk_error_t *err)
{
  cleanup_free char *a = xasprintf ("%s/a", top);
  cleanup_free char *b = xasprintf ("%s/b", top);
  cleanup_strv char **hashes = NULL;
  int r;

  for (size_t i = 0; bases[i]; i++)
    {
      char *h = NULL;
      r = compare_tar (a, b, bases[i], &h, diff, err);
      if (r != 0)
        return r;
      mk_strv_push (&hashes, h);
    }
  r = compare_dirs (a, b, "", diff, err);
  for (size_t i = 0; r == 0 && hashes[i]; i++)
    if (bases[1])
      printf ("reproducible: %s  %s\n", hashes[i], bases[i]);
    else
      printf ("reproducible: %s\n", hashes[i]);
  return r;
}

int
mk_compare_check_repro (const char *recipe, const struct mk_build_opts *o,
                        mk_error_t *err)
{
  cleanup_recipe struct mk_recipe *r = NULL;
  cleanup_free char *top = NULL;
  cleanup_free char *base = NULL;
  cleanup_strv char **bases = NULL;
  cleanup_free char *diff = NULL;
  char exe[PATH_MAX];
  ssize_t n;
  int ret = -1;

  if (mk_recipe_load (recipe, &r, err) < 0
      || mk_build_apply_arch (r, o, err) < 0)
    return -1;
  n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
  if (n < 0)
    return mk_make_error (err, errno, "readlink /proc/self/exe");
  exe[n] = '\0';
  base = output_base (r, o);
  if (mk_strv_len (r->arches) > 1)
    for (size_t i = 0; r->arches[i]; i++)
      mk_strv_push (&bases, mk_build_arch_output (base, r->arches[i]));
  else
    mk_strv_push (&bases, xstrdup (base));
  if (mk_mkdtemp (o->staging_parent, "mkbase-repro", &top, err) < 0)
    return -1;
  {
    bool nobody = nobody_can_build (r);
    cleanup_free char *oa = xasprintf ("%s/a/%s", top, base);
    cleanup_free char *ob = xasprintf ("%s/b/%s", top, base);
    cleanup_free char *sa = xasprintf ("%s/staging-a", top);
    cleanup_free char *sb = xasprintf ("%s/staging-b/deeper", top);
    cleanup_free char *cb = xasprintf ("%s/cache-b", top);
    struct variant va = { .staging = sa };
    struct variant vb = { .staging = sb, .vary = true,
                          .as_nobody = nobody,
                          .cache = nobody && !o->cache ? cb : NULL };
    mk_info ("check-repro: building twice in %s (second: umask 077, TZ, "
             "locale, one CPU%s)", top, nobody ? ", as nobody" : "");
    if (make_dirs (top, nobody, err) < 0
        || run_variant (exe, recipe, o, &va, oa, err) < 0
        || run_variant (exe, recipe, o, &vb, ob, err) < 0)
      goto done;
    ret = compare_outputs (top, bases, &diff, err);
  }
  if (ret == 1)
    ret = mk_make_error_code (err, MK_EXIT_FAILURE, 0, "not reproducible: %s",
                              diff);
done:
  mk_at_rmtree (AT_FDCWD, top);
  fflush (stdout);
  return ret;
}
