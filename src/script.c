/* script.c: install scriptlets (`scriptlets = run`).
 *
 * The staging tree keeps only content, with private modes; owners and
 * modes live in the manifest (tree.c).  Scripts need a tree that looks
 * installed, so first every file and directory gets its package's
 * permission bits (never setuid/setgid: the owner keeps read/write so we
 * can still pack and remove it).  Each scriptlet then runs through the
 * bundled runner (`mkbase run --net none DIR`): new namespaces, no
 * network, a user namespace mapping us to root when we are not root,
 * with the arguments rpm gives a fresh install ($1 = 1, the script in a
 * file under /var/tmp, PATH as rpm sets it).  Lua scriptlets run inside
 * librpm in the calling process, chrooted; we do not do that to the
 * host, so they are reported as skipped.
 *
 * Afterwards the disk is walked (through fds, never following a symlink)
 * and the manifest learns what the scripts did: new files (owned by the
 * uid they were created with, root in a user namespace), changed content,
 * sizes, modes and link targets, removed files.  Their mtimes are the
 * real ones, clamped to SOURCE_DATE_EPOCH by pack.c like every other. */
#define _GNU_SOURCE
#include "script.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#ifndef MK_BINDIR
#define MK_BINDIR "/usr/local/bin"
#endif
#ifndef MK_LIBEXEC_TO_BIN
#define MK_LIBEXEC_TO_BIN "../../bin"
#endif

#define OUTPUT_MAX (64 * 1024)
#define WALK_DEPTH_MAX 256

/* What a file looked like on disk before the scripts ran. */
struct snap
{
  char *path;
  int64_t mtime_ns;
  off_t size;
  mode_t mode; /* full st_mode */
  ino_t ino;
  bool seen;
};

struct ctx
{
  struct mk_tree *t;
  int rootfd;
  const struct mk_script_opts *o;
  struct snap *snaps;
  size_t n_snaps, cap_snaps;
  FILE *report;
  char *report_buf;
  size_t report_len;
  size_t added, changed, removed;
  unsigned counter;
};

char *
mk_script_runner_path (void)
{
  return mk_exe_path ("MKBASE_RUNNER", "mkbase", MK_LIBEXEC_TO_BIN,
                      MK_BINDIR);
}

/* ---- walking the staging tree ----------------------------------------- */

typedef int (*visit_fn) (struct ctx *c, int dfd, const char *name,
                         const char *path, const struct stat *st,
                         mk_error_t *err);

/* Visit everything below dfd (path is its image path, "" for the root),
 * parents before children; a visit returning 1 skips the directory's
 * contents.  Symlinks are never followed: every open is O_NOFOLLOW
 * relative to an fd we opened the same way. */
