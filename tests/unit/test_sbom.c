/* test_sbom.c: unit tests for sbom.c's license expressions and purls. */
#define _GNU_SOURCE
#include <stdlib.h>

#include "sbom.h"
#include "util.h"

#include "tap.h"

static void
expr (const char *in, const char *want)
{
  cleanup_free char *got = mk_sbom_spdx_expression (in);
  if (want == NULL)
    ok (got == NULL, "`%s` is not an SPDX expression (got %s)", in,
        got ? got : "NULL");
  else
    is_str (got, want, "`%s` -> `%s`", in, want);
}

int
main (void)
{
  cleanup_free char *p1 = mk_sbom_purl ("Debian (repackaged)", "libstdc++6",
                                        "12.2.0-14.bk12", "x86_64");
  cleanup_free char *p2 = mk_sbom_purl ("Fedora Project", "zlib", "1:1.2-3",
                                        "aarch64");
  cleanup_free char *p3 = mk_sbom_purl ("", "a", "0:1-1", "noarch");

  expr ("MIT", "MIT");
  expr ("BSD-3-clause", "BSD-3-Clause");
  expr ("GPL-2.0-or-later AND (MIT OR Apache-2.0)",
        "GPL-2.0-or-later AND (MIT OR Apache-2.0)");
  expr ("GPL-2.0-only WITH Linux-syscall-note", "GPL-2.0-only WITH Linux-syscall-note");
  expr ("Apache-2.0+", "Apache-2.0+");
  expr ("LicenseRef-Foo OR MIT", "LicenseRef-Foo OR MIT");
  expr ("GPL-2+", NULL);
  expr ("GPLv2+", NULL);
  expr ("MIT/X11", NULL);
  expr ("BSD-3-clause or GPL-2", NULL);
  expr ("(MIT", NULL);
  expr ("MIT AND", NULL);
  expr ("MIT WITH Bogus-exception", NULL);
  expr ("", NULL);
  is_str (p1, "pkg:rpm/debian/libstdc%2B%2B6@12.2.0-14.bk12?arch=x86_64",
          "purl: vendor namespace, + encoded");
  is_str (p2, "pkg:rpm/fedora/zlib@1.2-3?arch=aarch64&epoch=1", "purl: epoch qualifier");
  is_str (p3, "pkg:rpm/a@1-1?arch=noarch", "purl: no vendor, epoch 0 omitted");
  return tap_done ();
}
