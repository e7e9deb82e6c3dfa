/* listing.c: read an image tar back with libarchive, for `mkbase inspect`,
 * `mkbase diff` and `mkbase verify`.  They want the same thing from a tar,
 * the entries by path with their type, size and (for diff) a content
 * digest; verify also copies a few files out (passwd, group, the rpm
 * database) and reads chosen contents in a second pass.  The libarchive
 * reading lives here once and the reports stay library-free.
 * Names are normalised to the manifest's form ("./usr/" -> "/usr") so an
 * mkbase tar and one from GNU tar compare alike. */
#define _GNU_SOURCE
#include "listing.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include "digest.h"
#include "util.h"

#define READ_BLOCK (1 << 16)

/* "./usr/bin/" -> "/usr/bin"; "." and "./" -> "/". */
static char *
normalize_name (const char *name)
{
  size_t len;
  while (name[0] == '.' && name[1] == '/')
    name += 2;
  while (name[0] == '/')
    name++;
  if (strcmp (name, ".") == 0)
    name = "";
  len = strlen (name);
  while (len > 0 && name[len - 1] == '/')
    len--;
  return xasprintf ("/%.*s", (int) len, name);
}

int
mk_listing_data_digest (struct archive *a, const char *tar, char **hex,
                        mk_error_t *err)
{
  struct mk_digest *d = mk_digest_new ("sha256");
  const void *buf;
  size_t len;
  la_int64_t off;
  int r;
  while ((r = archive_read_data_block (a, &buf, &len, &off)) == ARCHIVE_OK)
    mk_digest_add (d, buf, len);
  if (r != ARCHIVE_EOF)
    {
      mk_digest_free (d);
      return mk_make_error (err, 0, "read `%s`: %s", tar,
                            archive_error_string (a));
    }
  *hex = mk_digest_finish (d); /* frees d */
  return 0;
}

static void
read_caps (struct archive_entry *ae, struct mk_listing_entry *e)
{
  const char *name;
  const void *value;
  size_t size;
  archive_entry_xattr_reset (ae);
  while (archive_entry_xattr_next (ae, &name, &value, &size) == ARCHIVE_OK)
    if (strcmp (name, "security.capability") == 0 && value && size)
      {
        free (e->caps);
        e->caps = xmalloc (size);
        memcpy (e->caps, value, size);
        e->caps_len = size;
      }
}

static int
add_entry (struct archive *a, struct archive_entry *ae, const char *tar,
           bool digests, struct mk_listing *l, mk_error_t *err)
{
  struct mk_listing_entry *e;
  const char *hl = archive_entry_hardlink (ae);
  const char *sl = archive_entry_symlink (ae);

  l->v = xreallocarray (l->v, l->n + 1, sizeof *l->v);
  e = &l->v[l->n++];
  memset (e, 0, sizeof *e);
  e->path = normalize_name (archive_entry_pathname (ae));
  e->mode = archive_entry_mode (ae);
  e->size = archive_entry_size_is_set (ae)
                ? (uint64_t) archive_entry_size (ae) : 0;
  e->uid = (uid_t) archive_entry_uid (ae);
  e->gid = (gid_t) archive_entry_gid (ae);
  e->hardlink = hl != NULL;
  if (hl)
    e->linkto = normalize_name (hl);
  else if (sl)
    e->linkto = xstrdup (sl);
  e->order = l->n - 1;
  if (S_ISCHR (e->mode) || S_ISBLK (e->mode))
    e->rdev = (uint64_t) archive_entry_rdev (ae);
  read_caps (ae, e);
  if (digests && S_ISREG (e->mode) && !hl)
    return mk_listing_data_digest (a, tar, &e->sha256, err);
  return 0;
}

/* By path, then in tar order, so the sort does not depend on qsort. */
static int
compare_entries (const void *x, const void *y)
{
  const struct mk_listing_entry *a = x, *b = y;
  int c = strcmp (a->path, b->path);
  if (c)
    return c;
  return a->order < b->order ? -1 : a->order > b->order;
}

static int
archive_error (struct archive *a, const char *name, mk_error_t *err)
{
  const char *why = archive_error_string (a);
  return mk_make_error (err, 0, "read `%s`: %s", name,
                        why ? why : "not a tar archive");
}

/* Copy the current entry's content to x->fd, replacing what an earlier
 * entry of the same name left there. */
