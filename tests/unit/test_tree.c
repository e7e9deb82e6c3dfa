/* test_tree.c: unit tests for tree.c: path normalisation, in-memory
 * symlink resolution clamped to the image root, the sorted view, owner
 * mapping through the image's own passwd/group, and the hash table under
 * load. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "rpm.h"
#include "tree.h"
#include "util.h"

#include "tap.h"


/* ---- helpers ------------------------------------------------------------ */

static struct mk_entry *
add_dir (struct mk_tree *t, const char *path)
{
  struct mk_entry *e = mk_tree_add (t, path);
  e->mode = S_IFDIR | 0755;
  return e;
}

static struct mk_entry *
add_file (struct mk_tree *t, const char *path)
{
  struct mk_entry *e = mk_tree_add (t, path);
  e->mode = S_IFREG | 0644;
  return e;
}

static struct mk_entry *
add_link (struct mk_tree *t, const char *path, const char *target)
{
  struct mk_entry *e = mk_tree_add (t, path);
  e->mode = S_IFLNK | 0777;
  e->linkto = xstrdup (target);
  return e;
}

/* Resolve and return the canonical path, or "ERR:<errno name>" (static
 * buffer for the error case; the caller frees the result either way). */
static char *
resolve (struct mk_tree *t, const char *path, bool follow_last)
{
  char *canon = NULL;
  mk_error_t err = NULL;
  if (mk_tree_resolve (t, path, follow_last, &canon, &err) < 0)
    {
      char *r = xasprintf ("ERR:%d", err ? err->errnum : -1);
      mk_error_release (&err);
      return r;
    }
  return canon;
}

static void
check_resolve (struct mk_tree *t, const char *path, bool follow_last,
               const char *want, const char *what)
{
  char *got = resolve (t, path, follow_last);
  is_str (got, want, "resolve %s%s -> %s: %s", path,
          follow_last ? "" : " (nofollow)", want, what);
  free (got);
}

static void
check_norm (const char *in, const char *want)
{
  char *got = mk_tree_normalize (in);
  is_str (got, want, "normalize `%s` -> `%s`", in, want);
  free (got);
}

static void
check_norm_fails (const char *in, int want_errno, const char *what)
{
  char *got;
  errno = 0;
  got = mk_tree_normalize (in);
  ok (got == NULL && errno == want_errno, "normalize rejects %s (%s)", what,
      strerror (want_errno));
  free (got);
}

/* ---- normalize ---------------------------------------------------------- */

static void
test_normalize (void)
{
  char *s;

  check_norm ("//a/./b", "/a/b");
  check_norm ("/", "/");
  check_norm ("//", "/");
  check_norm ("/.", "/");
  check_norm ("/a/", "/a");
  check_norm ("/a//b///c/.", "/a/b/c");
  check_norm ("/usr/bin/..bash", "/usr/bin/..bash");
  check_norm ("/a/.hidden/...", "/a/.hidden/...");

  check_norm_fails ("a/b", EINVAL, "a relative path");
  check_norm_fails ("", EINVAL, "the empty path");
  check_norm_fails ("./a", EINVAL, "\"./a\"");
  check_norm_fails ("/a/../b", EINVAL, "\"..\" in the middle");
  check_norm_fails ("/..", EINVAL, "\"..\" at the root");
  check_norm_fails ("/a/..", EINVAL, "a trailing \"..\"");

  /* NAME_MAX (255) is fine, 256 is not. */
  s = xmalloc (NAME_MAX + 3);
  s[0] = '/';
  memset (s + 1, 'n', NAME_MAX);
  s[NAME_MAX + 1] = '\0';
  {
    char *got = mk_tree_normalize (s);
    ok (got && strcmp (got, s) == 0, "a %d-byte component is allowed",
        NAME_MAX);
    free (got);
  }
  s[NAME_MAX + 1] = 'n';
  s[NAME_MAX + 2] = '\0';
  check_norm_fails (s, ENAMETOOLONG, "a component longer than NAME_MAX");
  free (s);

  /* 4095 bytes is the limit; 4096 is too long. */
  s = xmalloc (4097);
  for (size_t i = 0; i < 4095; i++)
    s[i] = (i % 100 == 0) ? '/' : 'p';
  s[4095] = '\0';
  {
    char *got = mk_tree_normalize (s);
    ok (got && strcmp (got, s) == 0, "a 4095-byte path is allowed");
    free (got);
  }
  s[4095] = 'p';
  s[4096] = '\0';
  check_norm_fails (s, ENAMETOOLONG, "a path longer than 4095 bytes");
  /* Too long even if it would shrink once normalised. */
  memset (s, '/', 4096);
  check_norm_fails (s, ENAMETOOLONG, "4096 slashes");
  free (s);
}

