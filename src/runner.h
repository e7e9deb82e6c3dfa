/* runner.h: start one command in new namespaces on a prepared root, wait
 * for it and return its status the way `docker run` does.  libc only. */
#ifndef MK_RUNNER_H
#define MK_RUNNER_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "mount.h"
#include "net.h"

struct mk_run_config
{
  struct mk_mount_config mounts; /* mounts.userns selects a user namespace */
  char *const *argv;             /* the command, argv[0] non-NULL */
  char *const *env;              /* its whole environment */
  const char *hostname;
  const char *workdir; /* absolute, checked inside the container */
  uid_t uid;
  gid_t gid;
  bool keep_caps; /* keep every capability instead of Docker's set */
  bool tty;         /* -t: the command's stdio is a pty of the container's
                       own, relayed by the runner (console.c) */
  bool interactive; /* -i: with tty, relay stdin to it */
  bool net_private;  /* --net private: pasta on the new netns (net.c) */
  const struct mk_port *ports; /* -p, with net_private */
  size_t n_ports;
  struct mk_cgroup_limits limits;
  /* Optional: memory init blanks (in its own copy) so that /proc/1/cmdline
   * does not show the runner's arguments.  Nothing in this config may
   * point into it. */
  char *title;
  size_t title_len;
};

/* Docker's default capability set (moby oci/caps/defaults.go):
 * CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
 * NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP. */
#define MK_RUNNER_DEFAULT_CAPS 0xa80425fbULL

/* Run the command.  Returns its exit status, 128+N when a signal N killed
 * it, or -1 with *err set: MK_EXIT_RUNNER (125) when the runner or the
 * container set-up failed, 126 when the command cannot be executed, 127
 * when it does not exist.  SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1/2 and
 * SIGWINCH received meanwhile are forwarded to the command. */
int mk_runner_run (const struct mk_run_config *cfg, mk_error_t *err);

#endif
