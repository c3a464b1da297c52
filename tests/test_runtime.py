"""The rule glue: bad input and storage failures end a job with one clear line, bugs keep theirs."""

from __future__ import annotations

import errno
import os
from types import SimpleNamespace

import pytest
from hfreuse.errors import InputError
from hfreuse.runtime import run_rule


class Named(dict):
    """Snakemake's named input/output/params: items() and len()."""


def smk(tmp_path, **params):
    return SimpleNamespace(
        rule="write_table",
        log=[str(tmp_path / "rule.log")],
        input=Named(),
        output=Named(),
        params=Named(params),
        threads=1,
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_a_full_disk_ends_the_job_with_one_line(tmp_path, capsys):
    def main(target):
        with open(target, "wb") as fh:  # /dev/full: every write fails with ENOSPC
            fh.write(b"x" * 1_000_000)

    with pytest.raises(SystemExit) as stop:
        run_rule(main, smk(tmp_path, target="/dev/full"))
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert "hfreuse: error in rule write_table:" in err and "the disk is full" in err
    assert "Traceback" not in err
    assert "the disk is full" in (tmp_path / "rule.log").read_text()


def test_a_read_only_file_system_names_the_file(tmp_path, capsys):
    def main(target):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), target)

    with pytest.raises(SystemExit):
        run_rule(main, smk(tmp_path, target="/mnt/ro/results/hub/models.parquet"))
    err = capsys.readouterr().err
    assert "/mnt/ro/results/hub/models.parquet: Read-only file system" in err
    assert "run the workflow on a writable disk" in err


def test_bad_input_is_one_line_and_other_errors_keep_their_traceback(tmp_path, capsys):
    def bad(target):
        raise InputError(f"{target}: expected a table")

    with pytest.raises(SystemExit):
        run_rule(bad, smk(tmp_path, target="x.parquet"))
    assert "x.parquet: expected a table" in capsys.readouterr().err

    def missing(target):
        raise FileNotFoundError(errno.ENOENT, "No such file", target)

    with pytest.raises(FileNotFoundError):  # a bug (a missing declared input), not the storage
        run_rule(missing, smk(tmp_path, target="y"))
