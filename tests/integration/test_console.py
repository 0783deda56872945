"""The technician's page in a real browser (Debian's chromium, headless, through chromedriver
and python3-selenium) against the daemon polling the simulator: the page at 390 px and 1280 px
(screenshots kept in the build's test artefacts, console/), Chinese by default and English on
the toggle, the households' villages and never an ID number or phone; a sensor made silent
shows as failing within its interval; a scan finds the simulator's units; a set-address (with
its confirmation naming the old and new id) changes the simulated unit's id and the next polls
use it; a bad candidate config shows its FILE:LINE:COL errors and changes nothing; a wrong
password, a missing or wrong CSRF token and a burst of logins are refused; the whole page is
under 100 KB; a loopback-only console listens on 127.0.0.1 and nowhere else."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

from consoletest import Client, Field, artefact_dir, browser, write
from gwtest import FIELDGATE, check, main, tmpdir, wait_for

PASSWORD = "mulch-field-2024"
SRC = os.environ.get("GW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
RECORDS = (f"records: {{households: {SRC}/config/demo/households.csv, "
           f"plots: {SRC}/config/demo/plots.csv}}")
SECRETS = ("64042419680312121X", "13909541201", "640424197509212422", "13709542233")


def listen_addrs(port):
    found = []
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(f).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if int(p, 16) == port and state == "0A":
                found.append(addr)
    return found


def sensor_text(drv, sid):
    """The sensor's card text, read in one script call (the page redraws it every second)."""
    return drv.execute_script(
        "const e = document.querySelector('#sensors [data-sensor=\"' + arguments[0] + '\"]');"
        "return e ? e.innerText : '';", sid)


def state_of(drv, sid):
    return drv.execute_script(
        "const e = document.querySelector('#sensors [data-sensor=\"' + arguments[0] + '\"]');"
        "return e ? e.dataset.state : null;", sid)


def by_id(drv, i):
    from selenium.webdriver.common.by import By
    return drv.find_element(By.ID, i)


def tab(drv, name):
    from selenium.webdriver.common.by import By
    drv.find_element(By.CSS_SELECTOR, f'.tab[data-tab="{name}"]').click()


def login(drv, f, password):
    by_id(drv, "password").send_keys(password)
    from selenium.webdriver.common.by import By
    drv.find_element(By.CSS_SELECTOR, "#login-form button").click()


def select(drv, i, value):
    from selenium.webdriver.support.ui import Select
    wait_for(lambda: value in [o.get_attribute("value") for o in Select(by_id(drv, i)).options],
             10, f"{value} in #{i}")
    Select(by_id(drv, i)).select_by_value(value)


def set_input(drv, i, value):
    e = by_id(drv, i)
    e.clear()
    e.send_keys(str(value))


def wait_job(drv, timeout=30):
    wait_for(lambda: by_id(drv, "act-status").get_attribute("class") in ("good", "err"), timeout,
             "the action's result")
    return by_id(drv, "act-status").get_attribute("class"), by_id(drv, "act-text").text


def check_api_security(f):
    c = Client(f.url)
    check(c.call("GET", "/api/health")[0] == 401, "health without a session")
    check(json.loads(c.call("GET", "/api/session")[1])["logged_in"] is False, "session")
    check(c.login("wrong-password")[0] == 401, "wrong password accepted")
    check(c.login(PASSWORD)[0] == 200, "right password refused")
    check(c.call("GET", "/api/health")[0] == 200, "health with a session")
    check(c.call("POST", "/api/scan?bus=tcp1&from=1&to=2", csrf=False)[0] == 403, "no CSRF")
    csrf, c.csrf = c.csrf, "0" * 64
    check(c.call("POST", "/api/scan?bus=tcp1&from=1&to=2")[0] == 403, "wrong CSRF")
    c.csrf = csrf
    big = "#" * (300 * 1024)
    check(c.call("POST", "/api/config/validate", big)[0] == 413, "a 300 KB body")
    jar = [k for k in c.jar]
    check(jar and jar[0].has_nonstandard_attr("HttpOnly"), "cookie not HttpOnly")
    size = sum(len(c.call("GET", p)[1].encode()) for p in ("/", "/app.js", "/app.css"))
    check(size < 100 * 1024, f"page is {size} bytes")
    print(f"page: {size} bytes")
    return c


def check_loopback_only(f):
    check(listen_addrs(f.port) == ["0100007F"], f"listening on {listen_addrs(f.port)}")
    s = socket.socket()
    s.settimeout(2)
    try:
        refused = s.connect_ex(("127.0.0.2", f.port)) != 0
    finally:
        s.close()
    check(refused, "the console answered on 127.0.0.2")


