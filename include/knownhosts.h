/*
 * knownhosts: writing an accepted host key to known_hosts. Reading and checking
 * keys is libssh's; writing is ours, so it follows the file as the operator keeps
 * it: never through a symbolic link (said as such), and hashed (HashKnownHosts,
 * "|1|salt|hmac") when the file already holds hashed entries.
 */
#ifndef OPSDECK_KNOWNHOSTS_H
#define OPSDECK_KNOWNHOSTS_H

#include <stdbool.h>

#include "err.h"

/*
 * Appends line ("HOST KEYTYPE BASE64", as libssh exports it) to path, creating the
 * file 0600 and its folder 0700, and syncs it. The host field is hashed when path
 * already has a hashed entry. -1 with e set: a link, or the write failed.
 */
int knownhosts_append(const char *path, const char *line, struct err *e);

/* True when path holds at least one hashed ("|1|") entry. */
bool knownhosts_hashed(const char *path);

/*
 * The line with its first host name hashed as OpenSSH's HashKnownHosts does:
 * "|1|" base64(salt) "|" base64(HMAC-SHA1(salt, host)) " KEYTYPE BASE64". salt is
 * 20 random bytes (or the given one, for tests: NULL for random). The caller frees;
 * NULL on a malformed line or no memory.
 */
char *knownhosts_hash_line(const char *line, const unsigned char *salt);

#endif
