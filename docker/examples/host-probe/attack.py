"""Hostile: tries to reach the host (files, Docker socket, /proc, /sys, mount, devices, root).

Prints one `PROBE <name> blocked|OPEN <detail>` line per attempt; the test wants no OPEN.
"""

import ctypes
import os
import re
import stat


def probe(name, attempt):
    try:
        detail = attempt()
    except Exception as error:  # every refusal the kernel can give is a pass
        print(f"PROBE {name} blocked {type(error).__name__}: {error}", flush=True)
        return
    print(f"PROBE {name} OPEN {detail}", flush=True)


def read(path, size=64):
    with open(path, "rb") as handle:
        return handle.read(size)


def write(path, data=b"1"):
    with open(path, "wb") as handle:
        handle.write(data)
    return f"wrote {path}"


def docker_socket():
    for path in ("/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock"):
        if os.path.exists(path):
            return f"{path} exists"
    raise FileNotFoundError("no Docker or containerd socket")


def host_marker():
    """The test leaves a file named PODIUM_HOST_MARKER next to the input folder on the host."""
    for root, dirs, files in os.walk("/", onerror=lambda e: None):
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in ("/proc", "/sys", "/dev")]
        if any(name.startswith("PODIUM_HOST_MARKER") for name in files):
            return f"found in {root}"
    raise FileNotFoundError("marker not visible")


def pid1_is_host():
    cmdline = read("/proc/1/cmdline", 200)
    # The run's own PID namespace: pid 1 is this program, or the run's deadline keeper (the
    # platform's `sleep <seconds>`, which ends the run at its deadline).
    if b"attack.py" in cmdline or re.fullmatch(rb"sleep\x00[0-9.]+\x00", cmdline):
        raise PermissionError("pid 1 is this run's own (own pid namespace)")
    return f"pid 1 is {cmdline!r}"


def mount_tmpfs():
    libc = ctypes.CDLL(None, use_errno=True)
    os.makedirs("/tmp/m", exist_ok=True)
    if libc.mount(b"none", b"/tmp/m", b"tmpfs", 0, None) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
    return "mounted a tmpfs"


def host_block_devices():
    found = [n for n in os.listdir("/dev") if n.startswith(("sd", "nvme", "vd", "xvd", "dm-"))]
    if found:
        return f"/dev has {found}"
    raise FileNotFoundError("no disk devices in /dev")


def make_device():
    os.mknod("/tmp/mem", 0o600 | stat.S_IFCHR, os.makedev(1, 1))
    return "made a character device"


def become_root():
    os.setuid(0)
    return "setuid(0) worked"


probe("host-shadow", lambda: read("/etc/shadow"))
probe("host-marker", host_marker)
probe("docker-socket", docker_socket)
probe("proc-1-root", pid1_is_host)
probe("proc-1-root-shadow", lambda: read("/proc/1/root/etc/shadow"))
probe("sysrq-trigger", lambda: write("/proc/sysrq-trigger", b"h"))
probe("sys-write", lambda: write("/sys/kernel/mm/transparent_hugepage/enabled", b"never"))
probe("cgroup-write", lambda: write("/sys/fs/cgroup/cgroup.procs", b"1"))
probe("kcore", lambda: read("/proc/kcore"))
probe("dev-mem", lambda: read("/dev/mem"))
probe("block-devices", host_block_devices)
probe("mount", mount_tmpfs)
probe("mknod", make_device)
probe("setuid-root", become_root)
probe("root-fs-write", lambda: write("/etc/podium-was-here"))
probe("input-write", lambda: write(os.environ.get("PODIUM_INPUT", "/input") + "/manifest.json"))
print("PROBES DONE", flush=True)
