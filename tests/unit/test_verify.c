/* test_verify.c: unit tests for verify.c's path handling: a package path
 * resolved through the tar's own symlinks as the build placed it, and the
 * entry lookup that picks the last of several entries of one name. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "listing.h"
#include "verify.h"

#include "tap.h"

static struct mk_listing_entry entries[] = {
  { .path = (char *) "/", .mode = S_IFDIR | 0755 },
  { .path = (char *) "/bin", .mode = S_IFLNK | 0777, .linkto = (char *) "usr/bin" },
  { .path = (char *) "/etc", .mode = S_IFDIR | 0755 },
  { .path = (char *) "/etc/alt", .mode = S_IFLNK | 0777, .linkto = (char *) "/usr/lib" },
  { .path = (char *) "/etc/rel", .mode = S_IFLNK | 0777, .linkto = (char *) "../usr/lib" },
  { .path = (char *) "/loop", .mode = S_IFLNK | 0777, .linkto = (char *) "loop" },
  { .path = (char *) "/up", .mode = S_IFLNK | 0777, .linkto = (char *) "../../.." },
  { .path = (char *) "/usr", .mode = S_IFDIR | 0755 },
  { .path = (char *) "/usr/bin", .mode = S_IFDIR | 0755 },
  { .path = (char *) "/usr/bin/sh", .mode = S_IFREG | 0755, .order = 5 },
  { .path = (char *) "/usr/bin/sh", .mode = S_IFREG | 0755, .order = 9 },
  { .path = (char *) "/usr/lib", .mode = S_IFDIR | 0755 },
};

static void
resolves (const struct mk_listing *l, const char *path, const char *want)
{
  char *got = mk_verify_resolve (l, path);
  if (want == NULL)
    ok (got == NULL, "`%s` does not resolve (got %s)", path,
        got ? got : "NULL");
  else
    is_str (got, want, "`%s` -> `%s`", path, want);
  free (got);
}

int
main (void)
{
  struct mk_listing l = { .v = entries, .n = sizeof entries / sizeof *entries };

  resolves (&l, "/bin/bash", "/usr/bin/bash");
  resolves (&l, "/bin", "/bin");
  resolves (&l, "/etc/alt/x.so", "/usr/lib/x.so");
  resolves (&l, "/etc/rel/x.so", "/usr/lib/x.so");
  resolves (&l, "/up/usr/bin/sh", "/usr/bin/sh");
  resolves (&l, "/up/etc/alt/y", "/usr/lib/y");
  resolves (&l, "/loop/x", NULL);
  resolves (&l, "/", "/");
  resolves (&l, "//a/./b/../c", "/a/c");
  resolves (&l, "/bin/../etc", "/usr/etc");
  is_int (mk_verify_find (&l, "/usr/bin/sh"), 10,
          "of two /usr/bin/sh entries, the later one");
  is_int (mk_verify_find (&l, "/"), 0, "/ is found");
  is_int (mk_verify_find (&l, "/usr/lib"), 11, "the last entry is found");
  is_int (mk_verify_find (&l, "/usr/bin/bash"), -1, "a missing path is -1");
  is_int (mk_verify_find (&l, "/a"), -1, "before the first name: -1");
  is_int (mk_verify_find (&l, "/zzz"), -1, "after the last name: -1");
  return tap_done ();
}
