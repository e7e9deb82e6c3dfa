/* record.h: the build's record kept next to the image (<stem>.record.json):
 * what each package put in the image and what each prune rule removed, so
 * `mkbase inspect` can say it without the staging tree. */
#ifndef MK_RECORD_H
#define MK_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "tree.h"

struct mk_record_pkg
{
  char *nevra;
  char *sha256;            /* of the package file */
  uint64_t entries, bytes; /* in the image */
  uint64_t pruned_entries, pruned_bytes;
};

struct mk_record_rule
{
  char *label;             /* "%doc files", "remove /var/log/..." */
  uint64_t entries, bytes;
};

/* An entry as the build's install scriptlets left it (script.c), which
 * `mkbase verify` takes as built instead of the package's header. */
struct mk_record_scripted
{
  char *path;
  uint32_t mode, uid, gid; /* mode: type and permission bits */
  uint64_t size;
  char *sha256;            /* regular files; NULL otherwise */
  char *linkto;            /* symlinks; NULL otherwise */
};

struct mk_record
{
  char *name;              /* the recipe's image name */
  char *profile;
  char *image;             /* the tar's file name (no directory) */
  char *sha256;            /* of the tar */
  int64_t source_date_epoch;
  /* What the image runs, as in its OCI config: `mkbase run IMAGE` with no
   * command runs entrypoint + cmd with env (run.c reads it). */
  char **entrypoint, **cmd, **env;
  struct mk_record_pkg *pkgs;
  size_t n_pkgs;
  struct mk_record_scripted *scripted; /* sorted by path */
  size_t n_scripted;
  struct mk_record_rule *rules;
  size_t n_rules;
  struct mk_record_rule *spared; /* keep rules: what each saved from a
                                    removal */
  size_t n_spared;
  /* totals: entries and regular-file bytes in the image, entries no
   * package declared (implied parent directories), what pruning removed */
  uint64_t entries, bytes, implied_entries, pruned_entries, pruned_bytes;
  /* Content of entries no package owns: the package database, files
   * install scriptlets made. */
  uint64_t unowned_bytes;
};

/* Fill rec->pkgs (one per t->pkgs, in that order; sha256 NULL) and the
 * totals from the manifest after pruning, counting bytes as the tar holds
 * them: a hardlinked file once. */
void mk_record_count (struct mk_tree *t, struct mk_record *rec);

/* Write rec as JSON with a fixed key order (the same build gives the same
 * bytes), atomically. */
int mk_record_write (const struct mk_record *rec, const char *path,
                     mk_error_t *err);

/* The scripted entry at path, or NULL. */
const struct mk_record_scripted *
mk_record_find_scripted (const struct mk_record *rec, const char *path);

/* Read a record mk_record_write wrote. */
int mk_record_read (const char *path, struct mk_record **out, mk_error_t *err);

/* The record's path for an image: out/x.tar(.gz...) -> out/x.record.json */
char *mk_record_path (const char *image);

void mk_record_clear (struct mk_record *rec);
void mk_record_free (struct mk_record *rec);
static inline void
cleanup_recordp (struct mk_record **r)
{
  mk_record_free (*r);
}
#define cleanup_record __attribute__ ((cleanup (cleanup_recordp)))


#endif
