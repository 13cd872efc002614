/*
 * fuzz_known_hosts: known_hosts lines as libssh reads them for opsdeck's host-key
 * checks (ssh_known_hosts_parse_line), one line at a time, against host names
 * with and without a port. A line that parses has a key and a host pattern; none
 * of them crashes, leaks or reads out of bounds.
 */
#include <libssh/libssh.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = {"web01", "[127.0.0.10]:2222", "10.0.0.5", "*"};
	char *buf = malloc(size + 1);
	char *line = NULL, *save = NULL;

	FUZZ_CHECK(buf != NULL);
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		for (size_t h = 0; h < sizeof hosts / sizeof hosts[0]; h++) {
			struct ssh_knownhosts_entry *entry = NULL;

			if (ssh_known_hosts_parse_line(hosts[h], line, &entry) == SSH_OK) {
				FUZZ_CHECK(entry != NULL);
				FUZZ_CHECK(entry->publickey != NULL);
			}
			ssh_knownhosts_entry_free(entry);
		}
	}
	free(buf);
	return 0;
}
