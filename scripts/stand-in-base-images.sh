#!/usr/bin/env bash
# Local stand-ins for the public base images the Dockerfiles default to, made from Debian's
# packages (debootstrap + podman import), for a machine that reaches no container registry:
#
#   localhost/kiln-stand-in/jdk:25         Debian 13 + openjdk-25-jdk-headless   for eclipse-temurin:25-jdk-noble
#   localhost/kiln-stand-in/jre:25         Debian 13 + openjdk-25-jre-headless   for eclipse-temurin:25-jre-noble
#   localhost/kiln-stand-in/debian:trixie  Debian 13 minbase, no CUDA            for nvidia/cuda:*-cudnn-runtime-*
#
# The Java images follow the Temurin images' contract (java on the PATH, JAVA_HOME=/opt/java/openjdk,
# a default CDS archive, a UTF-8 locale); nothing else of the public images is assumed. The CAs this
# machine added to its own trust store (/usr/local/share/ca-certificates) are trusted inside as well.
# Then:
#
#   podman build --format docker --network host -f deployment/Dockerfile.jvm \
#     --build-arg BUILD_IMAGE=localhost/kiln-stand-in/jdk:25 \
#     --build-arg RUNTIME_IMAGE=localhost/kiln-stand-in/jre:25 -t kiln:jvm .
#
# Images that exist already are kept (FORCE=1 remakes them). Needs root, debootstrap, podman and
# Debian's archive (MIRROR, default http://deb.debian.org/debian). About 4 minutes the first time.
set -euo pipefail

MIRROR="${MIRROR:-http://deb.debian.org/debian}"
SUITE=trixie
PREFIX=localhost/kiln-stand-in
DEBIAN_IMAGE=$PREFIX/debian:$SUITE
JRE_IMAGE=$PREFIX/jre:25
JDK_IMAGE=$PREFIX/jdk:25

exists() { [ "${FORCE:-0}" != 1 ] && podman image exists "$1"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! exists "$DEBIAN_IMAGE"; then
  echo "debootstrap $SUITE from $MIRROR ..." >&2
  debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -30 "$work/debootstrap.log" >&2; exit 1; }
  # Certificate authorities this machine added for itself (a TLS-intercepting proxy, a company CA) are
  # trusted inside too, so Maven in the build stage reaches Central as the host does. Java's keystore
  # is made from this list when the JDK is installed below.
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$work/rootfs/usr/local/share/ca-certificates/"
    chroot "$work/rootfs" update-ca-certificates >/dev/null
  fi
  chroot "$work/rootfs" apt-get clean
  rm -rf "$work/rootfs"/var/lib/apt/lists/* "$work/rootfs"/var/log/* "$work/rootfs"/tmp/*
  # The image's own sources.list names the mirror it was made from.
  echo "deb $MIRROR $SUITE main" > "$work/rootfs/etc/apt/sources.list"
  tar -C "$work/rootfs" --numeric-owner -c . \
    | podman import --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null 2>&1
  rm -rf "$work/rootfs"
  echo "made $DEBIAN_IMAGE" >&2
fi

# java_image NAME PACKAGE: the Debian image plus one OpenJDK package, laid out like Temurin's.
java_image() {
  exists "$1" && return 0
  mkdir -p "$work/ctx"
  podman build --network host --format docker -t "$1" -f - "$work/ctx" >"$work/build.log" 2>&1 <<EOF || { tail -30 "$work/build.log" >&2; exit 1; }
FROM $DEBIAN_IMAGE
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $2 \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/* \\
 && mkdir -p /opt/java && ln -s /usr/lib/jvm/java-25-openjdk-amd64 /opt/java/openjdk \\
 && /opt/java/openjdk/bin/java -Xshare:dump >/dev/null
ENV JAVA_HOME=/opt/java/openjdk \\
    PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EOF
  echo "made $1" >&2
}
java_image "$JRE_IMAGE" openjdk-25-jre-headless
java_image "$JDK_IMAGE" openjdk-25-jdk-headless

podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep "^$PREFIX/" || true
