/* The field simulator: Modbus slaves with plausible values and injectable
 * faults, served over TCP (many unit ids on one port) and RTU (a pty pair it
 * creates). Frames its own RTU/MBAP (no libmodbus) so that faults are exact and
 * the master is tested against an independent implementation. Single-threaded. */
#ifndef GW_SIM_H
#define GW_SIM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "diag.h"
#include "driver.h"
#include "yaml.h"

#define GW_SIM_ID_LEN    64
#define GW_SIM_MAX_ADU   260 /* MBAP header + PDU, or RTU unit + PDU + CRC */
#define GW_SIM_MAX_PDU   253
#define GW_SIM_MAX_CONNS 32 /* TCP clients per bus */
#define GW_SIM_MAX_REGS  40 /* registers in one slave's image */
#define GW_SIM_ADDR_NEAR 16 /* an address this close to a mapped one reads as 0 */

/* ---- the field ---------------------------------------------------------- */

enum gw_sim_place { GW_SIM_PLACE_NONE, GW_SIM_PLACE_UNDER_FILM, GW_SIM_PLACE_BARE };
/* RTU_TCP: RTU frames over TCP, the sim listening (a DTU or serial server the
 * gateway dials); DTU: the sim dials the gateway's listener, registers, sends
 * heartbeats and answers RTU frames (sim_dtu.c). */
enum gw_sim_transport { GW_SIM_RTU, GW_SIM_TCP, GW_SIM_RTU_TCP, GW_SIM_DTU };

/* When a plot's film is on, by local calendar day (month * 100 + day, every year):
 * from on_md (0: from the start) until the day before off_md (0: never torn off). */
struct gw_sim_film {
	bool laid; /* false: never laid */
	int on_md;
	int off_md;
};

/* True when film f covers the plot on local day md (MMDD). */
bool gw_sim_film_covers(const struct gw_sim_film *f, int md);

struct gw_sim_unit_cfg {
	char sensor[GW_SIM_ID_LEN];
	char plot[GW_SIM_ID_LEN];         /* "" if unbound */
	int unit;                         /* 1..247 */
	const struct gw_profile *profile; /* borrows; must outlive the sim */
	enum gw_sim_place place;
	struct gw_sim_film film; /* the plot's film: input1 = 1 and warmer soil while on */
};

struct gw_sim_bus_cfg {
	char name[GW_SIM_ID_LEN];
	enum gw_sim_transport transport;
	char link[512]; /* rtu: path where the pty slave is symlinked */
	uint32_t baud;  /* rtu: line settings a master must use (0: any) */
	char parity;    /* 'N', 'E', 'O' */
	uint8_t data_bits;
	bool echo;                           /* rtu: write each request back before the reply */
	char host[256];                      /* tcp */
	uint16_t port;                       /* tcp; 0 picks a free port */
	const struct gw_sim_unit_cfg *units; /* borrows; copied by gw_sim_add_bus */
	size_t nunits;
	/* dtu: host/port is where it dials */
	uint8_t reg[64]; /* registration packet */
	size_t reglen;
	bool reg_prefix; /* in front of every packet (else once on connect) */
	uint8_t heartbeat[64];
	size_t hblen;
	unsigned heartbeat_ms; /* 0: none */
	unsigned flaky_ms;     /* drop the connection this long after each dial, then dial again */
};

struct gw_sim_opts {
	uint64_t seed;
	double speed;     /* sim seconds per real second, > 0 */
	int64_t start_ms; /* sim wall time at start, ms since the epoch; 0: now */
};

struct gw_sim;

/* Returns owned sim (no buses yet), or NULL. */
struct gw_sim *gw_sim_new(const struct gw_sim_opts *opts);
/* Closes every transport and removes the symlinks it made. NULL is a no-op. */
void gw_sim_free(struct gw_sim *sim);

/* Opens cfg's transport (listening socket, or pty pair + symlink) and adds its
 * units. Returns 0, or -errno after logging why (e.g. -EEXIST: link is not a
 * symlink, -EADDRINUSE). */
int gw_sim_add_bus(struct gw_sim *sim, const struct gw_sim_bus_cfg *cfg);
size_t gw_sim_nbuses(const struct gw_sim *sim);
/* "bus tcp1 tcp at 127.0.0.1:1502 (8 units)". Returns 0 or -ENOSPC. */
int gw_sim_describe(const struct gw_sim *sim, size_t bus, char *buf, size_t len);
/* The port bus listens on (the real one when 0 was asked), 0 for rtu. */
uint16_t gw_sim_port(const struct gw_sim *sim, size_t bus);
/* Takes fd, a connected stream socket, as a client of tcp or rtu_tcp bus
 * (tests use a socketpair). Returns 0 or -errno (fd closed). */
int gw_sim_adopt(struct gw_sim *sim, size_t bus, int fd);

/* Loads a fault file; on success replaces the faults in force and returns how
 * many it holds. On error reports every problem as FILE:LINE:COL to d, keeps
 * the faults in force and returns -EINVAL. */
int gw_sim_load_faults(struct gw_sim *sim, const char *path, struct gw_diag *d);
/* Same from a parsed document (borrows doc). */
int gw_sim_apply_faults(struct gw_sim *sim, const struct gw_ydoc *doc, struct gw_diag *d);

/* Waits up to max_wait_ms for traffic (with sigmask in force while waiting, if
 * not NULL), serves it and fires due delayed replies. Returns 0, or -EINTR
 * when a signal arrived. */
