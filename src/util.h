/* util.h: allocation that aborts on OOM, cleanup attributes, steal_pointer,
 * string vectors, and the fd-relative file system helpers every write into a
 * staging root goes through.  libc only. */
#ifndef MK_UTIL_H
#define MK_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>
#include <dirent.h>

#include "error.h"

#define UNLIKELY(x) __builtin_expect (!!(x), 0)
#define LIKELY(x) __builtin_expect (!!(x), 1)
#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

#ifndef TEMP_FAILURE_RETRY
#define TEMP_FAILURE_RETRY(expression)                                        \
  (__extension__({                                                            \
    long int __result;                                                        \
    do                                                                        \
      __result = (long int) (expression);                                     \
    while (__result == -1L && errno == EINTR);                                \
    __result;                                                                 \
  }))
#endif

void *xmalloc (size_t n);
void *xcalloc (size_t n, size_t size);
void *xrealloc (void *p, size_t n);
void *xreallocarray (void *p, size_t n, size_t size);
char *xstrdup (const char *s);
char *xstrndup (const char *s, size_t n);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static inline void
cleanup_freep (void *p)
{
  void **pp = (void **) p;
  free (*pp);
}

static inline void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

static inline void
cleanup_filep (FILE **f)
{
  if (*f)
    fclose (*f);
}

static inline void
cleanup_dirp (DIR **d)
{
  if (*d)
    closedir (*d);
}

void mk_strv_free (char **v);
static inline void
cleanup_strvp (char ***v)
{
  mk_strv_free (*v);
}

#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_file __attribute__ ((cleanup (cleanup_filep)))
#define cleanup_dir __attribute__ ((cleanup (cleanup_dirp)))
#define cleanup_strv __attribute__ ((cleanup (cleanup_strvp)))

/* Hand a pointer out of a cleanup-attributed local. */
static inline void *
steal_pointer (void *pp)
{
  void **p = (void **) pp;
  void *r = *p;
  *p = NULL;
  return r;
}

static inline int
steal_fd (int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}

/* NULL-terminated string vectors. */
size_t mk_strv_len (char *const *v);
void mk_strv_push (char ***v, char *s); /* takes ownership of s */
bool mk_strv_contains (char *const *v, const char *s);
/* The words of v joined by sep (a new string; "" for none). */
char *mk_strv_join (char *const *v, const char *sep);
char **mk_strv_copy (char *const *v); /* NULL for NULL */
/* qsort comparator for an array of char *, bytewise. */
int mk_compare_strs (const void *a, const void *b);
/* Seconds on the monotonic clock, for elapsed times and deadlines. */
double mk_now (void);

bool mk_str_has_prefix (const char *s, const char *prefix);

/* out/x.tar.gz -> out/x: the image's name without its tar suffix, which
 * every file written next to it shares (x.packages, x.record.json, ...). */
char *mk_output_stem (const char *output);
/* path with its directory made absolute and free of symlinks (the file
 * itself need not exist); path itself when the directory does not. */
char *mk_output_abspath (const char *path);

/* 1234567 -> "1.2 MB" (decimal units, as in the build summary). */
const char *mk_human_size (uint64_t n, char buf[32]);
bool mk_str_has_suffix (const char *s, const char *suffix);

/* Write all of buf, retrying on EINTR and short writes. */
/* Copy the rest of in to out; *copied (when not NULL) is the byte count.
 * what names the content in errors. */
int mk_copy_fd (int in, int out, uint64_t *copied, mk_error_t *err,
                const char *what);
int mk_write_all (int fd, const void *buf, size_t len, mk_error_t *err,
                  const char *what);

/* Read the rest of fd into a NUL-terminated buffer; more than max bytes
 * is an error (EFBIG). */
int mk_read_fd (int fd, size_t max, char **out, size_t *len, mk_error_t *err,
                const char *what);

/* Read a whole (small) file at dirfd/path into a NUL-terminated buffer.
 * max caps the size: a larger file is an error (EFBIG). */
int mk_read_file_at (int dirfd, const char *path, size_t max, char **out,
                     size_t *len, mk_error_t *err);

/* ---- fd-relative operations beneath a root ------------------------------
 *
 * `path` is relative to rootfd ("usr/bin/bash"; a leading '/' is skipped).
 * No symlink is ever followed (ELOOP) and nothing outside rootfd is ever
 * reached: the kernel enforces it with openat2(RESOLVE_BENEATH|
 * RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS), which allows a ".." that
 * stays beneath the root; on kernels without openat2 a component-by-
 * component O_NOFOLLOW walk does the same and refuses every "..".  Callers resolve image symlinks themselves first (tree.c),
 * so a symlink met here means a race or an attack and the operation fails
 * with ELOOP. */
int mk_at_open (int rootfd, const char *path, int flags, mode_t mode);

/* Read-only open that follows the image's symlinks as the image would see
 * them: openat2(RESOLVE_IN_ROOT), so an absolute or ".." link stays
 * inside rootfd.  -1 with ENOSYS on kernels without openat2. */
int mk_at_open_in_root (int rootfd, const char *path, int flags);

/* Open the parent directory of path (O_PATH|O_DIRECTORY) and point *base at
 * the final component inside path.  path must have a final component. */
int mk_at_open_parent (int rootfd, const char *path, const char **base);