static int
extract_entry (struct archive *a, const char *name,
               struct mk_listing_extract *x, mk_error_t *err)
{
  cleanup_free char *buf = xmalloc (READ_BLOCK);
  uint64_t total = 0;
  la_ssize_t n;

  if (ftruncate (x->fd, 0) < 0 || lseek (x->fd, 0, SEEK_SET) < 0)
    return mk_make_error (err, errno, "extract `%s`", x->path);
  while ((n = archive_read_data (a, buf, READ_BLOCK)) > 0)
    {
      total += (uint64_t) n;
      if (total > x->max)
        return mk_make_error (err, EFBIG, "`%s` in `%s`", x->path, name);
      if (mk_write_all (x->fd, buf, (size_t) n, err, x->path) < 0)
        return -1;
    }
  if (n < 0)
    return archive_error (a, name, err);
  x->found = true;
  return 0;
}

static int
read_entries (struct archive *a, const char *name, bool digests,
              struct mk_listing_extract *x, size_t nx, struct mk_listing *l,
              mk_error_t *err)
{
  struct archive_entry *ae;
  int r;
  while ((r = archive_read_next_header (a, &ae)) == ARCHIVE_OK)
    {
      const struct mk_listing_entry *e;
      if (add_entry (a, ae, name, digests, l, err) < 0
          || mk_check_interrupt (err) < 0)
        return -1;
      e = &l->v[l->n - 1];
      for (size_t i = 0; i < nx; i++)
        if (S_ISREG (e->mode) && !e->hardlink
            && strcmp (e->path, x[i].path) == 0
            && extract_entry (a, name, &x[i], err) < 0)
          return -1;
    }
  if (r != ARCHIVE_EOF)
    return archive_error (a, name, err);
  return 0;
}

static struct archive *
reader_new (void)
{
  struct archive *a = archive_read_new ();
  archive_read_support_filter_all (a);
  archive_read_support_format_tar (a);
  return a;
}

static int
read_listing (int fd, const char *name, bool digests,
              struct mk_listing_extract *x, size_t nx,
              struct mk_listing **out, mk_error_t *err)
{
  struct archive *a = reader_new ();
  struct mk_listing *l = xcalloc (1, sizeof *l);
  int r;

  if (lseek (fd, 0, SEEK_SET) < 0)
    r = mk_make_error (err, errno, "read `%s`", name);
  else if (archive_read_open_fd (a, fd, READ_BLOCK) != ARCHIVE_OK)
    r = archive_error (a, name, err);
  else
    r = read_entries (a, name, digests, x, nx, l, err);
  archive_read_free (a);
  if (r < 0)
    {
      mk_listing_free (l);
      return -1;
    }
  qsort (l->v, l->n, sizeof *l->v, compare_entries);
  *out = l;
  return 0;
}

int
mk_listing_read (const char *path, bool digests, struct mk_listing **out,
                 mk_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return mk_make_error (err, errno, "read `%s`", path);
  return read_listing (fd, path, digests, NULL, 0, out, err);
}

int
mk_listing_read_fd (int fd, const char *name, struct mk_listing_extract *x,
                    size_t nx, struct mk_listing **out, mk_error_t *err)
{
  return read_listing (fd, name, false, x, nx, out, err);
}

static int
stream_entry (struct archive *a, const char *name, size_t i,
              mk_listing_content_cb cb, void *ctx, mk_error_t *err)
{
  cleanup_free char *buf = xmalloc (READ_BLOCK);
  la_ssize_t n;
  while ((n = archive_read_data (a, buf, READ_BLOCK)) > 0)
    if (cb (ctx, i, buf, (size_t) n, err) < 0)
      return -1;
  if (n < 0)
    return archive_error (a, name, err);
  return cb (ctx, i, buf, 0, err);
}

static int
read_contents (struct archive *a, const char *name,
               const struct mk_listing *l, const size_t *pos,
               const bool *want, mk_listing_content_cb cb, void *ctx,
               mk_error_t *err)
{
  struct archive_entry *ae;
  size_t k = 0;
  int r;
  while ((r = archive_read_next_header (a, &ae)) == ARCHIVE_OK)
    {
      cleanup_free char *path = normalize_name (archive_entry_pathname (ae));
      size_t i = k < l->n ? pos[k] : 0;
      if (k++ >= l->n || strcmp (path, l->v[i].path) != 0)
        return mk_make_error (err, 0, "`%s` changed while it was read",
                              name);
      if (mk_check_interrupt (err) < 0)
        return -1;
      if (want[i] && S_ISREG (l->v[i].mode) && !l->v[i].hardlink
          && stream_entry (a, name, i, cb, ctx, err) < 0)
        return -1;
    }
  if (r != ARCHIVE_EOF)
    return archive_error (a, name, err);
  if (k != l->n)
    return mk_make_error (err, 0, "`%s` changed while it was read", name);
  return 0;
}

