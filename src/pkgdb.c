/* pkgdb.c: the package database the image carries, so that `rpm -qa`, dnf
 * and vulnerability scanners know what is installed.
 *
 * sqlite (the default): a child process runs librpm's own --justdb
 * transaction (rpm.c) over the packages sorted by name, into an empty
 * private directory, never the staging tree (librpm writes by path and
 * chroots), and sqlite.c turns the result into one reproducible file.
 * The parent goes on meanwhile (owners, pruning, the image check, most of
 * the tar) and copies the file into the tree through the unpacker when
 * the tar reaches it.  rpm >= 4.16 reads it (EL9,
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "recipe.h"
#include "rpm.h"
#include "sqlite.h"
#include "util.h"

struct mk_pkgdb_job
{
  struct mk_unpacker *u;  /* set by mk_pkgdb_place */
  pid_t pid;    /* 0 once reaped */
  int fd;       /* the child's error text; EOF when it exits */
  char *dir;    /* the private directory librpm writes in */
  int cached;   /* or the finished file, from the cache (no child) */
  int64_t sde;
};

/* Keep a copy of the finished database (IN, at its start) for the next
 * build of the same packages; a failure only costs that build the
 * shortcut. */
static void
store_cached (int in, const char *cached)
{
  cleanup_free char *tmp = NULL;
  mk_error_t err = NULL;
  int out;

  if (cached == NULL || (out = mk_atomic_open (cached, &tmp, &err)) < 0)
    {
      mk_error_release (&err);
      return;
    }
  if (mk_copy_fd (in, out, NULL, &err, "rpm database") < 0)
    {
      mk_atomic_abort (out, tmp);
      mk_error_release (&err);
      return;
    }
  if (mk_atomic_commit (out, tmp, cached, &err) < 0)
    mk_error_release (&err);
}

/* The finished database, from librpm's root (a tmpfs only this process
 * sees, rpm.c's db_enter_root) to OUT, where the parent reads it; the
 * returned fd is OUT's, at its start, for store_cached. */
