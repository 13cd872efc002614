/* cli_common: what every subcommand shares (opening the store the same way the console does). */
#include <string.h>

#include "cli.h"

int cli_open_store(const struct paths *paths, struct store **st, struct err *e)
{
	size_t n = strlen(paths->data_dir);

	/* The default data folder is ours: make it private even if it already existed. */
	if (strncmp(paths->db_file, paths->data_dir, n) == 0 && paths->db_file[n] == '/' &&
	    paths_mkdir_private(paths->data_dir, 0700, e))
		return -1;
	return store_open(paths->db_file, st, e);
}
