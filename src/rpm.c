/* rpm.c: everything that touches librpm.  Reads a package header through
 * rpmReadPackageFile (header digests checked; signatures are not checked
 * here: gpgcheck is a later feature with its own keyring), verifies the
 * payload digest over the raw payload bytes *before* anything is unpacked
 * (CVE-2013-6435: never let unverified bytes reach the disk), exposes the
 * per-file metadata, and streams the payload through librpm's own archive
 * reader, which handles every compressor librpm was built with, stripped
 * cpio (rpmlib(LargeFiles)) and hardlink sets, and checks each file's
 * digest as it is written.  gzip payloads are inflated by inflate.c
 * (ISA-L) when this build has it, and the reader reads its output. */
#define _GNU_SOURCE
#include "rpm.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <rpm/header.h>
#include <rpm/rpmarchive.h>
#include <rpm/rpmcrypto.h>
#include <rpm/rpmfi.h>
#include <rpm/rpmfiles.h>
#include <rpm/rpmio.h>
#include <rpm/rpmbase64.h>
#include <rpm/rpmkeyring.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmpgp.h>
#include <rpm/rpmps.h>
#include <rpm/rpmtag.h>
#include <rpm/rpmts.h>

#include "copier.h"
#include "digest.h"
#include "inflate.h"
#include "sqlite.h"
#include "util.h"

#define RPM_LEAD_SIZE 96

struct mk_rpm
{
  char *path;
  FD_t fd;
  FD_t payload;
  struct mk_inflate *inflate; /* our own gzip inflater, when used */
  Header h;
  rpmfiles files;
  rpmfi archive;
  char *name, *evr, *arch, *nevra;
  uint32_t buildtime;
  struct mk_rpm_file *f;
  size_t n;
  char **owned;   /* strings we allocated for f[] */
  bool *seen;     /* payload entries met so far */
};

/* librpm reports through rpmlog; keep its last error text for our own
 * error line instead of letting it print. */
static __thread char last_log[512];

static int
log_callback (rpmlogRec rec, rpmlogCallbackData data)
{
  const char *m = rpmlogRecMessage (rec);
  size_t len;
  (void) data;
  if (rpmlogRecPriority (rec) > RPMLOG_WARNING)
    return 0;
  snprintf (last_log, sizeof last_log, "%s", m ? m : "");
  len = strlen (last_log);
  while (len && (last_log[len - 1] == '\n' || last_log[len - 1] == ' '))
    last_log[--len] = '\0';
  return 0;
}

static pthread_once_t rpm_once = PTHREAD_ONCE_INIT;
static int rpm_init_status;

static void
rpm_init (void)
{
  rpmlogSetCallback (log_callback, NULL);
  /* Only rpm's built-in defaults and the host's macro files; nothing
   * here depends on a macro except the payload I/O plumbing. */
  rpm_init_status = rpmReadConfigFiles (NULL, NULL);
}

static char *
header_str (Header h, rpmTagVal tag)
{
  const char *s = headerGetString (h, tag);
  return xstrdup (s ? s : "");
}

static char *
hex_of (const unsigned char *bin, size_t len)
{
  char *hex = xmalloc (len * 2 + 1);
  for (size_t i = 0; i < len; i++)
    sprintf (hex + 2 * i, "%02x", bin[i]);
  hex[len * 2] = '\0';
  return hex;
}

/* An rpm digest algorithm (PGPHASHALGO_*) as digest.c names it, or NULL. */
static const char *
digest_name (int algo)
{
  switch (algo)
    {
    case PGPHASHALGO_MD5:
      return "md5";
    case PGPHASHALGO_SHA1:
      return "sha1";
    case PGPHASHALGO_SHA224:
      return "sha224";
    case PGPHASHALGO_SHA256:
      return "sha256";
    case PGPHASHALGO_SHA384:
      return "sha384";
    case PGPHASHALGO_SHA512:
      return "sha512";
    default:
      return NULL;
    }
}

/* Hash [from, EOF) of fd with an rpm digest algorithm; restores offset. */
static int
hash_range (struct mk_rpm *p, off_t from, int algo, char **hex,
            mk_error_t *err)
{
  int fd = Fileno (p->fd);
  off_t saved = lseek (fd, 0, SEEK_CUR);
  const char *name = digest_name (algo);

  if (name == NULL)
    return mk_make_error (err, 0, "%s: unsupported digest algorithm %d",
                          p->path, algo);
  if (saved < 0 || lseek (fd, from, SEEK_SET) < 0)
    return mk_make_error (err, errno, "%s: seek", p->path);
  if (mk_digest_fd (fd, name, hex, err, p->path) < 0)
    return -1;
  if (lseek (fd, saved, SEEK_SET) < 0)
    return mk_make_error (err, errno, "%s: seek", p->path);
  return 0;
}

/* Where the main header starts: after the lead and the 8-aligned
 * signature header.  Needed for packages that predate PAYLOADDIGEST, whose
 * only whole-payload check is the MD5 over header + payload. */
static int
header_offset (struct mk_rpm *p, off_t *out, mk_error_t *err)
{
  unsigned char b[16];
  uint32_t il, dl;
  uint64_t size;
  if (pread (Fileno (p->fd), b, sizeof b, RPM_LEAD_SIZE) != sizeof b)
    return mk_make_error (err, 0, "%s: short signature header", p->path);
  il = (uint32_t) b[8] << 24 | b[9] << 16 | b[10] << 8 | b[11];
  dl = (uint32_t) b[12] << 24 | b[13] << 16 | b[14] << 8 | b[15];
  size = 16 + (uint64_t) il * 16 + dl;
  *out = (off_t) (RPM_LEAD_SIZE + ((size + 7) & ~(uint64_t) 7));
  return 0;
}

/* The payload digest as hex and its rpm hash algorithm, or the header+
 * payload MD5 for packages that predate PAYLOADDIGEST. */
