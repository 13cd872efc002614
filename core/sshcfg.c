/* sshcfg: see include/sshcfg.h. */
#include <libssh/libssh.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sshcfg.h"

const char *sshcfg_source_name(enum sshcfg_source s)
{
	static const char *const names[] = {
		[SSHCFG_DEFAULT] = "default",
		[SSHCFG_INVENTORY] = "inventory",
		[SSHCFG_SSH_CONFIG] = "ssh config",
	};

	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

void sshcfg_host_clear(struct sshcfg_host *c)
{
	free(c->address);
	free(c->user);
	memset(c, 0, sizeof *c);
}

/* A string option of s as a new string (NULL when unset). The caller frees. */
static char *sshcfg_get(ssh_session s, enum ssh_options_e opt)
{
	char *v = NULL, *copy = NULL;

	if (ssh_options_get(s, opt, &v) != SSH_OK)
		return NULL;
	copy = strdup(v);
	ssh_string_free_char(v);
	return copy;
}

int sshcfg_resolve(const struct inventory_host *h, const char *ssh_config, struct sshcfg_host *out,
		   struct err *e)
{
	ssh_session s = ssh_new();
	struct passwd *pw = getpwuid(getuid());
	unsigned int port = 22;
	int no = 0;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (!s) {
		err_set(e, "out of memory");
		return -1;
	}
	ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
	if (ssh_options_set(s, SSH_OPTIONS_HOST, h->name) != SSH_OK ||
	    ((!ssh_config || ssh_config[0]) && ssh_options_parse_config(s, ssh_config) != SSH_OK)) {
		err_set(e, "%s: ssh options: %s", h->name, ssh_get_error(s));
		goto out;
	}
	/* What ssh config alone says, before the inventory's values. */
	out->address = sshcfg_get(s, SSH_OPTIONS_HOST);
	out->user = sshcfg_get(s, SSH_OPTIONS_USER);
	if (!out->user && pw)
		out->user = strdup(pw->pw_name); /* what libssh connects as */
	if (ssh_options_get_port(s, &port) == SSH_OK)
		out->port = (int)port;
	out->address_from = out->address && strcmp(out->address, h->name) != 0 ? SSHCFG_SSH_CONFIG
										: SSHCFG_DEFAULT;
	out->port_from = out->port != 22 ? SSHCFG_SSH_CONFIG : SSHCFG_DEFAULT;
	out->user_from = out->user && !(pw && strcmp(out->user, pw->pw_name) == 0) ?
				 SSHCFG_SSH_CONFIG : SSHCFG_DEFAULT;
	if (h->address) {
		free(out->address);
		out->address = strdup(h->address);
		out->address_from = SSHCFG_INVENTORY;
	}
	if (h->port) {
		out->port = h->port;
		out->port_from = SSHCFG_INVENTORY;
	}
	if (h->user) {
		free(out->user);
		out->user = strdup(h->user);
		out->user_from = SSHCFG_INVENTORY;
	}
	if (!out->address || !out->user) {
		err_set(e, "out of memory");
		sshcfg_host_clear(out);
		goto out;
	}
	rc = 0;
out:
	ssh_free(s);
	return rc;
}
