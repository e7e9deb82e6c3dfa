/* rpm.h: read one .rpm: its header, per-file metadata and payload. */
#ifndef MK_RPM_H
#define MK_RPM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum
{
  MK_RPMF_CONFIG = 1 << 0,
  MK_RPMF_DOC = 1 << 1,
  MK_RPMF_LICENSE = 1 << 2,
  MK_RPMF_GHOST = 1 << 3,
  MK_RPMF_ARTIFACT = 1 << 4,
};

/* Strings are borrowed from the package and live until mk_rpm_close. */
struct mk_rpm_file
{
  const char *path;   /* as the header states it, e.g. "/usr/bin/bash" */
  mode_t mode;        /* full mode including the type bits */
  const char *user;
  const char *group;
  uint64_t size;
  uint32_t mtime;
  unsigned flags;     /* MK_RPMF_* */
  const char *lang;   /* "" when none */
  const char *caps;   /* cap_from_text form, "" when none */
  const char *linkto; /* symlink target, "" otherwise */
  uint64_t rdev;
  const char *digest; /* hex, "" when none (directories, links) */
  unsigned nlink;
  int link_set;       /* smallest file index of its hardlink set, or -1 */
};

struct mk_rpm;
struct mk_rpm_keyring;

/* A keyring made only of the given ASCII-armored OpenPGP public key files
 * (and their subkeys): never the host's rpmdb keys or the user's gpg
 * keyring. */
int mk_rpm_keyring_new (char *const *files, struct mk_rpm_keyring **out,
                        mk_error_t *err);
void mk_rpm_keyring_free (struct mk_rpm_keyring *k);

/* Verify the ASCII-armored detached signature in sig_path over the file
 * data_path (repomd.xml.asc over repomd.xml). */
int mk_rpm_verify_detached (const struct mk_rpm_keyring *k,
                            const char *data_path, const char *sig_path,
                            mk_error_t *err);

/* Open a package, verify its header digests and its payload digest (the
 * whole payload is hashed before anything is unpacked, so a corrupted
 * package never reaches the staging tree).  With keys, the package must
 * also carry a valid signature by one of them. */
int mk_rpm_open (const char *path, const struct mk_rpm_keyring *keys,
                 struct mk_rpm **out, mk_error_t *err);
/* The header only, with its digests and signature checked like
 * mk_rpm_open's, for a package whose payload was verified and unpacked
 * elsewhere (extract.c's workers).  mk_rpm_payload_next fails on it. */
int mk_rpm_open_header (const char *path, const struct mk_rpm_keyring *keys,
                        struct mk_rpm **out, mk_error_t *err);
void mk_rpm_close (struct mk_rpm *p);
static inline void
cleanup_rpmp (struct mk_rpm **p)
{
  mk_rpm_close (*p);
}
#define cleanup_rpm __attribute__ ((cleanup (cleanup_rpmp)))

const char *mk_rpm_name (const struct mk_rpm *p);
const char *mk_rpm_evr (const struct mk_rpm *p);   /* [E:]V-R */
const char *mk_rpm_arch (const struct mk_rpm *p);
const char *mk_rpm_nevra (const struct mk_rpm *p); /* N-[E:]V-R.A */
uint32_t mk_rpm_buildtime (const struct mk_rpm *p);
size_t mk_rpm_file_count (const struct mk_rpm *p);
const struct mk_rpm_file *mk_rpm_file (const struct mk_rpm *p, size_t i);

/* Walk the payload in archive order.  Returns 1 and the file index of the
 * next entry, 0 at the end (after checking that every file that is not a
 * %ghost was present), -1 on error. */
int mk_rpm_payload_next (struct mk_rpm *p, size_t *index, bool *has_content,
                         mk_error_t *err);
/* Write the current entry's content to fd, checking its digest.  With a
 * copier (copier.h) the writing and the check happen in its thread: fd is
 * then the copier's, even on failure, and a write error or a digest
 * mismatch is reported by mk_copier_wait. */