static void
expected_digests (struct mk_rpm *p, char **payload_hex, uint32_t *algo,
                  char **md5_hex)
{
  struct rpmtd_s td;
  *payload_hex = *md5_hex = NULL;
  *algo = PGPHASHALGO_SHA256;
  if (headerGet (p->h, RPMTAG_PAYLOADDIGEST, &td, HEADERGET_MINMEM))
    {
      const char *s = rpmtdNextString (&td);
      *payload_hex = s ? xstrdup (s) : NULL;
      rpmtdFreeData (&td);
      if (headerGetNumber (p->h, RPMTAG_PAYLOADDIGESTALGO) > 0)
        *algo = (uint32_t) headerGetNumber (p->h, RPMTAG_PAYLOADDIGESTALGO);
    }
  if (headerGet (p->h, RPMTAG_SIGMD5, &td, HEADERGET_MINMEM))
    {
      if (td.count == 16)
        *md5_hex = hex_of (td.data, 16);
      rpmtdFreeData (&td);
    }
}

static int
verify_payload (struct mk_rpm *p, mk_error_t *err)
{
  cleanup_free char *got = NULL;
  cleanup_free char *want = NULL;
  cleanup_free char *md5 = NULL;
  off_t start = lseek (Fileno (p->fd), 0, SEEK_CUR), hoff = 0;
  uint32_t algo;

  if (start < 0)
    return mk_make_error (err, errno, "%s: seek", p->path);
  expected_digests (p, &want, &algo, &md5);
  if (want)
    {
      if (hash_range (p, start, (int) algo, &got, err) < 0)
        return -1;
      if (strcmp (got, want) != 0)
        return mk_make_error (err, 0, "%s: payload digest mismatch (corrupted "
                                      "or truncated package)", p->path);
      return 0;
    }
  if (md5)
    {
      if (header_offset (p, &hoff, err) < 0)
        return -1;
      if (hoff >= start)
        return mk_make_error (err, 0, "%s: malformed signature header",
                              p->path);
      if (hash_range (p, hoff, PGPHASHALGO_MD5, &got, err) < 0)
        return -1;
      if (strcmp (got, md5) != 0)
        return mk_make_error (err, 0, "%s: header+payload MD5 mismatch "
                                      "(corrupted or truncated package)",
                              p->path);
      return 0;
    }
  mk_warn ("%s: no payload digest to verify; relying on per-file digests",
           p->path);
  return 0;
}

struct mk_rpm_keyring
{
  rpmKeyring kr;
};

static int
keyring_add_file (rpmKeyring kr, const char *file, mk_error_t *err)
{
  cleanup_free char *armor = NULL;
  uint8_t *pkt = NULL;
  size_t len = 0;
  rpmPubkey key;
  rpmPubkey *subs;
  int nsubs = 0;

  if (mk_read_file_at (AT_FDCWD, file, 1 << 20, &armor, NULL, err) < 0)
    return mk_error_wrap (err, "gpgkey");
  if (pgpParsePkts (armor, &pkt, &len) != PGPARMOR_PUBKEY)
    {
      free (pkt);
      return mk_make_error (err, 0, "gpgkey `%s`: not an ASCII-armored "
                                    "OpenPGP public key", file);
    }
  key = rpmPubkeyNew (pkt, len);
  free (pkt);
  if (key == NULL)
    return mk_make_error (err, 0, "gpgkey `%s`: unusable public key%s%s",
                          file, last_log[0] ? ": " : "", last_log);
  rpmKeyringAddKey (kr, key);
  /* Packages are often signed by a subkey (rpm-testdata's
   * signed-with-subkey): trust the subkeys bound to this key too. */
  subs = rpmGetSubkeys (key, &nsubs);
  for (int i = 0; i < nsubs; i++)
    {
      rpmKeyringAddKey (kr, subs[i]);
      rpmPubkeyFree (subs[i]);
    }
  free (subs);
  rpmPubkeyFree (key);
  return 0;
}

int
mk_rpm_keyring_new (char *const *files, struct mk_rpm_keyring **out,
                    mk_error_t *err)
{
  struct mk_rpm_keyring *k;

  pthread_once (&rpm_once, rpm_init);
  k = xcalloc (1, sizeof *k);
  k->kr = rpmKeyringNew ();
  for (size_t i = 0; files && files[i]; i++)
    if (keyring_add_file (k->kr, files[i], err) < 0)
      {
        mk_rpm_keyring_free (k);
        return -1;
      }
  *out = k;
  return 0;
}

void
mk_rpm_keyring_free (struct mk_rpm_keyring *k)
{
  if (k == NULL)
    return;
  rpmKeyringFree (k->kr);
  free (k);
}

/* librpm's armor parser decodes public keys only ("ASCII pubkeys only"),
 * so unwrap an ASCII-armored signature here: the base64 body between the
 * armor headers' blank line and the "=CRC" line.  A binary signature is
 * returned as it is. */
static int
dearmor_signature (const char *text, size_t len, uint8_t **pkt, size_t *plen)
{
  const char *begin = strstr (text, "-----BEGIN PGP SIGNATURE-----");
  const char *p, *end;
  cleanup_free char *b64 = NULL;
  size_t n = 0;
  void *out = NULL;

  if (begin == NULL)
    {
      if (len == 0 || !((unsigned char) text[0] & 0x80))
        return -1;
      *pkt = xmalloc (len);
      memcpy (*pkt, text, len);
      *plen = len;
      return 0;
    }
  p = strstr (begin, "\n\n");
  if (p == NULL)
    p = strstr (begin, "\r\n\r\n");
  end = p ? strstr (p, "\n=") : NULL;
  if (p == NULL || end == NULL)
    return -1;
  b64 = xmalloc ((size_t) (end - p) + 1);
  for (const char *q = p; q < end; q++)
    if (*q != '\n' && *q != '\r' && *q != ' ')
      b64[n++] = *q;
  b64[n] = '\0';
  if (rpmBase64Decode (b64, &out, plen) != 0)
    return -1;
  *pkt = out;
  return 0;
}

