/*
 * sshcfg: how a host's connection settings are resolved, with the precedence
 * OpenSSH users expect: the host's name is looked up in ssh config (HostName,
 * User, Port, IdentityFile), then every value the inventory gives overrides it.
 * `inventory list` shows the result and where each value came from.
 */
#ifndef OPSDECK_SSHCFG_H
#define OPSDECK_SSHCFG_H

#include "err.h"
#include "inventory.h"

/* Where a resolved value came from. */
enum sshcfg_source { SSHCFG_DEFAULT, SSHCFG_INVENTORY, SSHCFG_SSH_CONFIG };

const char *sshcfg_source_name(enum sshcfg_source s); /* "default", "inventory", "ssh config" */

struct sshcfg_host {
	char *address;
	int port;
	char *user;
	enum sshcfg_source address_from, port_from, user_from;
};

/*
 * Resolves h against ssh_config (NULL: ~/.ssh/config; "": none). Fills out (clear
 * with sshcfg_host_clear); -1 with e set when libssh refuses the config.
 */
int sshcfg_resolve(const struct inventory_host *h, const char *ssh_config, struct sshcfg_host *out,
		   struct err *e);

void sshcfg_host_clear(struct sshcfg_host *c);

#endif
