/* json.c: JSON strings for oci.c and sbom.c.  Those files write their
 * documents with fixed key order and no optional whitespace, so a
 * document's bytes (and the digests that name it) depend only on its
 * content; this is the escaping they share.  libc only. */
#include "json.h"

/* Length of the valid UTF-8 sequence at p, 0 when it is not one. */
static int
utf8_len (const unsigned char *p)
{
  int n = p[0] >= 0xf0 && p[0] <= 0xf4   ? 4
          : p[0] >= 0xe0                 ? 3
          : p[0] >= 0xc2 && p[0] <= 0xdf ? 2
                                         : 0;
  if (p[0] >= 0xf5)
    return 0;
  for (int i = 1; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  return n;
}

void
mk_json_string (FILE *f, const char *s)
{
  putc ('"', f);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    switch (*p)
      {
      case '"':
        fputs ("\\\"", f);
        break;
      case '\\':
        fputs ("\\\\", f);
        break;
      case '\n':
        fputs ("\\n", f);
        break;
      case '\t':
        fputs ("\\t", f);
        break;
      case '\r':
        fputs ("\\r", f);
        break;
      default:
        if (*p < 0x20 || *p == 0x7f)
          fprintf (f, "\\u%04x", *p);
        else if (*p < 0x80)
          putc (*p, f);
        else if (utf8_len (p) == 0)
          fputs ("\\ufffd", f); /* not UTF-8 (a Latin-1 header field) */
        else
          {
            int n = utf8_len (p);
            fwrite (p, 1, (size_t) n, f);
            p += n - 1;
          }
      }
  putc ('"', f);
}
