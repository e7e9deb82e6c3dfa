/* util.c: allocation, strings, and the fd-relative file system primitives
 * that keep every write inside a staging root.  libc only. */
#define _GNU_SOURCE
#include "util.h"
#include <sys/stat.h>

#include <fcntl.h>
#include <poll.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xcalloc (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xreallocarray (void *p, size_t n, size_t size)
{
  p = reallocarray (p, n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

char *
xstrndup (const char *s, size_t n)
{
  char *r = strndup (s, n);
  if (r == NULL)
    abort ();
  return r;
}

char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *s;
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return s;
}

void
mk_strv_free (char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free (*p);
  free (v);
}

size_t
mk_strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

void
mk_strv_push (char ***v, char *s)
{
  size_t n = mk_strv_len (*v);
  *v = xreallocarray (*v, n + 2, sizeof (char *));
  (*v)[n] = s;
  (*v)[n + 1] = NULL;
}

int
mk_compare_strs (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

double
mk_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

char **
mk_strv_copy (char *const *v)
{
  char **out;
  size_t n = mk_strv_len (v);
  if (v == NULL)
    return NULL;
  out = xcalloc (n + 1, sizeof *out);
  for (size_t i = 0; i < n; i++)
    out[i] = xstrdup (v[i]);
  return out;
}

char *
mk_strv_join (char *const *v, const char *sep)
{
  size_t n = 1, k = 0;
  char *out, *o;
  for (size_t i = 0; v && v[i]; i++, k++)
    n += strlen (v[i]) + strlen (sep);
  out = o = xmalloc (n);
  for (size_t i = 0; i < k; i++)
    o = stpcpy (stpcpy (o, i ? sep : ""), v[i]);
  *o = '\0';
  return out;
}

bool
mk_strv_contains (char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

bool
mk_str_has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

bool
mk_str_has_suffix (const char *s, const char *suffix)
{
  size_t ls = strlen (s), lx = strlen (suffix);
  return ls >= lx && strcmp (s + ls - lx, suffix) == 0;
}

char *
mk_str_replace_all (const char *s, const char *var, const char *val)
{
  char *out = xstrdup (s), *p;
  size_t vl = strlen (var), off = 0;
  /* Search on after the inserted value: it may contain var itself. */
  while ((p = strstr (out + off, var)) != NULL)
    {
      size_t pre = (size_t) (p - out);
      char *n = xasprintf ("%.*s%s%s", (int) pre, out, val, p + vl);
      off = pre + strlen (val);
      free (out);
      out = n;
    }
  return out;
}

char *
mk_output_stem (const char *output)
{
  static const char *suffixes[] = { ".tar.gz", ".tar.zst", ".tar.xz", ".tgz",
                                    ".tar" };
  for (size_t i = 0; i < ARRAY_SIZE (suffixes); i++)
    if (mk_str_has_suffix (output, suffixes[i]))
      return xstrndup (output, strlen (output) - strlen (suffixes[i]));
  return xstrdup (output);
}

const char *
mk_human_size (uint64_t n, char buf[32])
{
  if (n >= 1000000)
    snprintf (buf, 32, "%.1f MB", (double) n / 1e6);
  else if (n >= 1000)
    snprintf (buf, 32, "%.1f kB", (double) n / 1e3);
  else
    snprintf (buf, 32, "%" PRIu64 " B", n);
  return buf;
}

int
mk_write_all (int fd, const void *buf, size_t len, mk_error_t *err,
              const char *what)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t n = TEMP_FAILURE_RETRY (write (fd, p, len));
      if (UNLIKELY (n < 0))
        return mk_make_error (err, errno, "write `%s`", what);
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

int
mk_copy_fd (int in, int out, uint64_t *copied, mk_error_t *err,
            const char *what)
{
  char buf[1 << 16];
  uint64_t total = 0;
  for (;;)
    {
      ssize_t k = TEMP_FAILURE_RETRY (read (in, buf, sizeof buf));
      if (k < 0)
        return mk_make_error (err, errno, "read the content of `%s`", what);
      if (k == 0)
        break;
      if (mk_write_all (out, buf, (size_t) k, err, what) < 0)
        return -1;
      total += (uint64_t) k;
    }
  if (copied)
    *copied = total;
  return 0;
}

int
mk_read_fd (int fd, size_t max, char **out, size_t *len, mk_error_t *err,
            const char *what)
{
  cleanup_free char *buf = NULL;
  size_t used = 0, cap = 0;

  for (;;)
    {
      ssize_t n;
      if (used + 4096 + 1 > cap)
        {
          cap = cap ? cap * 2 : 8192;
          buf = xrealloc (buf, cap);
        }
      n = TEMP_FAILURE_RETRY (read (fd, buf + used, cap - used - 1));
      if (n < 0)
        return mk_make_error (err, errno, "read `%s`", what);
      if (n == 0)
        break;
      used += (size_t) n;
      if (used > max)
        return mk_make_error (err, EFBIG, "read `%s`", what);
    }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = steal_pointer (&buf);
  return 0;
}

int
mk_read_file_at (int dirfd, const char *path, size_t max, char **out,
                 size_t *len, mk_error_t *err)
{
  cleanup_close int fd = -1;

  fd = TEMP_FAILURE_RETRY (openat (dirfd, path, O_RDONLY | O_CLOEXEC));
  if (fd < 0)
    return mk_make_error (err, errno, "open `%s`", path);
  return mk_read_fd (fd, max, out, len, err, path);
}

/* ---- beneath-root operations ------------------------------------------ */

static int openat2_works = -1; /* -1 unknown, 0 no (ENOSYS), 1 yes */

static const char *
skip_slashes (const char *p)
{
  while (*p == '/')
    p++;
  return p;
}

static int
symlink_is_eloop (int dfd, const char *comp)
{
  struct stat st;
  int e = errno;
  if (e == ENOTDIR && fstatat (dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0
      && S_ISLNK (st.st_mode))
    e = ELOOP;
  errno = e;
  return -1;
}

/* Fallback: walk components with O_NOFOLLOW, refusing "..". */
static int
open_walk (int rootfd, const char *path, int flags, mode_t mode)
{
  cleanup_close int dfd = -1;
  cleanup_free char *copy = xstrdup (skip_slashes (path));
  char *save = NULL, *comp, *next;
  int cur;

  cur = dfd = TEMP_FAILURE_RETRY (
      openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (dfd < 0)
    return -1;
  comp = strtok_r (copy, "/", &save);
  if (comp == NULL)
    return TEMP_FAILURE_RETRY (
        openat (rootfd, ".", (flags & ~O_NOFOLLOW) | O_CLOEXEC, mode));
  for (; comp; comp = next)
    {
      int nfd;
      next = strtok_r (NULL, "/", &save);
      if (strcmp (comp, "..") == 0)
        {
          errno = EXDEV;
          return -1;
        }
      if (next == NULL)
        {
          int fd = TEMP_FAILURE_RETRY (
              openat (cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode));
          return fd >= 0 ? fd : symlink_is_eloop (cur, comp);
        }
      nfd = TEMP_FAILURE_RETRY (openat (
          cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (nfd < 0)
        return symlink_is_eloop (cur, comp);
      close (dfd);
      cur = dfd = nfd;
    }
  errno = EINVAL;
  return -1;
}

int
mk_at_open_in_root (int rootfd, const char *path, int flags)
{
  struct open_how how = {
    .flags = (uint64_t) ((flags & ~(O_CREAT | O_TMPFILE)) | O_CLOEXEC),
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  long fd;
  do
    fd = syscall (SYS_openat2, rootfd, skip_slashes (path), &how, sizeof how);
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return (int) fd;
}

int
mk_at_open (int rootfd, const char *path, int flags, mode_t mode)
{
  const char *rel = skip_slashes (path);
  if (*rel == '\0')
    rel = ".";
  /* MKBASE_NO_OPENAT2=1 takes the fallback on purpose: for tools that do
   * not know openat2 (valgrind) and for testing the fallback itself. */
  if (openat2_works < 0 && getenv ("MKBASE_NO_OPENAT2"))
    openat2_works = 0;
  if (openat2_works != 0)
    {
      struct open_how how = {
        .flags = (uint64_t) (flags | O_CLOEXEC),
        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
                   | RESOLVE_NO_MAGICLINKS,
      };
      long fd;
      do
        fd = syscall (SYS_openat2, rootfd, rel, &how, sizeof how);
      while (fd < 0 && (errno == EINTR || errno == EAGAIN));
      if (fd >= 0 || errno != ENOSYS)
        {
          openat2_works = 1;
          return (int) fd;
        }
      openat2_works = 0;
    }
  return open_walk (rootfd, rel, flags, mode);
}

int
mk_at_open_parent (int rootfd, const char *path, const char **base)
{
  const char *rel = skip_slashes (path);
  const char *slash = strrchr (rel, '/');
  cleanup_free char *dir = NULL;

  if (*rel == '\0')
    {
      errno = EINVAL;
      return -1;
    }
  if (slash == NULL)
    {
      *base = rel;
      return TEMP_FAILURE_RETRY (
          openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    }
  if (slash[1] == '\0')
    {
      errno = EINVAL;
      return -1;
    }
  *base = slash + 1;
  dir = xstrndup (rel, (size_t) (slash - rel));
  return mk_at_open (rootfd, dir, O_PATH | O_DIRECTORY, 0);
}

struct dircache_slot
{
  char *dir;      /* relative to the root, no leading '/'; NULL when empty */
  size_t len;
  int fd;
  uint64_t used;  /* clock of the last hit, for LRU */
};

struct mk_dircache
{
  int rootfd;
  uint64_t clock;
  struct dircache_slot slot[MK_DIRCACHE_SIZE];
};

struct mk_dircache *
mk_dircache_new (int rootfd)
{
  struct mk_dircache *c = xcalloc (1, sizeof *c);
  c->rootfd = rootfd;
  for (size_t i = 0; i < MK_DIRCACHE_SIZE; i++)
    c->slot[i].fd = -1;
  return c;
}

void
mk_dircache_clear (struct mk_dircache *c)
{
  for (size_t i = 0; c && i < MK_DIRCACHE_SIZE; i++)
    {
      struct dircache_slot *s = &c->slot[i];
      if (s->fd >= 0)
        close (s->fd);
      free (s->dir);
      *s = (struct dircache_slot){ .fd = -1 };
    }
}

void
mk_dircache_free (struct mk_dircache *c)
{
  mk_dircache_clear (c);
  free (c);
}

/* The cached fd of dir (len bytes), opening it on a miss in the least
 * recently used slot. */
static int
dircache_get (struct mk_dircache *c, const char *dir, size_t len)
{
  struct dircache_slot *victim = &c->slot[0];
  int fd;
  c->clock++;
  for (size_t i = 0; i < MK_DIRCACHE_SIZE; i++)
    {
      struct dircache_slot *s = &c->slot[i];
      if (s->dir && s->len == len && memcmp (s->dir, dir, len) == 0)
        {
          s->used = c->clock;
          return s->fd;
        }
      if (s->used < victim->used)
        victim = s;
    }
  {
    cleanup_free char *copy = xstrndup (dir, len);
    fd = mk_at_open (c->rootfd, copy, O_PATH | O_DIRECTORY, 0);
    if (fd < 0)
      return -1;
    if (victim->fd >= 0)
      close (victim->fd);
    free (victim->dir);
    *victim = (struct dircache_slot){ .dir = steal_pointer (&copy),
                                      .len = len, .fd = fd,
                                      .used = c->clock };
  }
  return fd;
}

int
mk_dircache_parent (struct mk_dircache *c, const char *path,
                    const char **base)
{
  const char *rel = skip_slashes (path);
  const char *slash = strrchr (rel, '/');

  if (*rel == '\0' || (slash && slash[1] == '\0'))
    {
      errno = EINVAL;
      return -1;
    }
  *base = slash ? slash + 1 : rel;
  /* Paths here are canonical ("usr/bin/x"); the root itself is not
   * cached, the caller's root fd is the parent of "x". */
  if (slash == NULL)
    return c->rootfd;
  return dircache_get (c, rel, (size_t) (slash - rel));
}

int
mk_at_rmtree (int parent, const char *name)
{
  struct stat st;
  cleanup_close int fd = -1;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (fstatat (parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : -1;
  if (!S_ISDIR (st.st_mode))
    return unlinkat (parent, name, 0) < 0 && errno != ENOENT ? -1 : 0;
  fd = TEMP_FAILURE_RETRY (openat (
      parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd < 0 && errno == EACCES)
    {
      /* A directory staged without search permission (e.g. a 0640 dir in
       * a test tree): we own it, so give ourselves access back. */
      if (fchmodat (parent, name, 0700, 0) == 0)
        fd = TEMP_FAILURE_RETRY (openat (
            parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }
  if (fd < 0)
    return -1;
  d = fdopendir (fd);
  if (d == NULL)
    return -1;
  fd = -1; /* owned by d now */
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      /* Most entries are not directories and getdents says so: unlink
       * them without the fstatat.  A directory swapped in since (EISDIR)
       * takes the careful path below. */
      if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
        {
          if (unlinkat (dirfd (d), de->d_name, 0) == 0 || errno == ENOENT)
            continue;
          if (errno != EISDIR && errno != EPERM)
            return -1;
        }
      if (mk_at_rmtree (dirfd (d), de->d_name) < 0)
        return -1;
    }
  if (errno != 0)
    return -1;
  return unlinkat (parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -1
                                                                      : 0;
}

char *
mk_self_dir (void)
{
  char self[4096];
  ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
  char *slash;

  /* A sealed copy (core.c) reads "/memfd:mkbase (deleted)": no directory. */
  if (n <= 0 || self[0] != '/')
    return NULL;
  self[n] = '\0';
  if (mk_str_has_suffix (self, " (deleted)"))
    return NULL;
  slash = strrchr (self, '/');
  return xstrndup (self, slash == self ? 1 : (size_t) (slash - self));
}

char *
mk_exe_path (const char *env, const char *name, const char *rel,
             const char *installed_dir)
{
  const char *e = getenv (env);
  cleanup_free char *dir = NULL;

  if (e && *e)
    return xstrdup (e);
  dir = mk_self_dir ();
  if (dir)
    {
      /* Next to us (the build tree's out/), then where an install put it
       * relative to us, so that a DESTDIR or moved install works too. */
      char *cands[2] = { xasprintf ("%s/%s", dir, name),
                         rel ? xasprintf ("%s/%s/%s", dir, rel, name) : NULL };
      char *found = NULL;
      for (size_t i = 0; i < 2; i++)
        {
          if (found == NULL && cands[i] && access (cands[i], X_OK) == 0)
            found = steal_pointer (&cands[i]);
          free (cands[i]);
        }
      if (found)
        return found;
    }
  return xasprintf ("%s/%s", installed_dir, name);
}

int
mk_mkdtemp (const char *parent, const char *prefix, char **out,
            mk_error_t *err)
{
  const char *base = parent;
  cleanup_free char *abs = NULL;
  char *t;
  if (base == NULL || *base == '\0')
    base = getenv ("TMPDIR");
  if (base == NULL || *base == '\0')
    base = "/var/tmp";
  /* Absolute, always: the name is handed to children and to librpm,
   * which takes a relative root for a path under "/" and fails. */
  if (base[0] != '/' && (abs = realpath (base, NULL)) != NULL)
    base = abs;
  t = xasprintf ("%s/%s-XXXXXX", base, prefix);
  if (mkdtemp (t) == NULL)
    {
      int e = errno;
      free (t);
      return mk_make_error (err, e, "create a temporary directory in `%s`",
                            base);
    }
  *out = t;
  return 0;
}

int
mk_atomic_open (const char *path, char **tmp_out, mk_error_t *err)
{
  const char *slash = strrchr (path, '/');
  cleanup_free char *tmp = NULL;
  int fd;

  if (slash)
    tmp = xasprintf ("%.*s/.%s.XXXXXX", (int) (slash - path), path,
                     slash + 1);
  else
    tmp = xasprintf (".%s.XXXXXX", path);
  fd = mkostemp (tmp, O_CLOEXEC);
  if (fd < 0)
    return mk_make_error (err, errno, "create a temporary file for `%s`",
                          path);
  /* mkostemp makes 0600; outputs are ordinary 0644 files (umask applies). */
  {
    mode_t um = umask (0);
    umask (um);
    if (fchmod (fd, 0666 & ~um) < 0)
      {
        int e = errno;
        mk_atomic_abort (fd, tmp);
        return mk_make_error (err, e, "chmod `%s`", tmp);
      }
  }
  *tmp_out = steal_pointer (&tmp);
  return fd;
}

int
mk_atomic_commit (int fd, const char *tmp, const char *path, mk_error_t *err)
{
  if (fsync (fd) < 0)
    {
      int e = errno;
      mk_atomic_abort (fd, tmp);
      return mk_make_error (err, e, "write `%s`", path);
    }
  if (close (fd) < 0)
    {
      int e = errno;
      unlink (tmp);
      return mk_make_error (err, e, "write `%s`", path);
    }
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return mk_make_error (err, e, "rename into `%s`", path);
    }
  return 0;
}

void
mk_atomic_abort (int fd, const char *tmp)
{
  if (fd >= 0)
    close (fd);
  if (tmp)
    unlink (tmp);
}

int
mk_write_file_atomic (const char *path, const char *data, size_t len,
                      mk_error_t *err)
{
  cleanup_free char *tmp = NULL;
  int fd = mk_atomic_open (path, &tmp, err);
  if (fd < 0)
    return -1;
  if (mk_write_all (fd, data, len, err, path) < 0)
    {
      mk_atomic_abort (fd, tmp);
      return -1;
    }
  return mk_atomic_commit (fd, tmp, path, err);
}

int
mk_mkdir_p (const char *path, mode_t mode, mk_error_t *err)
{
  cleanup_free char *p = xstrdup (path);
  for (char *s = strchr (p + 1, '/'); s; s = strchr (s + 1, '/'))
    {
      *s = '\0';
      if (mkdir (p, mode) < 0 && errno != EEXIST)
        return mk_make_error (err, errno, "create `%s`", p);
      *s = '/';
    }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return mk_make_error (err, errno, "create `%s`", p);
  return 0;
}

char *
mk_cache_root (void)
{
  const char *e = getenv ("MKBASE_CACHE");
  if (e && *e)
    return xstrdup (e);
  if (geteuid () == 0)
    return xstrdup ("/var/cache/mkbase");
  e = getenv ("XDG_CACHE_HOME");
  if (e && *e == '/')
    return xasprintf ("%s/mkbase", e);
  e = getenv ("HOME");
  if (e && *e == '/')
    return xasprintf ("%s/.cache/mkbase", e);
  return NULL;
}

char *
mk_output_abspath (const char *path)
{
  const char *slash = strrchr (path, '/');
  cleanup_free char *dir = slash ? xstrndup (path, (size_t) (slash - path))
                                 : xstrdup (".");
  cleanup_free char *real = realpath (*dir ? dir : "/", NULL);
  if (real == NULL)
    return xstrdup (path);
  return xasprintf ("%s/%s", strcmp (real, "/") ? real : "",
                    slash ? slash + 1 : path);
}

char *
mk_cache_private_dir (const char *cache_root, const char *name)
{
  cleanup_free char *root = cache_root ? xstrdup (cache_root)
                                       : mk_cache_root ();
  cleanup_free char *dir = NULL;
  mk_error_t err = NULL;
  struct stat st;

  if (root == NULL)
    return NULL;
  /* Per user: a cache root several users share (MKBASE_CACHE=/shared)
   * must not make one user's build trust another's files. */
  dir = geteuid () == 0 ? xasprintf ("%s/%s", root, name)
                        : xasprintf ("%s/%s.%u", root, name,
                                     (unsigned) geteuid ());
  if (mk_mkdir_p (dir, 0700, &err) < 0)
    {
      mk_warn ("no %s cache: %s", name, err->msg);
      mk_error_release (&err);
      return NULL;
    }
  /* Ours alone, or it could hand us altered files that are never
   * checked again. */
  if (lstat (dir, &st) < 0 || !S_ISDIR (st.st_mode)
      || st.st_uid != geteuid () || (st.st_mode & 022))
    {
      mk_warn ("not using the %s cache `%s`: not a directory of ours "
               "that only we can write", name, dir);
      return NULL;
    }
  return steal_pointer (&dir);
}

static volatile sig_atomic_t interrupted_by;

static void
on_signal (int sig)
{
  interrupted_by = sig;
}

void
mk_signals_install (void)
{
  struct sigaction sa = { 0 };
  sa.sa_handler = on_signal;
  /* Restart interrupted system calls: library code (librpm, libarchive)
   * would otherwise fail a read with EINTR and we would report that
   * instead of the interruption.  The loops poll the flag instead. */
  sa.sa_flags = SA_RESTART;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
}

int
mk_interrupted (void)
{
  return interrupted_by;
}

int
mk_check_interrupt (mk_error_t *err)
{
  int sig = interrupted_by;
  if (sig == 0)
    return 0;
  return mk_make_error_code (err, sig == SIGINT ? MK_EXIT_SIGINT
                                  : sig == SIGTERM ? MK_EXIT_SIGTERM
                                                   : 128 + sig,
                             0, "interrupted by signal %d", sig);
}

int
mk_wait_readable (int fd, mk_error_t *err)
{
  struct pollfd pf = { .fd = fd, .events = POLLIN };

  while (poll (&pf, 1, -1) < 0)
    {
      if (errno != EINTR)
        return mk_make_error (err, errno, "poll");
      if (mk_check_interrupt (err) < 0)
        return -1;
    }
  return 0;
}

bool
mk_file_id_of (const char *path, bool follow, struct mk_file_id *id)
{
  struct stat st;
  if ((follow ? stat (path, &st) : lstat (path, &st)) < 0
      || !S_ISREG (st.st_mode))
    return false;
  *id = (struct mk_file_id){
    .dev = (uint64_t) st.st_dev, .ino = (uint64_t) st.st_ino,
    .size = (uint64_t) st.st_size,
    .mtime_ns = (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
    .ctime_ns = (int64_t) st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec };
  return true;
}

static struct rlimit nofile_was;
static bool nofile_raised;

void
mk_nofile_raise (void)
{
  struct rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
    return;
  nofile_was = rl;
  rl.rlim_cur = rl.rlim_max;
  nofile_raised = setrlimit (RLIMIT_NOFILE, &rl) == 0;
}

void
mk_nofile_restore (void)
{
  if (nofile_raised)
    setrlimit (RLIMIT_NOFILE, &nofile_was);
}

#define HUGE_ALIGN ((size_t) 2 << 20)

void *
mk_huge_alloc (size_t n)
{
  size_t len = (n + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1);
  char *raw = mmap (NULL, len + HUGE_ALIGN, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *p;
  size_t head;

  if (raw == MAP_FAILED)
    abort ();
  /* Keep only the aligned part of the mapping. */
  head = (HUGE_ALIGN - (uintptr_t) raw % HUGE_ALIGN) % HUGE_ALIGN;
  p = raw + head;
  if (head)
    munmap (raw, head);
  munmap (p + len, HUGE_ALIGN - head);
  (void) madvise (p, len, MADV_HUGEPAGE);
  return p;
}

void
mk_huge_free (void *p, size_t n)
{
  if (p)
    munmap (p, (n + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1));
}
