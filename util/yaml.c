/* Builds a gw_ynode tree from libfyaml's event stream, keeping each node's
 * line and column. Rejects directives, aliases, complex keys and duplicate
 * keys; it knows nothing of what the keys mean. */
#include "yaml.h"
#include "array.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_TEXT  (16 * 1024 * 1024)

struct builder {
	struct gw_ydoc *doc;
	const char *text; /* borrows the source, for raw checks */
	size_t len;
	struct gw_diag *d;
	struct gw_ynode *stack[MAX_DEPTH];
	struct gw_ynode *pending_key[MAX_DEPTH];
	int depth;
	int errors;
	int syntax_errors;
};

static void node_free(struct gw_ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->type == GW_Y_MAP) {
			node_free(n->pairs[i].key);
			node_free(n->pairs[i].val);
		} else if (n->type == GW_Y_SEQ) {
			node_free(n->items[i]);
		}
	}
	free(n->pairs);
	free(n->items);
	free((char *)n->str);
	free(n);
}

void gw_yaml_free(struct gw_ydoc *doc)
{
	if (!doc)
		return;
	node_free(doc->root);
	free(doc->path);
	free(doc);
}

static struct gw_ynode *node_new(struct builder *b, enum gw_ytype type, struct fy_event *fye)
{
	struct gw_ynode *n = calloc(1, sizeof(*n));
	const struct fy_mark *m = fy_event_start_mark(fye);

	if (!n)
		return NULL;
	n->type = type;
	n->src.file = b->doc->path;
	n->src.line = m ? m->line + 1 : 0;
	n->src.col = m ? m->column + 1 : 0;
	return n;
}

static struct gw_ynode *empty_scalar(struct builder *b, const struct gw_src *at)
{
	struct gw_ynode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = GW_Y_SCALAR;
	n->plain = true;
	n->src.file = b->doc->path;
	if (at)
		n->src = *at;
	n->str = strdup("");
	if (!n->str) {
		free(n);
		return NULL;
	}
	return n;
}

/* An empty scalar has no token, hence no mark: cite its key, or its parent. */
static struct gw_src fallback_src(const struct builder *b)
{
	struct gw_src none = {b->doc->path, 0, 0};

	if (b->depth == 0)
		return none;
	if (b->pending_key[b->depth - 1])
		return b->pending_key[b->depth - 1]->src;
	return b->stack[b->depth - 1]->src;
}

static int map_add(struct builder *b, struct gw_ynode *map, struct gw_ynode *key,
                   struct gw_ynode *val)
{
	struct gw_ypair *p;

