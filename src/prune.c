/* prune.c: the profile's prune rules, applied to the manifest.
 *
 * Rules: %doc / %license file flags, a %lang keep list, and path globs.  A
 * glob with a '/' matches the whole path and its '*' crosses directories
 * (`/usr/share/doc/` followed by `*` takes everything below doc, not doc itself); a glob
 * without '/' matches the file name anywhere (`*.log`).  `keep` globs are
 * exceptions to every removal.  The recipe's own `remove`/`keep` lines
 * outrank the profile's (matching_rule).  A directory goes only when a rule matches
 * it and nothing below it stays, so pruning never leaves a kept file
 * without its parent.

The staging tree on disk is left as it is: a pruned entry is marked
`removed` in the manifest, and everything after pruning reads the tree
through the manifest's entries that stay (pack.c writes the tar from
mk_tree_sorted, the image check reads only kept files), while the whole
tree is removed when the build ends.  Unlinking the pruned files one by
one cost a syscall pair per entry and, on a disk whose blocks were
already allocated, about a millisecond each; the removal at the end does
the same work once.  So a tree kept with --keep-staging still has the
pruned files.  libc only. */
#define _GNU_SOURCE
#include "prune.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "rpm.h"
#include "util.h"

/* One counter per rule (struct mk_prune_rule_stat), the three flag rules
 * first. */
enum
{
  FLAG_DOCS,
  FLAG_LICENSES,
  FLAG_LANGS,
  N_FLAG_RULES
};

static bool
glob_match (const char *glob, const char *path)
{
  const char *base = strrchr (path, '/');
  if (strchr (glob, '/'))
    return fnmatch (glob, path, 0) == 0;
  return fnmatch (glob, base ? base + 1 : path, 0) == 0;
}

static bool
lang_kept (const struct mk_profile *p, const char *lang)
{
  if (p->keep_langs == NULL || lang == NULL || *lang == '\0')
    return true;
  return mk_strv_contains (p->keep_langs, lang);
}

/* Index of the first glob rule of this kind and origin matching path, or
 * -1. */
static long
glob_rule (const struct mk_profile *p, enum mk_prune_kind kind,
           bool from_recipe, const char *path)
{
  for (size_t i = 0; i < p->n_rules; i++)
    if (p->rules[i].kind == kind && p->rules[i].from_recipe == from_recipe
        && glob_match (p->rules[i].glob, path))
      return (long) i;
  return -1;
}

/* What the profile alone does with e: the counter of the rule that
 * removes it, or -1; *keep is the profile `keep` that spares it. */
static long
profile_removal (const struct mk_profile *p, const struct mk_entry *e,
                 long *keep)
{
  long i;
  *keep = -1;
  if (p->drop_docs && (e->flags & MK_RPMF_DOC)
      && !(e->flags & MK_RPMF_LICENSE))
    i = FLAG_DOCS;
  else if (p->drop_licenses && (e->flags & MK_RPMF_LICENSE))
    i = FLAG_LICENSES;
  else if (!lang_kept (p, e->lang))
    i = FLAG_LANGS;
  else if ((i = glob_rule (p, MK_PRUNE_REMOVE, false, e->path)) >= 0)
    i += N_FLAG_RULES;
  if (i >= 0 && (*keep = glob_rule (p, MK_PRUNE_KEEP, false, e->path)) >= 0)
    return -1;
  return i;
}

/* The counter of the rule that removes e, or -1 when e stays; *spared is
 * the counter of the `keep` that saved it from a removal, or -1.  The
 * recipe's rules outrank the profile's: its `keep` spares what any rule
 * removes, its `remove` takes what the profile keeps, so that a one-off
 * line in a recipe does what it says whatever the profile holds. */
static long
matching_rule (const struct mk_profile *p, const struct mk_entry *e,
               long *spared)
{
  long rk, rr, pk, removal;

  *spared = -1;
  if (strcmp (e->path, "/") == 0)
    return -1;
  rk = glob_rule (p, MK_PRUNE_KEEP, true, e->path);
  rr = glob_rule (p, MK_PRUNE_REMOVE, true, e->path);
  removal = profile_removal (p, e, &pk);
  if (rk >= 0)
    {
      if (rr >= 0 || removal >= 0 || pk >= 0)
        *spared = N_FLAG_RULES + rk;
      return -1;
    }
  if (rr >= 0)
    return N_FLAG_RULES + rr;
  if (pk >= 0)
    *spared = N_FLAG_RULES + pk;
  return removal;
}

