"""``nbhd teams-package``: the Teams app package (manifest.json + two icons, zipped) admins upload.

    nbhd teams-package --app-id 11111111-2222-3333-4444-555555555555 --host nbhd.example.gov.uk

The manifest follows Teams manifest schema v1.20 (a bot in personal chat, group chat and
team channels, with help/compare/plan in its command lists). When the schema from the npm
package ``@microsoft/app-manifest`` is installed (``npm ci --prefix tests/teams``) or given
with ``--schema``, the manifest is validated against it offline before the zip is written.
Icons are drawn with Pillow: 192x192 colour, 32x32 white-on-transparent outline.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Annotated, Any

import typer

ROOT = Path(__file__).resolve().parents[2]  # the checkout, as assistant.config.ROOT (no pydantic start-up)

__all__ = [
    "ACCENT",
    "COMMANDS",
    "DEV_SCHEMA",
    "MANIFEST_VERSION",
    "SCHEMA_URL",
    "SCOPES",
    "PackageError",
    "build_manifest",
    "build_package",
    "colour_icon",
    "normalise_host",
    "outline_icon",
    "register",
    "validate_manifest",
]

MANIFEST_VERSION = "1.20"
SCHEMA_URL = (
    f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
)
DEV_SCHEMA = (
    ROOT
    / "tests"
    / "teams"
    / "node_modules"
    / "@microsoft"
    / "app-manifest"
    / "build"
    / "json-schemas"
    / "teams"
    / f"v{MANIFEST_VERSION}"
    / "MicrosoftTeams.schema.json"
)
ACCENT = "#1F6F5C"
SCOPES = ["personal", "team", "groupChat"]
COMMANDS = [
    {"title": "help", "description": "What I can do, with examples"},
    {
        "title": "compare",
        "description": "compare X and Y: two approaches or places side by side, with sources",
    },
    {"title": "plan", "description": "plan <brief>: a draft action plan from the evidence, with a DOCX"},
]
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HOST = re.compile(
    r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*(:\d{1,5})?$"
)


class PackageError(ValueError):
    pass


def normalise_host(host: str) -> str:
    """``nbhd.example.gov.uk`` from ``nbhd.example.gov.uk``, ``https://nbhd.example.gov.uk/`` and the like."""
    bare = re.sub(r"^https?://", "", host.strip(), flags=re.IGNORECASE).rstrip("/")
    if not _HOST.match(bare):
        raise PackageError(f"--host must be a host name such as nbhd.example.gov.uk, not {host!r}")
    return bare.lower()


def build_manifest(
    app_id: str,
    host: str,
    *,
    name: str = "Neighbourhood Assistant",
    developer: str = "Neighbourhood Assistant",
    version: str = "1.0.0",
    website_url: str | None = None,
    privacy_url: str | None = None,
    terms_url: str | None = None,
) -> dict[str, Any]:
    if not _GUID.match(app_id):
        raise PackageError("--app-id must be the bot's Microsoft App ID (a GUID)")
    host = normalise_host(host)
    base = f"https://{host}"
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id.lower(),
        "developer": {
            "name": developer[:32],
            "websiteUrl": website_url or f"{base}/",
            "privacyUrl": privacy_url or f"{base}/privacy",
            "termsOfUseUrl": terms_url or f"{base}/terms",
        },
        "name": {"short": name[:30], "full": f"{name}: cited answers on neighbourhood working"[:100]},
        "description": {
            "short": "Cited answers from neighbourhood-working documents",
            "full": (
                "Ask about neighbourhood working (ward teams, locality boards, community partnerships) "
                "and get answers grounded in your council's document library, each sentence cited to the "
                "passage it comes from. Compare approaches with 'compare X and Y', draft an action plan "
                "with 'plan ...', and rate answers with thumbs up or down. In channels and group chats, "
                "@mention the assistant."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": app_id.lower(),
                "scopes": SCOPES,
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [{"scopes": SCOPES, "commands": COMMANDS}],
            }
        ],
        "validDomains": [host],
    }


