/* test_caps.c: unit tests for caps.c: the security.capability bytes built
 * from rpm's text form, checked against hand-computed values and against
 * what the kernel stores when libcap sets the same capabilities on a file
 * (that cross-check needs root; otherwise it is skipped). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "caps.h"
#include "error.h"

#include "tap.h"

static uint32_t
le32 (const unsigned char *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
         | (uint32_t) p[3] << 24;
}

static void
hex (const unsigned char *b, size_t n, char *out)
{
  for (size_t i = 0; i < n; i++)
    sprintf (out + 2 * i, "%02x", b[i]);
  out[2 * n] = '\0';
}

/* Encode text; on success check magic, permitted and inheritable words. */
static void
check_encoding (const char *text, uint32_t magic, uint32_t perm0,
                uint32_t inh0, uint32_t perm1, uint32_t inh1)
{
  unsigned char out[20];
  size_t len = 99;
  mk_error_t err = NULL;
  int r = mk_caps_to_xattr (text, out, &len, &err);

  ok (r == 0 && err == NULL, "`%s` encodes", text);
  if (r < 0)
    {
      printf ("#   %s\n", err ? err->msg : "(no error)");
      mk_error_release (&err);
      return;
    }
  is_int (len, 20, "`%s` is 20 bytes (VFS_CAP_REVISION_2)", text);
  is_int (le32 (out), magic, "`%s` magic_etc", text);
  is_int (le32 (out + 4), perm0, "`%s` permitted[0]", text);
  is_int (le32 (out + 8), inh0, "`%s` inheritable[0]", text);
  is_int (le32 (out + 12), perm1, "`%s` permitted[1]", text);
  is_int (le32 (out + 16), inh1, "`%s` inheritable[1]", text);
}

static void
test_encoding (void)
{
  unsigned char out[20];
  size_t len = 99;
  mk_error_t err = NULL;

  check_encoding ("cap_net_raw=p", 0x02000000, 1u << 13, 0, 0, 0);
  {
    /* Byte order: the magic is stored little-endian. */
    mk_caps_to_xattr ("cap_net_raw=p", out, &len, &err);
    ok (out[0] == 0x00 && out[1] == 0x00 && out[2] == 0x00 && out[3] == 0x02
            && out[4] == 0x00 && out[5] == 0x20,
        "`cap_net_raw=p` bytes: 00 00 00 02 00 20 ...");
  }
  check_encoding ("cap_net_raw=ep", 0x02000001, 1u << 13, 0, 0, 0);
  check_encoding ("cap_net_raw,cap_net_admin+eip", 0x02000001,
                  (1u << 13) | (1u << 12), (1u << 13) | (1u << 12), 0, 0);
  check_encoding ("cap_setuid=i", 0x02000000, 0, 1u << 7, 0, 0);
  /* Capabilities above 31 land in the second words (cap_syslog = 34). */
  check_encoding ("cap_syslog,cap_chown=ep", 0x02000001, 1u << 0, 0,
                  1u << (34 - 32), 0);

  len = 99;
  ok (mk_caps_to_xattr ("=", out, &len, &err) == 0 && err == NULL,
      "`=` (the empty set) encodes");
  is_int (len, 0, "`=` gives length 0: no xattr");

  len = 99;
  ok (mk_caps_to_xattr ("cap_no_such_thing=ep", out, &len, &err) < 0 && err,
      "invalid capability name is an error");
  if (err)
    {
      is_int (len, 99, "*len untouched on error");
      ok (strstr (err->msg, "cap_no_such_thing") != NULL,
          "error names the text: %s", err->msg);
    }
  mk_error_release (&err);
  ok (mk_caps_to_xattr ("cap_net_raw=zz", out, &len, &err) < 0 && err,
      "invalid flags are an error");
  mk_error_release (&err);
}

/* Set text on a fresh file through libcap and compare the kernel's
 * security.capability with ours. */
