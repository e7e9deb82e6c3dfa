/* libFuzzer target: path normalisation and in-memory symlink resolution
 * (tree.c), the code that keeps package paths inside the image root.  The
 * input is lines: "L path target" adds a symlink, "D path" a directory,
 * anything else is resolved; every result must be absolute, normalised
 * and free of "..". */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tree.h"
#include "util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check (const char *canon)
{
  if (canon[0] != '/' || strstr (canon, "/../") || strstr (canon, "//")
      || (strlen (canon) > 1 && canon[strlen (canon) - 1] == '/'))
    abort ();
}

static void
one_line (struct mk_tree *t, char *line)
{
  mk_error_t err = NULL;
  if (line[0] == 'L' && line[1] == ' ')
    {
      char *sp = strchr (line + 2, ' ');
      char *n;
      if (sp == NULL)
        return;
      *sp = '\0';
      n = mk_tree_normalize (line + 2);
      if (n && !mk_tree_lookup (t, n))
        {
          struct mk_entry *e = mk_tree_add (t, n);
          e->mode = S_IFLNK | 0777;
          e->linkto = xstrdup (sp + 1);
        }
      free (n);
      return;
    }
  if (line[0] == 'D' && line[1] == ' ')
    {
      char *n = mk_tree_normalize (line + 2);
      if (n && !mk_tree_lookup (t, n))
        mk_tree_add (t, n)->mode = S_IFDIR | 0755;
      free (n);
      return;
    }
  {
    char *n = mk_tree_normalize (line);
    char *canon = NULL;
    if (n == NULL)
      return;
    check (n);
    if (mk_tree_resolve (t, n, true, &canon, &err) == 0)
      {
        check (canon);
        free (canon);
      }
    mk_error_release (&err);
    free (n);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *buf = xstrndup ((const char *) data, size);
  struct mk_tree *t = mk_tree_new ();
  char *save = NULL;
  for (char *l = strtok_r (buf, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    one_line (t, l);
  mk_tree_free (t);
  free (buf);
  return 0;
}
