/*
 * hostpattern: the one host-pattern grammar, for `--filter`, `exec`, window
 * `--targets` and runbook `targets`. It reads as Ansible's and ClusterShell's do:
 *
 *   web*            a shell glob over a host's name, groups, tags and environment
 *   all  *          every host           ungrouped   the hosts in no group
 *   @db             the hosts in group db (a glob over group names only)
 *   web:db  web,db  union                web:&prod   intersection
 *   web:!web03      exclusion
 *
 * As in Ansible, the plain terms are joined first, then each `&` term narrows the
 * set and each `!` term removes from it; a pattern with no plain term starts from
 * all. Evaluation is per host, so the result keeps inventory order.
 */
#ifndef OPSDECK_HOSTPATTERN_H
#define OPSDECK_HOSTPATTERN_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "inventory.h"

struct hostpattern;

/* Compiles text. The caller owns the result (hostpattern_free). NULL with e set:
 * an empty pattern or term, `&` or `!` with nothing after it, `@` without a group. */
struct hostpattern *hostpattern_compile(const char *text, struct err *e);

void hostpattern_free(struct hostpattern **p);

bool hostpattern_match(const struct hostpattern *p, const struct inventory_host *h);

/*
 * The indexes of inv's hosts that text selects, in inventory order: a malloc'd
 * array the caller frees, its length in *n (the array may be NULL when *n is 0).
 * -1 with e set for a bad pattern or no memory.
 */
int hostpattern_select(const struct inventory *inv, const char *text, size_t **idx, size_t *n,
		       struct err *e);

#endif
