/* test_recipe.c: unit tests for recipe.c: recipes and profiles written to a
 * private temporary directory, parsed with mk_recipe_load; every error must
 * carry MK_EXIT_RECIPE and start with "FILE:LINE:".  Layout:
 *   DIR/r/          recipes (the recipe dir)
 *   DIR/profiles/   <recipe dir>/../profiles
 *   DIR/r/profiles/ <recipe dir>/profiles
 *   DIR/env/        $MKBASE_PROFILES */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "recipe.h"
#include "util.h"

#include "tap.h"


static char *dir; /* the private temporary directory */

/* A minimal valid tail to append to [image] fragments. */
#define REPO "[repo base]\nbaseurl = file:///srv/base\n"

/* Write DIR/rel (raw bytes, so NULs can be written); return its path. */
static char *
put (const char *rel, const char *content, size_t len)
{
  char *p = xasprintf ("%s/%s", dir, rel);
  int fd = open (p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write (fd, content, len) != (ssize_t) len)
    {
      perror (p);
      exit (1);
    }
  close (fd);
  return p;
}

static char *
put_str (const char *rel, const char *content)
{
  return put (rel, content, strlen (content));
}

/* Load text as DIR/r/<name>.conf; NULL on error (then *errp is set). */
static struct mk_recipe *
load (const char *name, const char *text, mk_error_t *errp, char **pathp)
{
  char *rel = xasprintf ("r/%s.conf", name);
  char *p = put_str (rel, text);
  struct mk_recipe *r = NULL;
  free (rel);
  if (mk_recipe_load (p, &r, errp) < 0)
    r = NULL;
  if (pathp)
    *pathp = p;
  else
    free (p);
  return r;
}

/* The recipe must fail with MK_EXIT_RECIPE, a message starting with
 * "PATH:LINE: " and containing `needle`. */
static void
check_error_raw (const char *name, const char *text, size_t len, int line,
                 const char *needle)
{
  char *rel = xasprintf ("r/%s.conf", name);
  char *p = put (rel, text, len);
  char *prefix = xasprintf ("%s:%d: ", p, line);
  struct mk_recipe *r = NULL;
  mk_error_t err = NULL;
  int rc = mk_recipe_load (p, &r, &err);

  ok (rc < 0 && r == NULL && err != NULL, "%s: load fails", name);
  if (err)
    {
      bool good = err->exit_code == MK_EXIT_RECIPE
                  && mk_str_has_prefix (err->msg, prefix)
                  && strstr (err->msg, needle) != NULL;
      ok (good, "%s: exit %d, \"FILE:%d: ...%s...\"", name, MK_EXIT_RECIPE,
          line, needle);
      if (!good)
        printf ("#   exit %d, message: %s\n", err->exit_code, err->msg);
    }
  else
    ok (0, "%s: an error is reported", name);
  mk_recipe_free (r);
  mk_error_release (&err);
  free (prefix);
  free (p);
  free (rel);
}

static void
check_error (const char *name, const char *text, int line, const char *needle)
{
  check_error_raw (name, text, strlen (text), line, needle);
}

/* ---- a full valid recipe ------------------------------------------------ */

