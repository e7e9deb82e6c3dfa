/* filter.c: loads the seccomp filter that out/gen-seccomp compiled from
 * seccomp.c's rules when mkbase was built (out/gen/seccomp-bpf.h), with one
 * prctl: no library and no compilation at run time.  libc only. */
#define _GNU_SOURCE
#include "seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

#include "seccomp-bpf.h" /* generated: mk_seccomp_bpf[] */

int
mk_seccomp_load (mk_error_t *err)
{
  struct sock_fprog prog = {
    .len = (unsigned short) (sizeof mk_seccomp_bpf / sizeof mk_seccomp_bpf[0]),
    .filter = (struct sock_filter *) mk_seccomp_bpf,
  };
  if (prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
    return mk_make_error_code (err, MK_EXIT_RUNNER, errno,
                               "seccomp: load the filter");
  return 0;
}