	for (size_t i = 0; i < map->n; i++) {
		if (strcmp(map->pairs[i].key->str, key->str) == 0) {
			gw_diag_error_at(b->d, &key->src, "duplicate key \"%s\" (first at line %d)",
			                 key->str, map->pairs[i].key->src.line);
			b->errors++;
			node_free(key);
			node_free(val);
			return 0;
		}
	}
	p = realloc(map->pairs, (map->n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	map->pairs = p;
	p[map->n].key = key;
	p[map->n].val = val;
	map->n++;
	return 0;
}

static int seq_add(struct gw_ynode *seq, struct gw_ynode *item)
{
	struct gw_ynode **items = realloc(seq->items, (seq->n + 1) * sizeof(*items));

	if (!items)
		return -ENOMEM;
	seq->items = items;
	items[seq->n++] = item;
	return 0;
}

/* Attaches a finished node to its parent (or makes it the root); takes n. */
static int attach(struct builder *b, struct gw_ynode *n)
{
	struct gw_ynode *parent;

	if (b->depth == 0) {
		if (b->doc->root)
			node_free(n); /* a later document: already reported */
		else
			b->doc->root = n;
		return 0;
	}
	parent = b->stack[b->depth - 1];
	if (parent->type == GW_Y_SEQ)
		return seq_add(parent, n);
	if (!b->pending_key[b->depth - 1]) {
		if (n->type != GW_Y_SCALAR) {
			gw_diag_error_at(b->d, &n->src, "complex mapping keys are not supported");
			b->errors++;
			node_free(n);
			n = empty_scalar(b, NULL);
			if (!n)
				return -ENOMEM;
		}
		b->pending_key[b->depth - 1] = n;
		return 0;
	}
	{
		struct gw_ynode *key = b->pending_key[b->depth - 1];

		b->pending_key[b->depth - 1] = NULL;
		return map_add(b, parent, key, n);
	}
}

/* libfyaml 0.7.12 mis-reads two '' escapes in a row: 'a''''b' comes back as
 * "a'''", and from four on as no text at all (leaking its buffer). True when a
 * single-quoted scalar's source holds such a run, so it is refused unread. */
static bool has_quote_run(const struct builder *b, struct fy_event *fye)
{
	const struct fy_mark *s = fy_event_start_mark(fye);
	const struct fy_mark *e = fy_event_end_mark(fye);

	if (!s || !e || e->input_pos <= s->input_pos || e->input_pos > b->len)
		return false;
	return memmem(b->text + s->input_pos, e->input_pos - s->input_pos, "''''", 4) != NULL;
}

/* Sets n->str; a text libfyaml cannot give is reported and read as "".
 * Returns 0 or -ENOMEM. */
static int scalar_text(struct builder *b, struct fy_event *fye, enum fy_scalar_style style,
                       struct gw_ynode *n)
{
	const char *text = NULL;
	size_t len = 0;

	if (style == FYSS_SINGLE_QUOTED && has_quote_run(b, fye)) {
		gw_diag_error_at(b->d, &n->src,
		                 "two '' escapes in a row are not supported (use double quotes)");
		b->errors++;
	} else {
		text = fy_token_get_text(fye->scalar.value, &len);
		if (!text) {
			gw_diag_error_at(b->d, &n->src, "cannot read this scalar");
			b->errors++;
		}
	}
	n->str = strndup(text ? text : "", text ? len : 0);
	return n->str ? 0 : -ENOMEM;
}

static int on_scalar(struct builder *b, struct fy_event *fye)
{
	struct gw_ynode *n = node_new(b, GW_Y_SCALAR, fye);
	enum fy_scalar_style style;

	if (!n)
		return -ENOMEM;
	style = fy_token_scalar_style(fye->scalar.value);
	n->plain = style == FYSS_PLAIN;
	/* libfyaml marks a quoted scalar after its quote; cite the quote */
	if ((style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) && n->src.col > 1)
		n->src.col--;
	if (n->src.line == 0)
		n->src = fallback_src(b);
	if (scalar_text(b, fye, style, n)) {
		free(n);
		return -ENOMEM;
	}
	return attach(b, n);
}

static int on_event(struct builder *b, struct fy_event *fye)
{
	struct gw_ynode *n;

	switch (fye->type) {
	case FYET_SCALAR:
		return on_scalar(b, fye);
	case FYET_MAPPING_START:
	case FYET_SEQUENCE_START:
		n = node_new(b, fye->type == FYET_MAPPING_START ? GW_Y_MAP : GW_Y_SEQ, fye);
		if (!n)
			return -ENOMEM;
		if (b->depth >= MAX_DEPTH) {
			gw_diag_error_at(b->d, &n->src, "nesting deeper than %d levels", MAX_DEPTH);
			free(n);
			return -EINVAL;
		}
		b->pending_key[b->depth] = NULL;
		b->stack[b->depth++] = n;
		return 0;
	case FYET_MAPPING_END:
	case FYET_SEQUENCE_END:
		n = b->stack[--b->depth];
		node_free(b->pending_key[b->depth]);
		b->pending_key[b->depth] = NULL;
		return attach(b, n);
	case FYET_ALIAS: {
		const struct fy_mark *m = fy_event_start_mark(fye);
		/* libfyaml marks the alias's name; cite its '*' */
		struct gw_src at = {b->doc->path, m ? m->line + 1 : 0,
		                    m && m->column ? m->column : 0};

		gw_diag_error_at(b->d, &at, "aliases are not supported");
		b->errors++;
		/* a placeholder keeps keys and values paired for the rest of the walk */
		n = empty_scalar(b, &at);
		return n ? attach(b, n) : -1;
	}
	case FYET_DOCUMENT_START:
		if (b->doc->root) {
			const struct fy_mark *m = fy_event_start_mark(fye);

			gw_diag_error(b->d, b->doc->path, m ? m->line + 1 : 0, 0,
			              "more than one YAML document in the file");
			b->errors++;
		}
		return 0;
	default:
		return 0;
	}
}

/* libfyaml's diagnostics object: errors are collected, never printed. Its own
 * printer (0.7.12) overruns a stack buffer when an error token spans lines wider
 * than 80 columns, and it echoes source lines, which are user text. With no fp,
 * no output_fn and a level above every message, libfyaml prints and formats
 * nothing of its own; the collected errors are freed by fy_diag_destroy(). */
static struct fy_diag *diag_new(void)
{
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag;

	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = NULL;
	dcfg.user = NULL;
	dcfg.level = FYET_MAX;
	dcfg.colorize = false;
	diag = fy_diag_create(&dcfg);
	if (diag)
		fy_diag_set_collect_errors(diag, true);
	return diag;
}

/* Copies libfyaml's message (it may quote the input) with control bytes as '?'
 * and at most out_size - 1 bytes, so one error stays one line. */
static void copy_message(char *out, size_t out_size, const char *msg)
{
	size_t i = 0;

	for (; msg && msg[i] && i + 1 < out_size; i++) {
		unsigned char c = (unsigned char)msg[i];

		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[i] = '\0';
}

/* Reports each error libfyaml collected as FILE:LINE:COL, our file name and
 * format; its message is an argument, never a format. */
static void report_collected(struct builder *b, struct fy_diag *diag)
{
	struct fy_diag_error *err;
	void *iter = NULL;
	char msg[256];

	while ((err = fy_diag_errors_iterate(diag, &iter)) != NULL) {
		if (err->type < FYET_ERROR)
			continue;
		copy_message(msg, sizeof(msg), err->msg);
		gw_diag_error(b->d, b->doc->path, err->line > 0 ? err->line : 0,
		              err->column > 0 ? err->column : 0, "YAML syntax: %s", msg);
		b->syntax_errors++;
	}
}

/* Feeds every event to the builder. Returns 0 when the tree is complete and clean. */
static int parse_events(struct builder *b, struct fy_parser *fyp, struct fy_diag *diag)
{
	struct fy_event *fye;
	int rc = 0;

	while (rc == 0 && (fye = fy_parser_parse(fyp)) != NULL) {
		rc = on_event(b, fye);
		fy_parser_event_free(fyp, fye);
	}
	report_collected(b, diag);
	if (fy_parser_get_stream_error(fyp) || b->syntax_errors) {
		if (b->syntax_errors == 0)
			gw_diag_error(b->d, b->doc->path, 0, 0, "YAML syntax error");
		return -EINVAL;
	}
	if (rc == -ENOMEM)
		gw_diag_error(b->d, b->doc->path, 0, 0, "out of memory");
	if (rc)
		return rc;
	return b->errors ? -EINVAL : 0;
}

static struct gw_ydoc *load(const char *path, const char *text, struct gw_diag *d)
{
	struct fy_parse_cfg pcfg = {0};
	struct fy_parser *fyp = NULL;
	struct builder b = {0};
	struct fy_diag *diag = NULL;
	int rc;

	b.d = d;
	b.text = text;
	b.len = strlen(text);
	b.doc = calloc(1, sizeof(*b.doc));
	if (!b.doc)
		return NULL;
	b.doc->path = strdup(path);
	if (!b.doc->path)
		goto out_free_doc;
	diag = diag_new();
	if (!diag)
		goto out_free_doc;
	pcfg.flags = FYPCF_QUIET;
	pcfg.diag = diag;
	fyp = fy_parser_create(&pcfg);
	if (!fyp)
		goto out_destroy_diag;
	rc = fy_parser_set_string(fyp, text, b.len);
	if (rc) {
		gw_diag_error(d, path, 0, 0, "cannot parse: out of memory");
		goto out_destroy_parser;
	}
	if (parse_events(&b, fyp, diag))
		goto out_destroy_parser;
	fy_parser_destroy(fyp);
	fy_diag_destroy(diag);
	return b.doc;
out_destroy_parser:
	while (b.depth > 0) {
		b.depth--;
		node_free(b.pending_key[b.depth]);
		node_free(b.stack[b.depth]);
	}
	fy_parser_destroy(fyp);
out_destroy_diag:
	fy_diag_destroy(diag);
out_free_doc:
	gw_yaml_free(b.doc);
	return NULL;
}

/* Reads all of path (a config or a profile: small) into an owned string. */
static char *read_text(const char *path, struct gw_diag *d)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		gw_diag_error(d, path, 0, 0, "cannot open: %m");
		return NULL;
	}
	for (;;) {
		char *grown;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			grown = cap <= MAX_TEXT ? realloc(text, cap + 1) : NULL;
			if (!grown) {
				gw_diag_error(d, path, 0, 0, "cannot read: larger than %d bytes",
				              MAX_TEXT);
				goto out_fail;
			}
			text = grown;
		}
		len += fread(text + len, 1, cap - len, f);
		if (ferror(f)) {
			gw_diag_error(d, path, 0, 0, "cannot read: %m");
			goto out_fail;
		}
		if (feof(f))
			break;
	}
	fclose(f);
	text[len] = '\0';
	if (strlen(text) == len)
		return text;
	gw_diag_error(d, path, 0, 0, "not a text file (contains a NUL byte)");
	free(text);
	return NULL;
out_fail:
	fclose(f);
	free(text);
	return NULL;
}

