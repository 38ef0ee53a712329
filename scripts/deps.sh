#!/usr/bin/env bash
# Installs what dualpath's demo and tests need on a Debian machine (as root):
# Debian packages, a Go toolchain new enough for go.mod, and the Go modules.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
  iproute2 iputils-ping nftables curl ca-certificates procps psmisc kmod
  nginx-light dnsmasq-base bind9 bind9-utils bind9-dnsutils
  netplan.io iperf3 tcpdump
  user-mode-linux ppp pppoe busybox-static libpcap0.8 gcc
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
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian services we use are started by the tests themselves, inside
  # network namespaces; do not leave the packaged daemons running on the host.
  for s in nginx named bind9 dnsmasq; do systemctl disable --now "$s" >/dev/null 2>&1 || true; done
fi

# Go: go.mod names the version we need.
need=$(awk '/^go /{print $2; exit}' go.mod)
have_go() {
  local g=$1 v
  [ -x "$g" ] || return 1
  v=$("$g" env GOVERSION 2>/dev/null | sed 's/^go//') || return 1
  [ "$(printf '%s\n%s\n' "$need" "$v" | sort -V | head -1)" = "$need" ]
}
GO=""
for g in "$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go /usr/local/lib/dualpath-go/bin/go; do
  if [ -n "$g" ] && have_go "$g"; then GO=$g; break; fi
done
if [ -z "$GO" ]; then
  # Debian's own Go is older than go.mod; fetch the release toolchain as a Go
  # module through the module proxy that Debian's go command is set up for.
  echo "deps: installing Go $need" >&2
  apt-get install -y -qq --no-install-recommends golang-go >/dev/null
  arch=$(dpkg --print-architecture); case $arch in armhf) arch=armv6l;; i386) arch=386;; esac
  mod="golang.org/toolchain@v0.0.1-go${need}.linux-${arch}"
  tmp=$(mktemp -d)
  dir=$(GOPATH=$tmp GOFLAGS=-modcacherw /usr/bin/go mod download -json "$mod" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  rm -rf /usr/local/lib/dualpath-go && cp -a "$dir" /usr/local/lib/dualpath-go
  chmod -R u+w,a+rX /usr/local/lib/dualpath-go
  chmod a+x /usr/local/lib/dualpath-go/bin/* /usr/local/lib/dualpath-go/pkg/tool/*/*
  rm -rf "$tmp"
  GO=/usr/local/lib/dualpath-go/bin/go
fi
echo "$GO" > .go-path   # the other scripts read it
"$GO" mod download
