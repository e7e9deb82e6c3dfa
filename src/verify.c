/* verify.c: `mkbase verify IMAGE`: rpm -V for an image tar, offline.
 *
 * The package headers come from the image's own rpm database (copied out
 * of the tar into a private directory and read through rpm.c), or, with
 * --packages, from RPM files: then the image only says which packages are
 * installed (its rpmdb, else /var/lib/rpmmanifest/container-manifest-2,
 * else the STEM.packages list next to the tar), and a tampered image
 * cannot vouch for itself.  Every file of every header that is not a
 * %ghost is looked up in the tar where the build put it (its directories
 * resolved through the image's own symlinks) and compared as rpm -V does:
 * size, mode, content digest (a second pass over the tar hashes only the
 * files that need it, with the header's algorithm), device, link target,
 * owner and group (names mapped through the image's passwd and group as
 * the build mapped them), capabilities.  mtimes are not compared: the
 * build clamps them to SOURCE_DATE_EPOCH.  Files that are not in the tar
 * were pruned (missing, not a failure); entries no package owns are extra
 * (listed, not a failure). */
#define _GNU_SOURCE
#include "verify.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "caps.h"
#include "digest.h"
#include "json.h"
#include "record.h"
#include "rpm.h"
#include "tree.h"
#include "util.h"

#define MAX_LINKS 40

/* Files copied out of the tar before anything else. */
enum
{
  X_PASSWD,
  X_GROUP,
  X_MANIFEST,
  X_DB_VAR,
  X_DB_USR,
  N_X,
};
static const char *const x_paths[N_X] = {
  "/etc/passwd", "/etc/group", "/var/lib/rpmmanifest/container-manifest-2",
  "/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite",
};
static const char *const x_dbpaths[N_X] = {
  [X_DB_VAR] = "/var/lib/rpm", [X_DB_USR] = "/usr/lib/sysimage/rpm",
};
static const uint64_t x_max[N_X] = {
  64u << 20, 64u << 20, 64u << 20, 2ull << 30, 2ull << 30,
};

/* Written by mkbase itself, owned by no package: never "extra". */
static const char *const build_files[] = {
  "/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite",
  "/var/lib/rpm/.rpm.lock", "/usr/lib/sysimage/rpm/.rpm.lock",
  "/var/lib/rpm/rpmdb.sqlite-shm", "/usr/lib/sysimage/rpm/rpmdb.sqlite-shm",
  "/var/lib/rpm/rpmdb.sqlite-wal", "/usr/lib/sysimage/rpm/rpmdb.sqlite-wal",
  "/var/lib/rpmmanifest/container-manifest-2",
};

static const char *const algos[] = { "md5",    "sha1",   "sha224",
                                     "sha256", "sha384", "sha512" };
#define N_ALGOS ARRAY_SIZE (algos)

/* rpm -V's columns. */
enum
{
  F_SIZE,
  F_MODE,
  F_DIGEST,
  F_DEV,
  F_LINK,
  F_USER,
  F_GROUP,
  F_MTIME,
  F_CAPS,
};
static const char flag_letters[] = "SM5DLUGTP";

enum
{
  K_OK,
  K_MODIFIED,
  K_MISSING,
  K_SCRIPTED, /* as the build's scriptlets left it (the record) */
};

/* A package the image says is installed; arch NULL when unknown. */
struct installed
{
  char *name, *vr, *arch;
};

struct check
{
  const struct mk_rpm *pkg;
  const struct mk_rpm_file *f;
  long entry;   /* the tar entry at the file's path, -1 when missing */
  long content; /* the entry holding its content (a hardlink's target) */
  int algo;     /* index into algos of the digest to compare, or -1 */
  char flags[10];
  int kind;
  /* When the build's scriptlets changed the file, its record entry: the
   * file is compared with that instead of the header. */
  const struct mk_record_scripted *scripted;
};

struct verify
{
  const char *image;
  int fd;
  char *tmp;
  struct mk_listing_extract x[N_X];
  struct mk_listing *l;
  struct mk_idmap users, groups;
  struct mk_rpm **pkgs;
  size_t n_pkgs;
  bool from_db; /* headers from the image's rpmdb (else --packages) */
  struct check *checks;
  size_t n_checks;
  struct mk_record *record; /* <stem>.record.json, when there is one */
  bool *scripted_extra;     /* per entry: an unowned entry as built */
  bool *owned;
  unsigned *want;             /* per entry: bit a = hash with algos[a] */
  char *(*digests)[N_ALGOS]; /* per entry */
  struct mk_digest *cur[N_ALGOS];
  long cur_i;
  size_t n_ok, n_modified, n_missing, n_extra, n_scripted;
};

/* ---- paths in the tar ----------------------------------------------- */