/* Length of the valid UTF-8 sequence at p (NUL-terminated), or 0. */
static size_t utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		/* overlong forms and UTF-16 surrogates */
		return (p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ? 0 : 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		return (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f) ? 0 : 4;
	}
	return 0;
}

/* Refuses what libfyaml 0.7.12 mishandles and configs never need: directives
 * (it can loop forever inside a malformed one, its issue #101) and invalid
 * UTF-8 (it leaks on some), e.g. a file saved as GB18030. */
static int check_text(const char *name, const char *text, struct gw_diag *d)
{
	const unsigned char *p = (const unsigned char *)text;
	int line = 1, col = 1;

	while (*p) {
		size_t n = utf8_len(p);

		if (n == 0) {
			gw_diag_error(d, name, line, col,
			              "not valid UTF-8 (save the file as UTF-8)");
			return -EINVAL;
		}
		if (col == 1 && *p == '%') {
			gw_diag_error(d, name, line, 1,
			              "YAML directives (%%...) are not supported");
			return -EINVAL;
		}
		col = *p == '\n' ? 1 : col + 1;
		line += *p == '\n';
		p += n;
	}
	return 0;
}

struct gw_ydoc *gw_yaml_load(const char *path, struct gw_diag *d)
{
	char *text = read_text(path, d);
	struct gw_ydoc *doc;

	if (!text)
		return NULL;
	doc = gw_yaml_load_string(path, text, d);
	free(text);
	return doc;
}

struct gw_ydoc *gw_yaml_load_string(const char *name, const char *text, struct gw_diag *d)
{
	if (check_text(name, text, d))
		return NULL;
	return load(name, text, d);
}

struct gw_ynode *gw_yaml_get(const struct gw_ynode *map, const char *key)
{
	if (!map || map->type != GW_Y_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->pairs[i].key->str, key) == 0)
			return map->pairs[i].val;
	return NULL;
}

bool gw_yaml_is_null(const struct gw_ynode *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (!n)
		return true;
	if (n->type != GW_Y_SCALAR || !n->plain)
		return false;
	for (size_t i = 0; i < GW_ARRAY_LEN(nulls); i++)
		if (strcmp(n->str, nulls[i]) == 0)
			return true;
	return false;
}

const char *gw_yaml_type_name(const struct gw_ynode *n)
{
	if (!n)
		return "nothing";
	return n->type == GW_Y_MAP ? "mapping" : n->type == GW_Y_SEQ ? "sequence" : "scalar";
}
