/* caps.c: the only user of libcap.  rpm stores file capabilities as text
 * (cap_to_text form); the tar carries the binary security.capability value
 * that setcap would have written, built here from libcap's parse so the
 * image gets the same bytes whether or not the build ran as root. */
#define _GNU_SOURCE
#include "caps.h"

#include <stdbool.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <sys/capability.h>

#define VFS_CAP_REV2 0x02000000u
#define VFS_CAP_EFFECTIVE 0x000001u

static void
put_le32 (unsigned char *p, uint32_t v)
{
  p[0] = (unsigned char) v;
  p[1] = (unsigned char) (v >> 8);
  p[2] = (unsigned char) (v >> 16);
  p[3] = (unsigned char) (v >> 24);
}

int
mk_caps_to_xattr (const char *text, unsigned char out[20], size_t *len,
                  mk_error_t *err)
{
  uint32_t perm[2] = { 0 }, inh[2] = { 0 };
  bool effective = false;
  cap_t c = cap_from_text (text);

  if (c == NULL)
    return mk_make_error (err, errno, "invalid file capabilities `%s`", text);
  for (int bit = 0; bit < 64; bit++)
    {
      cap_flag_value_t p = CAP_CLEAR, i = CAP_CLEAR, e = CAP_CLEAR;
      if (cap_get_flag (c, (cap_value_t) bit, CAP_PERMITTED, &p) < 0)
        break; /* past the last capability libcap knows */
      cap_get_flag (c, (cap_value_t) bit, CAP_INHERITABLE, &i);
      cap_get_flag (c, (cap_value_t) bit, CAP_EFFECTIVE, &e);
      if (p == CAP_SET)
        perm[bit / 32] |= 1u << (bit % 32);
      if (i == CAP_SET)
        inh[bit / 32] |= 1u << (bit % 32);
      if (e == CAP_SET)
        effective = true;
    }
  cap_free (c);
  if (!perm[0] && !perm[1] && !inh[0] && !inh[1])
    {
      *len = 0;
      return 0;
    }
  put_le32 (out, VFS_CAP_REV2 | (effective ? VFS_CAP_EFFECTIVE : 0));
  put_le32 (out + 4, perm[0]);
  put_le32 (out + 8, inh[0]);
  put_le32 (out + 12, perm[1]);
  put_le32 (out + 16, inh[1]);
  *len = 20;
  return 0;
}

static uint32_t
get_le32 (const unsigned char *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
         | (uint32_t) p[3] << 24;
}

/* The sets of a security.capability value (revision 1, 2 or 3; a v3
 * rootid does not change what the file may do inside its namespace).
 * No value is the empty set.  false when the value is malformed. */
static bool
caps_decode (const unsigned char *v, size_t len, uint32_t sets[5])
{
  uint32_t magic;
  memset (sets, 0, 5 * sizeof *sets);
  if (len == 0)
    return true;
  if (len < 4)
    return false;
  magic = get_le32 (v);
  switch (magic & 0xff000000u)
    {
    case 0x01000000u:
      if (len != 12)
        return false;
      break;
    case 0x02000000u:
      if (len != 20)
        return false;
      break;
    case 0x03000000u:
      if (len != 24)
        return false;
      break;
    default:
      return false;
    }
  sets[0] = get_le32 (v + 4);
  sets[1] = get_le32 (v + 8);
  if (len >= 20)
    {
      sets[2] = get_le32 (v + 12);
      sets[3] = get_le32 (v + 16);
    }
  /* The effective bit means nothing without a permitted or inheritable
   * capability; such a value grants what no value grants. */
  sets[4] = (sets[0] | sets[1] | sets[2] | sets[3])
                ? (magic & VFS_CAP_EFFECTIVE) : 0;
  return true;
}

bool
mk_caps_xattr_equal (const unsigned char *a, size_t alen,
                     const unsigned char *b, size_t blen)
{
  uint32_t sa[5], sb[5];
  if (!caps_decode (a, alen, sa) || !caps_decode (b, blen, sb))
    return alen == blen && (alen == 0 || memcmp (a, b, alen) == 0);
  return memcmp (sa, sb, sizeof sa) == 0;
}
