#!/usr/bin/env bash
# Builds the bootable offline image of conclave (docs/image.md).
#   image/build.sh                  from the Debian mirror
#   image/build.sh --offline PREV   without network (unshare -n), from the .debs
#                                   a previous build archived in PREV/debs,
#                                   checked against PREV/manifest.txt
# Output in $IMAGE_OUT (default build/image): vmlinuz, initrd.img,
# conclave.iso, conclave.efi, manifest.txt, SHA256SUMS, build-tools.txt
# and debs/.
# Needs root (mmdebstrap --mode=root, device nodes) and scripts/bootstrap image.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
prev=
out=$(realpath -m "${IMAGE_OUT:-build/image}")
if [ "${1:-}" = --offline ]; then
	prev=$(realpath "${2:?--offline needs a previous build directory}")
	[ "$prev" != "$out" ] || { echo "image: --offline needs another IMAGE_OUT" >&2; exit 2; }
fi
suite=bookworm
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export LC_ALL=C TZ=UTC
umask 022
# The ISO's EFI FAT image gets this volume serial instead of a random one.
fat_serial=434f4e43
iso_date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S00)

log() { printf 'image: %s\n' "$*" >&2; }
t0=$(date +%s)

# A failed mmdebstrap run can leave the offline repository bind-mounted in
# the old rootfs: unmount before deleting, and never delete across mounts.
findmnt -rn -o TARGET | { grep "^$out/work/" || true; } | sort -r | xargs -r -n 1 umount
rm -rf --one-file-system "$out/work" "$out/debs"
mkdir -p "$out/work" "$out/debs"
work=$out/work donor=$work/donor root=$work/rootfs

# The appliance, compiled for the image with build paths mapped away so a
# rebuild elsewhere gives the same binary.
log "compiling conclave"
CFLAGS="-O2 -g -ffile-prefix-map=$top=." \
	make -s --no-print-directory BUILD="$out/app" "$out/app/conclave" >/dev/null

# The packages of the shared libraries conclave links, found through the
# host's dpkg database (names only: the mirror decides the versions), join
# image/packages.txt.
libpkgs=$(ldd "$out/app/conclave" | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
	while read -r lib; do
		dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null ||
			{ log "no Debian package ships $lib, which conclave links"; exit 1; }
	done | cut -d: -f1 | sort -u)
log "conclave links libraries from: $(echo $libpkgs)"
mmdebstrap_args=(
	--variant=essential --mode=root --quiet
	--include="$( (grep -v '^#' image/packages.txt; echo "$libpkgs") | sort -u | paste -sd, -)"
	--aptopt='APT::Install-Recommends "false"'
	--skip=essential/unlink
	--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
	--customize-hook="$top/image/hook-customize.sh"
)
export IMAGE_DEBS=$out/debs
if [ -z "$prev" ]; then
	log "rootfs from the mirror (mmdebstrap)"
	mmdebstrap "${mmdebstrap_args[@]}" "$suite" "$donor" \
		"deb http://deb.debian.org/debian $suite main" \
		"deb http://deb.debian.org/debian $suite-updates main" \
		"deb http://deb.debian.org/debian-security $suite-security main" \
		>"$work/mmdebstrap.log" 2>&1 || { tail -n 40 "$work/mmdebstrap.log" >&2; exit 1; }
else
	log "checking the archived .debs in $prev/debs against $prev/manifest.txt"
	repo=$work/repo
	mkdir -p "$repo/pool" "$repo/dists/$suite/main/binary-amd64"
	while read -r pkg ver arch sum file; do
		echo "$sum  $prev/debs/$file"
		cp "$prev/debs/$file" "$repo/pool/"
	done < <(grep -v '^#' "$prev/manifest.txt") | sha256sum --quiet -c -
	(cd "$repo" && apt-ftparchive packages pool >"dists/$suite/main/binary-amd64/Packages")
	apt-ftparchive -o APT::FTPArchive::Release::Suite="$suite" \
		-o APT::FTPArchive::Release::Codename="$suite" \
		-o APT::FTPArchive::Release::Components=main \
		-o APT::FTPArchive::Release::Architectures=amd64 \
		release "$repo/dists/$suite" >"$work/Release"
	mv "$work/Release" "$repo/dists/$suite/Release"
	log "rootfs offline (unshare -n mmdebstrap)"
	IMAGE_KERNEL=$(cat "$prev/debs/kernel.txt")
	export IMAGE_KERNEL
	unshare -n mmdebstrap "${mmdebstrap_args[@]}" \
		--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
		"$suite" "$donor" "deb [trusted=yes] file://$repo $suite main" \
		>"$work/mmdebstrap.log" 2>&1 || { tail -n 40 "$work/mmdebstrap.log" >&2; exit 1; }
	# The automount hook leaves the repository's (empty) mount point behind
	# in the donor, which is never shipped: see the image root below.
