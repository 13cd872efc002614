/*
 * ui: cell writing and the console's shell (top bar, tabs, hints, message line).
 * Every string reaches the screen through ui_put/ui_put_nopad, which re-check it
 * with the one sanitiser and fit it with text_fit, so a hostile or wide string can
 * neither inject escapes nor push the next column out of line.
 */
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "clock.h"
#include "text.h"
#include "ui.h"

/* Bytes for one fitted cell: 4 per column plus room for combining marks. */
#define CELL_BUF 4096

static int put(int y, int x, int cols, const char *s, attr_t a, bool pad)
{
	char buf[CELL_BUF];
	char *clean = NULL;
	int w = 0;

	if (cols <= 0)
		return 0;
	if (!s)
		s = "";
	/* Callers pass sanitised text; re-checking is cheap and keeps the invariant local. */
	if (!text_is_clean(s, strlen(s), 0)) {
		clean = text_sanitize_str(s, 0);
		s = clean ? clean : "";
	}
	w = text_fit(buf, sizeof buf, s, cols, pad);
	attrset(a);
	mvaddstr(y, x, buf);
	/* text_fit stops early only when buf is full (pathological combining runs). */
	if (pad && w < cols)
		ui_fill(y, x + w, cols - w, a);
	attrset(A_NORMAL);
	free(clean);
	return pad ? cols : w;
}

int ui_put(int y, int x, int cols, const char *s, attr_t a)
{
	return put(y, x, cols, s, a, true);
}

int ui_put_nopad(int y, int x, int cols, const char *s, attr_t a)
{
	return put(y, x, cols, s, a, false);
}

void ui_fill(int y, int x, int cols, attr_t a)
{
	if (cols <= 0)
		return;
	attrset(a);
	mvhline(y, x, ' ', cols);
	attrset(A_NORMAL);
}

size_t ui_wrap(const char *s, int cols, size_t *skip)
{
	char buf[CELL_BUF];
	size_t n = 0;
	const char *nl = NULL;
	const char *sp = NULL;

	*skip = 0;
	if (!s || !*s)
		return 0;
	text_fit(buf, sizeof buf, s, cols < 1 ? 1 : cols, false);
	n = strlen(buf);
	if (n == 0) {
		/* Nothing fits (a wide character in one column): emit it alone. */
		unsigned cp = 0;
		size_t l = text_utf8_decode(s, strlen(s), &cp);
		return l ? l : 1;
	}
	nl = memchr(s, '\n', n);
	if (nl) {
		*skip = 1;
		return (size_t)(nl - s);
	}
	if (s[n] == '\0')
		return n;
	if (s[n] == ' ') {
		*skip = 1;
		return n;
	}
	for (size_t i = n; i > n / 2; i--)
		if (s[i - 1] == ' ') {
			sp = s + i - 1;
			break;
		}
	if (sp) {
		*skip = 1;
		return (size_t)(sp - s);
	}
	return n;
}

void ui_draw_top(int y, int cols, const struct ui_top *t)
{
	char local[32] = "";
	char utc[32] = "";
	char right[96] = "";
	char left[512] = "";
	attr_t a = colors_attr(ROLE_HEADER);
	int rw = 0;

	clock_format_local(t->now_ms, local, sizeof local);
	clock_format_utc(t->now_ms, utc, sizeof utc);
	/* local "YYYY-MM-DD HH:MM:SS"; utc "YYYY-MM-DDTHH:MM:SS.mmmZ" */
	local[t->seconds ? 19 : 16] = '\0';
	utc[t->seconds ? 19 : 16] = '\0';
	if (cols >= 70)
		snprintf(right, sizeof right, "%s  UTC %s ", local, utc + 11);
	else
		snprintf(right, sizeof right, "%s UTC %s ", local + 11, utc + 11);
	snprintf(left, sizeof left, "%s%s | %s", cols >= 70 ? " opsdeck | " : " ",
		 t->operator_name, t->shift);
	rw = text_width(right);
	ui_put(y, 0, cols - rw, left, a);
	ui_put(y, cols - rw > 0 ? cols - rw : 0, rw < cols ? rw : cols, right, a);
	/* Counters go between the shift and the clocks, whole or not at all. */
	for (size_t i = 0, x = (size_t)text_width(left) + 2; i < t->n_counts; i++) {
		int w = text_width(t->counts[i].text);

		if ((int)x + w + 1 > cols - rw)
			break;
		ui_put_nopad(y, (int)x, w, t->counts[i].text, colors_attr(t->counts[i].role) | A_BOLD);
		x += (size_t)w + 1;
	}
}

