/* runner.c: the process side of `mkbase run`.  Three processes take part:
 *
 *   runner (host)  clone(NEWPID|NEWNS|NEWUTS|NEWIPC[|NEWNET][|NEWUSER])
 *     init (PID 1) builds the mount tree, pivots, drops privileges, forks
 *       command (PID 2) sets its user, closes fds, execs
 *
 * The runner writes the uid/gid maps ("deny" to setgroups first, as the
 * kernel demands since CVE-2014-8989) and moves init into the run's cgroup,
 * then releases it through the sync pipe; init enters a new cgroup
 * namespace only then, so its cgroup root is the run's cgroup.  Init stays
 * as PID 1 to reap orphans and forward signals: a command that is PID 1
 * itself would ignore SIGTERM without a handler and leave zombies.  No
 * process ever re-executes /proc/self/exe inside the container
 * (CVE-2019-5736; as root the binary is a sealed memfd copy, core.c), and
 * init is not dumpable, so the container cannot open
 * its /proc/1/exe.
 *
 * Children never return into the caller's code: failures are written to the
 * report pipe (close-on-exec, so a successful exec closes it) as one
 * message, and the child calls _exit.  The runner reads that message after
 * init is gone and turns it into the mk_error_t, which is how a failed exec
 * becomes 126 or 127 and a failed mount 125.  libc only; seccomp.c owns
 * libseccomp. */
#define _GNU_SOURCE
#include "runner.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "console.h"
#include "seccomp.h"
#include "util.h"

#include <sys/signalfd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* One message from a child to the runner; smaller than PIPE_BUF, so a
 * single write is atomic. */
struct report
{
  int exit_code;
  int errnum;
  char msg[1024];
};

static const int forwarded[] = { SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
                                 SIGUSR1, SIGUSR2, SIGWINCH };

static void
signal_set (sigset_t *set)
{
  sigemptyset (set);
  for (size_t i = 0; i < ARRAY_SIZE (forwarded); i++)
    sigaddset (set, forwarded[i]);
  sigaddset (set, SIGCHLD);
}

static int
compare_int (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

static int
status_code (int status)
{
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

/* ---- child side ---------------------------------------------------------
 * Everything below up to "runner side" runs in init or in the command. */

static void __attribute__ ((noreturn))
child_report (int fd, int exit_code, int errnum, const char *msg)
{
  struct report r = { .exit_code = exit_code, .errnum = errnum };
  snprintf (r.msg, sizeof r.msg, "%s", msg);
  if (write (fd, &r, sizeof r) < 0)
    {
      /* nothing left to tell anyone */
    }
  _exit (exit_code);
}

static void __attribute__ ((noreturn))
child_fail (int fd, mk_error_t *err)
{
  child_report (fd, (*err)->exit_code, (*err)->errnum, (*err)->msg);
}

/* Close every fd above 2 except the n in keep (ascending). */
static void
close_fds_except (const int *keep, size_t n)
{
  unsigned lo = 3;
  for (size_t i = 0; i < n; i++)
    {
      if ((unsigned) keep[i] > lo)
        syscall (SYS_close_range, lo, (unsigned) keep[i] - 1, 0);
      lo = (unsigned) keep[i] + 1;
    }
  syscall (SYS_close_range, lo, ~0U, 0);
}

static int
loopback_up (mk_error_t *err)
{
  struct ifreq ifr = { 0 };
  cleanup_close int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "socket");
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (s, SIOCGIFFLAGS, &ifr) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "get lo flags");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl (s, SIOCSIFFLAGS, &ifr) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "bring lo up");
  return 0;
}

/* Enter the working directory.  Called after the pivot, and resolved with
 * "/" as the root and magic links refused, so /proc/self/fd/N (a leaked
 * host directory, CVE-2024-21626) or /proc/1/root cannot take the command
 * outside; getcwd() then proves the result is reachable from "/". */