static void
test_valid (void)
{
  static const char text[]
      = "# a comment\n"                                   /* 1 */
        "; another comment\n"                             /* 2 */
        "[image]\n"                                       /* 3 */
        "name = demo\n"                                   /* 4 */
        "packages = bash coreutils\n"                     /* 5 */
        "exclude = foo-docs, bar\n"                       /* 6 */
        "arch = aarch64\n"                                /* 7 */
        "releasever = 12\n"                               /* 8 */
        "profile = none\n"                                /* 9 */
        "weak_deps = true\n"                              /* 10 */
        "output = out/demo.tar\n"                         /* 11 */
        "\n"                                              /* 12 */
        "[repo base]\n"                                   /* 13 */
        "name = The base repository\n"                    /* 14 */
        "baseurl = https://example.org/$releasever/$basearch/os/\n"
        "priority = 10\n"                                 /* 16 */
        "enabled = false\n"                               /* 17 */
        "[ repo  up-dates.x:1 ]\n"                        /* 18 */
        "baseurl = ../repo\n";                            /* 19 */
  mk_error_t err = NULL;
  char *path = NULL;
  struct mk_recipe *r = load ("valid", text, &err, &path);

  ok (r != NULL, "valid recipe loads");
  if (r == NULL)
    {
      printf ("#   %s\n", err ? err->msg : "?");
      mk_error_release (&err);
      free (path);
      return;
    }
  is_str (r->path, path, "path kept");
  {
    char *d = xasprintf ("%s/r", dir);
    is_str (r->dir, d, "dir is the recipe's directory");
    free (d);
  }
  is_str (r->name, "demo", "name");
  is_int (r->n_packages, 2, "two packages");
  is_str (r->packages[0].value, "bash", "packages[0]");
  is_str (r->packages[1].value, "coreutils", "packages[1]");
  is_int (r->packages[1].line, 5, "packages remember their line");
  is_int (mk_strv_len (r->excludes), 2, "exclude split on commas and spaces");
  is_str (r->excludes[0], "foo-docs", "exclude[0]");
  is_str (r->excludes[1], "bar", "exclude[1]");
  is_str (r->arch, "aarch64", "arch");
  is_str (r->releasever, "12", "releasever");
  is_str (r->profile_name, "none", "profile");
  is_int (r->profile_line, 9, "profile line");
  ok (r->weak_deps, "weak_deps = true");
  is_str (r->output, "out/demo.tar", "output");
  ok (r->profile != NULL && strcmp (r->profile->name, "none") == 0,
      "profile loaded");
  is_int (r->n_repos, 2, "two repos");
  if (r->n_repos == 2)
    {
      is_str (r->repos[0].id, "base", "repo 0 id");
      is_str (r->repos[0].baseurl,
              "https://example.org/$releasever/$basearch/os/",
              "baseurl kept unexpanded");
      is_int (r->repos[0].priority, 10, "priority");
      ok (!r->repos[0].enabled, "enabled = false");
      is_int (r->repos[0].line, 13, "repo line is its header's");
      is_str (r->repos[1].id, "up-dates.x:1", "id with -_.: and spaces trimmed");
      is_str (r->repos[1].baseurl, "../repo", "repo 1 baseurl");
      is_int (r->repos[1].priority, 99, "default priority 99");
      ok (r->repos[1].enabled, "enabled by default");
      is_int (r->repos[1].line, 18, "second repo line");
    }
  {
    char *s = mk_recipe_expand (r, r->repos[0].baseurl);
    is_str (s, "https://example.org/12/aarch64/os/",
            "expand $releasever and $basearch");
    free (s);
    s = mk_recipe_expand (r, "$arch-$basearch-$releasever-$releasever");
    is_str (s, "aarch64-aarch64-12-12", "expand $arch, repeats");
    free (s);
    s = mk_recipe_expand (r, "no variables $ here");
    is_str (s, "no variables $ here", "nothing to expand");
    free (s);
  }
  mk_recipe_free (r);
  free (path);

  /* Defaults and the host arch. */
  r = load ("defaults", "[image]\nname = d\npackages = a\n" REPO, &err, NULL);
  ok (r != NULL, "minimal recipe loads");
  if (r)
    {
      ok (r->arch == NULL && r->releasever == NULL && r->output == NULL
              && r->excludes == NULL,
          "unset scalars stay NULL");
      ok (!r->weak_deps, "weak dependencies are off by default");
      is_str (r->profile_name, "none", "default profile is none");
      {
        char *s = mk_recipe_expand (r, "$basearch|$arch|$releasever|");
        char *want = xasprintf ("%s|%s||", mk_host_arch (), mk_host_arch ());
        is_str (s, want, "without arch: host arch; no releasever: empty");
        free (s);
        free (want);
      }
      ok (mk_host_arch ()[0] != '\0' && strcmp (mk_host_arch (), "armv7l"),
          "host arch is set (%s)", mk_host_arch ());
    }
  mk_recipe_free (r);
  mk_error_release (&err);
}

