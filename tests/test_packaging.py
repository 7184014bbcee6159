"""Each service installs and starts alone: a fresh virtual environment with only the shared
library and that service (what its Dockerfile does, pinned by the lock file; installed by uv)
imports every one of its modules and answers `--help`, so a dependency missing from a service's
pyproject fails here rather than in a container. And the Kubernetes manifests validate against
the API's schemas."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).parents[1]
SHARED = ["./libs/common"]
SERVICES = ("capture", "scoring", "routing", "console", "webhooks")
IMPORT_EVERY_MODULE = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    if ".migrations" not in module.name:  # Alembic's env runs only under Alembic
        importlib.import_module(module.name)
importlib.import_module(sys.argv[1] + ".main").create_app()
"""


@pytest.mark.long
@pytest.mark.parametrize("service", SERVICES)
def test_a_service_installs_and_starts_with_only_its_own_dependencies(service, tmp_path):
    venv = tmp_path / "venv"
    # uv rather than pip: the same resolution of the same pins in seconds instead of half a minute.
    uv = str(Path(sys.executable).parent / "uv")
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = str(venv / "bin" / "python")
    packages = [*SHARED, f"./services/{service}"]
    install = subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", python, "-c", "requirements.lock", *packages],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    imported = subprocess.run(
        [python, "-c", IMPORT_EVERY_MODULE, f"leadflow_{service}"],
        cwd=tmp_path,  # not the repository: only what was installed can be imported
        capture_output=True,
        text=True,
    )
    assert imported.returncode == 0, imported.stderr[-3000:]
    helped = subprocess.run(
        [str(venv / "bin" / f"leadflow-{service}"), "--help"], capture_output=True, text=True
    )
    assert helped.returncode == 0 and f"Leadflow {service} service" in helped.stdout


def test_the_kubernetes_manifests_validate_against_the_api_schemas():
    manifests = sorted(str(path) for path in (ROOT / "deploy" / "k8s").glob("*.yaml"))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "kubernetes-validate"), "--strict", "--quiet", *manifests],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
