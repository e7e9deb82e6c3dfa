/* prune.h: apply a profile's rules to the manifest and the staging tree. */
#ifndef MK_PRUNE_H
#define MK_PRUNE_H

#include <stdint.h>

#include "error.h"
#include "recipe.h"
#include "tree.h"

struct mk_prune_stats
{
  uint64_t files;  /* entries removed (files, links, directories) */
  uint64_t bytes;  /* regular-file bytes removed */
};

/* Remove what the profile says, print what each rule removed, and add the
 * totals to *stats. */
int mk_prune_apply (struct mk_tree *t, int rootfd,
                    const struct mk_profile *profile,
                    struct mk_prune_stats *stats, mk_error_t *err);

#endif
