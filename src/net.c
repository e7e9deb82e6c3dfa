/* net.c: `mkbase run --net private`: a network of the container's own with
 * outbound access and published ports, through pasta (Debian's passt), the
 * user-mode networking podman uses.  We write no network stack: pasta
 * joins the container's network namespace, sets up a tap interface with
 * the host's addresses and routes (--config-net), and forwards the -p
 * ports from 127.0.0.1 of the host.
 *
 * pasta runs in the foreground as the runner's child, so the runner kills
 * and reaps it when the container ends (and PR_SET_PDEATHSIG kills it if
 * the runner dies); pasta alone would outlive the container, since it
 * holds the namespace open itself.  It tells us it is ready by writing its
 * PID to the --pid file, which is our pipe's write end (/proc/self/fd/N):
 * a read that returns is the ready signal, an EOF means pasta gave up, and
 * its stderr (a memfd) says why.
 *
 * As root the container shares the host's user namespace, which pasta
 * cannot "join" (setns to one's own user namespace is EINVAL) and whose
 * /proc/PID/ns/net it may not open once it has dropped its privileges, so
 * it gets the network namespace as an fd we opened; rootless, the PID form
 * joins the user namespace the runner made.  libc only. */
#define _GNU_SOURCE
#include "net.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define fail(err, errnum, ...)                                                \
  mk_make_error_code (err, MK_EXIT_RUNNER, errnum, __VA_ARGS__)

int
mk_net_parse_port (const char *s, struct mk_port *out)
{
  unsigned long host, cont;
  char *end;
  const char *p = s;

  *out = (struct mk_port){ .udp = false };
  if (mk_str_has_prefix (p, "127.0.0.1:"))
    p += strlen ("127.0.0.1:");
  if (*p < '0' || *p > '9')
    return -1;
  host = strtoul (p, &end, 10);
  if (*end != ':' || end[1] < '0' || end[1] > '9')
    return -1;
  cont = strtoul (end + 1, &end, 10);
  if (strcmp (end, "/udp") == 0)
    out->udp = true;
  else if (*end && strcmp (end, "/tcp") != 0)
    return -1;
  if (host == 0 || host > 65535 || cont == 0 || cont > 65535)
    return -1;
  out->host = (unsigned) host;
  out->container = (unsigned) cont;
  return 0;
}

/* The helper along PATH, or NULL. */
static char *
find_pasta (void)
{
  const char *env = getenv ("MKBASE_PASTA");
  const char *path = getenv ("PATH");

  if (env && *env)
    return access (env, X_OK) == 0 ? xstrdup (env) : NULL;
  if (path == NULL || *path == '\0')
    path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  for (const char *p = path; p;)
    {
      const char *colon = strchr (p, ':');
      size_t len = colon ? (size_t) (colon - p) : strlen (p);
      char *cand = xasprintf ("%.*s/pasta", (int) len, p);
      if (len && access (cand, X_OK) == 0)
        return cand;
      free (cand);
      p = colon ? colon + 1 : NULL;
    }
  return NULL;
}

/* -t 127.0.0.1/8080:80,127.0.0.1/8081:81 and the same for -u. */
static char *
port_spec (const struct mk_port *ports, size_t n, bool udp)
{
  char *spec = NULL;
  for (size_t i = 0; i < n; i++)
    {
      char *s;
      if (ports[i].udp != udp)
        continue;
      s = xasprintf ("%s%s127.0.0.1/%u:%u", spec ? spec : "",
                     spec ? "," : "", ports[i].host, ports[i].container);
      free (spec);
      spec = s;
    }
  return spec ? spec : xstrdup ("none");
}

