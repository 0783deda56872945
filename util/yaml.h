/* A small YAML document tree with source positions, read with libfyaml (the only
 * includer of libfyaml.h). Config and profile loaders walk this tree with their
 * declarative tables; they never see libfyaml. */
#ifndef GW_YAML_H
#define GW_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

enum gw_ytype { GW_Y_SCALAR, GW_Y_MAP, GW_Y_SEQ };

struct gw_ynode;

struct gw_ypair {
	struct gw_ynode *key; /* always a scalar */
	struct gw_ynode *val;
};

struct gw_ynode {
	enum gw_ytype type;
	struct gw_src src; /* src.file borrows the document's path */
	const char *str;   /* scalar text ("" for an empty/null scalar) */
	bool plain;        /* scalar was unquoted (so `~`/`null`/empty are null) */
	size_t n;          /* number of pairs (map) or items (seq) */
	struct gw_ypair *pairs;
	struct gw_ynode **items;
};

struct gw_ydoc {
	char *path;            /* owned */
	struct gw_ynode *root; /* NULL for an empty document */
};

/* Parses FILE. Returns owned doc, or NULL after reporting FILE:LINE:COL errors
 * to d (also for a missing or unreadable file). */
struct gw_ydoc *gw_yaml_load(const char *path, struct gw_diag *d);
/* Same from a string; name is used in diagnostics. */
struct gw_ydoc *gw_yaml_load_string(const char *name, const char *text, struct gw_diag *d);
void gw_yaml_free(struct gw_ydoc *doc);

/* Borrows: the value of key in a map, or NULL. */
struct gw_ynode *gw_yaml_get(const struct gw_ynode *map, const char *key);
/* True for a plain scalar spelled ~, null, Null, NULL or empty. */
bool gw_yaml_is_null(const struct gw_ynode *n);
/* "scalar", "mapping" or "sequence", for messages. */
const char *gw_yaml_type_name(const struct gw_ynode *n);

#endif
