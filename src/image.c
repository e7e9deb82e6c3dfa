/* image.c: resolves `mkbase run`'s IMAGE.  A directory is taken as it is;
 * a tar is looked up in the image cache, where import.c unpacked it under
 * its sha256 (the first run of a tar imports it: in the lean runner binary
 * by running mkbase-core, see core.c).  This file stays libc-only so that
 * the runner binary maps no archive, XML or rpm library.
 *
 * The cache is 0700: set-uid files in it are out of reach of other host
 * users.  Its layout:
 *   images/<sha256>/                    an unpacked image
 *   images/.by-stat-<dev>-<ino>-...     -> <sha256>, see mk_image_stat_key */
#define _GNU_SOURCE
#include "image.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define fail(err, errnum, ...)                                                \
  mk_make_error_code (err, MK_EXIT_RUNNER, errnum, __VA_ARGS__)

int
mk_image_cache_dir (char **images, mk_error_t *err)
{
  cleanup_free char *root = mk_cache_root ();
  char *dir;
  if (root == NULL)
    return fail (err, 0, "%s",
                 "no cache directory: set MKBASE_CACHE or HOME");
  dir = xasprintf ("%s/images", root);
  /* 0700: set-uid files in the cache are out of other users' reach. */
  if (mk_mkdir_p (dir, 0700, err) < 0)
    {
      (*err)->exit_code = MK_EXIT_RUNNER;
      free (dir);
      return -1;
    }
  *images = dir;
  return 0;
}

/* Hashing a large tar on every run would dominate start-up, so the digest
 * is remembered under the file's identity: device, inode, size, mtime and
 * ctime.  Any write to the file changes its ctime, which no one but the
 * kernel sets, so a stale entry cannot match (git's index and ccache rely
 * on the same). */
char *
mk_image_stat_key (const char *images, const struct stat *st)
{
  return xasprintf ("%s/.by-stat-%llx-%llx-%lld-%lld.%09ld-%lld.%09ld",
                    images, (unsigned long long) st->st_dev,
                    (unsigned long long) st->st_ino, (long long) st->st_size,
                    (long long) st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
                    (long long) st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

char *
mk_image_known_digest (const char *key)
{
  char buf[80];
  ssize_t n = readlink (key, buf, sizeof buf - 1);
  if (n != 64)
    return NULL;
  buf[n] = '\0';
  if (strspn (buf, "0123456789abcdef") != 64)
    return NULL;
  return xstrdup (buf);
}

/* The unpacked image of the tar at `image` if the cache has it. */
static char *
lookup (const char *images, const char *image, mk_error_t *err)
{
  cleanup_free char *key = NULL, *hex = NULL, *final = NULL;
  struct stat st;

  if (stat (image, &st) < 0)
    {
      fail (err, errno, "image `%s`", image);
      return NULL;
    }
  key = mk_image_stat_key (images, &st);
  hex = mk_image_known_digest (key);
  if (hex == NULL)
    return NULL;
  final = xasprintf ("%s/%s", images, hex);
  if (lstat (final, &st) < 0 || !S_ISDIR (st.st_mode))
    return NULL;
  return realpath (final, NULL);
}

static int
prepare_tar (const char *image, char **rootfs, mk_error_t *err)
{
  cleanup_free char *images = NULL;

  if (mk_image_cache_dir (&images, err) < 0)
    return -1;
  *rootfs = lookup (images, image, err);
  if (*rootfs || *err)
    return *err ? -1 : 0;
  if (mk_image_import (image, err) < 0)
    return -1;
  *rootfs = lookup (images, image, err);
  if (*rootfs == NULL && *err == NULL)
    return fail (err, 0, "image `%s` is not in the cache after importing it",
                 image);
  return *rootfs ? 0 : -1;
}

int
mk_image_prepare (const char *image, char **rootfs, bool *cached,
                  mk_error_t *err)
{
  cleanup_close int fd
      = TEMP_FAILURE_RETRY (open (image, O_RDONLY | O_CLOEXEC));
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0)
    return fail (err, errno, "image `%s`", image);
  if (S_ISDIR (st.st_mode))
    {
      *rootfs = realpath (image, NULL);
      if (*rootfs == NULL)
        return fail (err, errno, "image `%s`", image);
      *cached = false;
      return 0;
    }
  if (!S_ISREG (st.st_mode))
    return fail (err, 0, "image `%s` is neither a tar nor a directory",
                 image);
  *cached = true;
  return prepare_tar (image, rootfs, err);
}
