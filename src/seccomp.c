/* seccomp.c: the runner's seccomp filter, built with libseccomp (the only
 * file that includes it).  It runs at build time, in out/gen-seccomp, which
 * writes the compiled BPF program into a header for filter.c: compiling
 * the filter took ~1.5 ms of CPU at every start, and keeps libseccomp out
 * of the runner binary.  The filter allows everything except a deny list
 * modelled on Docker's default profile: key management, kernel module and
 * kexec loading, handle-based opens that bypass mount boundaries, clock and
 * swap administration, every mount and namespace operation (a nested user
 * namespace would hand the command full capabilities over a new mount or
 * cgroup v1 tree, CVE-2022-0492), and the TIOCSTI/TIOCLINUX ioctls that
 * push keystrokes into a terminal the command shares with the caller
 * (CVE-2017-5226).  Denied calls fail with EPERM; clone3 fails with ENOSYS
 * because its flags live in memory a filter cannot read, and libc then
 * falls back to clone, whose flags it can. */
#define _GNU_SOURCE
#include "seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include <seccomp.h>

#include "util.h"

static const char *const denied[] = {
  "acct", "add_key", "bpf", "clock_adjtime", "clock_settime",
  "create_module", "delete_module", "finit_module", "fsconfig", "fsmount",
  "fsopen", "fspick", "get_kernel_syms", "init_module", "ioperm", "iopl",
  "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie",
  "mount", "mount_setattr", "move_mount", "name_to_handle_at", "nfsservctl",
  "open_by_handle_at", "open_tree", "perf_event_open", "pivot_root",
  "process_vm_readv", "process_vm_writev", "query_module", "quotactl",
  "reboot", "request_key", "setns", "settimeofday", "stime", "swapoff",
  "swapon", "_sysctl", "sysfs", "umount", "umount2", "unshare", "uselib",
  "userfaultfd", "ustat", "vm86", "vm86old",
};

/* clone() flags that create namespaces. */
static const unsigned long clone_ns_flags[] = {
  CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
  CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
};

static void
release (scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release (*ctx);
}

static int
lib_error (mk_error_t *err, int rc, const char *what)
{
  return mk_make_error_code (err, MK_EXIT_RUNNER, -rc, "seccomp: %s", what);
}

static int
add_arches (scmp_filter_ctx ctx, mk_error_t *err)
{
  /* 32-bit and x32 binaries enter through other syscall tables; without
   * their arches the filter would kill them outright. */
  if (seccomp_arch_native () == SCMP_ARCH_X86_64)
    {
      int rc = seccomp_arch_add (ctx, SCMP_ARCH_X86);
      if (rc == 0 || rc == -EEXIST)
        rc = seccomp_arch_add (ctx, SCMP_ARCH_X32);
      if (rc < 0 && rc != -EEXIST)
        return lib_error (err, rc, "add architectures");
    }
  return 0;
}

static int
add_rules (scmp_filter_ctx ctx, mk_error_t *err)
{
  const uint32_t eperm = SCMP_ACT_ERRNO (EPERM);
  int rc;

  for (size_t i = 0; i < ARRAY_SIZE (denied); i++)
    {
      int nr = seccomp_syscall_resolve_name (denied[i]);
      if (nr == __NR_SCMP_ERROR)
        continue; /* not a syscall on this architecture */
      rc = seccomp_rule_add (ctx, eperm, nr, 0);
      if (rc < 0 && rc != -EDOM)
        return lib_error (err, rc, denied[i]);
    }
  for (size_t i = 0; i < ARRAY_SIZE (clone_ns_flags); i++)
    {
      unsigned long f = clone_ns_flags[i];
      rc = seccomp_rule_add (ctx, eperm, SCMP_SYS (clone), 1,
                             SCMP_A0 (SCMP_CMP_MASKED_EQ, f, f));
      if (rc < 0)
        return lib_error (err, rc, "clone");
    }
  rc = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (ENOSYS), SCMP_SYS (clone3), 0);
  if (rc < 0 && rc != -EDOM)
    return lib_error (err, rc, "clone3");
  /* The request is an int; compare only the low 32 bits so garbage in the
   * upper half cannot slip past (bubblewrap #150). */
  rc = seccomp_rule_add (ctx, eperm, SCMP_SYS (ioctl), 1,
                         SCMP_A1 (SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
  if (rc == 0)
    rc = seccomp_rule_add (ctx, eperm, SCMP_SYS (ioctl), 1,
                           SCMP_A1 (SCMP_CMP_MASKED_EQ, 0xffffffffu,
                                    TIOCLINUX));
  if (rc < 0)
    return lib_error (err, rc, "ioctl");
  return 0;
}

int
mk_seccomp_export (int fd, mk_error_t *err)
{
  __attribute__ ((cleanup (release))) scmp_filter_ctx ctx
      = seccomp_init (SCMP_ACT_ALLOW);
  int rc;

  if (ctx == NULL)
    return mk_make_error_code (err, MK_EXIT_RUNNER, ENOMEM, "seccomp_init");
  if (add_arches (ctx, err) < 0 || add_rules (ctx, err) < 0)
    return -1;
  rc = seccomp_export_bpf (ctx, fd);
  if (rc < 0)
    return lib_error (err, rc, "export the filter");
  return 0;
}
