/* import.c: unpacks a tar made by mkbase into the image cache, for `mkbase
 * run` (libarchive, read side; pack.c is the writer).  Runs in mkbase-core:
 * the runner binary stays free of libarchive and what it pulls in.
 *
 * Unpacking is atomic and careful: entries go to a private temporary
 * directory next to the final one, which is renamed into place only when
 * the whole archive is in, so a crash or Ctrl-C never leaves a half image
 * in the cache, and two runners racing to unpack the same tar both end up
 * with one complete copy.  Extraction uses ARCHIVE_EXTRACT_SECURE_* (no
 * "..", no absolute names, nothing written through a symlink), skips device
 * nodes (the runner mounts its own /dev; a host-visible disk node in a cache
 * would be a hole), and restores owners only as root: a rootless run maps
 * the caller to root, so files the caller owns look root-owned inside.
 * The bytes are hashed again while they are unpacked, so a tar that changes
 * between the lookup and the unpacking is refused instead of being cached
 * under the wrong name. */
#define _GNU_SOURCE
#include "image.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include "digest.h"
#include "util.h"

#define fail(err, errnum, ...)                                                \
  mk_make_error_code (err, MK_EXIT_RUNNER, errnum, __VA_ARGS__)

struct reader
{
  int fd;
  struct mk_digest *digest;
  char buf[1 << 16];
};

static void
cleanup_archivep (struct archive **a)
{
  if (*a)
    archive_free (*a);
}
#define cleanup_archive __attribute__ ((cleanup (cleanup_archivep)))


static la_ssize_t
read_hashed (struct archive *a, void *data, const void **buf)
{
  struct reader *r = data;
  ssize_t n = TEMP_FAILURE_RETRY (read (r->fd, r->buf, sizeof r->buf));
  if (n < 0)
    {
      archive_set_error (a, errno, "read");
      return -1;
    }
  mk_digest_add (r->digest, r->buf, (size_t) n);
  *buf = r->buf;
  return n;
}

static int
copy_data (struct archive *in, struct archive *out, mk_error_t *err)
{
  for (;;)
    {
      const void *buf;
      size_t size;
      la_int64_t off;
      int r = archive_read_data_block (in, &buf, &size, &off);
      if (r == ARCHIVE_EOF)
        return 0;
      if (r < ARCHIVE_WARN)
        return fail (err, 0, "read the image: %s", archive_error_string (in));
      if (archive_write_data_block (out, buf, size, off) < ARCHIVE_WARN)
        return fail (err, 0, "unpack the image: %s",
                     archive_error_string (out));
    }
}

static struct archive *
disk_writer (void)
{
  struct archive *out = archive_write_disk_new ();
  int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM
              | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_XATTR
              | ARCHIVE_EXTRACT_SECURE_SYMLINKS
              | ARCHIVE_EXTRACT_SECURE_NODOTDOT
              | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
  if (out == NULL)
    abort ();
  if (geteuid () == 0)
    flags |= ARCHIVE_EXTRACT_OWNER;
  archive_write_disk_set_options (out, flags);
  /* Numeric owners only: the host's passwd has nothing to say. */
  return out;
}

/* Unpack every entry into the current directory. */
static int
unpack_entries (struct archive *in, struct archive *out, mk_error_t *err)
{
  struct archive_entry *e;
  int r;

  while ((r = archive_read_next_header (in, &e)) != ARCHIVE_EOF)
    {
      if (r < ARCHIVE_WARN)
        return fail (err, 0, "read the image: %s", archive_error_string (in));
      if (mk_check_interrupt (err) < 0)
        return -1;
      if (archive_entry_filetype (e) == AE_IFCHR
          || archive_entry_filetype (e) == AE_IFBLK)
        continue;
      r = archive_write_header (out, e);
      if (r < ARCHIVE_WARN)
        return fail (err, 0, "unpack the image: %s",
                     archive_error_string (out));
      if (archive_entry_size (e) > 0 && copy_data (in, out, err) < 0)
        return -1;
      if (archive_write_finish_entry (out) < ARCHIVE_WARN)
        return fail (err, 0, "unpack the image: %s",
                     archive_error_string (out));
    }
  if (archive_write_close (out) < ARCHIVE_WARN)
    return fail (err, 0, "unpack the image: %s", archive_error_string (out));
  return 0;
}