/* A few directory fds beneath a root, keyed by their path, so a run of
 * operations in the same directories (unpacking a package, packing a
 * sorted tree) opens each parent once instead of resolving the whole path
 * for every file.  Each fd is opened by mk_at_open (O_PATH|O_DIRECTORY),
 * so it is beneath the root and reached without any symlink when opened;
 * operations through it then name one component (mkdirat, openat with
 * O_NOFOLLOW, symlinkat, linkat, unlinkat), which follow nothing.  The
 * cache assumes it is the only writer of the tree between two clears:
 * whoever lets other code change the tree (a scriptlet, a prune step that
 * removes directories) clears it first. */
struct mk_dircache;
struct mk_dircache *mk_dircache_new (int rootfd);
void mk_dircache_free (struct mk_dircache *c);
/* Close every cached fd (the tree may have changed behind the cache). */
void mk_dircache_clear (struct mk_dircache *c);
/* Like mk_at_open_parent, but the fd belongs to the cache: do not close
 * it.  It stays open until mk_dircache_clear/free or until it is the
 * least recently used of MK_DIRCACHE_SIZE entries, so the fds of the last
 * two calls are always valid together (linkat needs two). */
#define MK_DIRCACHE_SIZE 8
int mk_dircache_parent (struct mk_dircache *c, const char *path,
                        const char **base);

/* Remove dirfd/name and everything below it, without following symlinks. */
int mk_at_rmtree (int dirfd, const char *name);

/* s with every var replaced by val (a new string). */
char *mk_str_replace_all (const char *s, const char *var, const char *val);

/* The directory of the running executable, or NULL when it has none (a
 * sealed in-memory copy).  Caller frees. */
char *mk_self_dir (void);

/* The other executable `name`: $env when set, else next to this one (the
 * build tree's out/), else at <this one's dir>/rel (an install, wherever
 * it was put), else installed_dir/name.  Caller frees. */
char *mk_exe_path (const char *env, const char *name, const char *rel,
                   const char *installed_dir);

/* Create a private (0700) temporary directory named PREFIX-XXXXXX under
 * parent (default $TMPDIR or /var/tmp). */
int mk_mkdtemp (const char *parent, const char *prefix, char **out,
                mk_error_t *err);

/* Write data to a temporary file next to `path`, fsync it and rename it
 * into place: readers see the old file or the new one, never a partial. */
int mk_atomic_open (const char *path, char **tmp_out, mk_error_t *err);
int mk_atomic_commit (int fd, const char *tmp, const char *path,
                      mk_error_t *err);
void mk_atomic_abort (int fd, const char *tmp);
/* The three steps above for a buffer already in memory. */
int mk_write_file_atomic (const char *path, const char *data, size_t len,
                          mk_error_t *err);

/* A regular file's identity: what changes whenever its bytes may have
 * (a write moves mtime and ctime, and ctime cannot be set back), so a
 * digest recorded with it holds while it is unchanged (reuse.c, the
 * package files of the unpacked cache).  follow: stat, else lstat. */
struct mk_file_id
{
  uint64_t dev, ino, size;
  int64_t mtime_ns, ctime_ns;
};
bool mk_file_id_of (const char *path, bool follow, struct mk_file_id *id);

/* A buffer of n bytes for the life of a stream (the tar's hashing ring):
 * 2 MiB-aligned and, where the kernel has transparent huge pages, backed
 * by them, so it is faulted in a few times instead of once per 4 KiB (on
 * a VM a fault costs ~12 us).  Aborts when out of memory, as xmalloc.
 * mk_huge_free takes the same n. */
void *mk_huge_alloc (size_t n);
void mk_huge_free (void *p, size_t n);

/* Raise the soft limit on open files to the hard one (the tree keeps a
 * directory fd for each package whose contents it reads in place, and an
 * image can have thousands); mk_nofile_restore puts the caller's limit
 * back, for a program we exec (select(2) breaks above 1024). */
void mk_nofile_raise (void);
void mk_nofile_restore (void);

/* mkdir -p: every missing component is created with `mode`. */
int mk_mkdir_p (const char *path, mode_t mode, mk_error_t *err);

/* The cache root shared by the download cache and the image cache:
 * $MKBASE_CACHE, else /var/cache/mkbase as root, else $XDG_CACHE_HOME/mkbase
 * or ~/.cache/mkbase; NULL when none can be found.  Caller frees. */
char *mk_cache_root (void);
/* <cache_root>/<name> (cache_root NULL: mk_cache_root ()), made 0700 when
 * missing; <name>.<uid> for users other than root.  NULL, with a warning,
 * when it cannot be made or is not a directory of ours that only we can
 * write (its files are trusted without another check).  Caller frees. */
char *mk_cache_private_dir (const char *cache_root, const char *name);

/* Interrupt handling: SIGINT/SIGTERM/SIGHUP set a flag that long loops poll
 * so temporary files and staging trees are removed before exiting. */
void mk_signals_install (void);
int mk_interrupted (void); /* 0 or the signal number */
int mk_check_interrupt (mk_error_t *err);
/* Wait until fd is readable (or its other end is closed).  SIGINT/SIGTERM
 * stop the wait at once: poll, unlike read, is never restarted after our
 * handlers. */
int mk_wait_readable (int fd, mk_error_t *err);

#endif