int
mk_rpm_verify_detached (const struct mk_rpm_keyring *k, const char *data_path,
                        const char *sig_path, mk_error_t *err)
{
  cleanup_free char *armor = NULL;
  cleanup_free char *data = NULL;
  uint8_t *pkt = NULL;
  size_t len = 0, dlen = 0;
  pgpDigParams sig = NULL;
  DIGEST_CTX ctx;
  rpmRC rc;

  size_t alen = 0;
  if (mk_read_file_at (AT_FDCWD, sig_path, 1 << 20, &armor, &alen, err) < 0
      || mk_read_file_at (AT_FDCWD, data_path, 256u << 20, &data, &dlen,
                          err) < 0)
    return -1;
  if (dearmor_signature (armor, alen, &pkt, &len) < 0
      || pgpPrtParams (pkt, len, PGPTAG_SIGNATURE, &sig) != 0)
    {
      free (pkt);
      return mk_make_error (err, 0, "`%s`: not an OpenPGP signature",
                            sig_path);
    }
  free (pkt);
  ctx = rpmDigestInit (pgpDigParamsAlgo (sig, PGPVAL_HASHALGO),
                       RPMDIGEST_NONE);
  rpmDigestUpdate (ctx, data, dlen);
  /* rpmKeyringVerifySig adds the signature's hashed trailer itself. */
  rc = rpmKeyringVerifySig (k->kr, sig, ctx);
  rpmDigestFinal (ctx, NULL, NULL, 0);
  pgpDigParamsFree (sig);
  if (rc == RPMRC_NOKEY)
    return mk_make_error (err, 0, "`%s`: signed by a key that is not in "
                                  "gpgkey", data_path);
  if (rc != RPMRC_OK)
    return mk_make_error (err, 0, "`%s`: bad signature (`%s`)", data_path,
                          sig_path);
  return 0;
}

static bool
is_signed (Header h)
{
  static const rpmTagVal sigs[] = { RPMTAG_RSAHEADER, RPMTAG_DSAHEADER,
                                    RPMTAG_SIGPGP, RPMTAG_SIGGPG };
  for (size_t i = 0; i < ARRAY_SIZE (sigs); i++)
    if (headerIsEntry (h, sigs[i]))
      return true;
  return false;
}

static int
read_header (struct mk_rpm *p, const struct mk_rpm_keyring *keys,
             mk_error_t *err)
{
  rpmts ts = rpmtsCreate ();
  rpmRC rc;

  if (keys)
    {
      /* Our keyring, so rpm never loads the host's rpmdb keys; every
       * signature and digest must verify, and one signature is required
       * (rpm's _pkgverify_level all). */
      rpmtsSetKeyring (ts, keys->kr);
      rpmtsSetVSFlags (ts, RPMVSF_DEFAULT);
      rpmtsSetVfyLevel (ts, RPMSIG_DIGEST_TYPE | RPMSIG_SIGNATURE_TYPE);
    }
  else
    {
      rpmtsSetVSFlags (ts, RPMVSF_MASK_NOSIGNATURES);
      rpmtsSetVfyLevel (ts, RPMSIG_DIGEST_TYPE);
    }
  last_log[0] = '\0';
  rc = rpmReadPackageFile (ts, p->fd, p->path, &p->h);
  rpmtsFree (ts);
  if (keys && (rc == RPMRC_NOKEY || rc == RPMRC_NOTTRUSTED))
    return mk_make_error (err, 0, "%s: signed by a key that is not in "
                                  "gpgkey", p->path);
  /* rpmReadPackageFile verifies the signatures a package has, but does not
   * insist that it has one (rpm enforces that later, in the transaction):
   * an unsigned package must not pass gpgcheck. */
  if (keys && rc == RPMRC_OK && !is_signed (p->h))
    return mk_make_error (err, 0, "%s: not signed (gpgcheck is on)",
                          p->path);
  switch (rc)
    {
    case RPMRC_OK:
    case RPMRC_NOTTRUSTED:
    case RPMRC_NOKEY:
      break;
    case RPMRC_NOTFOUND:
      return mk_make_error (err, 0, "%s: not an rpm package%s%s", p->path,
                            last_log[0] ? ": " : "", last_log);
    case RPMRC_FAIL:
    default:
      return mk_make_error (err, 0, "%s: %s", p->path,
                            last_log[0] ? last_log : "cannot read the header");
    }
  if (headerIsSource (p->h))
    return mk_make_error (err, 0, "%s: is a source package", p->path);
  return 0;
}

static const char *
own (struct mk_rpm *p, char *s)
{
  mk_strv_push (&p->owned, s);
  return s;
}

/* Decompression bombs: every file is copied up to its header size, and
 * the header's file sizes may not add up to more than the uncompressed
 * payload size the package declares (checklist 13). */
static int
check_sizes (struct mk_rpm *p, mk_error_t *err)
{
  uint64_t sum = 0, archive = headerGetNumber (p->h, RPMTAG_LONGARCHIVESIZE);
  if (archive == 0)
    archive = headerGetNumber (p->h, RPMTAG_ARCHIVESIZE);
  /* A hardlink set's content is in the payload once. */
  for (size_t i = 0; i < p->n; i++)
    if (S_ISREG (p->f[i].mode) && !(p->f[i].flags & MK_RPMF_GHOST)
        && (p->f[i].link_set < 0 || (size_t) p->f[i].link_set == i))
      {
        if (p->f[i].size > UINT64_MAX - sum)
          return mk_make_error (err, 0, "%s: absurd file sizes", p->path);
        sum += p->f[i].size;
      }
  if (archive && sum > archive)
    return mk_make_error (err, 0, "%s: its file sizes add up to %" PRIu64
                                  " bytes, more than its declared payload "
                                  "size (%" PRIu64 " bytes)", p->path, sum,
                          archive);
  return 0;
}