/* ---- lists, continuation lines, package specs ---------------------------- */

static void
test_lists (void)
{
  static const char text[] = "[image]\n"                 /* 1 */
                             "name = lists\n"             /* 2 */
                             "packages = a b = 1.0 c>=2 d\n" /* 3 */
                             "exclude = x\n"              /* 4 */
                             "packages =\n"               /* 5 */
                             "    e\n"                    /* 6 */
                             "# a comment inside\n"       /* 7 */
                             "\tf, g\n"                   /* 8 */
                             "  h == 3 i<1 j <= 4 k > 5:1.0-1\n" /* 9 */
                             "exclude = y\n"              /* 10 */
                             "   z\n"                     /* 11 */
                             REPO;
  static const char *const want[]
      = { "a", "b = 1.0", "c >= 2", "d", "e", "f", "g", "h = 3", "i < 1",
          "j <= 4", "k > 5:1.0-1" };
  mk_error_t err = NULL;
  struct mk_recipe *r = load ("lists", text, &err, NULL);
  bool same = true;

  ok (r != NULL, "recipe with repeated lists loads");
  if (r == NULL)
    {
      printf ("#   %s\n", err ? err->msg : "?");
      mk_error_release (&err);
      return;
    }
  is_int (r->n_packages, ARRAY_SIZE (want), "11 package specs");
  for (size_t i = 0; i < r->n_packages && i < ARRAY_SIZE (want); i++)
    if (strcmp (r->packages[i].value, want[i]) != 0)
      {
        same = false;
        printf ("#   [%zu] got '%s', expected '%s'\n", i,
                r->packages[i].value, want[i]);
      }
  ok (same, "specs: a | b = 1.0 | c >= 2 | d | e f g | h = 3 | i < 1 | ...");
  if (r->n_packages >= 5)
    {
      is_int (r->packages[0].line, 3, "first key's specs are on line 3");
      is_int (r->packages[4].line, 5,
              "continued specs carry the key's line (5)");
    }
  is_int (mk_strv_len (r->excludes), 3, "exclude repeated and continued");
  if (mk_strv_len (r->excludes) == 3)
    ok (strcmp (r->excludes[0], "x") == 0 && strcmp (r->excludes[1], "y") == 0
            && strcmp (r->excludes[2], "z") == 0,
        "exclude = x, y, z in order");
  mk_recipe_free (r);

  /* CRLF line endings. */
  r = load ("crlf",
            "[image]\r\nname = crlf\r\npackages = a\r\n  b\r\n"
            "[repo base]\r\nbaseurl = file:///x\r\n",
            &err, NULL);
  ok (r != NULL && r->n_packages == 2 && strcmp (r->name, "crlf") == 0
          && strcmp (r->repos[0].baseurl, "file:///x") == 0,
      "CRLF line endings are accepted");
  mk_recipe_free (r);
  mk_error_release (&err);

  /* No final newline. */
  r = load ("nonl", "[image]\nname = n\npackages = a\n[repo b]\nbaseurl = u",
            &err, NULL);
  ok (r != NULL && strcmp (r->repos[0].baseurl, "u") == 0,
      "a last line without a newline is read");
  mk_recipe_free (r);
  mk_error_release (&err);

  /* Booleans and the priority range. */
  r = load ("bools",
            "[image]\nname = b\npackages = a\nweak_deps = yes\n"
            "[repo a]\nbaseurl = u\npriority = 1\nenabled = 0\n"
            "[repo b]\nbaseurl = u\npriority = 99\nenabled = on\n",
            &err, NULL);
  ok (r != NULL && r->weak_deps && r->repos[0].priority == 1
          && !r->repos[0].enabled && r->repos[1].priority == 99
          && r->repos[1].enabled,
      "yes/0/on booleans, priorities 1 and 99 accepted");
  mk_recipe_free (r);
  mk_error_release (&err);
}

