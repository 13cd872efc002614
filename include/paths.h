/*
 * paths: every file opsdeck reads or writes, resolved once (XDG base directories).
 *
 *   config dir   $XDG_CONFIG_HOME/opsdeck      (~/.config/opsdeck)
 *   config       <config dir>/config.yaml
 *   keys         <config dir>/keys.yaml
 *   inventory    <config dir>/inventory.yaml     (--inventory override)
 *   incidents    <config dir>/incidents.yaml     (SLA targets, escalation; see incident_config.h)
 *   ssh config   ~/.ssh/config                   (read as OpenSSH would)
 *   user themes  <config dir>/themes/
 *   data dir     $XDG_DATA_HOME/opsdeck        (~/.local/share/opsdeck)
 *   database     <data dir>/opsdeck.db         (--db or OPSDECK_DB override)
 *   known_hosts  ~/.ssh/known_hosts
 *   ssh keys     ~/.ssh/ (identity files; opsdeck never writes them)
 *
 * OPSDECK_CONFIG_DIR overrides the config folder (tests, demo workspace).
 */
#ifndef OPSDECK_PATHS_H
#define OPSDECK_PATHS_H

#include <limits.h>

#include "config.h"
#include "err.h"

#define PATHS_MAX 4096

struct paths {
	char config_dir[PATHS_MAX];
	char config_file[PATHS_MAX];
	char keys_file[PATHS_MAX];
	char inventory_file[PATHS_MAX];
	char incidents_file[PATHS_MAX];
	char ssh_config[PATHS_MAX];
	char user_themes_dir[PATHS_MAX];
	char system_themes_dir[PATHS_MAX]; /* installed $(pkgdatadir)/themes */
	char source_themes_dir[PATHS_MAX]; /* themes/ in the source tree, for uninstalled runs */
	char data_dir[PATHS_MAX];
	char db_file[PATHS_MAX];
	char ssh_dir[PATHS_MAX];
	char known_hosts[PATHS_MAX];
};

/*
 * Resolves every path. db_override (may be NULL) wins over OPSDECK_DB, which
 * wins over the XDG default. Returns 0, or -1 with e set when no home folder
 * can be found or a path is too long.
 */
int paths_resolve(struct paths *p, const char *db_override, struct err *e);

/*
 * Applies config.yaml's inventory, known_hosts and ssh_config settings ("~/"
 * expands to the home folder; ssh_config "none" becomes ""). -1 with e set when
 * a path is too long.
 */
int paths_apply_config(struct paths *p, const struct config *c, struct err *e);

/*
 * Creates dir and its missing parents; the last component gets mode (parents
 * 0700). An existing last component is set to mode, unless it is a symbolic link
 * (to a folder): then it is left as it is, as are existing parents (links or
 * not). 0, or -1 with e set.
 */
int paths_mkdir_private(const char *dir, int mode, struct err *e);

#endif