static void __attribute__ ((noreturn))
helper_child (char **argv, int ready, int netns, int log)
{
  sigset_t none;
  int devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);

  prctl (PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
  for (int s = 1; s < NSIG; s++)
    signal (s, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  if (devnull < 0 || dup2 (devnull, 0) < 0 || dup2 (devnull, 1) < 0
      || dup2 (log, 2) < 0)
    _exit (127);
  /* Only the two fds named on its command line stay open across exec. */
  syscall (SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  fcntl (ready, F_SETFD, 0);
  if (netns >= 0)
    fcntl (netns, F_SETFD, 0);
  execv (argv[0], argv);
  _exit (127);
}

/* Why pasta gave up: the last line of its stderr that is not about the
 * system logger (there is none in a build sandbox). */
static char *
helper_reason (int log)
{
  char buf[4096];
  ssize_t n = pread (log, buf, sizeof buf - 1, 0);
  char *line = NULL, *save = NULL;
  if (n <= 0)
    return xstrdup ("it exited before it was ready");
  buf[n] = '\0';
  for (char *l = strtok_r (buf, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    if (strstr (l, "syslog") == NULL && *l)
      line = l;
  return xstrdup (line ? line : "it exited before it was ready");
}

int
mk_net_start (pid_t init, bool userns, const struct mk_port *ports,
              size_t n_ports, struct mk_net *net, mk_error_t *err)
{
  cleanup_free char *pasta = find_pasta ();
  cleanup_free char *tcp = NULL, *udp = NULL, *pidfile = NULL, *target = NULL;
  cleanup_close int log = -1, netns = -1;
  int pipefd[2];
  char *argv[24];
  size_t a = 0;
  char ready[32];
  ssize_t got;

  net->pid = -1;
  if (pasta == NULL)
    return fail (err, 0, "run: --net private needs pasta, which is not in "
                         "PATH (install Debian's package passt)");
  tcp = port_spec (ports, n_ports, false);
  udp = port_spec (ports, n_ports, true);
  if (!userns)
    {
      cleanup_free char *p = xasprintf ("/proc/%d/ns/net", (int) init);
      netns = open (p, O_RDONLY | O_CLOEXEC);
      if (netns < 0)
        return fail (err, errno, "open `%s`", p);
    }
  log = memfd_create ("mkbase-pasta", MFD_CLOEXEC);
  if (log < 0 || pipe2 (pipefd, O_CLOEXEC) < 0)
    return fail (err, errno, "start pasta");
  pidfile = xasprintf ("/proc/self/fd/%d", pipefd[1]);
  argv[a++] = pasta;
  argv[a++] = (char *) "--foreground";
  argv[a++] = (char *) "--quiet";
  argv[a++] = (char *) "--config-net";
  /* Forward only what -p asks for; nothing of the host's own ports goes
   * into the container (-T/-U default to auto). */
  argv[a++] = (char *) "--tcp-ports";
  argv[a++] = tcp;
  argv[a++] = (char *) "--udp-ports";
  argv[a++] = udp;
  argv[a++] = (char *) "--tcp-ns";
  argv[a++] = (char *) "none";
  argv[a++] = (char *) "--udp-ns";
  argv[a++] = (char *) "none";
  argv[a++] = (char *) "--pid";
  argv[a++] = pidfile;
  if (geteuid () == 0)
    {
      /* Else pasta switches to nobody, who may not enter the namespace. */
      argv[a++] = (char *) "--runas";
      argv[a++] = (char *) "0:0";
    }
  if (netns >= 0)
    {
      target = xasprintf ("/proc/self/fd/%d", netns);
      argv[a++] = (char *) "--netns";
      argv[a++] = target;
    }
  else
    argv[a++] = target = xasprintf ("%d", (int) init);
  argv[a] = NULL;

  net->pid = fork ();
  if (net->pid == 0)
    helper_child (argv, pipefd[1], netns, log);
  close (pipefd[1]);
  if (net->pid < 0)
    {
      close (pipefd[0]);
      return fail (err, errno, "fork pasta");
    }
  got = TEMP_FAILURE_RETRY (read (pipefd[0], ready, sizeof ready));
  close (pipefd[0]);
  if (got <= 0)
    {
      cleanup_free char *why = NULL;
      waitpid (net->pid, NULL, 0);
      net->pid = -1;
      why = helper_reason (log);
      return fail (err, 0, "run: --net private: pasta: %s%s", why,
                   strstr (why, "tun") && access ("/dev/net/tun", R_OK | W_OK)
                       ? " (/dev/net/tun must be mode 0666, as udev makes it, "
                         "for a rootless run)"
                       : "");
    }
  return 0;
}

void
mk_net_stop (struct mk_net *net)
{
  if (net->pid <= 0)
    return;
  kill (net->pid, SIGTERM);
  waitpid (net->pid, NULL, 0);
  net->pid = -1;
}
