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
#        NO_DEB=1  binaries only
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

mkdir -p dist
for t in "${targets[@]}"; do
  IFS=/ read -r os arch arm <<<"$t"
  if [ "$os" != linux ]; then echo "release: $t: only linux targets are supported" >&2; exit 2; fi
  case $arch in
    amd64|386|arm64) suffix=$arch; nfpmarch=$arch; goarm= ;;
    arm) goarm=${arm:-7}; suffix=armv$goarm; nfpmarch=arm$goarm ;;
    *) echo "release: $t: unsupported architecture" >&2; exit 2 ;;
  esac
  bin=dist/dualpath-$VERSION-linux-$suffix
  echo "release: building $bin" >&2
  CGO_ENABLED=0 GOOS=linux GOARCH=$arch GOARM=$goarm "$GO" build -trimpath \
    -ldflags "-s -w -X main.version=$VERSION" -o "$bin" ./cmd/dualpath
  if [ -z "${NO_DEB:-}" ]; then
    echo "release: packaging $bin (.deb, $nfpmarch)" >&2
    DP_VERSION=$debver DP_ARCH=$nfpmarch DP_BINARY=$bin \
      "$GO" run "$NFPM" package --config packaging/nfpm.yaml --packager deb --target dist/ >&2
  fi
done
# Check what was built: static binaries stamped with the version, packages
# holding the binary, the unit and the example config.
for f in dist/dualpath-"$VERSION"-linux-*; do
  if command -v file >/dev/null && ! file "$f" | grep -q 'statically linked'; then
    echo "release: $f is not statically linked" >&2; exit 1
  fi
done
native=dist/dualpath-$VERSION-linux-$("$GO" env GOARCH)
if [ -x "$native" ] && ! "$native" version | grep -qF "dualpath $VERSION "; then
  echo "release: $native does not report version $VERSION" >&2; exit 1
fi
if [ -z "${NO_DEB:-}" ]; then
  for d in dist/dualpath_"$debver"_*.deb; do
    list=$(dpkg-deb -c "$d")
    for want in ./usr/bin/dualpath ./usr/lib/systemd/system/dualpath.service ./etc/dualpath/dualpath.yaml; do
      if ! grep -q " $want\$" <<<"$list"; then echo "release: $d lacks $want" >&2; exit 1; fi
    done
    echo "release: $d ok ($(dpkg-deb -f "$d" Architecture))" >&2
  done
fi
(cd dist && sha256sum dualpath-* dualpath_*.deb 2>/dev/null > SHA256SUMS || true)
ls -l dist/ >&2
