/* libFuzzer target: repomd.xml through libsolv's parser and our lookup of
 * the primary/filelists entries (solve.c), which decides which files are
 * downloaded and where they go. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "solve.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Does the relative path p have a ".." component? */
static int
has_dotdot (const char *p)
{
  for (const char *s = p; (s = strstr (s, "..")) != NULL; s += 2)
    if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
      return 1;
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char path[64];
  int fd = memfd_create ("repomd", MFD_CLOEXEC);
  static const char *types[] = { "primary", "filelists" };

  if (fd < 0 || write (fd, data, size) != (ssize_t) size)
    abort ();
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  for (size_t i = 0; i < 2; i++)
    {
      struct mk_md_file f = { 0 };
      mk_error_t err = NULL;
      bool found;
      if (mk_repomd_lookup (path, types[i], &f, &found, &err) == 0 && found
          && (f.location[0] == '/' || has_dotdot (f.location)))
        abort (); /* a location must never leave the repository */
      mk_md_file_clear (&f);
      mk_error_release (&err);
    }
  close (fd);
  return 0;
}