static int
enter_workdir (const char *dir, mk_error_t *err)
{
  struct open_how how = {
    .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  cleanup_close int fd = -1;
  char cwd[4096];

  fd = (int) syscall (SYS_openat2, AT_FDCWD, dir, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS && !mk_str_has_prefix (dir, "/proc"))
    fd = TEMP_FAILURE_RETRY (open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (fd < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "workdir `%s`",
                               dir);
  if (fchdir (fd) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "workdir `%s`",
                               dir);
  if (getcwd (cwd, sizeof cwd) == NULL || cwd[0] != '/')
    return mk_make_error_code (err, MK_EXIT_RUNNER, 0,
                               "workdir `%s` is outside the container", dir);
  return 0;
}

/* Reduce the bounding set to Docker's default; every process the command
 * starts inherits it and no exec can widen it again. */
static int
drop_bounding_set (mk_error_t *err)
{
  for (unsigned long cap = 0; prctl (PR_CAPBSET_READ, cap, 0, 0, 0) >= 0;
       cap++)
    {
      if (cap < 64 && (MK_RUNNER_DEFAULT_CAPS & (1ULL << cap)))
        continue;
      if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
        return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                                   "drop capability %lu", cap);
    }
  return 0;
}

/* Set the effective and permitted sets to the default set and clear the
 * inheritable and ambient ones, so no capability survives an exec of a
 * non-root program (CVE-2022-24769). */
static int
set_capabilities (mk_error_t *err)
{
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2] = { { 0 } };
  d[0].effective = d[0].permitted = (uint32_t) MK_RUNNER_DEFAULT_CAPS;
  d[1].effective = d[1].permitted = (uint32_t) (MK_RUNNER_DEFAULT_CAPS >> 32);
  if (syscall (SYS_capset, &h, d) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "capset");
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0
      && errno != EINVAL)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                               "clear ambient capabilities");
  return 0;
}

static int
set_user (const struct mk_run_config *cfg, mk_error_t *err)
{
  /* A root caller's supplementary groups must not leak in.  In a user
   * namespace setgroups is denied, and the caller's groups stay (that is
   * the point of the deny, CVE-2014-8989). */
  if (!cfg->mounts.userns && setgroups (0, NULL) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "setgroups");
  if (setresgid (cfg->gid, cfg->gid, cfg->gid) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "setgid %u",
                               (unsigned) cfg->gid);
  if (setresuid (cfg->uid, cfg->uid, cfg->uid) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "setuid %u",
                               (unsigned) cfg->uid);
  return 0;
}

