"""The team client `podium`: submit, follow, cancel and list over Podium's REST API (/api/v1/).

    podium submit --url https://podium.example --token T --competition xf \
        --phase eval image.tar --description "distilled mBERT" --wait
    podium status 42 [--wait]         podium cancel 42
    podium debug --competition xf image.tar --wait   (public sample, no attempt, whole log)
    podium competitions               podium submissions --competition xf
    podium leaderboard --competition xf --phase eval

--url and --token default to $PODIUM_URL and $PODIUM_TOKEN; a token is created on the site's team
page. `pip install ./client` installs the `podium` command; `python -m client` runs it in place.
With --wait the exit code is 3 when the run failed or was cancelled.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import requests
from tqdm import tqdm

from .checking import check_line, follow_check
from .upload import multipart_body

DONE = {"finished", "failed", "cancelled"}
RUN_NOT_FINISHED = 3  # exit code of --wait when the run ended failed or cancelled


class ClientError(Exception):
    """Something the user can fix; printed without a traceback."""


class Podium:
    def __init__(self, url: str, token: str = "", timeout: float = 30.0):
        if not url:
            raise ClientError("give the site's address with --url or $PODIUM_URL")
        self.url, self.timeout = url.rstrip("/"), timeout
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Token {token}"

    def _answer(self, response: requests.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            body = {"detail": response.text[:500]}
        if response.status_code >= 400:
            detail = body.get("detail") if isinstance(body, dict) else None
            message = f"the server refused ({response.status_code}): {detail or body}"
            if response.status_code == 401:
                message += (
                    f"\nCreate an API token on your team page, {self.url}/team/ (it is shown "
                    "once), and pass it with --token or $PODIUM_TOKEN."
                )
            raise ClientError(message)
        return body

    def _get(self, path: str, **params) -> dict:
        try:
            response = self.session.get(
                f"{self.url}/api/v1/{path}", params=params or None, timeout=self.timeout
            )
        except requests.RequestException as error:
            raise ClientError(f"could not reach {self.url}: {error}") from error
        return self._answer(response)

    def submit(
        self,
        competition: str,
        phase: str,
        *,
        image: Path | None = None,
        image_ref: str = "",
        code: Path | None = None,
        description: str = "",
        training_gpu_hours: float | None = None,
        progress: bool = True,
    ) -> dict:
        fields = {"description": description}
        if image_ref:
            fields["image_ref"] = image_ref
        if training_gpu_hours is not None:
            fields["training_gpu_hours"] = str(training_gpu_hours)
        return self._upload(
            f"competitions/{competition}/phases/{phase}/submissions/",
            fields,
            {"image": image, "code": code},
            progress,
        )

    def debug(
        self,
        competition: str,
        *,
        image: Path | None = None,
        image_ref: str = "",
        submission: int | None = None,
        progress: bool = True,
    ) -> dict:
        """Start a debug run on the public sample (no attempt used, on no board)."""
        fields = {"image_ref": image_ref} if image_ref else {}
        if submission is not None:
            fields["submission"] = str(submission)
        return self._upload(
            f"competitions/{competition}/debug-runs/", fields, {"image": image}, progress
        )

    def debug_status(self, debug_run_id: int) -> dict:
        return self._get(f"debug-runs/{debug_run_id}/")

    def _upload(self, path: str, fields: dict, paths: dict, progress: bool) -> dict:
        files = {}
        for name, file in paths.items():
            if file is not None:
                if not Path(file).is_file():
                    raise ClientError(f"{file}: no such file")
                files[name] = Path(file)
        bar = tqdm(total=0, unit="B", unit_scale=True, unit_divisor=1024, disable=not progress)
        bar.set_description("uploading")

        def advance(sent: int, total: int) -> None:
            bar.total = total
            bar.update(sent - bar.n)

        try:
            with multipart_body(fields, files, on_progress=advance) as body:
                response = self.session.post(
                    f"{self.url}/api/v1/{path}",
                    data=body,
                    headers={"Content-Type": body.content_type},
                    timeout=(self.timeout, None),  # the upload itself may take long
                )
        except requests.RequestException as error:
            raise ClientError(f"could not reach {self.url}: {error}") from error
        finally:
            bar.close()
        return self._answer(response)

    def status(self, submission_id: int) -> dict:
        return self._get(f"submissions/{submission_id}/")

    def leaderboard(self, competition: str, phase: str) -> dict:
        return self._get(f"competitions/{competition}/leaderboard/", phase=phase)

    def competitions(self) -> list:
        return self._get("competitions/")

    def my_submissions(self, competition: str = "", phase: str = "") -> dict:
        filters = {k: v for k, v in (("competition", competition), ("phase", phase)) if v}
        return self._get("me/submissions/", **filters)

    def cancel(self, submission_id: int) -> dict:
        try:
            response = self.session.post(
                f"{self.url}/api/v1/submissions/{submission_id}/cancel/", timeout=self.timeout
            )
        except requests.RequestException as error:
            raise ClientError(f"could not reach {self.url}: {error}") from error
        return self._answer(response)


def format_status(body: dict) -> str:
    run = body.get("run") or {}
    lines = [
        f"submission {body['id']}: {body['team']}, {body['competition']}/{body['phase']}, "
        f"attempt {body['attempt_number']}",
        f"status: {body['status']}",
    ]
    lines += filter(None, [check_line(run)])  # while the archive is checked: how far
    if run.get("failure_reason"):
        lines.append(f"reason: {run['failure_reason']}")
    if run.get("runtime_s") is not None:
        lines.append(f"runtime: {run['runtime_s']:.2f} s")
    if run.get("scores_hidden"):
        lines.append("scores: hidden until the organisers publish the final board")
    elif run.get("overall_score") is not None:
        lines.append(f"overall: {run['overall_score']:.2f}")
        # Each task's headline is its primary metric (F1 for PAN-X and UD-POS), others labelled.
        for task in run.get("tasks", []):
            others = ", ".join(f"{label} {value:.2f}" for label, value in task["others"].items())
            lines.append(
                f"  {task['task']}: {task['score']:.2f} {task['metric']}"
                + (f" ({others})" if others else "")
            )
    return "\n".join(lines)


def format_debug_run(body: dict) -> str:
    """A debug run: how it ended, then the image's whole log."""
    lines = [f"debug run {body['id']} ({body['competition']}, public sample): {body['status']}"]
    if body.get("exit_code") is not None:
        lines.append(f"  exit code: {body['exit_code']}")
    if body.get("failure_reason"):
        lines.append(f"  why it failed: {body['failure_reason']}")
    if body.get("runtime_s") is not None:
        lines.append(f"  runtime: {body['runtime_s']:.3f} s")
    if body.get("overall_score") is not None:
        scores = ", ".join(f"{task} {value:.2f}" for task, value in body["scores"].items())
        lines.append(f"  sample score: {body['overall_score']:.2f} ({scores})")
    lines.append("--- logs ---")
    lines.append(body.get("logs") or "(no output yet)")
    return "\n".join(lines)


