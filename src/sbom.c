/* sbom.c: the image's SBOM as SPDX 2.3 JSON.  One package per RPM (name,
 * version, arch, the header's License and Vendor, the .rpm's sha256 and a
 * pkg:rpm purl), one package for the image itself, DESCRIBES and CONTAINS
 * relationships.  Everything in it follows from the image: the creation
 * time is SOURCE_DATE_EPOCH, the namespace is derived from the image's
 * sha256, packages are sorted by NEVRA and the JSON has fixed key order and
 * no optional whitespace, so two builds of the same image write the same
 * bytes.
 *
 * SPDX requires licenseDeclared to be a valid license expression over
 * SPDX identifiers.  RPM License tags often are (Fedora uses SPDX now),
 * often are not ("GPLv2+", Debian's "GPL-2+"): a tag that parses as an
 * expression over the identifiers we know is written as it is (identifiers
 * in their canonical case, since SPDX matches them case-insensitively);
 * any other becomes a LicenseRef- whose text is the tag, declared in
 * hasExtractedLicensingInfos.  We never guess what a free-form tag means.
 * libc only. */
#define _GNU_SOURCE
#include "sbom.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "json.h"
#include "util.h"

/* SPDX license list identifiers (not deprecated ones) that RPM packages
 * commonly declare.  An identifier missing here only means the tag is
 * carried as a LicenseRef- with its text: still correct SPDX. */
static const char *const spdx_ids[] = {
  "0BSD", "AFL-2.1", "AFL-3.0", "AGPL-3.0-only", "AGPL-3.0-or-later",
  "Apache-1.1", "Apache-2.0", "APSL-2.0", "Artistic-1.0",
  "Artistic-1.0-Perl", "Artistic-2.0", "Beerware", "BSD-1-Clause",
  "BSD-2-Clause", "BSD-2-Clause-Patent", "BSD-3-Clause",
  "BSD-3-Clause-Clear", "BSD-4-Clause", "BSD-Source-Code", "BSL-1.0",
  "bzip2-1.0.6", "CC-BY-3.0", "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0",
  "CC0-1.0", "CDDL-1.0", "CDDL-1.1", "CPL-1.0", "curl", "EPL-1.0",
  "EPL-2.0", "EUPL-1.2", "FSFAP", "FSFUL", "FSFULLR", "FTL",
  "GFDL-1.1-only", "GFDL-1.1-or-later", "GFDL-1.2-only",
  "GFDL-1.2-or-later", "GFDL-1.3-only", "GFDL-1.3-or-later",
  "GPL-1.0-only", "GPL-1.0-or-later", "GPL-2.0-only", "GPL-2.0-or-later",
  "GPL-3.0-only", "GPL-3.0-or-later", "HPND", "ICU", "IJG", "Info-ZIP",
  "ISC", "LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1-only",
  "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later", "Libpng",
  "libpng-2.0", "LPPL-1.3c", "MIT", "MIT-0", "MIT-CMU", "MPL-1.1",
  "MPL-2.0", "MS-PL", "NCSA", "NTP", "OFL-1.1", "OLDAP-2.8", "OpenSSL",
  "PHP-3.01", "PostgreSQL", "PSF-2.0", "Python-2.0", "Ruby", "Sleepycat",
  "Spencer-94", "TCL", "Unicode-DFS-2016", "Unlicense", "UPL-1.0", "Vim",
  "W3C", "WTFPL", "X11", "XFree86-1.1", "Zlib", "zlib-acknowledgement",
  "ZPL-2.1",
};

static const char *const spdx_exceptions[] = {
  "Autoconf-exception-2.0", "Autoconf-exception-3.0",
  "Bison-exception-2.2", "Classpath-exception-2.0", "Font-exception-2.0",
  "GCC-exception-2.0", "GCC-exception-3.1", "Libtool-exception",
  "Linux-syscall-note", "LLVM-exception", "Qt-GPL-exception-1.0",
  "WxWindows-exception-3.1",
};

/* ---- license expressions (SPDX 2.3 annex D) ----------------------------- */

struct lex
{
  char **tok;
  size_t i, n;
  FILE *out;
};

static const char *
known (const char *const *list, size_t n, const char *w)
{
  for (size_t i = 0; i < n; i++)
    if (strcasecmp (list[i], w) == 0)
      return list[i];
  return NULL;
}

static const char *
peek (struct lex *x)
{
  return x->i < x->n ? x->tok[x->i] : "";
}

static int parse_or (struct lex *x);

static bool
is_ref_idstring (const char *s)
{
  return *s && strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
                          "VWXYZ0123456789.-") == strlen (s);
}