void ui_draw_tabs(int y, int cols, const char *const *titles, size_t n, size_t active)
{
	int x = 0;

	for (size_t i = 0; i < n && x < cols; i++) {
		char label[96];

		snprintf(label, sizeof label, " %zu:%s ", i + 1, titles[i]);
		x += ui_put_nopad(y, x, cols - x, label,
				  colors_attr(i == active ? ROLE_TAB_ACTIVE : ROLE_TAB));
		if (x < cols)
			x += ui_put_nopad(y, x, 1, " ", colors_attr(ROLE_TAB));
	}
	ui_fill(y, x, cols - x, colors_attr(ROLE_TAB));
}

/* Hint order: help first (it explains the rest), the view's actions, then global ones. */
static void hint_pass(int y, int cols, int *x, const struct keymap *km, const char *context,
		      bool global)
{
	attr_t a = colors_attr(ROLE_STATUS);
	size_t nact = 0;
	const struct keymap_action *acts = actions_table(&nact);

	for (int id = 0; (size_t)id < nact && *x < cols; id++) {
		const struct keymap_action *act = &acts[id];
		const char *label = actions_hint(id);
		char key[32];

		if (!label || id == ACT_HELP)
			continue;
		if (strcmp(act->context, global ? "global" : context) != 0)
			continue;
		if (!*actions_key_label(km, id, key, sizeof key))
			continue;
		*x += ui_put_nopad(y, *x, cols - *x, key, a | A_BOLD);
		*x += ui_put_nopad(y, *x, cols - *x, " ", a);
		*x += ui_put_nopad(y, *x, cols - *x, label, a);
		*x += ui_put_nopad(y, *x, cols - *x, "  ", a);
	}
}

void ui_draw_hints(int y, int cols, const struct keymap *km, const char *context)
{
	attr_t a = colors_attr(ROLE_STATUS);
	char key[32];
	int x = 0;

	x += ui_put_nopad(y, x, cols, " ", a);
	if (*actions_key_label(km, ACT_HELP, key, sizeof key)) {
		x += ui_put_nopad(y, x, cols - x, key, a | A_BOLD);
		x += ui_put_nopad(y, x, cols - x, " help  ", a);
	}
	if (strcmp(context, "global") != 0)
		hint_pass(y, cols, &x, km, context, false);
	hint_pass(y, cols, &x, km, context, true);
	ui_fill(y, x, cols - x, a);
}

void ui_draw_message(int y, int cols, const char *msg, enum theme_role role)
{
	ui_put(y, 0, cols, msg ? msg : "", colors_attr(msg && *msg ? role : ROLE_NORMAL));
}

void ui_draw_too_small(int rows, int cols)
{
	static const char notice[] = "Terminal too small (need 40x12)";
	const char *s = notice;
	int lines = 0;
	int y = 0;

	erase();
	if (rows <= 0 || cols <= 0)
		return;
	/* Count wrapped lines first so the notice is centred vertically. */
	for (const char *p = s; *p; lines++) {
		size_t skip = 0;
		p += ui_wrap(p, cols, &skip);
		p += skip;
	}
	y = (rows - lines) / 2;
	for (const char *p = s; *p && y < rows; y++) {
		size_t skip = 0;
		size_t n = ui_wrap(p, cols, &skip);
		char line[64];
		int w = 0;

		snprintf(line, sizeof line, "%.*s", (int)n, p);
		w = text_width(line);
		ui_put_nopad(y < 0 ? 0 : y, (cols - w) / 2, cols, line, colors_attr(ROLE_WARN));
		p += n + skip;
	}
}

bool ui_scroll(int *scroll, enum ui_move m, int page)
{
	/* Indexed by enum ui_move: lines to move, in pages for the page moves. */
	static const struct {
		int lines, pages;
	} steps[] = {
		[UI_MOVE_UP] = { -1, 0 },    [UI_MOVE_DOWN] = { 1, 0 },
		[UI_MOVE_PAGE_UP] = { 0, -1 }, [UI_MOVE_PAGE_DOWN] = { 0, 1 },
	};

	switch (m) {
	case UI_MOVE_NONE:
		return false;
	case UI_MOVE_TOP:
		*scroll = 0;
		return true;
	case UI_MOVE_BOTTOM:
		*scroll = UI_SCROLL_END;
		return true;
	default:
		break;
	}
	*scroll += steps[m].lines + steps[m].pages * (page > 0 ? page : 1);
	if (*scroll < 0)
		*scroll = 0;
	if (*scroll > UI_SCROLL_END)
		*scroll = UI_SCROLL_END;
	return true;
}