static int
copy_out (const char *db, const char *out, mk_error_t *err)
{
  cleanup_close int in = open (db, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  int fd;

  if (in < 0)
    return mk_make_error (err, errno, "open `%s`", db);
  fd = open (out, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return mk_make_error (err, errno, "create `%s`", out);
  if (mk_copy_fd (in, fd, NULL, err, "rpm database") < 0)
    {
      close (fd);
      return -1;
    }
  if (lseek (fd, 0, SEEK_SET) < 0)
    {
      close (fd);
      return mk_make_error (err, errno, "seek `%s`", out);
    }
  return fd;
}

/* The child: librpm's transaction, then sqlite's normalisation, so the
 * parent only copies a finished file.  The error text goes to fd. */
static void __attribute__ ((noreturn))
sqlite_child (const struct mk_pkgdb_pkg *pkgs, size_t n, const char *dir,
              int64_t sde, const char *cached, int fd)
{
  cleanup_free char **paths = xcalloc (n + 1, sizeof *paths);
  cleanup_free char *root = xasprintf ("%s/root", dir);
  cleanup_free char *db = xasprintf ("%s%s/rpmdb.sqlite", root,
                                     MK_PKGDB_SQLITE_DIR);
  cleanup_free char *out = xasprintf ("%s/rpmdb.sqlite", dir);
  char why[1024] = "";
  mk_error_t err = NULL;
  int done;

  /* Test-only (tests/integration/scripts.sh): a child that dies without
   * a word, as one killed by the OOM killer would. */
  if (getenv ("MKBASE_TEST_RPMDB_DIES"))
    raise (SIGKILL);
  for (size_t i = 0; i < n; i++)
    paths[i] = (char *) pkgs[i].path;
  mk_sqlite_unshared ();
  if (mkdir (root, 0700) < 0)
    snprintf (why, sizeof why, "mkdir `%s`: %s", root, strerror (errno));
  else if (mk_rpm_db_create (paths, n, root, MK_PKGDB_SQLITE_DIR, sde, why,
                             sizeof why) == 0
           && mk_sqlite_normalize (db, &err) == 0
           && (done = copy_out (db, out, &err)) >= 0)
    {
      store_cached (done, cached);
      _exit (0);
    }
  if (err)
    snprintf (why, sizeof why, "%s", err->msg);
  if (write (fd, why, strlen (why))) {}
  _exit (1);
}

static int
start_sqlite (struct mk_pkgdb_job *j, const struct mk_pkgdb_pkg *pkgs,
              size_t n, const char *tmp_parent, const char *cached,
              mk_error_t *err)
{
  int pfd[2];

  if (mk_mkdtemp (tmp_parent, "mkbase-rpmdb", &j->dir, err) < 0)
    return -1;
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return mk_make_error (err, errno, "pipe");
  fflush (NULL);
  j->pid = fork ();
  if (j->pid < 0)
    {
      j->pid = 0;
      close (pfd[0]);
      close (pfd[1]);
      return mk_make_error (err, errno, "fork");
    }
  if (j->pid == 0)
    {
      close (pfd[0]);
      sqlite_child (pkgs, n, j->dir, j->sde, cached, pfd[1]);
    }
  close (pfd[1]);
  j->fd = pfd[0];
  return 0;
}

int
mk_pkgdb_place (struct mk_pkgdb_job *j, struct mk_unpacker *u,
                mk_error_t *err)
{
  cleanup_close int empty = memfd_create ("rpmdb.sqlite", MFD_CLOEXEC);
  struct mk_entry *e;

  if (empty < 0)
    return mk_make_error (err, errno, "memfd_create");
  j->u = u;
  if (mk_unpacker_put_file (u, MK_PKGDB_SQLITE_DIR "/rpmdb.sqlite", 0644,
                            empty, j->sde, &e, err) < 0)
    return mk_error_wrap (err, "rpmdb = sqlite");
  e->flags |= MK_ENTRY_PENDING;
  return 0;
}

int64_t
mk_pkgdb_sde (const struct mk_pkgdb_job *j)
{
  return j->sde;
}

/* The child's error text, once it has exited; SIGINT/SIGTERM stop the
 * wait. */
static int
wait_child (struct mk_pkgdb_job *j, mk_error_t *err)
{
  char why[1024];
  size_t got = 0;
  int status = 0;

  for (;;)
    {
      ssize_t k;
      if (mk_wait_readable (j->fd, err) < 0)
        return -1;
      k = TEMP_FAILURE_RETRY (read (j->fd, why + got, sizeof why - 1 - got));
      if (k <= 0)
        break;
      got += (size_t) k;
    }
  why[got] = '\0';
  if (TEMP_FAILURE_RETRY (waitpid (j->pid, &status, 0)) < 0)
    return mk_make_error (err, errno, "rpm database: wait");
  j->pid = 0;
  if (WIFSIGNALED (status))
    return mk_make_error (err, 0, "rpm database: its process was killed by "
                          "signal %d", WTERMSIG (status));
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return mk_make_error (err, 0, "rpm database: %s",
                          why[0] ? why : "librpm failed");
  return 0;
}

int
mk_pkgdb_finish (struct mk_pkgdb_job *j, struct mk_entry *e, mk_error_t *err)
{
  cleanup_free char *db = NULL;
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;

  if (j && j->cached >= 0)
    {
      path = xstrdup (e->path);
      if (mk_unpacker_put_file (j->u, path, 0644, j->cached, j->sde, NULL,
                                err) < 0)
        return mk_error_wrap (err, "rpmdb = sqlite");
      close (j->cached);
      j->cached = -1;
      return 0;
    }
  if (j == NULL || j->dir == NULL)
    return mk_make_error (err, 0, "`%s`: no database is being written",
                          e->path);
  if (wait_child (j, err) < 0)
    return mk_error_wrap (err, "rpmdb = sqlite");
  db = xasprintf ("%s/rpmdb.sqlite", j->dir);
  fd = open (db, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return mk_make_error (err, errno, "open `%s`", db);
  /* e is the placeholder; put_file finds it by its path and fills it in
   * place (the pointer pack.c holds stays valid). */
  path = xstrdup (e->path);
  if (mk_unpacker_put_file (j->u, path, 0644, fd, j->sde, NULL, err) < 0)
    return mk_error_wrap (err, "rpmdb = sqlite");
  mk_at_rmtree (AT_FDCWD, j->dir);
  free (j->dir);
  j->dir = NULL;
  return 0;
}

void
mk_pkgdb_job_free (struct mk_pkgdb_job *j)
{
  if (j == NULL)
    return;
  if (j->pid > 0)
    {
      kill (j->pid, SIGKILL);
      TEMP_FAILURE_RETRY (waitpid (j->pid, NULL, 0));
    }
  if (j->fd >= 0)
    close (j->fd);
  if (j->cached >= 0)
    close (j->cached);
  if (j->dir)
    mk_at_rmtree (AT_FDCWD, j->dir);
  free (j->dir);
  free (j);
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
  return mk_unpacker_put_file (u, MK_PKGDB_MANIFEST, 0644, fd, sde, NULL,
                               err);
}

static int
cmp_pkg (const void *a, const void *b)
{
  const struct mk_pkgdb_pkg *x = a, *y = b;
  int c = strcmp (x->head, y->head);
  return c ? c : strcmp (x->tail, y->tail);
}

/* The database lists the packages by name, not in install order: the
 * order libsolv gives depends on the job (an image on a base pins the
 * base's packages), and the image on a base must carry the same bytes as
 * the one-recipe build of the same set (docs/layers.md).  rpm -qa order
 * means nothing to rpm or dnf. */
static struct mk_pkgdb_pkg *
sorted (const struct mk_pkgdb_pkg *in, size_t n)
{
  struct mk_pkgdb_pkg *pkgs = xcalloc (n + 1, sizeof *pkgs);
  if (n)
    memcpy (pkgs, in, n * sizeof *pkgs);
  qsort (pkgs, n, sizeof *pkgs, cmp_pkg);
  return pkgs;
}

int
mk_pkgdb_spawn (const struct mk_pkgdb_pkg *in, size_t n, int64_t sde,
                const char *tmp_parent, const char *cached,
                struct mk_pkgdb_job **job, mk_error_t *err)
{
  cleanup_free struct mk_pkgdb_pkg *pkgs = sorted (in, n);
  struct mk_pkgdb_job *j = xcalloc (1, sizeof *j);

  *j = (struct mk_pkgdb_job){ .fd = -1, .cached = -1, .sde = sde };
  *job = j;
  if (cached)
    j->cached = open (cached, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (j->cached >= 0)
    return 1;
  if (start_sqlite (j, pkgs, n, tmp_parent, cached, err) < 0)
    {
      mk_pkgdb_job_free (j);
      *job = NULL;
      return mk_error_wrap (err, "rpmdb = sqlite");
    }
  return 0;
}

int
mk_pkgdb_write_manifest (struct mk_unpacker *u,
                         const struct mk_pkgdb_pkg *in, size_t n,
                         int64_t sde, mk_error_t *err)
{
  cleanup_free struct mk_pkgdb_pkg *pkgs = sorted (in, n);
  return write_manifest (u, pkgs, n, sde, err);
}