static int
load_files (struct mk_rpm *p, mk_error_t *err)
{
  struct rpmtd_s td;
  uint32_t declared = 0;

  /* A header that has a file list librpm cannot make sense of (index out
   * of range, arrays of different lengths) must not pass as a package
   * with no files. */
  if (headerGet (p->h, RPMTAG_BASENAMES, &td, HEADERGET_MINMEM))
    {
      declared = rpmtdCount (&td);
      rpmtdFreeData (&td);
    }
  last_log[0] = '\0';
  p->files = rpmfilesNew (NULL, p->h, RPMTAG_BASENAMES, RPMFI_KEEPHEADER);
  p->n = p->files ? rpmfilesFC (p->files) : 0;
  if (declared != p->n)
    return mk_make_error (err, 0, "%s: malformed file list%s%s", p->path,
                          last_log[0] ? ": " : "", last_log);
  p->f = xcalloc (p->n, sizeof *p->f);
  p->seen = xcalloc (p->n, sizeof *p->seen);
  p->owned = xcalloc (1, sizeof (char *));
  for (size_t i = 0; i < p->n; i++)
    {
      struct mk_rpm_file *f = &p->f[i];
      rpmfileAttrs fl = rpmfilesFFlags (p->files, (int) i);
      const unsigned char *dg;
      size_t dlen = 0;
      int algo = 0;
      const int *links = NULL;
      const char *s;

      f->path = own (p, rpmfilesFN (p->files, (int) i));
      f->mode = rpmfilesFMode (p->files, (int) i);
      s = rpmfilesFUser (p->files, (int) i);
      f->user = s ? s : "root";
      s = rpmfilesFGroup (p->files, (int) i);
      f->group = s ? s : "root";
      f->size = (uint64_t) rpmfilesFSize (p->files, (int) i);
      f->mtime = rpmfilesFMtime (p->files, (int) i);
      f->flags = ((fl & RPMFILE_CONFIG) ? MK_RPMF_CONFIG : 0)
                 | ((fl & RPMFILE_DOC) ? MK_RPMF_DOC : 0)
                 | ((fl & RPMFILE_LICENSE) ? MK_RPMF_LICENSE : 0)
                 | ((fl & RPMFILE_GHOST) ? MK_RPMF_GHOST : 0)
                 | ((fl & RPMFILE_ARTIFACT) ? MK_RPMF_ARTIFACT : 0);
      s = rpmfilesFLangs (p->files, (int) i);
      f->lang = s ? s : "";
      s = rpmfilesFCaps (p->files, (int) i);
      f->caps = s ? s : "";
      s = rpmfilesFLink (p->files, (int) i);
      f->linkto = s ? s : "";
      f->rdev = rpmfilesFRdev (p->files, (int) i);
      dg = rpmfilesFDigest (p->files, (int) i, &algo, &dlen);
      f->digest = dg && dlen ? own (p, hex_of (dg, dlen)) : "";
      f->nlink = rpmfilesFNlink (p->files, (int) i);
      f->link_set = -1;
      if (f->nlink > 1
          && rpmfilesFLinks (p->files, (int) i, &links) > 1 && links)
        {
          int lo = links[0];
          for (uint32_t k = 1; k < f->nlink; k++)
            lo = links[k] < lo ? links[k] : lo;
          f->link_set = lo;
        }
    }
  return check_sizes (p, err);
}

/* A gzip payload (the tag, or none, which means gzip to rpm) that really
 * begins with the gzip magic goes through inflate.c when this build has
 * it; anything else (plain cpio included) through librpm. */
static bool
use_own_inflate (struct mk_rpm *p, const char *compr)
{
  unsigned char magic[2];
  int fd = Fileno (p->fd);

  if (!mk_inflate_available () || (compr && strcmp (compr, "gzip") != 0))
    return false;
  return pread (fd, magic, 2, lseek (fd, 0, SEEK_CUR)) == 2
         && magic[0] == 0x1f && magic[1] == 0x8b;
}

/* The payload as the decompressed bytes from inflate.c's pipe.  They are
 * read through gzdio too: on data that is not gzip, zlib's gzread copies
 * it through unchanged, and unlike plain fdio it reads until the whole
 * request is there (librpm's cpio reader takes a short read of a header
 * for a damaged archive, and a pipe gives short reads). */
static int
open_inflated (struct mk_rpm *p, mk_error_t *err)
{
  int in = dup (Fileno (p->fd)), out;
  FD_t raw;

  if (in < 0)
    return mk_make_error (err, errno, "%s: dup", p->path);
  if (mk_inflate_start (in, &out, &p->inflate, err) < 0)
    return -1;
  raw = fdDup (out);
  close (out);
  p->payload = raw ? Fdopen (raw, "r.gzdio") : NULL;
  return 0;
}

/* When the payload ended early or failed, why, if our inflater knows. */
static int
inflate_failed (struct mk_rpm *p, mk_error_t *err)
{
  return mk_inflate_error (p->inflate, p->path, err);
}

static int
open_payload (struct mk_rpm *p, mk_error_t *err)
{
  const char *fmt = headerGetString (p->h, RPMTAG_PAYLOADFORMAT);
  const char *compr = headerGetString (p->h, RPMTAG_PAYLOADCOMPRESSOR);
  cleanup_free char *mode = NULL;

  if (fmt && strcmp (fmt, "cpio") != 0)
    return mk_make_error (err, 0, "%s: unsupported payload format `%s`",
                          p->path, fmt);
  /* No compressor tag means gzip to rpm; gzdio also passes plain cpio
   * through unchanged, which is how uncompressed payloads are read. */
  mode = xasprintf ("r.%s", compr ? compr : "gzip");
  if (use_own_inflate (p, compr))
    {
      if (open_inflated (p, err) < 0)
        return -1;
    }
  else
    p->payload = Fdopen (fdDup (Fileno (p->fd)), mode);
  if (p->payload == NULL || Ferror (p->payload))
    return mk_make_error (err, 0, "%s: cannot read a `%s` payload", p->path,
                          compr ? compr : "gzip");
  if (p->n == 0)
    return 0;
  p->archive = rpmfiNewArchiveReader (p->payload, p->files,
                                      RPMFI_ITER_READ_ARCHIVE);
  if (p->archive == NULL)
    return mk_make_error (err, 0, "%s: cannot open the payload", p->path);
  return 0;
}

static int
open_package (const char *path, const struct mk_rpm_keyring *keys,
              bool payload, struct mk_rpm **out, mk_error_t *err)
{
  struct mk_rpm *p;

  pthread_once (&rpm_once, rpm_init);
  if (rpm_init_status != 0)
    return mk_make_error (err, 0, "librpm: cannot read its configuration");
  p = xcalloc (1, sizeof *p);
  p->path = xstrdup (path);
  p->fd = Fopen (path, "r.ufdio");
  if (p->fd == NULL || Ferror (p->fd))
    {
      int e = errno;
      mk_rpm_close (p);
      return mk_make_error (err, e ? e : EIO, "open `%s`", path);
    }
  if (read_header (p, keys, err) < 0
      || (payload && verify_payload (p, err) < 0))
    {
      mk_rpm_close (p);
      return -1;
    }
  p->name = header_str (p->h, RPMTAG_NAME);
  p->evr = headerGetAsString (p->h, RPMTAG_EVR);
  p->arch = header_str (p->h, RPMTAG_ARCH);
  p->nevra = headerGetAsString (p->h, RPMTAG_NEVRA);
  p->buildtime = (uint32_t) headerGetNumber (p->h, RPMTAG_BUILDTIME);
  if (load_files (p, err) < 0 || (payload && open_payload (p, err) < 0))
    {
      mk_rpm_close (p);
      return -1;
    }
  *out = p;
  return 0;
}

