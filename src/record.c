/* record.c: the build record, <stem>.record.json next to the image.  The
 * tar alone cannot say which package a file came from or what pruning
 * removed; the build knows both and keeps them here for `mkbase inspect`
 * and `mkbase diff`.  The document is written with a fixed key order and
 * no clock (only SOURCE_DATE_EPOCH), so it is as reproducible as the
 * image, and read back with json.c.  libc only. */
#define _GNU_SOURCE
#include "record.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"
#include "rpm.h"
#include "util.h"

#define RECORD_MAX (64 << 20)

char *
mk_record_path (const char *image)
{
  cleanup_free char *stem = mk_output_stem (image);
  return xasprintf ("%s.record.json", stem);
}

/* ---- counting ------------------------------------------------------------ */

static void
count_removed (struct mk_tree *t, struct mk_record *rec)
{
  for (size_t i = 0; i < t->n; i++)
    {
      const struct mk_entry *e = t->entries[i];
      if (!e->removed || e->pkg < 0 || (size_t) e->pkg >= rec->n_pkgs)
        continue;
      rec->pkgs[e->pkg].pruned_entries++;
      rec->pkgs[e->pkg].pruned_bytes += S_ISREG (e->mode) ? e->size : 0;
    }
}

void
mk_record_count (struct mk_tree *t, struct mk_record *rec)
{
  size_t n;
  cleanup_free struct mk_entry **v = mk_tree_sorted (t, &n);
  cleanup_free bool *seen = xcalloc ((size_t) t->next_inode + 1, 1);

  rec->n_pkgs = t->n_pkgs;
  rec->pkgs = xcalloc (t->n_pkgs + 1, sizeof *rec->pkgs);
  for (size_t i = 0; i < t->n_pkgs; i++)
    rec->pkgs[i].nevra = xstrdup (t->pkgs[i]);
  for (size_t i = 0; i < n; i++)
    {
      const struct mk_entry *e = v[i];
      uint64_t bytes = S_ISREG (e->mode) ? e->size : 0;
      if (e->inode && bytes && seen[e->inode])
        bytes = 0; /* a tar hardlink: the content is stored once */
      if (e->inode)
        seen[e->inode] = true;
      rec->entries++;
      rec->bytes += bytes;
      if (e->pkg < 0 || (size_t) e->pkg >= t->n_pkgs)
        {
          rec->implied_entries++;
          rec->unowned_bytes += bytes;
          continue;
        }
      rec->pkgs[e->pkg].entries++;
      rec->pkgs[e->pkg].bytes += bytes;
    }
  count_removed (t, rec);
}

/* ---- writing ------------------------------------------------------------- */

static void
write_pkgs (FILE *f, const struct mk_record *rec)
{
  fputs ("  \"packages\": [", f);
  for (size_t i = 0; i < rec->n_pkgs; i++)
    {
      const struct mk_record_pkg *p = &rec->pkgs[i];
      fputs (i ? ",\n    {\"nevra\": " : "\n    {\"nevra\": ", f);
      mk_json_string (f, p->nevra);
      fputs (", \"sha256\": ", f);
      mk_json_string (f, p->sha256 ? p->sha256 : "");
      fprintf (f, ", \"entries\": %" PRIu64 ", \"bytes\": %" PRIu64
                  ", \"pruned_entries\": %" PRIu64 ", \"pruned_bytes\": %"
                  PRIu64 "}", p->entries, p->bytes, p->pruned_entries,
               p->pruned_bytes);
    }
  fputs (rec->n_pkgs ? "\n  ],\n" : "],\n", f);
}

static void
write_rules (FILE *f, const char *key, const struct mk_record_rule *v,
             size_t n)
{
  fprintf (f, "  \"%s\": [", key);
  for (size_t i = 0; i < n; i++)
    {
      fputs (i ? ",\n    {\"rule\": " : "\n    {\"rule\": ", f);
      mk_json_string (f, v[i].label);
      fprintf (f, ", \"entries\": %" PRIu64 ", \"bytes\": %" PRIu64 "}",
               v[i].entries, v[i].bytes);
    }
  fputs (n ? "\n  ],\n" : "],\n", f);
}

