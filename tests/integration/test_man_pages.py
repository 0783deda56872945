"""The manual pages stay true to the binary and the config loader. fieldgate(1): every command
of `fieldgate --help` has its section, and the long options of every `fieldgate CMD --help` and
of the commands' getopt tables (gateway/cli/*.c) are exactly the ones the page names (one
missing or one the binary no longer has fails).
gateway.yaml(5): every key of the loader's key tables (gateway/config/*.c) and every section
appears in bold (a section: in a SECTION heading). Both pages format without a warning from man/groff (as lintian checks them)."""
import glob
import os
import re
import shlex
import subprocess

from gwtest import FIELDGATE, check, main

SRC = os.environ.get("GW_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MAN = os.path.join(SRC, "packaging", "man")


def help_text(*args):
    p = subprocess.run([FIELDGATE, *args, "--help"], capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, f"fieldgate {' '.join(args)} --help: exit {p.returncode}")
    return p.stdout


def roff_text(path):
    with open(path, encoding="utf-8") as f:
        return [l for l in f.read().split("\n") if not l.startswith('.\\"')]


def bold_words(lines):
    """Words set in bold: .B (all), .BR/.BI (odd arguments), .RB/.IB (even), \\fB...\\f."""
    out = set()
    for line in lines:
        for m in re.finditer(r"\\fB(.*?)\\f", line):
            out.update(re.split(r"[\s,]+", m.group(1)))
        m = re.match(r"\.(B|BR|BI|RB|IB)\s+(.*)", line)
        if not m:
            continue
        try:
            args = shlex.split(m.group(2).replace("\\", "\\\\"))
        except ValueError:
            args = m.group(2).split()
        first = 0 if m.group(1) in ("B", "BR", "BI") else 1
        step = 1 if m.group(1) == "B" else 2
        for a in args[first::step]:
            out.update(re.split(r"[\s,]+", a))
    return {w.replace("\\\\-", "-").replace("\\-", "-") for w in out if w}


def long_options(text):
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text))


def config_keys():
    keys = set()
    for path in glob.glob(os.path.join(SRC, "gateway", "config", "*.c")):
        with open(path, encoding="utf-8") as f:
            src = f.read()
        keys |= set(re.findall(r"\b(?:GW_KEY_(?!SECRET)[A-Z]+\(struct \w+,\s*|[A-Z]_[A-Z]+\()"
                               r"\"([a-z_0-9]+)\"", src))
        table = re.search(r"struct section sections\[\] = \{(.*?)\};", src, re.S)
        if table:
            keys |= set(re.findall(r"\{\"([a-z_]+)\", (?:true|false)", table.group(1)))
    return keys


def man_warnings(path):
    env = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
    p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", path],
                       capture_output=True, text=True, env=env, timeout=60)
    return p.returncode, p.stderr.strip()


def test():
    page1 = roff_text(os.path.join(MAN, "fieldgate.1"))
    text1 = "\n".join(page1).replace("\\-", "-")
    top = help_text()
    commands = re.findall(r"^  ([a-z][a-z-]+)\s{2,}", top, re.M)
    check(len(commands) >= 9, f"commands in --help: {commands}")
    for c in commands:
        check(re.search(rf'^\.SS "fieldgate {re.escape(c)}\b', text1, re.M),
              f"fieldgate(1) has no section for `{c}`")
    in_help = long_options(top)
    for c in commands:
        opts = long_options(help_text(c))
        missing = sorted(opts - long_options(text1))
        check(not missing, f"fieldgate(1) lacks {c}'s options {missing}")
        in_help |= opts
    # and every long option the commands' getopt tables accept (a --help may lag behind)
    for path in glob.glob(os.path.join(SRC, "gateway", "cli", "*.c")):
        with open(path, encoding="utf-8") as f:
            accepted = {"--" + o for o in re.findall(
                r'\{"([a-z][a-z0-9-]*)", (?:no|required|optional)_argument', f.read())}
        missing = sorted(accepted - long_options(text1))
        check(not missing, f"fieldgate(1) lacks options of {os.path.basename(path)}: {missing}")
        in_help |= accepted
    named = long_options(text1.split(".SH EXAMPLES")[0])  # examples run other programs too
    stale = sorted(named - in_help - {"--help", "--version"})
    check(not stale, f"fieldgate(1) names options no command has: {stale}")
    print(f"fieldgate(1): {len(commands)} commands, {len(in_help)} long options")

    page5 = roff_text(os.path.join(MAN, "gateway.yaml.5"))
    bold5 = bold_words(page5)  # and each section has its heading
    bold5 |= {m.group(1) for l in page5 for m in [re.match(r'\.SH "SECTION (\w+)', l)] if m}
    keys = config_keys()
    check(len(keys) > 100 and "password_credential" in keys and "gateway" in keys,
          f"config keys found: {sorted(keys)}")
    missing = sorted(keys - bold5)
    check(not missing, f"gateway.yaml(5) does not name these keys in bold: {missing}")
    print(f"gateway.yaml(5): all {len(keys)} keys and sections")

    if subprocess.run(["sh", "-c", "command -v man"], capture_output=True).returncode == 0:
        for page in ("fieldgate.1", "gateway.yaml.5"):
            rc, err = man_warnings(os.path.join(MAN, page))
            check(rc == 0 and not err, f"{page}: man --warnings: exit {rc}: {err}")
        print("man --warnings: clean")


if __name__ == "__main__":
    main(test)
