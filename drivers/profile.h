/* Loads sensor profiles (drivers/profiles/NAME.yaml) into struct gw_profile,
 * reporting every error as FILE:LINE:COL. Unknown keys are errors. */
#ifndef GW_PROFILE_H
#define GW_PROFILE_H

#include "driver.h"

/* Loads one profile file. Returns 0, or -EINVAL after reporting to d. */
int gw_profile_load_file(const char *path, struct gw_diag *d, struct gw_profile *out);

/* Same from text; path names it in diagnostics and must end in the profile's
 * name (NAME or NAME.yaml). Returns 0, or -EINVAL after reporting to d. */
int gw_profile_load_string(const char *path, const char *text, struct gw_diag *d,
                           struct gw_profile *out);

/* Resolves name_or_path: a path (contains '/' or ends in .yaml) is loaded as
 * is; a bare NAME is dir/NAME.yaml (dir NULL: the default dir). Returns 0,
 * -ENOENT (reported, with the names dir holds) or -EINVAL. */
int gw_profile_find(const char *dir, const char *name_or_path, struct gw_diag *d,
                    struct gw_profile *out);

/* Borrows: the point named name, or NULL. */
const struct gw_point *gw_profile_point(const struct gw_profile *prof, const char *name);

/* The default profile directory: $FIELDGATE_PROFILES, else the compiled-in one. */
const char *gw_profile_default_dir(void);

#endif
