/* test_arch.c: unit tests for arch.c: the table maps rpm names to GOARCH,
 * variant and ELF machine; unknown names are NULL; the host's programs
 * always run and an architecture mkbase does not know never does, with a
 * one-line reason. */
#define _GNU_SOURCE
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "oci.h"
#include "util.h"

#include "tap.h"

int
main (void)
{
  const struct mk_arch *a = mk_arch_find ("aarch64");
  char *why = NULL;

  ok (a && strcmp (a->goarch, "arm64") == 0 && strcmp (a->variant, "v8") == 0
          && a->elf_machine == EM_AARCH64 && strcmp (a->qemu, "aarch64") == 0,
      "aarch64 is arm64/v8, EM_AARCH64, qemu-aarch64");
  a = mk_arch_find ("x86_64");
  ok (a && strcmp (a->goarch, "amd64") == 0 && a->variant == NULL,
      "x86_64 is amd64 without a variant");
  ok (mk_arch_find ("arm64") == NULL && mk_arch_find ("") == NULL,
      "GOARCH names are not rpm names");
  ok (mk_arch_by_machine (EM_AARCH64) == mk_arch_find ("aarch64")
          && mk_arch_by_machine (EM_X86_64) == mk_arch_find ("x86_64")
          && mk_arch_by_machine (12345) == NULL,
      "by ELF machine");
  is_str (mk_oci_goarch ("armv7l"), "arm", "uname's armv7l maps as armv7hl");
  is_str (mk_oci_goarch ("sparc64"), "sparc64", "an unknown arch stays as it is");
  ok (strstr (mk_arch_names (), "aarch64") != NULL, "the names list aarch64");
  ok (mk_arch_find (mk_host_arch ()) != NULL, "the host (%s) is known",
      mk_host_arch ());
  ok (mk_arch_can_exec (mk_host_arch (), &why) && why == NULL,
      "the host's programs run");
  ok (!mk_arch_can_exec ("sparc64", &why) && why && strchr (why, '\n') == NULL,
      "an unknown arch cannot run, one line: %s", why ? why : "");
  free (why);
  return tap_done ();
}
