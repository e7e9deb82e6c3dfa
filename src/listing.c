/* listing.c: read an image tar back with libarchive, for `mkbase inspect`
 * and `mkbase diff`.  Both want the same thing from a tar, the entries by
 * path with their type, size and (for diff) a content digest, so the
 * libarchive reading lives here once and the reports stay library-free.
 * Names are normalised to the manifest's form ("./usr/" -> "/usr") so an
 * mkbase tar and one from GNU tar compare alike. */
#define _GNU_SOURCE
#include "listing.h"

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

static int
content_digest (struct archive *a, const char *tar, char **hex,
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
  if (digests && S_ISREG (e->mode) && !hl)
    return content_digest (a, tar, &e->sha256, err);
  return 0;
}

static int
compare_entries (const void *x, const void *y)
{
  return strcmp (((const struct mk_listing_entry *) x)->path,
                 ((const struct mk_listing_entry *) y)->path);
}

static int
read_entries (struct archive *a, const char *path, bool digests,
              struct mk_listing *l, mk_error_t *err)
{
  struct archive_entry *ae;
  int r;
  if (archive_read_open_filename (a, path, READ_BLOCK) != ARCHIVE_OK)
    return mk_make_error (err, 0, "read `%s`: %s", path,
                          archive_error_string (a));
  while ((r = archive_read_next_header (a, &ae)) == ARCHIVE_OK)
    if (add_entry (a, ae, path, digests, l, err) < 0
        || mk_check_interrupt (err) < 0)
      return -1;
  if (r != ARCHIVE_EOF)
    return mk_make_error (err, 0, "read `%s`: %s", path,
                          archive_error_string (a));
  return 0;
}

int
mk_listing_read (const char *path, bool digests, struct mk_listing **out,
                 mk_error_t *err)
{
  struct archive *a = archive_read_new ();
  struct mk_listing *l = xcalloc (1, sizeof *l);
  int r;

  archive_read_support_filter_all (a);
  archive_read_support_format_tar (a);
  r = read_entries (a, path, digests, l, err);
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
    }
  free (l->v);
  free (l);
}