int gw_sim_step(struct gw_sim *sim, int max_wait_ms, const sigset_t *sigmask);
/* Current simulated wall time, ms since the epoch. */
int64_t gw_sim_now(const struct gw_sim *sim);
/* The sim's clock (to share with a daemon: util/simclock.h). */
void gw_sim_clock(const struct gw_sim *sim, struct gw_simclock *out);

/* ---- building blocks (also used by the unit tests) ---------------------- */

/* Modbus CRC16 (poly 0xA001, init 0xFFFF); sent low byte first. */
uint16_t gw_sim_crc16(const uint8_t *buf, size_t len);
/* The length of the RTU request starting at buf[0] (unit, function, ...,
 * CRC), judged from the function code: > 0 the full length, 0 more bytes are
 * needed to tell, -1 unknown function (frame ends at a silence). */
int gw_sim_rtu_request_len(const uint8_t *buf, size_t len);
/* Writes unit + pdu + CRC into adu (room for GW_SIM_MAX_ADU). Returns length. */
size_t gw_sim_rtu_build(uint8_t unit, const uint8_t *pdu, size_t pdu_len, uint8_t *adu);

struct gw_sim_mbap {
	uint16_t tid;
	uint16_t proto;
	uint16_t len; /* unit + PDU bytes */
	uint8_t unit;
};
/* Parses the MBAP header of buf: > 0 the full ADU length, 0 more bytes are
 * needed, -EPROTO not Modbus (bad protocol id or length). */
int gw_sim_mbap_parse(const uint8_t *buf, size_t len, struct gw_sim_mbap *hdr);
/* Writes header (len from pdu_len) + pdu into adu. Returns length. */
size_t gw_sim_mbap_build(uint16_t tid, uint8_t unit, const uint8_t *pdu, size_t pdu_len,
                         uint8_t *adu);

/* Values: deterministic functions of (seed, sensor, plot, film, sim time). */
struct gw_sim_model {
	uint64_t seed;
	uint64_t sensor_key;
	uint64_t plot_key;
	enum gw_sim_place place;
	struct gw_sim_film film;
};
/* film NULL: never laid (copied). */
void gw_sim_model_init(struct gw_sim_model *m, uint64_t seed, const char *sensor, const char *plot,
                       enum gw_sim_place place, const struct gw_sim_film *film);
/* The value of point name (moisture_pct, temperature_c, ...) at sim_ms. A name
 * the model does not know gets range_mid. */
double gw_sim_model_value(const struct gw_sim_model *m, const char *name, int64_t sim_ms,
                          double range_mid);

enum gw_sim_fault_kind {
	GW_SIM_F_SILENT,
	GW_SIM_F_EXCEPTION,
	GW_SIM_F_SLOW,
	GW_SIM_F_CRC,
	GW_SIM_F_OUT_OF_RANGE,
	GW_SIM_F_DROP,
};

/* One line of a fault file; names a sensor, or a bus and a configured unit. */
struct gw_sim_fault {
	struct gw_src src; /* borrows the document's path */
	char sensor[GW_SIM_ID_LEN];
	char bus[GW_SIM_ID_LEN];
	int unit;
	enum gw_sim_fault_kind kind;
	uint8_t code;      /* exception */
	unsigned delay_ms; /* slow */
	bool bad;          /* the entry had errors (reported) */
};

/* The faults in force on one slave (several may combine). */
struct gw_sim_faultset {
	bool silent, crc, drop, out_of_range;
	uint8_t exception;
	unsigned delay_ms;
};

/* Parses a fault document into *out (owned, free(); NULL when empty) and *n.
 * Returns 0, or -EINVAL after reporting every error to d: then the entries
 * with errors are marked bad (the others can still be checked further), or
 * -ENOMEM (*out NULL). */
int gw_sim_faults_parse(const struct gw_ydoc *doc, struct gw_diag *d, struct gw_sim_fault **out,
                        size_t *n);
/* Adds fault f to set. */
void gw_sim_faultset_add(struct gw_sim_faultset *set, const struct gw_sim_fault *f);

/* One slave: its profile's registers, served from the model. */
struct gw_sim_reg {
	uint16_t addr;
	uint8_t kind; /* enum gw_regkind */
	int8_t point; /* index into profile points, -1 for addressing registers */
	uint8_t word; /* which word of the point */
	uint16_t val;
};

struct gw_sim_slave {
	char sensor[GW_SIM_ID_LEN];
	int unit;        /* answers to this id now (set-address changes it) */
	int config_unit; /* as configured (fault files name this one) */
	const struct gw_profile *prof;
	struct gw_sim_model model;
	struct gw_sim_faultset fault;
	size_t nregs;
	struct gw_sim_reg regs[GW_SIM_MAX_REGS];
};

/* Builds s's register image from u (borrows u->profile). baud sets the baud
 * register's initial code. Returns 0 or -E2BIG (too many registers). */
int gw_sim_slave_init(struct gw_sim_slave *s, const struct gw_sim_unit_cfg *u, uint64_t seed,
                      uint32_t baud);
/* Recomputes the model's registers for sim_ms (out of range if so faulted). */
void gw_sim_slave_refresh(struct gw_sim_slave *s, int64_t sim_ms);
/* Answers request PDU req[0..len-1] into rsp (room for GW_SIM_MAX_PDU),
 * applying the exception fault, after a refresh. Returns the response PDU
 * length (an exception response is 2 bytes). */
size_t gw_sim_pdu_answer(struct gw_sim_slave *s, int64_t sim_ms, const uint8_t *req, size_t len,
                         uint8_t *rsp);

#endif
