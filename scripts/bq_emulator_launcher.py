"""Start bqemulator 1.4.0 the way `bqemulator start ...` does, with one fix for load jobs.

Runs inside .venv-emulators (see scripts/emulators.sh), never in the project venv:

    .venv-emulators/bin/python scripts/bq_emulator_launcher.py \
        --rest-port 9050 --grpc-port 9060 --project test-project [--persistent --data-dir DIR]

The fix: google-cloud-bigquery sends the media part of a multipart load upload
(load_table_from_json / load_table_from_dataframe / load_table_from_file under 5 MB)
with Content-Type "*/*", which bqemulator 1.4.0 rejects ("multipart upload's second
part has unsupported Content-Type '*/*'"). Adding "*/*" to its whitelist makes those
loads pass without touching the client. `--no-upload-patch` (consumed here) skips it,
to show the failure.

Every other argument goes to bqemulator's own click `start` command
(bqemulator.cli:main, the console script's entry point). Both listeners are bound
to 127.0.0.1 unless --rest-host/--grpc-host are given.
"""

from __future__ import annotations

import sys


def patch_upload_content_types() -> None:
    from bqemulator.api.routes import upload

    permitted = tuple(upload._PERMITTED_MEDIA_CONTENT_TYPES)
    if "*/*" not in permitted:
        # Looked up at call time by upload._is_permitted_media_type, so rebinding works.
        upload._PERMITTED_MEDIA_CONTENT_TYPES = permitted + ("*/*",)


def main(argv: list[str]) -> None:
    args = list(argv)
    if "--no-upload-patch" in args:
        args = [a for a in args if a != "--no-upload-patch"]
    else:
        patch_upload_content_types()
    if args[:1] == ["start"]:
        args = args[1:]
    if not any(a == "--rest-host" or a.startswith("--rest-host=") for a in args):
        args += ["--rest-host", "127.0.0.1"]
    if not any(a == "--grpc-host" or a.startswith("--grpc-host=") for a in args):
        args += ["--grpc-host", "127.0.0.1"]

    from bqemulator.cli import main as bqemulator_main

    bqemulator_main(["start", *args], prog_name="bqemulator")


if __name__ == "__main__":
    main(sys.argv[1:])
