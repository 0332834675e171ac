#!/bin/sh
# Counts the instructions per request of tether and haproxy, user and kernel,
# where perf has no hardware counter (virtual machines without a PMU).
#
# It boots a Linux guest under QEMU's software emulator with -icount shift=0:
# the guest's clock then advances one nanosecond per instruction executed, so
# the CPU time the guest's scheduler charges a process (user, system, and the
# interrupts and softirqs that ran while it was on the CPU, as perf stat -p
# counts them) is its instruction count. Inside, `tetherbench suite
# -instructions icount` runs both proxies on the same origins, load and cookie
# configuration, and reads that time. Everything runs on the guest's one CPU,
# so req/s and latencies are those of an emulator, not of the proxies.
#
# First it calibrates: bench/icount/spin.c runs a fixed loop whose
# instructions callgrind counts on the host; the guest prints the nanoseconds
# it was charged for the same loop.
#
# Usage: bench/icount/run.sh [tetherbench suite flags, e.g. -n 20000 -users 20]
# (-syscalls also counts system calls and context switches, with perf, in a
# second pass that does not touch the instruction counts)
# Needs: qemu-system-x86, a kernel image in /boot (linux-image-amd64),
# busybox-static, haproxy, gcc and valgrind (apt-get install -y
# qemu-system-x86 linux-image-amd64 busybox-static haproxy gcc valgrind).
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
kernel=${KERNEL:-$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)}
haproxy=$(command -v haproxy || true)
busybox=$(command -v busybox || true)
for need in "$kernel:a kernel in /boot (apt-get install linux-image-amd64)" \
	"$haproxy:haproxy" "$busybox:busybox (apt-get install busybox-static)" \
	"$(command -v qemu-system-x86_64 || true):qemu-system-x86_64" \
	"$(command -v gcc || true):gcc" "$(command -v valgrind || true):valgrind"; do
	if [ -z "${need%%:*}" ]; then
		echo "icount: missing ${need#*:}" >&2
		exit 2
	fi
done
if ! file -L "$busybox" | grep -q 'statically linked'; then
	echo "icount: $busybox is not static (apt-get install busybox-static)" >&2
	exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/etc"

# Static Go binaries; haproxy with the shared libraries it links.
(cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$root/bin/" ./cmd/tether ./cmd/tetherbench)
gcc -O1 -static -o "$root/bin/spin" "$repo/bench/icount/spin.c"
valgrind --tool=callgrind --callgrind-out-file="$work/spin.cg" --toggle-collect=main \
	"$root/bin/spin" >/dev/null 2>&1
counted=$(sed -n 's/^summary: //p; s/^totals: //p' "$work/spin.cg" | head -n 1)
cp "$busybox" "$root/bin/busybox"
for a in sh mount ip poweroff cat; do ln -s busybox "$root/bin/$a"; done
# withlibs copies a dynamically linked program into the guest's /bin with
# the shared libraries it links.
withlibs() {
	cp "$1" "$root/bin/$(basename "$1")"
	ldd "$1" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
withlibs "$haproxy"
# perf counts system calls for the suite's -syscalls (linux-perf).
for a in "$@"; do
	if [ "$a" = -syscalls ]; then
		perf=$(command -v perf || true)
		if [ -z "$perf" ]; then
			echo "icount: -syscalls needs perf (apt-get install linux-perf)" >&2
			exit 2
		fi
		withlibs "$perf"
	fi
done
echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"

args=""
for a in "$@"; do args="$args '$a'"; done
cat >"$root/init" <<EOF
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tracefs tracefs /sys/kernel/tracing
ip link set lo up
cd /tmp
echo "guest: \$(cat /proc/cpuinfo | grep -m1 'model name')"
echo "calibration: a loop of $counted instructions (callgrind, host) charged \$(/bin/spin) ns here"
/bin/tetherbench suite -instructions icount -tether /bin/tether -haproxy /bin/haproxy $args
echo "icount: exit \$?"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/initrd.gz"

echo "icount: booting $kernel under QEMU -icount shift=0 (this takes minutes)" >&2
qemu-system-x86_64 -accel tcg -cpu max -icount shift=0 -smp 1 -m 2048 \
	-nographic -no-reboot -kernel "$kernel" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 quiet panic=-1 tetherbench.icount=1" </dev/null |
	tr -d '\r' | sed -n '/guest: /,/^icount: exit/{s/^.*guest: /guest: /;p;}' | tee "$work/out"
grep -q '^icount: exit 0$' "$work/out"
