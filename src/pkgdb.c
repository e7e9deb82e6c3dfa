/* pkgdb.c: the package database the image carries, so that `rpm -qa`, dnf
 * and vulnerability scanners know what is installed.
 *
 * sqlite (the default): rpm.c runs librpm's own --justdb transaction over
 * the packages in install order, into an empty private directory, never
 * the staging tree (librpm writes by path and chroots); sqlite.c turns the
 * result into one reproducible file, which is then copied into the tree
 * through the unpacker like any other file.  rpm >= 4.16 reads it (EL9,
 * Fedora 33 and later); older rpm reads only Berkeley DB.
 *
 * manifest: the plain-text list Azure Linux's distroless images carry
 * (/var/lib/rpmmanifest/container-manifest-2), which scanners such as
 * Trivy and Syft read when there is no database: for EL7/EL8 targets and
 * the `zero` profile.  libc only. */
#define _GNU_SOURCE
#include "pkgdb.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "recipe.h"
#include "rpm.h"
#include "sqlite.h"
#include "util.h"

static int
put_from_path (struct mk_unpacker *u, const char *image_path,
               const char *src, int64_t sde, mk_error_t *err)
{
  cleanup_close int fd = open (src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return mk_make_error (err, errno, "open `%s`", src);
  return mk_unpacker_put_file (u, image_path, 0644, fd, sde, err);
}

static int
write_sqlite (struct mk_unpacker *u, const struct mk_pkgdb_pkg *pkgs,
              size_t n, int64_t sde, const char *tmp_parent, mk_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_free char *db = NULL;
  cleanup_free char **paths = xcalloc (n + 1, sizeof *paths);
  int r;

  for (size_t i = 0; i < n; i++)
    paths[i] = (char *) pkgs[i].path;
  if (mk_mkdtemp (tmp_parent, "mkbase-rpmdb", &dir, err) < 0)
    return -1;
  db = xasprintf ("%s%s/rpmdb.sqlite", dir, MK_PKGDB_SQLITE_DIR);
  r = mk_rpm_db_write (paths, n, dir, MK_PKGDB_SQLITE_DIR, sde, err);
  if (r == 0)
    r = mk_sqlite_normalize (db, err);
  if (r == 0)
    r = put_from_path (u, MK_PKGDB_SQLITE_DIR "/rpmdb.sqlite", db, sde, err);
  mk_at_rmtree (AT_FDCWD, dir);
  return r;
}

static int
write_manifest (struct mk_unpacker *u, const struct mk_pkgdb_pkg *pkgs,
                size_t n, int64_t sde, mk_error_t *err)
{
  cleanup_close int fd = memfd_create ("container-manifest-2", MFD_CLOEXEC);
  if (fd < 0)
    return mk_make_error (err, errno, "memfd_create");
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *line = xasprintf ("%s\t%" PRId64 "\t%s\n",
                                           pkgs[i].head, sde, pkgs[i].tail);
      if (mk_write_all (fd, line, strlen (line), err, "package manifest") < 0)
        return -1;
    }
  if (lseek (fd, 0, SEEK_SET) < 0)
    return mk_make_error (err, errno, "package manifest: seek");
  return mk_unpacker_put_file (u, MK_PKGDB_MANIFEST, 0644, fd, sde, err);
}

int
mk_pkgdb_write (struct mk_unpacker *u, int kind,
                const struct mk_pkgdb_pkg *pkgs, size_t n, int64_t sde,
                const char *tmp_parent, mk_error_t *err)
{
  switch (kind)
    {
    case MK_RPMDB_SQLITE:
      return write_sqlite (u, pkgs, n, sde, tmp_parent, err) < 0
                 ? mk_error_wrap (err, "rpmdb = sqlite")
                 : 0;
    case MK_RPMDB_MANIFEST:
      return write_manifest (u, pkgs, n, sde, err);
    case MK_RPMDB_NONE:
    default:
      return 0;
    }
}