static const char *
env_path (char *const *env)
{
  for (size_t i = 0; env[i]; i++)
    if (mk_str_has_prefix (env[i], "PATH="))
      return env[i] + 5;
  return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

/* execve along the container's PATH (execvpe would use the runner's
 * PATH and run ENOEXEC files with /bin/sh, which docker does not).
 * Returns only on failure, with the errno that best describes it. */
static int
exec_command (char *const *argv, char *const *env)
{
  const char *name = argv[0], *p = env_path (env);
  bool denied = false;

  if (*name == '\0')
    return ENOENT;
  if (strchr (name, '/'))
    {
      execve (name, argv, env);
      return errno;
    }
  while (p)
    {
      const char *end = strchr (p, ':');
      size_t len = end ? (size_t) (end - p) : strlen (p);
      cleanup_free char *full
          = xasprintf ("%.*s/%s", (int) len, len ? p : ".", name);
      execve (full, argv, env);
      if (errno == EACCES)
        denied = true;
      else if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
        return errno;
      p = end ? end + 1 : NULL;
    }
  return denied ? EACCES : ENOENT;
}

/* -t: the pty's terminal becomes the command's stdio and controlling
 * terminal, in a session of its own (so a shell has job control). */
static int
take_terminal (int slave, mk_error_t *err)
{
  if (setsid () < 0 || ioctl (slave, TIOCSCTTY, 0) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                               "make the pty the controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                                 "connect the pty");
  if (slave > 2)
    close (slave);
  return 0;
}

static void __attribute__ ((noreturn))
command_main (const struct mk_run_config *cfg, int report, int slave)
{
  mk_error_t err = NULL;
  sigset_t none;
  int e;

  if (slave >= 0 && take_terminal (slave, &err) < 0)
    child_fail (report, &err);

  /* Undo the runner's blocked signals and any SIG_IGN inherited from the
   * caller (a shell's `&` ignores SIGINT), as docker does. */
  for (int s = 1; s < NSIG; s++)
    signal (s, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  if ((!cfg->keep_caps && set_capabilities (&err) < 0)
      || set_user (cfg, &err) < 0)
    child_fail (report, &err);
  /* Every fd above 2 closes at exec; the report pipe is already
   * close-on-exec and must stay open until then. */
  if (syscall (SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    for (int fd = 3; fd < 65536; fd++)
      if (fd != report)
        close (fd);
  e = exec_command (cfg->argv, cfg->env);
  {
    const char *name = cfg->argv[0];
    bool searched = strchr (name, '/') == NULL;
    cleanup_free char *msg
        = xasprintf ("exec `%s`: %s", name,
                     searched && e == ENOENT
                         ? "executable file not found in $PATH"
                         : strerror (e));
    child_report (report,
                  e == ENOENT || e == ENOTDIR ? MK_EXIT_NOT_FOUND
                                              : MK_EXIT_CANNOT_EXEC,
                  e, msg);
  }
}

/* Wait for the next SIGCHLD, passing every other forwarded signal on to
 * `to`. */
static void
forward_until_sigchld (pid_t to, const sigset_t *set)
{
  for (;;)
    {
      siginfo_t si;
      int sig = sigwaitinfo (set, &si);
      if (sig == SIGCHLD)
        return;
      if (sig > 0)
        kill (to, sig);
    }
}

/* Init's supervision loop: forward signals to the command, reap every
 * child (orphans are re-parented to us), and leave with the command's
 * status; the kernel then kills whatever remains in the namespace. */
static int
init_wait (pid_t cmd, const sigset_t *set)
{
  for (;;)
    {
      int status;
      pid_t p;
      forward_until_sigchld (cmd, set);
      while ((p = waitpid (-1, &status, WNOHANG)) > 0)
        if (p == cmd)
          return status_code (status);
    }
}

/* -t: make the pty from the container's devpts and hand the master to
 * the runner; *slave stays for the command. */
static int
init_console (int sock, int *slave, mk_error_t *err)
{
  cleanup_close int master = mk_console_open (slave, err);
  if (master < 0)
    return -1;
  return mk_console_send (sock, master, err);
}

static int
init_setup (const struct mk_run_config *cfg, int console, int *slave,
            mk_error_t *err)
{
  const char *h = cfg->hostname;

  /* The run's cgroup (joined by the runner) becomes our cgroup root. */
  if (unshare (CLONE_NEWCGROUP) < 0 && errno != EINVAL)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                               "unshare the cgroup namespace");
  if (sethostname (h, strlen (h)) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "sethostname");
  if (cfg->mounts.own_netns && loopback_up (err) < 0)
    return -1;
  if (mk_mount_setup (&cfg->mounts, err) < 0
      || enter_workdir (cfg->workdir, err) < 0)
    return -1;
  umask (022);
  if (console >= 0 && init_console (console, slave, err) < 0)
    return -1;
  /* A new session: the command has no controlling terminal it could push
   * input into with TIOCSTI (CVE-2017-5226); with -t, its terminal is the
   * container's own pty, not the caller's. */
  if (setsid () < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "setsid");
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "set dumpable");
  if (!cfg->keep_caps && drop_bounding_set (err) < 0)
    return -1;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "no_new_privs");
  return mk_seccomp_load (err);
}

/* fds: the sync socket, the report pipe, the console socket (-t) or -1. */
struct init_fds
{
  int sync, report, console;
};

static void __attribute__ ((noreturn))
init_main (const struct mk_run_config *cfg, struct init_fds fds)
{
  mk_error_t err = NULL;
  int keep[3] = { fds.sync, fds.report, fds.console };
  size_t n_keep = fds.console >= 0 ? 3 : 2;
  int slave = -1;
  sigset_t set;
  char go;
  pid_t cmd;

  /* If the runner dies, so does the container. */
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  qsort (keep, n_keep, sizeof keep[0], compare_int);
  close_fds_except (keep, n_keep);
  /* EOF instead of the byte: the runner failed or died; it reports. */
  if (TEMP_FAILURE_RETRY (read (fds.sync, &go, 1)) != 1)
    _exit (MK_EXIT_RUNNER);
  close (fds.sync);
  if (init_setup (cfg, fds.console, &slave, &err) < 0)
    {
      mk_error_wrap (&err, "container set-up");
      child_fail (fds.report, &err);
    }
  if (fds.console >= 0)
    close (fds.console);
  if (cfg->title)
    memset (cfg->title, 0, cfg->title_len);
  cmd = fork ();
  if (cmd < 0)
    child_report (fds.report, MK_EXIT_RUNNER, errno, "fork the command");
  if (cmd == 0)
    command_main (cfg, fds.report, slave);
  /* Only the command holds the terminal: its end is the pty's end. */
  if (slave >= 0)
    close (slave);
  close (fds.report);
  signal_set (&set);
  _exit (init_wait (cmd, &set));
}

/* ---- runner side -------------------------------------------------------- */

static int
write_proc (pid_t pid, const char *file, const char *text, mk_error_t *err)
{
  cleanup_free char *p = xasprintf ("/proc/%d/%s", (int) pid, file);
  cleanup_close int fd
      = TEMP_FAILURE_RETRY (open (p, O_WRONLY | O_CLOEXEC));
  if (fd < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "open `%s`", p);
  if (mk_write_all (fd, text, strlen (text), err, p) < 0)
    {
      (*err)->exit_code = MK_EXIT_RUNNER;
      return -1;
    }
  return 0;
}

/* Map the caller to root in the child's user namespace.  setgroups must be
 * denied before an unprivileged gid_map is accepted. */
static int
write_id_maps (pid_t pid, mk_error_t *err)
{
  char map[64];
  if (write_proc (pid, "setgroups", "deny", err) < 0)
    return -1;
  snprintf (map, sizeof map, "0 %u 1\n", (unsigned) geteuid ());
  if (write_proc (pid, "uid_map", map, err) < 0)
    return -1;
  snprintf (map, sizeof map, "0 %u 1\n", (unsigned) getegid ());
  return write_proc (pid, "gid_map", map, err);
}

static int
clone_flags (const struct mk_run_config *cfg)
{
  int f = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
  if (cfg->mounts.own_netns)
    f |= CLONE_NEWNET;
  if (cfg->mounts.userns)
    f |= CLONE_NEWUSER;
  return f;
}

/* The runner's own loop: forward signals to init (it forwards them to the
 * command) until init has exited. */
static int
runner_wait (pid_t init, const sigset_t *set)
{
  for (;;)
    {
      int status;
      forward_until_sigchld (init, set);
      if (waitpid (init, &status, WNOHANG) == init)
        return status_code (status);
    }
}

/* runner_wait with a pty: relay it, and resize it on SIGWINCH instead of
 * forwarding the signal (the kernel signals the pty's foreground job). */
static int
runner_wait_console (pid_t init, const sigset_t *set, struct mk_console *con)
{
  cleanup_close int sfd = signalfd (-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
  int status = -1;

  if (sfd < 0)
    {
      mk_console_detach (con);
      return runner_wait (init, set);
    }
  for (bool done = false; !done;)
    {
      struct signalfd_siginfo si;
      if (mk_console_poll (con, sfd) < 0)
        break;
      while (read (sfd, &si, sizeof si) == (ssize_t) sizeof si)
        {
          if (si.ssi_signo == SIGWINCH)
            mk_console_resize (con);
          else if (si.ssi_signo != SIGCHLD)
            kill (init, (int) si.ssi_signo);
          else if (waitpid (init, &status, WNOHANG) == init)
            done = true;
        }
    }
  mk_console_detach (con);
  /* A poll error ended the relay early: wait for init as runner_wait
   * would. */
  if (status == -1)
    waitpid (init, &status, 0);
  return status_code (status);
}

/* Turn init's or the command's message, if any, into *err. */
static int
read_report (int fd, mk_error_t *err)
{
  struct report r;
  ssize_t n;
  if (fcntl (fd, F_SETFL, O_NONBLOCK) < 0)
    return 0;
  n = TEMP_FAILURE_RETRY (read (fd, &r, sizeof r));
  if (n != (ssize_t) sizeof r)
    return 0;
  r.msg[sizeof r.msg - 1] = '\0';
  /* The message already names the cause; keep errno for callers. */
  mk_make_error_code (err, r.exit_code, 0, "%s", r.msg);
  (*err)->errnum = r.errnum;
  return -1;
}

/* A socket, not a pipe, so that a dead init gives EPIPE and not a SIGPIPE
 * that would kill the runner. */
static int
release_init (int fd, mk_error_t *err)
{
  if (TEMP_FAILURE_RETRY (send (fd, "g", 1, MSG_NOSIGNAL)) != 1)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno, "release init");
  return 0;
}

/* Clone init with the signals blocked (it inherits the mask, so nothing
 * is lost before its loop runs), then set it up from the outside. */
static pid_t
start_init (const struct mk_run_config *cfg, struct mk_cgroup *cg,
            const int fds[6], struct mk_net *net, mk_error_t *err)
{
  pid_t pid = (pid_t) syscall (SYS_clone, clone_flags (cfg) | SIGCHLD, NULL,
                               NULL, NULL, NULL);
  if (pid == 0)
    init_main (cfg, (struct init_fds){ fds[0], fds[3], fds[5] });
  if (pid < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                               "clone into new namespaces");
  /* The network is ready before init goes on, so the command never sees
   * it half made. */
  if ((cfg->mounts.userns && write_id_maps (pid, err) < 0)
      || (cg && mk_cgroup_enter (cg, pid, err) < 0)
      || (cfg->net_private
          && mk_net_start (pid, cfg->mounts.userns, cfg->ports, cfg->n_ports,
                           net, err) < 0)
      || release_init (fds[1], err) < 0)
    {
      mk_net_stop (net);
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      (*err)->exit_code = MK_EXIT_RUNNER;
      return -1;
    }
  return pid;
}

static void
close_all (int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0)
      close (steal_fd (&fds[i]));
}

/* fds: sync socket pair, report pipe, console socket pair (-t only); all
 * close-on-exec. */
static int
make_channels (const struct mk_run_config *cfg, int fds[6], mk_error_t *err)
{
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0
      || pipe2 (fds + 2, O_CLOEXEC) < 0
      || (cfg->tty
          && socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds + 4) < 0))
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                               "create the runner's channels");
  return 0;
}

