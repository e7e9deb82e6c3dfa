/* layers.c: the layer plan (docs/layers.md).  Every entry of the image
 * goes in exactly one layer, the one of the package that owns it; what no
 * package owns as it is (implied directories, the package database, what
 * scriptlets made or changed) goes in the last.  A layer carries no copy
 * of a directory it does not own: a runtime makes a missing parent, and
 * the owner's layer sets its metadata.  So a layer's bytes depend on its
 * own packages only, and updating one package changes its layer and the
 * last one, nothing else.
 *
 * Which packages get a layer of their own: the biggest, ranked by the
 * power of two of the bytes they bring (then by name), so a package moves
 * only when its own size doubles or halves, or another crosses into the
 * ranks above it; a package update rarely does either.  The rest share a
 * few layers, each package in the one its name hashes to. */
#define _GNU_SOURCE
#include "layers.h"

#include <string.h>
#include <sys/stat.h>

#include "rpm.h"
#include "util.h"

#define MADE (MK_ENTRY_SCRIPTED | MK_ENTRY_PENDING)

char *
mk_layers_pkg_name (const char *nevra)
{
  const char *r = strrchr (nevra, '-');
  const char *v = NULL;
  for (const char *p = nevra; r && p < r; p++)
    if (*p == '-')
      v = p;
  return v ? xstrndup (nevra, (size_t) (v - nevra)) : xstrdup (nevra);
}

static bool
generated (const struct mk_entry *e)
{
  return e->pkg < 0 || (e->flags & (MADE | MK_ENTRY_IMPLIED));
}

static int64_t
clamped (int64_t mtime, int64_t sde)
{
  return mtime < 0 || mtime > sde ? sde : mtime;
}

static bool
same_str (const char *a, const char *b)
{
  return a == b || (a && b && strcmp (a, b) == 0);
}

/* Does writing e over the base's entry b leave the path as it was? */
static bool
same_entry (const struct mk_entry *e, int64_t sde, const struct mk_entry *b,
            int64_t bsde)
{
  if ((e->flags | b->flags) & MADE)
    return false;
  if (e->mode != b->mode || e->uid != b->uid || e->gid != b->gid
      || clamped (e->mtime, sde) != clamped (b->mtime, bsde))
    return false;
  if (S_ISREG (e->mode))
    return e->size == b->size && same_str (e->digest, b->digest)
           && same_str (e->caps, b->caps);
  if (S_ISLNK (e->mode))
    return same_str (e->linkto, b->linkto);
  if (S_ISCHR (e->mode) || S_ISBLK (e->mode))
    return e->rdev == b->rdev;
  return true;
}

/* The same kind of file with the same content: only metadata (an mtime
 * a shared file takes from its last package, a directory's mode) may
 * differ, which the layer above may set again. */
static bool
same_content (const struct mk_entry *e, const struct mk_entry *b)
{
  if ((e->mode & S_IFMT) != (b->mode & S_IFMT))
    return false;
  if (S_ISREG (e->mode))
    return e->size == b->size && same_str (e->digest, b->digest);
  if (S_ISLNK (e->mode))
    return same_str (e->linkto, b->linkto);
  return true;
}

static const struct mk_entry *
base_entry (const struct mk_layer_base *base, const char *path)
{
  const struct mk_entry *b = mk_tree_lookup (base->tree, path);
  return b && !b->removed && !(b->flags & MK_RPMF_GHOST) ? b : NULL;
}

/* Mark what the base already has as it is (layers = 0) and the rest as
 * new (layers = 1).  A package's file whose type or content differs from
 * the base's is an error; new metadata alone is not. */
static int
diff_base (struct mk_tree *t, struct mk_entry **v, size_t n, int64_t sde,
           const struct mk_layer_base *base, mk_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      struct mk_entry *e = v[i];
      const struct mk_entry *b = base ? base_entry (base, e->path) : NULL;
      e->layers = 1;
      if (b == NULL)
        continue;
      if (same_entry (e, sde, b, base->sde))
        {
          e->layers = 0;
          continue;
        }
      if (generated (e) || same_content (e, b))
        continue;
      {
        cleanup_free char *name = mk_layers_pkg_name (t->pkgs[e->pkg]);
        return mk_make_error_code (err, MK_EXIT_SOLVE, 0,
                                   "%s would change %s of the base image "
                                   "(%s): a package of a layered image may "
                                   "only add to its base", name, e->path,
                                   base->recipe);
      }
    }
  return 0;
}

/* The topmost paths of the base that the image no longer has. */
static char **
base_whiteouts (struct mk_tree *t, const struct mk_layer_base *base)
{
  size_t n;
  cleanup_free struct mk_entry **v = mk_tree_sorted (base->tree, &n);
  cleanup_free char *gone = NULL; /* "/dir/" of the last whited-out dir */
  char **out = NULL;

  for (size_t i = 0; i < n; i++)
    {
      const struct mk_entry *e = mk_tree_lookup (t, v[i]->path);
      const char *slash;
      if (e && !e->removed && !(e->flags & MK_RPMF_GHOST))
        continue;
      if (gone && mk_str_has_prefix (v[i]->path, gone))
        continue;
      slash = strrchr (v[i]->path, '/');
      mk_strv_push (&out, xasprintf ("%.*s/.wh.%s", (int) (slash - v[i]->path),
                                     v[i]->path, slash + 1));
      free (gone);
      gone = S_ISDIR (v[i]->mode) ? xasprintf ("%s/", v[i]->path) : NULL;
    }
  if (out)
    qsort (out, mk_strv_len (out), sizeof *out, mk_compare_strs);
  return out;
}