long
mk_verify_find (const struct mk_listing *l, const char *path)
{
  size_t lo = 0, hi = l->n;
  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if (strcmp (l->v[mid].path, path) <= 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo > 0 && strcmp (l->v[lo - 1].path, path) == 0 ? (long) lo - 1
                                                          : -1;
}

char *
mk_verify_resolve (const struct mk_listing *l, const char *path)
{
  char *rest = xstrdup (path), *done = xstrdup (""), *p = rest;
  int links = 0;

  for (;;)
    {
      size_t len;
      char *next, *cand;
      long i;
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      len = strcspn (p, "/");
      for (next = p + len; *next == '/'; next++)
        ;
      if (len == 1 && p[0] == '.')
        {
          p = next;
          continue;
        }
      if (len == 2 && p[0] == '.' && p[1] == '.')
        {
          char *s = strrchr (done, '/');
          if (s)
            *s = '\0'; /* at the root, ".." stays there */
          p = next;
          continue;
        }
      cand = xasprintf ("%s/%.*s", done, (int) len, p);
      i = *next ? mk_verify_find (l, cand) : -1;
      if (i >= 0 && S_ISLNK (l->v[i].mode) && l->v[i].linkto)
        {
          char *nrest = xasprintf ("%s/%s", l->v[i].linkto, next);
          free (cand);
          if (l->v[i].linkto[0] == '/')
            done[0] = '\0';
          free (rest);
          rest = p = nrest;
          if (++links > MAX_LINKS)
            {
              free (rest);
              free (done);
              return NULL;
            }
          continue;
        }
      free (done);
      done = cand;
      p = next;
    }
  free (rest);
  if (done[0] == '\0')
    {
      free (done);
      return xstrdup ("/");
    }
  return done;
}

/* The entry that holds i's content: i, or the target of its hardlink. */
static long
content_of (const struct mk_listing *l, long i)
{
  for (int hops = 0; i >= 0 && l->v[i].hardlink && hops < MAX_LINKS; hops++)
    i = l->v[i].linkto ? mk_verify_find (l, l->v[i].linkto) : -1;
  return i >= 0 && l->v[i].hardlink ? -1 : i;
}

/* ---- reading the image ---------------------------------------------- */

static int
open_extract (struct verify *v, int k, mk_error_t *err)
{
  cleanup_free char *path = NULL;
  if (x_dbpaths[k])
    {
      cleanup_free char *dir = xasprintf ("%s/root%s", v->tmp, x_dbpaths[k]);
      if (mk_mkdir_p (dir, 0700, err) < 0)
        return -1;
      path = xasprintf ("%s/rpmdb.sqlite", dir);
    }
  else
    path = xasprintf ("%s/x%d", v->tmp, k);
  v->x[k].path = x_paths[k];
  v->x[k].max = x_max[k];
  v->x[k].fd = open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (v->x[k].fd < 0)
    return mk_make_error (err, errno, "create `%s`", path);
  /* Only librpm needs a name; the rest are read through their fds. */
  if (!x_dbpaths[k])
    unlink (path);
  return 0;
}

static int
read_image (struct verify *v, mk_error_t *err)
{
  v->fd = open (v->image, O_RDONLY | O_CLOEXEC);
  if (v->fd < 0)
    return mk_make_error (err, errno, "open `%s`", v->image);
  if (mk_mkdtemp (NULL, "mkbase-verify", &v->tmp, err) < 0)
    return -1;
  for (int k = 0; k < N_X; k++)
    v->x[k].fd = -1;
  for (int k = 0; k < N_X; k++)
    if (open_extract (v, k, err) < 0)
      return -1;
  if (mk_listing_read_fd (v->fd, v->image, v->x, N_X, &v->l, err) < 0)
    return -1;
  if (v->l->n == 0)
    return mk_make_error (err, 0, "`%s`: not an image (no entries)",
                          v->image);
  for (int k = 0; k < N_X; k++)
    if (x_dbpaths[k] && !v->x[k].found)
      {
        /* rpm would take an empty file for an empty database. */
        cleanup_free char *path
            = xasprintf ("%s/root%s/rpmdb.sqlite", v->tmp, x_dbpaths[k]);
        unlink (path);
      }
  return 0;
}

static void
load_idmap (struct verify *v, int k, struct mk_idmap *m)
{
  cleanup_free char *buf = NULL;
  mk_error_t e = NULL;
  if (!v->x[k].found)
    {
      mk_warn ("the image has no %s: owners other than root map to 0",
               x_paths[k]);
      return;
    }
  if (lseek (v->x[k].fd, 0, SEEK_SET) < 0
      || mk_read_fd (v->x[k].fd, v->x[k].max, &buf, NULL, &e, x_paths[k])
             < 0)
    {
      mk_warn ("%s", e ? e->msg : x_paths[k]);
      mk_error_release (&e);
      return;
    }
  mk_idmap_parse (m, buf);
}

/* ---- which packages are installed ------------------------------------ */

static void
installed_free (struct installed *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (v[i].name);
      free (v[i].vr);
      free (v[i].arch);
    }
  free (v);
}

