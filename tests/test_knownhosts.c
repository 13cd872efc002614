/* Unit tests for core/knownhosts: no write through a link; hashed files stay hashed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "knownhosts.h"
#include "testutil.h"

#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[8192];
	size_t n = 0;

	buf[0] = '\0';
	if (f) {
		n = fread(buf, 1, sizeof buf - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

static void test_plain_file_gets_plain_line(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_join(dir, "ssh/known_hosts");
	struct err e = {{0}};
	struct stat sb;

	(void)state;
	assert_int_equal(knownhosts_append(path, "[127.0.0.10]:2222 " KEY "\n", &e), 0);
	assert_string_equal(slurp(path), "[127.0.0.10]:2222 " KEY "\n");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

static void test_hashed_file_stays_hashed(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_join(dir, "known_hosts");
	struct err e = {{0}};
	struct ssh_knownhosts_entry *entry = NULL;
	char *hashed = NULL, *second = NULL;
	char line[4096];
	FILE *f = NULL;
	int n = 0;

	(void)state;
	/* A file that already hides its names (one hashed entry, by OpenSSH or by us). */
	hashed = knownhosts_hash_line("web01 " KEY, NULL);
	assert_non_null(hashed);
	assert_true(strncmp(hashed, "|1|", 3) == 0);
	assert_null(strstr(hashed, "web01"));
	tu_write_file(path, hashed);
	assert_true(knownhosts_hashed(path));
	assert_int_equal(knownhosts_append(path, "[127.0.0.10]:2222 " KEY "\n", &e), 0);
	assert_null(strstr(slurp(path), "127.0.0.10")); /* the new name is hidden too */
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (++n == 2)
			second = strdup(line);
	}
	fclose(f);
	assert_int_equal(n, 2);
	/* libssh reads the hashed line as the host it hides, and only that one. */
	assert_int_equal(ssh_known_hosts_parse_line("[127.0.0.10]:2222", second, &entry), SSH_OK);
	ssh_knownhosts_entry_free(entry);
	entry = NULL;
	assert_int_not_equal(ssh_known_hosts_parse_line("[127.0.0.11]:2222", second, &entry), SSH_OK);
	ssh_knownhosts_entry_free(entry);
	free(second);
	free(hashed);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

static void test_link_refused_clearly(void **state)
{
	char *dir = tu_tmpdir(), *real = tu_join(dir, "real_known_hosts");
	char *link = tu_join(dir, "known_hosts");
	struct err e = {{0}};

	(void)state;
	tu_write_file(real, "web01 " KEY "\n");
	assert_int_equal(symlink(real, link), 0);
	assert_int_equal(knownhosts_append(link, "web02 " KEY "\n", &e), -1);
	assert_non_null(strstr(e.msg, "is a symbolic link: opsdeck will not write through a link"));
	assert_string_equal(slurp(real), "web01 " KEY "\n"); /* unchanged */
	tu_rmrf(dir);
	free(real);
	free(link);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_file_gets_plain_line),
		cmocka_unit_test(test_hashed_file_stays_hashed),
		cmocka_unit_test(test_link_refused_clearly),
	};

	tu_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
