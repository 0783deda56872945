"""A reload after the binary was replaced runs the new binary. The daemon is started from a copy
of the binary in a temp dir (as /usr/bin/fieldgate); a package upgrade is played by renaming a
new copy over it, as dpkg does, which leaves the running image deleted. SIGHUP then re-executes
the file now at that path: same PID, READY=1 again, /proc/PID/exe names the new file (its inode),
not "PATH (deleted)", the log says so, and the sensors are polled again. A reload with the binary
unchanged still re-executes the running image."""
import os
import shutil
import signal
import time

from gwtest import FIELDGATE, Proc, check, free_port, main, start_sim, tmpdir, wait_for
from test_service import Notifications, config, sensors_since, write


def exe_of(pid):
    return os.readlink(f"/proc/{pid}/exe")


def test():
    d = tmpdir("fg-upgrade-")
    src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    bindir = os.path.join(d, "bin")
    os.mkdir(bindir)
    binary = os.path.join(bindir, "fieldgate")
    shutil.copy2(FIELDGATE, binary)
    port = free_port()
    cfg = os.path.join(d, "gateway.yaml")
    write(cfg, config(d, port, [("a", 1), ("b", 2)]))
    sim = start_sim(cfg, d, "--tcp", f"127.0.0.1:{port}")
    note = Notifications(os.path.join(d, "notify"))
    env = dict(os.environ, NOTIFY_SOCKET=os.path.join(d, "notify"),
               FIELDGATE_PROFILES=os.path.join(src, "drivers", "profiles"))
    env.pop("JOURNAL_STREAM", None)
    daemon = None
    try:
        daemon = Proc([binary, "run", "-c", cfg, "--output", "stdout"], os.path.join(d, "run.log"),
                      env=env)
        pid = daemon.p.pid
        note.wait("READY=1")
        check(exe_of(pid) == binary, f"started from {exe_of(pid)}")

        # A reload with the binary unchanged: the running image, no "replaced" notice.
        t0 = time.monotonic()
        daemon.signal(signal.SIGHUP)
        note.wait("READY=1", note.wait("RELOADING=1", t0)[0])
        check(exe_of(pid) == binary and "was replaced" not in daemon.log_text(),
              f"plain reload: exe {exe_of(pid)}, log {daemon.log_text()[-400:]}")

        # The upgrade: a new file renamed over the old one; the running image is deleted.
        shutil.copy2(FIELDGATE, binary + ".dpkg-new")
        os.replace(binary + ".dpkg-new", binary)
        new_ino = os.stat(binary).st_ino
        check(exe_of(pid) == binary + " (deleted)", f"after the rename: {exe_of(pid)}")
        t_hup = time.monotonic()
        daemon.signal(signal.SIGHUP)
        t_rel = note.wait("RELOADING=1", t_hup)[0]
        t_ready, sender, _ = note.wait("READY=1", t_rel)
        check(sender == pid and daemon.p.poll() is None, f"READY=1 from {sender}, not {pid}")
        check(exe_of(pid) == binary, f"after the reload the daemon runs {exe_of(pid)}")
        check(os.stat(f"/proc/{pid}/exe").st_ino == new_ino, "not the new file's inode")
        log = daemon.log_text()
        check(f"the binary was replaced since the start: executing the new {binary}" in log,
              f"the new binary not logged: {log[-600:]}")
        wait_for(lambda: sensors_since(daemon, t_ready) == {"a", "b"}, 10, "a and b polled again")
        print(f"reload after an upgrade: RELOADING=1 -> READY=1 in {t_ready - t_rel:.2f}s, "
              f"same pid, the new binary")
        check(daemon.stop(10) == 0, "SIGTERM after the reload")
        daemon = None
    finally:
        if daemon:
            daemon.stop(5)
        sim.stop(5)
        note.close()
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main(test)
