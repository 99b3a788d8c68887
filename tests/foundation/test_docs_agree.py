"""The deployment docs agree with docker/compose.yaml, and docs link only inside the repository."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
DEPLOY = (ROOT / "docs" / "deploy.md").read_text()
OPERATIONS = (ROOT / "docs" / "operations.md").read_text()
YAML_DOC = (ROOT / "docs" / "competition-yaml.md").read_text()


def test_redis_persistence_is_what_compose_runs():
    command = COMPOSE["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "`appendonly yes`" in OPERATIONS and "without persistence, so" not in OPERATIONS
    assert "`appendonly yes`" in DEPLOY


def test_stop_grace_period_and_mounts_are_as_documented():
    worker = COMPOSE["services"]["worker-gpu0"]
    assert worker["stop_grace_period"] == "30s" and "`stop_grace_period: 30s`" in DEPLOY
    mounts = worker["volumes"]
    assert "${PODIUM_DATA_DIR:-/srv/podium/data}:/data/xtreme:ro" in mounts
    assert "read-only" in DEPLOY and "`/data/xtreme`" in DEPLOY
    for service in ("postgres", "redis", "web", "proxy", "beat", "worker-gpu0"):
        image = COMPOSE["services"][service]["image"]
        assert image.startswith("podium/"), f"{service} uses {image}, not an image built here"


def test_docs_link_only_inside_the_repository():
    for doc in [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]:
        for target in re.findall(r"\]\(([^)#\s]+)", doc.read_text()):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            resolved = (doc.parent / target).resolve()
            assert resolved.is_relative_to(ROOT), f"{doc.name} links outside the repo: {target}"
            assert resolved.exists(), f"{doc.name} links to a missing file: {target}"


def test_the_yaml_reference_states_the_bounds_and_defaults_the_rules_declare():
    """docs/competition-yaml.md's table says what evaluator/rules.py declares (one source)."""
    from evaluator import rules

    table = {
        key: (bounds, default.strip("`"))
        for key, bounds, default in re.findall(
            r"^\| `([a-z_.\[\]]+)` \| ([^|]+?) \| ([^|]+?) \|", YAML_DOC, flags=re.M
        )
    }
    keys = {f"limits.{name}": s for name, s in rules.LIMITS.items()}
    keys["timing.repeats"] = rules.TIMING["timing_repeats"]
    keys["debug_runs.runs_per_window"] = rules.DEBUG_RUNS["debug_runs_per_window"]
    keys["debug_runs.window_s"] = rules.DEBUG_RUNS["debug_window_s"]
    keys["phases[].max_attempts"] = rules.PHASE["max_attempts"]
    for key, setting in keys.items():
        bounds = (
            f"≥ {setting.minimum}"
            if setting.maximum is None
            else f"{setting.minimum}–{setting.maximum}"
        )
        assert table[key] == (bounds, str(setting.default)), key