fi

# Manifest: every .deb used (installed packages and the kernel), with its
# version and SHA-256. apt leaves file: repository packages in place, so an
# offline build takes them from the repository it was given.
log "manifest"
kpkg=$(cat "$out/debs/kernel.txt")
[ -z "$prev" ] || cp -n "$repo"/pool/*.deb "$out/debs/"
kdeb=$(ls "$out/debs/${kpkg}_"*.deb)
{
	cat "$out/debs/installed.txt"
	echo "$kpkg $(dpkg-deb -f "$kdeb" Version) $(dpkg-deb -f "$kdeb" Architecture)"
} | while read -r pkg ver arch; do
	file=${pkg}_${ver//:/%3a}_${arch}.deb
	[ -f "$out/debs/$file" ] || { log "no .deb for $pkg $ver $arch"; exit 1; }
	[ "$(dpkg-deb -f "$out/debs/$file" Package Version Architecture | tr '\n' ' ')" = \
	    "Package: $pkg Version: $ver Architecture: $arch " ] || { log "$file is not $pkg $ver $arch"; exit 1; }
	echo "$pkg $ver $arch $(sha256sum <"$out/debs/$file" | cut -d' ' -f1) $file"
done | sort >"$work/manifest.body"
{
	echo "# package version architecture sha256 file (suite $suite, SOURCE_DATE_EPOCH $SOURCE_DATE_EPOCH)"
	cat "$work/manifest.body"
} >"$out/manifest.txt"
# Only the .debs the manifest names are archived.
for deb in "$out"/debs/*.deb; do
	grep -q " ${deb##*/}\$" "$out/manifest.txt" || rm -f "$deb"
done

