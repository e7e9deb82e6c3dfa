/* pack.h: the deterministic numeric-owner tar. */
#ifndef MK_PACK_H
#define MK_PACK_H

#include <stdint.h>

#include "error.h"
#include "tree.h"

struct mk_pack_result
{
  char *sha256;      /* of the output file */
  uint64_t entries;
  uint64_t bytes;    /* regular-file content */
};

/* Gives a MK_ENTRY_PENDING entry its content and size in the staging
 * tree, just before its tar header is written. */
struct mk_pack_fill
{
  int (*fn) (struct mk_entry *e, void *arg, mk_error_t *err);
  void *arg;
};

/* Write the manifest as a tar to `output` (atomically: temp name, fsync,
 * rename).  .tar.gz/.tgz, .tar.zst and .tar.xz compress with pinned,
 * timestamp-free settings.  mtimes are clamped to sde.  fill may be NULL
 * when no entry is pending. */
int mk_pack_write (struct mk_tree *t, int rootfd, const char *output,
                   int64_t sde, const struct mk_pack_fill *fill,
                   struct mk_pack_result *res, mk_error_t *err);

/* One layer of a layered image (layers.h): the entries whose `layers` has
 * bit `layer`, and the whiteouts (sorted absolute paths), to `output` as
 * mk_pack_write does.  Pending entries must have been filled (by the
 * image's own tar, written first). */
int mk_pack_write_layer (struct mk_tree *t, int rootfd, const char *output,
                         int64_t sde, unsigned layer, char *const *whiteouts,
                         struct mk_pack_result *res, mk_error_t *err);

#endif
