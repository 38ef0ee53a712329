#!/usr/bin/env bash
# Builds dualpath's release artifacts into dist/:
#   dist/dualpath-VERSION-linux-ARCH        static binaries (CGO_ENABLED=0, -trimpath)
#   dist/dualpath_DEBVERSION_DEBARCH.deb    Debian packages: binary, systemd unit,
#                                           example config (packaging/nfpm.yaml)
#   dist/SHA256SUMS
#
# usage: scripts/release.sh [TARGET...]
#   TARGET is linux/amd64, linux/386, linux/arm64 or linux/arm/7 (all by default).
# env:   VERSION   the version stamped into the binary (default: git describe)
#        DIST      the output directory (default: dist)
#        NO_DEB=1  binaries only
#
# Each .deb carries /usr/share/doc/dualpath/copyright (machine-readable:
# packaging/copyright, then the Go toolchain and every Go module compiled
# into the binary with its licence text) and changelog.gz; lintian, when
# installed, must report no errors on it.
#
# The .deb is made by nfpm (github.com/goreleaser/nfpm), fetched through the Go
# module proxy with `go run pkg@version`: go.mod is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-$(cat .go-path 2>/dev/null || command -v go)}
NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.44.1 # newer ones need modules the proxy refuses
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(linux/amd64 linux/386 linux/arm64 linux/arm/7)

# Debian versions must start with a digit and may not contain '-' in the
# upstream part when there is no revision: v1.2.3 -> 1.2.3,
# v1.2.3-rc1 -> 1.2.3~rc1 (sorts before 1.2.3), v1.2.3-4-gabc (4 commits
# after the tag) -> 1.2.3+4.gabc, 1a2b3c4 (no tag) -> 0.0.0+g1a2b3c4.
debver=${VERSION#v}
if ! [[ $debver =~ ^[0-9]+\.[0-9]+ ]]; then
  debver="0.0.0+g$debver"
elif [[ $debver =~ ^[^-]+-[0-9]+-g[0-9a-f]+ ]]; then
  debver=${debver/-/+}
else
  debver=${debver/-/\~}
fi
debver=${debver//-/.}

DIST=${DIST:-dist}
mkdir -p "$DIST"
stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT

# dep5_modules BINARY: copyright paragraphs for the Go toolchain and the Go
# modules compiled into BINARY, each with its own licence (and NOTICE) text.
indent() { sed 's/[[:space:]]*$//; s/^$/./; s/^/ /'; }
dep5_modules() {
  local goroot mod ver dir f
  goroot=$("$GO" env GOROOT)
  printf '\nFiles: go/*\nCopyright: The Go Authors\nComment: The Go standard library and runtime, %s, compiled into\n /usr/bin/dualpath.\nLicense: BSD-3-clause\n' "$("$GO" env GOVERSION)"
  indent <"$goroot/LICENSE"
  "$GO" version -m "$1" | awk '$1 == "dep" {print $2, $3}' | while read -r mod ver; do
    dir=$(cd / && GOFLAGS=-mod=mod "$GO" mod download -json "$mod@$ver" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    printf '\nFiles: %s/*\nCopyright: the authors of %s\n' "$mod" "$mod"
    f=$(ls "$dir" | grep -iE '^(licen[cs]e|copying)(\.(md|txt))?$' | head -1)
    if [ -z "$f" ]; then echo "release: $mod $ver has no licence file" >&2; exit 1; fi
    if grep -q 'Apache License' "$dir/$f" && grep -q 'Version 2.0, January 2004' "$dir/$f"; then
      echo "License: Apache-2.0"  # Debian ships that text: see the paragraph at the end
    else
      echo "License: $mod"
      indent <"$dir/$f"
    fi
    echo "Comment: Go module $mod $ver, compiled into /usr/bin/dualpath."
    for f in $(ls "$dir" | grep -iE '^notice(\.(md|txt))?$'); do
      printf ' .\n Its %s file:\n .\n' "$f"
      indent <"$dir/$f"
    done
  done
  printf '\nLicense: Apache-2.0\n On Debian systems, the complete text of the Apache License 2.0 is in\n /usr/share/common-licenses/Apache-2.0.\n'
}
# changelog: the Debian changelog of this build (one entry).
changelog() {
  local prev date
  date=$(git log -1 --format=%cD 2>/dev/null || date -R)
  prev=$(git describe --tags --abbrev=0 HEAD^ 2>/dev/null || true)
  echo "dualpath ($debver) unstable; urgency=medium"
  echo
  if [ -n "$prev" ]; then
    git log --no-merges --format=%s "$prev..HEAD" | while read -r s; do
      fold -s -w 72 <<<"$s" | sed 's/ *$//; 1s/^/  * /; 2,$s/^/    /'
    done
  else
    echo "  * Built from $VERSION (commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown))."
  fi
  echo
  echo " -- dualpath developers <dualpath@example.invalid>  $date"
}

for t in "${targets[@]}"; do
  IFS=/ read -r os arch arm <<<"$t"
  if [ "$os" != linux ]; then echo "release: $t: only linux targets are supported" >&2; exit 2; fi
  case $arch in
    amd64|386|arm64) suffix=$arch; nfpmarch=$arch; goarm= ;;
    arm) goarm=${arm:-7}; suffix=armv$goarm; nfpmarch=arm$goarm ;;
    *) echo "release: $t: unsupported architecture" >&2; exit 2 ;;
  esac
  bin=$DIST/dualpath-$VERSION-linux-$suffix
  echo "release: building $bin" >&2
  CGO_ENABLED=0 GOOS=linux GOARCH=$arch GOARM=$goarm "$GO" build -trimpath \
    -ldflags "-s -w -X main.version=$VERSION" -o "$bin" ./cmd/dualpath
  if [ -z "${NO_DEB:-}" ]; then
    echo "release: packaging $bin (.deb, $nfpmarch)" >&2
    { cat packaging/copyright; dep5_modules "$bin"; } >"$stage/copyright"
    changelog | gzip -9n >"$stage/changelog.gz"
    gzip -9n <packaging/dualpath.1 >"$stage/dualpath.1.gz"
    gzip -9n <packaging/dualpath.ja.1 >"$stage/dualpath.ja.1.gz"
    DP_VERSION=$debver DP_ARCH=$nfpmarch DP_BINARY=$bin DP_STAGE=$stage \
      "$GO" run "$NFPM" package --config packaging/nfpm.yaml --packager deb --target "$DIST/" >&2
  fi