/* simple-expression ["WITH" exception] | "(" compound ")" */
static int
parse_term (struct lex *x)
{
  const char *t = peek (x), *id;
  size_t len = strlen (t);
  bool plus = len > 1 && t[len - 1] == '+';
  cleanup_free char *base = xstrndup (t, plus ? len - 1 : len);

  if (strcmp (t, "(") == 0)
    {
      x->i++;
      fputc ('(', x->out);
      if (parse_or (x) < 0 || strcmp (peek (x), ")") != 0)
        return -1;
      x->i++;
      fputc (')', x->out);
      return 0;
    }
  if (mk_str_has_prefix (base, "LicenseRef-") && is_ref_idstring (base + 11))
    id = base;
  else if ((id = known (spdx_ids, ARRAY_SIZE (spdx_ids), base)) == NULL)
    return -1;
  fprintf (x->out, "%s%s", id, plus ? "+" : "");
  x->i++;
  if (strcmp (peek (x), "WITH") != 0)
    return 0;
  x->i++;
  id = known (spdx_exceptions, ARRAY_SIZE (spdx_exceptions), peek (x));
  if (id == NULL)
    return -1;
  fprintf (x->out, " WITH %s", id);
  x->i++;
  return 0;
}

static int
parse_and (struct lex *x)
{
  if (parse_term (x) < 0)
    return -1;
  while (strcmp (peek (x), "AND") == 0)
    {
      x->i++;
      fputs (" AND ", x->out);
      if (parse_term (x) < 0)
        return -1;
    }
  return 0;
}

static int
parse_or (struct lex *x)
{
  if (parse_and (x) < 0)
    return -1;
  while (strcmp (peek (x), "OR") == 0)
    {
      x->i++;
      fputs (" OR ", x->out);
      if (parse_and (x) < 0)
        return -1;
    }
  return 0;
}

static char **
tokenize (const char *s)
{
  char **v = NULL;
  while (*s)
    {
      size_t n;
      if (isspace ((unsigned char) *s))
        {
          s++;
          continue;
        }
      n = *s == '(' || *s == ')' ? 1 : strcspn (s, "() \t\n\r\f\v");
      mk_strv_push (&v, xstrndup (s, n));
      s += n;
    }
  return v;
}

char *
mk_sbom_spdx_expression (const char *rpm_license)
{
  cleanup_strv char **tok = tokenize (rpm_license);
  struct lex x = { .tok = tok, .n = mk_strv_len (tok) };
  char *text = NULL;
  size_t len = 0;
  int r;

  if (x.n == 0)
    return NULL;
  x.out = open_memstream (&text, &len);
  if (x.out == NULL)
    abort ();
  r = parse_or (&x);
  fclose (x.out);
  if (r < 0 || x.i != x.n)
    {
      free (text);
      return NULL;
    }
  return text;
}

/* ---- purls and ids ------------------------------------------------------- */

/* purl components: unreserved characters as they are, the rest %XX. */
static void
purl_encode (FILE *f, const char *s)
{
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    if (isalnum (*p) || strchr (".-_~", *p))
      fputc (*p, f);
    else
      fprintf (f, "%%%02X", *p);
}

/* The purl namespace: the vendor's first word, lowercased ("Fedora
 * Project" -> fedora, "Debian (repackaged...)" -> debian); "Red Hat" is
 * redhat as the purl spec's examples spell it. */
static char *
purl_namespace (const char *vendor)
{
  size_t n;
  char *ns;
  if (strncasecmp (vendor, "Red Hat", 7) == 0)
    return xstrdup ("redhat");
  while (*vendor && !isalnum ((unsigned char) *vendor))
    vendor++;
  n = strspn (vendor, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789.-_");
  ns = xstrndup (vendor, n);
  for (char *p = ns; *p; p++)
    *p = (char) tolower ((unsigned char) *p);
  return ns;
}

char *
mk_sbom_purl (const char *vendor, const char *name, const char *evr,
              const char *arch)
{
  cleanup_free char *ns = purl_namespace (vendor ? vendor : "");
  const char *colon = strchr (evr, ':');
  const char *vr = colon ? colon + 1 : evr;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);

  if (f == NULL)
    abort ();
  fputs ("pkg:rpm/", f);
  if (*ns)
    fprintf (f, "%s/", ns);
  purl_encode (f, name);
  fputc ('@', f);
  purl_encode (f, vr);
  fputs ("?arch=", f);
  purl_encode (f, arch);
  if (colon && !(colon - evr == 1 && evr[0] == '0'))
    fprintf (f, "&epoch=%.*s", (int) (colon - evr), evr);
  fclose (f);
  return text;
}