/* ---- resolve ------------------------------------------------------------ */

static void
test_resolve (void)
{
  struct mk_tree *t = mk_tree_new ();
  char buf[64];

  add_dir (t, "/usr");
  add_dir (t, "/usr/bin");
  add_file (t, "/usr/bin/bash");
  add_dir (t, "/usr/lib");
  add_dir (t, "/etc");
  add_file (t, "/etc/passwd");
  add_dir (t, "/opt");
  add_link (t, "/bin", "usr/bin");          /* relative, usrmerge style */
  add_link (t, "/lib", "/usr/lib");         /* absolute */
  add_link (t, "/usr/bin/sh", "bash");      /* relative, same dir */
  add_link (t, "/usr/bin/rbash", "../bin/./bash");
  add_link (t, "/opt/x", "../../../../etc"); /* climbs past the root */
  add_link (t, "/opt/abs", "/../../etc/passwd");
  add_link (t, "/chain1", "chain2");         /* chain of three */
  add_link (t, "/chain2", "/chain3");
  add_link (t, "/chain3", "usr/bin/sh");
  add_link (t, "/loop1", "loop2");
  add_link (t, "/loop2", "/loop1");
  add_link (t, "/self", "self");
  add_link (t, "/dangling", "/nonexistent/target");
  add_link (t, "/etc/alt", "/etc/passwd");

  check_resolve (t, "/", true, "/", "the root");
  check_resolve (t, "/usr/bin/bash", true, "/usr/bin/bash", "no links");
  check_resolve (t, "/bin/bash", true, "/usr/bin/bash",
                 "/bin -> usr/bin (relative)");
  check_resolve (t, "/bin", true, "/usr/bin", "follow_last follows /bin");
  check_resolve (t, "/bin", false, "/bin", "nofollow keeps the last link");
  check_resolve (t, "/bin/sh", false, "/usr/bin/sh",
                 "nofollow still follows links in the middle");
  check_resolve (t, "/bin/sh", true, "/usr/bin/bash",
                 "two links (/bin, then sh -> bash)");
  check_resolve (t, "/lib/x.so", true, "/usr/lib/x.so",
                 "absolute link; a missing last component is kept");
  check_resolve (t, "/usr/bin/rbash", true, "/usr/bin/bash",
                 "relative link with \"..\" and \".\"");
  check_resolve (t, "/opt/x", true, "/etc",
                 "../../../../etc from /opt/x stays inside");
  check_resolve (t, "/opt/x/passwd", true, "/etc/passwd",
                 "and continues below it");
  check_resolve (t, "/opt/abs", true, "/etc/passwd",
                 "absolute target with \"..\" at the root");
  check_resolve (t, "/chain1", true, "/usr/bin/bash",
                 "a chain of four links");
  check_resolve (t, "/chain1", false, "/chain1", "nofollow on a chain");
  check_resolve (t, "/dangling", true, "/nonexistent/target",
                 "dangling link resolves to its target path");
  check_resolve (t, "/etc/alt", true, "/etc/passwd", "link to a file");
  check_resolve (t, "/new/dir/file", true, "/new/dir/file",
                 "missing components are kept");
  check_resolve (t, "/usr/../etc", true, "/etc", "\"..\" in the input");
  check_resolve (t, "/../../usr/bin", true, "/usr/bin",
                 "\"..\" at the root clamps to the root");
  check_resolve (t, "/bin/../lib", true, "/usr/lib",
                 "\"..\" after a link is taken from the target (physical)");

  snprintf (buf, sizeof buf, "ERR:%d", ELOOP);
  check_resolve (t, "/loop1", true, buf, "a two-link loop is ELOOP");
  check_resolve (t, "/loop1/x", false, buf,
                 "a loop in the middle is ELOOP even with nofollow");
  check_resolve (t, "/self", true, buf, "a self-link is ELOOP");
  check_resolve (t, "/loop1", false, "/loop1",
                 "a loop as the unfollowed last component is fine");

  snprintf (buf, sizeof buf, "ERR:%d", ENOTDIR);
  check_resolve (t, "/etc/passwd/x", true, buf,
                 "a regular file used as a directory is ENOTDIR");
  check_resolve (t, "/etc/alt/x", true, buf,
                 "a link to a file used as a directory is ENOTDIR");

  /* Removed and %ghost entries count as absent. */
  {
    struct mk_entry *e = add_link (t, "/ghostlink", "/usr/bin");
    e->flags |= MK_RPMF_GHOST;
    e = add_link (t, "/gonelink", "/usr/bin");
    e->removed = true;
    e = add_file (t, "/gonefile");
    e->removed = true;
  }
  check_resolve (t, "/ghostlink/bash", true, "/ghostlink/bash",
                 "a %ghost link is not followed");
  check_resolve (t, "/gonelink/bash", true, "/gonelink/bash",
                 "a removed link is not followed");
  check_resolve (t, "/gonefile/x", true, "/gonefile/x",
                 "a removed file is no ENOTDIR");

  /* 40 hops are allowed, 41 are not. */
  {
    struct mk_tree *c = mk_tree_new ();
    char name[32], target[32];
    for (int i = 0; i < 41; i++)
      {
        snprintf (name, sizeof name, "/h%d", i);
        snprintf (target, sizeof target, "h%d", i + 1);
        add_link (c, name, target);
      }
    add_file (c, "/h41");
    snprintf (buf, sizeof buf, "ERR:%d", ELOOP);
    check_resolve (c, "/h1", true, "/h41", "40 links in a row resolve");
    check_resolve (c, "/h0", true, buf, "41 links in a row are ELOOP");
    mk_tree_free (c);
  }

  /* The error message names the path. */
  {
    char *canon = NULL;
    mk_error_t err = NULL;
    ok (mk_tree_resolve (t, "/loop1", true, &canon, &err) < 0 && err
            && strstr (err->msg, "/loop1") && canon == NULL,
        "ELOOP error names the path and leaves *canon alone");
    mk_error_release (&err);
  }
  mk_tree_free (t);
}

