"""What a hidden split's input gives away, on real containers: each attempt gets its own order and
ids (and the same score), and a container that prints its /input shows its team none of it on
the run page, the API, the `podium` client or the e-mail; organisers read the log whole."""

import pytest
import requests
from django.core import mail
from rest_framework.authtoken.models import Token

from client.podium_client import main
from competitions.models import Run
from competitions.services.organiser import end_phase
from competitions.services.submissions import Artifact, submit
from competitions.worker.context import WorkerContext
from competitions.worker.pipeline import evaluate_run
from competitions.worker.splits import local_split
from tests.leaks import hidden_text_in

pytestmark = [pytest.mark.docker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def small_competition(with_limits):
    return with_limits(time_limit_s=60, memory_mb=256, cpus=1, output_mb=16)


@pytest.fixture
def worker(tmp_path, artifact_store):
    return WorkerContext(name="hidden-input-worker", work_dir=tmp_path / "worker")


def evaluate(team, phase, image_ref, worker) -> Run:
    run = submit(team, phase, Artifact(image_ref=image_ref)).runs.get()
    evaluate_run(run.pk, worker)
    run.refresh_from_db()
    return run


def order_seen(run: Run) -> dict[str, list[tuple[str, str]]]:
    """file -> [(id, text checksum)] of the first records the container was given (its stderr)."""
    seen: dict[str, list[tuple[str, str]]] = {}
    for line in run.logs.splitlines():
        if line.startswith("order "):
            _, name, example_id, crc = line.split(" ")
            seen.setdefault(name, []).append((example_id, crc))
    return seen


def test_two_attempts_get_their_own_order_and_ids_and_the_same_score(
    small_competition, team, worker, pushed_example
):
    phase = small_competition.phases.get(key="eval")
    image = pushed_example("echo-input")
    first, second = (evaluate(team, phase, image, worker) for _ in range(2))
    for run in (first, second):
        assert run.status == Run.Status.FINISHED, run.failure_reason
    a, b = order_seen(first), order_seen(second)
    assert a and a.keys() == b.keys()
    for name in a:
        assert not {i for i, _ in a[name]} & {i for i, _ in b[name]}, name  # fresh ids
        assert [c for _, c in a[name]] != [c for _, c in b[name]], name  # another order
    assert None not in (first.input_seed, second.input_seed)
    assert first.input_seed != second.input_seed
    # The image answers from each example's text: mapped back, the two attempts score alike.
    assert first.overall_score == second.overall_score
    rows = {(s.task, s.language, s.metric): s.value for s in first.scores.all()}
    assert rows == {(s.task, s.language, s.metric): s.value for s in second.scores.all()}
    one, two = first.statistics.example_stats(), second.statistics.example_stats()
    assert one.keys() == two.keys()
    for key in one:
        for name, values in vars(one[key]).items():
            assert (getattr(two[key], name) == values).all(), (key, name)


def what_each_sees(run: Run, member, organiser, live_server, client, capsys) -> dict[str, str]:
    """The run as its team reads it (run page, API, client) and the organisers' run page."""
    token = Token.objects.get_or_create(user=member)[0].key
    api = requests.get(
        f"{live_server.url}/api/v1/me/submissions/",
        headers={"Authorization": f"Token {token}"},
        timeout=30,
    )
    assert api.status_code == 200, api.text
    capsys.readouterr()
    assert main(["status", str(run.submission_id), "--url", live_server.url, "--token", token]) == 0
    seen = {"api": api.text, "cli": capsys.readouterr().out}
    for who, user in (("page", member), ("organiser", organiser)):
        client.force_login(user)
        page = client.get(f"/runs/{run.pk}/")
        assert page.status_code == 200
        seen[who] = page.content.decode()
    return seen


def test_a_container_printing_its_input_shows_its_team_none_of_it(
    small_competition, team, member, organiser, worker, pushed_example, live_server, client,
    capsys,
):  # fmt: skip
    phase = small_competition.phases.get(key="eval")
    printed = evaluate(team, phase, pushed_example("echo-input"), worker)
    failed = evaluate(team, phase, pushed_example("echo-input-fails"), worker)
    assert printed.status == Run.Status.FINISHED, printed.failure_reason
    assert failed.status == Run.Status.FAILED and failed.fault == Run.Fault.TEAM
    hidden = local_split(phase, worker.work_dir).input_dir
    for run in (printed, failed):
        seen = what_each_sees(run, member, organiser, live_server, client, capsys)
        assert hidden_text_in(seen["organiser"], hidden)  # the organisers read it whole
        for door in ("page", "api", "cli"):
            assert hidden_text_in(seen[door], hidden) == [], (run.pk, door)
        assert "not shown: they hold text of the hidden split" in seen["page"]
    # What is not hidden text stays readable, in the reason every door shows.
    assert "exited with code 1; last lines:" in seen["cli"] and "giving up" in seen["cli"]
    assert "giving up" in seen["api"] and "giving up" in seen["page"]
    notices = [m.body for m in mail.outbox if f"Run {failed.pk} failed" in m.subject]
    assert notices and all(hidden_text_in(body, hidden) == [] for body in notices)
    assert "giving up" in notices[0]


def test_the_final_split_s_output_waits_for_the_phase_s_end(
    small_competition, team, member, organiser, worker, pushed_example, live_server, client,
    capsys,
):  # fmt: skip
    phase = small_competition.phases.get(key="final")
    failed = evaluate(team, phase, pushed_example("echo-input-fails"), worker)
    assert failed.status == Run.Status.FAILED and failed.fault == Run.Fault.TEAM
    hidden = local_split(phase, worker.work_dir).input_dir
    seen = what_each_sees(failed, member, organiser, live_server, client, capsys)
    assert hidden_text_in(seen["organiser"], hidden) and "giving up" in seen["organiser"]
    for door in ("page", "api", "cli"):
        assert hidden_text_in(seen[door], hidden) == [], door
        assert "giving up" not in seen[door], door  # nothing of the output at all
        assert "exited with code 1 (the final split" in seen[door], door
    assert "shown once the phase has ended" in seen["page"]
    notices = [m.body for m in mail.outbox if f"Run {failed.pk} failed" in m.subject]
    assert notices and "giving up" not in notices[0]
    end_phase(phase)
    seen = what_each_sees(failed, member, organiser, live_server, client, capsys)
    for door in ("page", "api", "cli"):
        assert hidden_text_in(seen[door], hidden) == [], door
        assert "giving up" in seen[door], door  # ended: the redacted output is the team's