/* ---- errors ------------------------------------------------------------- */

static void
test_errors (void)
{
  check_error ("e-unknown-key", "[image]\nname = x\npakages = a\n" REPO, 3,
               "unknown key `pakages` in [image] (did you mean `packages`?)");
  check_error ("e-unknown-key-far",
               "[image]\nname = x\npackages = a\nfrobnicate = 1\n" REPO, 4,
               "unknown key `frobnicate` in [image]");
  check_error ("e-unknown-repo-key",
               "[image]\nname = x\npackages = a\n[repo b]\nbaseur = u\n", 5,
               "unknown key `baseur` in [repo b] (did you mean `baseurl`?)");
  check_error ("e-dup-name", "[image]\nname = x\npackages = a\nname = y\n" REPO,
               4, "name: set twice");
  check_error ("e-dup-arch",
               "[image]\nname = x\narch = x86_64\npackages = a\narch = aarch64\n"
               REPO, 5, "arch: set twice");
  check_error ("e-unknown-arch",
               "[image]\nname = x\npackages = a\narch = x86_64 arm64\n" REPO, 4,
               "arch: unknown architecture `arm64` (known: x86_64, aarch64,");
  check_error ("e-twice-arch",
               "[image]\nname = x\npackages = a\narch = aarch64 aarch64\n" REPO,
               4, "arch: `aarch64` named twice");
  check_error ("e-dup-baseurl",
               "[image]\nname = x\npackages = a\n[repo b]\nbaseurl = u\n"
               "baseurl = v\n",
               6, "baseurl: set twice");
  check_error ("e-empty-scalar", "[image]\nname = x\narch =\npackages = a\n" REPO,
               3, "arch: empty value");
  check_error ("e-name-slash", "[image]\nname = a/b\npackages = a\n" REPO, 2,
               "must be a plain file name");
  check_error ("e-name-dotdot", "[image]\nname = ..\npackages = a\n" REPO, 2,
               "must be a plain file name");
  check_error ("e-unknown-section", "[image]\nname = x\npackages = a\n"
                                    "[images]\n" REPO,
               4, "unknown section [images]");
  check_error ("e-repo-no-id", "[image]\nname = x\npackages = a\n[repo]\n"
                               "baseurl = u\n",
               4, "[repo] needs an id");
  check_error ("e-repo-blank-id", "[image]\nname = x\npackages = a\n[repo  ]\n"
                                  "baseurl = u\n",
               4, "[repo] needs an id");
  check_error ("e-repo-bad-id", "[image]\nname = x\npackages = a\n"
                                "[repo a/b]\nbaseurl = u\n",
               4, "a repo id is letters, digits");
  check_error ("e-dup-repo", "[image]\nname = x\npackages = a\n"
                             "[repo b]\nbaseurl = u\n"
                             "[repo b]\nbaseurl = v\n",
               6, "[repo b] defined twice (first at line 4)");
  check_error ("e-no-baseurl", "[image]\nname = x\npackages = a\n"
                               "[repo b]\nbaseurl = u\n\n"
                               "[repo c]\npriority = 5\n",
               7, "[repo c] has no `baseurl`");
  check_error ("e-no-name", "[image]\npackages = a\n" REPO, 1,
               "[image] has no `name`");
  check_error ("e-no-packages", "[image]\nname = x\n" REPO, 1,
               "[image] has no `packages`");
  check_error ("e-no-repo", "[image]\nname = x\npackages = a\n", 1,
               "no [repo ID] section");
  check_error ("e-empty-file", "", 1, "[image] has no `name`");
  check_error ("e-bad-bool", "[image]\nname = x\npackages = a\n"
                             "weak_deps = maybe\n" REPO,
               4, "weak_deps: expected a boolean (true/false), got `maybe`");
  check_error ("e-bad-enabled", "[image]\nname = x\npackages = a\n"
                                "[repo b]\nbaseurl = u\nenabled = 2\n",
               6, "enabled: expected a boolean");
  check_error ("e-priority-0", "[image]\nname = x\npackages = a\n"
                               "[repo b]\nbaseurl = u\npriority = 0\n",
               6, "priority: expected a number from 1 to 99, got `0`");
  check_error ("e-priority-100", "[image]\nname = x\npackages = a\n"
                                 "[repo b]\nbaseurl = u\npriority = 100\n",
               6, "priority: expected a number from 1 to 99, got `100`");
  check_error ("e-priority-junk", "[image]\nname = x\npackages = a\n"
                                  "[repo b]\nbaseurl = u\npriority = 5x\n",
               6, "got `5x`");
  check_error ("e-priority-huge", "[image]\nname = x\npackages = a\n"
                                  "[repo b]\nbaseurl = u\n"
                                  "priority = 99999999999999999999\n",
               6, "expected a number from 1 to 99");
  check_error ("e-header-open", "[image]\nname = x\npackages = a\n[repo b\n",
               4, "malformed section header `[repo b`");
  check_error ("e-header-trailing", "[image] # no trailing comments\nname = x\n",
               1, "malformed section header");
  check_error ("e-key-before-section", "\n# c\nname = x\n[image]\n", 3,
               "`name = x` before any [section]");
  check_error ("e-no-equals", "[image]\nname = x\npackages\n", 3,
               "expected `key = value`, got `packages`");
  check_error ("e-empty-key", "[image]\nname = x\n= y\n", 3, "empty key");
  /* An indented line continues the previous value (dnf's INI dialect). */
  check_error ("e-indented-continues", "[image]\nname = x\n  = y\n", 2,
               "name: `x = y` must be a plain file name");
  check_error ("e-relop-first", "[image]\nname = x\npackages = >= 2\n" REPO,
               3, "packages: `>=` without a package name");
  check_error ("e-relop-no-version", "[image]\nname = x\npackages = b =\n" REPO,
               3, "packages: `b =` without a version");
  /* The error of a continued key is reported at the key's line. */
  check_error ("e-continued", "[image]\nname = x\nweak_deps = tr\n  ue\n" REPO,
               3, "weak_deps: expected a boolean");
  {
    static const char nul[] = "[image]\nname = x\npack\0ages = a\n" REPO;
    check_error_raw ("e-nul", nul, sizeof nul - 1, 3, "NUL");
  }
  {
    mk_error_t err = NULL;
    struct mk_recipe *r = NULL;
    char *p = xasprintf ("%s/r/does-not-exist.conf", dir);
    ok (mk_recipe_load (p, &r, &err) < 0 && err
            && err->exit_code == MK_EXIT_RECIPE && err->errnum == ENOENT
            && strstr (err->msg, p),
        "a missing recipe file is a recipe error (ENOENT) naming it");
    mk_error_release (&err);
    free (p);
  }
}

