#!/bin/sh
# mmdebstrap customize hook of image/build.sh; $1 is the new root.
# Drops host files mmdebstrap copies in, fetches the kernel package through
# the same apt configuration (mirror or offline repository), and hands every
# .deb used plus the installed-package list to the build in $IMAGE_DEBS.
set -eu
root=$1
rm -f "$root/etc/resolv.conf" "$root/etc/hostname"
cache="$root/var/cache/apt/archives"
# The kernel is the one linux-image-amd64 points at, or $IMAGE_KERNEL (an
# offline rebuild, whose repository holds only the versioned package).
kpkg=${IMAGE_KERNEL:-$(APT_CONFIG="$MMDEBSTRAP_APT_CONFIG" apt-cache depends linux-image-amd64 |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)}
[ -n "$kpkg" ] || { echo "hook: no kernel package found" >&2; exit 1; }
(cd "$cache" && APT_CONFIG="$MMDEBSTRAP_APT_CONFIG" apt-get download -q "$kpkg" 2>&1 |
	grep -v 'unsandboxed' || true)
cp "$cache"/*.deb "$IMAGE_DEBS"/
chroot "$root" dpkg-query -W -f='${Package} ${Version} ${Architecture}\n' >"$IMAGE_DEBS/installed.txt"
echo "$kpkg" >"$IMAGE_DEBS/kernel.txt"
