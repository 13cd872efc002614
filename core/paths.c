/*
 * paths: resolves every file opsdeck reads or writes, once, from the XDG base
 * directory variables, so `opsdeck paths` can print the whole list.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

/* Formats into dst; -1 with e set when the result would be cut. */
static int fmt_path(char *dst, struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fmt_path(char *dst, struct err *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, PATHS_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATHS_MAX) {
		err_set(e, "path too long: %.200s...", dst);
		return -1;
	}
	return 0;
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw = NULL;

	if (h && *h)
		return h;
	pw = getpwuid(geteuid());
	return pw ? pw->pw_dir : NULL;
}

/* An XDG variable counts only when absolute (the spec says relative ones are ignored). */
static const char *xdg(const char *var)
{
	const char *v = getenv(var);

	return (v && v[0] == '/') ? v : NULL;
}

int paths_resolve(struct paths *p, const char *db_override, struct err *e)
{
	const char *home = home_dir();
	const char *v = NULL;
	int rc = -1;

	memset(p, 0, sizeof *p);
	if (!home) {
		err_set(e, "cannot find the home folder: set HOME");
		goto out;
	}
	if ((v = getenv("OPSDECK_CONFIG_DIR")) && *v) {
		if (fmt_path(p->config_dir, e, "%s", v))
			goto out;
	} else if ((v = xdg("XDG_CONFIG_HOME"))) {
		if (fmt_path(p->config_dir, e, "%s/opsdeck", v))
			goto out;
	} else if (fmt_path(p->config_dir, e, "%s/.config/opsdeck", home)) {
		goto out;
	}
	if ((v = xdg("XDG_DATA_HOME"))) {
		if (fmt_path(p->data_dir, e, "%s/opsdeck", v))
			goto out;
	} else if (fmt_path(p->data_dir, e, "%s/.local/share/opsdeck", home)) {
		goto out;
	}
	if (fmt_path(p->config_file, e, "%s/config.yaml", p->config_dir) ||
	    fmt_path(p->keys_file, e, "%s/keys.yaml", p->config_dir) ||
	    fmt_path(p->inventory_file, e, "%s/inventory.yaml", p->config_dir) ||
	    fmt_path(p->incidents_file, e, "%s/incidents.yaml", p->config_dir) ||
	    fmt_path(p->ssh_config, e, "%s/.ssh/config", home) ||
	    fmt_path(p->user_themes_dir, e, "%s/themes", p->config_dir) ||
	    fmt_path(p->system_themes_dir, e, "%s/themes", OPSDECK_PKGDATADIR) ||
	    fmt_path(p->source_themes_dir, e, "%s/themes", OPSDECK_SRCDIR) ||
	    fmt_path(p->ssh_dir, e, "%s/.ssh", home) ||
	    fmt_path(p->known_hosts, e, "%s/.ssh/known_hosts", home))
		goto out;
	if (!db_override || !*db_override)
		db_override = getenv("OPSDECK_DB");
	if (db_override && *db_override) {
		if (fmt_path(p->db_file, e, "%s", db_override))
			goto out;
	} else if (fmt_path(p->db_file, e, "%s/opsdeck.db", p->data_dir)) {
		goto out;
	}
	rc = 0;
out:
	return rc;
}

/* Copies a configured path into dst, expanding a leading "~/". */
static int set_configured(char *dst, const char *value, struct err *e)
{
	const char *home = home_dir();

	if (value[0] == '~' && value[1] == '/' && home)
		return fmt_path(dst, e, "%s/%s", home, value + 2);
	return fmt_path(dst, e, "%s", value);
}

int paths_apply_config(struct paths *p, const struct config *c, struct err *e)
{
	if (c->inventory[0] && set_configured(p->inventory_file, c->inventory, e))
		return -1;
	if (c->known_hosts[0] && set_configured(p->known_hosts, c->known_hosts, e))
		return -1;
	if (strcmp(c->ssh_config, "none") == 0)
		p->ssh_config[0] = '\0';
	else if (c->ssh_config[0] && set_configured(p->ssh_config, c->ssh_config, e))
		return -1;
	return 0;
}

int paths_mkdir_private(const char *dir, int mode, struct err *e)
{
	char buf[PATHS_MAX];
	size_t len = strlen(dir);
	struct stat sb;
	int fd = -1;
	int rc = 0;

	if (len == 0 || len >= sizeof buf) {
		err_set(e, "bad folder path");
		return -1;
	}
	memcpy(buf, dir, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	/* Parents first; an existing parent is left as it is (it may be $HOME). */
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
			err_set(e, "%s: %s", buf, strerror(errno));
			return -1;
		}
		*s = '/';
	}
	if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST) {
		err_set(e, "%s: %s", buf, strerror(errno));
		return -1;
	}
	if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		err_set(e, "%s: not a folder", buf);
		return -1;
	}
	/* mkdir honours the umask; fchmod makes the mode exact. The folder is opened
	 * without following a last-component link, so a mode is never changed through
	 * one (a linked folder is someone's choice and is left as it is). */
	fd = open(buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
		return 0;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		err_set(e, "%s: %s", buf, strerror(errno));
		rc = -1;
	} else if ((sb.st_mode & 07777) != (mode_t)mode && fchmod(fd, (mode_t)mode) != 0) {
		err_set(e, "%s: chmod: %s", buf, strerror(errno));
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}
