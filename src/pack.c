/* pack.c: the only writer of archives (libarchive).  Walks the manifest in
 * bytewise path order and writes a pax-restricted tar: plain ustar headers
 * unless a field needs pax (long names, xattrs), numeric owners with empty
 * uname/gname, no atime/ctime, mtimes clamped to SOURCE_DATE_EPOCH with no
 * fractional part, hardlinks as tar hardlinks to the first member in that
 * order, file capabilities as SCHILY.xattr.security.capability.  Nothing
 * depends on the machine, the user or the clock, so the same inputs give
 * the same bytes.  The output is hashed as it is written. */
#define _GNU_SOURCE
#include "pack.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <archive.h>
#include <archive_entry.h>

#include "caps.h"
#include "digest.h"
#include "util.h"

#define COPY_BUF (1 << 17)

/* Where libarchive's output goes.  A plain tar is "teed": each full 1 MiB
 * of the digest's buffer is written to fd while its thread hashes it
 * (mk_digest_new_tee), and file contents
 * are read straight into its buffer (tee_content), never through
 * libarchive; libarchive formats the headers, and the zeros it writes in
 * place of the contents we already wrote are dropped (discard). */
struct sink
{
  int fd;
  const char *path;
  struct mk_digest *digest;
  int errnum;
  bool tee;
  uint64_t discard;
};

static la_ssize_t
sink_write (struct archive *a, void *data, const void *buf, size_t len)
{
  struct sink *s = data;
  const char *p = buf;
  size_t left = len;
  (void) a;
  if (s->discard)
    {
      size_t n = s->discard < left ? (size_t) s->discard : left;
      s->discard -= n;
      p += n;
      left -= n;
    }
  if (s->tee)
    {
      mk_digest_add (s->digest, p, left);
      return (la_ssize_t) len;
    }
  while (left > 0)
    {
      ssize_t n = TEMP_FAILURE_RETRY (write (s->fd, p, left));
      if (n < 0)
        {
          s->errnum = errno;
          archive_set_error (a, errno, "write: %s", strerror (errno));
          return -1;
        }
      p += n;
      left -= (size_t) n;
    }
  mk_digest_add (s->digest, buf, len);
  return (la_ssize_t) len;
}

static int
archive_fail (struct archive *a, struct sink *s, const char *what,
              mk_error_t *err)
{
  if (s->errnum)
    return mk_make_error (err, s->errnum, "write `%s`", s->path);
  return mk_make_error (err, 0, "%s `%s`: %s", what, s->path,
                        archive_error_string (a) ? archive_error_string (a)
                                                 : "libarchive error");
}

/* Pick the compression from the file name; settings are pinned so the
 * bytes do not depend on the libarchive defaults or the CPU count. */
static int
set_filters (struct archive *a, const char *output, mk_error_t *err)
{
  int r = ARCHIVE_OK;
  if (mk_str_has_suffix (output, ".tar.gz") || mk_str_has_suffix (output, ".tgz"))
    {
      r = archive_write_add_filter_gzip (a);
      if (r == ARCHIVE_OK)
        r = archive_write_set_options (a, "gzip:!timestamp,gzip:compression-level=6");
    }
  else if (mk_str_has_suffix (output, ".tar.zst"))
    {
      r = archive_write_add_filter_zstd (a);
      if (r == ARCHIVE_OK)
        r = archive_write_set_options (a, "zstd:compression-level=9");
    }
  else if (mk_str_has_suffix (output, ".tar.xz"))
    {
      r = archive_write_add_filter_xz (a);
      if (r == ARCHIVE_OK)
        r = archive_write_set_options (a, "xz:compression-level=6,xz:threads=1");
    }
  else if (!mk_str_has_suffix (output, ".tar"))
    return mk_make_error_code (err, MK_EXIT_USAGE, 0,
                               "`%s`: the output must end in .tar, .tar.gz, "
                               ".tgz, .tar.zst or .tar.xz", output);
  if (r != ARCHIVE_OK)
    return mk_make_error (err, 0, "`%s`: %s", output, archive_error_string (a));
  return 0;
}

