/* prune.h: apply a profile's rules to the manifest (entries marked
 * `removed`); the staging tree on disk keeps the pruned files until it is
 * removed with the rest of the tree. */
#ifndef MK_PRUNE_H
#define MK_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "recipe.h"
#include "tree.h"

struct mk_prune_stats
{
  uint64_t files;  /* entries removed (files, links, directories) */
  uint64_t bytes;  /* regular-file bytes removed */
};

/* Remove what the profile says from the manifest, print what each rule
 * removed, and add the totals to *stats.  rootfd is not used (kept for
 * the callers; nothing on disk changes).  Never fails today. */
int mk_prune_apply (struct mk_tree *t, int rootfd,
                    const struct mk_profile *profile,
                    struct mk_prune_stats *stats, mk_error_t *err);

/* What one rule removed.  The flag rules come first (%doc, %license,
 * %lang), then the profile's `remove` globs in order ("remove GLOB"). */
struct mk_prune_rule_stat
{
  char *label;
  bool spared;     /* a keep rule: the counts are what it saved */
  uint64_t files;  /* entries */
  uint64_t bytes;
};

/* mk_prune_apply that also hands out every rule's counters, those that
 * removed nothing included, when rules is not NULL (the caller frees them
 * with mk_prune_rule_stats_free). */
int mk_prune_apply_rules (struct mk_tree *t, int rootfd,
                          const struct mk_profile *p,
                          struct mk_prune_stats *stats,
                          struct mk_prune_rule_stat **rules, size_t *n_rules,
                          mk_error_t *err);
void mk_prune_rule_stats_free (struct mk_prune_rule_stat *v, size_t n);

#endif
