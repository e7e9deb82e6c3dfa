/* test_lock.c: unit tests for lock.c: a lock written for a package list
 * reads back as the same packages in the same order; a recipe change that
 * alters resolution is refused with what changed, one that does not
 * (comments, name, profile) is not; malformed locks name file:line. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "lock.h"
#include "recipe.h"
#include "solve.h"
#include "util.h"

#include "tap.h"

static char *dir;

static char *
put (const char *name, const char *text)
{
  char *p = xasprintf ("%s/%s", dir, name);
  FILE *f = fopen (p, "w");
  if (f == NULL || fputs (text, f) < 0 || fclose (f) != 0)
    abort ();
  return p;
}

static struct mk_recipe *
recipe (const char *text)
{
  cleanup_free char *p = put ("r.conf", text);
  struct mk_recipe *r = NULL;
  mk_error_t err = NULL;
  if (mk_recipe_load (p, &r, &err) < 0)
    {
      printf ("# %s\n", err->msg);
      abort ();
    }
  return r;
}

static void
fill (struct mk_pkg *p, const char *name, const char *evr, const char *loc,
      const char *sha)
{
  p->name = xstrdup (name);
  p->evr = xstrdup (evr);
  p->arch = xstrdup ("noarch");
  p->nevra = xasprintf ("%s-%s.noarch", name, evr);
  p->repo_id = xstrdup ("t");
  p->location = xstrdup (loc);
  p->download_size = 42;
  p->checksum_type = xstrdup ("sha256");
  p->checksum = xstrdup (sha);
}

#define BASE "[image]\nname = x\npackages = b a\n[repo t]\nbaseurl = /srv\n"
#define SHA1 "1111111111111111111111111111111111111111111111111111111111111111"
#define SHA2 "2222222222222222222222222222222222222222222222222222222222222222"

static void
test_roundtrip (void)
{
  cleanup_recipe struct mk_recipe *r = recipe (BASE);
  struct mk_pkglist l = { .pkgs = xcalloc (2, sizeof (struct mk_pkg)), .n = 2 };
  cleanup_pkglist struct mk_pkglist *back = NULL;
  cleanup_free char *path = mk_lock_path (r, NULL);
  mk_error_t err = NULL;

  fill (&l.pkgs[0], "b", "1:2.0-1", "Packages/b 1.rpm", SHA1);
  fill (&l.pkgs[1], "a", "1-1", "a.rpm", SHA2);
  is_str (path + strlen (dir), "/r.lock", "the default lock is r.conf -> r.lock");
  const struct mk_pkglist *one[] = { &l };
  ok (mk_lock_write (r, one, path, &err) == 0, "write the lock");
  ok (mk_lock_read (r, path, &back, &err) == 0, "read it back");
  ok (back && back->n == 2, "two packages");
  if (back && back->n == 2)
    {
      is_str (back->pkgs[0].nevra, "b-1:2.0-1.noarch", "install order kept; epoch kept");
      is_str (back->pkgs[0].location, "Packages/b 1.rpm", "a location with a space survives");
      is_str (back->pkgs[1].checksum, SHA2, "sha256 kept");
      ok (back->pkgs[1].path == NULL, "path left to the build");
    }
  for (size_t i = 0; i < l.n; i++)
    {
      struct mk_pkg *p = &l.pkgs[i];
      free (p->name), free (p->evr), free (p->arch), free (p->nevra);
      free (p->repo_id), free (p->location), free (p->checksum_type);
      free (p->checksum);
    }
  free (l.pkgs);
  mk_error_release (&err);
}

static void
test_changes (void)
{
  cleanup_free char *d0 = NULL;
  cleanup_free char *d1 = NULL;
  cleanup_free char *d2 = NULL;
  cleanup_free char *path = NULL;
  cleanup_pkglist struct mk_pkglist *back = NULL;
  mk_error_t err = NULL;
  {
    cleanup_recipe struct mk_recipe *r = recipe (BASE);
    d0 = mk_lock_recipe_digest (r);
    path = mk_lock_path (r, NULL);
  }
  {
    cleanup_recipe struct mk_recipe *r = recipe (
        "# comment\n[image]\nname = other\npackages = a\n  b\nprofile = none\n"
        "output_format = oci\n[repo t]\nbaseurl = /srv\nname = label\n");
    d1 = mk_lock_recipe_digest (r);
  }
  is_str (d1, d0, "comments, order, name, profile and formats do not change the digest");
  {
    cleanup_recipe struct mk_recipe *r
        = recipe ("[image]\nname = x\npackages = b a vim\narch = aarch64\n"
                  "[repo t]\nbaseurl = /srv\n");
    d2 = mk_lock_recipe_digest (r);
    ok (strcmp (d2, d0) != 0, "a new package changes the digest");
    ok (mk_lock_read (r, path, &back, &err) < 0, "the old lock is refused");
    ok (err && err->exit_code == MK_EXIT_RECIPE, "with MK_EXIT_RECIPE");
    ok (err && strstr (err->msg, "changed since") && strstr (err->msg, "packages added: vim")
            && strstr (err->msg, "arch added: aarch64; arch removed: x86_64")
               != NULL,
        "saying what changed: %s", err ? err->msg : "");
    mk_error_release (&err);
  }
}

/* arch = x86_64 aarch64: one section per platform; each build reads its
 * own; a platform the lock lacks is an error at the file. */