int
mk_runner_run (const struct mk_run_config *cfg, mk_error_t *err)
{
  cleanup_cgroup struct mk_cgroup *cg = NULL;
  int fds[6] = { -1, -1, -1, -1, -1, -1 };
  struct mk_net net = { .pid = -1 };
  sigset_t set, old;
  int status, master = -1;
  pid_t init;

  if (!mk_cgroup_limits_empty (&cfg->limits))
    {
      cleanup_free char *name = xasprintf ("mkbase-%d", (int) getpid ());
      if (mk_cgroup_create (&cfg->limits, name, &cg, err) < 0)
        return -1;
    }
  if (make_channels (cfg, fds, err) < 0)
    {
      close_all (fds, 6);
      return -1;
    }
  signal_set (&set);
  sigprocmask (SIG_BLOCK, &set, &old);
  init = start_init (cfg, cg, fds, &net, err);
  /* Keep only the report pipe's read end and our console socket. */
  close_all (fds, 2);
  close_all (fds + 3, 1);
  close_all (fds + 5, 1);
  if (init >= 0 && fds[4] >= 0)
    master = mk_console_recv (fds[4]);
  close_all (fds + 4, 1);
  if (init < 0)
    {
      sigprocmask (SIG_SETMASK, &old, NULL);
      close_all (fds + 2, 1);
      return -1;
    }
  /* A signal that came while the image was being prepared was caught by
   * main's handler (mk_signals_install); pass it on now. */
  if (mk_interrupted ())
    kill (init, mk_interrupted ());
  if (master >= 0)
    {
      struct mk_console con;
      mk_console_attach (&con, master, cfg->interactive);
      status = runner_wait_console (init, &set, &con);
    }
  else
    status = runner_wait (init, &set);
  /* The container is gone: so goes its network helper. */
  mk_net_stop (&net);
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (read_report (fds[2], err) < 0)
    status = -1;
  close_all (fds + 2, 1);
  return status;
}
