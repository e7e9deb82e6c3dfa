/* inspect.c: `mkbase inspect IMAGE.tar`.  The question behind it is "why
 * is my image this big?", so everything is ranked largest first: the size
 * by top directory and the file count come from the tar itself
 * (listing.c), the size by package and what each prune rule removed from
 * the build's record next to it (record.c), which only the build could
 * know.  An image without a record (built elsewhere, or moved without it)
 * still gets the tar's half, and the report says what is missing.
 * libc only. */
#define _GNU_SOURCE
#include "inspect.h"

#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "json.h"
#include "listing.h"
#include "record.h"
#include "util.h"

#define BAR_WIDTH 24

struct dir_size
{
  char *path;
  uint64_t bytes, entries;
};

struct inspect
{
  const char *image;
  char *sha256;
  char *record_path;
  struct mk_record *record; /* NULL when there is none */
  struct mk_listing *listing;
  struct dir_size *dirs;
  size_t n_dirs;
  uint64_t bytes, files, dirs_count, symlinks, others;
  bool tty;
};

/* The directory an entry is counted under: its first component, or its
 * first two under /usr (on a merged-/usr image /usr is nearly all of it). */
static char *
top_dir (const char *path)
{
  const char *p = strchr (path + 1, '/');
  if (p == NULL)
    return xstrdup (path);
  if (strncmp (path, "/usr/", 5) == 0)
    {
      const char *q = strchr (p + 1, '/');
      return q ? xstrndup (path, (size_t) (q - path)) : xstrdup (path);
    }
  return xstrndup (path, (size_t) (p - path));
}

static void
add_to_dir (struct inspect *in, const struct mk_listing_entry *e)
{
  cleanup_free char *key = top_dir (e->path);
  size_t i = 0;
  while (i < in->n_dirs && strcmp (in->dirs[i].path, key) != 0)
    i++;
  if (i == in->n_dirs)
    {
      in->dirs = xreallocarray (in->dirs, in->n_dirs + 1, sizeof *in->dirs);
      in->dirs[in->n_dirs++] = (struct dir_size){ .path = steal_pointer (&key) };
    }
  in->dirs[i].bytes += e->size;
  in->dirs[i].entries++;
}

static int
by_dir_size (const void *x, const void *y)
{
  const struct dir_size *a = x, *b = y;
  if (a->bytes != b->bytes)
    return a->bytes < b->bytes ? 1 : -1;
  return strcmp (a->path, b->path);
}

static int
by_pkg_size (const void *x, const void *y)
{
  const struct mk_record_pkg *a = x, *b = y;
  if (a->bytes != b->bytes)
    return a->bytes < b->bytes ? 1 : -1;
  return strcmp (a->nevra, b->nevra);
}

static void
tally (struct inspect *in)
{
  for (size_t i = 0; i < in->listing->n; i++)
    {
      const struct mk_listing_entry *e = &in->listing->v[i];
      in->bytes += e->size;
      if (S_ISDIR (e->mode))
        in->dirs_count++;
      else if (S_ISLNK (e->mode))
        in->symlinks++;
      else if (S_ISREG (e->mode))
        in->files++;
      else
        in->others++;
      if (strcmp (e->path, "/") != 0)
        add_to_dir (in, e);
    }
  qsort (in->dirs, in->n_dirs, sizeof *in->dirs, by_dir_size);
  if (in->record)
    qsort (in->record->pkgs, in->record->n_pkgs, sizeof *in->record->pkgs,
           by_pkg_size);
}

static int
load (struct inspect *in, mk_error_t *err)
{
  in->record_path = mk_record_path (in->image);
  if (mk_listing_read (in->image, false, &in->listing, err) < 0
      || mk_digest_path (in->image, "sha256", &in->sha256, err) < 0)
    return -1;
  if (access (in->record_path, F_OK) == 0
      && mk_record_read (in->record_path, &in->record, err) < 0)
    return -1;
  tally (in);
  return 0;
}

/* ---- text ---------------------------------------------------------------- */

