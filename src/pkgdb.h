/* pkgdb.h: the package database inside the image (`rpmdb =`). */
#ifndef MK_PKGDB_H
#define MK_PKGDB_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "unpack.h"

#define MK_PKGDB_SQLITE_DIR "/var/lib/rpm"
#define MK_PKGDB_MANIFEST "/var/lib/rpmmanifest/container-manifest-2"

/* One installed package (mk_pkgdb_start sorts them by name). */
struct mk_pkgdb_pkg
{
  const char *path;  /* the .rpm file, for librpm's --justdb transaction */
  const char *head;  /* manifest fields before the install time */
  const char *tail;  /* and after it (mk_rpm_manifest_fields) */
};

/* A database being written in the background (sqlite only). */
struct mk_pkgdb_job;

/* Write the database `kind` (MK_RPMDB_*) into the staging tree through u.
 * manifest: the plain-text list, now (*job is NULL).  sqlite:
 * /var/lib/rpm/rpmdb.sqlite, made by librpm in a child process in a
 * private directory under tmp_parent (NULL: $TMPDIR or /var/tmp) and
 * normalised there (sqlite.c); the file is put in the tree now, empty and
 * flagged MK_ENTRY_PENDING, and mk_pkgdb_finish fills it (pack.c calls it
 * through its fill hook when the tar reaches the file, so librpm works
 * while the tar before it is written).  Install times are sde. */
int mk_pkgdb_start (struct mk_unpacker *u, int kind,
                    const struct mk_pkgdb_pkg *pkgs, size_t n, int64_t sde,
                    const char *tmp_parent, struct mk_pkgdb_job **job,
                    mk_error_t *err);

/* Wait for the database and copy it over the pending entry e. */
int mk_pkgdb_finish (struct mk_pkgdb_job *job, struct mk_entry *e,
                     mk_error_t *err);

/* Stop a database still being written (a failed build, or its file was
 * pruned) and remove its directory.  NULL is fine. */
void mk_pkgdb_job_free (struct mk_pkgdb_job *job);

#endif