/* ---- sorted ------------------------------------------------------------- */

static void
test_sorted (void)
{
  struct mk_tree *t = mk_tree_new ();
  static const char *const in[]
      = { "/usr/lib", "/usr-local", "/usr/bin/b", "/usr", "/usr/bin",
          "/a b", "/usr/bin/a", "/Z", "/usr.d", "/etc", "/etc/x" };
  static const char *const want[]
      = { "/", "/Z", "/a b", "/etc", "/usr", "/usr-local", "/usr.d",
          "/usr/bin", "/usr/bin/a", "/usr/lib" };
  struct mk_entry **v;
  size_t n = 0;
  bool order = true, parents = true;

  for (size_t i = 0; i < ARRAY_SIZE (in); i++)
    add_dir (t, in[i]);
  mk_tree_lookup (t, "/usr/bin/b")->removed = true;
  mk_tree_lookup (t, "/etc/x")->flags |= MK_RPMF_GHOST;

  v = mk_tree_sorted (t, &n);
  is_int (n, ARRAY_SIZE (want), "sorted drops removed and %%ghost entries");
  for (size_t i = 0; i < n && i < ARRAY_SIZE (want); i++)
    if (strcmp (v[i]->path, want[i]) != 0)
      {
        order = false;
        printf ("#   [%zu] got %s, expected %s\n", i, v[i]->path, want[i]);
      }
  ok (order, "sorted is bytewise: / Z \"a b\" etc usr usr-local usr.d "
             "usr/bin ...");
  /* Every entry's parent comes earlier. */
  for (size_t i = 1; i < n; i++)
    {
      char *p = xstrdup (v[i]->path);
      char *slash = strrchr (p, '/');
      bool seen = false;
      if (slash == p)
        slash[1] = '\0';
      else
        *slash = '\0';
      for (size_t j = 0; j < i; j++)
        seen |= strcmp (v[j]->path, p) == 0;
      parents &= seen;
      free (p);
    }
  ok (parents, "every directory precedes its contents");
  ok (v[0] == mk_tree_lookup (t, "/"), "entries are borrowed, not copied");
  free (v);
  mk_tree_free (t);
}