static int
open_content (struct mk_tree *t, int rootfd, const struct mk_entry *e,
              mk_error_t *err)
{
  int fd = mk_tree_open_content (t, rootfd, e);
  struct stat st;

  if (fd < 0)
    return mk_make_error (err, errno, "%s: open `%s`",
                          e->src ? "unpacked content" : "staging", e->path);
  if (fstat (fd, &st) < 0 || (uint64_t) st.st_size != e->size)
    {
      close (fd);
      return mk_make_error (err, 0, "staging: `%s` changed size while "
                            "packing", e->path);
    }
  return fd;
}

/* A plain tar's file content: read into the digest's buffer (the tee
 * writes it), padded to the 512-byte record, and libarchive's own
 * padding for the entry dropped.  Reading is the one copy the hash needs
 * anyway: copy_file_range would move the bytes in the kernel, but they
 * would then have to be read again to be hashed. */
static int
tee_content (struct archive *a, struct sink *s, int fd,
             const struct mk_entry *e, mk_error_t *err)
{
  static const char zeros[512];
  uint64_t left = e->size;
  size_t pad = (size_t) ((512 - e->size % 512) % 512);

  while (left > 0)
    {
      size_t room;
      char *p = mk_digest_room (s->digest, &room);
      ssize_t n = TEMP_FAILURE_RETRY (
          read (fd, p, left < room ? (size_t) left : room));
      if (n <= 0)
        return mk_make_error (err, n < 0 ? errno : EIO, "read `%s`",
                              e->path);
      mk_digest_added (s->digest, (size_t) n);
      left -= (uint64_t) n;
    }
  mk_digest_add (s->digest, zeros, pad);
  s->discard = e->size + pad;
  if (archive_write_finish_entry (a) != ARCHIVE_OK)
    return archive_fail (a, s, "write", err);
  if (s->discard != 0)
    return mk_make_error (err, 0, "write `%s`: libarchive padded `%s` "
                          "unexpectedly", s->path, e->path);
  return 0;
}

static int
copy_content (struct archive *a, struct sink *s, struct mk_tree *t,
              int rootfd, const struct mk_entry *e, mk_error_t *err)
{
  cleanup_close int fd = open_content (t, rootfd, e, err);
  cleanup_free char *buf = NULL;
  uint64_t left = e->size;

  if (fd < 0)
    return -1;
  if (s->tee)
    return tee_content (a, s, fd, e, err);
  buf = xmalloc (COPY_BUF);
  while (left > 0)
    {
      ssize_t n = TEMP_FAILURE_RETRY (
          read (fd, buf, left < COPY_BUF ? (size_t) left : COPY_BUF));
      if (n <= 0)
        return mk_make_error (err, n < 0 ? errno : EIO, "staging: read `%s`",
                              e->path);
      if (archive_write_data (a, buf, (size_t) n) != n)
        return archive_fail (a, s, "write", err);
      left -= (uint64_t) n;
    }
  return 0;
}

static char *
tar_name (const char *path)
{
  return strcmp (path, "/") == 0 ? xstrdup ("./") : xasprintf (".%s", path);
}