int
mk_rpm_open (const char *path, const struct mk_rpm_keyring *keys,
             struct mk_rpm **out, mk_error_t *err)
{
  return open_package (path, keys, true, out, err);
}

int
mk_rpm_open_header (const char *path, const struct mk_rpm_keyring *keys,
                    struct mk_rpm **out, mk_error_t *err)
{
  return open_package (path, keys, false, out, err);
}

void
mk_rpm_close (struct mk_rpm *p)
{
  if (p == NULL)
    return;
  if (p->archive)
    rpmfiFree (p->archive);
  if (p->payload)
    Fclose (p->payload);
  /* After the pipe's read end is closed: the thread cannot block. */
  mk_inflate_free (p->inflate);
  rpmfilesFree (p->files);
  headerFree (p->h);
  if (p->fd)
    Fclose (p->fd);
  mk_strv_free (p->owned);
  free (p->f);
  free (p->seen);
  free (p->name);
  free (p->evr);
  free (p->arch);
  free (p->nevra);
  free (p->path);
  free (p);
}

const char *
mk_rpm_name (const struct mk_rpm *p)
{
  return p->name;
}

const char *
mk_rpm_evr (const struct mk_rpm *p)
{
  return p->evr;
}

const char *
mk_rpm_arch (const struct mk_rpm *p)
{
  return p->arch;
}

const char *
mk_rpm_nevra (const struct mk_rpm *p)
{
  return p->nevra;
}

uint32_t
mk_rpm_buildtime (const struct mk_rpm *p)
{
  return p->buildtime;
}

size_t
mk_rpm_file_count (const struct mk_rpm *p)
{
  return p->n;
}

const struct mk_rpm_file *
mk_rpm_file (const struct mk_rpm *p, size_t i)
{
  return i < p->n ? &p->f[i] : NULL;
}

static int
payload_error (struct mk_rpm *p, int rc, mk_error_t *err)
{
  cleanup_free char *why = rpmfileStrerror (rc);
  if (inflate_failed (p, err) < 0)
    return -1;
  return mk_make_error (err, 0, "%s: payload: %s", p->path,
                        why ? why : "unreadable");
}

static int
check_complete (struct mk_rpm *p, mk_error_t *err)
{
  for (size_t i = 0; i < p->n; i++)
    if (!p->seen[i] && !(p->f[i].flags & MK_RPMF_GHOST))
      return mk_make_error (err, 0, "%s: `%s` is missing from the payload",
                            p->path, p->f[i].path);
  return 0;
}

int
mk_rpm_payload_next (struct mk_rpm *p, size_t *index, bool *has_content,
                     mk_error_t *err)
{
  int rc;
  if (p->archive == NULL)
    return check_complete (p, err) < 0 ? -1 : 0;
  rc = rpmfiNext (p->archive);
  if (rc == -1)
    return check_complete (p, err) < 0 ? -1 : 0;
  if (rc < 0)
    return payload_error (p, rc, err);
  if ((size_t) rc >= p->n)
    return mk_make_error (err, 0, "%s: payload entry out of range", p->path);
  if (p->seen[rc] && p->f[rc].nlink <= 1)
    return mk_make_error (err, 0, "%s: `%s` appears twice in the payload",
                          p->path, p->f[rc].path);
  p->seen[rc] = true;
  *index = (size_t) rc;
  *has_content = rpmfiArchiveHasContent (p->archive) != 0;
  return 1;
}

/* The current entry's content through a copier (copier.h): only the
 * decompression happens here. */
static int
copy_through (struct mk_rpm *p, const struct mk_rpm_file *f, const char *algo,
              int fd, struct mk_copier *c, mk_error_t *err)
{
  uint64_t left = f->size;

  mk_copier_begin (c, fd, algo, f->digest[0] ? f->digest : NULL, p->path,
                   f->path);
  while (left > 0)
    {
      size_t cap;
      char *buf = mk_copier_buffer (c, &cap);
      ssize_t n = rpmfiArchiveRead (p->archive, buf,
                                    left < cap ? (size_t) left : cap);
      if (n <= 0)
        {
          mk_copier_end (c);
          if (inflate_failed (p, err) < 0)
            return -1;
          return mk_make_error (err, 0, "%s: payload: `%s` is truncated",
                                p->path, f->path);
        }
      mk_copier_push (c, (size_t) n);
      left -= (uint64_t) n;
    }
  mk_copier_end (c);
  return 0;
}

/* Copy the current entry's content to fd ourselves (not through
 * rpmfiArchiveReadToFile) so a failed write reports its own errno, and
 * check the file digest from the header as the bytes go by. */
int
mk_rpm_payload_copy (struct mk_rpm *p, int fd, struct mk_copier *copier,
                     mk_error_t *err)
{
  int ix = rpmfiFX (p->archive);
  const struct mk_rpm_file *f = &p->f[ix];
  int algo = rpmfilesDigestAlgo (p->files);
  const char *name = digest_name (algo);
  struct mk_digest *ctx;
  cleanup_free char *buf = NULL;
  cleanup_free char *got = NULL;
  uint64_t left = f->size;

  if (f->digest[0] && name == NULL)
    {
      if (copier)
        close (fd);
      return mk_make_error (err, 0, "%s: `%s`: unsupported digest "
                                    "algorithm %d", p->path, f->path, algo);
    }
  if (copier)
    return copy_through (p, f, name, fd, copier, err);
  ctx = f->digest[0] ? mk_digest_new (name) : NULL;
  buf = xmalloc (1 << 17);
  while (left > 0)
    {
      ssize_t n = rpmfiArchiveRead (p->archive, buf,
                                    left < (1 << 17) ? (size_t) left
                                                     : (size_t) 1 << 17);
      if (n <= 0)
        {
          mk_digest_free (ctx);
          if (inflate_failed (p, err) < 0)
            return -1;
          return mk_make_error (err, 0, "%s: payload: `%s` is truncated",
                                p->path, f->path);
        }
      if (mk_write_all (fd, buf, (size_t) n, err, f->path) < 0)
        {
          mk_digest_free (ctx);
          return mk_error_wrap (err, "%s: unpacking", p->path);
        }
      if (ctx)
        mk_digest_add (ctx, buf, (size_t) n);
      left -= (uint64_t) n;
    }
  if (ctx == NULL)
    return 0;
  got = mk_digest_finish (ctx);
  if (strcmp (got, f->digest) != 0)
    return mk_make_error (err, 0, "%s: `%s`: digest mismatch (corrupted "
                                  "package)", p->path, f->path);
  return 0;
}

