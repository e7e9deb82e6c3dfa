/* diff.c: `mkbase diff A.tar B.tar`, for the moment after a recipe
 * change: which packages came and went (from the .packages lists the
 * build keeps next to each image, by name.arch, so an update reads as a
 * version change rather than a removal and an addition) and which files,
 * with their size deltas (from the tars, read by listing.c, content
 * compared by sha256).  Unlike --check-repro's comparison it reports every
 * difference, not the first.  libc only. */
#define _GNU_SOURCE
#include "diff.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "listing.h"
#include "record.h"
#include "util.h"

#define PACKAGES_MAX (16 << 20)

struct pkg_line
{
  char *key;   /* name.arch */
  char *nevra;
  char *sha256;
};

struct pkg_set
{
  struct pkg_line *v;
  size_t n;
  bool present;
};

struct change
{
  char kind;            /* '+', '-', '~' */
  const char *path;     /* borrowed from a listing */
  int64_t delta;        /* bytes */
  uint64_t size;        /* after (added, changed) or before (removed) */
  const char *what;     /* changed: "content", "mode", ... */
};

/* name-[epoch:]version-release.arch -> name.arch */
static char *
pkg_key (const char *nevra)
{
  const char *arch = strrchr (nevra, '.');
  const char *rel, *ver;
  size_t n;
  if (arch == NULL)
    return xstrdup (nevra);
  n = (size_t) (arch - nevra);
  rel = memrchr (nevra, '-', n);
  ver = rel ? memrchr (nevra, '-', (size_t) (rel - nevra)) : NULL;
  if (ver == NULL)
    return xstrdup (nevra);
  return xasprintf ("%.*s%s", (int) (ver - nevra), nevra, arch);
}

static int
by_key (const void *x, const void *y)
{
  return strcmp (((const struct pkg_line *) x)->key,
                 ((const struct pkg_line *) y)->key);
}

static int
read_packages (const char *image, struct pkg_set *s, mk_error_t *err)
{
  cleanup_free char *stem = mk_output_stem (image);
  cleanup_free char *path = xasprintf ("%s.packages", stem);
  cleanup_free char *text = NULL;
  char *save = NULL;
  size_t len;

  if (access (path, F_OK) < 0)
    return 0;
  if (mk_read_file_at (AT_FDCWD, path, PACKAGES_MAX, &text, &len, err) < 0)
    return -1;
  s->present = true;
  for (char *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n",
                                                                 &save))
    {
      char *sp = strchr (l, ' ');
      if (sp)
        *sp = '\0';
      s->v = xreallocarray (s->v, s->n + 1, sizeof *s->v);
      s->v[s->n++] = (struct pkg_line){ .key = pkg_key (l),
                                        .nevra = xstrdup (l),
                                        .sha256 = xstrdup (sp ? sp + 1 : "") };
    }
  qsort (s->v, s->n, sizeof *s->v, by_key);
  return 0;
}

static void
pkg_set_clear (struct pkg_set *s)
{
  for (size_t i = 0; i < s->n; i++)
    {
      free (s->v[i].key);
      free (s->v[i].nevra);
      free (s->v[i].sha256);
    }
  free (s->v);
}

/* ---- packages -------------------------------------------------------------- */

struct pkg_change
{
  char kind;
  const struct pkg_line *a, *b; /* a: before (NULL when added) */
};

static size_t
diff_packages (const struct pkg_set *a, const struct pkg_set *b,
               struct pkg_change **out)
{
  size_t i = 0, j = 0, n = 0;
  struct pkg_change *v = xcalloc (a->n + b->n + 1, sizeof *v);
  while (i < a->n || j < b->n)
    {
      int c = i == a->n   ? 1
              : j == b->n ? -1
                          : strcmp (a->v[i].key, b->v[j].key);
      if (c < 0)
        v[n++] = (struct pkg_change){ '-', &a->v[i++], NULL };
      else if (c > 0)
        v[n++] = (struct pkg_change){ '+', NULL, &b->v[j++] };
      else
        {
          if (strcmp (a->v[i].nevra, b->v[j].nevra) != 0
              || strcmp (a->v[i].sha256, b->v[j].sha256) != 0)
            v[n++] = (struct pkg_change){ '~', &a->v[i], &b->v[j] };
          i++, j++;
        }
    }
  *out = v;
  return n;
}

/* ---- files --------------------------------------------------------------- */

static const char *
what_changed (const struct mk_listing_entry *x,
              const struct mk_listing_entry *y)
{
  if ((x->mode & S_IFMT) != (y->mode & S_IFMT))
    return "type";
  if ((x->linkto || y->linkto)
      && (!x->linkto || !y->linkto || strcmp (x->linkto, y->linkto) != 0))
    return "link";
  if (x->size != y->size
      || (x->sha256 && y->sha256 && strcmp (x->sha256, y->sha256) != 0))
    return "content";
  if (x->mode != y->mode)
    return "mode";
  if (x->uid != y->uid || x->gid != y->gid)
    return "owner";
  return NULL;
}

static size_t
diff_files (const struct mk_listing *a, const struct mk_listing *b,
            struct change **out)
{
  size_t i = 0, j = 0, n = 0;
  struct change *v = xcalloc (a->n + b->n + 1, sizeof *v);
  while (i < a->n || j < b->n)
    {
      int c = i == a->n   ? 1
              : j == b->n ? -1
                          : strcmp (a->v[i].path, b->v[j].path);
      const struct mk_listing_entry *x = i < a->n ? &a->v[i] : NULL;
      const struct mk_listing_entry *y = j < b->n ? &b->v[j] : NULL;
      const char *what;
      if (c < 0)
        v[n++] = (struct change){ '-', x->path, -(int64_t) x->size, x->size,
                                  NULL }, i++;
      else if (c > 0)
        v[n++] = (struct change){ '+', y->path, (int64_t) y->size, y->size,
                                  NULL }, j++;
      else
        {
          if ((what = what_changed (x, y)) != NULL)
            v[n++] = (struct change){ '~', y->path,
                                      (int64_t) y->size - (int64_t) x->size,
                                      y->size, what };
          i++, j++;
        }
    }
  *out = v;
  return n;
}

