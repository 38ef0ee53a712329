#!/usr/bin/env bash
# Installs what dualpath's demo and tests need on a Debian machine (as root):
# Debian packages, a Go toolchain new enough for go.mod, and the Go modules.
# Safe to run again: it installs only what is missing.
#
# It never stops, restarts or disables a service that existed before it ran
# (the user's nginx keeps serving): while apt runs, a temporary
# /usr/sbin/policy-rc.d tells the packages' maintainer scripts not to start
# or restart anything (Debian's own mechanism, see invoke-rc.d(8)); it is
# removed afterwards, even on failure, and one that was there before is put
# back as it was. It never calls systemctl: units that arrive with this
# run's installs (named.service of bind9, for instance) are not started and
# keep Debian's default. The demo and the tests start their own daemons, inside network
# namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- keeping apt from starting services --------------------------------------
POLICY=/usr/sbin/policy-rc.d
SAVED=$POLICY.dualpath-saved     # a policy-rc.d that was there before us
MARK="# dualpath scripts/deps.sh: temporary, removed when apt is done"
held=""
cleanups=()
on_exit() {
  local i
  for ((i=${#cleanups[@]}-1; i>=0; i--)); do eval "${cleanups[i]}" || true; done
}
trap on_exit EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM

# hold_services installs our policy-rc.d (once). Two runs at a time would
# take each other's file for the user's: the policy directory is locked
# (flock on the directory itself, so no lock file is left anywhere) until
# this script exits.
hold_services() {
  [ -z "$held" ] || return 0
  held=1
  exec 9<"$(dirname "$POLICY")"
  flock 9
  # A run killed with SIGKILL may have left its file (marked) and the saved
  # original: keep the saved one then; otherwise save whatever is there.
  if [ -e "$POLICY" ] && ! grep -qxF "$MARK" "$POLICY"; then
    cp -a "$POLICY" "$SAVED.new" && mv -f "$SAVED.new" "$SAVED"
  fi
  cleanups+=(release_services)
  printf '#!/bin/sh\n%s\n# Exit status 101: action forbidden (invoke-rc.d(8)).\nexit 101\n' "$MARK" >"$POLICY.new"
  chmod 755 "$POLICY.new"
  mv -f "$POLICY.new" "$POLICY"
}
release_services() {
  if [ -e "$SAVED" ]; then mv -f "$SAVED" "$POLICY"; else rm -f "$POLICY"; fi
}

# apt_get ARGS: apt-get with services held (policy-rc.d) while it runs. It
# never calls systemctl: a unit a package brings keeps Debian's default.
apt_get() {
  hold_services
  DEBIAN_FRONTEND=noninteractive apt-get "$@"
}

PKGS=(
  iproute2 iputils-ping nftables curl ca-certificates procps psmisc kmod
  nginx-light dnsmasq-base bind9 bind9-utils bind9-dnsutils
  netplan.io iperf3 tcpdump iptables ufw
  user-mode-linux ppp pppoe busybox-static libpcap0.8 gcc libc6-dev
  man-db groff-base zsh
  lintian libseccomp-dev
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps: missing Debian packages: ${missing[*]}; run this script as root" >&2
    exit 1
  fi
  echo "deps: installing ${missing[*]}" >&2
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Go: go.mod names the version we need.
need=$(awk '/^go /{print $2; exit}' go.mod)
GODIR=/usr/local/lib/dualpath-go
have_go() {  # is $1 a go command at least as new as go.mod's?
  local v
  [ -x "$1" ] || return 1
  # Outside the repo and without toolchain switching: report the binary's own version.
  v=$(cd / && GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null) || return 1
  v=${v#go}; v=${v%% *}
  [ "$(printf '%s\n%s\n' "$need" "$v" | sort -V | head -1)" = "$need" ]
}
GO=""
for g in "$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go "$GODIR/bin/go"; do
  if [ -n "$g" ] && have_go "$g"; then GO=$g; break; fi
done
if [ -z "$GO" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps: no Go $need or newer found; run this script as root to install it in $GODIR" >&2
    exit 1
  fi
  # Debian's own Go is older than go.mod; use it only to fetch the release
  # toolchain as a Go module, through the module proxy its go command is set
  # up for, then remove it again so that no old go stays on PATH.
  echo "deps: installing Go $need in $GODIR" >&2
  # The module is named by GOARCH (linux-arm, not the tarball's linux-armv6l).
  arch=$(dpkg --print-architecture)
  case $arch in i386) arch=386;; armhf|armel) arch=arm;; ppc64el) arch=ppc64le;; mips64el) arch=mips64le;; esac
  mod="golang.org/toolchain@v0.0.1-go${need}.linux-${arch}"
  installed() { dpkg-query -W -f='${db:Status-Abbrev}${Package}\n' | sed -n 's/^ii *//p' | sort; }
  before=$(installed)
  apt_get install -y -qq --no-install-recommends golang-go >/dev/null
  tmp=$(mktemp -d); cleanups+=('chmod -R u+w "$tmp"; rm -rf "$tmp"')
  # In $tmp, because Debian's go cannot parse our go.mod.
  out=$(cd "$tmp" && GO111MODULE=on GOPATH="$tmp" GOMODCACHE="$tmp/mod" GOFLAGS=-modcacherw \
    /usr/bin/go mod download -json "$mod" 2>&1) || true
  mapfile -t added < <(comm -13 <(echo "$before") <(installed))
  [ ${#added[@]} = 0 ] || apt_get purge -y -qq "${added[@]}" >/dev/null
  dir=$(sed -n 's/^\t"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$out")
  if [ -z "$dir" ] || [ ! -f "$dir/bin/go" ]; then
    err=$(sed -n 's/^\t"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$out")
    err=${err//\\\"/\"}
    echo "deps: could not download $mod: ${err:-$(tail -1 <<<"$out")}" >&2
    exit 1
  fi
  # Module files are read-only and carry no execute bits: make the copy
  # replaceable next time, and its commands runnable (as cmd/go does itself).
  rm -rf "$GODIR.new"
  cp -R "$dir" "$GODIR.new"
  chmod -R u+w,a+rX "$GODIR.new"
  chmod a+x "$GODIR.new"/bin/* "$GODIR.new"/pkg/tool/*/* "$GODIR.new"/lib/wasm/go_*_exec
  rm -rf "$GODIR" && mv "$GODIR.new" "$GODIR"
  GO=$GODIR/bin/go
  have_go "$GO" || { echo "deps: $GO does not run here; remove $GODIR and run this again" >&2; exit 1; }
  echo "deps: Go $need is in $GODIR/bin; the scripts find it through .go-path" >&2
fi
echo "$GO" > .go-path   # the other scripts read it
"$GO" mod download