/* ---- header fields for the SBOM (sbom.c) -------------------------------
 * Borrowed from the header (headerGetString does not copy); "" when the
 * package does not state them. */
static const char *
header_borrow (const struct mk_rpm *p, rpmTagVal tag)
{
  const char *s = headerGetString (p->h, tag);
  return s ? s : "";
}

const char *
mk_rpm_license (const struct mk_rpm *p)
{
  return header_borrow (p, RPMTAG_LICENSE);
}

const char *
mk_rpm_vendor (const struct mk_rpm *p)
{
  return header_borrow (p, RPMTAG_VENDOR);
}

const char *
mk_rpm_summary (const struct mk_rpm *p)
{
  return header_borrow (p, RPMTAG_SUMMARY);
}

const char *
mk_rpm_url (const struct mk_rpm *p)
{
  return header_borrow (p, RPMTAG_URL);
}

const char *
mk_rpm_distribution (const struct mk_rpm *p)
{
  return header_borrow (p, RPMTAG_DISTRIBUTION);
}

/* ---- install scriptlets (script.c) ------------------------------------- */

static const struct
{
  const char *name;
  rpmTagVal body, prog;
} script_tags[MK_RPM_N_SCRIPTS] = {
  [MK_RPM_PRETRANS] = { "%pretrans", RPMTAG_PRETRANS, RPMTAG_PRETRANSPROG },
  [MK_RPM_PRE] = { "%pre", RPMTAG_PREIN, RPMTAG_PREINPROG },
  [MK_RPM_POST] = { "%post", RPMTAG_POSTIN, RPMTAG_POSTINPROG },
  [MK_RPM_POSTTRANS] = { "%posttrans", RPMTAG_POSTTRANS,
                         RPMTAG_POSTTRANSPROG },
};

int
mk_rpm_script (const struct mk_rpm *p, enum mk_rpm_script_kind kind,
               struct mk_rpm_script *s)
{
  const char *body = headerGetString (p->h, script_tags[kind].body);
  struct rpmtd_s td;
  char **prog = NULL;

  /* The interpreter is a string in old packages and an array (program
   * and arguments) since rpm 4.4; rpmtdNextString walks both. */
  if (headerGet (p->h, script_tags[kind].prog, &td, HEADERGET_MINMEM))
    {
      const char *w;
      while ((w = rpmtdNextString (&td)))
        mk_strv_push (&prog, xstrdup (w));
      rpmtdFreeData (&td);
    }
  if (body == NULL && prog == NULL)
    return 0;
  /* rpm's default interpreter for a script without -p. */
  if (prog == NULL)
    mk_strv_push (&prog, xstrdup ("/bin/sh"));
  *s = (struct mk_rpm_script){ .kind = kind, .name = script_tags[kind].name,
                               .prog = prog,
                               .body = body ? xstrdup (body) : NULL };
  return 1;
}

void
mk_rpm_script_clear (struct mk_rpm_script *s)
{
  mk_strv_free (s->prog);
  free (s->body);
  *s = (struct mk_rpm_script){ 0 };
}

/* ---- the package database (pkgdb.c) ------------------------------------ */

void
mk_rpm_manifest_fields (const struct mk_rpm *p, char **head, char **tail)
{
  errmsg_t errmsg = NULL;
  char *h = headerFormat (p->h, "%{NAME}\t%{VERSION}-%{RELEASE}", &errmsg);
  char *t = headerFormat (p->h, "%{BUILDTIME}\t%{VENDOR}\t%{EPOCH}\t"
                                "%{SIZE}\t%{ARCH}\t%{EPOCHNUM}\t"
                                "%{SOURCERPM}",
                          &errmsg);
  *head = h ? h : xstrdup ("");
  *tail = t ? t : xstrdup ("");
}

/* The open package a --justdb transaction asks for through its callback:
 * librpm reads the full header again from it (rpmteOpen), nothing else. */
static FD_t db_fd;

static void *
db_notify (const void *h, const rpmCallbackType what, const rpm_loff_t amount,
           const rpm_loff_t total, fnpyKey key, rpmCallbackData data)
{
  (void) h, (void) amount, (void) total, (void) data;
  if (what == RPMCALLBACK_INST_OPEN_FILE)
    {
      /* The database is open now, and no package is in it yet. */
      mk_sqlite_batch_begin ();
      /* key: the package's descriptor, opened before db_enter_root. */
      if (lseek (*(const int *) key, 0, SEEK_SET) < 0)
        return NULL;
      db_fd = fdDup (*(const int *) key);
      return db_fd;
    }
  if (what == RPMCALLBACK_INST_CLOSE_FILE && db_fd)
    {
      Fclose (db_fd);
      db_fd = NULL;
    }
  return NULL;
}

/* librpm chroots into the transaction's root to fingerprint paths, even
 * with --justdb, or db_enter_root chroots into a tmpfs for it; without
 * root that needs CAP_SYS_CHROOT (and, for the mount, CAP_SYS_ADMIN) in a
 * user namespace of our own. */
static int
db_enter_userns (char *why, size_t len)
{
  char map[64];
  uid_t uid = geteuid ();
  gid_t gid = getegid ();
  static const char *const files[] = { "/proc/self/setgroups",
                                       "/proc/self/uid_map",
                                       "/proc/self/gid_map" };

  if (uid == 0)
    return 0;
  if (unshare (CLONE_NEWUSER) < 0)
    return snprintf (why, len, "unshare(CLONE_NEWUSER): %s",
                     strerror (errno)), -1;
  for (size_t i = 0; i < ARRAY_SIZE (files); i++)
    {
      int fd = open (files[i], O_WRONLY | O_CLOEXEC);
      int n = i == 0 ? snprintf (map, sizeof map, "deny")
                     : snprintf (map, sizeof map, "0 %u 1",
                                 i == 1 ? (unsigned) uid : (unsigned) gid);
      if (fd < 0 || write (fd, map, (size_t) n) != n)
        {
          snprintf (why, len, "write %s: %s", files[i], strerror (errno));
          if (fd >= 0)
            close (fd);
          return -1;
        }
      close (fd);
    }
  return 0;
}

