/* elfinfo.h: read the interpreter, the needed libraries and the library search
 * paths of an ELF executable or shared object, bounds-checking everything
 * (the file is hostile input).  Used by the image check (check.h).  libc
 * only. */
#ifndef MK_ELFINFO_H
#define MK_ELFINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct mk_elfinfo
{
  bool is64, big_endian;
  unsigned type;     /* ET_EXEC or ET_DYN */
  unsigned machine;  /* EM_* */
  char *interp;      /* PT_INTERP, NULL when none */
  char **needed;     /* DT_NEEDED in order, NULL when none */
  char *rpath;       /* DT_RPATH as written (a colon list), or NULL */
  char *runpath;     /* DT_RUNPATH, or NULL */
};

/* Read the ELF header, program headers and dynamic section of the file
 * open at fd, checking every offset against the file's size.  Returns 1
 * for an ELF executable or shared object (ET_EXEC/ET_DYN), filling *info;
 * 0 for anything else (not ELF, a relocatable object, a core file); <0
 * with a "malformed ELF: ..." error for a file that starts like ELF but
 * is truncated or inconsistent.  32/64-bit, either byte order. */
int mk_elfinfo_read (int fd, struct mk_elfinfo *info, mk_error_t *err);

/* The same when the caller has read the file's first head_len bytes
 * already (saves the reads of the headers). */
int mk_elfinfo_read_head (int fd, const unsigned char *head, size_t head_len,
                      struct mk_elfinfo *info, mk_error_t *err);

void mk_elfinfo_clear (struct mk_elfinfo *info);

#endif