def format_board(body: dict) -> str:
    if body["scores_hidden"]:
        teams = ", ".join(body["teams_with_results"]) or "none yet"
        return f"scores are hidden until published; teams with a result: {teams}"
    tasks = body["tasks"]
    metrics = body.get("task_metrics", {})
    header = f"{'#':>3} {'team':<24} " + " ".join(
        f"{(t + ' ' + metrics.get(t, '')).strip():>7}" for t in tasks
    )
    header += f" {'overall':>8} {'runtime':>9}  moved  reason"
    lines = [header]
    for row in body["rows"]:
        rank = "ref" if row["reference"] else str(row["rank"])
        cells = " ".join(f"{row['tasks'].get(t, float('nan')):7.2f}" for t in tasks)
        runtime = f"{row['runtime_s']:8.2f}s" if row["runtime_s"] is not None else f"{'—':>9}"
        moved = (
            f"▲{row['moved']}" if row["moved"] > 0 else f"▼{-row['moved']}" if row["moved"] else "–"
        )
        lines.append(
            f"{rank:>3} {row['team'][:24]:<24} {cells} {row['overall']:8.2f} {runtime}  "
            f"{moved:<5}  {row['reason']}"
        )
    return "\n".join(lines)


def format_competitions(body: list) -> str:
    lines = []
    for comp in body:
        limits = comp["limits"]
        lines.append(
            f"{comp['slug']}: {comp['title']} — {limits['time_limit_s']} s, "
            f"{limits['memory_mb']} MB, {limits['cpus']} CPU(s), {limits['gpus']} GPU(s)"
        )
        for phase in comp["phases"]:
            state = "open" if phase["accepts_submissions"] else "not accepting"
            lines.append(
                f"  phase {phase['key']}: {phase['title']}, {phase['max_attempts']} attempts, "
                f"{state}"
            )
        lines.append(f"  how to submit: {comp['how_to_submit']}")
    return "\n".join(lines)


