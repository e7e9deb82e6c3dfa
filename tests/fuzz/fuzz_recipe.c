/* libFuzzer target: the recipe/profile INI parser (recipe.c), fed through a
 * memfd so it reads a real file path as it does in use. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "recipe.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char path[64];
  struct mk_recipe *r = NULL;
  mk_error_t err = NULL;
  int fd = memfd_create ("recipe", MFD_CLOEXEC);

  if (fd < 0 || write (fd, data, size) != (ssize_t) size)
    abort ();
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  if (mk_recipe_load (path, &r, &err) == 0)
    {
      for (size_t i = 0; i < r->n_repos; i++)
        free (mk_recipe_expand (r, r->repos[i].baseurl
                                       ? r->repos[i].baseurl
                                       : "x"));
      mk_recipe_free (r);
    }
  mk_error_release (&err);
  close (fd);
  return 0;
}
