/* libFuzzer target: the ELF reader of the image check (elfinfo.c), which
 * reads files from packages: the input is the whole file, handed over
 * through a memfd as the check hands over a staging file.  Whatever the
 * bytes, the reader returns 1, 0 or a clean error, and what it returns
 * holds together. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elfinfo.h"
#include "util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static int fd = -1;
  struct mk_elfinfo info = { 0 };
  mk_error_t err = NULL;
  int r;

  if (fd < 0)
    fd = memfd_create ("fuzz-elf", MFD_CLOEXEC);
  if (fd < 0 || ftruncate (fd, 0) < 0
      || (size && pwrite (fd, data, size, 0) != (ssize_t) size))
    abort ();
  r = mk_elfinfo_read (fd, &info, &err);
  if (r < 0 && (err == NULL || strncmp (err->msg, "malformed ELF", 13) != 0))
    abort (); /* an I/O error on a memfd would be a bug */
  if (r > 0)
    {
      if (info.interp && strlen (info.interp) > 4096)
        abort ();
      for (size_t i = 0; info.needed && info.needed[i]; i++)
        if (strlen (info.needed[i]) >= 4096)
          abort ();
    }
  if (r <= 0 && (info.interp || info.needed || info.rpath || info.runpath))
    abort (); /* nothing is handed out on failure */
  mk_elfinfo_clear (&info);
  mk_error_release (&err);
  return 0;
}
