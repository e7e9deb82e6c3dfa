/* listing.h: an image tar read back as a sorted list of entries, for
 * `mkbase inspect` and `mkbase diff`. */
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
static inline void
cleanup_listingp (struct mk_listing **l)
{
  mk_listing_free (*l);
}
#define cleanup_listing __attribute__ ((cleanup (cleanup_listingp)))

#endif
