"""``nbhd teams-package``: a manifest that validates offline against the schema shipped by the npm
package @microsoft/app-manifest (``npm ci --prefix tests/teams``), plus the two icons, zipped."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from assistant.cli import teams as cli_teams

APP_ID = "0b5c7f0e-1234-4cde-9abc-0123456789ab"


@pytest.fixture(scope="module")
def schema_path() -> Path:
    path = cli_teams.DEV_SCHEMA
    if not path.exists():
        message = "Teams manifest schema not installed: run `npm ci --prefix tests/teams`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def test_the_schema_comes_from_the_npm_package(schema_path: Path) -> None:
    package = json.loads((schema_path.parents[4] / "package.json").read_text())
    assert package["name"] == "@microsoft/app-manifest"
    lock = json.loads((Path(__file__).parent / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/@microsoft/app-manifest"]["version"] == package["version"]
    schema = json.loads(schema_path.read_text())
    assert schema["properties"]["manifestVersion"]["const"] == cli_teams.MANIFEST_VERSION
    refs = [line for line in schema_path.read_text().splitlines() if '"$ref"' in line]
    assert all('"#/' in line for line in refs), "no remote $refs: validation is offline"


def test_cli_builds_a_valid_package(tmp_path: Path, schema_path: Path) -> None:
    app = typer.Typer()
    cli_teams.register(app)
    app.command("noop")(lambda: None)  # keep typer in multi-command mode, as in nbhd
    out = tmp_path / "pkg" / "nbhd-teams.zip"
    result = CliRunner().invoke(
        app, ["teams-package", "--app-id", APP_ID, "--host", "nbhd.example.gov.uk", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "validated against v1.20 schema" in result.output

    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        colour = Image.open(io.BytesIO(archive.read("color.png")))
        outline = Image.open(io.BytesIO(archive.read("outline.png")))

    assert cli_teams.validate_manifest(manifest, schema_path) == []
    assert manifest["manifestVersion"] == "1.20" and manifest["id"] == APP_ID
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID and set(bot["scopes"]) == {"personal", "team", "groupChat"}
    assert bot["supportsFiles"] is False
    assert [c["title"] for c in bot["commandLists"][0]["commands"]] == ["help", "compare", "plan"]
    assert manifest["validDomains"] == ["nbhd.example.gov.uk"]
    assert manifest["developer"]["privacyUrl"] == "https://nbhd.example.gov.uk/privacy"

    assert (colour.format, colour.size) == ("PNG", (192, 192))
    assert (outline.format, outline.size) == ("PNG", (32, 32))
    pixels = outline.convert("RGBA").getdata()
    assert any(a == 0 for *_, a in pixels), "outline background is transparent"
    assert all((r, g, b) == (255, 255, 255) for r, g, b, a in pixels if a > 0), "outline strokes are white"


def test_schema_catches_a_broken_manifest(schema_path: Path) -> None:
    manifest = cli_teams.build_manifest(APP_ID, "nbhd.example.gov.uk")
    manifest["bots"][0]["scopes"] = ["everywhere"]
    del manifest["developer"]["privacyUrl"]
    errors = cli_teams.validate_manifest(manifest, schema_path)
    assert any("scopes" in e for e in errors) and any("privacyUrl" in e for e in errors)


@pytest.mark.parametrize(
    ("app_id", "host"),
    [
        ("not-a-guid", "nbhd.example.gov.uk"),
        (APP_ID, "https://nbhd.example.gov.uk/api/messages"),
        (APP_ID, "bad host"),
    ],
)
def test_bad_arguments_fail_with_one_line(tmp_path: Path, app_id: str, host: str) -> None:
    app = typer.Typer()
    cli_teams.register(app)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(
        app, ["teams-package", "--app-id", app_id, "--host", host, "--out", str(tmp_path / "x.zip")]
    )
    assert result.exit_code == 1 and "error:" in result.output
    assert not (tmp_path / "x.zip").exists()


def test_host_is_normalised() -> None:
    assert cli_teams.normalise_host("https://NBHD.example.gov.uk/") == "nbhd.example.gov.uk"