/* ---- owners ------------------------------------------------------------- */

static void
write_at (int dfd, const char *path, const char *content)
{
  int fd = openat (dfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write (fd, content, strlen (content)) < 0)
    {
      perror (path);
      exit (1);
    }
  close (fd);
}

static void
test_owners (void)
{
  char dir[] = "/tmp/mkbase-test-tree-XXXXXX";
  struct mk_tree *t;
  struct mk_entry *a, *b, *c, *d, *r;
  mk_error_t err = NULL;
  int rootfd;

  if (mkdtemp (dir) == NULL)
    {
      ok (0, "mkdtemp: %s", strerror (errno));
      return;
    }
  rootfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  mkdirat (rootfd, "etc", 0755);
  write_at (rootfd, "etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\n"
            "# a comment line is skipped\n"
            "daemon:x:2:2::/:/sbin/nologin\n"
            "broken line without colons\n"
            "bad:x:notanumber:1::/:\n"
            "apache:x:48:48::/var/www:/sbin/nologin\n"
            "apache:x:999:999:dup, first wins::\n"
            "nobody:x:65534:65534::/:/sbin/nologin");
  write_at (rootfd, "etc/group",
            "root:x:0:\n"
            "wheel:x:10:apache\n"
            "apache:x:4800:\n"
            "tty:x:5:\n");

  t = mk_tree_new ();
  add_dir (t, "/etc")->user = xstrdup ("root");
  add_file (t, "/etc/passwd");
  add_file (t, "/etc/group");
  a = add_file (t, "/srv/a");
  a->user = xstrdup ("apache");
  a->group = xstrdup ("wheel");
  b = add_file (t, "/srv/b");
  b->user = xstrdup ("nobody");
  b->group = xstrdup ("apache");
  c = add_file (t, "/srv/c");
  c->user = xstrdup ("ghostuser");
  c->group = xstrdup ("ghostgroup");
  c->uid = c->gid = 777; /* must be reset to 0 */
  c->pkg = mk_tree_add_pkg (t, "pkg-1.0-1.x86_64");
  d = add_file (t, "/srv/d");
  d->user = xstrdup ("daemon");
  d->group = xstrdup ("tty");
  r = add_file (t, "/srv/r");
  r->user = xstrdup ("bad");
  r->group = xstrdup ("root");

  mk_verbosity = 0; /* the unknown-name warnings are expected */
  ok (mk_tree_map_owners (t, rootfd, &err) == 0 && err == NULL,
      "map_owners succeeds");
  is_int (a->uid, 48, "known user apache -> 48");
  is_int (a->gid, 10, "known group wheel -> 10");
  is_int (b->uid, 65534, "last line without a newline is read (nobody)");
  is_int (b->gid, 4800, "group names are looked up in /etc/group");
  is_int (c->uid, 0, "unknown user -> 0");
  is_int (c->gid, 0, "unknown group -> 0");
  is_int (d->uid, 2, "daemon -> 2");
  is_int (d->gid, 5, "tty -> 5");
  is_int (r->uid, 0, "a malformed id is skipped (unknown -> 0)");
  is_int (r->gid, 0, "root group -> 0");
  mk_error_release (&err);

  /* The image's /etc may be reached through a link; files are read through
   * the tree's resolution, not the host's. */
  {
    struct mk_tree *t2 = mk_tree_new ();
    struct mk_entry *e;
    mkdirat (rootfd, "real", 0755);
    write_at (rootfd, "real/passwd", "svc:x:123:123::/:\n");
    write_at (rootfd, "real/group", "svc:x:321:\n");
    add_dir (t2, "/real");
    add_file (t2, "/real/passwd");
    add_file (t2, "/real/group");
    add_link (t2, "/etc", "real");
    e = add_file (t2, "/x");
    e->user = xstrdup ("svc");
    e->group = xstrdup ("svc");
    ok (mk_tree_map_owners (t2, rootfd, &err) == 0,
        "map_owners with /etc -> real");
    ok (e->uid == 123 && e->gid == 321, "names mapped through the link");
    mk_error_release (&err);
    mk_tree_free (t2);
  }

  /* No passwd in the image: root still maps to 0, others to 0. */
  {
    struct mk_tree *t3 = mk_tree_new ();
    struct mk_entry *e = add_file (t3, "/x");
    e->user = xstrdup ("apache");
    e->uid = 5;
    ok (mk_tree_map_owners (t3, rootfd, &err) == 0 && e->uid == 0,
        "no passwd entry in the tree: names map to 0, no error");
    mk_error_release (&err);
    mk_tree_free (t3);
  }

  /* A passwd in the tree but missing on disk is an error. */
  {
    struct mk_tree *t4 = mk_tree_new ();
    add_dir (t4, "/etc");
    add_file (t4, "/etc/passwd");
    unlinkat (rootfd, "etc/passwd", 0);
    ok (mk_tree_map_owners (t4, rootfd, &err) < 0 && err
            && err->errnum == ENOENT,
        "a passwd listed in the tree but absent on disk is ENOENT");
    mk_error_release (&err);
    mk_tree_free (t4);
  }
  mk_verbosity = 1;

  mk_tree_free (t);
  close (rootfd);
  ok (mk_at_rmtree (AT_FDCWD, dir) == 0, "temporary directory removed");
}

