"""The team container's seccomp profile refuses io_uring (issue 19.10), and ordinary programs run.

io_uring's operations are not system calls: once a ring is set up, reads, writes, opens and
connects go through shared memory where no seccomp filter looks. Docker 20.10's default profile
allows io_uring_setup; Podium's own profile (evaluator/runner/seccomp.json) does not.
"""

import json

import pytest

from evaluator.runner import DockerRunner, Limits
from evaluator.runner.lockdown import SECCOMP_PROFILE, locked_down_config

PROGRAM = r"""
import ctypes, errno, os, subprocess, threading
libc = ctypes.CDLL(None, use_errno=True)
params = ctypes.create_string_buffer(120)
for name, number in (("io_uring_setup", 425), ("io_uring_enter", 426), ("io_uring_register", 427)):
    result = libc.syscall(number, 8, params, 0, 0, 0)
    code = ctypes.get_errno()
    assert result == -1 and code in (errno.ENOSYS, errno.EPERM), (name, result, os.strerror(code))
    print(name, "refused:", os.strerror(code))
assert libc.unshare(0x10000000) == -1  # no user namespace either
found = []
thread = threading.Thread(target=found.append, args=("thread",))
thread.start(); thread.join()
child = subprocess.run(["sh", "-c", "echo child"], capture_output=True, text=True, check=True)
with open("/tmp/x", "w") as handle:
    handle.write("ok")
print("ordinary program ok:", found[0], child.stdout.strip(), open("/tmp/x").read())
"""


def test_the_lockdown_passes_podiums_profile():
    config = locked_down_config(Limits(), input_volume="in", output_volume="out")
    assert f"seccomp={SECCOMP_PROFILE}" in config["security_opt"]
    profile = json.loads(SECCOMP_PROFILE)
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO"  # an allow-list: unnamed calls fail
    allowed = {
        n
        for rule in profile["syscalls"]
        if rule["action"] == "SCMP_ACT_ALLOW"
        for n in rule["names"]
    }
    assert not allowed & {
        "io_uring_setup",
        "io_uring_enter",
        "io_uring_register",
        "unshare",
        "setns",
        "mount",
        "bpf",
        "keyctl",
    }


@pytest.mark.docker
def test_io_uring_is_refused_in_a_locked_down_container_and_ordinary_programs_run(
    docker_client, built_images
):
    runner = DockerRunner(docker_client, owner="hardening-seccomp")
    # time_probe runs the command locked down exactly as a run is, and raises unless it exits 0.
    window, _ = runner.time_probe(["python3", "-c", PROGRAM])
    assert window > 0