static void
bar (const struct inspect *in, uint64_t part, uint64_t whole)
{
  int n = whole ? (int) ((part * BAR_WIDTH + whole / 2) / whole) : 0;
  for (int i = 0; i < BAR_WIDTH; i++)
    fputs (i < n ? (in->tty ? "\u2588" : "#") : " ",
           stdout);
  printf (" %3d%%", whole ? (int) ((part * 100 + whole / 2) / whole) : 0);
}

static void
text_dirs (const struct inspect *in)
{
  char h[32];
  size_t i, empty_entries = 0;
  printf ("\nSize by top directory:\n");
  for (i = 0; i < in->n_dirs && in->dirs[i].bytes > 0; i++)
    {
      printf ("  %-22s %10s  ", in->dirs[i].path,
              mk_human_size (in->dirs[i].bytes, h));
      bar (in, in->dirs[i].bytes, in->bytes);
      printf ("  %" PRIu64 " entries\n", in->dirs[i].entries);
    }
  /* Sorted largest first: the rest hold no file content. */
  for (size_t j = i; j < in->n_dirs; j++)
    empty_entries += in->dirs[j].entries;
  if (i < in->n_dirs)
    printf ("  (%zu more with no file content: %zu entries)\n",
            in->n_dirs - i, empty_entries);
}

static void
text_pkgs (const struct inspect *in)
{
  const struct mk_record *r = in->record;
  char h[32];
  printf ("\nSize by package (%zu packages):\n", r->n_pkgs);
  for (size_t i = 0; i < r->n_pkgs; i++)
    {
      const struct mk_record_pkg *p = &r->pkgs[i];
      printf ("  %-48s %10s  ", p->nevra, mk_human_size (p->bytes, h));
      bar (in, p->bytes, r->bytes);
      printf ("  %" PRIu64 " entries\n", p->entries);
    }
  if (r->implied_entries)
    printf ("  %-48s %10s  %" PRIu64 " entries\n",
            "(no package: parents, database, scriptlets)",
            mk_human_size (r->unowned_bytes, h), r->implied_entries);
}

static void
json_rules (const char *key, const struct mk_record_rule *v, size_t n)
{
  printf (" \"%s\": [", key);
  for (size_t i = 0; i < n; i++)
    {
      fputs (i ? ",\n  {\"rule\": " : "\n  {\"rule\": ", stdout);
      mk_json_string (stdout, v[i].label);
      printf (", \"entries\": %" PRIu64 ", \"bytes\": %" PRIu64 "}",
              v[i].entries, v[i].bytes);
    }
  fputs ("],\n", stdout);
}

static void
text_pruned (const struct inspect *in)
{
  const struct mk_record *r = in->record;
  char h[32];
  printf ("\nPruned by profile %s: %" PRIu64 " entries, %" PRIu64
          " bytes (%s)\n", r->profile, r->pruned_entries, r->pruned_bytes,
          mk_human_size (r->pruned_bytes, h));
  for (size_t i = 0; i < r->n_rules; i++)
    printf ("  %-44s %6" PRIu64 " entries, %" PRIu64 " bytes\n",
            r->rules[i].label, r->rules[i].entries, r->rules[i].bytes);
  if (r->n_spared)
    printf ("Kept by keep rules against a removal:\n");
  for (size_t i = 0; i < r->n_spared; i++)
    printf ("  %-44s %6" PRIu64 " entries, %" PRIu64 " bytes\n",
            r->spared[i].label, r->spared[i].entries, r->spared[i].bytes);
}

static void
print_text (const struct inspect *in)
{
  char h[32];
  printf ("Image:    %s\nsha256:   %s\n", in->image, in->sha256);
  if (in->record)
    printf ("Recipe:   %s (profile %s)\n", in->record->name,
            in->record->profile);
  printf ("Entries:  %zu (%" PRIu64 " files, %" PRIu64 " directories, %"
          PRIu64 " symlinks, %" PRIu64 " other)\n",
          in->listing->n, in->files, in->dirs_count, in->symlinks,
          in->others);
  printf ("Size:     %" PRIu64 " bytes (%s) of file content\n", in->bytes,
          mk_human_size (in->bytes, h));
  text_dirs (in);
  if (in->record == NULL)
    {
      printf ("\nNo build record (%s): the size by package and what pruning "
              "removed are unknown.\n", in->record_path);
      return;
    }
  if (strcmp (in->record->sha256, in->sha256) != 0)
    printf ("\nNote: the build record is for another image (sha256 %s).\n",
            in->record->sha256);
  text_pkgs (in);
  text_pruned (in);
}