static void
installed_add (struct installed **v, size_t *n, const char *name,
               const char *evr, const char *arch)
{
  const char *colon = strchr (evr, ':');
  *v = xreallocarray (*v, *n + 1, sizeof **v);
  (*v)[*n].name = xstrdup (name);
  (*v)[*n].vr = xstrdup (colon ? colon + 1 : evr); /* epochs are not compared */
  (*v)[*n].arch = arch && *arch && strcmp (arch, "(none)") != 0
                      ? xstrdup (arch) : NULL;
  (*n)++;
}

/* "name-[E:]V-R.A" -> its parts; false when it is not a NEVRA. */
static bool
installed_add_nevra (struct installed **v, size_t *n, const char *nevra)
{
  cleanup_free char *s = xstrdup (nevra);
  char *dot = strrchr (s, '.'), *rel, *ver;
  if (dot == NULL)
    return false;
  *dot = '\0';
  rel = strrchr (s, '-');
  if (rel == NULL)
    return false;
  *rel = '\0';
  ver = strrchr (s, '-');
  if (ver == NULL || ver == s)
    return false;
  *ver = '\0';
  *rel = '-';
  installed_add (v, n, s, ver + 1, dot + 1);
  return true;
}

/* Lines "NEVRA sha256" (STEM.packages) or, with tabs, Azure Linux's
 * container-manifest-2: name, version-release, install time, build time,
 * vendor, epoch, size, arch, ...: the name, version-release and arch
 * (the 8th column) are used. */