def format_my_submissions(body: dict) -> str:
    lines = [f"team {body['team']}"]
    for phase in body["phases"]:
        left = "unlimited" if phase["attempts_left"] is None else phase["attempts_left"]
        lines.append(
            f"  {phase['competition']}/{phase['phase']}: {left} of {phase['max_attempts']} "
            "attempts left"
        )
    for sub in body["submissions"]:
        lines.append(
            f"  submission {sub['id']}: {sub['competition']}/{sub['phase']} attempt "
            f"{sub['attempt_number']}, {sub['status']}"
        )
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=os.environ.get("PODIUM_URL", ""), help="site address")
    common.add_argument("--token", default=os.environ.get("PODIUM_TOKEN", ""), help="API token")
    common.add_argument("--json", action="store_true", help="print the raw JSON answer")
    parser = argparse.ArgumentParser(
        prog="podium",
        description=__doc__.split("\n")[0],
        epilog="With --wait the exit code is 3 when the run failed or was cancelled.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    submit = commands.add_parser("submit", parents=[common], help="submit an attempt")
    submit.add_argument("--competition", required=True)
    submit.add_argument("--phase", required=True)
    submit.add_argument("image", nargs="?", type=Path, help="`docker save` archive (.tar)")
    submit.add_argument("--image-ref", default="", help="or an image pinned by digest")
    submit.add_argument("--code", type=Path, help="training code archive")
    submit.add_argument("--description", default="")
    submit.add_argument("--gpu-hours", type=float, dest="training_gpu_hours")
    submit.add_argument("--wait", action="store_true", help="follow the run until it ends")
    submit.add_argument("--no-progress", action="store_true")

    debug = commands.add_parser(
        "debug", parents=[common], help="a debug run on the public sample (no attempt used)"
    )
    debug.add_argument("--competition", required=True)
    debug.add_argument("image", nargs="?", type=Path, help="`docker save` archive (.tar)")
    debug.add_argument("--image-ref", default="", help="or an image pinned by digest")
    debug.add_argument("--submission", type=int, help="or one of your submissions' id")
    debug.add_argument("--wait", action="store_true", help="follow it, then print its logs")
    debug.add_argument("--no-progress", action="store_true")

    debug_status = commands.add_parser("debug-status", parents=[common], help="a debug run")
    debug_status.add_argument("debug_run_id", type=int)
    debug_status.add_argument("--wait", action="store_true", help="follow it until it ends")

    status = commands.add_parser("status", parents=[common], help="a submission's status")
    status.add_argument("submission_id", type=int)
    status.add_argument("--wait", action="store_true", help="follow the run until it ends")

    cancel = commands.add_parser("cancel", parents=[common], help="cancel a queued run")
    cancel.add_argument("submission_id", type=int)

    commands.add_parser("competitions", parents=[common], help="competitions, phases, limits")

    mine = commands.add_parser(
        "submissions", parents=[common], help="my team's submissions and attempts left"
    )
    mine.add_argument("--competition", default="")
    mine.add_argument("--phase", default="")

    board = commands.add_parser("leaderboard", parents=[common], help="a phase's leaderboard")
    board.add_argument("--competition", required=True)
    board.add_argument("--phase", required=True)
    return parser


def _follow(podium: Podium, submission_id: int, every_s: float = 5.0, read=Podium.status) -> dict:
    while True:
        body = read(podium, submission_id)
        if body["status"] in DONE:
            return body
        time.sleep(every_s)


def _print(args, body, formatter) -> None:
    print(json.dumps(body, indent=2) if args.json else formatter(body))


def _submit(podium: Podium, args) -> dict:
    if bool(args.image) == bool(args.image_ref):
        raise ClientError("give exactly one of: an IMAGE.tar file, or --image-ref")
    body = podium.submit(
        args.competition,
        args.phase,
        image=args.image,
        image_ref=args.image_ref,
        code=args.code,
        description=args.description,
        training_gpu_hours=args.training_gpu_hours,
        progress=not args.no_progress,
    )
    body = follow_check(podium.status, body, progress=not args.no_progress)  # a long check
    return _follow(podium, body["id"]) if args.wait else body


def _debug(podium: Podium, args) -> dict:
    if args.command == "debug-status":
        body = podium.debug_status(args.debug_run_id)
    else:
        given = [bool(args.image), bool(args.image_ref), args.submission is not None]
        if sum(given) != 1:
            raise ClientError("give exactly one of: an IMAGE.tar file, --image-ref, --submission")
        body = podium.debug(
            args.competition,
            image=args.image,
            image_ref=args.image_ref,
            submission=args.submission,
            progress=not args.no_progress,
        )
    return _follow(podium, body["id"], read=Podium.debug_status) if args.wait else body


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        podium = Podium(args.url, args.token)
        if args.command in ("submit", "status"):
            if args.command == "submit":
                body = _submit(podium, args)
            else:
                body = (_follow if args.wait else Podium.status)(podium, args.submission_id)
            _print(args, body, format_status)
            if args.wait and body["status"] != "finished":
                return RUN_NOT_FINISHED
        elif args.command in ("debug", "debug-status"):
            body = _debug(podium, args)
            _print(args, body, format_debug_run)
            if args.wait and body["status"] != "finished":
                return RUN_NOT_FINISHED
        elif args.command == "cancel":
            _print(args, podium.cancel(args.submission_id), format_status)
        elif args.command == "competitions":
            _print(args, podium.competitions(), format_competitions)
        elif args.command == "submissions":
            _print(args, podium.my_submissions(args.competition, args.phase), format_my_submissions)
        else:
            _print(args, podium.leaderboard(args.competition, args.phase), format_board)
    except ClientError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
