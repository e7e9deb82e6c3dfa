/* core.c: the lean front end's side of the split into two executables.
 *
 * `mkbase` is linked with libc and libseccomp only: it runs `mkbase run`
 * itself, so a container starts without mapping librpm, libsolv,
 * libarchive and what they pull in (libxml2, ICU, libstdc++: ~4 ms of
 * dynamic linking before main, and a large attack surface in a process
 * that sets up namespaces as root).  Every other command, and the one-time
 * import of a tar image into the cache, is done by mkbase-core, found next
 * to this binary (in-tree: out/), else in MK_LIBEXECDIR; $MKBASE_CORE
 * overrides both. */
#define _GNU_SOURCE
#include "core.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "image.h"
#include "util.h"

#ifndef MK_LIBEXECDIR
#define MK_LIBEXECDIR "/usr/local/libexec/mkbase"
#endif

static char *
core_path (void)
{
  const char *env = getenv ("MKBASE_CORE");
  char self[4096];
  ssize_t n;

  if (env && *env)
    return xstrdup (env);
  n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (n > 0)
    {
      char *slash, *cand;
      self[n] = '\0';
      slash = strrchr (self, '/');
      if (slash)
        {
          cand = xasprintf ("%.*s/mkbase-core", (int) (slash - self), self);
          if (access (cand, X_OK) == 0)
            return cand;
          free (cand);
        }
    }
  return xstrdup (MK_LIBEXECDIR "/mkbase-core");
}

int
mk_core_exec (char **argv, mk_error_t *err)
{
  cleanup_free char *core = core_path ();
  execv (core, argv);
  return mk_make_error (err, errno, "run `%s`", core);
}

/* The lean binary's import: run `mkbase-core __import-image IMAGE`, which
 * prints its own error line when it fails. */
int
mk_image_import (const char *image, mk_error_t *err)
{
  cleanup_free char *core = core_path ();
  char *argv[] = { (char *) "mkbase", (char *) "__import-image",
                   (char *) image, NULL };
  int status;
  pid_t pid = fork ();

  if (pid < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "fork");
  if (pid == 0)
    {
      execv (core, argv);
      fprintf (stderr, "mkbase: run `%s`: %s\n", core, strerror (errno));
      _exit (MK_EXIT_RUNNER);
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "wait");
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  /* Already reported by mkbase-core: an empty message prints nothing. */
  return mk_make_error_code (err,
                             WIFEXITED (status) ? WEXITSTATUS (status)
                                                : 128 + WTERMSIG (status),
                             0, "%s", "");
}
