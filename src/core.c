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
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "image.h"
#include "util.h"

#ifndef MK_LIBEXECDIR
#define MK_LIBEXECDIR "/usr/local/libexec/mkbase"
#endif
#ifndef MK_BIN_TO_LIBEXEC
#define MK_BIN_TO_LIBEXEC "../libexec/mkbase"
#endif

static char *
core_path (void)
{
  return mk_exe_path ("MKBASE_CORE", "mkbase-core", MK_BIN_TO_LIBEXEC,
                      MK_LIBEXECDIR);
}

/* A build touches tens of MB of fresh memory (decompression windows,
 * buffers, a heap that every fork makes copy-on-write), and on a VM a page
 * fault costs ~12 us: 8,700 faults were a tenth of a cold build's CPU
 * (docs/performance.md).  glibc's malloc can ask for transparent huge
 * pages (madvise, which is all most distributions enable by default):
 * 3,600 faults, 7 % less time, a few MB more peak RSS.  The tunable must
 * be in the environment when mkbase-core starts; a user's own setting of
 * it wins. */
static void
ask_huge_pages (void)
{
  const char *was = getenv ("GLIBC_TUNABLES");
  cleanup_free char *now = NULL;
  cleanup_free char *mark = NULL;

  if (was && strstr (was, "glibc.malloc.hugetlb"))
    return;
  now = was && *was ? xasprintf ("%s:glibc.malloc.hugetlb=1", was)
                    : xstrdup ("glibc.malloc.hugetlb=1");
  mark = was ? xasprintf ("=%s", was) : xstrdup ("-");
  setenv (MK_CORE_TUNABLES_WERE, mark, 1);
  setenv ("GLIBC_TUNABLES", now, 1);
}

int
mk_core_exec (char **argv, mk_error_t *err)
{
  cleanup_free char *core = core_path ();
  ask_huge_pages ();
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

/* CVE-2019-5736: a container whose command is a script starting with
 * `#!/proc/self/exe` makes the kernel execute the binary of the process
 * that called execve, that is us, inside the container, where its other
 * processes can open our /proc/PID/exe and later write through it to the
 * host's binary.  Like runc, run from a sealed memfd copy of ourselves:
 * /proc/self/exe is then an anonymous, write-sealed file.  Only as real
 * root: a rootless container's root is the caller, who could overwrite a
 * binary it owns anyway and cannot write one it does not. */
int
mk_core_seal_self (char **argv, mk_error_t *err)
{
  cleanup_close int self = -1, mfd = -1;
  cleanup_free char *core = NULL;
  struct stat st;
  off_t off = 0;

  if (geteuid () != 0)
    return 0;
  self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                               "open /proc/self/exe");
  {
    /* tmpfs files answer F_GET_SEALS too: look for the write seal. */
    int seals = fcntl (self, F_GET_SEALS);
    if (seals >= 0 && (seals & F_SEAL_WRITE))
      return 0; /* already the sealed copy */
  }
  /* The copy cannot find mkbase-core next to itself: say where it is. */
  core = core_path ();
  if (setenv ("MKBASE_CORE", core, 0) < 0 || fstat (self, &st) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "seal self");
  mfd = memfd_create ("mkbase", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "memfd_create");
  while (off < st.st_size)
    if (sendfile (mfd, self, &off, (size_t) (st.st_size - off)) <= 0)
      return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                                 "copy /proc/self/exe");
  if (fcntl (mfd, F_ADD_SEALS,
             F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "seal the copy");
  fexecve (mfd, argv, environ);
  return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "exec the copy");
}