/* ---- profiles ----------------------------------------------------------- */

/* Load a recipe using `profile = NAME` and return its profile's path ("" for
 * a built-in) or "ERR: msg". */
static char *
profile_of (const char *recipe_name, const char *profile)
{
  char *text = xasprintf ("[image]\nname = p\npackages = a\nprofile = %s\n"
                          REPO, profile);
  mk_error_t err = NULL;
  struct mk_recipe *r = load (recipe_name, text, &err, NULL);
  char *res;
  free (text);
  if (r == NULL)
    {
      res = xasprintf ("ERR: %s", err ? err->msg : "?");
      mk_error_release (&err);
      return res;
    }
  res = xstrdup (r->profile->path ? r->profile->path : "");
  mk_recipe_free (r);
  return res;
}

static void
test_profiles (void)
{
  char *p_up, *p_local, *p_both_up, *p_both_env, *p_rel, *p_abs, *got;

  unsetenv ("MKBASE_PROFILES");
  p_up = put_str ("profiles/up.conf", "[profile]\ndocs = drop\n");
  p_local = put_str ("r/profiles/local.conf", "[profile]\ndocs = keep\n");
  p_both_up = put_str ("profiles/both.conf", "[profile]\n");
  free (put_str ("r/profiles/both.conf", "[profile]\n"));
  p_both_env = put_str ("env/both.conf", "[profile]\n");
  p_rel = put_str ("r/custom/p.conf", "[profile]\nlicenses = drop\n");
  p_abs = put_str ("abs.conf", "[profile]\n");

  got = profile_of ("pr-up", "up");
  ok (mk_str_has_suffix (got, "/r/../profiles/up.conf"),
      "profile found in <recipe dir>/../profiles (%s)", got);
  free (got);
  got = profile_of ("pr-local", "local");
  ok (mk_str_has_suffix (got, "/r/profiles/local.conf"),
      "profile found in <recipe dir>/profiles (%s)", got);
  free (got);
  got = profile_of ("pr-both", "both");
  ok (mk_str_has_suffix (got, "/r/../profiles/both.conf"),
      "../profiles is searched before ./profiles (%s)", got);
  free (got);
  {
    char *env = xasprintf ("%s/env", dir);
    setenv ("MKBASE_PROFILES", env, 1);
    got = profile_of ("pr-env", "both");
    is_str (got, p_both_env, "$MKBASE_PROFILES is searched first");
    free (got);
    got = profile_of ("pr-env-fallback", "up");
    ok (mk_str_has_suffix (got, "/r/../profiles/up.conf"),
        "names not in $MKBASE_PROFILES are still found elsewhere");
    free (got);
    unsetenv ("MKBASE_PROFILES");
    free (env);
  }
  got = profile_of ("pr-rel", "custom/p.conf");
  ok (mk_str_has_suffix (got, "/r/custom/p.conf") && access (got, R_OK) == 0,
      "a relative path with '/' is relative to the recipe dir (%s)", got);
  free (got);
  got = profile_of ("pr-abs", p_abs);
  is_str (got, p_abs, "an absolute profile path is used as is");
  free (got);

  /* The built-in "none" needs no file. */
  {
    struct mk_profile *p = NULL;
    mk_error_t err = NULL;
    char *empty = xasprintf ("%s/empty", dir);
    mkdir (empty, 0755);
    ok (mk_profile_load ("none", empty, &p, &err) == 0 && p != NULL,
        "profile none loads without a file");
    if (p)
      ok (strcmp (p->name, "none") == 0 && !p->drop_docs && !p->drop_licenses
              && p->keep_langs == NULL && p->n_rules == 0,
          "none prunes nothing");
    mk_profile_free (p);
    mk_error_release (&err);
    free (empty);
  }

  /* Errors. */
  {
    mk_error_t err = NULL;
    struct mk_recipe *r;
    char *path = NULL, *prefix;
    r = load ("pr-unknown",
              "[image]\nname = p\npackages = a\nprofile = no-such-profile\n"
              REPO, &err, &path);
    prefix = xasprintf ("%s:4: ", path);
    ok (r == NULL && err && err->exit_code == MK_EXIT_RECIPE
            && mk_str_has_prefix (err->msg, prefix)
            && strstr (err->msg, "profile `no-such-profile` not found"),
        "unknown profile: exit 3, \"FILE:4: profile `...` not found\"");
    if (err && !(err->exit_code == MK_EXIT_RECIPE
                 && mk_str_has_prefix (err->msg, prefix)))
      printf ("#   %s\n", err->msg);
    mk_error_release (&err);
    mk_recipe_free (r);
    free (prefix);
    free (path);

    free (put_str ("profiles/relglob.conf",
                   "[profile]\nremove = /usr/share/doc/*\n"
                   "         usr/share/man/*\n"));
    r = load ("pr-relglob",
              "[image]\nname = p\npackages = a\nprofile = relglob\n" REPO,
              &err, &path);
    prefix = xasprintf ("%s:4: ", path);
    ok (r == NULL && err && err->exit_code == MK_EXIT_RECIPE
            && mk_str_has_prefix (err->msg, prefix)
            && strstr (err->msg, "relglob.conf:2: `usr/share/man/*`"),
        "relative glob with '/' rejected at the profile's FILE:LINE");
    if (err && !(err->exit_code == MK_EXIT_RECIPE
                 && mk_str_has_prefix (err->msg, prefix)))
      printf ("#   %s\n", err->msg);
    mk_error_release (&err);
    mk_recipe_free (r);
    free (prefix);
    free (path);
  }

  /* Profile contents, through mk_profile_load directly. */
  {
    static const char text[] = "# header\n"                     /* 1 */
                               "[profile]\n"                    /* 2 */
                               "description = test profile\n"   /* 3 */
                               "docs = drop\n"                  /* 4 */
                               "licenses = keep\n"              /* 5 */
                               "langs = en, en_US\n"            /* 6 */
                               "langs = de\n"                   /* 7 */
                               "remove = /usr/share/doc/*\n"    /* 8 */
                               "   *.log\n"                     /* 9 */
                               "keep = /usr/share/doc/*/COPYING\n" /* 10 */
                               "remove = bashbug\n";            /* 11 */
    struct mk_profile *p = NULL;
    mk_error_t err = NULL;
    char *pp = put_str ("full.conf", text);
    ok (mk_profile_load (pp, dir, &p, &err) == 0 && p, "full profile loads");
    if (p)
      {
        is_str (p->path, pp, "profile path");
        ok (p->drop_docs && !p->drop_licenses, "docs = drop, licenses = keep");
        is_int (mk_strv_len (p->keep_langs), 3, "langs repeat and accumulate");
        ok (mk_strv_contains (p->keep_langs, "en")
                && mk_strv_contains (p->keep_langs, "en_US")
                && mk_strv_contains (p->keep_langs, "de"),
            "langs: en en_US de");
        is_int (p->n_rules, 4, "four glob rules");
        if (p->n_rules == 4)
          {
            ok (p->rules[0].kind == MK_PRUNE_REMOVE
                    && strcmp (p->rules[0].glob, "/usr/share/doc/*") == 0
                    && p->rules[0].line == 8,
                "rule 0: remove /usr/share/doc/* (line 8)");
            ok (p->rules[1].kind == MK_PRUNE_REMOVE
                    && strcmp (p->rules[1].glob, "*.log") == 0
                    && p->rules[1].line == 8,
                "rule 1: remove *.log, continued, line of its key");
            ok (p->rules[2].kind == MK_PRUNE_KEEP
                    && strcmp (p->rules[2].glob, "/usr/share/doc/*/COPYING")
                           == 0
                    && p->rules[2].line == 10,
                "rule 2: keep /usr/share/doc/*/COPYING");
            ok (p->rules[3].kind == MK_PRUNE_REMOVE
                    && strcmp (p->rules[3].glob, "bashbug") == 0,
                "rule 3: remove bashbug (rules keep file order)");
          }
      }
    mk_profile_free (p);
    p = NULL;
    mk_error_release (&err);
    free (pp);

    pp = put_str ("licdrop.conf", "[profile]\ndocs = keep\nlicenses = drop\n"
                                  "langs =\n");
    ok (mk_profile_load (pp, dir, &p, &err) == 0 && p && !p->drop_docs
            && p->drop_licenses,
        "docs = keep, licenses = drop");
    ok (p && p->keep_langs != NULL && p->keep_langs[0] == NULL,
        "an empty langs keeps no language (empty list, not NULL)");
    mk_profile_free (p);
    p = NULL;
    mk_error_release (&err);
    free (pp);

    pp = put_str ("nolangs.conf", "[profile]\n");
    ok (mk_profile_load (pp, dir, &p, &err) == 0 && p
            && p->keep_langs == NULL,
        "no langs key keeps every language (NULL)");
    mk_profile_free (p);
    p = NULL;
    mk_error_release (&err);
    free (pp);
  }

  /* Profile errors, each at the profile's FILE:LINE. */
  {
    static const struct
    {
      const char *text;
      int line;
      const char *needle;
    } bad[] = {
      { "[profile]\ndocs = maybe\n", 2, "docs: expected `keep` or `drop`" },
      { "[profile]\nlicenses = yes\n", 2, "licenses: expected `keep`" },
      { "[profile]\nremov = *.log\n", 2,
        "unknown key `remov` in [profile] (did you mean `remove`?)" },
      { "[image]\n", 1, "unknown section [image] (expected [profile])" },
      { "[profile]\nkeep = a/b\n", 2, "`a/b`: a glob is an absolute path" },
      { "docs = drop\n", 1, "before any [section]" },
    };
    for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
      {
        struct mk_profile *p = NULL;
        mk_error_t err = NULL;
        char *rel = xasprintf ("bad%zu.conf", i);
        char *pp = put_str (rel, bad[i].text);
        char *prefix = xasprintf ("%s:%d: ", pp, bad[i].line);
        bool good = mk_profile_load (pp, dir, &p, &err) < 0 && p == NULL
                    && err && err->exit_code == MK_EXIT_RECIPE
                    && mk_str_has_prefix (err->msg, prefix)
                    && strstr (err->msg, bad[i].needle);
        ok (good, "profile error %zu: \"FILE:%d: ...%s...\"", i, bad[i].line,
            bad[i].needle);
        if (!good && err)
          printf ("#   %s\n", err->msg);
        mk_profile_free (p);
        mk_error_release (&err);
        free (prefix);
        free (pp);
        free (rel);
      }
  }
  {
    struct mk_profile *p = NULL;
    mk_error_t err = NULL;
    ok (mk_profile_load ("nope", dir, &p, &err) < 0 && p == NULL && err
            && err->exit_code == MK_EXIT_RECIPE,
        "mk_profile_load of an unknown name is a recipe error");
    mk_error_release (&err);
  }

  free (p_up);
  free (p_local);
  free (p_both_up);
  free (p_both_env);
  free (p_rel);
  free (p_abs);
}

