#!/usr/bin/env bash
# The boot image's recipe keeps the airgap (docs/image.md): no network tool
# among its packages, no network driver among its kernel modules, module
# loading locked by /init before any console runs, and consoles that run
# the guided ceremony itself, never a shell or a menu. The QEMU boot itself
# is make image-test.
. "$(dirname "$0")/../lib.sh"

img=$TOP/image
# Debian packages that would put a network client, server or configuration
# on the appliance.
net_pkgs='iproute2|ifupdown|isc-dhcp-client|dhcpcd5|udhcpc|net-tools|netbase|iputils-ping|openssh-(client|server)|dropbear.*|wget|curl|libcurl.*|dirmngr|gnupg|wpasupplicant|iw|wireless-tools|network-manager|systemd|systemd-resolved|netcat-.*|socat|rsync|bluez|avahi-daemon|ntp|chrony|ca-certificates'
pkgs=$(grep -v '^#' "$img/packages.txt")
check "image package list is not empty" test -n "$pkgs"
bad=$(echo "$pkgs" | grep -Ex "$net_pkgs" || true)
check "no network tool in image/packages.txt${bad:+: $bad}" test -z "$bad"

# Kernel modules: names of network, wireless and Bluetooth drivers.
net_mods='.*(net|e1000|igb|ixgb|r8169|tg3|bnx|iwl|ath|rtw|rtl|brcm|mt76|wl|80211|bluetooth|btusb|bt.*|usbnet|cdc_ether|rndis.*|ax88179.*|ppp.*|slip|can).*'
mods=$(grep -v '^#' "$img/modules.txt")
check "module allowlist has the stick's filesystems and nls_ascii" \
	sh -c "echo '$mods' | grep -qx vfat && echo '$mods' | grep -qx nls_ascii && echo '$mods' | grep -qx exfat"
bad=$(echo "$mods" | grep -Ex "$net_mods" || true)
check "no network driver in image/modules.txt${bad:+: $bad}" test -z "$bad"

# A built image: its manifest and shipped modules, when there is one.
if [ -f "$BUILD/image/manifest.txt" ]; then
	bad=$(grep -v '^#' "$BUILD/image/manifest.txt" | cut -d' ' -f1 | grep -Ex "$net_pkgs" || true)
	check "no network package in the built image's manifest${bad:+: $bad}" test -z "$bad"
fi

# /init: modules are locked after the allowlist loads and before busybox init
# starts any console; a failure to lock stops the boot.
init=$img/rootfs/init
n_load=$(grep -n 'modprobe -a' "$init" | head -n 1 | cut -d: -f1)
n_lock=$(grep -n 'echo 1 >/proc/sys/kernel/modules_disabled || fatal' "$init" | cut -d: -f1)
n_exec=$(grep -n '^exec $bb init$' "$init" | cut -d: -f1)
check "init loads modules, then locks loading (fail-closed), then starts init" \
	test -n "$n_load" -a -n "$n_lock" -a -n "$n_exec" -a "${n_load:-0}" -lt "${n_lock:-0}" -a "${n_lock:-0}" -lt "${n_exec:-0}"
check "init starts only conclave ui, on tty1 and the serial port, each once Enter is pressed there" \
	sh -c "test \"\$(grep -c '::askfirst:\$envs TERM=[a-z0-9]* [A-Z=0-9 ]*\$ui\"\$' '$init')\" = 2 &&
	    grep -qx 'ui=\"/usr/bin/conclave ui --sticks auto\"' '$init' &&
	    ! grep -q '::respawn:' '$init' &&
	    ! grep -o '::askfirst:[^\"]*' '$init' | grep -v '::askfirst:\$envs '"
check "init has no swapon" sh -c "! grep -q swapon '$init'"

# No shell program on any console: the image links no applet but sh.
check "no console script, and sh the only busybox applet linked by name" \
	sh -c "test ! -e '$img/rootfs/conclave-console' &&
	    test \"\$(grep -c 'ln -s busybox' '$img/build.sh')\" = 1 &&
	    grep -q 'ln -s busybox \"\$root/usr/bin/sh\"' '$img/build.sh'"

# The kernel command line keeps hibernation off and the lockdown on, and
# never names a root device or another init.
cmdline=$(grep -v '^#' "$img/cmdline")
for p in nohibernate lockdown=confidentiality init_on_free=1 module.sig_enforce=1; do
	check "kernel command line has $p" sh -c "echo ' $cmdline ' | grep -q ' $p '"
done
check "kernel command line has no root=/init=" sh -c "! echo ' $cmdline ' | grep -Eq ' (root|init|rdinit)='"
# The boot loader: no menu entry to edit, GRUB's command line behind a
# password, the kernel booted straight from the configuration.
grub=$img/grub.cfg
check "grub.cfg has no menu entry to edit" sh -c "! grep -Eq '^[[:space:]]*(menuentry|submenu)' '$grub'"
check "grub.cfg puts GRUB's command line behind a superuser password" \
	sh -c "grep -q '^set superusers=' '$grub' && grep -q '^password_pbkdf2 ' '$grub'"
check "grub.cfg boots the kernel itself" sh -c "grep -q '^linux /boot/vmlinuz @CMDLINE@' '$grub' && grep -qx boot '$grub'"

# Only what runs: no second shell, login, getty or interpreter in the image.
bad=$(grep -v '^#' "$img/files.txt" | grep -E '/(bash|dash|perl[^/]*|python[^/]*|login|agetty|getty|su|sudo)$' || true)
check "image/files.txt ships no shell but busybox, no login or getty${bad:+: $bad}" test -z "$bad"
check "init shell syntax" sh -n "$init"
finish
