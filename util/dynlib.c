/* dlopen(3) with every symbol resolved up front: a library that loads but lacks a symbol is
 * refused whole, so no caller meets a NULL pointer halfway through. */
#include "dynlib.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static void set_err(char *err, size_t errlen, const char *what, const char *package)
{
	if (err && errlen)
		snprintf(err, errlen, "%s (install %s)", what ? what : "dlopen failed", package);
}

int gw_dl_load(const char *soname, const char *package, const struct gw_dl_sym *syms, size_t n,
               char *err, size_t errlen)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		set_err(err, errlen, dlerror(), package);
		return -ENOENT;
	}
	for (size_t i = 0; i < n; i++) {
		void *p = dlsym(h, syms[i].name);

		if (!p) {
			char what[256];

			snprintf(what, sizeof(what), "%s: no symbol %s", soname, syms[i].name);
			set_err(err, errlen, what, package);
			for (size_t j = 0; j < n; j++)
				*syms[j].fn = NULL;
			dlclose(h);
			return -ENOSYS;
		}
		/* POSIX guarantees a data pointer from dlsym converts to a function pointer. */
		memcpy(syms[i].fn, &p, sizeof(p));
	}
	return 0;
}

int gw_dl_is_mapped(const char *soname)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);

	if (!h)
		return 0;
	dlclose(h);
	return 1;
}