/* Unpack the tar on fd into dir (which exists and is empty) and check that
 * what was read still hashes to `want`. */
static int
unpack_into (int fd, const char *dir, const char *want, mk_error_t *err)
{
  cleanup_archive struct archive *in = archive_read_new ();
  cleanup_archive struct archive *out = disk_writer ();
  cleanup_free struct reader *rd = xcalloc (1, sizeof *rd);
  cleanup_close int here = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *got = NULL;
  int r;

  rd->fd = fd;
  rd->digest = mk_digest_new ("sha256");
  if (in == NULL || here < 0 || rd->digest == NULL)
    return fail (err, errno, "%s", "prepare to unpack the image");
  archive_read_support_format_tar (in);
  archive_read_support_filter_all (in);
  if (archive_read_open (in, rd, NULL, read_hashed, NULL) != ARCHIVE_OK)
    return fail (err, 0, "read the image: %s", archive_error_string (in));
  /* archive_write_disk resolves names against the working directory. */
  if (chdir (dir) < 0)
    return fail (err, errno, "chdir `%s`", dir);
  r = unpack_entries (in, out, err);
  if (fchdir (here) < 0 && r == 0)
    r = fail (err, errno, "%s", "return to the working directory");
  if (r < 0)
    return -1;
  /* libarchive stops at the end-of-archive blocks; hash the rest too. */
  while (read_hashed (in, rd, &(const void *){ NULL }) > 0)
    ;
  got = mk_digest_finish (steal_pointer (&rd->digest));
  if (strcmp (got, want) != 0)
    return fail (err, 0, "the image `%s` changed while it was unpacked",
                 want);
  return 0;
}

static int
unpack_cached (int fd, const char *images, const char *hex,
               const char *final, mk_error_t *err)
{
  cleanup_free char *tmp = xasprintf ("%s/.tmp-%.12s-XXXXXX", images, hex);
  int r;

  if (mkdtemp (tmp) == NULL)
    return fail (err, errno, "create a directory in `%s`", images);
  mk_info ("unpacking the image into %s", final);
  r = lseek (fd, 0, SEEK_SET) < 0 ? fail (err, errno, "%s", "seek")
                                  : unpack_into (fd, tmp, hex, err);
  if (r == 0 && rename (tmp, final) < 0)
    {
      /* Another runner finished first: use its copy. */
      if (errno != EEXIST && errno != ENOTEMPTY)
        r = fail (err, errno, "rename into `%s`", final);
    }
  else if (r == 0)
    return 0;
  mk_at_rmtree (AT_FDCWD, tmp);
  return r;
}

int
mk_image_import (const char *image, mk_error_t *err)
{
  cleanup_close int fd
      = TEMP_FAILURE_RETRY (open (image, O_RDONLY | O_CLOEXEC));
  cleanup_free char *images = NULL, *hex = NULL, *final = NULL;
  cleanup_free char *key = NULL;
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0)
    return fail (err, errno, "image `%s`", image);
  if (mk_image_cache_dir (&images, err) < 0)
    return -1;
  key = mk_image_stat_key (images, &st);
  hex = mk_image_known_digest (key);
  if (hex == NULL && mk_digest_fd (fd, "sha256", &hex, err, image) < 0)
    {
      (*err)->exit_code = MK_EXIT_RUNNER;
      return -1;
    }
  final = xasprintf ("%s/%s", images, hex);
  if (lstat (final, &st) < 0 || !S_ISDIR (st.st_mode))
    if (unpack_cached (fd, images, hex, final, err) < 0)
      return -1;
  /* Best effort: without the entry the next run only hashes again. */
  if (symlink (hex, key) < 0 && errno == EEXIST)
    {
      unlink (key);
      if (symlink (hex, key) < 0)
        mk_debug ("cannot record `%s`: %s", key, strerror (errno));
    }
  return 0;
}
