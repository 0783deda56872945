"""Home Assistant MQTT discovery and the per-sensor metadata message against a real mosquitto:
the daemon (mqtt.homeassistant: true) over a simulated field with every profile publishes, and a
subscriber that connects afterwards receives retained: one discovery config per value, each
checked against Home Assistant's documented MQTT sensor schema (known keys only, state_topic,
unique_id with a device that has identifiers, the device classes' allowed units, state_class,
the gateway's status topic as availability), its value_template rendered by Jinja2 (Home
Assistant's template engine) on every reading that arrived on its state topic giving that
reading's value (or None for a value that is not good); and one metadata message per sensor
with its plot, township, village, profile, interval, placement and units. No message carries a
household, a name, an ID number or a phone. Without the flag: the metadata only."""
import csv
import json
import os
import re
import time

from jinja2.sandbox import ImmutableSandboxedEnvironment

from gwservers import Collector, Mosquitto
from gwtest import FIELDGATE, Proc, check, free_port, main, start_sim, tmpdir, wait_for

SRC = os.environ.get("GW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
PROFILES = os.path.join(SRC, "drivers", "profiles")

# Home Assistant, MQTT sensor (integrations/sensor.mqtt): the configuration variables.
HA_SENSOR_KEYS = {
    "availability", "availability_mode", "availability_template", "availability_topic",
    "device", "device_class", "enabled_by_default", "encoding", "entity_category",
    "entity_picture", "expire_after", "force_update", "icon", "json_attributes_template",
    "json_attributes_topic", "last_reset_value_template", "name", "object_id", "options",
    "payload_available", "payload_not_available", "platform", "qos",
    "suggested_display_precision", "state_class", "state_topic", "unique_id",
    "unit_of_measurement", "value_template"}
HA_DEVICE_KEYS = {"configuration_url", "connections", "hw_version", "identifiers",
                  "manufacturer", "model", "name", "serial_number", "suggested_area",
                  "sw_version", "via_device"}
# Home Assistant, sensor device classes (integrations/sensor): the units of those we use
# (None: the class takes no unit).
HA_CLASS_UNITS = {"temperature": {"°C", "°F", "K"}, "moisture": {"%"}, "illuminance": {"lx"},
                  "ph": {None}}
HA_STATE_CLASSES = {"measurement", "total", "total_increasing"}
ID_RE = re.compile(r"^[a-zA-Z0-9_-]+$")

SENSORS = [  # id, unit, profile, plot, placement, extra
    ("xm1-under", 1, "seeed-s-soil-mtec-02", "XM-0001", "under_film", ""),
    ("xm1-bare", 2, "dfrobot-sen0601", "XM-0001", "bare", ", deadband: 5"),
    ("xm2-npk", 3, "jxct-jxbs-3001", "XM-0002", None, ""),
    ("jh1-light", 4, "dfrobot-sen0644", "JH-0001", "under_film", ""),
    ("xm3-bare", 5, "comwintop-cwt-soil-thc-s", "XM-0003", "bare", ""),
    ("jh2-bare", 6, "renke-rs-ecth-n01", "JH-0002", "bare", ""),
    ("io-1", 7, "waveshare-modbus-rtu-io-8ch", None, None, ""),
]


def profile_points(name):
    """{point: unit} of a profile file (its register lines)."""
    pts = {}
    with open(os.path.join(PROFILES, name + ".yaml"), encoding="utf-8") as f:
        section = None
        for line in f:
            if re.match(r"^\S", line):
                section = line.split(":")[0]
            m = re.match(r"^  ([a-z_0-9]+):\s*\{(.*)\}", line)
            if m and section in ("registers", "points", "values"):
                u = re.search(r"unit:\s*(\"[^\"]*\"|[^,}\s]+)", m[2])
                pts[m[1]] = u[1].strip('"') if u else ""
    return pts


def config(d, gw, port, ha):
    lines = []
    for sid, unit, prof, plot, place, extra in SENSORS:
        s = f"  - {{id: {sid}, bus: tcp1, unit: {unit}, profile: {prof}, interval_s: 2"
        s += f", plot: {plot}" if plot else ""
        s += f", placement: {place}" if place else ""
        lines.append(s + extra + "}")
    path = os.path.join(d, f"{gw}.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""gateway: {{id: {gw}, township: 新民乡, data_dir: {d}/{gw}}}
records: {{households: {SRC}/config/demo/households.csv, plots: {SRC}/config/demo/plots.csv}}
timeouts: {{response_ms: 300, retries: 0}}
buses:
  - {{name: tcp1, type: tcp, host: 127.0.0.1, port: {port}}}
sensors:
""" + "\n".join(lines) + f"""
mqtt: {{url: "mqtt://127.0.0.1:{d and MQ_PORT[0]}", qos: 1, homeassistant: {str(ha).lower()},
       heartbeat_min: 1}}
""")
    return path


MQ_PORT = [0]


def private_strings():
    """Every household's ID number, phone and name: none may be published."""
    out = []
    with open(os.path.join(SRC, "config/demo/households.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out += [row["id_number"], row["phone"], row["name"]]
    return [s for s in out if s]


def check_ha_config(topic, cfg, status_topic, points_of):
    check(re.match(r"^homeassistant/sensor/[^/]+/[^/]+/config$", topic), topic)
    node, obj = topic.split("/")[2:4]
    check(ID_RE.match(node) and ID_RE.match(obj), f"node/object id {node}/{obj}")
    extra = set(cfg) - HA_SENSOR_KEYS
    check(not extra, f"{topic}: keys Home Assistant does not know: {extra}")
    check(isinstance(cfg.get("state_topic"), str) and cfg["state_topic"], f"{topic}: state_topic")
    check("#" not in cfg["state_topic"] and "+" not in cfg["state_topic"], cfg["state_topic"])
    check(ID_RE.match(cfg.get("unique_id", "")), f"{topic}: unique_id {cfg.get('unique_id')}")
    dev = cfg.get("device")
    check(isinstance(dev, dict) and not set(dev) - HA_DEVICE_KEYS, f"{topic}: device {dev}")
    check(dev.get("identifiers") or dev.get("connections"), f"{topic}: device without ids")
    check(cfg.get("availability_topic") == status_topic, f"{topic}: availability {cfg}")
    check(cfg.get("payload_available", "online") == "online" and
          cfg.get("payload_not_available", "offline") == "offline", cfg)
    unit, dclass = cfg.get("unit_of_measurement"), cfg.get("device_class")
    if dclass is not None:
        check(dclass in HA_CLASS_UNITS, f"{topic}: device_class {dclass}")
        check(unit in HA_CLASS_UNITS[dclass], f"{topic}: unit {unit!r} not allowed for {dclass}")
    check(cfg.get("state_class") in HA_STATE_CLASSES, f"{topic}: state_class")
    check(isinstance(cfg.get("expire_after", 1), int) and cfg.get("expire_after", 1) > 0, cfg)
    check(isinstance(cfg.get("suggested_display_precision", 0), int), cfg)
    # which point: the one the template reads, a point of the sensor's profile
    m = re.fullmatch(r"\{\{ value_json\['values'\]\['([a-z0-9_]+)'\] \}\}", cfg["value_template"])
    check(m, f"{topic}: value_template {cfg['value_template']}")
    sensor = cfg["state_topic"].rsplit("/", 1)[1]
    check(m[1] in points_of[sensor], f"{topic}: {m[1]} not a point of {sensor}")
    return sensor, m[1], unit, dclass


def render(template, payload):
    env = ImmutableSandboxedEnvironment()
    return env.from_string(template).render(value_json=json.loads(payload), value=payload)


def check_templates(configs, live):
    """Each config's template on every reading of its state topic."""
    rendered = 0
    for topic, cfg in configs.items():
        point = re.search(r"\['([a-z0-9_]+)'\] \}\}$", cfg["value_template"])[1]
        payloads = [p for t, p, _ in live if t == cfg["state_topic"]]
        check(payloads, f"{topic}: no reading arrived on {cfg['state_topic']}")
        for p in payloads:
            want = json.loads(p)["values"][point]
            got = render(cfg["value_template"], p)
            if want is None:
                check(got == "None", f"{topic}: null renders {got!r}")
            else:
                check(float(got) == float(want), f"{topic}: renders {got!r}, reading has {want}")
            rendered += 1
    return rendered


def check_meta(meta, points_of):
    by = {sid: (prof, plot, place) for sid, _, prof, plot, place, _ in SENSORS}
    check(set(meta) == set(by), f"meta for {sorted(meta)}")
    for sid, m in meta.items():
        prof, plot, place = by[sid]
        check(m["sensor"] == sid and m["profile"] == prof and m["plot"] == plot, m)
        check(m["interval_s"] == 2 and m["placement"] == place and m["bus"] == "tcp1", m)
        check({k: v["unit"] or "" for k, v in m["values"].items()} == points_of[sid], m)
        check(m["state_topic"].endswith(f"/plot/{plot or 'unbound'}/{sid}"), m)
    check(meta["xm1-under"]["township"] == "新民乡" and meta["xm1-under"]["village"] == "新民村",
          meta["xm1-under"])
    check(meta["jh1-light"]["township"] == "泾河源镇", meta["jh1-light"])
    check(meta["io-1"]["village"] is None, meta["io-1"])


def run():
    d = tmpdir("fg-hadisc-")
    mq = Mosquitto(d).start()
    MQ_PORT[0] = mq.port
    sim_port = free_port()
    cfg = config(d, "ha-gw", sim_port, True)
    points_of = {sid: profile_points(prof) for sid, _, prof, _, _, _ in SENSORS}
    n_configs = sum(len(p) for p in points_of.values())
    live = Collector(d, mq.port, "#", name="live").start()
    sim = start_sim(cfg, d)
    daemon = None
    try:
        daemon = Proc([FIELDGATE, "run", "-c", cfg], os.path.join(d, "run.log"))
        wait_for(lambda: len({t for t, _, _ in live.lines() if "/plot/" in t}) >= len(SENSORS)
                 and sum(1 for t, _, _ in live.lines() if t.endswith("/config")) >= n_configs,
                 30, "every sensor's readings and every discovery config")
        time.sleep(2.5)  # a second reading of each sensor, for the templates
        check(daemon.stop() == 0, "daemon:\n" + daemon.log_text())
        daemon = None
        # a subscriber that comes afterwards gets them retained
        late = Collector(d, mq.port, "#", name="late").start()
        status = "fieldgate/v1/ha-gw/status"
        wait_for(lambda: sum(1 for t, _, r in late.lines() if r and t.endswith("/config"))
                 >= n_configs, 15, "retained discovery configs")
        wait_for(lambda: sum(1 for t, _, r in late.lines() if r and t.endswith("/meta"))
                 >= len(SENSORS), 15, "retained metadata")
        retained = {t: p for t, p, r in late.lines() if r}
        check(retained.get(status) == "offline", f"status {retained.get(status)}")
        configs = {t: json.loads(p) for t, p in retained.items() if t.startswith("homeassistant/")}
        check(len(configs) == n_configs, f"{len(configs)} configs, want {n_configs}")
        seen = {}
        for topic, c in configs.items():
            sensor, point, unit, dclass = check_ha_config(topic, c, status, points_of)
            check((sensor, point) not in seen, f"two configs for {sensor} {point}")
            seen[(sensor, point)] = (unit, dclass)
        check(len({c["unique_id"] for c in configs.values()}) == n_configs, "unique ids repeat")
        check(seen[("xm1-under", "temperature_c")] == ("°C", "temperature"), seen)
        check(seen[("xm1-under", "moisture_pct")] == ("%", "moisture"), seen)
        check(seen[("jh1-light", "lux")] == ("lx", "illuminance"), seen)
        check(seen[("xm2-npk", "ph")] == (None, "ph"), seen)
        check(seen[("xm1-under", "ec_us_cm")] == ("µS/cm", None), seen)
        exp = {c["state_topic"].rsplit("/", 1)[1]: c["expire_after"] for c in configs.values()}
        check(exp["xm1-under"] == 6 and exp["xm1-bare"] == 62, f"expire_after {exp}")
        n = check_templates(configs, live.lines())
        print(f"ok: {n_configs} discovery configs valid, templates rendered on {n} readings")
        meta = {json.loads(p)["sensor"]: json.loads(p) for t, p in retained.items()
                if t.endswith("/meta")}
        check_meta(meta, points_of)
        print(f"ok: {len(meta)} metadata messages")
        for t, p, _ in live.lines() + late.lines():
            for s in private_strings():
                check(s not in p and s not in t, f"{t}: carries private {s!r}")
            if t.endswith("/meta") or t.endswith("/config"):
                check("hh-" not in p and "household" not in p, f"{t}: a household: {p}")
        print("ok: no ID number, phone, name or household in any message")
        late.stop()
        live.stop()
        # without the flag: metadata, no discovery
        cfg2 = config(d, "plain-gw", sim_port, False)
        plain = Collector(d, mq.port, "#", name="plain").start()
        daemon = Proc([FIELDGATE, "run", "-c", cfg2], os.path.join(d, "run2.log"))
        wait_for(lambda: sum(1 for t, _, _ in plain.lines() if t.startswith("fieldgate/v1/plain-gw/sensor/"))
                 >= len(SENSORS), 30, "metadata without discovery")
        check(daemon.stop() == 0, "daemon 2:\n" + daemon.log_text())
        daemon = None
        check(not [t for t, _, _ in plain.lines() if "plain-gw" in t and t.startswith("homeassistant/")],
              "discovery without the flag")
        plain.stop()
        print("ok: without homeassistant: metadata only")
    finally:
        if daemon:
            daemon.stop()
        sim.stop()
        mq.stop()


main(run)