/* A variable whose value contains a variable name must not make expansion
 * loop: run it in a child with a time limit. */
static void
test_expand_self_reference (void)
{
  pid_t pid;
  int status = 0;

  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      struct mk_recipe r = { 0 };
      char *s;
      alarm (1);
      r.arch = (char *) "x86_64";
      r.releasever = (char *) "$releasever";
      s = mk_recipe_expand (&r, "a/$releasever/b");
      _exit (s && strcmp (s, "a/$releasever/b") == 0 ? 0 : 1);
    }
  waitpid (pid, &status, 0);
  ok (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "expand with releasever = \"$releasever\" terminates, substituting once");
  if (WIFSIGNALED (status))
    printf ("#   child killed by signal %d (SIGALRM = hang)\n",
            WTERMSIG (status));
}

int
main (void)
{
  char tmpl[] = "/tmp/mkbase-test-recipe-XXXXXX";

  dir = mkdtemp (tmpl);
  if (dir == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }
  {
    char *p;
    p = xasprintf ("%s/r", dir), mkdir (p, 0755), free (p);
    p = xasprintf ("%s/r/profiles", dir), mkdir (p, 0755), free (p);
    p = xasprintf ("%s/r/custom", dir), mkdir (p, 0755), free (p);
    p = xasprintf ("%s/profiles", dir), mkdir (p, 0755), free (p);
    p = xasprintf ("%s/env", dir), mkdir (p, 0755), free (p);
  }
  unsetenv ("MKBASE_PROFILES");
  test_valid ();
  test_lists ();
  test_errors ();
  test_profiles ();
  test_expand_self_reference ();
  ok (mk_at_rmtree (AT_FDCWD, dir) == 0 && access (dir, F_OK) < 0,
      "temporary directory removed");
  return tap_done ();
}
