"""`leadflow import` refusing to start, as a person running it sees it: in words, exit 2, nothing
sent (no capture is running here: each problem is found before the first row would go)."""

import json
import subprocess
import sys
from pathlib import Path

NOWHERE = "http://127.0.0.1:9"  # nothing listens: a row sent would fail differently


def leadflow_import(csv_file: Path, mapping: Path) -> subprocess.CompletedProcess:
    command = [
        str(Path(sys.executable).parent / "leadflow"),
        "import",
        str(csv_file),
        "--mapping",
        str(mapping),
    ]
    return subprocess.run([*command, "--url", NOWHERE, "--api-key", "k"], capture_output=True, text=True)


def test_a_missing_file_a_mapping_with_mistakes_and_a_column_the_file_lacks_are_said_in_words(tmp_path):
    people, mapping = tmp_path / "people.csv", tmp_path / "map.json"
    people.write_text("Mail,Name\nann@example.com,Ann\n")
    mapping.write_text(json.dumps({"columns": {"Mail": "email", "Name": "first_name"}}))
    said = {"missing file": leadflow_import(tmp_path / "none.csv", mapping)}
    mapping.write_text(json.dumps({"columns": {"Mail": "email", "Name": "frist_name"}}))
    said["typo"] = leadflow_import(people, mapping)
    mapping.write_text("{'columns': {}}")
    said["not JSON"] = leadflow_import(people, mapping)
    mapping.write_text(json.dumps({"columns": {"E-mail": "email"}}))
    said["column absent"] = leadflow_import(people, mapping)
    for case, answer in said.items():
        assert answer.returncode == 2 and answer.stdout == "", (case, answer)
        assert answer.stderr.startswith("leadflow import: ") and "Traceback" not in answer.stderr, case
    assert f"{tmp_path / 'none.csv'} cannot be read: No such file or directory" in said["missing file"].stderr
    assert "column 'Name': 'frist_name' is not a lead field" in said["typo"].stderr
    assert (
        "is not JSON: Expecting property name enclosed in double quotes at line 1" in said["not JSON"].stderr
    )
    assert (
        "the mapping reads columns the file does not have: 'E-mail' (the file's columns: 'Mail', 'Name')"
        in (said["column absent"].stderr)
    )
