"""Every route declares who may call it; app/ never imports the mini-program package."""

from __future__ import annotations

import ast
from pathlib import Path

from app.auth import LIBRARY_ENDPOINTS, Access

ROOT = Path(__file__).resolve().parent.parent


def test_every_route_declares_an_access_policy(app):
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in LIBRARY_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        if not isinstance(getattr(view, "access_policy", None), Access):
            undeclared.append(f"{rule.rule} → {rule.endpoint}")
    assert undeclared == []


def test_an_undeclared_route_is_refused_and_caught_by_the_walk(app, client):
    @app.route("/_test/undeclared")
    def _undeclared():
        return {"secret": 1}

    view = app.view_functions["_undeclared"]
    assert getattr(view, "access_policy", None) is None
    r = client.get("/_test/undeclared")
    assert r.status_code == 403 and r.json["error"]["code"] == "auth.forbidden"


def test_authentication_comes_before_validation(client):
    # an anonymous caller with a malformed body learns only that they must log in
    r = client.post("/api/v1/orgs", json={"type": 5})
    assert r.status_code == 401 and r.json["error"]["code"] == "auth.required"


def test_every_api_route_is_in_the_openapi_document(app, client):
    spec = client.get("/api/openapi.json").json
    documented = {path for path in spec["paths"]}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in LIBRARY_ENDPOINTS or not (
            rule.rule.startswith("/api/") or rule.rule in ("/healthz", "/readyz")
        ):
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", f"{{{arg}}}").replace(f"<{arg}>", f"{{{arg}}}")
        if path not in documented:
            missing.append(path)
    assert missing == []


def test_openapi_documents_the_error_envelope(client):
    spec = client.get("/api/openapi.json").json
    envelope = spec["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["properties"]["error"]["$ref"].endswith("/ErrorBody")
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert "400" in login["responses"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_docs_page_uses_local_assets_only(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    asset = client.get("/api/docs/assets/swagger-ui-bundle.js")
    try:
        assert asset.status_code == 200 and len(asset.data) > 100_000
    finally:
        asset.close()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_app_never_imports_the_miniprogram_package():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "app").rglob("*.py")
        if any(n.split(".")[0] == "miniprogram_api" for n in _imports(p))
    ]
    assert offenders == []


def test_domain_code_never_imports_request_or_blueprints():
    """Services and models stay HTTP-free; only app/api and app/web speak HTTP."""
    offenders = []
    for p in (ROOT / "app").rglob("*.py"):
        rel = p.relative_to(ROOT / "app").parts
        if rel[0] in ("api", "web", "migrations") or len(rel) == 1:
            continue
        source = p.read_text(encoding="utf-8")
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in ("flask", "app.openapi"):
                bad = {a.name for a in node.names} & {"request", "Blueprint", "session"}
                if bad:
                    offenders.append(f"{'/'.join(rel)}: {sorted(bad)}")
    assert offenders == []


def test_no_import_cycles_between_app_modules():
    modules = {}
    for p in (ROOT / "app").rglob("*.py"):
        if "migrations" in p.parts:
            continue
        rel = p.relative_to(ROOT).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        # only module-level imports can form cycles at import time
        tree = ast.parse(p.read_text(encoding="utf-8"))
        deps = set()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
                deps.add(node.module)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("app"))
        modules[name] = deps

    def visit(name, stack, done):
        if name in stack:
            return [*stack[stack.index(name) :], name]
        if name in done or name not in modules:
            return None
        for dep in modules[name]:
            cycle = visit(dep, [*stack, name], done)
            if cycle:
                return cycle
        done.add(name)
        return None

    done: set[str] = set()
    for module in modules:
        cycle = visit(module, [], done)
        assert cycle is None, " → ".join(cycle)
