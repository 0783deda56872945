#!/usr/bin/env bash
# The layout's rules, read off the #include lines of every tracked .c and .h under util/,
# drivers/ and gateway/:
#  - a room includes headers only from itself and the rooms below it (the table below);
#  - each third-party header has exactly one includer (its owner file);
#  - a header name is unique across the rooms (includes are by bare name);
#  - no source file is longer than 600 lines and no function than 60 (STYLE.md; a function is
#    counted from its name's line to its closing brace in column 1).
# Prints each violation as FILE: includes HEADER (ROOM) and exits 1 if there was one.
set -euo pipefail
cd "$(dirname "$0")/.."

# room: the rooms it may include from (besides itself). Bottom up.
declare -A below=(
  [util]=""
  [drivers]="util"
  [sim]="drivers util"
  [config]="drivers util"
  [poll]="config drivers util"
  [store]="poll config drivers util"
  [records]="store poll config drivers util"
  [net]="poll config drivers util"
  [accept]="net records store poll config drivers util"
  [sinks]="accept net records store poll config drivers util"
  [console]="sinks accept net records store poll config drivers util"
  [daemon]="console sinks accept net records store poll config drivers util"
  [report]="accept records store poll config drivers util"
  [cli]="report daemon console sinks accept net records store poll config sim drivers util"
)
# third-party header: its one owner file
declare -A owner=(
  [modbus.h]=drivers/modbus_link.c
  [libfyaml.h]=util/yaml.c
  [sodium.h]=util/crypto.c
  [sqlite3.h]=gateway/store/journal.c
  [curl/curl.h]=gateway/net/http_curl.c
  [zlib.h]=gateway/net/influx_gzip.c
  [MQTTAsync.h]=gateway/net/mqtt_client.c
  [csv.h]=gateway/records/records_csv.c
  [iconv.h]=gateway/records/records_csv.c   # the report's GB18030 CSV converts through it
  [xlsxwriter.h]=gateway/report/report_xlsx.c
  [microhttpd.h]=gateway/net/http_server.c
)

room_of() { # path -> room
  case $1 in
  util/*) echo util ;;
  drivers/sim/*) echo sim ;;
  drivers/*) echo drivers ;;
  gateway/*/*) p=${1#gateway/}; echo "${p%%/*}" ;;
  *) echo "" ;;
  esac
}

declare -A home
bad=0
files=$(git ls-files 'util/*.[ch]' 'drivers/*.[ch]' 'gateway/*.[ch]')
for f in $files; do
  case $f in *.h)
    b=$(basename "$f")
    if [ -n "${home[$b]:-}" ]; then
      echo "$f: header name also used by ${home[$b]}"; bad=1
    fi
    home[$b]=$f ;;
  esac
  n=$(wc -l <"$f")
  if [ "$n" -gt 600 ]; then
    echo "$f: $n lines (at most 600)"; bad=1
  fi
  r=$(room_of "$f")
  if [ -z "$r" ] || [ -z "${below[$r]+x}" ]; then
    echo "$f: not in a room (gateway/ has only folders)"; bad=1
  fi
done

for f in $files; do
  r=$(room_of "$f")
  while IFS= read -r h; do
    hp=${home[$h]:-}
    [ -n "$hp" ] || { echo "$f: includes \"$h\", which is no header of the project"; bad=1; continue; }
    hr=$(room_of "$hp")
    [ "$hr" = "$r" ] && continue
    case " ${below[$r]} " in *" $hr "*) ;; *)
      echo "$f: includes $h ($hr), a room above or beside $r"; bad=1 ;;
    esac
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
  while IFS= read -r h; do
    o=${owner[$h]:-}
    if [ -n "$o" ] && [ "$o" != "$f" ]; then
      echo "$f: includes <$h>, owned by $o"; bad=1
    fi
  done < <(sed -n 's/^#include <\([^>]*\)>.*/\1/p' "$f")
done
long=$(awk '
  FNR == 1 { infn = 0; name = "" }
  /^[a-zA-Z].*\(/ && !/;$/ { name = $0; start = FNR }
  /^\{/ && name != "" { infn = 1 }
  /^\}/ && infn { if (FNR - start + 1 > 60) printf "%s:%d: function of %d lines (at most 60): %s\n", FILENAME, start, FNR - start + 1, name; infn = 0; name = "" }' $(echo "$files" | grep '\.c$'))
if [ -n "$long" ]; then
  echo "$long"; bad=1
fi
[ $bad -eq 0 ] && echo "layout: $(echo "$files" | wc -w) files, every include points down, none too long"
exit $bad