/* SPDX ids are [A-Za-z0-9.-]+; "+" says something, so it becomes "plus". */
static char *
spdx_idstring (const char *prefix, const char *s)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);
  if (f == NULL)
    abort ();
  fputs (prefix, f);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    if (isalnum (*p) || *p == '.' || *p == '-')
      fputc (*p, f);
    else if (*p == '+')
      fputs ("plus", f);
    else
      fputc ('-', f);
  fclose (f);
  return text;
}

/* ---- the document --------------------------------------------------------- */

struct doc
{
  struct mk_sbom *s;
  FILE *f;
  char **ids;          /* every SPDXID handed out */
  char **ref_texts;    /* LicenseRef- texts, parallel to ref_ids */
  char **ref_ids;
};

/* base, or base-2, base-3 ... when another element has it already. */
static const char *
unique_id (struct doc *d, char *base)
{
  char *id = xstrdup (base);
  for (int k = 2; mk_strv_contains (d->ids, id); k++)
    {
      free (id);
      id = xasprintf ("%s-%d", base, k);
    }
  free (base);
  mk_strv_push (&d->ids, id);
  return id;
}

static const char *
license_ref (struct doc *d, const char *text)
{
  const char *id;
  for (size_t i = 0; d->ref_texts && d->ref_texts[i]; i++)
    if (strcmp (d->ref_texts[i], text) == 0)
      return d->ref_ids[i];
  id = unique_id (d, spdx_idstring ("LicenseRef-", text));
  mk_strv_push (&d->ref_texts, xstrdup (text));
  mk_strv_push (&d->ref_ids, xstrdup (id));
  return id;
}

static void
json_kv (FILE *f, const char *key, const char *value, bool comma)
{
  mk_json_string (f, key);
  fputc (':', f);
  mk_json_string (f, value);
  if (comma)
    fputc (',', f);
}

static void
write_checksum (FILE *f, const char *sha256)
{
  fputs ("\"checksums\":[{\"algorithm\":\"SHA256\",\"checksumValue\":", f);
  mk_json_string (f, sha256);
  fputs ("}],", f);
}

static void
write_package (struct doc *d, const struct mk_sbom_pkg *p, const char *id)
{
  FILE *f = d->f;
  cleanup_free char *expr = mk_sbom_spdx_expression (p->license);
  cleanup_free char *purl = mk_sbom_purl (p->vendor, p->name, p->evr,
                                          p->arch);
  cleanup_free char *supplier
      = *p->vendor ? xasprintf ("Organization: %s", p->vendor) : NULL;
  cleanup_free char *comment = xasprintf ("arch: %s", p->arch);
  const char *declared = expr ? expr
                              : *p->license ? license_ref (d, p->license)
                                            : "NOASSERTION";

  fputc ('{', f);
  json_kv (f, "SPDXID", id, true);
  json_kv (f, "name", p->name, true);
  json_kv (f, "versionInfo", p->evr, true);
  json_kv (f, "supplier", supplier ? supplier : "NOASSERTION", true);
  json_kv (f, "downloadLocation", "NOASSERTION", true);
  fputs ("\"filesAnalyzed\":false,", f);
  write_checksum (f, p->sha256);
  if (mk_str_has_prefix (p->url, "http://")
      || mk_str_has_prefix (p->url, "https://"))
    json_kv (f, "homepage", p->url, true);
  json_kv (f, "licenseConcluded", "NOASSERTION", true);
  json_kv (f, "licenseDeclared", declared, true);
  json_kv (f, "copyrightText", "NOASSERTION", true);
  if (*p->summary)
    json_kv (f, "summary", p->summary, true);
  json_kv (f, "comment", comment, true);
  fputs ("\"externalRefs\":[{\"referenceCategory\":\"PACKAGE-MANAGER\","
         "\"referenceType\":\"purl\",",
         f);
  json_kv (f, "referenceLocator", purl, false);
  fputs ("}]}", f);
}

static void
write_image_package (struct doc *d)
{
  FILE *f = d->f;
  fputc ('{', f);
  json_kv (f, "SPDXID", "SPDXRef-Image", true);
  json_kv (f, "name", d->s->name, true);
  json_kv (f, "downloadLocation", "NOASSERTION", true);
  fputs ("\"filesAnalyzed\":false,", f);
  write_checksum (f, d->s->image_sha256);
  json_kv (f, "licenseConcluded", "NOASSERTION", true);
  json_kv (f, "licenseDeclared", "NOASSERTION", true);
  json_kv (f, "copyrightText", "NOASSERTION", true);
  json_kv (f, "comment", "the image's root file system: the plain tar "
                         "mkbase wrote (the OCI layer's diff_id)", true);
  json_kv (f, "primaryPackagePurpose", "CONTAINER", false);
  fputc ('}', f);
}