struct rank
{
  int pkg;
  char *name;
  uint64_t bytes;
  int cls; /* bit length of bytes */
  int layer;
};

static int
compare_ranks (const void *a, const void *b)
{
  const struct rank *x = a, *y = b;
  if (x->cls != y->cls)
    return x->cls > y->cls ? -1 : 1;
  return strcmp (x->name, y->name);
}

/* The packages that bring new entries, biggest first. */
static struct rank *
rank_packages (struct mk_tree *t, struct mk_entry **v, size_t n, size_t *nr)
{
  cleanup_free struct rank *all = xcalloc (t->n_pkgs + 1, sizeof *all);
  cleanup_free bool *seen = xcalloc (t->n_pkgs + 1, sizeof *seen);
  struct rank *r;
  size_t k = 0;

  for (size_t i = 0; i < n; i++)
    if (v[i]->layers && !generated (v[i]))
      {
        seen[v[i]->pkg] = true;
        if (S_ISREG (v[i]->mode))
          all[v[i]->pkg].bytes += v[i]->size;
      }
  r = xcalloc (t->n_pkgs + 1, sizeof *r);
  for (size_t p = 0; p < t->n_pkgs; p++)
    if (seen[p])
      {
        uint64_t b = all[p].bytes;
        r[k] = (struct rank){ .pkg = (int) p, .bytes = b,
                              .name = mk_layers_pkg_name (t->pkgs[p]) };
        while (b)
          r[k].cls++, b >>= 1;
        k++;
      }
  qsort (r, k, sizeof *r, compare_ranks);
  *nr = k;
  return r;
}

static void
add_layer (struct mk_layer_plan *p, char *comment)
{
  p->layers = xreallocarray (p->layers, p->n + 1, sizeof *p->layers);
  p->layers[p->n++] = (struct mk_layer){ .comment = comment };
}

/* A package's group among the rest: its name's FNV-1a hash, so it never
 * depends on the other packages. */
static size_t
group_of (const char *name, size_t groups)
{
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *) name; *p; p++)
    h = (h ^ *p) * 16777619u;
  return h % groups;
}

/* Give each ranked package its layer index and name the layers: the
 * biggest their own, the rest in groups (a third of the layers when
 * there are six or more to fill, else one). */
static int *
assign_layers (struct mk_layer_plan *p, struct rank *r, size_t nr,
               size_t n_pkgs, int n, bool has_gen)
{
  int *of_pkg = xcalloc (n_pkgs + 1, sizeof *of_pkg);
  size_t avail = (size_t) (n - (has_gen && n > 1 ? 1 : 0));
  size_t groups = nr <= avail ? 0 : avail >= 6 ? avail / 3 : 1;
  size_t own = nr <= avail ? nr : avail - groups;
  cleanup_free size_t *members = xcalloc (groups + 1, sizeof *members);
  cleanup_free int *index = xcalloc (groups + 1, sizeof *index);

  for (size_t i = 0; i < own; i++)
    {
      add_layer (p, xstrdup (r[i].name));
      of_pkg[r[i].pkg] = (int) i;
    }
  for (size_t i = own; i < nr; i++)
    members[group_of (r[i].name, groups)]++;
  for (size_t g = 0; g < groups; g++)
    if (members[g])
      {
        index[g] = (int) p->n;
        add_layer (p, xasprintf ("%zu packages", members[g]));
      }
  for (size_t i = own; i < nr; i++)
    of_pkg[r[i].pkg] = index[group_of (r[i].name, groups)];
  return of_pkg;
}

int
mk_layers_plan (struct mk_tree *t, int64_t sde,
                const struct mk_layer_base *base, int n,
                struct mk_layer_plan *out, mk_error_t *err)
{
  size_t nv, nr;
  cleanup_free struct mk_entry **v = mk_tree_sorted (t, &nv);
  cleanup_free int *of_pkg = NULL;
  struct mk_layer_plan p = { 0 };
  struct rank *r;
  bool has_gen = false;
  int gen_layer;

  for (size_t i = 0; i < t->n; i++)
    t->entries[i]->layers = 0;
  if (n < 1)
    n = 1;
  if (diff_base (t, v, nv, sde, base, err) < 0)
    return -1;
  for (size_t i = 0; i < nv; i++)
    has_gen |= v[i]->layers && generated (v[i]);
  r = rank_packages (t, v, nv, &nr);
  of_pkg = assign_layers (&p, r, nr, t->n_pkgs, n, has_gen);
  for (size_t i = 0; i < nr; i++)
    free (r[i].name);
  free (r);
  /* One layer in all: the generated entries share it. */
  gen_layer = (int) p.n;
  if (has_gen && n > 1)
    add_layer (&p, xstrdup ("package database and generated files"));
  else if (p.n == 0 && has_gen)
    add_layer (&p, xstrdup ("generated files"));
  else if (has_gen)
    gen_layer = (int) p.n - 1;
  for (size_t i = 0; i < nv; i++)
    if (v[i]->layers)
      v[i]->layers = 1ULL << (generated (v[i]) ? gen_layer
                                               : of_pkg[v[i]->pkg]);
  if (base)
    {
      char **wh = base_whiteouts (t, base);
      if (wh && p.n == 0)
        add_layer (&p, xstrdup ("removals"));
      if (wh)
        p.layers[0].whiteouts = wh;
    }
  *out = p;
  return 0;
}

void
mk_layer_plan_clear (struct mk_layer_plan *p)
{
  for (size_t i = 0; i < p->n; i++)
    {
      free (p->layers[i].comment);
      mk_strv_free (p->layers[i].whiteouts);
    }
  free (p->layers);
  *p = (struct mk_layer_plan){ 0 };
}
