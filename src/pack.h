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

/* Write the manifest as a tar to `output` (atomically: temp name, fsync,
 * rename).  .tar.gz/.tgz, .tar.zst and .tar.xz compress with pinned,
 * timestamp-free settings.  mtimes are clamped to sde. */
int mk_pack_write (struct mk_tree *t, int rootfd, const char *output,
                   int64_t sde, struct mk_pack_result *res, mk_error_t *err);

#endif
