/* knownhosts: see include/knownhosts.h. */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "knownhosts.h"
#include "paths.h"

#define KNOWNHOSTS_SALT 20

bool knownhosts_hashed(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[4096];
	bool hashed = false;

	if (!f)
		return false;
	while (!hashed && fgets(line, sizeof line, f))
		hashed = strncmp(line + strspn(line, " \t"), "|1|", 3) == 0;
	fclose(f);
	return hashed;
}

char *knownhosts_hash_line(const char *line, const unsigned char *salt_in)
{
	unsigned char salt[KNOWNHOSTS_SALT], mac[EVP_MAX_MD_SIZE];
	char b64salt[64], b64mac[64], host[1024];
	size_t hostlen = strcspn(line, " \t,"), maclen = 0;
	const char *rest = line + strcspn(line, " \t");
	char *out = NULL;

	if (hostlen == 0 || hostlen >= sizeof host || !*rest)
		return NULL;
	memcpy(host, line, hostlen);
	host[hostlen] = '\0';
	if (salt_in)
		memcpy(salt, salt_in, sizeof salt);
	else if (getrandom(salt, sizeof salt, 0) != (ssize_t)sizeof salt)
		return NULL;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, salt, sizeof salt,
		       (const unsigned char *)host, hostlen, mac, sizeof mac, &maclen))
		return NULL;
	EVP_EncodeBlock((unsigned char *)b64salt, salt, sizeof salt);
	EVP_EncodeBlock((unsigned char *)b64mac, mac, (int)maclen);
	if (asprintf(&out, "|1|%s|%s%s", b64salt, b64mac, rest) < 0)
		return NULL;
	return out;
}

int knownhosts_append(const char *path, const char *line, struct err *e)
{
	char dir[PATHS_MAX];
	char *slash = NULL, *hashed = NULL;
	const char *write_line = line;
	struct stat sb;
	size_t len = 0;
	int fd = -1;
	int rc = -1;

	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
		err_set(e, "%s is a symbolic link: opsdeck will not write through a link; set "
			   "known_hosts: in config.yaml to the file it points to", path);
		goto out;
	}
	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			err_set(e, "%s: %s", dir, strerror(errno));
			goto out;
		}
	}
	/* A file that hides its host names keeps hiding them. */
	if (knownhosts_hashed(path)) {
		if (!(hashed = knownhosts_hash_line(line, NULL))) {
			err_set(e, "%s: could not hash the new entry", path);
			goto out;
		}
		write_line = hashed;
	}
	len = strlen(write_line);
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err_set(e, "%s: %s", path, errno == ELOOP ? "a symbolic link: opsdeck will not write "
			"through a link" : strerror(errno));
		goto out;
	}
	/* A hand-edited file may lack its last newline: the new entry starts a line. */
	if (fstat(fd, &sb) == 0 && sb.st_size > 0) {
		char last = '\n';

		if (pread(fd, &last, 1, sb.st_size - 1) == 1 && last != '\n' && write(fd, "\n", 1) != 1) {
			err_set(e, "%s: %s", path, strerror(errno));
			goto out;
		}
	}
	if (write(fd, write_line, len) != (ssize_t)len ||
	    (len && write_line[len - 1] != '\n' && write(fd, "\n", 1) != 1) || fsync(fd) != 0) {
		err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(hashed);
	return rc;
}