/* librpm ends every transaction with syncfs() on the filesystem of "/"
 * as the process sees it once it has left the transaction's chroot
 * (rpmtsSync, even with --justdb), and sqlite syncs librpm's schema
 * commits: on the host that flushes everything dirty on its root
 * filesystem, the build's own files too (syncfs alone took 46-57 ms in
 * one build on ext4).  The database is scratch until pkgdb.c copies it
 * out, so where a mount namespace can be had (as root, or in the user
 * namespace above) the transaction runs chrooted into a tmpfs of its
 * own, where both are no-ops; propagation is made private before
 * anything is mounted, so the host never sees it.  Where not, librpm
 * writes in ROOT as before.  The package files are opened before
 * (db_open_packages), and db_leave_root comes back, as rpm's own
 * rpmChrootOut does, through a descriptor of the old root. */
struct db_root
{
  int old_root, old_cwd;  /* -1: not chrooted */
};

static const char *
db_enter_root (const char *root, struct db_root *r)
{
  *r = (struct db_root){ -1, -1 };
  if (unshare (CLONE_NEWNS) < 0
      || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
      || mount ("mkbase-rpmdb", root, "tmpfs", MS_NOSUID | MS_NODEV,
                "mode=0700") < 0)
    return root;
  r->old_root = open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  r->old_cwd = open (".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (r->old_root < 0 || r->old_cwd < 0 || chroot (root) < 0
      || chdir ("/") < 0)
    {
      if (r->old_root >= 0)
        close (r->old_root);
      if (r->old_cwd >= 0)
        close (r->old_cwd);
      *r = (struct db_root){ -1, -1 };
      return root;
    }
  return "/";
}

static int
db_leave_root (struct db_root *r, char *why, size_t len)
{
  int rc = 0;
  if (r->old_root < 0)
    return 0;
  if (fchdir (r->old_root) < 0 || chroot (".") < 0
      || fchdir (r->old_cwd) < 0)
    {
      snprintf (why, len, "rpm database: leaving its root: %s",
                strerror (errno));
      rc = -1;
    }
  close (r->old_root);
  close (r->old_cwd);
  return rc;
}

static void
db_define (const char *name, const char *value)
{
  rpmPushMacro (NULL, name, NULL, value, RMIL_CMDLINE);
}

static int
db_open_packages (char *const *paths, size_t n, int *fds, char *why,
                  size_t len)
{
  /* No O_CLOEXEC needed (as librpm's Fopen here before): this process
   * runs nothing (RPMTRANS_FLAG_NOSCRIPTS) and exits after the database.
   * tests/integration/reuse.sh tells these from the digest's opens by
   * that flag. */
  for (size_t i = 0; i < n; i++)
    if ((fds[i] = open (paths[i], O_RDONLY)) < 0)
      return snprintf (why, len, "%s: %s", paths[i], strerror (errno)), -1;
  return 0;
}

static int
db_add_packages (rpmts ts, char *const *paths, int *fds, size_t n,
                 char *why, size_t len)
{
  for (size_t i = 0; i < n; i++)
    {
      FD_t fd = fdDup (fds[i]);
      Header h = NULL;
      rpmRC rc = fd ? rpmReadPackageFile (ts, fd, paths[i], &h)
                    : RPMRC_FAIL;
      if (fd)
        Fclose (fd);
      if (rc != RPMRC_OK && rc != RPMRC_NOKEY && rc != RPMRC_NOTTRUSTED)
        return snprintf (why, len, "%s: %s", paths[i],
                         last_log[0] ? last_log : "cannot read"), -1;
      rc = (rpmRC) rpmtsAddInstallElement (ts, h, (fnpyKey) &fds[i], 0,
                                           NULL);
      headerFree (h);
      if (rc != 0)
        return snprintf (why, len, "%s: %s", paths[i],
                         last_log[0] ? last_log : "not installable"), -1;
    }
  return 0;
}

/* The transaction's problems, librpm's own words, "; "-separated. */
static void
db_problems (rpmts ts, char *why, size_t len)
{
  rpmps ps = rpmtsProblems (ts);
  rpmpsi psi = rpmpsInitIterator (ps);
  rpmProblem prob;
  size_t used = 0;

  why[0] = '\0';
  while ((prob = rpmpsiNext (psi)) && used + 1 < len)
    {
      cleanup_free char *m = rpmProblemString (prob);
      int k = snprintf (why + used, len - used, "%s%s", used ? "; " : "",
                        m ? m : "?");
      used += k > 0 ? (size_t) k : 0;
    }
  rpmpsFreeIterator (psi);
  rpmpsFree (ps);
  if (why[0] == '\0')
    snprintf (why, len, "%s", last_log[0] ? last_log : "transaction failed");
}