done
# Check what was built: static binaries stamped with the version, packages
# holding the binary, the unit and the example config.
for f in "$DIST"/dualpath-"$VERSION"-linux-*; do
  if command -v file >/dev/null && ! file "$f" | grep -q 'statically linked'; then
    echo "release: $f is not statically linked" >&2; exit 1
  fi
done
native=$DIST/dualpath-$VERSION-linux-$("$GO" env GOARCH)
if [ -x "$native" ] && ! "$native" version | grep -qF "dualpath $VERSION "; then
  echo "release: $native does not report version $VERSION" >&2; exit 1
fi
if [ -z "${NO_DEB:-}" ]; then
  for d in "$DIST"/dualpath_"$debver"_*.deb; do
    list=$(dpkg-deb -c "$d")
    for want in ./usr/bin/dualpath ./lib/systemd/system/dualpath.service ./etc/dualpath/dualpath.yaml \
      ./usr/share/doc/dualpath/copyright ./usr/share/doc/dualpath/changelog.gz; do
      if ! grep -q " $want\$" <<<"$list"; then echo "release: $d lacks $want" >&2; exit 1; fi
    done
    if command -v lintian >/dev/null && ! lintian --fail-on error "$d" >&2; then
      echo "release: lintian reports errors on $d" >&2; exit 1
    fi
    echo "release: $d ok ($(dpkg-deb -f "$d" Architecture))" >&2
  done
fi
(cd "$DIST" && sha256sum dualpath-* dualpath_*.deb 2>/dev/null > SHA256SUMS || true)
ls -l "$DIST"/ >&2