static int
walk (struct ctx *c, int dfd, const char *path, int depth, visit_fn fn,
      mk_error_t *err)
{
  /* A new open file description: a dup would share (and leave at EOF) the
   * directory offset of the caller's fd. */
  int dup_fd = TEMP_FAILURE_RETRY (
      openat (dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  DIR *d = dup_fd >= 0 ? fdopendir (dup_fd) : NULL;
  struct dirent *de;
  int r = 0;

  if (d == NULL)
    {
      if (dup_fd >= 0)
        close (dup_fd);
      return mk_make_error (err, errno, "staging: read directory `%s/`",
                            path);
    }
  if (depth > WALK_DEPTH_MAX)
    {
      closedir (d);
      return mk_make_error (err, ELOOP, "staging: `%s` is nested too deep",
                            path);
    }
  while (r >= 0 && (errno = 0, de = readdir (d)))
    {
      cleanup_free char *child = NULL;
      struct stat st;
      int v;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      child = xasprintf ("%s/%s", path, de->d_name);
      if (fstatat (dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          r = mk_make_error (err, errno, "staging: stat `%s`", child);
          break;
        }
      v = fn (c, dfd, de->d_name, child, &st, err);
      if (v < 0)
        r = -1;
      else if (v == 0 && S_ISDIR (st.st_mode))
        {
          int sub = TEMP_FAILURE_RETRY (openat (
              dfd, de->d_name,
              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
          if (sub < 0)
            r = mk_make_error (err, errno, "staging: open `%s`", child);
          else
            {
              r = walk (c, sub, child, depth + 1, fn, err);
              close (sub);
            }
        }
    }
  closedir (d);
  return r;
}

/* The permission bits a file gets while scripts run (see the top). */
static mode_t
realized (const struct mk_entry *e)
{
  return (e->mode & 0777) | (S_ISDIR (e->mode) ? 0700 : 0600);
}

static int
set_mode_at (int dfd, const char *name, const char *path, mode_t mode,
             mk_error_t *err)
{
  cleanup_close int fd = TEMP_FAILURE_RETRY (openat (
      dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd < 0 || fchmod (fd, mode) < 0)
    return mk_make_error (err, errno, "staging: chmod `%s`", path);
  return 0;
}

static int
visit_realize (struct ctx *c, int dfd, const char *name, const char *path,
               const struct stat *st, mk_error_t *err)
{
  struct mk_entry *e = mk_tree_lookup (c->t, path);
  mode_t mode = st->st_mode & 07777;
  struct snap *s;

  if (e && !e->removed && (e->mode & S_IFMT) == (st->st_mode & S_IFMT)
      && (S_ISREG (st->st_mode) || S_ISDIR (st->st_mode))
      && mode != realized (e))
    {
      mode = realized (e);
      if (set_mode_at (dfd, name, path, mode, err) < 0)
        return -1;
    }
  if (c->n_snaps == c->cap_snaps)
    {
      c->cap_snaps = c->cap_snaps ? c->cap_snaps * 2 : 1024;
      c->snaps = xreallocarray (c->snaps, c->cap_snaps, sizeof *c->snaps);
    }
  s = &c->snaps[c->n_snaps++];
  *s = (struct snap){ .path = xstrdup (path),
                      .mtime_ns = (int64_t) st->st_mtim.tv_sec * 1000000000
                                  + st->st_mtim.tv_nsec,
                      .size = st->st_size,
                      .mode = (st->st_mode & S_IFMT) | mode,
                      .ino = st->st_ino };
  return 0;
}

static int
compare_snaps (const void *a, const void *b)
{
  return strcmp (((const struct snap *) a)->path,
                 ((const struct snap *) b)->path);
}

static struct snap *
find_snap (struct ctx *c, const char *path)
{
  struct snap key = { .path = (char *) path };
  return bsearch (&key, c->snaps, c->n_snaps, sizeof *c->snaps,
                  compare_snaps);
}

/* ---- bringing the manifest up to date ---------------------------------- */

/* Inside a user namespace we are root and everything we create is ours;
 * as real root the scripts may have chowned. */
static void
disk_owner (const struct stat *st, uint32_t *uid, uint32_t *gid)
{
  if (geteuid () == 0)
    {
      *uid = st->st_uid;
      *gid = st->st_gid;
      return;
    }
  *uid = st->st_uid == geteuid () ? 0 : 65534;
  *gid = st->st_gid == getegid () ? 0 : 65534;
}

static int
read_link (int dfd, const char *name, const char *path, char **out,
           mk_error_t *err)
{
  char buf[4096];
  ssize_t n = readlinkat (dfd, name, buf, sizeof buf - 1);
  if (n < 0)
    return mk_make_error (err, errno, "staging: readlink `%s`", path);
  buf[n] = '\0';
  *out = xstrdup (buf);
  return 0;
}

/* The entry becomes what is on disk: a file a script made. */
static int
take_from_disk (struct mk_entry *e, int dfd, const char *name,
                const struct stat *st, mk_error_t *err)
{
  char *link = NULL;
  if (S_ISLNK (st->st_mode) && read_link (dfd, name, e->path, &link, err) < 0)
    return -1;
  free (e->user), free (e->group), free (e->lang), free (e->caps);
  free (e->linkto), free (e->digest);
  *e = (struct mk_entry){ .path = e->path, .mode = st->st_mode,
                          .size = S_ISREG (st->st_mode) ? st->st_size : 0,
                          .mtime = st->st_mtime, .flags = MK_ENTRY_SCRIPTED,
                          .linkto = link, .pkg = -1,
                          .rdev = (S_ISCHR (st->st_mode)
                                   || S_ISBLK (st->st_mode))
                                      ? st->st_rdev
                                      : 0 };
  disk_owner (st, &e->uid, &e->gid);
  return 0;
}

/* A file that was there before: what changed? */
static int
update_entry (struct ctx *c, struct mk_entry *e, struct snap *s, int dfd,
              const char *name, const struct stat *st, mk_error_t *err)
{
  int64_t mtime_ns = (int64_t) st->st_mtim.tv_sec * 1000000000
                     + st->st_mtim.tv_nsec;
  bool changed = false;

  if ((st->st_mode & 07777) != (s->mode & 07777))
    {
      e->mode = (e->mode & S_IFMT) | (st->st_mode & 07777);
      changed = true;
    }
  if (S_ISREG (st->st_mode)
      && (mtime_ns != s->mtime_ns || st->st_size != s->size
          || st->st_ino != s->ino))
    {
      e->size = (uint64_t) st->st_size;
      e->mtime = st->st_mtime;
      free (e->digest);
      e->digest = NULL;
      /* Replaced, not edited in place: no longer in its hardlink set. */
      if (st->st_ino != s->ino)
        e->inode = 0;
      changed = true;
    }
  if (S_ISLNK (st->st_mode) && mtime_ns != s->mtime_ns)
    {
      cleanup_free char *link = NULL;
      if (read_link (dfd, name, e->path, &link, err) < 0)
        return -1;
      if (e->linkto == NULL || strcmp (link, e->linkto) != 0)
        {
          free (e->linkto);
          e->linkto = steal_pointer (&link);
          e->mtime = st->st_mtime;
          changed = true;
        }
    }
  if (changed)
    {
      e->flags |= MK_ENTRY_SCRIPTED;
      c->changed++;
    }
  return 0;
}

/* Caches scriptlets leave that record inode numbers and change times of
 * the build host's files (ldconfig's aux-cache): never reproducible, and
 * rebuilt by their programs when missing. */
static const char *const volatile_files[] = { "/var/cache/ldconfig/aux-cache" };

static int
visit_reconcile (struct ctx *c, int dfd, const char *name, const char *path,
                 const struct stat *st, mk_error_t *err)
{
  struct mk_entry *e = mk_tree_lookup (c->t, path);
  struct snap *s = find_snap (c, path);

  if (s)
    s->seen = true;
  for (size_t i = 0; i < ARRAY_SIZE (volatile_files); i++)
    if (strcmp (path, volatile_files[i]) == 0 && S_ISREG (st->st_mode))
      {
        if (unlinkat (dfd, name, 0) < 0)
          return mk_make_error (err, errno, "staging: remove `%s`", path);
        if (s)
          s->seen = false; /* a package's: counted as removed */
        return 1;
      }
  /* The runner's mount points: the image's own, or made for the run. */
  if (strcmp (path, "/proc") == 0 || strcmp (path, "/sys") == 0
      || strcmp (path, "/dev") == 0)
    {
      if (e == NULL && s == NULL)
        unlinkat (dfd, name, AT_REMOVEDIR);
      return 1;
    }
  if (e == NULL)
    e = mk_tree_add (c->t, path);
  else if (!e->removed && !(e->flags & MK_RPMF_GHOST) && s
           && (e->mode & S_IFMT) == (st->st_mode & S_IFMT))
    return update_entry (c, e, s, dfd, name, st, err);
  c->added++;
  return take_from_disk (e, dfd, name, st, err);
}

/* Files the manifest has on disk that are gone: a script removed them. */
static void
note_removals (struct ctx *c)
{
  for (size_t i = 0; i < c->n_snaps; i++)
    {
      struct mk_entry *e;
      if (c->snaps[i].seen)
        continue;
      e = mk_tree_lookup (c->t, c->snaps[i].path);
      if (e && !e->removed)
        {
          e->removed = true;
          e->flags |= MK_ENTRY_SCRIPTED;
          c->removed++;
        }
    }
}

/* ---- running one scriptlet --------------------------------------------- */

/* Where rpm would write the script: /var/tmp, else /tmp, of the image. */
static char *
script_dir (struct ctx *c)
{
  static const char *const dirs[] = { "/var/tmp", "/tmp" };
  for (size_t i = 0; i < ARRAY_SIZE (dirs); i++)
    {
      cleanup_free char *canon = NULL;
      mk_error_t ignored = NULL;
      struct mk_entry *e;
      int r = mk_tree_resolve (c->t, dirs[i], true, &canon, &ignored);
      mk_error_release (&ignored);
      if (r < 0)
        continue;
      e = mk_tree_lookup (c->t, canon);
      if (e && S_ISDIR (e->mode) && !e->removed)
        return steal_pointer (&canon);
    }
  return xstrdup ("");
}

static int
write_script (struct ctx *c, const char *body, char **path, mk_error_t *err)
{
  cleanup_free char *dir = script_dir (c);
  cleanup_close int fd = -1;

  *path = xasprintf ("%s/rpm-tmp.mkbase.%u", dir, c->counter++);
  fd = mk_at_open (c->rootfd, *path,
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0700);
  if (fd < 0)
    return mk_make_error (err, errno, "staging: create `%s`", *path);
  return mk_write_all (fd, body, strlen (body), err, *path);
}

static void
remove_script (struct ctx *c, const char *path)
{
  const char *base;
  cleanup_close int pfd = mk_at_open_parent (c->rootfd, path, &base);
  if (pfd >= 0)
    unlinkat (pfd, base, 0);
}

static void
exec_runner (char **argv, int out_fd)
{
  int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || dup2 (null, 0) < 0 || dup2 (out_fd, 1) < 0
      || dup2 (out_fd, 2) < 0)
    _exit (MK_EXIT_RUNNER);
  /* The runner copies TERM from its caller; scripts should not see ours.
   * An ignored SIGPIPE would be inherited by the scripts' pipelines. */
  unsetenv ("TERM");
  signal (SIGPIPE, SIG_DFL);
  mk_nofile_restore ();
  execv (argv[0], argv);
  dprintf (2, "mkbase: run `%s`: %s\n", argv[0], strerror (errno));
  _exit (MK_EXIT_RUNNER);
}

/* Read the runner's output until it exits or the time runs out; the first
 * OUTPUT_MAX bytes are kept, the rest is read and dropped (a script must
 * never block on a full pipe). */
static int
collect (pid_t pid, int fd, int timeout, char **out, size_t *len)
{
  char *buf = xmalloc (OUTPUT_MAX + 1);
  char chunk[4096];
  time_t deadline = time (NULL) + timeout;
  size_t n = 0;
  int status = 0;

  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int left = (int) (deadline - time (NULL));
      ssize_t k;
      if (left <= 0 || poll (&p, 1, left * 1000) == 0)
        {
          kill (pid, SIGKILL);
          break;
        }
      k = read (fd, chunk, sizeof chunk);
      if (k < 0 && errno == EINTR)
        continue;
      if (k <= 0)
        break;
      if (n < OUTPUT_MAX)
        {
          size_t take = (size_t) k < OUTPUT_MAX - n ? (size_t) k
                                                     : OUTPUT_MAX - n;
          memcpy (buf + n, chunk, take);
          n += take;
        }
    }
  TEMP_FAILURE_RETRY (waitpid (pid, &status, 0));
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return status;
}

static int
run_prog (struct ctx *c, char **prog, const char *file, int *status,
          char **out, mk_error_t *err)
{
  cleanup_free char *runner = mk_script_runner_path ();
  char **argv = NULL;
  size_t len;
  int pfd[2];
  pid_t pid;

  mk_strv_push (&argv, xstrdup (runner));
  mk_strv_push (&argv, xstrdup ("run"));
  mk_strv_push (&argv, xstrdup ("--net=none"));
  /* rpm's %_install_script_path. */
  mk_strv_push (&argv, xstrdup ("--env=PATH=/sbin:/bin:/usr/sbin:/usr/bin"));
  mk_strv_push (&argv, xstrdup (c->o->root));
  mk_strv_push (&argv, xstrdup ("--"));
  for (size_t i = 0; prog[i]; i++)
    mk_strv_push (&argv, xstrdup (prog[i]));
  if (file)
    {
      mk_strv_push (&argv, xstrdup (file));
      mk_strv_push (&argv, xstrdup ("1")); /* instances after a fresh install */
    }
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    {
      mk_strv_free (argv);
      return mk_make_error (err, errno, "pipe");
    }
  fflush (NULL);
  pid = fork ();
  if (pid == 0)
    exec_runner (argv, pfd[1]);
  mk_strv_free (argv);
  close (pfd[1]);
  if (pid < 0)
    {
      close (pfd[0]);
      return mk_make_error (err, errno, "fork");
    }
  *status = collect (pid, pfd[0], c->o->timeout, out, &len);
  close (pfd[0]);
  return 0;
}

/* The interpreter must be in the image (rpm fails such a scriptlet too). */
static bool
interpreter_exists (struct ctx *c, const char *prog)
{
  cleanup_free char *canon = NULL;
  mk_error_t ignored = NULL;
  struct mk_entry *e = NULL;
  if (prog[0] == '/' && mk_tree_resolve (c->t, prog, true, &canon,
                                         &ignored) == 0)
    e = mk_tree_lookup (c->t, canon);
  mk_error_release (&ignored);
  return e && S_ISREG (e->mode) && !e->removed
         && !(e->flags & MK_RPMF_GHOST);
}

static void
report_output (FILE *f, const char *out)
{
  const char *p = out;
  while (*p)
    {
      const char *nl = strchrnul (p, '\n');
      cleanup_free char *line = xstrndup (p, (size_t) (nl - p));
      fputs ("    | ", f);
      mk_put_sanitized (f, line);
      fputc ('\n', f);
      p = *nl ? nl + 1 : nl;
    }
}

/* Why a scriptlet cannot run, or NULL when it can. */
static const char *
cannot_run (struct ctx *c, const struct mk_rpm_script *s)
{
  if (strcmp (s->prog[0], "<lua>") == 0)
    return "Lua scriptlets run inside librpm in the calling process; "
           "mkbase does not run them";
  if (!interpreter_exists (c, s->prog[0]))
    return "its interpreter is not in the image";
  return NULL;
}

static int
run_one (struct ctx *c, const struct mk_script_pkg *p,
         const struct mk_rpm_script *s, mk_error_t *err)
{
  bool fatal = s->kind == MK_RPM_PRETRANS || s->kind == MK_RPM_PRE;
  cleanup_free char *file = NULL;
  cleanup_free char *out = NULL;
  const char *why = cannot_run (c, s);
  int status = 0, code;

  fprintf (c->report, "%s %s (%s): ", p->nevra, s->name, s->prog[0]);
  if (why && strcmp (s->prog[0], "<lua>") == 0)
    {
      fprintf (c->report, "skipped: %s\n", why);
      mk_warn ("%s: %s skipped: %s", p->nevra, s->name, why);
      return 0;
    }
  if (why)
    {
      fprintf (c->report, "failed: %s\n", why);
      if (fatal)
        return mk_make_error (err, 0, "%s: %s scriptlet: %s (%s)", p->nevra,
                              s->name, why, s->prog[0]);
      mk_warn ("%s: %s scriptlet: %s (%s)", p->nevra, s->name, why,
               s->prog[0]);
      return 0;
    }
  mk_debug ("scriptlet %s %s", p->nevra, s->name);
  if ((s->body && write_script (c, s->body, &file, err) < 0)
      || run_prog (c, s->prog, file, &status, &out, err) < 0)
    {
      if (file)
        remove_script (c, file);
      return -1;
    }
  if (file)
    remove_script (c, file);
  code = WIFEXITED (status) ? WEXITSTATUS (status)
                            : 128 + WTERMSIG (status);
  fprintf (c->report, "exit %d\n", code);
  report_output (c->report, out);
  if (code == MK_EXIT_RUNNER)
    return mk_make_error (err, 0, "%s: %s scriptlet: the runner failed: %s",
                          p->nevra, s->name, out);
  if (code != 0 && fatal)
    return mk_make_error (err, 0, "%s: %s scriptlet failed with exit status "
                                  "%d (see the output above)", p->nevra,
                          s->name, code);
  if (code != 0)
    mk_warn ("%s: %s scriptlet failed with exit status %d; going on, as "
             "rpm does", p->nevra, s->name, code);
  return 0;
}

/* rpm's order for a fresh install. */
static int
run_in_order (struct ctx *c, const struct mk_script_pkg *pkgs, size_t n,
              mk_error_t *err)
{
  static const enum mk_rpm_script_kind per_pkg[] = { MK_RPM_PRE,
                                                     MK_RPM_POST };
  for (size_t i = 0; i < n; i++)
    if (pkgs[i].has[MK_RPM_PRETRANS]
        && run_one (c, &pkgs[i], &pkgs[i].s[MK_RPM_PRETRANS], err) < 0)
      return -1;
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < ARRAY_SIZE (per_pkg); k++)
      {
        if (mk_check_interrupt (err) < 0)
          return -1;
        if (pkgs[i].has[per_pkg[k]]
            && run_one (c, &pkgs[i], &pkgs[i].s[per_pkg[k]], err) < 0)
          return -1;
      }
  for (size_t i = 0; i < n; i++)
    if (pkgs[i].has[MK_RPM_POSTTRANS]
        && run_one (c, &pkgs[i], &pkgs[i].s[MK_RPM_POSTTRANS], err) < 0)
      return -1;
  return 0;
}

static void
ctx_free (struct ctx *c)
{
  for (size_t i = 0; i < c->n_snaps; i++)
    free (c->snaps[i].path);
  free (c->snaps);
  if (c->report)
    fclose (c->report);
  free (c->report_buf);
}

int
mk_script_run_all (struct mk_tree *t, int rootfd,
                   const struct mk_script_pkg *pkgs, size_t n,
                   const struct mk_script_opts *o, char **report,
                   mk_error_t *err)
{
  struct ctx c = { .t = t, .rootfd = rootfd, .o = o };
  int r = -1;

  c.report = open_memstream (&c.report_buf, &c.report_len);
  fputs ("# mkbase: install scriptlets, in the order they ran\n", c.report);
  if (walk (&c, rootfd, "", 0, visit_realize, err) < 0)
    goto done;
  qsort (c.snaps, c.n_snaps, sizeof *c.snaps, compare_snaps);
  if (run_in_order (&c, pkgs, n, err) < 0
      || walk (&c, rootfd, "", 0, visit_reconcile, err) < 0)
    goto done;
  note_removals (&c);
  mk_info ("scriptlets: %zu entries added, %zu changed, %zu removed",
           c.added, c.changed, c.removed);
  fclose (c.report);
  c.report = NULL;
  *report = steal_pointer (&c.report_buf);
  r = 0;
done:
  ctx_free (&c);
  return r;
}
