/* seccomp.h: the deny-list seccomp filter every `mkbase run` command gets.
 * The only file allowed to include libseccomp is seccomp.c. */
#ifndef MK_SECCOMP_H
#define MK_SECCOMP_H

#include "error.h"

/* Build the filter and write it to fd as raw BPF (struct sock_filter[]).
 * The runner does this while init builds the mount tree, so compiling the
 * filter costs no start-up time.  Errors carry MK_EXIT_RUNNER. */
int mk_seccomp_export (int fd, mk_error_t *err);

/* Read a filter written by mk_seccomp_export from fd (until EOF) and load
 * it into the calling thread; it is inherited by children and kept across
 * execve.  no_new_privs must already be set. */
int mk_seccomp_load_fd (int fd, mk_error_t *err);

#endif