static int
installed_parse (char *text, const char *what, struct installed **v,
                 size_t *n, mk_error_t *err)
{
  char *save = NULL;
  size_t lineno = 0;
  for (char *line = strtok_r (text, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      lineno++;
      if (strchr (line, '\t'))
        {
          char *col[8] = { 0 }, *s = line;
          for (int i = 0; i < 8 && s; i++)
            {
              col[i] = s;
              s = strchr (s, '\t');
              if (s)
                *s++ = '\0';
            }
          if (col[1] && *col[0] && *col[1])
            {
              installed_add (v, n, col[0], col[1], col[7]);
              continue;
            }
        }
      else
        {
          line[strcspn (line, " ")] = '\0';
          if (*line == '\0' || installed_add_nevra (v, n, line))
            continue;
        }
      return mk_make_error (err, 0, "%s:%zu: not a package line", what,
                            lineno);
    }
  return 0;
}

/* ---- where the headers come from ------------------------------------- */

static int
db_index (const struct verify *v)
{
  return v->x[X_DB_VAR].found ? X_DB_VAR
         : v->x[X_DB_USR].found ? X_DB_USR
                                : -1;
}

static int
read_db (struct verify *v, struct mk_rpm ***pkgs, size_t *n, mk_error_t *err)
{
  int k = db_index (v);
  cleanup_free char *root = xasprintf ("%s/root", v->tmp);
  if (mk_rpm_db_read (root, x_dbpaths[k], pkgs, n, err) < 0)
    return mk_error_wrap (err, "`%s`: %s", v->image, x_paths[k] + 1);
  return 0;
}

static int
installed_list (struct verify *v, struct installed **inst, size_t *n,
                mk_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_free char *stem = NULL;
  cleanup_free char *list = NULL;

  if (db_index (v) >= 0)
    {
      struct mk_rpm **db = NULL;
      size_t ndb = 0;
      if (read_db (v, &db, &ndb, err) < 0)
        return -1;
      for (size_t i = 0; i < ndb; i++)
        installed_add (inst, n, mk_rpm_name (db[i]), mk_rpm_evr (db[i]),
                       mk_rpm_arch (db[i]));
      mk_rpm_db_free (db, ndb);
      return 0;
    }
  if (v->x[X_MANIFEST].found)
    {
      if (lseek (v->x[X_MANIFEST].fd, 0, SEEK_SET) < 0
          || mk_read_fd (v->x[X_MANIFEST].fd, x_max[X_MANIFEST], &text, NULL,
                         err, x_paths[X_MANIFEST]) < 0)
        return -1;
      return installed_parse (text, x_paths[X_MANIFEST], inst, n, err);
    }
  stem = mk_output_stem (v->image);
  list = xasprintf ("%s.packages", stem);
  if (access (list, F_OK) < 0)
    return mk_make_error (err, 0, "`%s`: cannot tell which packages are "
                                  "installed: no rpm database, no %s in "
                                  "the image, no `%s`", v->image,
                          x_paths[X_MANIFEST] + 1, list);
  if (mk_read_file_at (AT_FDCWD, list, 64u << 20, &text, NULL, err) < 0)
    return -1;
  return installed_parse (text, list, inst, n, err);
}

static bool
installed_match (const struct installed *in, const struct mk_rpm *p)
{
  const char *evr = mk_rpm_evr (p), *colon = strchr (evr, ':');
  return strcmp (in->name, mk_rpm_name (p)) == 0
         && strcmp (in->vr, colon ? colon + 1 : evr) == 0
         && (in->arch == NULL || strcmp (in->arch, mk_rpm_arch (p)) == 0);
}

/* Whether a file name looks like one of the packages still needed
 * ("N-V-R.A.rpm"), so a repository directory costs one open per package
 * actually installed. */
static bool
name_hint (const char *file, const struct installed *inst, size_t n,
           struct mk_rpm **got)
{
  const char *base = strrchr (file, '/');
  base = base ? base + 1 : file;
  for (size_t i = 0; i < n; i++)
    {
      size_t ln = strlen (inst[i].name), lv = strlen (inst[i].vr);
      if (got[i] == NULL && strncmp (base, inst[i].name, ln) == 0
          && base[ln] == '-' && strncmp (base + ln + 1, inst[i].vr, lv) == 0
          && base[ln + 1 + lv] == '.')
        return true;
    }
  return false;
}

static int
compare_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
collect_files (char *const *paths, char ***files, mk_error_t *err)
{
  for (size_t i = 0; paths[i]; i++)
    {
      struct stat st;
      cleanup_dir DIR *d = NULL;
      struct dirent *de;
      size_t first = mk_strv_len (*files);
      if (stat (paths[i], &st) < 0)
        return mk_make_error (err, errno, "--packages `%s`", paths[i]);
      if (!S_ISDIR (st.st_mode))
        {
          mk_strv_push (files, xstrdup (paths[i]));
          continue;
        }
      if ((d = opendir (paths[i])) == NULL)
        return mk_make_error (err, errno, "--packages `%s`", paths[i]);
      while ((de = readdir (d)) != NULL)
        if (mk_str_has_suffix (de->d_name, ".rpm")
            && !mk_str_has_suffix (de->d_name, ".src.rpm"))
          mk_strv_push (files, xasprintf ("%s/%s", paths[i], de->d_name));
      if (*files)
        qsort (*files + first, mk_strv_len (*files) - first, sizeof (char *),
               compare_str);
    }
  return 0;
}

/* Open file and give it to the installed package it is, if that one is
 * still without a header; close it otherwise.  1 when it was taken. */
static int
try_file (const char *file, const struct installed *inst, size_t n,
          struct mk_rpm **got, mk_error_t *err)
{
  struct mk_rpm *p;
  if (mk_rpm_open (file, NULL, &p, err) < 0)
    return mk_error_wrap (err, "--packages");
  for (size_t i = 0; i < n; i++)
    if (got[i] == NULL && installed_match (&inst[i], p))
      {
        got[i] = p;
        return 1;
      }
  mk_rpm_close (p);
  return 0;
}

static int
open_packages (struct verify *v, char *const *paths,
               const struct installed *inst, size_t n, mk_error_t *err)
{
  cleanup_strv char **files = NULL;
  cleanup_free bool *tried = NULL;
  size_t nf, left = n;

  if (collect_files (paths, &files, err) < 0)
    return -1;
  nf = mk_strv_len (files);
  tried = xcalloc (nf + 1, sizeof *tried);
  v->pkgs = xcalloc (n + 1, sizeof *v->pkgs);
  v->n_pkgs = n;
  /* First the files whose names say they are needed, then the rest. */
  for (int pass = 0; pass < 2 && left > 0; pass++)
    for (size_t j = 0; j < nf && left > 0; j++)
      {
        int r;
        if (tried[j]
            || (pass == 0 && !name_hint (files[j], inst, n, v->pkgs)))
          continue;
        tried[j] = true;
        if ((r = try_file (files[j], inst, n, v->pkgs, err)) < 0)
          return -1;
        left -= (size_t) r;
      }
  for (size_t i = 0; i < n; i++)
    if (v->pkgs[i] == NULL)
      return mk_make_error (err, 0, "%s-%s%s%s is installed in `%s` but is "
                                    "not among --packages", inst[i].name,
                            inst[i].vr, inst[i].arch ? "." : "",
                            inst[i].arch ? inst[i].arch : "", v->image);
  return 0;
}

static int
load_packages (struct verify *v, char *const *paths, mk_error_t *err)
{
  struct installed *inst = NULL;
  size_t n = 0;
  int r;

  if (paths == NULL || paths[0] == NULL)
    {
      if (db_index (v) < 0)
        return mk_make_error (err, 0, "`%s`: the image has no rpm database "
                                      "(%s); name its packages with "
                                      "--packages PATH", v->image,
                              x_paths[X_DB_VAR] + 1);
      v->from_db = true;
      return read_db (v, &v->pkgs, &v->n_pkgs, err);
    }
  r = installed_list (v, &inst, &n, err);
  if (r == 0)
    r = open_packages (v, paths, inst, n, err);
  installed_free (inst, n);
  return r;
}

/* ---- the checks ------------------------------------------------------- */

static int
algo_index (const char *name)
{
  for (size_t a = 0; a < N_ALGOS; a++)
    if (strcmp (algos[a], name) == 0)
      return (int) a;
  return -1;
}

static bool
caps_differ (const char *text, const struct mk_listing_entry *e,
             const struct mk_listing_entry *ce)
{
  unsigned char blob[20];
  size_t len = 0;
  const unsigned char *got = e->caps;
  size_t glen = e->caps_len;
  mk_error_t err = NULL;

  /* Capabilities belong to the inode: a hardlink has its target's. */
  if (got == NULL && e->hardlink && ce)
    got = ce->caps, glen = ce->caps_len;
  if (text[0] && mk_caps_to_xattr (text, blob, &len, &err) < 0)
    {
      mk_error_release (&err);
      return true;
    }
  return !mk_caps_xattr_equal (blob, len, got, glen);
}

static void
check_owner (const struct verify *v, struct check *c,
             const struct mk_listing_entry *e)
{
  uint32_t id;
  if (!mk_idmap_get (&v->users, c->f->user, &id))
    id = 0; /* as the build maps an unknown name */
  if (id != e->uid)
    c->flags[F_USER] = flag_letters[F_USER];
  if (!mk_idmap_get (&v->groups, c->f->group, &id))
    id = 0;
  if (id != e->gid)
    c->flags[F_GROUP] = flag_letters[F_GROUP];
}

/* Everything but the digest, which needs the second pass. */
static void
check_meta (struct verify *v, struct check *c)
{
  const struct mk_rpm_file *f = c->f;
  const struct mk_listing_entry *e = &v->l->v[c->entry];
  const struct mk_listing_entry *ce
      = c->content >= 0 ? &v->l->v[c->content] : NULL;
  mode_t ft = f->mode & S_IFMT, et = e->mode & S_IFMT;

  /* libarchive gives a tar hardlink no file type: it is its target's. */
  if (e->hardlink)
    et = ce ? ce->mode & S_IFMT : S_IFREG;
  memcpy (c->flags, ".........", 10);
  if (ft != et || (ft != S_IFLNK && (f->mode & 07777) != (e->mode & 07777)))
    c->flags[F_MODE] = 'M';
  if ((ft == S_IFLNK || et == S_IFLNK)
      && strcmp (ft == S_IFLNK ? f->linkto : "",
                 et == S_IFLNK && e->linkto ? e->linkto : "") != 0)
    c->flags[F_LINK] = 'L';
  if ((ft == S_IFCHR || ft == S_IFBLK) && ft == et
      && (f->rdev & 0xffff) != (e->rdev & 0xffff))
    c->flags[F_DEV] = 'D';
  check_owner (v, c, e);
  if (ft != S_IFREG || et != S_IFREG)
    return;
  if (ce == NULL)
    {
      c->flags[F_SIZE] = c->flags[F_DIGEST] = '?';
      return;
    }
  if (f->size != ce->size)
    c->flags[F_SIZE] = 'S';
  if (caps_differ (f->caps, e, ce))
    c->flags[F_CAPS] = 'P';
  if (f->digest[0])
    {
      c->algo = algo_index (mk_rpm_digest_algo (c->pkg));
      if (c->algo < 0)
        c->flags[F_DIGEST] = '?';
      else
        v->want[c->content] |= 1u << c->algo;
    }
}

/* rpm -V's columns for entry i against what the record says the build's
 * scriptlets left there; the digest is compared by finish_scripted. */
static void
scripted_meta (struct verify *v, long i, long content,
               const struct mk_record_scripted *s, char flags[10])
{
  const struct mk_listing_entry *e = &v->l->v[i];
  const struct mk_listing_entry *ce = content >= 0 ? &v->l->v[content] : NULL;
  mode_t et = e->hardlink ? (ce ? ce->mode & S_IFMT : S_IFREG)
                          : e->mode & S_IFMT;

  memcpy (flags, ".........", 10);
  if (et != (s->mode & S_IFMT)
      || (et != S_IFLNK && (e->mode & 07777) != (s->mode & 07777)))
    flags[F_MODE] = 'M';
  if (strcmp (et == S_IFLNK && e->linkto ? e->linkto : "",
              s->linkto ? s->linkto : "") != 0)
    flags[F_LINK] = 'L';
  if (e->uid != s->uid)
    flags[F_USER] = 'U';
  if (e->gid != s->gid)
    flags[F_GROUP] = 'G';
  if (et == S_IFREG && S_ISREG (s->mode))
    {
      if (ce == NULL || ce->size != s->size)
        flags[F_SIZE] = 'S';
      if (ce)
        v->want[content] |= 1u << algo_index ("sha256");
    }
}

static void
scripted_digest (struct verify *v, long content,
                 const struct mk_record_scripted *s, char flags[10])
{
  const char *got;
  if (content < 0 || !S_ISREG (s->mode) || s->sha256 == NULL)
    return;
  got = v->digests[content][algo_index ("sha256")];
  if (got == NULL || strcmp (got, s->sha256) != 0)
    flags[F_DIGEST] = '5';
}

static void
mark_owned (struct verify *v, long i)
{
  const char *path = v->l->v[i].path;
  for (long j = i; j >= 0 && strcmp (v->l->v[j].path, path) == 0; j--)
    v->owned[j] = true;
}

static void
add_check (struct verify *v, const struct mk_rpm *p,
           const struct mk_rpm_file *f)
{
  cleanup_free char *at = mk_verify_resolve (v->l, f->path);
  long i = at ? mk_verify_find (v->l, at) : -1;
  struct check *c;

  if (i >= 0)
    mark_owned (v, i);
  if (f->flags & MK_RPMF_GHOST)
    return;
  v->checks = xreallocarray (v->checks, v->n_checks + 1, sizeof *v->checks);
  c = &v->checks[v->n_checks++];
  memset (c, 0, sizeof *c);
  c->pkg = p;
  c->f = f;
  c->entry = i;
  c->content = -1;
  c->algo = -1;
  if (i < 0)
    {
      c->kind = K_MISSING;
      return;
    }
  c->content = content_of (v->l, i);
  c->scripted = v->record ? mk_record_find_scripted (v->record, at) : NULL;
  if (c->scripted)
    scripted_meta (v, i, c->content, c->scripted, c->flags);
  else
    check_meta (v, c);
}

static int
on_content (void *ctx, size_t i, const void *buf, size_t len,
            mk_error_t *err)
{
  struct verify *v = ctx;
  if (v->cur_i != (long) i)
    {
      for (size_t a = 0; a < N_ALGOS; a++)
        if (v->want[i] & (1u << a))
          v->cur[a] = mk_digest_new (algos[a]);
      v->cur_i = (long) i;
    }
  for (size_t a = 0; a < N_ALGOS; a++)
    if (v->cur[a] && len > 0)
      mk_digest_add (v->cur[a], buf, len);
    else if (v->cur[a])
      {
        v->digests[i][a] = mk_digest_finish (v->cur[a]); /* frees it */
        v->cur[a] = NULL;
      }
  if (len == 0)
    v->cur_i = -1;
  return 0;
}

static int
read_digests (struct verify *v, mk_error_t *err)
{
  cleanup_free bool *want = xcalloc (v->l->n + 1, sizeof *want);
  bool any = false;
  for (size_t i = 0; i < v->l->n; i++)
    any |= want[i] = v->want[i] != 0;
  if (!any)
    return 0;
  return mk_listing_contents_fd (v->fd, v->image, v->l, want, on_content, v,
                                 err);
}

static void
finish_check (struct verify *v, struct check *c)
{
  if (c->kind == K_MISSING)
    {
      v->n_missing++;
      return;
    }
  if (c->scripted)
    {
      scripted_digest (v, c->content, c->scripted, c->flags);
      c->kind = strspn (c->flags, ".") == 9 ? K_SCRIPTED : K_MODIFIED;
      if (c->kind == K_SCRIPTED)
        v->n_scripted++;
      else
        v->n_modified++;
      return;
    }
  if (c->algo >= 0)
    {
      const char *got = v->digests[c->content][c->algo];
      if (got == NULL)
        c->flags[F_DIGEST] = '?';
      else if (strcmp (got, c->f->digest) != 0)
        c->flags[F_DIGEST] = '5';
    }
  c->kind = strspn (c->flags, ".") == 9 ? K_OK : K_MODIFIED;
  if (c->kind == K_OK)
    v->n_ok++;
  else
    v->n_modified++;
}

static bool
is_build_file (const char *path)
{
  for (size_t i = 0; i < ARRAY_SIZE (build_files); i++)
    if (strcmp (build_files[i], path) == 0)
      return true;
  return false;
}

/* Entries no package owns (the last of each name; not directories, which
 * the build creates for every path's parents). */
static bool
is_extra (const struct verify *v, size_t i)
{
  const struct mk_listing_entry *e = &v->l->v[i];
  if (i + 1 < v->l->n && strcmp (v->l->v[i + 1].path, e->path) == 0)
    return false;
  return !S_ISDIR (e->mode) && !v->owned[i] && !is_build_file (e->path)
         && !(v->scripted_extra && v->scripted_extra[i]);
}

/* Unowned entries the build's scriptlets made (ld.so.cache, say): as
 * built when they match the record, else extra as before.  The first
 * pass asks for digests, the second decides. */
static void
scripted_extras (struct verify *v, bool decide)
{
  if (v->record == NULL || v->record->n_scripted == 0)
    return;
  if (v->scripted_extra == NULL)
    v->scripted_extra = xcalloc (v->l->n + 1, sizeof *v->scripted_extra);
  for (size_t i = 0; i < v->l->n; i++)
    {
      const struct mk_record_scripted *s;
      char flags[10];
      long content;
      if (v->owned[i] || S_ISDIR (v->l->v[i].mode)
          || (i + 1 < v->l->n && strcmp (v->l->v[i + 1].path,
                                         v->l->v[i].path) == 0)
          || (s = mk_record_find_scripted (v->record, v->l->v[i].path))
                 == NULL)
        continue;
      content = content_of (v->l, (long) i);
      scripted_meta (v, (long) i, content, s, flags);
      if (!decide)
        continue;
      scripted_digest (v, content, s, flags);
      if (strspn (flags, ".") == 9)
        {
          v->scripted_extra[i] = true;
          v->n_scripted++;
        }
    }
}

/* ---- output ------------------------------------------------------------ */

/* Names come from packages and tars: control bytes are printed as \xNN
 * so a name cannot forge a line. */
static void
put_path (const char *s)
{
  for (; *s; s++)
    if ((unsigned char) *s < 0x20 || *s == 0x7f)
      printf ("\\x%02x", (unsigned char) *s);
    else
      putchar (*s);
  putchar ('\n');
}

/* rpm -V's attribute column. */
static char
attr_of (const struct mk_rpm_file *f)
{
  return (f->flags & MK_RPMF_CONFIG)    ? 'c'
         : (f->flags & MK_RPMF_DOC)     ? 'd'
         : (f->flags & MK_RPMF_LICENSE) ? 'l'
                                        : ' ';
}

static void
print_text (const struct verify *v)
{
  for (size_t i = 0; i < v->n_checks; i++)
    {
      const struct check *c = &v->checks[i];
      if (c->kind == K_MODIFIED)
        printf ("%s  %c ", c->flags, attr_of (c->f));
      else if (c->kind == K_MISSING && mk_verbosity >= 2)
        printf ("missing   %c ", attr_of (c->f));
      else if (c->kind == K_SCRIPTED && mk_verbosity >= 2)
        printf ("scripted  %c ", attr_of (c->f));
      else
        continue;
      put_path (c->f->path);
    }
  for (size_t i = 0; mk_verbosity >= 2 && v->scripted_extra && i < v->l->n;
       i++)
    if (v->scripted_extra[i])
      {
        fputs ("scripted    ", stdout);
        put_path (v->l->v[i].path);
      }
  for (size_t i = 0; i < v->l->n; i++)
    if (is_extra (v, i))
      {
        fputs ("extra       ", stdout);
        put_path (v->l->v[i].path);
      }
}

static void
json_item (bool *first, const char *status, const char *path)
{
  fputs (*first ? "\n  " : ",\n  ", stdout);
  *first = false;
  printf ("{\"status\": \"%s\", \"path\": ", status);
  mk_json_string (stdout, path);
}

static void
print_json (const struct verify *v)
{
  bool first = true;
  fputs ("{\"image\": ", stdout);
  mk_json_string (stdout, v->image);
  printf (", \"source\": \"%s\", \"packages\": %zu, \"files\": %zu, "
          "\"ok\": %zu, \"modified\": %zu, \"missing\": %zu, \"extra\": %zu,"
          " \"scripted\": %zu,\n \"list\": [",
          v->from_db ? "rpmdb" : "packages", v->n_pkgs, v->n_checks,
          v->n_ok, v->n_modified, v->n_missing, v->n_extra, v->n_scripted);
  for (size_t i = 0; i < v->n_checks; i++)
    {
      const struct check *c = &v->checks[i];
      if (c->kind == K_OK)
        continue;
      json_item (&first, c->kind == K_MODIFIED  ? "modified"
                         : c->kind == K_SCRIPTED ? "scripted"
                                                 : "missing",
                 c->f->path);
      if (c->kind == K_MODIFIED)
        printf (", \"flags\": \"%s\"", c->flags);
      printf (", \"attr\": \"%c\", \"package\": ", attr_of (c->f));
      mk_json_string (stdout, mk_rpm_nevra (c->pkg));
      fputs ("}", stdout);
    }
  for (size_t i = 0; i < v->l->n; i++)
    if (is_extra (v, i))
      {
        json_item (&first, "extra", v->l->v[i].path);
        fputs ("}", stdout);
      }
  for (size_t i = 0; v->scripted_extra && i < v->l->n; i++)
    if (v->scripted_extra[i])
      {
        json_item (&first, "scripted", v->l->v[i].path);
        fputs ("}", stdout);
      }
  fputs ("]}\n", stdout);
}

/* ---- the command ------------------------------------------------------- */

static void
remove_tmp (struct verify *v)
{
  if (v->tmp)
    mk_at_rmtree (AT_FDCWD, v->tmp);
  free (v->tmp);
  v->tmp = NULL;
}

/* The build record next to the image: what its scriptlets changed.  A
 * record that cannot be read is said and left out: verify then judges
 * those files by their headers alone, as rpm -V would. */
static void
load_record (struct verify *v)
{
  cleanup_free char *stem = mk_output_stem (v->image);
  cleanup_free char *path = xasprintf ("%s.record.json", stem);
  mk_error_t e = NULL;

  if (access (path, F_OK) < 0)
    return;
  if (mk_record_read (path, &v->record, &e) < 0)
    {
      mk_warn ("ignoring the build record: %s", e->msg);
      mk_error_release (&e);
    }
}

static int
verify_run (struct verify *v, const struct mk_verify_opts *o,
            mk_error_t *err)
{
  if (read_image (v, err) < 0)
    return -1;
  load_idmap (v, X_PASSWD, &v->users);
  load_idmap (v, X_GROUP, &v->groups);
  if (load_packages (v, o->packages, err) < 0)
    return -1;
  /* The headers are in memory now: the copy of the database can go before
   * the long pass over the contents. */
  remove_tmp (v);
  v->owned = xcalloc (v->l->n + 1, sizeof *v->owned);
  v->want = xcalloc (v->l->n + 1, sizeof *v->want);
  v->digests = xcalloc (v->l->n + 1, sizeof *v->digests);
  if (!o->no_record)
    load_record (v);
  for (size_t p = 0; p < v->n_pkgs; p++)
    for (size_t i = 0; i < mk_rpm_file_count (v->pkgs[p]); i++)
      add_check (v, v->pkgs[p], mk_rpm_file (v->pkgs[p], i));
  scripted_extras (v, false);
  if (read_digests (v, err) < 0)
    return -1;
  for (size_t i = 0; i < v->n_checks; i++)
    finish_check (v, &v->checks[i]);
  scripted_extras (v, true);
  for (size_t i = 0; i < v->l->n; i++)
    v->n_extra += is_extra (v, i);
  if (o->json)
    print_json (v);
  else
    print_text (v);
  fflush (stdout);
  mk_info ("verify: %zu files of %zu packages: %zu ok, %zu modified, "
           "%zu missing (pruned), %zu extra", v->n_checks, v->n_pkgs,
           v->n_ok, v->n_modified, v->n_missing, v->n_extra);
  if (v->n_scripted)
    mk_info ("verify: %zu entries as the build's scriptlets left them "
             "(the build record; -v lists them)", v->n_scripted);
  return v->n_modified ? 1 : 0;
}

static void
verify_clear (struct verify *v)
{
  for (int k = 0; k < N_X; k++)
    if (v->x[k].fd >= 0)
      close (v->x[k].fd);
  if (v->fd >= 0)
    close (v->fd);
  remove_tmp (v);
  for (size_t i = 0; v->digests && i < v->l->n; i++)
    for (size_t a = 0; a < N_ALGOS; a++)
      free (v->digests[i][a]);
  for (size_t a = 0; a < N_ALGOS; a++)
    mk_digest_free (v->cur[a]);
  mk_listing_free (v->l);
  mk_idmap_free (&v->users);
  mk_idmap_free (&v->groups);
  mk_rpm_db_free (v->pkgs, v->n_pkgs);
  free (v->checks);
  mk_record_free (v->record);
  free (v->scripted_extra);
  free (v->owned);
  free (v->want);
  free (v->digests);
}

int
mk_verify (const char *image, const struct mk_verify_opts *o,
           mk_error_t *err)
{
  struct verify v = { .image = image, .fd = -1, .cur_i = -1 };
  int r;

  for (int k = 0; k < N_X; k++)
    v.x[k].fd = -1;
  r = verify_run (&v, o, err);
  verify_clear (&v);
  if (r < 0 && *err && (*err)->exit_code == MK_EXIT_FAILURE)
    (*err)->exit_code = MK_EXIT_VERIFY;
  return r;
}
