"""The worker's image cache against a real engine: least recently used go first within the
budget, an image a container uses is never removed, and a restarted worker trusts only the
tags Docker still holds with the recorded image."""

import hashlib
import io
import tarfile
import uuid

import docker
import pytest

from evaluator.runner.artifacts import load_image_archive
from evaluator.runner.image_cache import ImageCache
from evaluator.runner.leftovers import remove_leftovers
from tests.archives import write_archive

pytestmark = pytest.mark.docker


def tiny_archive(path, text: str):
    """A one-layer image of its own (the layer holds `text`): its archive's path and sha256."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as layer:
        data = text.encode()
        info = tarfile.TarInfo("app/which.txt")
        info.size = len(data)
        layer.addfile(info, io.BytesIO(data))
    write_archive(path, layer=buffer.getvalue())
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def owner(docker_client):
    owner = f"cache-test-{uuid.uuid4().hex[:10]}"
    yield owner
    remove_leftovers(docker_client, owner=owner)


def load(cache, client, tmp_path, label: str) -> str:
    """Load an image of its own into the cache as the executor does; its archive digest."""
    path, digest = tiny_archive(tmp_path / f"{label}.tar", uuid.uuid4().hex)
    cache.add(digest, load_image_archive(client, path, name=cache.tag(digest)))
    return digest


def test_a_third_image_evicts_the_least_recently_used(docker_client, owner, tmp_path):
    cache = ImageCache(docker_client, owner, tmp_path / "record.json", budget_bytes=0)
    first = load(cache, docker_client, tmp_path, "first")
    second = load(cache, docker_client, tmp_path, "second")
    sizes = {e.size_bytes for e in cache.entries().values()}
    assert len(sizes) == 1 and sizes.pop() > 0  # same-sized images: the budget holds two
    cache.budget_bytes = sum(e.size_bytes for e in cache.entries().values())
    assert cache.trim() == []
    assert cache.get(first)  # used again: now the second is the least recently used
    third = load(cache, docker_client, tmp_path, "third")
    assert cache.trim() == [second]
    assert set(cache.entries()) == {first, third}
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(cache.tag(second))
    assert cache.get(second) is None
    assert cache.get(first) and cache.get(third)


def test_an_image_a_container_uses_is_never_evicted(docker_client, owner, tmp_path):
    cache = ImageCache(docker_client, owner, tmp_path / "record.json", budget_bytes=0)
    busy = load(cache, docker_client, tmp_path, "busy")
    idle = load(cache, docker_client, tmp_path, "idle")
    container = docker_client.containers.create(cache.entries()[busy].image_id)
    try:
        assert cache.trim() == [idle]
        assert set(cache.entries()) == {busy}
        assert docker_client.images.get(cache.tag(busy))
    finally:
        container.remove(force=True)
    assert cache.trim() == [busy] and cache.entries() == {}


def test_a_restarted_worker_keeps_only_what_docker_still_holds(docker_client, owner, tmp_path):
    record = tmp_path / "record.json"
    cache = ImageCache(docker_client, owner, record, budget_bytes=10**9)
    kept = load(cache, docker_client, tmp_path, "kept")
    moved = load(cache, docker_client, tmp_path, "moved")
    gone = load(cache, docker_client, tmp_path, "gone")
    # While the worker was down: one tag re-pointed at another image, one removed, and a tag
    # the record never held (a load that died before it was recorded).
    repository, tag = cache.tag(moved).rsplit(":", 1)
    docker_client.api.tag(cache.entries()[kept].image_id, repository, tag, force=True)
    docker_client.images.remove(cache.tag(gone))
    _, stray = tiny_archive(tmp_path / "stray.tar", f"stray-{uuid.uuid4().hex}")
    load_image_archive(docker_client, tmp_path / "stray.tar", name=cache.tag(stray))

    restarted = ImageCache(docker_client, owner, record, budget_bytes=10**9)
    keep = frozenset(restarted.valid_tags())
    assert keep == {restarted.tag(kept)}
    remove_leftovers(docker_client, owner=owner, keep=keep)
    assert set(restarted.entries()) == {kept}
    assert restarted.get(kept) == cache.entries()[kept].image_id
    for digest in (moved, gone, stray):
        assert restarted.get(digest) is None
        with pytest.raises(docker.errors.ImageNotFound):
            docker_client.images.get(restarted.tag(digest))


def test_a_torn_record_trusts_nothing(docker_client, owner, tmp_path):
    record = tmp_path / "record.json"
    cache = ImageCache(docker_client, owner, record, budget_bytes=10**9)
    digest = load(cache, docker_client, tmp_path, "torn")
    record.write_text(record.read_text()[:-5])
    assert ImageCache(docker_client, owner, record, 10**9).get(digest) is None
