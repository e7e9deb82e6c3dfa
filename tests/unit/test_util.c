/* test_util.c: unit tests for util.c (strings, string vectors, the
 * beneath-root fd helpers, atomic files) and error.c (construction,
 * wrapping, messages).  Runs in a private temporary directory that it
 * removes; the privilege-drop check runs only as root. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "util.h"

#include "tap.h"


static char *tmp; /* the test's private directory */

static void
write_file (const char *path, const char *content)
{
  FILE *f = fopen (path, "w");
  if (f == NULL)
    {
      perror (path);
      exit (1);
    }
  fputs (content, f);
  fclose (f);
}

static char *
slurp (const char *path)
{
  char *buf = NULL;
  mk_error_t err = NULL;
  if (mk_read_file_at (AT_FDCWD, path, 1 << 20, &buf, NULL, &err) < 0)
    {
      mk_error_release (&err);
      return NULL;
    }
  return buf;
}

static bool
exists (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0;
}

static void
xsymlinkat (const char *target, int dfd, const char *path)
{
  if (symlinkat (target, dfd, path) < 0)
    {
      perror (path);
      exit (1);
    }
}

static char *
tpath (const char *rel)
{
  return xasprintf ("%s/%s", tmp, rel);
}

/* r is the result of a call that must fail with errno `want`; explain
 * what happened otherwise. */
static bool
failed_with (long r, int want)
{
  int e = errno;
  if (r >= 0)
    printf ("#   succeeded (%ld), expected failure with %s\n", r,
            strerror (want));
  else if (e != want)
    printf ("#   failed with %s, expected %s\n", strerror (e),
            strerror (want));
  return r < 0 && e == want;
}

static char *
tagpath (const char *tag, const char *rel)
{
  return xasprintf ("%s/%s/%s", tmp, tag, rel);
}

/* Make openat2 fail with ENOSYS in this process (a seccomp filter), so
 * mk_at_open takes its O_NOFOLLOW-walk fallback, as on kernels < 5.6. */