def validate_manifest(manifest: dict[str, Any], schema_path: Path) -> list[str]:
    """Schema errors (empty = valid).

    The schema declares draft-04 but uses draft-06's ``const``, so it is checked as draft-07.
    """
    from jsonschema import Draft7Validator

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = Draft7Validator(schema)
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    ]


def colour_icon() -> bytes:
    """192x192 full-colour icon: a white house with a speech bubble on the accent colour."""
    from PIL import Image, ImageDraw

    size = 192
    image = Image.new("RGBA", (size, size), ACCENT)
    draw = ImageDraw.Draw(image)
    white = (255, 255, 255, 255)
    draw.polygon([(40, 92), (96, 40), (152, 92)], fill=white)  # roof
    draw.rectangle((56, 88, 136, 152), fill=white)  # walls
    draw.rectangle((84, 116, 108, 152), fill=ACCENT)  # door
    draw.rounded_rectangle((118, 24, 178, 64), radius=10, fill=white)  # speech bubble
    draw.polygon([(128, 62), (122, 78), (142, 62)], fill=white)
    for x in (132, 148, 164):
        draw.ellipse((x - 4, 40, x + 4, 48), fill=ACCENT)
    return _png(image)


def outline_icon() -> bytes:
    """32x32 outline icon: white strokes on a transparent background (as Teams requires)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    white = (255, 255, 255, 255)
    draw.line([(4, 15), (16, 4), (28, 15)], fill=white, width=2)  # roof
    draw.rectangle((8, 14, 24, 28), outline=white, width=2)  # walls
    draw.rectangle((14, 20, 18, 28), outline=white, width=1)  # door
    return _png(image)


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def build_package(manifest: dict[str, Any], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        archive.writestr("color.png", colour_icon())
        archive.writestr("outline.png", outline_icon())
    return out


def register(app: typer.Typer) -> None:
    @app.command("teams-package")
    def teams_package(
        app_id: Annotated[
            str, typer.Option("--app-id", help="the bot's Microsoft App ID (Entra app registration)")
        ],
        host: Annotated[
            str, typer.Option("--host", help="public host name of this service, e.g. nbhd.example.gov.uk")
        ],
        out: Annotated[Path, typer.Option("--out", help="zip to write")] = Path("nbhd-teams-app.zip"),
        name: Annotated[str, typer.Option("--name", help="app name shown in Teams (max 30)")] = (
            "Neighbourhood Assistant"
        ),
        developer: Annotated[str, typer.Option("--developer", help="publisher name (max 32)")] = (
            "Neighbourhood Assistant"
        ),
        version: Annotated[str, typer.Option("--version", help="app version (semver)")] = "1.0.0",
        privacy_url: Annotated[str | None, typer.Option("--privacy-url")] = None,
        terms_url: Annotated[str | None, typer.Option("--terms-url")] = None,
        schema: Annotated[
            Path | None,
            typer.Option(
                "--schema",
                help="MicrosoftTeams.schema.json to validate against (default: the dev copy, if any)",
            ),
        ] = None,
    ) -> None:
        """Build the Teams app package (manifest.json + icons) to upload in Teams or its admin centre."""
        try:
            manifest = build_manifest(
                app_id,
                host,
                name=name,
                developer=developer,
                version=version,
                privacy_url=privacy_url,
                terms_url=terms_url,
            )
        except PackageError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        schema_path = schema or (DEV_SCHEMA if DEV_SCHEMA.exists() else None)
        if schema_path is not None:
            errors = validate_manifest(manifest, schema_path)
            if errors:
                typer.echo(
                    "error: manifest.json does not match the Teams schema:\n  " + "\n  ".join(errors),
                    err=True,
                )
                raise typer.Exit(1)
            checked = f"validated against {schema_path.parent.name} schema"
        else:
            checked = "not validated (no schema: run `npm ci --prefix tests/teams` or pass --schema)"
        build_package(manifest, out)
        typer.echo(f"wrote {out} (manifest {MANIFEST_VERSION}, {checked})")