static void
cross_check (const char *dir, const char *text)
{
  unsigned char mine[20], kern[64];
  char hm[64], hk[160];
  size_t len = 0;
  ssize_t klen;
  mk_error_t err = NULL;
  char *path;
  int fd;
  cap_t c;

  if (geteuid () != 0)
    {
      printf ("ok %d # SKIP not root: kernel cross-check of `%s`\n", ++tap_n,
              text);
      return;
    }
  if (mk_caps_to_xattr (text, mine, &len, &err) < 0)
    {
      ok (0, "`%s` encodes for the cross-check", text);
      mk_error_release (&err);
      return;
    }
  if (asprintf (&path, "%s/f", dir) < 0)
    abort ();
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  close (fd);
  c = cap_from_text (text);
  if (c == NULL || cap_set_file (path, c) < 0)
    {
      ok (0, "cap_set_file `%s`: %s", text, strerror (errno));
      cap_free (c);
      unlink (path);
      free (path);
      return;
    }
  cap_free (c);
  klen = getxattr (path, "security.capability", kern, sizeof kern);
  if (klen < 0 && errno == ENODATA)
    klen = 0;
  hex (mine, len, hm);
  hex (kern, klen > 0 ? (size_t) klen : 0, hk);
  if (len == 0)
    {
      /* libcap writes an all-zero v2 value for the empty set where we
       * write none; they mean the same: no capability bits. */
      bool none = klen == 0
                  || (klen == 20 && le32 (kern + 4) == 0
                      && le32 (kern + 8) == 0 && le32 (kern + 12) == 0
                      && le32 (kern + 16) == 0);
      ok (none, "`%s`: the kernel holds no capability bits either (%s)",
          text, klen ? hk : "no xattr");
      unlink (path);
      free (path);
      return;
    }
  ok ((size_t) klen == len && memcmp (mine, kern, len) == 0,
      "`%s`: same bytes as the kernel stores (%s)", text, hk);
  if (!((size_t) klen == len && memcmp (mine, kern, len) == 0))
    printf ("#   ours %s, kernel %s\n", hm, hk);
  unlink (path);
  free (path);
}

/* mk_caps_xattr_equal: what mkbase verify compares a tar's xattr with. */
static void
test_equal (void)
{
  unsigned char raw[20], eff[20], v3[24], v1[12], bad[20];
  size_t lr, le, lz;
  unsigned char empty[20];
  mk_error_t err = NULL;

  mk_caps_to_xattr ("cap_net_raw=p", raw, &lr, &err);
  mk_caps_to_xattr ("cap_net_raw=ep", eff, &le, &err);
  mk_caps_to_xattr ("=", empty, &lz, &err);
  ok (mk_caps_xattr_equal (eff, le, eff, le), "a value equals itself");
  ok (!mk_caps_xattr_equal (raw, lr, eff, le),
      "cap_net_raw=p differs from cap_net_raw=ep");
  ok (!mk_caps_xattr_equal (eff, le, NULL, 0),
      "cap_net_raw=ep differs from no value");
  ok (lz == 0 && mk_caps_xattr_equal (empty, lz, NULL, 0),
      "`=` is no value");
  memcpy (v3, eff, 20);
  v3[3] = 0x03;
  memset (v3 + 20, 0x07, 4); /* rootid */
  ok (mk_caps_xattr_equal (eff, le, v3, 24),
      "a revision 3 value with a rootid grants the same as revision 2");
  memcpy (v1, eff, 12);
  v1[3] = 0x01;
  ok (mk_caps_xattr_equal (eff, le, v1, 12),
      "a revision 1 value (32 capabilities) grants the same");
  memcpy (bad, eff, 20);
  bad[3] = 0x09;
  ok (!mk_caps_xattr_equal (eff, le, bad, 20), "a malformed value differs");
  ok (mk_caps_xattr_equal (bad, 20, bad, 20),
      "a malformed value equals the very same bytes");
  ok (!mk_caps_xattr_equal (eff, le, eff, 19), "a truncated value differs");
}

int
main (void)
{
  char dir[] = "/tmp/mkbase-test-caps-XXXXXX";

  test_encoding ();
  test_equal ();
  if (mkdtemp (dir) == NULL)
    {
      ok (0, "mkdtemp: %s", strerror (errno));
      return tap_done ();
    }
  cross_check (dir, "cap_net_raw=p");
  cross_check (dir, "cap_net_raw=ep");
  cross_check (dir, "cap_net_raw,cap_net_admin+eip");
  cross_check (dir, "cap_setuid=i");
  cross_check (dir, "cap_syslog,cap_chown=ep");
  cross_check (dir, "=");
  ok (rmdir (dir) == 0, "temporary directory removed");
  return tap_done ();
}