int
mk_rpm_db_create (char *const *paths, size_t n, const char *root,
                  const char *dbpath, int64_t sde, char *why, size_t len)
{
  char num[32];
  cleanup_free int *fds = xcalloc (n + 1, sizeof *fds);
  struct db_root saved;
  rpmts ts;
  int rc;

  pthread_once (&rpm_once, rpm_init);
  if (rpm_init_status != 0)
    return snprintf (why, len, "librpm: cannot read its configuration"), -1;
  if (db_enter_userns (why, len) < 0
      || db_open_packages (paths, n, fds, why, len) < 0)
    return -1;
  root = db_enter_root (root, &saved);
  /* rpmtsCreate reads SOURCE_DATE_EPOCH for the install time and tid. */
  snprintf (num, sizeof num, "%" PRId64, sde);
  setenv ("SOURCE_DATE_EPOCH", num, 1);
  /* Host-independent settings: Debian's rpm puts its database in ~/.rpmdb
   * and other hosts may differ in backend, languages or colours. */
  db_define ("_dbpath", dbpath);
  db_define ("_db_backend", "sqlite");
  db_define ("_install_langs", "all");
  db_define ("_excludedocs", "0");
  db_define ("_transaction_color", "3");
  db_define ("_prefer_color", "2");
  ts = rpmtsCreate ();
  rpmtsSetRootDir (ts, root);
  rpmtsSetVSFlags (ts, RPMVSF_MASK_NODIGESTS | RPMVSF_MASK_NOSIGNATURES);
  rpmtsSetVfyLevel (ts, 0);
  rpmtsSetFlags (ts, RPMTRANS_FLAG_JUSTDB | RPMTRANS_FLAG_NOSCRIPTS
                         | RPMTRANS_FLAG_NOTRIGGERS | RPMTRANS_FLAG_NOPLUGINS
                         | RPMTRANS_FLAG_NOCONTEXTS);
  rpmtsSetNotifyCallback (ts, db_notify, NULL);
  last_log[0] = '\0';
  rc = db_add_packages (ts, paths, fds, n, why, len);
  if (rc == 0)
    {
      /* Already checked by the solver and the unpack: only the database
       * is wanted here. */
      rc = rpmtsRun (ts, NULL,
                     RPMPROB_FILTER_IGNOREOS | RPMPROB_FILTER_IGNOREARCH
                         | RPMPROB_FILTER_REPLACEPKG
                         | RPMPROB_FILTER_FORCERELOCATE
                         | RPMPROB_FILTER_REPLACENEWFILES
                         | RPMPROB_FILTER_REPLACEOLDFILES
                         | RPMPROB_FILTER_OLDPACKAGE
                         | RPMPROB_FILTER_DISKSPACE
                         | RPMPROB_FILTER_DISKNODES);
      if (rc != 0)
        db_problems (ts, why, len);
      else
        rc = mk_sqlite_batch_commit (why, len);
    }
  rpmtsFree (ts);
  if (db_leave_root (&saved, why, len) < 0)
    rc = -1;
  for (size_t i = 0; i < n; i++)
    close (fds[i]);
  return rc == 0 ? 0 : -1;
}

/* --- reading an installed rpm database (mkbase verify) --- */

/* The image's own sqlite rpmdb, copied out of the tar into a private
 * directory, read through librpm (never sqlite directly: the blob format
 * and its header checks are rpm's).  Each header becomes a struct mk_rpm
 * without a payload, so verify.c reads files through the same accessors
 * as for a package file.  The macros are pushed for the duration of the
 * read only: Debian's host rpm points _dbpath at ~/.rpmdb.  (The includes
 * stay in this section so it merges as one block.) */

static int
rpm_from_header (Header h, struct mk_rpm **out, mk_error_t *err)
{
  struct mk_rpm *p = xcalloc (1, sizeof *p);

  p->h = headerLink (h);
  p->name = header_str (p->h, RPMTAG_NAME);
  p->evr = headerGetAsString (p->h, RPMTAG_EVR);
  p->arch = header_str (p->h, RPMTAG_ARCH);
  p->nevra = headerGetAsString (p->h, RPMTAG_NEVRA);
  p->buildtime = (uint32_t) headerGetNumber (p->h, RPMTAG_BUILDTIME);
  p->path = xasprintf ("rpmdb: %s", p->nevra);
  if (load_files (p, err) < 0)
    {
      mk_rpm_close (p);
      return -1;
    }
  *out = p;
  return 0;
}

static int
db_iterate (rpmts ts, const char *root, struct mk_rpm ***out, size_t *n,
            mk_error_t *err)
{
  rpmdbMatchIterator mi;
  Header h;
  int r = 0;

  last_log[0] = '\0';
  mi = rpmtsInitIterator (ts, RPMDBI_PACKAGES, NULL, 0);
  if (mi == NULL)
    {
      /* "cannot open Packages database in ROOT/DBPATH": the private copy's
       * name means nothing to the user. */
      char *at = strstr (last_log, root);
      if (at && at - last_log > 4 && strncmp (at - 4, " in ", 4) == 0)
        at[-4] = '\0';
      return mk_make_error (err, 0, "not a readable rpm database%s%s",
                            last_log[0] ? ": " : "", last_log);
    }
  while (r == 0 && (h = rpmdbNextIterator (mi)) != NULL)
    {
      struct mk_rpm *p;
      /* Imported OpenPGP keys live in the database as pseudo-packages. */
      if (strcmp (headerGetString (h, RPMTAG_NAME) ?: "", "gpg-pubkey") == 0)
        continue;
      r = rpm_from_header (h, &p, err);
      if (r == 0)
        {
          *out = xreallocarray (*out, *n + 1, sizeof **out);
          (*out)[(*n)++] = p;
        }
    }
  rpmdbFreeIterator (mi);
  return r;
}

int
mk_rpm_db_read (const char *root, const char *dbpath, struct mk_rpm ***out,
                size_t *n, mk_error_t *err)
{
  rpmts ts;
  int r;

  pthread_once (&rpm_once, rpm_init);
  if (rpm_init_status != 0)
    return mk_make_error (err, 0, "librpm: cannot read its configuration");
  *out = NULL;
  *n = 0;
  rpmPushMacro (NULL, "_dbpath", NULL, dbpath, RMIL_CMDLINE);
  rpmPushMacro (NULL, "_db_backend", NULL, "sqlite", RMIL_CMDLINE);
  ts = rpmtsCreate ();
  rpmtsSetRootDir (ts, root);
  /* Header digests are checked as headers are read; there is no
   * signature in an installed header to check against a keyring. */
  rpmtsSetVSFlags (ts, RPMVSF_MASK_NOSIGNATURES);
  r = db_iterate (ts, root, out, n, err);
  rpmtsFree (ts);
  rpmPopMacro (NULL, "_db_backend");
  rpmPopMacro (NULL, "_dbpath");
  if (r < 0)
    {
      mk_rpm_db_free (*out, *n);
      *out = NULL;
      *n = 0;
    }
  return r;
}

void
mk_rpm_db_free (struct mk_rpm **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    mk_rpm_close (v[i]);
  free (v);
}

const char *
mk_rpm_digest_algo (const struct mk_rpm *p)
{
  switch (p->files ? rpmfilesDigestAlgo (p->files) : PGPHASHALGO_MD5)
    {
    case PGPHASHALGO_MD5: return "md5";
    case PGPHASHALGO_SHA1: return "sha1";
    case PGPHASHALGO_SHA224: return "sha224";
    case PGPHASHALGO_SHA256: return "sha256";
    case PGPHASHALGO_SHA384: return "sha384";
    case PGPHASHALGO_SHA512: return "sha512";
    default: return "";
    }
}