/* ---- output -------------------------------------------------------------- */

struct diff
{
  const char *a, *b;
  struct pkg_set pa, pb;
  struct mk_listing *la, *lb;
  struct pkg_change *pkgs;
  size_t n_pkgs;
  struct change *files;
  size_t n_files;
  size_t counts[3][2]; /* [+,-,~][pkgs, files] */
  int64_t delta;
};

static int
kind_index (char k)
{
  return k == '+' ? 0 : k == '-' ? 1 : 2;
}

static void
count (struct diff *d)
{
  for (size_t i = 0; i < d->n_pkgs; i++)
    d->counts[kind_index (d->pkgs[i].kind)][0]++;
  for (size_t i = 0; i < d->n_files; i++)
    {
      d->counts[kind_index (d->files[i].kind)][1]++;
      d->delta += d->files[i].delta;
    }
}

static void
print_text (const struct diff *d)
{
  if (!d->pa.present || !d->pb.present)
    printf ("packages: unknown (no .packages file next to %s)\n",
            d->pa.present ? d->b : d->a);
  else
    printf ("packages: %zu added, %zu removed, %zu changed\n",
            d->counts[0][0], d->counts[1][0], d->counts[2][0]);
  for (size_t i = 0; i < d->n_pkgs; i++)
    {
      const struct pkg_change *c = &d->pkgs[i];
      if (c->kind == '~')
        printf ("  ~ %s -> %s\n", c->a->nevra, c->b->nevra);
      else
        printf ("  %c %s\n", c->kind, (c->a ? c->a : c->b)->nevra);
    }
  printf ("files: %zu added, %zu removed, %zu changed; %+" PRId64 " bytes\n",
          d->counts[0][1], d->counts[1][1], d->counts[2][1], d->delta);
  for (size_t i = 0; i < d->n_files; i++)
    {
      const struct change *c = &d->files[i];
      printf ("  %c %-56s %+" PRId64 "%s%s\n", c->kind, c->path, c->delta,
              c->what ? " " : "", c->what ? c->what : "");
    }
}

static void
json_pkgs (const struct diff *d)
{
  fputs (",\n \"packages\": ", stdout);
  if (!d->pa.present || !d->pb.present)
    {
      fputs ("null", stdout);
      return;
    }
  printf ("{\"added\": %zu, \"removed\": %zu, \"changed\": %zu, \"list\": [",
          d->counts[0][0], d->counts[1][0], d->counts[2][0]);
  for (size_t i = 0; i < d->n_pkgs; i++)
    {
      const struct pkg_change *c = &d->pkgs[i];
      printf ("%s\n  {\"change\": \"%s\", \"before\": ", i ? "," : "",
              c->kind == '+' ? "added" : c->kind == '-' ? "removed"
                                                        : "changed");
      if (c->a)
        mk_json_string (stdout, c->a->nevra);
      else
        fputs ("null", stdout);
      fputs (", \"after\": ", stdout);
      if (c->b)
        mk_json_string (stdout, c->b->nevra);
      else
        fputs ("null", stdout);
      fputs ("}", stdout);
    }
  fputs ("]}", stdout);
}

static void
print_json (const struct diff *d)
{
  fputs ("{\"a\": ", stdout);
  mk_json_string (stdout, d->a);
  fputs (", \"b\": ", stdout);
  mk_json_string (stdout, d->b);
  json_pkgs (d);
  printf (",\n \"files\": {\"added\": %zu, \"removed\": %zu, \"changed\": "
          "%zu, \"bytes_delta\": %" PRId64 ", \"list\": [",
          d->counts[0][1], d->counts[1][1], d->counts[2][1], d->delta);
  for (size_t i = 0; i < d->n_files; i++)
    {
      const struct change *c = &d->files[i];
      printf ("%s\n  {\"change\": \"%s\", \"path\": ", i ? "," : "",
              c->kind == '+' ? "added" : c->kind == '-' ? "removed"
                                                        : "changed");
      mk_json_string (stdout, c->path);
      printf (", \"size\": %" PRIu64 ", \"delta\": %" PRId64, c->size,
              c->delta);
      if (c->what)
        printf (", \"what\": \"%s\"", c->what);
      fputs ("}", stdout);
    }
  fputs ("]}}\n", stdout);
}

int
mk_diff (const char *a, const char *b, bool json, mk_error_t *err)
{
  struct diff d = { .a = a, .b = b };
  int r = -1;

  if (read_packages (a, &d.pa, err) < 0 || read_packages (b, &d.pb, err) < 0
      || mk_listing_read (a, true, &d.la, err) < 0
      || mk_listing_read (b, true, &d.lb, err) < 0)
    goto done;
  if (d.pa.present && d.pb.present)
    d.n_pkgs = diff_packages (&d.pa, &d.pb, &d.pkgs);
  d.n_files = diff_files (d.la, d.lb, &d.files);
  count (&d);
  if (json)
    print_json (&d);
  else
    print_text (&d);
  fflush (stdout);
  r = 0;
done:
  pkg_set_clear (&d.pa);
  pkg_set_clear (&d.pb);
  mk_listing_free (d.la);
  mk_listing_free (d.lb);
  free (d.pkgs);
  free (d.files);
  return r;
}