# The image root is built anew from the donor rootfs mmdebstrap made: only
# the files image/files.txt names, the shared libraries their ELF files
# load, and the appliance's own files. Nothing else of the Essential set is
# shipped (no dpkg, apt, perl, bash, dash, coreutils, login, getty, charset
# converters): what is not in the image cannot be run by anyone.
log "image root from image/files.txt"
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,proc,sys,run,dev}
mkdir -m 1777 "$root/tmp"
for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
# The kernel needs /dev/console before /init mounts devtmpfs.
mknod -m 0600 "$root/dev/console" c 5 1
# keep PATH: copies PATH (a file, directory or symlink) from the donor, and
# the chain of symlinks it points through, into the image root.
keep() {
	local p=$1 t
	while [ ! -e "$root$p" ] && [ ! -L "$root$p" ]; do
		[ -e "$donor$p" ] || [ -L "$donor$p" ] || { log "$p is not in the rootfs"; exit 1; }
		mkdir -p "$root${p%/*}"
		cp -a "$donor$p" "$root$p"
		[ -L "$donor$p" ] || break
		t=$(readlink "$donor$p")
		case $t in /*) p=$t ;; *) p=${p%/*}/$t ;; esac
	done
}
# is_elf PATH: PATH in the donor, through its symlinks, is an ELF file.
is_elf() {
	local f
	f=$(chroot "$donor" readlink -e "$1") && [ -f "$donor$f" ] || return 1
	[ "$(head -c 4 "$donor$f" | od -An -c | tr -d ' ')" = '177ELF' ]
}
# ld.so --list inside the donor: the libraries an ELF file loads, by path.
libs_of() {
	chroot "$donor" /lib64/ld-linux-x86-64.so.2 --list "$1" |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}
files=$(grep -v '^#' image/files.txt)
for f in $files; do keep "$f"; done
for f in $files; do
	is_elf "$f" || continue
	for lib in $(libs_of "$f"); do keep "$lib"; done
done
# The one busybox applet run by name: sh, which /init is written in and
# which init runs an inittab line with variables through. /init names
# every other tool as busybox's; a name not here is not a command.
ln -s busybox "$root/usr/bin/sh"

# Kernel and the module allowlist with its dependencies, in load order.
log "kernel $kpkg and module allowlist"
kdir=$work/kernel
dpkg-deb -x "$out/debs/${kpkg}_"*.deb "$kdir"
kv=$(ls "$kdir/lib/modules")
depmod -b "$kdir" "$kv"
mkdir -p "$root/etc/conclave"
: >"$root/etc/conclave/modules.load"
for m in $(grep -v '^#' image/modules.txt); do
	modprobe -d "$kdir" -S "$kv" --show-depends "$m" | while read -r kind path _; do
		[ "$kind" = insmod ] || continue
		rel=${path#"$kdir/lib/modules/$kv/"}
		grep -qxF "$rel" "$root/etc/conclave/modules.load" && continue
		install -D -m 0644 "$path" "$root/lib/modules/$kv/$rel"
		echo "$rel" >>"$root/etc/conclave/modules.load"
	done
done
cp "$kdir/lib/modules/$kv"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kv/"
depmod -b "$root" "$kv"
cp "$kdir/boot/vmlinuz-$kv" "$out/vmlinuz"

# The appliance's own files.
log "appliance files"
strip -o "$root/usr/bin/conclave" "$out/app/conclave"
cp "$root/usr/bin/conclave" "$donor/usr/bin/conclave"
for lib in $(libs_of /usr/bin/conclave); do keep "$lib"; done
install -m 0755 image/rootfs/init "$root/init"
# Every program in the image finds its libraries there.
find "$root" -path "$root/usr/lib/modules" -prune -o -type f -print | sort | while read -r f; do
	[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
	if chroot "$root" /lib64/ld-linux-x86-64.so.2 --list "${f#"$root"}" 2>&1 | grep 'not found' >&2; then
		log "${f#"$root"} cannot run in the image"
		exit 1
	fi
done

log "initrd (sorted, time-normalised cpio, zstd)"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc --reproducible --quiet) |
	zstd -q -19 -T1 >"$out/initrd.img"

log "hybrid ISO (grub-mkrescue, BIOS and UEFI)"
iso=$work/iso
mkdir -p "$iso/boot/grub"
cp "$out/vmlinuz" "$out/initrd.img" "$iso/boot/"
cmdline=$(grep -v '^#' image/cmdline)
sed "s|@CMDLINE@|$cmdline|" image/grub.cfg >"$iso/boot/grub/grub.cfg"
find "$iso" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
# Only the GRUB modules grub.cfg and finding the ISO need (2 MB less);
# all_video so that under UEFI GRUB hands the firmware's graphics mode to
# the kernel (without it: "no suitable video mode", no framebuffer, and
# nothing on the screen but the serial console).
grub-mkrescue --quiet --compress=xz --fonts= --locales= --themes= \
	--install-modules="all_video linux normal echo serial terminal password_pbkdf2 iso9660 search search_fs_uuid search_label search_fs_file part_msdos part_gpt fat configfile test" \
	-o "$out/conclave.iso" "$iso" -- \
	-volume_date uuid "$iso_date" -volume_date all_file_dates "=$SOURCE_DATE_EPOCH" 2>"$work/grub-mkrescue.log" ||
	{ cat "$work/grub-mkrescue.log" >&2; exit 1; }
lba=$(xorriso -indev "$out/conclave.iso" -report_el_torito plain 2>/dev/null |
	awk '/^El Torito boot img :/ && $7 == "UEFI" { print $NF }' | head -n 1)
[ -n "$lba" ] || { log "no UEFI El Torito image in the ISO"; exit 1; }
mlabel -i "$out/conclave.iso@@$((lba * 2048))" -N "$fat_serial" ::

# The same kernel, initrd and command line as one UEFI program that can be
# signed for Secure Boot as a whole: systemd's stub with the parts as PE
# sections (systemd-stub(7)); bookworm has no ukify. The section addresses
# leave the stub below 0x20000 and 16 MiB for the kernel.
log "unified kernel image (systemd-stub)"
printf '%s' "$cmdline" >"$work/cmdline"
objcopy \
	--add-section .osrel="$root/usr/lib/os-release" --change-section-vma .osrel=0x20000 \
	--add-section .cmdline="$work/cmdline" --change-section-vma .cmdline=0x30000 \
	--add-section .linux="$out/vmlinuz" --change-section-vma .linux=0x2000000 \
	--add-section .initrd="$out/initrd.img" --change-section-vma .initrd=0x3000000 \
	/usr/lib/systemd/boot/efi/linuxx64.efi.stub "$out/conclave.efi"
python3 image/pe-timestamp.py "$out/conclave.efi" "$SOURCE_DATE_EPOCH"
chmod 0644 "$out/conclave.efi"

{
	echo "# host tools that shape the output bits"
	dpkg-query -W -f='${Package} ${Version}\n' mmdebstrap apt xorriso grub-common grub-pc-bin \
		grub-efi-amd64-bin systemd-boot-efi mtools zstd cpio kmod gcc-12 binutils libc6-dev | sort
} >"$out/build-tools.txt"
(cd "$out" && sha256sum vmlinuz initrd.img conclave.iso conclave.efi manifest.txt >SHA256SUMS)
rm -rf --one-file-system "$work"
log "done in $(($(date +%s) - t0)) s: $(du -m "$out/conclave.iso" | cut -f1) MB ISO, $(du -m "$out/initrd.img" | cut -f1) MB initrd"
cat "$out/SHA256SUMS"
