/* seccomp.h: the deny-list seccomp filter every `mkbase run` command gets.
 * The only file allowed to include libseccomp is seccomp.c. */
#ifndef MK_SECCOMP_H
#define MK_SECCOMP_H

#include "error.h"

/* Build the filter and write it to fd as raw BPF (struct sock_filter[]),
 * for the host's architecture and its compat ones (x86_64: also x32 and
 * i386).  Used at build time by out/gen-seccomp.  Errors carry
 * MK_EXIT_RUNNER. */
int mk_seccomp_export (int fd, mk_error_t *err);

/* Load the filter compiled at build time into the calling thread (filter.c);
 * it is inherited by children and kept across execve.  no_new_privs must
 * already be set. */
int mk_seccomp_load (mk_error_t *err);

#endif
