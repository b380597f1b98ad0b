#!/usr/bin/env bash
# Follows the README's "Deployment on Debian 12" commands, as written, in a bare Debian 12 chroot,
# then checks the result through nginx over HTTPS. What a chroot cannot do is stood in for:
#   - systemctl/journalctl are shims that run a unit's ExecStart as its User with its Environment
#     (the hardening options are checked by `systemd-analyze verify` in tests/webapp/test_deploy_files.py);
#   - services do not start on install (policy-rc.d), PostgreSQL is started by hand, socket only;
#   - ports move so nothing on the host is touched: 80→18080, 443→18443, gunicorn 8000→18000.
# Usage, as root in the project: deploy/test-in-chroot.sh BASE   (BASE: a debootstrap bookworm minbase
# with python3, python3-venv, make, git, curl, ca-certificates — as ../shared/tools/fresh-debian-test builds)
set -euo pipefail
base=${1:?usage: deploy/test-in-chroot.sh BASE}
src=$(git rev-parse --show-toplevel)
R=/tmp/guidance-deploy-$$
cp -a "$base" "$R"
rm -rf "$R"/var/lib/apt/lists/* "$R"/tmp/*
cp /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt"
cp /etc/resolv.conf "$R/etc/resolv.conf"
git clone -q "$src" "$R/root/src"
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d" && chmod +x "$R/usr/sbin/policy-rc.d"

# The README's deployment block, with the trial's substitutions.
sed -n '/^## Deployment on Debian 12/,/^The first login/p' "$src/README.md" | sed -n '/^```sh/,/^```/{/^```/d;p}' |
  sed -e 's#git clone https://git.example.internal/guidance.git#git clone /root/src#' \
      -e 's#https://127.0.0.1/healthz#https://127.0.0.1:18443/healthz#' \
      -e 's#^runuser -u postgres -- createuser#start_postgresql; runuser -u postgres -- createuser#' \
      -e 's#^cd /opt/guidance \&\& make install#cd /opt/guidance \&\& move_ports \&\& make install#' > "$R/root/readme-steps.sh"

mkdir -p "$R/usr/local/sbin"
cat > "$R/usr/local/sbin/systemctl" <<'SHIM'
#!/bin/bash
# systemctl stand-in for a chroot: runs a unit's ExecStart as its User with its Environment.
run_unit() {
  local unit=/etc/systemd/system/$1 background=$2 user=root wd=/ exec= envs=()
  while IFS='=' read -r key value; do
    case "$key" in
      User) user=$value ;; WorkingDirectory) wd=$value ;; ExecStart) exec=$value ;;
      Environment) envs+=("$value") ;;
      EnvironmentFile) f=${value#-}; [ -f "$f" ] && while IFS= read -r l; do [[ "$l" =~ ^[A-Z_]+= ]] && envs+=("$l"); done < "$f" ;;
    esac
  done < <(grep -E '^(User|WorkingDirectory|ExecStart|Environment|EnvironmentFile)=' "$unit")
  mkdir -p /var/log/units
  if [ "$background" = yes ]; then
    runuser -u "$user" -- env -i PATH=/usr/bin:/bin "${envs[@]}" bash -c "cd $wd && exec $exec" >> "/var/log/units/${1%.service}.log" 2>&1 &
    for _ in $(seq 1 60); do curl -s -o /dev/null http://127.0.0.1:18000/healthz && return 0; sleep 1; done
    echo "shim: $1 did not answer"; cat "/var/log/units/${1%.service}.log"; return 1
  else
    runuser -u "$user" -- env -i PATH=/usr/bin:/bin "${envs[@]}" bash -c "cd $wd && exec $exec"
  fi
}
case "$1" in
  daemon-reload) ;;
  enable) shift; [ "$1" = --now ] && shift
          for u in "$@"; do case "$u" in *.timer) echo "shim: $u enabled (timers do not run in a chroot)" ;;
                                        *) run_unit "$u" yes ;; esac; done ;;
  start) run_unit "$2" no ;;
  reload) [ "$2" = nginx ] && { pgrep -x nginx >/dev/null && nginx -s reload || nginx; } ;;
  *) echo "shim: systemctl $* ignored" ;;
esac
SHIM
cat > "$R/usr/local/sbin/journalctl" <<'SHIM'
#!/bin/bash
# journalctl -u UNIT -o cat -n N stand-in: the unit's log written by the systemctl shim
tail -n "${@: -1}" "/var/log/units/$2.log"
SHIM
chmod +x "$R/usr/local/sbin/systemctl" "$R/usr/local/sbin/journalctl"

cat > "$R/root/trial.sh" <<'TRIAL'
set -e
start_postgresql() {
  sed -i "s/^#listen_addresses = 'localhost'/listen_addresses = ''/" /etc/postgresql/*/main/postgresql.conf
  pg_ctlcluster "$(ls /etc/postgresql)" main start
}
move_ports() {
  sed -i -e 's/listen 80;/listen 18080;/; s/listen \[::\]:80;/listen [::]:18080;/' \
         -e 's/listen 443 ssl/listen 18443 ssl/; s/listen \[::\]:443 ssl/listen [::]:18443 ssl/' \
         -e 's/server 127.0.0.1:8000;/server 127.0.0.1:18000;/' deploy/nginx-guidance.conf
  echo 'GUNICORN_BIND=127.0.0.1:18000' >> deploy/guidance.env
}
set -x
. /root/readme-steps.sh
set +x
url=https://127.0.0.1:18443
H='Host: guidance.example.internal'
check() { if eval "$2"; then echo "TRIAL OK: $1"; else echo "TRIAL FAILED: $1"; exit 1; fi; }
check "healthz 200 through nginx" "[ \$(curl -sk -o /tmp/h.json -w '%{http_code}' -H '$H' $url/healthz) = 200 ] && grep -q '\"status\": *\"ok\"' /tmp/h.json"
check "http redirects to https" "curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H '$H' http://127.0.0.1:18080/login | grep -q '^301 https://'"
check "static served by nginx" "curl -skI -H '$H' $url/static/css/app.css | grep -qi '^content-type: text/css' && ! curl -skI -H '$H' $url/static/css/app.css | grep -qi x-request-id"
check "security headers and HSTS on pages" "curl -skI -H '$H' $url/login > /tmp/h.txt && grep -qi 'content-security-policy: default-src' /tmp/h.txt && grep -qi 'strict-transport-security' /tmp/h.txt && grep -qi 'x-frame-options: DENY' /tmp/h.txt"
check "bodies over 2 MiB refused by nginx" "head -c 3000000 /dev/zero > /tmp/big && [ \$(curl -sk -o /dev/null -w '%{http_code}' -H '$H' --data-binary @/tmp/big $url/login) = 413 ]"
check "JSON access log with route" "grep -q '\"route\": \"/healthz\"' /var/log/units/guidance.log"
check "a backup was recorded" "ls /var/backups/guidance/guidance-*.dump >/dev/null && [ -f /var/lib/guidance/last-backup.json ]"
cat > /tmp/login.py <<'PY'
import http.cookiejar, re, ssl, sys, urllib.parse, urllib.request
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
class Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k): return None
opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx),
                                     urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), Stay())