int
mk_listing_contents_fd (int fd, const char *name, const struct mk_listing *l,
                        const bool *want, mk_listing_content_cb cb, void *ctx,
                        mk_error_t *err)
{
  struct archive *a = reader_new ();
  cleanup_free size_t *pos = xcalloc (l->n + 1, sizeof *pos);
  int r;

  for (size_t i = 0; i < l->n; i++)
    if (l->v[i].order < l->n)
      pos[l->v[i].order] = i;
  if (lseek (fd, 0, SEEK_SET) < 0)
    r = mk_make_error (err, errno, "read `%s`", name);
  else if (archive_read_open_fd (a, fd, READ_BLOCK) != ARCHIVE_OK)
    r = archive_error (a, name, err);
  else
    r = read_contents (a, name, l, pos, want, cb, ctx, err);
  archive_read_free (a);
  return r;
}

/* Where the current entry's content starts: the format reader has
 * consumed exactly the header blocks (pax ones too), and with no
 * compression filter the position it reads at is the offset in the file. */
static int
add_member (struct archive *a, struct archive_entry *ae, const char *name,
            struct mk_listing_member **m, size_t *n, mk_error_t *err)
{
  const char *path = archive_entry_pathname (ae);
  la_int64_t pos = archive_filter_bytes (a, 0);

  if (archive_filter_code (a, 0) != ARCHIVE_FILTER_NONE)
    return mk_make_error (err, 0, "`%s` is compressed (%s); decompress it "
                                  "first", name, archive_filter_name (a, 0));
  if (archive_entry_filetype (ae) != AE_IFREG
      || archive_entry_hardlink (ae) != NULL || path == NULL)
    return 0;
  if (archive_entry_sparse_count (ae) > 0 || pos < 0
      || !archive_entry_size_is_set (ae))
    return mk_make_error (err, 0, "`%s`: member `%s` is not stored in one "
                                  "piece", name, path);
  while (path[0] == '.' && path[1] == '/')
    path += 2;
  *m = xreallocarray (*m, *n + 1, sizeof **m);
  (*m)[(*n)++] = (struct mk_listing_member){
    .name = xstrdup (path),
    .offset = (uint64_t) pos,
    .size = (uint64_t) archive_entry_size (ae),
  };
  return 0;
}

int
mk_listing_members_fd (int fd, const char *name,
                       struct mk_listing_member **out, size_t *n_out,
                       mk_error_t *err)
{
  struct archive *a = reader_new ();
  struct archive_entry *ae;
  struct mk_listing_member *m = NULL;
  size_t n = 0;
  int r = 0;

  if (lseek (fd, 0, SEEK_SET) < 0)
    r = mk_make_error (err, errno, "read `%s`", name);
  else if (archive_read_open_fd (a, fd, READ_BLOCK) != ARCHIVE_OK)
    r = archive_error (a, name, err);
  while (r == 0)
    {
      int ar = archive_read_next_header (a, &ae);
      if (ar == ARCHIVE_EOF)
        break;
      if (ar != ARCHIVE_OK)
        r = archive_error (a, name, err);
      else if (add_member (a, ae, name, &m, &n, err) < 0)
        r = -1;
      else if (archive_read_data_skip (a) != ARCHIVE_OK)
        r = archive_error (a, name, err);
    }
  archive_read_free (a);
  if (r < 0)
    {
      mk_listing_members_free (m, n);
      return -1;
    }
  *out = m;
  *n_out = n;
  return 0;
}

void
mk_listing_members_free (struct mk_listing_member *m, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (m[i].name);
  free (m);
}

void
mk_listing_free (struct mk_listing *l)
{
  if (l == NULL)
    return;
  for (size_t i = 0; i < l->n; i++)
    {
      free (l->v[i].path);
      free (l->v[i].linkto);
      free (l->v[i].sha256);
      free (l->v[i].caps);
    }
  free (l->v);
  free (l);
}