static void
test_platforms (void)
{
  cleanup_recipe struct mk_recipe *r
      = recipe ("[image]\nname = x\npackages = a\narch = x86_64 aarch64\n"
                "[repo t]\nbaseurl = /srv/$basearch\n");
  struct mk_pkglist x = { .pkgs = xcalloc (1, sizeof (struct mk_pkg)), .n = 1 };
  struct mk_pkglist y = { .pkgs = xcalloc (2, sizeof (struct mk_pkg)), .n = 2 };
  const struct mk_pkglist *both[] = { &x, &y };
  cleanup_free char *path = xasprintf ("%s/multi.lock", dir);
  cleanup_free char *text = NULL;
  size_t len;
  mk_error_t err = NULL;

  fill (&x.pkgs[0], "a", "1-1", "x/a.rpm", SHA1);
  fill (&y.pkgs[0], "c", "1-1", "y/c.rpm", SHA2);
  fill (&y.pkgs[1], "a", "1-1", "y/a.rpm", SHA1);
  ok (mk_lock_write (r, both, path, &err) == 0, "write a two-platform lock");
  ok (mk_read_file_at (AT_FDCWD, path, 1 << 20, &text, &len, &err) == 0
          && strstr (text, "\narch x86_64 aarch64\n")
          && strstr (text, "\nplatform x86_64\npackage a ")
          && strstr (text, "\nplatform aarch64\npackage c "),
      "arch lists both; one platform section each");
  for (int k = 0; k < 2; k++)
    {
      cleanup_pkglist struct mk_pkglist *back = NULL;
      free (r->arch);
      r->arch = xstrdup (k ? "aarch64" : "x86_64");
      ok (mk_lock_read (r, path, &back, &err) == 0 && back->n == (size_t) (k + 1)
              && strcmp (back->pkgs[0].location, k ? "y/c.rpm" : "x/a.rpm") == 0,
          "%s reads its own section", r->arch);
      mk_error_release (&err);
    }
  {
    cleanup_pkglist struct mk_pkglist *back = NULL;
    cleanup_free char *edited = NULL;
    char *cut = strstr (text, "\nplatform aarch64");
    *cut = '\0';
    edited = put ("cut.lock", text);
    ok (mk_lock_read (r, edited, &back, &err) < 0 && err
            && strstr (err->msg, "no `platform aarch64` section"),
        "a missing section is an error: %s", err ? err->msg : "");
    mk_error_release (&err);
  }
  for (size_t i = 0; i < 2; i++)
    mk_pkglist_truncate (i ? &y : &x, 0);
  free (x.pkgs);
  free (y.pkgs);
}

static void
test_malformed (void)
{
  cleanup_recipe struct mk_recipe *r = recipe (BASE);
  cleanup_free char *p = put ("bad.lock", "lock-version 1\nrecipe-digest sha256:" SHA1
                                          "\npackage a 1 noarch t ../x.rpm 1 sha256:" SHA1 "\n");
  cleanup_free char *q = put ("bad2.lock", "hello\n");
  struct mk_pkglist *l = NULL;
  mk_error_t err = NULL;
  ok (mk_lock_read (r, p, &l, &err) < 0 && strstr (err->msg, "bad.lock:3: package: bad LOCATION"),
      "a location with .. is refused at file:line: %s", err ? err->msg : "");
  mk_error_release (&err);
  ok (mk_lock_read (r, q, &l, &err) < 0 && strstr (err->msg, "not an mkbase lock file"),
      "a file that is not a lock says so");
  mk_error_release (&err);
}

int
main (void)
{
  char tmpl[] = "/tmp/mkbase-test-lock.XXXXXX";
  dir = mkdtemp (tmpl);
  if (dir == NULL)
    return 1;
  test_roundtrip ();
  test_changes ();
  test_platforms ();
  test_malformed ();
  mk_at_rmtree (AT_FDCWD, dir);
  return tap_done ();
}