/* ---- JSON ---------------------------------------------------------------- */

static void
json_dirs (const struct inspect *in)
{
  fputs (",\n \"top_directories\": [", stdout);
  for (size_t i = 0; i < in->n_dirs; i++)
    {
      fputs (i ? ",\n  {\"path\": " : "\n  {\"path\": ", stdout);
      mk_json_string (stdout, in->dirs[i].path);
      printf (", \"bytes\": %" PRIu64 ", \"entries\": %" PRIu64 "}",
              in->dirs[i].bytes, in->dirs[i].entries);
    }
  fputs ("]", stdout);
}

static void
json_record (const struct inspect *in)
{
  const struct mk_record *r = in->record;
  fputs (",\n \"name\": ", stdout);
  mk_json_string (stdout, r->name);
  fputs (", \"profile\": ", stdout);
  mk_json_string (stdout, r->profile);
  printf (", \"record_matches\": %s",
          strcmp (r->sha256, in->sha256) == 0 ? "true" : "false");
  printf (", \"unowned_entries\": %" PRIu64 ", \"unowned_bytes\": %" PRIu64,
          r->implied_entries, r->unowned_bytes);
  fputs (",\n \"packages\": [", stdout);
  for (size_t i = 0; i < r->n_pkgs; i++)
    {
      const struct mk_record_pkg *p = &r->pkgs[i];
      fputs (i ? ",\n  {\"nevra\": " : "\n  {\"nevra\": ", stdout);
      mk_json_string (stdout, p->nevra);
      printf (", \"bytes\": %" PRIu64 ", \"entries\": %" PRIu64
              ", \"pruned_entries\": %" PRIu64 ", \"pruned_bytes\": %" PRIu64
              "}", p->bytes, p->entries, p->pruned_entries, p->pruned_bytes);
    }
  fputs ("],\n", stdout);
  json_rules ("pruned", r->rules, r->n_rules);
  json_rules ("spared", r->spared, r->n_spared);
  printf (" \"pruned_entries\": %" PRIu64 ", \"pruned_bytes\": %" PRIu64,
          r->pruned_entries, r->pruned_bytes);
}

static void
print_json (const struct inspect *in)
{
  fputs ("{\"image\": ", stdout);
  mk_json_string (stdout, in->image);
  fputs (", \"sha256\": ", stdout);
  mk_json_string (stdout, in->sha256);
  fputs (", \"record\": ", stdout);
  if (in->record)
    mk_json_string (stdout, in->record_path);
  else
    fputs ("null", stdout);
  printf (",\n \"entries\": %zu, \"files\": %" PRIu64 ", \"directories\": %"
          PRIu64 ", \"symlinks\": %" PRIu64 ", \"other\": %" PRIu64
          ", \"bytes\": %" PRIu64,
          in->listing->n, in->files, in->dirs_count, in->symlinks, in->others,
          in->bytes);
  json_dirs (in);
  if (in->record)
    json_record (in);
  fputs ("}\n", stdout);
}

int
mk_inspect (const char *image, bool json, mk_error_t *err)
{
  struct inspect in = { .image = image, .tty = isatty (STDOUT_FILENO) };
  int r = load (&in, err);

  if (r == 0 && json)
    print_json (&in);
  else if (r == 0)
    print_text (&in);
  fflush (stdout);
  for (size_t i = 0; i < in.n_dirs; i++)
    free (in.dirs[i].path);
  free (in.dirs);
  free (in.sha256);
  free (in.record_path);
  mk_record_free (in.record);
  mk_listing_free (in.listing);
  return r;
}
