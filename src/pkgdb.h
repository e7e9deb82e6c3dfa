/* pkgdb.h: the package database inside the image (`rpmdb =`). */
#ifndef MK_PKGDB_H
#define MK_PKGDB_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "unpack.h"

#define MK_PKGDB_SQLITE_DIR "/var/lib/rpm"
#define MK_PKGDB_MANIFEST "/var/lib/rpmmanifest/container-manifest-2"

/* One installed package, in install order. */
struct mk_pkgdb_pkg
{
  const char *path;  /* the .rpm file, for librpm's --justdb transaction */
  const char *head;  /* manifest fields before the install time */
  const char *tail;  /* and after it (mk_rpm_manifest_fields) */
};

/* Write the database `kind` (MK_RPMDB_*) into the staging tree through u:
 * sqlite: /var/lib/rpm/rpmdb.sqlite made by librpm in a private directory
 * under tmp_parent (NULL: $TMPDIR or /var/tmp), normalised (sqlite.c) and
 * copied in; manifest: the plain-text list.  Install times are sde. */
int mk_pkgdb_write (struct mk_unpacker *u, int kind,
                    const struct mk_pkgdb_pkg *pkgs, size_t n, int64_t sde,
                    const char *tmp_parent, mk_error_t *err);

#endif
