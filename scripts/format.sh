#!/usr/bin/env bash
# format: formats the C sources (*.c, *.h under src include tools tests bench fuzz) with
# clang-format and the repository's .clang-format. Usage: scripts/format.sh [--check] [FILE...]
#   (no option)  rewrites the files that differ
#   --check      changes nothing; lists the files that differ and exits 1 (0: all formatted)
# Exit 2: usage error or clang-format missing. CLANG_FORMAT names the binary (default
# clang-format; the style is tuned for version 14, Debian 12's: other versions may differ).
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
case "${1:-}" in
  --check) check=1; shift ;;
  -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) echo "format: unknown option $1 (usage: scripts/format.sh [--check] [FILE...])" >&2; exit 2 ;;
esac

cf=${CLANG_FORMAT:-clang-format}
if ! command -v "$cf" >/dev/null 2>&1; then
  echo "format: $cf not found (scripts/deps.sh test installs it)" >&2
  exit 2
fi
major=$("$cf" --version | sed -n 's/.*version \([0-9][0-9]*\)\..*/\1/p')
[ "$major" = 14 ] || echo "format: warning: $cf is version ${major:-unknown}; .clang-format is tuned for 14" >&2

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find src include tools tests bench fuzz -type f -name '*.[ch]' | LC_ALL=C sort)
fi

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
differ=()
for f in "${files[@]}"; do
  [ -f "$f" ] || { echo "format: $f: no such file" >&2; exit 2; }
  case "$f" in *.c | *.h) ;; *) echo "format: $f: not a C source (.c, .h)" >&2; exit 2 ;; esac
  "$cf" --style=file "$f" >"$tmp" || { echo "format: clang-format failed on $f" >&2; exit 2; }
  cmp -s "$tmp" "$f" && continue
  differ+=("$f")
  [ "$check" = 1 ] || cp "$tmp" "$f"
done

if [ ${#differ[@]} -eq 0 ]; then
  exit 0
fi
if [ "$check" = 1 ]; then
  echo "format: ${#differ[@]} file(s) differ from .clang-format (run scripts/format.sh):"
  printf '  %s\n' "${differ[@]}"
  exit 1
fi
echo "format: reformatted ${#differ[@]} file(s)"
