/* pkgdb.h: the package database inside the image (`rpmdb =`). */
#ifndef MK_PKGDB_H
#define MK_PKGDB_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "unpack.h"

#define MK_PKGDB_SQLITE_DIR "/var/lib/rpm"
#define MK_PKGDB_MANIFEST "/var/lib/rpmmanifest/container-manifest-2"

/* One installed package (mk_pkgdb_spawn and mk_pkgdb_write_manifest sort
 * them by name). */
struct mk_pkgdb_pkg
{
  const char *path;  /* the .rpm file, for librpm's --justdb transaction */
  const char *head;  /* manifest fields before the install time */
  const char *tail;  /* and after it (mk_rpm_manifest_fields) */
};

/* A database being written in the background (sqlite only). */
struct mk_pkgdb_job;

/* Start /var/lib/rpm/rpmdb.sqlite for pkgs (sorted by name here), install
 * times sde: librpm's own --justdb transaction in a child process, in a
 * private directory under tmp_parent (NULL: $TMPDIR or /var/tmp), never
 * the staging tree, normalised there (sqlite.c).  It needs only the
 * package files, so it starts as soon as they are fetched and runs while
 * they are unpacked.  cached (or NULL) is the cache file for this exact
 * set and sde: when it exists the database is that file and no child
 * runs (returns 1); else the child writes it there when it is done
 * (returns 0). */
int mk_pkgdb_spawn (const struct mk_pkgdb_pkg *pkgs, size_t n, int64_t sde,
                    const char *tmp_parent, const char *cached,
                    struct mk_pkgdb_job **job, mk_error_t *err);
/* The sde a job was started with. */
int64_t mk_pkgdb_sde (const struct mk_pkgdb_job *job);
/* Put the database in the tree through u, empty and flagged
 * MK_ENTRY_PENDING; mk_pkgdb_finish fills it (pack.c calls it through its
 * fill hook when the tar reaches the file, so librpm works while the tar
 * before it is written). */
int mk_pkgdb_place (struct mk_pkgdb_job *job, struct mk_unpacker *u,
                    mk_error_t *err);

/* rpmdb = manifest: the plain-text list, into the tree through u now. */
int mk_pkgdb_write_manifest (struct mk_unpacker *u,
                             const struct mk_pkgdb_pkg *pkgs, size_t n,
                             int64_t sde, mk_error_t *err);

/* Wait for the database and copy it over the pending entry e. */
int mk_pkgdb_finish (struct mk_pkgdb_job *job, struct mk_entry *e,
                     mk_error_t *err);

/* Stop a database still being written (a failed build, or its file was
 * pruned) and remove its directory.  NULL is fine. */
void mk_pkgdb_job_free (struct mk_pkgdb_job *job);

#endif
