/* Libraries loaded only when a command or the configuration needs them (dlopen(3)). The
 * daemon links none of libcurl, libmicrohttpd, Paho or libxlsxwriter: each is loaded by its
 * owner file the first time it is used, so a gateway that posts InfluxDB over plain HTTP and
 * serves no page never maps them (libcurl alone brings 25 libraries and ~6 MB of pages).
 * A library once loaded stays loaded (no dlclose: their atexit handlers and threads). */
#ifndef GW_DYNLIB_H
#define GW_DYNLIB_H

#include <stddef.h>

/* One symbol to resolve: its name, and the function pointer it is stored in. */
struct gw_dl_sym {
	const char *name;
	void (**fn)(void);
};

/* Binds a typed function pointer p (e.g. `__typeof__(curl_easy_init) *easy_init`). */
#define GW_DL_SYM(name, p)                                                                         \
	{                                                                                          \
		name, (void (**)(void))(void *)&(p)                                                \
	}

/* Opens soname (RTLD_NOW | RTLD_LOCAL) and resolves all n syms, each into its pointer.
 * On success returns 0. On failure every pointer is left NULL, and err (may be NULL) says
 * which library or symbol and why, with the Debian package that provides it, e.g.
 * "libcurl.so.4: cannot open shared object file ... (install libcurl4)". Returns -ENOENT
 * (the library is missing) or -ENOSYS (a symbol is missing). Thread-safe per call; callers
 * wrap it in pthread_once. */
int gw_dl_load(const char *soname, const char *package, const struct gw_dl_sym *syms, size_t n,
               char *err, size_t errlen);

/* True once soname is mapped into this process (tests and the memory benchmark). */
int gw_dl_is_mapped(const char *soname);

#endif