static void
write_scripted (FILE *f, const struct mk_record *rec)
{
  fputs ("  \"scripted\": [", f);
  for (size_t i = 0; i < rec->n_scripted; i++)
    {
      const struct mk_record_scripted *e = &rec->scripted[i];
      fputs (i ? ",\n    {\"path\": " : "\n    {\"path\": ", f);
      mk_json_string (f, e->path);
      fprintf (f, ", \"mode\": %" PRIu32 ", \"uid\": %" PRIu32
                  ", \"gid\": %" PRIu32 ", \"size\": %" PRIu64,
               e->mode, e->uid, e->gid, e->size);
      if (e->sha256)
        {
          fputs (", \"sha256\": ", f);
          mk_json_string (f, e->sha256);
        }
      if (e->linkto)
        {
          fputs (", \"linkto\": ", f);
          mk_json_string (f, e->linkto);
        }
      fputc ('}', f);
    }
  fputs (rec->n_scripted ? "\n  ],\n" : "],\n", f);
}

static void
read_scripted (const struct mk_json *a, struct mk_record *rec)
{
  if (a == NULL || a->type != MK_JSON_ARRAY)
    return;
  rec->scripted = xcalloc (a->n + 1, sizeof *rec->scripted);
  for (size_t i = 0; i < a->n; i++)
    {
      const struct mk_json *o = a->items[i];
      const struct mk_json *sha = mk_json_get (o, "sha256");
      const struct mk_json *to = mk_json_get (o, "linkto");
      rec->scripted[rec->n_scripted++] = (struct mk_record_scripted){
        .path = xstrdup (mk_json_get_str (o, "path")),
        .mode = (uint32_t) mk_json_get_u64 (o, "mode"),
        .uid = (uint32_t) mk_json_get_u64 (o, "uid"),
        .gid = (uint32_t) mk_json_get_u64 (o, "gid"),
        .size = mk_json_get_u64 (o, "size"),
        .sha256 = sha && sha->type == MK_JSON_STRING ? xstrdup (sha->str)
                                                     : NULL,
        .linkto = to && to->type == MK_JSON_STRING ? xstrdup (to->str)
                                                   : NULL };
    }
}

const struct mk_record_scripted *
mk_record_find_scripted (const struct mk_record *rec, const char *path)
{
  size_t lo = 0, hi = rec->n_scripted;
  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      int c = strcmp (rec->scripted[mid].path, path);
      if (c == 0)
        return &rec->scripted[mid];
      if (c < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return NULL;
}

static void
write_doc (FILE *f, const struct mk_record *rec)
{
  fputs ("{\n  \"mkbase_record\": 1,\n  \"name\": ", f);
  mk_json_string (f, rec->name);
  fputs (",\n  \"profile\": ", f);
  mk_json_string (f, rec->profile);
  fputs (",\n  \"image\": ", f);
  mk_json_string (f, rec->image);
  fputs (",\n  \"sha256\": ", f);
  mk_json_string (f, rec->sha256);
  fprintf (f, ",\n  \"source_date_epoch\": %" PRId64 ",\n",
           rec->source_date_epoch);
  fputs ("  \"config\": {\"entrypoint\": ", f);
  mk_json_strv (f, rec->entrypoint, ", ");
  fputs (", \"cmd\": ", f);
  mk_json_strv (f, rec->cmd, ", ");
  fputs (", \"env\": ", f);
  mk_json_strv (f, rec->env, ", ");
  fputs ("},\n", f);
  write_pkgs (f, rec);
  write_scripted (f, rec);
  write_rules (f, "pruned", rec->rules, rec->n_rules);
  write_rules (f, "spared", rec->spared, rec->n_spared);
  fprintf (f, "  \"totals\": {\"packages\": %zu, \"entries\": %" PRIu64
              ", \"bytes\": %" PRIu64 ", \"implied_entries\": %" PRIu64
              ", \"unowned_bytes\": %" PRIu64
              ", \"pruned_entries\": %" PRIu64 ", \"pruned_bytes\": %" PRIu64
              "}\n}\n",
           rec->n_pkgs, rec->entries, rec->bytes, rec->implied_entries,
           rec->unowned_bytes, rec->pruned_entries, rec->pruned_bytes);
}

int
mk_record_write (const struct mk_record *rec, const char *path,
                 mk_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);

  if (f == NULL)
    return mk_make_error (err, errno, "%s", path);
  write_doc (f, rec);
  if (fclose (f) != 0)
    return mk_make_error (err, errno, "%s", path);
  return mk_write_file_atomic (path, buf, len, err);
}

/* ---- reading ------------------------------------------------------------- */