static void
mark_parent (struct mk_tree *t, const char *path)
{
  const char *slash = strrchr (path, '/');
  cleanup_free char *parent = NULL;
  struct mk_entry *e;
  if (slash == NULL || strcmp (path, "/") == 0)
    return;
  parent = slash == path ? xstrdup ("/")
                         : xstrndup (path, (size_t) (slash - path));
  e = mk_tree_lookup (t, parent);
  if (e)
    e->has_child = true;
}

static void
report (const struct mk_profile *p, struct mk_prune_rule_stat *rs, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (rs[i].files)
      mk_info ("prune [%s] %s: %s%" PRIu64 " entries, %" PRIu64 " bytes",
               p->name, rs[i].label, rs[i].spared ? "spared " : "",
               rs[i].files, rs[i].bytes);
}

static void
prune_sorted (struct mk_tree *t, const struct mk_profile *p,
              struct mk_entry **v, size_t n, struct mk_prune_rule_stat *rs,
              struct mk_prune_stats *stats)
{
  /* Deepest first: a directory is judged after everything below it. */
  for (size_t k = n; k-- > 0;)
    {
      struct mk_entry *e = v[k];
      long spared, rule = matching_rule (p, e, &spared);
      bool needed = S_ISDIR (e->mode) && e->has_child;
      if (rule < 0 || needed)
        {
          /* A `keep` counts what it saved: entries some rule removes. */
          if (spared >= 0 && !needed)
            {
              rs[spared].files++;
              rs[spared].bytes += e->size;
            }
          mark_parent (t, e->path);
          continue;
        }
      e->removed = true;
      rs[rule].files++;
      rs[rule].bytes += e->size;
      stats->files++;
      stats->bytes += e->size;
    }
}

int
mk_prune_apply_rules (struct mk_tree *t, int rootfd,
                      const struct mk_profile *p,
                      struct mk_prune_stats *stats,
                      struct mk_prune_rule_stat **rules, size_t *n_rules,
                      mk_error_t *err)
{
  size_t n, nrs = N_FLAG_RULES + p->n_rules;
  cleanup_free struct mk_entry **v = mk_tree_sorted (t, &n);
  struct mk_prune_rule_stat *rs = xcalloc (nrs, sizeof *rs);

  (void) rootfd; /* the tree on disk stays as it is (see the top) */
  (void) err;

  rs[FLAG_DOCS].label = xstrdup ("%doc files");
  rs[FLAG_LICENSES].label = xstrdup ("%license files");
  rs[FLAG_LANGS].label = xstrdup ("%lang not in the keep list");
  /* A `keep` row counts what it spared, not what went.  The recipe's rows
   * say so: `mkbase inspect` shows them beside the profile's. */
  for (size_t i = 0; i < p->n_rules; i++)
    rs[N_FLAG_RULES + i].label
        = xasprintf ("%s%s %s", p->rules[i].from_recipe ? "recipe: " : "",
                     p->rules[i].kind == MK_PRUNE_KEEP ? "keep" : "remove",
                     p->rules[i].glob);
  for (size_t i = 0; i < p->n_rules; i++)
    rs[N_FLAG_RULES + i].spared = p->rules[i].kind == MK_PRUNE_KEEP;
  for (size_t i = 0; i < n; i++)
    v[i]->has_child = false;
  prune_sorted (t, p, v, n, rs, stats);
  report (p, rs, nrs);
  if (rules)
    {
      *rules = steal_pointer (&rs);
      *n_rules = nrs;
    }
  mk_prune_rule_stats_free (rs, nrs);
  return 0;
}

int
mk_prune_apply (struct mk_tree *t, int rootfd, const struct mk_profile *p,
                struct mk_prune_stats *stats, mk_error_t *err)
{
  return mk_prune_apply_rules (t, rootfd, p, stats, NULL, NULL, err);
}

void
mk_prune_rule_stats_free (struct mk_prune_rule_stat *v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    free (v[i].label);
  free (v);
}
