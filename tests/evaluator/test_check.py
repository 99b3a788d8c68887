"""Limits a machine cannot honour are told apart from faults of the image, from `docker info`."""

from evaluator.check import HostCapacity, capacity_from_docker_info, limits_beyond_host
from evaluator.runner import Limits

GIB = 1024**3


def test_capacity_reads_cpus_memory_and_gpus_from_docker_info():
    plain = {"NCPU": 2, "MemTotal": 8 * GIB, "Runtimes": {"runc": {}}}
    assert capacity_from_docker_info(plain) == HostCapacity(cpus=2, memory_mb=8192, gpus=0)
    devices = [
        {"Source": "cdi", "ID": "nvidia.com/gpu=0"},
        {"Source": "cdi", "ID": "nvidia.com/gpu=1"},
    ]
    listed = {**plain, "DiscoveredDevices": devices}
    assert capacity_from_docker_info(listed).gpus == 2
    # the NVIDIA runtime without a device list: the count is unknown, not zero
    assert capacity_from_docker_info({**plain, "Runtimes": {"nvidia": {}}}).gpus is None


def test_each_limit_beyond_the_machine_is_named_with_what_to_pass():
    host = HostCapacity(cpus=2, memory_mb=8192, gpus=0)
    assert limits_beyond_host(Limits(cpus=2, memory_mb=8192, gpus=0), host) == []
    problems = limits_beyond_host(Limits(cpus=4, memory_mb=16384, gpus=1), host)
    assert problems == [
        "the competition gives each run 4 CPUs; this machine has 2 (add --cpus 2)",
        "the competition gives each run 16,384 MiB of memory; this machine has 8,192 MiB "
        "(add --memory-mb 4096)",
        "the competition gives each run 1 GPU(s); Docker on this machine sees 0 (install the "
        "NVIDIA container toolkit, or check on a GPU worker host)",
    ]
    unknown_gpus = HostCapacity(cpus=8, memory_mb=65536, gpus=None)
    assert limits_beyond_host(Limits(cpus=4, memory_mb=16384, gpus=1), unknown_gpus) == []