static int
fill_entry (struct archive_entry *ae, const struct mk_entry *e, int64_t sde,
            const char *hardlink, mk_error_t *err)
{
  cleanup_free char *name = tar_name (e->path);
  int64_t mtime = e->mtime < 0 || e->mtime > sde ? sde : e->mtime;
  /* Test-only (tests/integration/repro.sh): MKBASE_TEST_NONDETERMINISM=
   * mtime:/PATH gives that entry the process id as mtime, a difference
   * `--check-repro` must catch and name. */
  const char *nd = getenv ("MKBASE_TEST_NONDETERMINISM");
  if (nd && mk_str_has_prefix (nd, "mtime:") && strcmp (nd + 6, e->path) == 0)
    mtime = getpid ();

  archive_entry_copy_pathname (ae, name);
  archive_entry_set_mode (ae, e->mode);
  archive_entry_set_uid (ae, e->uid);
  archive_entry_set_gid (ae, e->gid);
  archive_entry_set_mtime (ae, mtime, 0);
  archive_entry_set_nlink (ae, 1);
  if (hardlink)
    {
      cleanup_free char *target = tar_name (hardlink);
      archive_entry_copy_hardlink (ae, target);
      archive_entry_set_size (ae, 0);
    }
  else if (S_ISREG (e->mode))
    archive_entry_set_size (ae, (la_int64_t) e->size);
  else if (S_ISLNK (e->mode))
    archive_entry_copy_symlink (ae, e->linkto);
  else if (S_ISCHR (e->mode) || S_ISBLK (e->mode))
    {
      archive_entry_set_rdevmajor (ae, major ((dev_t) e->rdev));
      archive_entry_set_rdevminor (ae, minor ((dev_t) e->rdev));
    }
  if (e->caps && S_ISREG (e->mode))
    {
      unsigned char blob[20];
      size_t len;
      if (mk_caps_to_xattr (e->caps, blob, &len, err) < 0)
        return mk_error_wrap (err, "%s", e->path);
      if (len)
        archive_entry_xattr_add_entry (ae, "security.capability", blob, len);
    }
  return 0;
}

static int
fill_pending (struct mk_entry *e, const struct mk_pack_fill *fill,
              mk_error_t *err)
{
  if (fill == NULL)
    return mk_make_error (err, 0, "`%s`: content never made", e->path);
  if (fill->fn (e, fill->arg, err) < 0)
    return -1;
  if (e->flags & MK_ENTRY_PENDING)
    return mk_make_error (err, 0, "`%s`: content never made", e->path);
  return 0;
}

/* An OCI whiteout (docs/layers.md): an empty file that removes its
 * namesake from the layers below. */
static int
write_whiteout (struct archive *a, struct sink *s, struct archive_entry *ae,
                const char *path, int64_t sde, mk_error_t *err)
{
  cleanup_free char *name = tar_name (path);
  archive_entry_clear (ae);
  archive_entry_copy_pathname (ae, name);
  archive_entry_set_mode (ae, S_IFREG | 0644);
  archive_entry_set_mtime (ae, sde, 0);
  archive_entry_set_nlink (ae, 1);
  archive_entry_set_size (ae, 0);
  if (archive_write_header (a, ae) != ARCHIVE_OK)
    return archive_fail (a, s, "write", err);
  return 0;
}

/* Which entries a tar holds: all, or one layer's (layers.h). */
struct selection
{
  uint64_t bit;            /* 0: every entry */
  char *const *whiteouts;  /* sorted, merged in path order */
};

static int
write_entries (struct archive *a, struct sink *s, struct mk_tree *t,
               int rootfd, int64_t sde, const struct mk_pack_fill *fill,
               const struct selection *sel, struct mk_pack_result *res,
               mk_error_t *err)
{
  size_t n;
  cleanup_free struct mk_entry **v = mk_tree_sorted (t, &n);
  cleanup_free const char **first = xcalloc ((size_t) t->next_inode + 1,
                                             sizeof (char *));
  struct archive_entry *ae = archive_entry_new ();
  char *const *wh = sel->whiteouts;
  int r = -1;

  for (size_t i = 0; i <= n; i++)
    {
      struct mk_entry *e = i < n ? v[i] : NULL;
      const char *hardlink = NULL;
      for (; wh && *wh && (e == NULL || strcmp (*wh, e->path) < 0); wh++)
        {
          if (write_whiteout (a, s, ae, *wh, sde, err) < 0)
            goto done;
          res->entries++;
        }
      if (e == NULL)
        break;
      if (sel->bit && !(e->layers & sel->bit))
        continue;
      if (mk_check_interrupt (err) < 0)
        goto done;
      mk_progress ("pack", i, n);
      if ((e->flags & MK_ENTRY_PENDING) && fill_pending (e, fill, err) < 0)
        goto done;
      if (e->inode && S_ISREG (e->mode))
        {
          if (first[e->inode])
            hardlink = first[e->inode];
          else
            first[e->inode] = e->path;
        }
      archive_entry_clear (ae);
      if (fill_entry (ae, e, sde, hardlink, err) < 0)
        goto done;
      if (archive_write_header (a, ae) != ARCHIVE_OK)
        {
          archive_fail (a, s, "write", err);
          goto done;
        }
      if (S_ISREG (e->mode) && hardlink == NULL && e->size > 0)
        {
          if (copy_content (a, s, t, rootfd, e, err) < 0)
            goto done;
          res->bytes += e->size;
        }
      res->entries++;
    }
  mk_progress_done ("pack", n);
  r = 0;
done:
  archive_entry_free (ae);
  return r;
}

