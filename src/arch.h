/* arch.h: the architectures mkbase knows, by rpm's name, with what the
 * other formats call them (OCI's GOARCH and variant, the ELF machine,
 * qemu-user's binfmt handler).  libc only. */
#ifndef MK_ARCH_H
#define MK_ARCH_H

#include <stdbool.h>

#include "error.h"

struct mk_arch
{
  const char *rpm;     /* x86_64, aarch64 */
  const char *goarch;  /* amd64, arm64 (the OCI config and platform) */
  const char *variant; /* OCI platform variant, NULL: none */
  int elf_machine;     /* EM_X86_64, EM_AARCH64 */
  const char *qemu;    /* the binfmt_misc entry: qemu-<this> */
};

/* The host architecture as rpm names it (x86_64, aarch64, ...). */
const char *mk_host_arch (void);

/* The entry for an rpm arch name; NULL when mkbase does not know it. */
const struct mk_arch *mk_arch_find (const char *rpm_name);

/* The entry for an ELF e_machine (the first: x86_64, i686); NULL when
 * unknown. */
const struct mk_arch *mk_arch_by_machine (int elf_machine);

/* The known names, space-separated, for error messages. */
const char *mk_arch_names (void);

/* Whether this kernel runs programs of `rpm_name` (the host's, or one
 * with an enabled binfmt_misc handler opened at registration, flag F, so
 * that it works inside another root).  On false, `why` (a new string) is
 * one line naming the package to install. */
bool mk_arch_can_exec (const char *rpm_name, char **why);

#endif