base, host = "https://127.0.0.1:18443", {"Host": "guidance.example.internal"}
page = opener.open(urllib.request.Request(base + "/login", headers=host)).read().decode()
token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
form = urllib.parse.urlencode({"username": "it-admin", "password": "a-long-first-password", "csrf_token": token})
try:
    # a browser sends the Referer (Referrer-Policy: same-origin); Flask-WTF checks it on HTTPS
    opener.open(urllib.request.Request(base + "/login", data=form.encode(),
                                       headers={**host, "Referer": "https://guidance.example.internal/login"}))
except urllib.error.HTTPError as exc:
    print(exc.code, exc.headers.get("Location"))
    sys.exit(0 if exc.code == 302 and exc.headers.get("Location") == "/mfa/setup" else 1)
sys.exit(1)
PY
check "the first admin logs in and is sent to set up the second factor" "python3 /tmp/login.py"
echo TRIAL DONE
TRIAL

echo "following the README in $R (logs: /tmp/guidance-deploy-trial.log)..."
timeout -k 10 2400 unshare --pid --fork --mount --propagation private bash -c "
  mount -t proc proc $R/proc && mount --rbind /sys $R/sys && mount --rbind /dev $R/dev &&
  chroot $R /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 PIP_CERT=/etc/ssl/certs/ca-certificates.crt DEBIAN_FRONTEND=noninteractive \
    bash /root/trial.sh" > /tmp/guidance-deploy-trial.log 2>&1 || true
grep -E '^TRIAL' /tmp/guidance-deploy-trial.log || tail -n 30 /tmp/guidance-deploy-trial.log
grep -q '^TRIAL DONE' /tmp/guidance-deploy-trial.log && status=0 || status=1
grep -q " $R/" /proc/mounts || rm -rf "$R"
exit $status