def check_health(drv, f, art):
    wait_for(lambda: state_of(drv, "s1") == "ok" and state_of(drv, "s2") == "ok", 20, "s1, s2 ok")
    text = sensor_text(drv, "s1")
    check("新民村" in text and "moisture_pct" in text and "%" in text, f"s1 card: {text}")
    check("正常" in text, f"Chinese by default: {text}")
    src = drv.page_source
    check(not any(s in src for s in SECRETS), "an ID number or phone on the page")
    chain = f.client.health()["chain"]
    check(chain["state"] == "none" and chain["open"] > 0, f"chain: {chain}")
    check("尚未封存" in by_id(drv, "summary").text, "the chain's card")
    drv.save_screenshot(os.path.join(art, "console-390.png"))
    by_id(drv, "lang").click()
    wait_for(lambda: "OK" in sensor_text(drv, "s1"), 5, "English")
    check(by_id(drv, "app").find_element("css selector", '.tab[data-tab="health"]').text ==
          "Health", "tab in English")
    by_id(drv, "lang").click()


def check_scan(drv, want):
    tab(drv, "tools")
    select(drv, "scan-bus", "tcp1")
    set_input(drv, "scan-from", 1)
    set_input(drv, "scan-to", 10)
    by_id(drv, "do-scan").click()
    cls, text = wait_job(drv)
    found = [int(li.text) for li in by_id(drv, "act-found").find_elements("css selector", "li")]
    check(found == want, f"scan found {found}, want {want}: {text}")


def check_silent(drv, f):
    tab(drv, "health")
    mark = len(f.sim.snapshot())
    write(f.faults, "faults:\n  - {sensor: s3, kind: silent}\n")
    f.sim.signal(signal.SIGHUP)
    f.sim.wait_line("sim: faults loaded", 5, mark)
    t0 = time.monotonic()
    wait_for(lambda: state_of(drv, "s3") == "failing", 10, "s3 failing on the page")
    took = time.monotonic() - t0
    print(f"silent sensor shown failing after {took:.1f} s (interval 2 s)")
    check(took <= 2 + 0.2 + 1 + 1.5, f"s3 shown failing after {took:.1f} s")


def check_set_address(drv, f, c):
    tab(drv, "tools")
    select(drv, "sa-sensor", "s2")
    set_input(drv, "sa-new", 7)
    by_id(drv, "do-sa").click()
    wait_for(lambda: by_id(drv, "sa-confirm").is_displayed(), 10, "the confirmation")
    q = by_id(drv, "sa-question").text
    check("s2" in q and "2" in q and "7" in q, f"confirmation: {q}")
    before = [s for s in c.health()["sensors"] if s["id"] == "s2"][0]["polls"]
    by_id(drv, "sa-yes").click()
    cls, text = wait_job(drv)
    check(cls == "good" and "changed" in text, f"set-address: {cls} {text}")
    wait_for(lambda: [s for s in c.health()["sensors"] if s["id"] == "s2"][0]["polls"] >= before + 3,
             15, "three more polls of s2")
    s2 = [s for s in c.health()["sensors"] if s["id"] == "s2"][0]
    check(s2["unit"] == 7 and s2["state"] == "ok" and s2["fails"] == 0, f"s2 after: {s2}")
    wait_for(lambda: "yaml 2" in sensor_text(drv, "s2"), 5, "the page naming the yaml's id")


def check_bad_config(drv, f):
    tab(drv, "config")
    with open(f.cfg, encoding="utf-8") as fh:
        good = fh.read()
    bad = good.replace("interval_s: 2}", "interval_s: 0}", 1)
    upload = write(os.path.join(f.d, "candidate.yaml"), bad)
    by_id(drv, "cfg-file").send_keys(upload)  # the upload button
    wait_for(lambda: drv.execute_script("return document.getElementById('cfg-text').value;") ==
             bad, 10, "the uploaded file in the text box")
    by_id(drv, "cfg-validate").click()
    wait_for(lambda: by_id(drv, "cfg-msgs").text, 15, "validation messages")
    msgs = by_id(drv, "cfg-msgs").text
    check(re.search(r"gateway\.yaml:\d+:\d+: error: sensors\[0\]\.interval_s", msgs), msgs)
    check(by_id(drv, "cfg-status").get_attribute("class") == "err", "status not an error")
    pid = f.run.p.pid
    by_id(drv, "cfg-apply").click()
    time.sleep(1)
    with open(f.cfg, encoding="utf-8") as fh:
        check(fh.read() == good, "the bad candidate changed the config file")
    check(f.run.p.poll() is None and f.run.p.pid == pid, "the daemon restarted")
    check("reload" not in f.run.log_text(), "a reload after a bad candidate")


