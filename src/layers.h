/* layers.h: which layer of an image carries which entry (docs/layers.md).
 * The plan covers the layers above a base image's: the entries the base
 * does not already have as they are, spread over at most `n` layers by
 * package, and the whiteouts for the base's paths the image no longer
 * has. */
#ifndef MK_LAYERS_H
#define MK_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "tree.h"

struct mk_layer
{
  char *comment;     /* the config's history: "bash", "12 packages", ... */
  char **whiteouts;  /* absolute paths of .wh. entries, sorted */
};

struct mk_layer_plan
{
  struct mk_layer *layers; /* bottom first; empty layers are left out */
  size_t n;
};

/* The image whose layers lie under the plan's, as it was built. */
struct mk_layer_base
{
  struct mk_tree *tree;
  int64_t sde;
  const char *recipe; /* for messages */
};

/* Plan the layers of tree t (the whole image, pruned; sde its
 * SOURCE_DATE_EPOCH) above `base` (NULL: none) in at most n layers, and
 * mark every entry's `layers` bits.  A package that changes a file the
 * base has fails with MK_EXIT_SOLVE, naming the package and the path. */
int mk_layers_plan (struct mk_tree *t, int64_t sde,
                    const struct mk_layer_base *base, int n,
                    struct mk_layer_plan *out, mk_error_t *err);
void mk_layer_plan_clear (struct mk_layer_plan *p);

/* The package name of a NEVRA ("name-[e:]v-r.arch" -> "name"). */
char *mk_layers_pkg_name (const char *nevra);

#endif