static void
write_relationship (FILE *f, const char *a, const char *type, const char *b)
{
  fputc ('{', f);
  json_kv (f, "spdxElementId", a, true);
  json_kv (f, "relationshipType", type, true);
  json_kv (f, "relatedSpdxElement", b, false);
  fputc ('}', f);
}

static void
write_header (struct doc *d)
{
  FILE *f = d->f;
  time_t t = (time_t) d->s->created;
  struct tm tm;
  char created[32];
  cleanup_free char *ns = NULL;
  cleanup_free char *creator = xasprintf ("Tool: %s", d->s->tool);

  gmtime_r (&t, &tm);
  strftime (created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
  {
    size_t len = 0;
    FILE *nf = open_memstream (&ns, &len);
    if (nf == NULL)
      abort ();
    fputs ("https://spdx.org/spdxdocs/mkbase/", nf);
    purl_encode (nf, d->s->name);
    fprintf (nf, "-%s", d->s->image_sha256);
    fclose (nf);
  }
  fputc ('{', f);
  json_kv (f, "spdxVersion", "SPDX-2.3", true);
  json_kv (f, "dataLicense", "CC0-1.0", true);
  json_kv (f, "SPDXID", "SPDXRef-DOCUMENT", true);
  json_kv (f, "name", d->s->name, true);
  json_kv (f, "documentNamespace", ns, true);
  fputs ("\"creationInfo\":{", f);
  json_kv (f, "created", created, true);
  fputs ("\"creators\":[", f);
  mk_json_string (f, creator);
  fputs ("]},\n", f);
}

static void
write_licensing_infos (struct doc *d)
{
  FILE *f = d->f;
  if (d->ref_ids == NULL)
    return;
  fputs (",\n\"hasExtractedLicensingInfos\":[", f);
  for (size_t i = 0; d->ref_ids[i]; i++)
    {
      fputs (i ? ",\n{" : "\n{", f);
      json_kv (f, "licenseId", d->ref_ids[i], true);
      json_kv (f, "extractedText", d->ref_texts[i], true);
      json_kv (f, "name", d->ref_texts[i], true);
      json_kv (f, "comment", "the License tag of the RPM header; not an "
                             "SPDX license expression", false);
      fputc ('}', f);
    }
  fputs ("]", f);
}

static int
compare_pkgs (const void *a, const void *b)
{
  return strcmp (((const struct mk_sbom_pkg *) a)->nevra,
                 ((const struct mk_sbom_pkg *) b)->nevra);
}

static char *
sbom_text (struct mk_sbom *s)
{
  struct doc d = { .s = s };
  cleanup_strv char **pkg_ids = NULL;
  char *text = NULL;
  size_t len = 0;

  qsort (s->pkgs, s->n, sizeof *s->pkgs, compare_pkgs);
  d.f = open_memstream (&text, &len);
  if (d.f == NULL)
    abort ();
  mk_strv_push (&d.ids, xstrdup ("SPDXRef-DOCUMENT"));
  mk_strv_push (&d.ids, xstrdup ("SPDXRef-Image"));
  write_header (&d);
  fputs ("\"packages\":[\n", d.f);
  write_image_package (&d);
  for (size_t i = 0; i < s->n; i++)
    {
      const char *id = unique_id (
          &d, spdx_idstring ("SPDXRef-Package-rpm-", s->pkgs[i].nevra));
      mk_strv_push (&pkg_ids, xstrdup (id));
      fputs (",\n", d.f);
      write_package (&d, &s->pkgs[i], id);
    }
  fputs ("],\n\"relationships\":[\n", d.f);
  write_relationship (d.f, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image");
  for (size_t i = 0; i < s->n; i++)
    {
      fputs (",\n", d.f);
      write_relationship (d.f, "SPDXRef-Image", "CONTAINS", pkg_ids[i]);
    }
  fputs ("]", d.f);
  write_licensing_infos (&d);
  fputs ("}\n", d.f);
  fclose (d.f);
  mk_strv_free (d.ids);
  mk_strv_free (d.ref_texts);
  mk_strv_free (d.ref_ids);
  return text;
}

int
mk_sbom_write (struct mk_sbom *s, const char *path, mk_error_t *err)
{
  cleanup_free char *text = sbom_text (s);
  return mk_write_file_atomic (path, text, strlen (text), err);
}