struct mk_copier;
int mk_rpm_payload_copy (struct mk_rpm *p, int fd, struct mk_copier *copier,
                         mk_error_t *err);

/* Header fields for the SBOM, borrowed until mk_rpm_close; "" when the
 * package does not state them. */
const char *mk_rpm_license (const struct mk_rpm *p);
const char *mk_rpm_vendor (const struct mk_rpm *p);
const char *mk_rpm_summary (const struct mk_rpm *p);
const char *mk_rpm_url (const struct mk_rpm *p);
const char *mk_rpm_distribution (const struct mk_rpm *p);


/* ---- install scriptlets (script.c) ---------------------------------- */
enum mk_rpm_script_kind
{
  MK_RPM_PRETRANS,
  MK_RPM_PRE,
  MK_RPM_POST,
  MK_RPM_POSTTRANS,
  MK_RPM_N_SCRIPTS,
};

/* One scriptlet, copied out of the header (the caller frees it with
 * mk_rpm_script_clear). */
struct mk_rpm_script
{
  enum mk_rpm_script_kind kind;
  const char *name;  /* "%post" */
  char **prog;       /* the interpreter and its arguments ("/bin/sh",
                        "<lua>", "/sbin/ldconfig") */
  char *body;        /* NULL for `-p PROGRAM` without a script */
};
/* Returns 1 and fills *s when the package has that scriptlet, else 0. */
int mk_rpm_script (const struct mk_rpm *p, enum mk_rpm_script_kind kind,
                   struct mk_rpm_script *s);
void mk_rpm_script_clear (struct mk_rpm_script *s);

/* ---- the package database (pkgdb.c) --------------------------------- */
/* The fields of this package's line in the plain-text package manifest
 * (/var/lib/rpmmanifest/container-manifest-2), the tab-separated form
 * Azure Linux writes (rpm -qa --qf "%{NAME}\t%{VERSION}-%{RELEASE}\t
 * %{INSTALLTIME}\t%{BUILDTIME}\t%{VENDOR}\t%{EPOCH}\t%{SIZE}\t%{ARCH}\t
 * %{EPOCHNUM}\t%{SOURCERPM}\n"): *head is what comes before the install
 * time, *tail what comes after it (no newline).  Caller frees both. */
void mk_rpm_manifest_fields (const struct mk_rpm *p, char **head,
                             char **tail);

/* Write an rpm database (sqlite backend) of the packages at paths, in
 * this order, to <root><dbpath>/rpmdb.sqlite, through an rpm --justdb
 * transaction: no file is touched besides the database.  root must be an
 * empty private directory (librpm chroots into it; without root a user
 * namespace is made for that).  Install times are sde.  Only for a child
 * process made for it (pkgdb.c): librpm's global state (macros, chroot,
 * the user namespace) stays there.  On failure, why has librpm's words. */
int mk_rpm_db_create (char *const *paths, size_t n, const char *root,
                      const char *dbpath, int64_t sde, char *why, size_t len);

/* --- reading an installed rpm database (mkbase verify) --- */

/* Read every package header of the sqlite rpm database at root/dbpath
 * (e.g. "/tmp/x" and "/var/lib/rpm") into *out, in database order, as
 * packages without a payload: the name, file and header accessors work,
 * mk_rpm_payload_* must not be called.  gpg-pubkey entries are skipped. */
int mk_rpm_db_read (const char *root, const char *dbpath, struct mk_rpm ***out,
                    size_t *n, mk_error_t *err);
void mk_rpm_db_free (struct mk_rpm **v, size_t n);

/* The algorithm of the file digests (mk_rpm_file.digest): "md5", "sha1",
 * "sha224", "sha256", "sha384", "sha512"; "" when rpm names another. */
const char *mk_rpm_digest_algo (const struct mk_rpm *p);

#endif
