"""Runner pieces that need no Docker: limits, lockdown settings, logs, timestamps, copying."""

import io
import tarfile

import pytest

from evaluator.runner import Limits, hardware_fingerprint
from evaluator.runner.lockdown import locked_down_config
from evaluator.runner.outcome import TailBuffer, coefficient_of_variation
from evaluator.runner.output_copy import OutputTooLarge, copy_output_archive
from evaluator.runner.timestamps import docker_duration_s


def test_limits_reject_nonsense():
    with pytest.raises(ValueError, match="memory_mb must be positive"):
        Limits(memory_mb=0)
    assert Limits().describe_time_limit() == "time limit of 3600 s exceeded: killed at 3600 s"
    assert (
        Limits().describe_memory_limit() == "out of memory: the container used more than 16384 MB"
    )


def test_gpu_is_requested_only_when_given(tmp_path):
    config = locked_down_config(Limits(cpus=2), input_dir=tmp_path, output_volume="v")
    assert "device_requests" not in config and config["nano_cpus"] == 2 * 10**9
    config = locked_down_config(
        Limits(cpus=2), input_dir=tmp_path, output_volume="v", gpu=3, cpuset="4-7"
    )
    (request,) = config["device_requests"]
    assert request["DeviceIDs"] == ["3"] and request["Capabilities"] == [["gpu"]]
    assert config["cpuset_cpus"] == "4-7" and "nano_cpus" not in config


def test_tail_buffer_keeps_the_end():
    buffer = TailBuffer(limit=10)
    for chunk in [b"0123456789", b"abcdef", b"XYZ"]:
        buffer.write(chunk)
    text = buffer.text()
    assert text.endswith("789abcdefXYZ"[-10:]) and "9 earlier bytes not kept" in text


def test_coefficient_of_variation():
    assert coefficient_of_variation([1.0]) is None
    assert coefficient_of_variation([2.0, 2.0, 2.0]) == 0
    assert abs(coefficient_of_variation([0.9, 1.0, 1.1]) - 0.1) < 1e-9


def test_docker_timestamps_keep_nanoseconds():
    started, finished = "2024-05-01T10:00:00.123456789Z", "2024-05-01T10:00:01.223456790Z"
    assert docker_duration_s(started, finished) == pytest.approx(1.100000001, abs=1e-9)
    assert docker_duration_s("0001-01-01T00:00:00Z", finished) is None


def archive(entries):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.SYMTYPE:
                info.linkname = payload
                tar.addfile(info)
            elif kind == tarfile.DIRTYPE:
                tar.addfile(info)
            else:
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    data = buffer.getvalue()
    return [data[i : i + 1000] for i in range(0, len(data), 1000)]


def test_copy_keeps_regular_files_and_records_links(tmp_path):
    chunks = archive(
        [
            ("output", tarfile.DIRTYPE, None),
            ("output/xnli", tarfile.DIRTYPE, None),
            ("output/xnli/test-en.tsv", tarfile.REGTYPE, b"entailment\n"),
            ("output/xnli/test-de.tsv", tarfile.SYMTYPE, "/etc/passwd"),
            ("output/../../evil", tarfile.REGTYPE, b"x"),
        ]
    )
    copied = copy_output_archive(chunks, tmp_path / "out", limit_bytes=1 << 20)
    assert (tmp_path / "out" / "xnli" / "test-en.tsv").read_text() == "entailment\n"
    assert copied.links == [("xnli/test-de.tsv", "/etc/passwd")]
    assert not (tmp_path / "out" / "xnli" / "test-de.tsv").exists()
    assert not (tmp_path / "evil").exists() and copied.files == 1


def test_copy_is_bounded(tmp_path):
    chunks = archive([("output/big", tarfile.REGTYPE, b"x" * 50_000)])
    with pytest.raises(OutputTooLarge):
        copy_output_archive(chunks, tmp_path / "out", limit_bytes=20_000)


def test_fingerprint_is_stable():
    first, second = hardware_fingerprint(), hardware_fingerprint()
    assert first["fingerprint_id"] == second["fingerprint_id"]
    assert first["cpu_cores"] >= 1 and first["cpu_model"]
    assert first["gpu_model"] in {"none", "unavailable"} or first["gpu_driver"]


@pytest.mark.docker
def test_fingerprint_names_the_docker_version(docker_client):
    info = hardware_fingerprint(docker_client)
    assert info["docker_version"] == docker_client.version()["Version"]
    assert info["fingerprint_id"] != hardware_fingerprint()["fingerprint_id"]


def test_declared_volumes_become_capped_tmpfs_owned_by_the_run():
    from evaluator.runner.lockdown import declared_volume_tmpfs

    limits = Limits(tmp_mb=32)
    mounts = declared_volume_tmpfs({"/data": {}, "/var/cache/x/": {}, "/tmp": {}}, limits)
    assert set(mounts) == {"/data", "/var/cache/x"}  # /tmp is the run's own already
    assert all("size=32m" in options and "uid=65534" in options for options in mounts.values())
    assert declared_volume_tmpfs(None, limits) == {}


@pytest.mark.parametrize(
    ("declared", "words"),
    [
        ({"/input/cache": {}}, "would cover /input"),
        ({"/output/x": {}}, "would cover /output"),
        ({"/": {}}, "the root filesystem"),
        ({"//input/cache": {}}, "would cover /input"),  # dockerd reads it as /input/cache
        ({"/tmp/../output/x": {}}, "would cover /output"),
        ({"//": {}}, "the root filesystem"),
        ({f"/v{n}": {} for n in range(17)}, "declares 17 VOLUMEs"),
    ],
)
def test_volumes_that_would_cover_the_run_are_refused(declared, words):
    from evaluator.runner.lockdown import VolumeRefused, declared_volume_tmpfs

    with pytest.raises(VolumeRefused, match=words):
        declared_volume_tmpfs(declared, Limits())


@pytest.mark.parametrize(
    ("declared", "docker_reads"),
    [
        ("//data", "/data"),
        ("/data/", "/data"),
        ("/a/../b", "/b"),
        ("///x", "/x"),
        ("/./y", "/y"),
        ("/../z", "/z"),
        ("/a//b/./c/..", "/a/b"),
        ("//", "/"),
        ("a/../..", ".."),
        ("", "."),
    ],
)
def test_volume_paths_are_cleaned_as_go_filepath_clean(declared, docker_reads):
    from evaluator.runner.lockdown import clean_path

    assert clean_path(declared) == docker_reads


def test_a_doubled_slash_volume_is_mounted_where_docker_puts_it():
    from evaluator.runner.lockdown import declared_volume_tmpfs

    assert set(declared_volume_tmpfs({"//data": {}, "/data/": {}}, Limits())) == {"/data"}
    assert declared_volume_tmpfs({"//output": {}, "//tmp": {}}, Limits()) == {}