/* ---- hash table --------------------------------------------------------- */

static void
test_stress (void)
{
  struct mk_tree *t = mk_tree_new ();
  char path[64];
  size_t found = 0, absent = 0, right = 0;

  for (int i = 0; i < 10000; i++)
    {
      struct mk_entry *e;
      snprintf (path, sizeof path, "/d%d/f%d", i % 97, i);
      e = mk_tree_add (t, path);
      e->size = (uint64_t) i;
    }
  is_int (t->n, 10001, "10,000 entries plus the root");
  ok (t->n_slots >= 2 * t->n, "the table keeps its load at or below 1/2");
  for (int i = 0; i < 10000; i++)
    {
      struct mk_entry *e;
      snprintf (path, sizeof path, "/d%d/f%d", i % 97, i);
      e = mk_tree_lookup (t, path);
      if (e)
        {
          found++;
          right += e->size == (uint64_t) i && strcmp (e->path, path) == 0;
        }
      snprintf (path, sizeof path, "/d%d/f%d", (i + 1) % 97, i);
      absent += mk_tree_lookup (t, path) == NULL;
    }
  is_int (found, 10000, "every entry is found again");
  is_int (right, 10000, "each lookup returns its own entry");
  is_int (absent, 10000, "near-miss paths are not found");
  ok (mk_tree_lookup (t, "/") != NULL, "the root survives the growth");
  ok (mk_tree_lookup (t, "") == NULL, "\"\" is not an entry");
  {
    struct mk_entry *r = mk_tree_lookup (t, "/");
    ok (r && S_ISDIR (r->mode) && (r->flags & MK_ENTRY_IMPLIED) && r->pkg == -1,
        "the root is an implied directory");
  }
  {
    int p0 = mk_tree_add_pkg (t, "a-1-1.noarch");
    int p1 = mk_tree_add_pkg (t, "b-1-1.noarch");
    ok (p0 == 0 && p1 == 1 && strcmp (t->pkgs[1], "b-1-1.noarch") == 0,
        "add_pkg returns consecutive indexes");
  }
  mk_tree_free (t);
  mk_tree_free (NULL);
}

int
main (void)
{
  test_normalize ();
  test_resolve ();
  test_sorted ();
  test_owners ();
  test_stress ();
  return tap_done ();
}
