/* listing.h: an image tar read back as a sorted list of entries, for
 * `mkbase inspect`, `mkbase diff` and `mkbase verify`. */
#ifndef MK_LISTING_H
#define MK_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct mk_listing_entry
{
  char *path;     /* "/", "/usr/bin/bash": absolute, no trailing slash */
  mode_t mode;    /* type and permission bits */
  uint64_t size;  /* content bytes stored in the tar (0 for a hardlink) */
  uid_t uid;
  gid_t gid;
  char *linkto;   /* symlink target, or the first name of a hardlink */
  bool hardlink;
  char *sha256;   /* of the content, when asked for and a regular file */
  uint64_t rdev;  /* device number of a device node */
  unsigned char *caps; /* the security.capability xattr, NULL when none */
  size_t caps_len;
  size_t order;   /* position in the tar: among entries with the same path,
                   * sorted first to last, the last one is what extracting
                   * the tar leaves behind */
};

struct mk_listing
{
  struct mk_listing_entry *v; /* sorted by path, bytewise */
  size_t n;
};

/* Read every entry of the tar at path (compressed or not).  With digests,
 * each regular file's content is hashed. */
int mk_listing_read (const char *path, bool digests, struct mk_listing **out,
                     mk_error_t *err);
void mk_listing_free (struct mk_listing *l);

/* The sha256 of the current entry's data, read to its end, for the other
 * archive readers (compare.c); tar names the archive in errors. */
struct archive;
int mk_listing_data_digest (struct archive *a, const char *tar, char **hex,
                            mk_error_t *err);

/* A file to copy out of the tar while it is listed: the regular file whose
 * name is exactly path ("/etc/passwd"; no link is followed) goes to fd,
 * at most max bytes (more is an error).  found says whether it was there;
 * with the same path twice, fd holds the last one. */
struct mk_listing_extract
{
  const char *path;
  int fd;
  uint64_t max;
  bool found;
};

/* mk_listing_read (without digests) on an open tar, read from offset 0;
 * name is for messages.  Copies the nx files of x out as it goes. */
int mk_listing_read_fd (int fd, const char *name,
                        struct mk_listing_extract *x, size_t nx,
                        struct mk_listing **out, mk_error_t *err);

/* Read the tar at fd again from offset 0 and hand the content of every
 * regular, non-hardlink entry l->v[i] with want[i] set to cb, block by
 * block, then once with len 0 to end it.  Fails when the tar no longer
 * matches l.  cb returns <0 to stop with its error. */
typedef int (*mk_listing_content_cb) (void *ctx, size_t i, const void *buf,
                                      size_t len, mk_error_t *err);
int mk_listing_contents_fd (int fd, const char *name,
                            const struct mk_listing *l, const bool *want,
                            mk_listing_content_cb cb, void *ctx,
                            mk_error_t *err);
/* A regular file of an uncompressed tar and where its bytes lie in it,
 * so they can be read in place with pread: push.c sends an oci-archive's
 * blobs this way instead of extracting them first. */
struct mk_listing_member
{
  char *name;      /* as stored, without a leading "./" */
  uint64_t offset; /* of the first content byte in the tar */
  uint64_t size;
};

/* The regular files of the tar at fd (read from offset 0), in tar order.
 * A compressed tar, or a member not stored in one piece (sparse), is an
 * error: its bytes are not in the file as they are. */
int mk_listing_members_fd (int fd, const char *name,
                           struct mk_listing_member **out, size_t *n_out,
                           mk_error_t *err);
void mk_listing_members_free (struct mk_listing_member *m, size_t n);

static inline void
cleanup_listingp (struct mk_listing **l)
{
  mk_listing_free (*l);
}
#define cleanup_listing __attribute__ ((cleanup (cleanup_listingp)))

#endif
