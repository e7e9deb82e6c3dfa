/* libFuzzer target: primary.xml through libsolv's rpm-md parser and the
 * solver, the way a repository reaches them: the input is written as
 * repodata/primary.xml of a local repository whose repomd.xml states its
 * real checksum (so the checksum gate lets it through), then the recipe's
 * job is solved against it. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "recipe.h"
#include "repo.h"
#include "solve.h"
#include "util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *dir;

static void
remove_dir (void)
{
  mk_at_rmtree (AT_FDCWD, dir);
}

static void
write_file (const char *name, const void *buf, size_t len)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, name);
  FILE *f = fopen (p, "w");
  if (f == NULL || fwrite (buf, 1, len, f) != len || fclose (f) != 0)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct mk_digest *d = mk_digest_new ("sha256");
  cleanup_free char *hex = NULL, *repomd = NULL, *recipe = NULL;
  struct mk_recipe *r = NULL;
  struct mk_repos *rs = NULL;
  struct mk_pkglist *l = NULL;
  struct mk_repo_opts o = { 0 };
  mk_error_t err = NULL;

  if (dir == NULL)
    {
      cleanup_free char *sub = NULL;
      if (mk_mkdtemp (NULL, "fuzz-primary", &dir, &err) < 0)
        abort ();
      sub = xasprintf ("%s/repodata", dir);
      if (mkdir (sub, 0700) < 0)
        abort ();
      atexit (remove_dir);
    }
  mk_verbosity = 0;
  mk_digest_add (d, data, size);
  hex = mk_digest_finish (d);
  repomd = xasprintf ("<?xml version=\"1.0\"?>\n<repomd xmlns=\"http://linux"
                      ".duke.edu/metadata/repo\"><revision>1</revision><data "
                      "type=\"primary\"><checksum type=\"sha256\">%s</checksum>"
                      "<location href=\"repodata/primary.xml\"/><size>%zu"
                      "</size></data></repomd>\n", hex, size);
  write_file ("repodata/repomd.xml", repomd, strlen (repomd));
  write_file ("repodata/primary.xml", data, size);
  recipe = xasprintf ("[image]\nname = f\npackages = a b c /usr/bin/sh\n"
                      "[repo f]\nbaseurl = %s\n", dir);
  write_file ("recipe.conf", recipe, strlen (recipe));
  {
    cleanup_free char *rp = xasprintf ("%s/recipe.conf", dir);
    if (mk_recipe_load (rp, &r, &err) == 0 && mk_repos_open (r, &o, &rs, &err) == 0)
      mk_solve (r, rs, &l, &err);
  }
  mk_pkglist_free (l);
  mk_repos_free (rs);
  mk_recipe_free (r);
  mk_error_release (&err);
  return 0;
}