static void
read_pkgs (const struct mk_json *a, struct mk_record *rec)
{
  if (a == NULL || a->type != MK_JSON_ARRAY)
    return;
  rec->pkgs = xcalloc (a->n + 1, sizeof *rec->pkgs);
  for (size_t i = 0; i < a->n; i++)
    {
      const struct mk_json *o = a->items[i];
      rec->pkgs[rec->n_pkgs++] = (struct mk_record_pkg){
        .nevra = xstrdup (mk_json_get_str (o, "nevra")),
        .sha256 = xstrdup (mk_json_get_str (o, "sha256")),
        .entries = mk_json_get_u64 (o, "entries"),
        .bytes = mk_json_get_u64 (o, "bytes"),
        .pruned_entries = mk_json_get_u64 (o, "pruned_entries"),
        .pruned_bytes = mk_json_get_u64 (o, "pruned_bytes") };
    }
}

static void
read_rules (const struct mk_json *a, struct mk_record_rule **v, size_t *n)
{
  if (a == NULL || a->type != MK_JSON_ARRAY)
    return;
  *v = xcalloc (a->n + 1, sizeof **v);
  for (size_t i = 0; i < a->n; i++)
    {
      const struct mk_json *o = a->items[i];
      (*v)[(*n)++] = (struct mk_record_rule){
        .label = xstrdup (mk_json_get_str (o, "rule")),
        .entries = mk_json_get_u64 (o, "entries"),
        .bytes = mk_json_get_u64 (o, "bytes") };
    }
}

int
mk_record_read (const char *path, struct mk_record **out, mk_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_json struct mk_json *doc = NULL;
  const struct mk_json *tot;
  struct mk_record *rec;
  size_t len;

  if (mk_read_file_at (AT_FDCWD, path, RECORD_MAX, &text, &len, err) < 0
      || mk_json_parse (text, path, &doc, err) < 0)
    return -1;
  if (mk_json_get_u64 (doc, "mkbase_record") != 1)
    return mk_make_error (err, 0, "%s: not an mkbase build record", path);
  rec = xcalloc (1, sizeof *rec);
  rec->name = xstrdup (mk_json_get_str (doc, "name"));
  rec->profile = xstrdup (mk_json_get_str (doc, "profile"));
  rec->image = xstrdup (mk_json_get_str (doc, "image"));
  rec->sha256 = xstrdup (mk_json_get_str (doc, "sha256"));
  rec->source_date_epoch
      = (int64_t) mk_json_get_u64 (doc, "source_date_epoch");
  {
    const struct mk_json *cfg = mk_json_get (doc, "config");
    rec->entrypoint = mk_json_get_strv (cfg, "entrypoint");
    rec->cmd = mk_json_get_strv (cfg, "cmd");
    rec->env = mk_json_get_strv (cfg, "env");
  }
  read_pkgs (mk_json_get (doc, "packages"), rec);
  read_scripted (mk_json_get (doc, "scripted"), rec);
  read_rules (mk_json_get (doc, "pruned"), &rec->rules, &rec->n_rules);
  read_rules (mk_json_get (doc, "spared"), &rec->spared, &rec->n_spared);
  tot = mk_json_get (doc, "totals");
  rec->entries = mk_json_get_u64 (tot, "entries");
  rec->bytes = mk_json_get_u64 (tot, "bytes");
  rec->implied_entries = mk_json_get_u64 (tot, "implied_entries");
  rec->unowned_bytes = mk_json_get_u64 (tot, "unowned_bytes");
  rec->pruned_entries = mk_json_get_u64 (tot, "pruned_entries");
  rec->pruned_bytes = mk_json_get_u64 (tot, "pruned_bytes");
  *out = rec;
  return 0;
}

void
mk_record_clear (struct mk_record *rec)
{
  for (size_t i = 0; i < rec->n_pkgs; i++)
    {
      free (rec->pkgs[i].nevra);
      free (rec->pkgs[i].sha256);
    }
  for (size_t i = 0; i < rec->n_rules; i++)
    free (rec->rules[i].label);
  for (size_t i = 0; i < rec->n_spared; i++)
    free (rec->spared[i].label);
  free (rec->spared);
  free (rec->pkgs);
  free (rec->rules);
  free (rec->name);
  free (rec->profile);
  free (rec->image);
  free (rec->sha256);
  for (size_t i = 0; i < rec->n_scripted; i++)
    {
      free (rec->scripted[i].path);
      free (rec->scripted[i].sha256);
      free (rec->scripted[i].linkto);
    }
  free (rec->scripted);
  mk_strv_free (rec->entrypoint);
  mk_strv_free (rec->cmd);
  mk_strv_free (rec->env);
  memset (rec, 0, sizeof *rec);
}

void
mk_record_free (struct mk_record *rec)
{
  if (rec == NULL)
    return;
  mk_record_clear (rec);
  free (rec);
}