static bool
disable_openat2 (void)
{
  struct sock_filter f[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { .len = ARRAY_SIZE (f), .filter = f };
  return prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
         && prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

/* ---- strings and vectors ------------------------------------------------ */

static void
test_strv (void)
{
  char **v = NULL;

  is_int (mk_strv_len (NULL), 0, "strv_len (NULL) is 0");
  ok (!mk_strv_contains (NULL, "a"), "strv_contains (NULL) is false");
  mk_strv_push (&v, xstrdup ("a"));
  mk_strv_push (&v, xstrdup ("bb"));
  mk_strv_push (&v, xstrdup (""));
  is_int (mk_strv_len (v), 3, "three pushes give length 3");
  ok (v[3] == NULL, "vector stays NULL-terminated");
  is_str (v[0], "a", "first element kept in order");
  is_str (v[1], "bb", "second element kept in order");
  ok (mk_strv_contains (v, "bb"), "contains an element");
  ok (mk_strv_contains (v, ""), "contains the empty string element");
  ok (!mk_strv_contains (v, "b"), "no prefix match");
  mk_strv_free (v);
  mk_strv_free (NULL); /* must not crash */
  ok (1, "strv_free (NULL) is a no-op");

  ok (mk_str_has_prefix ("usr/bin", "usr/"), "has_prefix true");
  ok (!mk_str_has_prefix ("us", "usr"), "has_prefix false on a shorter string");
  ok (mk_str_has_prefix ("abc", ""), "empty prefix matches");
  ok (mk_str_has_suffix ("a.conf", ".conf"), "has_suffix true");
  ok (!mk_str_has_suffix ("conf", ".conf"), "has_suffix false on shorter");
  ok (mk_str_has_suffix ("x", ""), "empty suffix matches");

  {
    char *s = xasprintf ("%s-%d", "x", 42);
    is_str (s, "x-42", "xasprintf formats");
    free (s);
    s = xstrndup ("abcdef", 3);
    is_str (s, "abc", "xstrndup truncates");
    free (s);
  }
}

/* ---- errors ------------------------------------------------------------- */

static void
test_errors (void)
{
  mk_error_t err = NULL;
  int r;

  r = mk_make_error (&err, ENOENT, "open `%s`", "x.conf");
  is_int (r, -1, "mk_make_error returns -1");
  ok (err != NULL, "error is set");
  is_int (err->errnum, ENOENT, "errnum kept");
  is_int (err->exit_code, MK_EXIT_FAILURE, "default exit code is 1");
  {
    char *want = xasprintf ("open `x.conf`: %s", strerror (ENOENT));
    is_str (err->msg, want, "message is \"what: strerror\"");
    free (want);
  }
  r = mk_error_wrap (&err, "recipe %s", "demo");
  is_int (r, -1, "mk_error_wrap returns -1");
  {
    char *want = xasprintf ("recipe demo: open `x.conf`: %s",
                            strerror (ENOENT));
    is_str (err->msg, want, "wrap gives \"ctx: what: strerror\"");
    free (want);
  }
  is_int (err->errnum, ENOENT, "wrap keeps errnum");

  /* The first error is the root cause and wins. */
  mk_make_error (&err, EPERM, "later");
  ok (strstr (err->msg, "later") == NULL && err->errnum == ENOENT,
      "a second error does not replace the first");
  mk_error_release (&err);
  ok (err == NULL, "release clears the pointer");
  mk_error_release (&err);
  mk_error_release (NULL);
  ok (1, "release of NULL is a no-op");

  r = mk_error_wrap (&err, "ctx");
  ok (r == -1 && err == NULL, "wrap without an error stays NULL");

  mk_make_error (&err, 0, "plain %d", 7);
  is_str (err->msg, "plain 7", "errnum 0 appends no strerror");
  is_int (err->errnum, 0, "errnum 0 kept");
  mk_error_release (&err);

  mk_make_error_code (&err, MK_EXIT_RECIPE, EINVAL, "bad");
  is_int (err->exit_code, MK_EXIT_RECIPE, "explicit exit code kept");
  {
    char *want = xasprintf ("bad: %s", strerror (EINVAL));
    is_str (err->msg, want, "explicit code message");
    free (want);
  }
  mk_error_wrap (&err, "a");
  mk_error_wrap (&err, "b");
  ok (mk_str_has_prefix (err->msg, "b: a: bad: "), "wraps nest outermost first");
  is_int (err->exit_code, MK_EXIT_RECIPE, "wrap keeps exit code");
  mk_error_release (&err);
}

/* ---- reading and writing ------------------------------------------------ */

static void
test_read_write (void)
{
  mk_error_t err = NULL;
  char *p = tpath ("rw"), *buf = NULL;
  size_t len = 0;
  int fd;

  fd = open (p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ok (fd >= 0 && mk_write_all (fd, "hello\0world", 11, &err, p) == 0,
      "write_all writes");
  close (fd);
  ok (mk_read_file_at (AT_FDCWD, p, 100, &buf, &len, &err) == 0,
      "read_file_at reads");
  is_int (len, 11, "length counts embedded NULs");
  ok (buf && memcmp (buf, "hello\0world", 12) == 0,
      "content and terminating NUL");
  free (buf);
  buf = NULL;
  ok (mk_read_file_at (AT_FDCWD, p, 10, &buf, &len, &err) < 0 && err
          && err->errnum == EFBIG && buf == NULL,
      "a file over max is EFBIG and leaves *out alone");
  mk_error_release (&err);
  ok (mk_read_file_at (AT_FDCWD, "/nonexistent/x", 10, &buf, &len, &err) < 0
          && err && err->errnum == ENOENT,
      "missing file is ENOENT");
  mk_error_release (&err);
  ok (mk_write_all (-1, "x", 1, &err, "bad") < 0 && err->errnum == EBADF,
      "write_all on a bad fd fails");
  mk_error_release (&err);
  free (p);

  {
    char *d = NULL;
    ok (mk_mkdtemp (tmp, "mkt", &d, &err) == 0, "mk_mkdtemp creates");
    if (d)
      {
        struct stat st;
        ok (mk_str_has_prefix (d, tmp) && strstr (d, "/mkt-") != NULL,
            "mk_mkdtemp name is PARENT/PREFIX-XXXXXX");
        ok (stat (d, &st) == 0 && S_ISDIR (st.st_mode)
                && (st.st_mode & 07777) == 0700,
            "mk_mkdtemp dir is private (0700)");
        rmdir (d);
        free (d);
      }
    d = NULL;
    ok (mk_mkdtemp ("/nonexistent", "x", &d, &err) < 0 && d == NULL && err,
        "mk_mkdtemp in a missing parent fails");
    mk_error_release (&err);
  }
}

/* ---- beneath-root opens ------------------------------------------------- */

/* mk_dircache_parent: the same confinement as mk_at_open_parent, one fd
 * per directory while cached, LRU eviction, clear. */
static void
test_dircache (int rfd)
{
  struct mk_dircache *c = mk_dircache_new (rfd);
  const char *base = NULL;
  struct stat st, st2;
  int fd, fd2, kept;

  fd = mk_dircache_parent (c, "/a/b/c", &base);
  ok (fd >= 0 && strcmp (base, "c") == 0
          && fstatat (fd, base, &st, AT_SYMLINK_NOFOLLOW) == 0
          && S_ISREG (st.st_mode),
      "dircache: parent fd and base of a nested path");
  fd2 = mk_dircache_parent (c, "/a/b/new2", &base);
  ok (fd2 == fd && strcmp (base, "new2") == 0,
      "dircache: the same directory gives the same fd");
  ok (mk_dircache_parent (c, "/top", &base) == rfd && strcmp (base, "top") == 0,
      "dircache: a top-level name's parent is the root fd");
  errno = 0;
  ok (failed_with (mk_dircache_parent (c, "a/lnkdir/c", &base), ELOOP),
      "dircache: refuses a symlink in the parent path");
  errno = 0;
  ok (failed_with (mk_dircache_parent (c, "out/x", &base), ELOOP),
      "dircache: refuses a link to outside");
  errno = 0;
  ok (mk_dircache_parent (c, "a/b/", &base) < 0 && errno == EINVAL
          && mk_dircache_parent (c, "", &base) < 0,
      "dircache: EINVAL for \"\" and a trailing '/'");
  errno = 0;
  ok (mk_dircache_parent (c, "../x/y", &base) < 0,
      "dircache: refuses \"..\"");
  /* Fill the cache with other directories: "a/b" was used last of the
   * cached ones before "a", so it survives MK_DIRCACHE_SIZE - 2 others. */
  kept = mk_dircache_parent (c, "a/x", &base); /* parent "a" */
  for (int i = 0; i < MK_DIRCACHE_SIZE - 2; i++)
    {
      char *d = xasprintf ("d%d", i), *p = xasprintf ("d%d/f", i);
      mkdirat (rfd, d, 0700);
      mk_dircache_parent (c, p, &base);
      free (d), free (p);
    }
  fd2 = mk_dircache_parent (c, "a/b/c", &base);
  ok (fd2 == fd && fcntl (kept, F_GETFD) >= 0,
      "dircache: recently used fds stay open");
  for (int i = 0; i < MK_DIRCACHE_SIZE; i++)
    {
      char *d = xasprintf ("e%d", i), *p = xasprintf ("e%d/f", i);
      mkdirat (rfd, d, 0700);
      mk_dircache_parent (c, p, &base);
      free (d), free (p);
    }
  fd2 = mk_dircache_parent (c, "a/b/c", &base);
  ok (fd2 >= 0 && fstat (fd2, &st2) == 0 && fstatat (rfd, "a/b", &st, 0) == 0
          && st.st_ino == st2.st_ino,
      "dircache: an evicted directory is opened again");
  mk_dircache_clear (c);
  errno = 0;
  ok (fcntl (fd2, F_GETFD) < 0 && errno == EBADF,
      "dircache: clear closes the fds");
  mk_dircache_free (c);
  for (int i = 0; i < MK_DIRCACHE_SIZE; i++)
    {
      char *d = xasprintf ("d%d", i), *e = xasprintf ("e%d", i);
      unlinkat (rfd, d, AT_REMOVEDIR), unlinkat (rfd, e, AT_REMOVEDIR);
      free (d), free (e);
    }
}

static void
test_at_open (const char *tag)
{
  char *root = tagpath (tag, "root"), *outside = tagpath (tag, "outside");
  int rfd, fd;
  struct stat st;

  {
    char *t = tpath (tag);
    mkdir (t, 0755);
    free (t);
  }
  mkdir (root, 0755);
  mkdir (outside, 0755);
  {
    char *a = tagpath (tag, "root/a"), *ab = tagpath (tag, "root/a/b");
    char *f = tagpath (tag, "root/a/b/c"), *o = tagpath (tag, "outside/secret");
    mkdir (a, 0755);
    mkdir (ab, 0755);
    write_file (f, "inside");
    write_file (o, "secret");
    free (a), free (ab), free (f), free (o);
  }
  rfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  ok (rfd >= 0, "open root");
  /* Links: a relative one inside, an absolute one and one to outside. */
  xsymlinkat ("b", rfd, "a/lnkdir");
  xsymlinkat ("c", rfd, "a/b/lnkfile");
  xsymlinkat (outside, rfd, "out");
  xsymlinkat ("/a/b", rfd, "abs");

  fd = mk_at_open (rfd, "a/b/c", O_RDONLY, 0);
  ok (fd >= 0, "opens a nested path");
  if (fd >= 0)
    {
      char b[16] = { 0 };
      ok (read (fd, b, sizeof b - 1) == 6 && strcmp (b, "inside") == 0,
          "reads the nested file");
      close (fd);
    }
  fd = mk_at_open (rfd, "/a/b/c", O_RDONLY, 0);
  ok (fd >= 0, "a leading '/' is relative to the root");
  if (fd >= 0)
    close (fd);
  fd = mk_at_open (rfd, "//a//b/./c", O_RDONLY, 0);
  ok (fd >= 0, "repeated slashes and '.' are fine");
  if (fd >= 0)
    close (fd);
  fd = mk_at_open (rfd, "", O_RDONLY | O_DIRECTORY, 0);
  ok (fd >= 0 && fstat (fd, &st) == 0 && S_ISDIR (st.st_mode),
      "empty path opens the root itself");
  if (fd >= 0)
    close (fd);

  errno = 0;
  ok (failed_with (mk_at_open (rfd, "a/lnkdir/c", O_RDONLY, 0), ELOOP),
      "symlink in a middle component: ELOOP");
  errno = 0;
  ok (failed_with (mk_at_open (rfd, "a/b/lnkfile", O_RDONLY, 0), ELOOP),
      "symlink as the last component: ELOOP");
  errno = 0;
  ok (failed_with (mk_at_open (rfd, "out/secret", O_RDONLY, 0), ELOOP),
      "symlink to outside the root: ELOOP");
  errno = 0;
  ok (failed_with (mk_at_open (rfd, "abs/c", O_RDONLY, 0), ELOOP),
      "absolute symlink inside the root: ELOOP");
  /* util.h says ".." is refused; openat2's RESOLVE_BENEATH only refuses a
   * ".." that would leave the root (the O_NOFOLLOW walk refuses all).
   * Either way it must not escape: success must mean the inner file. */
  errno = 0;
  fd = mk_at_open (rfd, "a/../a/b/c", O_RDONLY, 0);
  {
    char b[16] = { 0 };
    ok ((fd < 0 && errno == EXDEV)
            || (fd >= 0 && read (fd, b, sizeof b - 1) == 6
                && strcmp (b, "inside") == 0),
        "\"..\" that stays inside is refused or stays inside");
  }
  if (fd >= 0)
    close (fd);
  errno = 0;
  fd = mk_at_open (rfd, "a/b/../../../outside/secret", O_RDONLY, 0);
  ok (fd < 0 && errno == EXDEV, "\"..\" climbing out of the root is EXDEV");
  if (fd >= 0)
    close (fd);
  errno = 0;
  fd = mk_at_open (rfd, "../outside/secret", O_RDONLY, 0);
  ok (fd < 0 && errno == EXDEV, "\"..\" out of the root is refused");
  if (fd >= 0)
    close (fd);

  fd = mk_at_open (rfd, "a/b/new", O_WRONLY | O_CREAT | O_EXCL, 0640);
  ok (fd >= 0, "O_CREAT beneath the root");
  if (fd >= 0)
    close (fd);
  ok (fstatat (rfd, "a/b/new", &st, AT_SYMLINK_NOFOLLOW) == 0
          && S_ISREG (st.st_mode) && (st.st_mode & 0777) == (0640 & ~022),
      "created file exists with the given mode");
  errno = 0;
  fd = mk_at_open (rfd, "out/created", O_WRONLY | O_CREAT, 0644);
  ok (failed_with (fd, ELOOP), "O_CREAT through a link to outside fails");
  if (fd >= 0)
    close (fd);
  {
    char *o = tagpath (tag, "outside/created");
    ok (!exists (o), "nothing was created outside");
    free (o);
  }
  /* A dangling link as the final component must not be created through. */
  {
    char *target = tagpath (tag, "outside/via-dangling");
    xsymlinkat (target, rfd, "dangle");
    errno = 0;
    fd = mk_at_open (rfd, "dangle", O_WRONLY | O_CREAT, 0644);
    ok (failed_with (fd, ELOOP), "O_CREAT on a dangling link fails");
    if (fd >= 0)
      close (fd);
    ok (!exists (target), "the dangling link's target was not created");
    free (target);
  }
  errno = 0;
  ok (mk_at_open (rfd, "a/nope/x", O_RDONLY, 0) < 0 && errno == ENOENT,
      "missing component is ENOENT");

  /* mk_at_open_parent */
  {
    const char *base = NULL;
    fd = mk_at_open_parent (rfd, "a/b/c", &base);
    ok (fd >= 0, "open_parent of a nested path");
    is_str (base, "c", "open_parent base is the last component");
    ok (fd >= 0 && fstatat (fd, base, &st, AT_SYMLINK_NOFOLLOW) == 0
            && S_ISREG (st.st_mode),
        "open_parent fd is the parent directory");
    if (fd >= 0)
      close (fd);
    base = NULL;
    fd = mk_at_open_parent (rfd, "/top", &base);
    is_str (base, "top", "open_parent of a top-level name");
    ok (fd >= 0 && fstatat (fd, "a", &st, AT_SYMLINK_NOFOLLOW) == 0,
        "open_parent of a top-level name gives the root");
    if (fd >= 0)
      close (fd);
    fd = mk_at_open_parent (rfd, "/a/b/lnkfile", &base);
    ok (fd >= 0 && strcmp (base, "lnkfile") == 0,
        "open_parent does not touch the final component");
    if (fd >= 0)
      close (fd);
    errno = 0;
    ok (failed_with (mk_at_open_parent (rfd, "a/lnkdir/c", &base), ELOOP),
        "open_parent refuses a symlink in the parent path");
    errno = 0;
    ok (failed_with (mk_at_open_parent (rfd, "out/x", &base), ELOOP),
        "open_parent refuses a link to outside");
    errno = 0;
    ok (mk_at_open_parent (rfd, "", &base) < 0 && errno == EINVAL,
        "open_parent of \"\" is EINVAL");
    errno = 0;
    ok (mk_at_open_parent (rfd, "/", &base) < 0 && errno == EINVAL,
        "open_parent of \"/\" is EINVAL");
    errno = 0;
    ok (mk_at_open_parent (rfd, "a/b/", &base) < 0 && errno == EINVAL,
        "open_parent of a path ending in '/' is EINVAL");
    errno = 0;
    ok (mk_at_open_parent (rfd, "../x/y", &base) < 0,
        "open_parent refuses \"..\"");
  }
  test_dircache (rfd);

  close (rfd);
  free (root);
  free (outside);
}

/* The same checks again in a child whose openat2 is disabled; the child's
 * TAP lines continue the numbering and its counters come back by pipe. */
static void
test_at_open_fallback (void)
{
  int pfd[2], counts[2] = { 0, 0 }, status = 0;
  pid_t pid;

  if (pipe (pfd) < 0)
    abort ();
  printf ("# mk_at_open without openat2 (the O_NOFOLLOW-walk fallback):\n");
  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      struct open_how how = { .flags = O_RDONLY };
      close (pfd[0]);
      if (!disable_openat2 ())
        printf ("ok %d # SKIP cannot install a seccomp filter\n", ++tap_n);
      else
        {
          errno = 0;
          ok (syscall (SYS_openat2, AT_FDCWD, ".", &how, sizeof how) < 0
                  && errno == ENOSYS,
              "openat2 now fails with ENOSYS");
          test_at_open ("walk");
        }
      fflush (stdout);
      counts[0] = tap_n;
      counts[1] = tap_failed;
      if (write (pfd[1], counts, sizeof counts) != sizeof counts)
        _exit (3);
      _exit (0);
    }
  close (pfd[1]);
  if (read (pfd[0], counts, sizeof counts) == sizeof counts)
    {
      tap_n = counts[0];
      tap_failed = counts[1];
    }
  close (pfd[0]);
  waitpid (pid, &status, 0);
  ok (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "the fallback child ran to the end");
}

/* ---- rmtree ------------------------------------------------------------- */

static void
build_doomed_tree (const char *t, const char *outside)
{
  char *p;
  mkdir (t, 0755);
  p = xasprintf ("%s/sub", t), mkdir (p, 0755), free (p);
  p = xasprintf ("%s/sub/deep", t), mkdir (p, 0755), free (p);
  p = xasprintf ("%s/sub/deep/f", t), write_file (p, "x"), free (p);
  p = xasprintf ("%s/locked", t), mkdir (p, 0755), free (p);
  p = xasprintf ("%s/locked/inner", t), write_file (p, "y"), free (p);
  p = xasprintf ("%s/locked/innerdir", t), mkdir (p, 0755), free (p);
  /* Links to outside: the directory, a file in it, and one inside the
   * locked directory. */
  p = xasprintf ("%s/to-outside", t), xsymlinkat (outside, AT_FDCWD, p), free (p);
  {
    char *target = xasprintf ("%s/keepme", outside);
    p = xasprintf ("%s/sub/to-file", t), xsymlinkat (target, AT_FDCWD, p), free (p);
    p = xasprintf ("%s/locked/to-file", t), xsymlinkat (target, AT_FDCWD, p), free (p);
    free (target);
  }
  p = xasprintf ("%s/locked", t), chmod (p, 0000), free (p);
}

static void
test_rmtree (void)
{
  char *outside = tpath ("rm-outside"), *keep = tpath ("rm-outside/keepme");
  char *t = tpath ("doomed");
  int dfd;

  mkdir (outside, 0755);
  write_file (keep, "survive");
  build_doomed_tree (t, outside);

  dfd = open (tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
  ok (mk_at_rmtree (dfd, "doomed") == 0, "rmtree succeeds");
  ok (!exists (t), "the tree is gone");
  ok (exists (outside), "a linked-to directory outside survives");
  {
    char *c = slurp (keep);
    is_str (c, "survive", "a linked-to file outside survives intact");
    free (c);
  }
  ok (mk_at_rmtree (dfd, "doomed") == 0, "rmtree of a missing name is 0");

  /* A symlink itself is unlinked, not followed. */
  xsymlinkat (outside, dfd, "lonelink");
  ok (mk_at_rmtree (dfd, "lonelink") == 0 && exists (outside)
          && !exists (t),
      "rmtree of a symlink to a directory removes only the link");
  {
    char *p = tpath ("lonelink");
    ok (!exists (p), "the link is gone");
    free (p);
  }
  write_file (t, "a plain file");
  ok (mk_at_rmtree (dfd, "doomed") == 0 && !exists (t),
      "rmtree of a plain file unlinks it");

  /* Unprivileged (as root, a 0000 dir is open to us anyway): drop to
   * nobody in a child over a tree that nobody owns. */
  if (geteuid () != 0)
    printf ("ok %d # SKIP not root: rmtree as an unprivileged owner\n",
            ++tap_n);
  else
    {
      char *nb = tpath ("nobody"), *nt = tpath ("nobody/t");
      char *ncmd;
      pid_t pid;
      int status = 0;
      mkdir (nb, 0700);
      build_doomed_tree (nt, outside);
      chmod (tmp, 0711);
      ncmd = xasprintf ("chown -hR 65534:65534 '%s'", nb);
      if (system (ncmd) != 0)
        printf ("# chown failed\n");
      free (ncmd);
      fflush (stdout);
      pid = fork ();
      if (pid == 0)
        {
          int nfd;
          if (setgroups (0, NULL) < 0 || setresgid (65534, 65534, 65534) < 0
              || setresuid (65534, 65534, 65534) < 0)
            _exit (2);
          nfd = open (nb, O_PATH | O_DIRECTORY | O_CLOEXEC);
          _exit (nfd >= 0 && mk_at_rmtree (nfd, "t") == 0 ? 0 : 1);
        }
      waitpid (pid, &status, 0);
      ok (WIFEXITED (status) && WEXITSTATUS (status) == 0 && !exists (nt),
          "rmtree as the unprivileged owner removes a 0000-mode directory");
      ok (exists (keep), "and the outside file still survives");
      chmod (tmp, 0700);
      free (nb);
      free (nt);
    }
  close (dfd);
  free (outside);
  free (keep);
  free (t);
}

/* ---- atomic files ------------------------------------------------------- */

static size_t
count_entries (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  size_t n = 0;
  if (d == NULL)
    return (size_t) -1;
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
      n++;
  closedir (d);
  return n;
}

static void
test_atomic (void)
{
  char *dir = tpath ("atomic"), *path = tpath ("atomic/out.tar");
  char *tmpname = NULL, *c;
  mk_error_t err = NULL;
  struct stat st;
  int fd;

  mkdir (dir, 0755);
  write_file (path, "old");

  fd = mk_atomic_open (path, &tmpname, &err);
  ok (fd >= 0 && tmpname != NULL, "atomic_open gives an fd and a name");
  if (fd < 0)
    {
      mk_error_release (&err);
      free (dir), free (path);
      return;
    }
  {
    char *prefix = xasprintf ("%s/.out.tar.", dir);
    ok (mk_str_has_prefix (tmpname, prefix),
        "temp file is a hidden sibling (%s)", tmpname);
    free (prefix);
  }
  ok (exists (tmpname), "temp file exists while open");
  mk_write_all (fd, "partial", 7, &err, tmpname);
  mk_atomic_abort (fd, tmpname);
  ok (!exists (tmpname), "abort removes the temp file");
  is_int (count_entries (dir), 1, "no stray file after abort");
  c = slurp (path);
  is_str (c, "old", "abort leaves the old file intact");
  free (c);
  free (tmpname);
  tmpname = NULL;

  fd = mk_atomic_open (path, &tmpname, &err);
  ok (fd >= 0, "atomic_open again");
  if (fd >= 0)
    {
      mk_write_all (fd, "new", 3, &err, tmpname);
      c = slurp (path);
      is_str (c, "old", "readers see the old file before commit");
      free (c);
      ok (mk_atomic_commit (fd, tmpname, path, &err) == 0,
          "atomic_commit succeeds");
      c = slurp (path);
      is_str (c, "new", "commit replaces the file");
      free (c);
      is_int (count_entries (dir), 1, "no temp file left after commit");
      ok (stat (path, &st) == 0 && (st.st_mode & 0777) == 0644,
          "committed file is 0666 & ~umask (0644)");
    }
  free (tmpname);
  tmpname = NULL;

  /* A relative path (no '/') works from the cwd. */
  {
    int cwd = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (chdir (dir) == 0)
      {
        fd = mk_atomic_open ("rel.txt", &tmpname, &err);
        ok (fd >= 0 && mk_str_has_prefix (tmpname, ".rel.txt."),
            "relative path gets a temp name in the cwd");
        if (fd >= 0)
          ok (mk_atomic_commit (fd, tmpname, "rel.txt", &err) == 0
                  && exists ("rel.txt"),
              "relative commit");
        free (tmpname);
        tmpname = NULL;
      }
    if (fchdir (cwd) < 0)
      abort ();
    close (cwd);
  }

  fd = mk_atomic_open ("/nonexistent-dir/x", &tmpname, &err);
  ok (fd < 0 && err && err->errnum == ENOENT && tmpname == NULL,
      "atomic_open in a missing directory fails and leaves *tmp alone");
  if (err)
    ok (mk_str_has_prefix (err->msg,
                           "create a temporary file for `/nonexistent-dir/x`"),
        "its message names the path: %s", err->msg);
  mk_error_release (&err);

  /* Commit onto a path that cannot be renamed to: temp file cleaned. */
  {
    char *blocker = tpath ("atomic/blocker");
    char *inside = tpath ("atomic/blocker/f");
    mkdir (blocker, 0755);
    write_file (inside, "z");
    fd = mk_atomic_open (blocker, &tmpname, &err);
    ok (fd >= 0, "atomic_open next to a non-empty directory");
    if (fd >= 0)
      {
        ok (mk_atomic_commit (fd, tmpname, blocker, &err) < 0 && err,
            "commit over a non-empty directory fails");
        ok (!exists (tmpname), "failed commit removes the temp file");
      }
    mk_error_release (&err);
    free (tmpname);
    free (blocker);
    free (inside);
  }
  free (dir);
  free (path);
}

/* ---- interrupts (last: it changes process state) ------------------------ */

static void
test_interrupt (void)
{
  mk_error_t err = NULL;
  ok (mk_interrupted () == 0 && mk_check_interrupt (&err) == 0 && err == NULL,
      "no signal: check_interrupt is 0");
  mk_signals_install ();
  raise (SIGTERM);
  is_int (mk_interrupted (), SIGTERM, "a caught SIGTERM is recorded");
  ok (mk_check_interrupt (&err) < 0 && err
          && err->exit_code == MK_EXIT_SIGTERM,
      "check_interrupt turns it into exit code 143");
  mk_error_release (&err);
  raise (SIGINT);
  ok (mk_check_interrupt (&err) < 0 && err && err->exit_code == MK_EXIT_SIGINT,
      "SIGINT gives exit code 130");
  mk_error_release (&err);
}

int
main (void)
{
  char tmpl[] = "/tmp/mkbase-test-util-XXXXXX";

  umask (022);
  tmp = mkdtemp (tmpl);
  if (tmp == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }
  test_strv ();
  test_errors ();
  test_read_write ();
  test_at_open ("at2");
  test_at_open_fallback ();
  test_rmtree ();
  test_atomic ();
  test_interrupt ();
  ok (mk_at_rmtree (AT_FDCWD, tmp) == 0 && !exists (tmp),
      "temporary directory removed");
  return tap_done ();
}