def check_good_config(drv, f, c):
    """A good candidate applied (s1 every 3 s, s2 at the unit id the set-address gave it): the
    file replaced, the daemon reloaded (same PID, re-exec), the page's session still good."""
    with open(f.cfg, encoding="utf-8") as fh:
        good = fh.read().replace("interval_s: 2}", "interval_s: 3}", 1).replace(
            "{id: s2, bus: tcp1, unit: 2,", "{id: s2, bus: tcp1, unit: 7,")
    pid = f.run.p.pid
    drv.execute_script("document.getElementById('cfg-text').value = arguments[0];", good)
    by_id(drv, "cfg-apply").click()
    wait_for(lambda: by_id(drv, "cfg-status").get_attribute("class") == "good", 15, "applied")
    with open(f.cfg, encoding="utf-8") as fh:
        check(fh.read() == good, "the config file was not replaced")
    wait_for(lambda: f.run.log_text().count("technician's page on") >= 2, 30, "the reload")
    check(f.run.p.pid == pid and f.run.p.poll() is None, "not the same daemon")

    def reloaded():
        h = c.health()
        s = {x["id"]: x for x in h["sensors"]} if h else {}
        return s and s["s1"]["interval_s"] == 3 and s["s2"]["config_unit"] == 7 and \
            s["s2"]["state"] == "ok"
    wait_for(reloaded, 20, "the new config polled (same session)")
    wait_for(lambda: "站号 7 ·" in sensor_text(drv, "s2") and by_id(drv, "conn").text == "实时",
             20, "the page live again after the reload")
    check("config apply by 127.0.0.1 session" in f.run.log_text(), "apply not logged")


def check_csrf_in_browser(drv):
    st = drv.execute_async_script(
        "const done = arguments[0];"
        "fetch('/api/scan?bus=tcp1', {method: 'POST'}).then(r => done(r.status));")
    check(st == 403, f"a POST without the CSRF token: {st}")


def check_rate_limit(f):
    c = Client(f.url)
    codes = [c.login("not-it-%d" % i)[0] for i in range(6)]
    check(codes[:5] == [401] * 5 and codes[5] == 429, f"logins: {codes}")
    check(c.login(PASSWORD)[0] == 429, "the right password while rate-limited")


def check_lan_needs_password(f):
    """A console on a LAN address without its password file: check exits 2, FILE:LINE:COL."""
    lan = write(os.path.join(f.d, "lan.yaml"), open(f.cfg, encoding="utf-8").read().replace(
        "console: {", "console: {listen: 0.0.0.0, "))
    r = subprocess.run([FIELDGATE, "check", "-c", lan], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 2 and re.search(r"lan\.yaml:\d+:\d+: error: console\.listen: 0\.0\.0\.0 "
                                          r"is reachable from other machines", r.stderr),
          f"check without a password file: {r.returncode} {r.stderr}")


def test():
    art = artefact_dir("console")
    f = Field("fg-console-", extra=RECORDS)
    check_lan_needs_password(f)
    r = f.set_password(PASSWORD)
    check(r.returncode == 0 and "wrote" in r.stdout, f"passwd: {r.stdout}{r.stderr}")
    check(oct(os.stat(os.path.join(f.d, "data", "console.pass")).st_mode & 0o777) == "0o600",
          "console.pass mode")
    f.start()
    profile = tmpdir("fg-chromium-")
    drv = browser(390, 844, profile)
    if drv is None:
        f.stop()
        print("skip: chromium and chromedriver not installed (scripts/setup.sh --test)")
        return
    try:
        check_loopback_only(f)
        c = f.client = check_api_security(f)
        drv.set_script_timeout(10)
        drv.get(f.url + "/")
        wait_for(lambda: by_id(drv, "login").is_displayed(), 10, "the login form")
        login(drv, f, "wrong")
        wait_for(lambda: by_id(drv, "login-msg").text == "密码错误", 15, "wrong password said")
        login(drv, f, PASSWORD)
        wait_for(lambda: by_id(drv, "app").is_displayed(), 15, "the page after login")
        check_health(drv, f, art)
        check_scan(drv, [1, 2, 3])
        check_silent(drv, f)
        check_set_address(drv, f, c)
        check_scan(drv, [1, 7])
        check_bad_config(drv, f)
        check_good_config(drv, f, c)
        check_csrf_in_browser(drv)
        tab(drv, "health")
        drv.set_window_size(1280, 900)
        time.sleep(1.5)
        drv.save_screenshot(os.path.join(art, "console-1280.png"))
        check_rate_limit(f)
        log = f.run.log_text()
        check(re.search(r"set-address on tcp1 by 127\.0\.0\.1 session [0-9a-f]{16}: sensor s2: "
                        r"unit 2 -> 7: changed", log), "set-address not logged with who")
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)
        rc = f.stop()
    check(rc == 0, f"daemon exit {rc}")
    print(f"screenshots in {art}")


if __name__ == "__main__":
    main(test)
