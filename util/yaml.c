/* Builds a gw_ynode tree from libfyaml's event stream, keeping each node's
 * line and column. Rejects aliases, complex keys and duplicate keys; it knows
 * nothing of what the keys mean. */
#include "yaml.h"

#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct builder {
	struct gw_ydoc *doc;
	struct gw_diag *d;
	struct gw_ynode *stack[MAX_DEPTH];
	struct gw_ynode *pending_key[MAX_DEPTH];
	int depth;
	int errors;
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
		return -1;
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
		return -1;
	seq->items = items;
	items[seq->n++] = item;
	return 0;
}

/* Attaches a finished node to its parent (or makes it the root); takes n. */
static int attach(struct builder *b, struct gw_ynode *n)
{
	struct gw_ynode *parent;

	if (b->depth == 0) {
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
			n->type = GW_Y_SCALAR;
			node_free(n);
			n = calloc(1, sizeof(*n));
			if (!n)
				return -1;
			n->str = strdup("");
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

static int on_scalar(struct builder *b, struct fy_event *fye)
{
	struct gw_ynode *n = node_new(b, GW_Y_SCALAR, fye);
	size_t len = 0;
	const char *text = fy_token_get_text(fye->scalar.value, &len);

	if (!n)
		return -1;
	n->str = strndup(text ? text : "", text ? len : 0);
	n->plain = fy_token_scalar_style(fye->scalar.value) == FYSS_PLAIN;
	if (!n->str) {
		free(n);
		return -1;
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
		if (b->depth >= MAX_DEPTH) {
			gw_diag_error(b->d, b->doc->path, 0, 0, "nesting deeper than %d", MAX_DEPTH);
			return -1;
		}
		n = node_new(b, fye->type == FYET_MAPPING_START ? GW_Y_MAP : GW_Y_SEQ, fye);
		if (!n)
			return -1;
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

		gw_diag_error(b->d, b->doc->path, m ? m->line + 1 : 0, m ? m->column + 1 : 0,
			      "aliases are not supported");
		b->errors++;
		return 0;
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

static void report_parse_errors(struct fy_diag *diag, struct gw_diag *d, const char *path)
{
	void *iter = NULL;
	struct fy_diag_error *err;
	int n = 0;

	while ((err = fy_diag_errors_iterate(diag, &iter)) != NULL) {
		gw_diag_error(d, path, err->line + 1, err->column + 1, "YAML syntax: %s", err->msg);
		n++;
	}
	if (n == 0)
		gw_diag_error(d, path, 0, 0, "YAML syntax error");
}

static struct gw_ydoc *load(const char *path, const char *text, struct gw_diag *d)
{
	struct fy_diag_cfg dcfg;
	struct fy_parse_cfg pcfg = {0};
	struct fy_parser *fyp = NULL;
	struct fy_event *fye;
	struct builder b = {0};
	struct fy_diag *diag;
	int rc = 0;

	b.d = d;
	b.doc = calloc(1, sizeof(*b.doc));
	if (!b.doc)
		return NULL;
	b.doc->path = strdup(path);
	fy_diag_cfg_default(&dcfg);
	diag = fy_diag_create(&dcfg);
	if (!b.doc->path || !diag)
		goto out_fail;
	fy_diag_set_collect_errors(diag, true);
	pcfg.flags = FYPCF_QUIET;
	pcfg.diag = diag;
	fyp = fy_parser_create(&pcfg);
	if (!fyp)
		goto out_fail;
	if (text)
		rc = fy_parser_set_string(fyp, text, strlen(text));
	else
		rc = fy_parser_set_input_file(fyp, path);
	if (rc) {
		gw_diag_error(d, path, 0, 0, "cannot read the file");
		goto out_fail;
	}
	while (rc == 0 && (fye = fy_parser_parse(fyp)) != NULL) {
		rc = on_event(&b, fye);
		fy_parser_event_free(fyp, fye);
	}
	if (fy_parser_get_stream_error(fyp)) {
		report_parse_errors(diag, d, path);
		goto out_fail;
	}
	if (rc || b.errors)
		goto out_fail;
	fy_parser_destroy(fyp);
	fy_diag_unref(diag);
	return b.doc;
out_fail:
	while (b.depth > 0) {
		b.depth--;
		node_free(b.pending_key[b.depth]);
		node_free(b.stack[b.depth]);
	}
	if (fyp)
		fy_parser_destroy(fyp);
	if (diag)
		fy_diag_unref(diag);
	gw_yaml_free(b.doc);
	return NULL;
}

struct gw_ydoc *gw_yaml_load(const char *path, struct gw_diag *d)
{
	FILE *f = fopen(path, "r");

	if (!f) {
		gw_diag_error(d, path, 0, 0, "cannot open: %m");
		return NULL;
	}
	fclose(f);
	return load(path, NULL, d);
}

struct gw_ydoc *gw_yaml_load_string(const char *name, const char *text, struct gw_diag *d)
{
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
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
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
