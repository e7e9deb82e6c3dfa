/* arch.c: the architecture table (arch.h).  One place that knows that
 * rpm's aarch64 is OCI's arm64/v8 and ELF's EM_AARCH64, and whether the
 * kernel can run a foreign architecture's programs through qemu-user's
 * binfmt_misc handler.  libc only. */
#define _GNU_SOURCE
#include "arch.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>

#include "util.h"

#ifndef EM_RISCV
#define EM_RISCV 243
#endif

static const struct mk_arch arches[] = {
  { "x86_64", "amd64", NULL, EM_X86_64, "x86_64" },
  { "aarch64", "arm64", "v8", EM_AARCH64, "aarch64" },
  { "i686", "386", NULL, EM_386, "i386" },
  { "i586", "386", NULL, EM_386, "i386" },
  { "i486", "386", NULL, EM_386, "i386" },
  { "i386", "386", NULL, EM_386, "i386" },
  { "armv7hl", "arm", "v7", EM_ARM, "arm" },
  { "armv7l", "arm", "v7", EM_ARM, "arm" },
  { "armv6hl", "arm", "v6", EM_ARM, "arm" },
  { "ppc64le", "ppc64le", NULL, EM_PPC64, "ppc64le" },
  { "ppc64", "ppc64", NULL, EM_PPC64, "ppc64" },
  { "s390x", "s390x", NULL, EM_S390, "s390x" },
  { "riscv64", "riscv64", NULL, EM_RISCV, "riscv64" },
};

const char *
mk_host_arch (void)
{
  static char arch[65];
  struct utsname u;
  if (arch[0])
    return arch;
  if (uname (&u) < 0)
    return "noarch";
  snprintf (arch, sizeof arch, "%s", u.machine);
  /* rpm calls 32-bit ARM armv7hl; uname's armv7l is the same machine. */
  if (strcmp (arch, "armv7l") == 0)
    strcpy (arch, "armv7hl");
  return arch;
}

const struct mk_arch *
mk_arch_find (const char *rpm_name)
{
  for (size_t i = 0; i < ARRAY_SIZE (arches); i++)
    if (strcmp (arches[i].rpm, rpm_name) == 0)
      return &arches[i];
  return NULL;
}

const struct mk_arch *
mk_arch_by_machine (int elf_machine)
{
  for (size_t i = 0; i < ARRAY_SIZE (arches); i++)
    if (arches[i].elf_machine == elf_machine)
      return &arches[i];
  return NULL;
}

const char *
mk_arch_names (void)
{
  return "x86_64, aarch64, i686, i586, i486, i386, armv7hl, armv7l, "
         "armv6hl, ppc64le, ppc64, s390x, riscv64";
}

/* /proc/sys/fs/binfmt_misc/qemu-NAME: "enabled" on its first line and
 * F among the flags, or the handler cannot be found from inside the
 * image's root (the interpreter path is looked up at exec time then). */
static bool
binfmt_ready (const char *qemu, bool *present)
{
  cleanup_free char *path = xasprintf ("/proc/sys/fs/binfmt_misc/qemu-%s",
                                       qemu);
  cleanup_free char *text = NULL;
  mk_error_t e = NULL;
  const char *flags;
  size_t len;

  *present = false;
  if (mk_read_file_at (AT_FDCWD, path, 1 << 16, &text, &len, &e) < 0)
    {
      mk_error_release (&e);
      return false;
    }
  *present = true;
  if (!mk_str_has_prefix (text, "enabled"))
    return false;
  flags = strstr (text, "\nflags: ");
  if (flags == NULL)
    return false;
  flags += strlen ("\nflags: ");
  return strcspn (flags, "F\n") < strcspn (flags, "\n");
}

bool
mk_arch_can_exec (const char *rpm_name, char **why)
{
  const struct mk_arch *a = mk_arch_find (rpm_name);
  const struct mk_arch *host = mk_arch_find (mk_host_arch ());
  bool present;

  /* x86_64 kernels run i686 programs themselves. */
  if (strcmp (rpm_name, mk_host_arch ()) == 0
      || (a && host && a->elf_machine == host->elf_machine)
      || (a && host && a->elf_machine == EM_386
          && host->elf_machine == EM_X86_64))
    return true;
  if (a && binfmt_ready (a->qemu, &present))
    return true;
  if (a == NULL)
    *why = xasprintf ("%s programs cannot run on this %s machine",
                      rpm_name, mk_host_arch ());
  else if (present)
    *why = xasprintf ("this kernel's binfmt_misc handler qemu-%s is disabled "
                      "or lacks flag F (update-binfmts --enable qemu-%s; "
                      "Debian's qemu-user-static registers it with F)",
                      a->qemu, a->qemu);
  else
    *why = xasprintf ("this kernel has no binfmt_misc handler for %s: "
                      "install qemu-user-static (apt-get install "
                      "qemu-user-static binfmt-support)", rpm_name);
  return false;
}
