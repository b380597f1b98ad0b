#!/usr/bin/env bash
# Install Debian packages the project needs, if missing. Usage: scripts/system-packages.sh PKG...
# Not root or not Debian: say what to install and go on — except under CI=true, where that fails.
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
why=""
command -v apt-get >/dev/null 2>&1 || why="这不是 Debian/apt 系统 (not a Debian system)"
[ -z "$why" ] && [ "$(id -u)" -ne 0 ] && why="当前不是 root 用户 (not root)"
if [ -n "$why" ]; then
  echo "!! 跳过安装系统软件包 ${missing[*]}：$why。请手动安装 (skipping system packages: install them yourself)." >&2
  [ "${CI:-}" = "true" ] && { echo "!! CI=true: nothing may be skipped" >&2; exit 1; }
  exit 0
fi
echo ">> apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists; refresh them once per hour at most.
stamp=/var/lib/apt/lists/.guidance-updated
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +60 2>/dev/null)" ] || ! apt-cache policy "${missing[0]}" | grep -q Candidate; then
  apt-get update -qq && touch "$stamp"
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