static struct archive *
open_archive (const char *output, struct sink *s, mk_error_t *err)
{
  struct archive *a = archive_write_new ();
  if (archive_write_set_format_pax_restricted (a) != ARCHIVE_OK
      || archive_write_set_options (a, "pax:xattrheader=SCHILY") != ARCHIVE_OK
      || set_filters (a, output, err) < 0)
    {
      if (*err == NULL)
        mk_make_error (err, 0, "`%s`: %s", output, archive_error_string (a));
      archive_write_free (a);
      return NULL;
    }
  /* No padding to 10240-byte records after the end-of-archive blocks:
   * gzip, xz and zstd treat zeros after their stream as garbage, and
   * without it a compressed output decompresses to exactly the bytes of
   * the plain .tar (so its sha256 is the layer's diff_id). */
  archive_write_set_bytes_per_block (a, s->tee ? 0 : 10240);
  archive_write_set_bytes_in_last_block (a, 1);
  if (archive_write_open2 (a, s, NULL, sink_write, NULL, NULL) != ARCHIVE_OK)
    {
      archive_fail (a, s, "open", err);
      archive_write_free (a);
      return NULL;
    }
  return a;
}

static int
pack_write (struct mk_tree *t, int rootfd, const char *output, int64_t sde,
            const struct mk_pack_fill *fill, const struct selection *sel,
            struct mk_pack_result *res, mk_error_t *err)
{
  cleanup_free char *tmp = NULL;
  struct sink s = { .path = output };
  struct archive *a;
  int fd;

  fd = mk_atomic_open (output, &tmp, err);
  if (fd < 0)
    return -1;
  s.fd = fd;
  s.tee = mk_str_has_suffix (output, ".tar");
  s.digest = s.tee ? mk_digest_new_tee ("sha256", fd)
                   : mk_digest_new_async ("sha256");
  a = open_archive (output, &s, err);
  if (a == NULL
      || write_entries (a, &s, t, rootfd, sde, fill, sel, res, err) < 0)
    goto fail;
  if (archive_write_close (a) != ARCHIVE_OK)
    {
      archive_fail (a, &s, "close", err);
      goto fail;
    }
  archive_write_free (a);
  a = NULL;
  if ((s.errnum = mk_digest_end_tee (s.digest)) != 0)
    {
      mk_make_error (err, s.errnum, "write `%s`", output);
      goto fail;
    }
  res->sha256 = mk_digest_finish (s.digest);
  s.digest = NULL;
  return mk_atomic_commit (fd, tmp, output, err);
fail:
  if (a)
    archive_write_free (a);
  mk_digest_free (s.digest);
  mk_atomic_abort (fd, tmp);
  return -1;
}

int
mk_pack_write (struct mk_tree *t, int rootfd, const char *output,
               int64_t sde, const struct mk_pack_fill *fill,
               struct mk_pack_result *res, mk_error_t *err)
{
  return pack_write (t, rootfd, output, sde, fill, &(struct selection){ 0 },
                     res, err);
}

int
mk_pack_write_layer (struct mk_tree *t, int rootfd, const char *output,
                     int64_t sde, unsigned layer, char *const *whiteouts,
                     struct mk_pack_result *res, mk_error_t *err)
{
  struct selection sel = { .bit = 1ULL << layer, .whiteouts = whiteouts };
  return pack_write (t, rootfd, output, sde, NULL, &sel, res, err);
}
