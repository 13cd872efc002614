/* cli_common: what every subcommand shares (opening the store the same way the console does). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/*
 * A write over RLIMIT_FSIZE raises SIGXFSZ, whose default kills the process
 * before it can say why; ignored, the write fails with EFBIG and the store says
 * the disk is full (the transaction is rolled back, nothing is lost).
 */
static void cli_store_prepare(void)
{
	signal(SIGXFSZ, SIG_IGN);
}

static void cli_store_warn(const struct store *st)
{
	const char *w = store_warning(st);

	if (w)
		fprintf(stderr, "opsdeck: warning: %s\n", w);
}

int cli_open_store(const struct paths *paths, struct store **st, struct err *e)
{
	size_t n = strlen(paths->data_dir);

	cli_store_prepare();
	/* The default data folder is ours: make it private even if it already existed
	 * (never through a link: paths_mkdir_private leaves a linked folder alone). */
	if (strncmp(paths->db_file, paths->data_dir, n) == 0 && paths->db_file[n] == '/' &&
	    paths_mkdir_private(paths->data_dir, 0700, e))
		return -1;
	if (store_open(paths->db_file, st, e))
		return -1;
	cli_store_warn(*st);
	return 0;
}

int cli_open_store_read(const struct paths *paths, struct store **st, struct err *e)
{
	cli_store_prepare();
	if (store_open_read(paths->db_file, st, e))
		return -1;
	cli_store_warn(*st);
	return 0;
}
