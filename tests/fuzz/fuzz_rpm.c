/* libFuzzer target: reading a package (rpm.c over librpm): header,
 * digests, payload digest and the payload walk, as the unpacker does;
 * inputs of odd length write through a copier (copier.h), as a worker
 * does for a large package. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "copier.h"
#include "rpm.h"
#include "util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static struct mk_copier *copier;
  char path[64];
  struct mk_rpm *p = NULL;
  struct mk_copier *c = NULL;
  mk_error_t err = NULL;
  int fd = memfd_create ("pkg", MFD_CLOEXEC);
  int null = open ("/dev/null", O_WRONLY | O_CLOEXEC);

  if (fd < 0 || null < 0 || write (fd, data, size) != (ssize_t) size)
    abort ();
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  mk_verbosity = 0;
  if (size & 1)
    {
      if (copier == NULL)
        copier = mk_copier_new ();
      c = copier;
    }
  if (mk_rpm_open (path, NULL, &p, &err) == 0)
    {
      size_t ix;
      bool content;
      int r;
      for (size_t i = 0; i < mk_rpm_file_count (p); i++)
        if (mk_rpm_file (p, i)->path == NULL)
          abort (); /* every file has a path */
      while ((r = mk_rpm_payload_next (p, &ix, &content, &err)) > 0)
        if (content
            && mk_rpm_payload_copy (p, c ? dup (null) : null, c, &err) < 0)
          break;
      if (c)
        {
          mk_error_release (&err);
          mk_copier_wait (c, &err); /* the copier's own failure, if any */
        }
      mk_rpm_close (p);
    }
  mk_error_release (&err);
  close (null);
  close (fd);
  return 0;
}
