/*
 * help: the `?` overlay. Every line is generated from the actions table and the keys
 * bound right now (after keys.yaml), so help can never disagree with the keymap.
 */
#include <stdio.h>
#include <string.h>

#include "actions.h"
#include "view.h"

/* One overlay line: a section heading, an action, plain text, or a blank. */
struct help_line {
	const char *heading;
	int action;
	const char *text;
};

/* Every action fits: the global ones and one view's, plus headings and blanks. */
#define HELP_MAX_LINES 256

static int build(const char *context, const char *legend, struct help_line *out)
{
	const char *sections[2] = {"global", context};
	size_t nact = 0;
	const struct keymap_action *acts = actions_table(&nact);
	int n = 0;

	for (int s = 0; s < 2; s++) {
		if (s == 1 && (!context || strcmp(context, "global") == 0))
			break;
		out[n++] = (struct help_line){s == 0 ? "Everywhere" : context, -1, NULL};
		for (size_t id = 0; id < nact && n < HELP_MAX_LINES - 3; id++)
			if (strcmp(acts[id].context, sections[s]) == 0)
				out[n++] = (struct help_line){NULL, (int)id, NULL};
		if (s == 1 && legend)
			out[n++] = (struct help_line){NULL, -1, legend};
		out[n++] = (struct help_line){NULL, -1, NULL};
	}
	return n;
}

int help_line_count(const char *context, const char *legend)
{
	struct help_line lines[HELP_MAX_LINES];

	return build(context, legend, lines);
}

/* "Up, k" for the keys bound to id, or "(unbound)". */
static void keys_text(const struct keymap *km, int id, char *buf, size_t len)
{
	int keys[KEYMAP_MAX_KEYS];
	size_t n = keymap_keys(km, (size_t)id, keys, KEYMAP_MAX_KEYS);
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++) {
		char name[32];
		int w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				 keymap_key_name(keys[i], name, sizeof name));
		if (w < 0)
			break;
		o += (size_t)w;
	}
	if (n == 0)
		snprintf(buf, len, "(unbound)");
}

void help_draw(struct help *h, const struct keymap *km, const char *context, const char *legend,
	       const struct ui_rect *r)
{
	struct help_line lines[HELP_MAX_LINES];
	int n = build(context, legend, lines);
	size_t nact = 0;
	const struct keymap_action *acts = actions_table(&nact);
	attr_t normal = colors_attr(ROLE_NORMAL);
	int body = r->h - 1;
	int keyw = r->w >= 70 ? 18 : 12;
	int namew = r->w >= 70 ? 22 : 0; /* names go on their own when narrow */

	if (h->scroll > n - body)
		h->scroll = n - body;
	if (h->scroll < 0)
		h->scroll = 0;
	ui_put(r->y, r->x, r->w, " Help: keys for this view (Esc closes, Up/Down scroll)",
	       colors_attr(ROLE_HEADER));
	for (int row = 0; row < body; row++) {
		int i = h->scroll + row;
		int y = r->y + 1 + row;
		int x = r->x;
		char keys[96];

		if (i < n && lines[i].text) {
			char text[256];
			snprintf(text, sizeof text, "  %s", lines[i].text);
			ui_put(y, x, r->w, text, colors_attr(ROLE_DIM));
			continue;
		}
		if (i >= n || (!lines[i].heading && lines[i].action < 0)) {
			ui_fill(y, x, r->w, normal);
			continue;
		}
		if (lines[i].heading) {
			char head[96];
			if (lines[i].heading == context)
				snprintf(head, sizeof head, " In the %s view", context);
			else
				snprintf(head, sizeof head, " %s", lines[i].heading);
			ui_put(y, x, r->w, head, colors_attr(ROLE_ACCENT) | A_BOLD);
			continue;
		}
		keys_text(km, lines[i].action, keys, sizeof keys);
		x += ui_put(y, x, 2, "", normal);
		x += ui_put(y, x, keyw, keys, normal | A_BOLD);
		if (namew) {
			x += ui_put(y, x, namew, acts[lines[i].action].name,
				    colors_attr(ROLE_DIM));
			ui_put(y, x, r->w - (x - r->x), acts[lines[i].action].help, normal);
		} else {
			char both[256];
			snprintf(both, sizeof both, "%s: %s", acts[lines[i].action].name,
				 acts[lines[i].action].help);
			ui_put(y, x, r->w - (x - r->x), both, normal);
		}
	}
}

unsigned help_key(struct help *h, int key, const char *context, const char *legend, int rows)
{
	int n = help_line_count(context, legend);
	int page = rows > 2 ? rows - 2 : 1;

	switch (key) {
	case KEYM_UP:
	case 'k':
		h->scroll--;
		break;
	case KEYM_DOWN:
	case 'j':
		h->scroll++;
		break;
	case KEYM_PAGEUP:
		h->scroll -= page;
		break;
	case KEYM_PAGEDOWN:
	case ' ':
		h->scroll += page;
		break;
	case KEYM_HOME:
		h->scroll = 0;
		break;
	case KEYM_END:
		h->scroll = n;
		break;
	default:
		return VIEW_UNHANDLED;
	}
	if (h->scroll < 0)
		h->scroll = 0;
	if (h->scroll > n)
		h->scroll = n;
	return VIEW_HANDLED | VIEW_REDRAW;
}
