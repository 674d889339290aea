"""deploy/: the container image and the Zero to JupyterHub values (on paper: no Docker, no cluster).

What can be checked without a cluster is checked: the YAML parses and holds the keys the class
relies on (image, exchange volume, nbgrader config, authentication, the per-user uid and grader
hook), the files agree with each other and with the code (the exchange config is the one
``course hub`` writes, the config path the one ``course_utils.grader.lab`` gives), the hook does
what it says on stand-in spawners, and the Dockerfile installs the course from pyproject.toml's own
pins, with the mode config folders inside the package it builds (a wheel is built to see).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from traitlets.config import Config

from course_utils.grader import hub, lab

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
IMAGE_CONFIG = "/opt/course/jupyter_config"  # where the Dockerfile links lab.CONFIG_DIR


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((DEPLOY / "z2jh-values.yaml").read_text())


@pytest.fixture(scope="module")
def claims() -> dict[str, dict]:
    docs = list(yaml.safe_load_all((DEPLOY / "exchange-pvc.yaml").read_text()))
    assert all(d["kind"] == "PersistentVolumeClaim" for d in docs)
    return {d["metadata"]["name"]: d for d in docs}


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text()


def nbgrader_config(text: str) -> Config:
    c = Config()
    exec(compile(text, "nbgrader_config.py", "exec"), {"get_config": lambda: c})
    return c


def passwd(values: dict) -> dict[str, int]:
    text = values["singleuser"]["extraFiles"]["class-passwd"]["stringData"]
    return {line.split(":")[0]: int(line.split(":")[2]) for line in text.splitlines() if line}


def test_every_user_gets_the_course_image(values, dockerfile):
    single = values["singleuser"]
    assert single["image"]["name"] and single["image"]["tag"]
    assert single["cmd"] == "jupyterhub-singleuser" and 'CMD ["jupyterhub-singleuser"]' in dockerfile
    assert single["defaultUrl"] == "/lab"


def test_exchange_is_a_read_write_many_volume_at_the_exchange_root(values, claims):
    storage = values["singleuser"]["storage"]
    (volume,) = [v for v in storage["extraVolumes"] if v["name"] == "nbgrader-exchange"]
    claim = claims[volume["persistentVolumeClaim"]["claimName"]]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    (mount,) = [m for m in storage["extraVolumeMounts"] if m["name"] == "nbgrader-exchange"]
    config = nbgrader_config(values["singleuser"]["extraFiles"]["nbgrader-config"]["stringData"])
    assert config.Exchange.root == mount["mountPath"]


def test_nbgrader_config_is_the_one_course_hub_writes(values):
    """The pods use the same exchange classes and settings as ``course hub`` on one server."""
    text = values["singleuser"]["extraFiles"]["nbgrader-config"]["stringData"]
    config = nbgrader_config(text)
    assert config.CourseDirectory.course_id == hub.course_id_of(ROOT)
    expected = nbgrader_config("c = get_config()\n" + hub.exchange_config(config.Exchange.root,
                                                                          hub.course_id_of(ROOT)))
    assert config == expected
    assert values["singleuser"]["extraFiles"]["nbgrader-config"]["mountPath"] == \
        "/etc/jupyter/nbgrader_config.py"  # a folder of every server's Jupyter config path


def test_authentication_is_configured(values):
    config = values["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] == "generic-oauth"
    oauth = config["GenericOAuthenticator"]
    for key in ("client_id", "client_secret", "authorize_url", "token_url", "userdata_url"):
        assert oauth[key], key
    assert re.fullmatch(r"https://[^/]+/hub/oauth_callback", oauth["oauth_callback_url"])
    logins = {name for name, uid in passwd(values).items() if 2000 <= uid < 60000}
    assert set(config["Authenticator"]["allowed_users"]) == logins  # the roster, once per user
    instructors = config["JupyterHub"]["load_groups"]["audio-dl-instructors"]["users"]
    assert set(config["Authenticator"]["admin_users"]) <= set(instructors) <= logins


def test_class_accounts_are_the_same_in_the_hub_and_in_the_pods(values):
    hub_copy = values["hub"]["extraFiles"]["class-passwd"]
    assert hub_copy["stringData"] == values["singleuser"]["extraFiles"]["class-passwd"]["stringData"]
    assert values["singleuser"]["extraFiles"]["class-passwd"]["mountPath"] == "/etc/passwd"
    uids = list(passwd(values).values())
    assert len(uids) == len(set(uids)), "two accounts share a uid: the exchange could not tell them apart"
    groups = values["singleuser"]["extraFiles"]["class-group"]["stringData"]
    (line,) = [g for g in groups.splitlines() if g.startswith("audio-dl-instructors:")]
    members = line.split(":")[3].split(",")
    assert members == values["hub"]["config"]["JupyterHub"]["load_groups"]["audio-dl-instructors"]["users"]


@pytest.fixture()
def hook(values, tmp_path):
    """The hub's extraConfig run on a traitlets Config, reading the values' passwd text."""
    (tmp_path / "passwd").write_text(values["hub"]["extraFiles"]["class-passwd"]["stringData"])
    code = values["hub"]["extraConfig"]["10-audio-dl-course"]
    code = code.replace(values["hub"]["extraFiles"]["class-passwd"]["mountPath"], str(tmp_path / "passwd"))
    c = Config()
    exec(compile(code, "extraConfig", "exec"), {"c": c})
    return c


def spawner(name: str, groups: tuple[str, ...] = ()) -> SimpleNamespace:
    user = SimpleNamespace(name=name, groups=[SimpleNamespace(name=g) for g in groups])
    return SimpleNamespace(user=user, volumes=[], volume_mounts=[], environment={"A": "1"})


def test_each_user_runs_as_their_own_uid(hook, values):
    uid = hook.KubeSpawner.uid
    assert uid(spawner("alice")) == passwd(values)["alice"] != uid(spawner("bob"))
    for outsider in ("mallory", "jovyan", "root", "nobody"):
        with pytest.raises(ValueError, match="has no account in this class's passwd file"):
            uid(spawner(outsider))


def test_the_instructors_pod_is_the_grader(hook, claims):
    per_role = hook.KubeSpawner.pre_spawn_hook
    student = spawner("alice")
    per_role(student)
    assert student.volumes == [] and student.environment == {"A": "1"}  # the image's student mode
    teacher = spawner("teacher", ("audio-dl-instructors",))
    per_role(teacher)
    (volume,) = teacher.volumes
    assert volume["persistentVolumeClaim"]["claimName"] in claims
    assert teacher.volume_mounts == [{"name": volume["name"], "mountPath": "/srv/course"}]
    assert teacher.working_dir == teacher.notebook_dir == "/srv/course"
    assert teacher.environment["JUPYTER_CONFIG_PATH"] == \
        lab.jupyter_config_path("instructor", exchange=True).replace(str(lab.CONFIG_DIR), IMAGE_CONFIG)
    assert teacher.container_security_context["seccompProfile"] == {"type": "Unconfined"}
    assert teacher.supplemental_gids == [2000]


def test_dockerfile_installs_pyprojects_pins(dockerfile):
    """The image installs the course from its pyproject.toml (every pin there), nothing pinned twice."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    base = re.search(r"^FROM python:(\d+\.\d+)-slim$", dockerfile, re.M)
    assert base and base.group(1) + ".0" in SpecifierSet(project["project"]["requires-python"])
    code = "\n".join(line for line in dockerfile.splitlines() if not line.lstrip().startswith("#"))
    assert "==" not in code, "a version pinned in the Dockerfile would drift from pyproject.toml"
    install = re.search(r'pip install [^\n]*"\.\[(\w+)\]"', dockerfile)
    assert install, "the Dockerfile must pip install the course itself"
    assert any(dep.startswith("jupyterhub==") for dep in
               project["project"]["optional-dependencies"][install.group(1)])  # jupyterhub-singleuser
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in install.group(0)
    assert any(dep.startswith("torch==") for dep in project["project"]["dependencies"])


def test_dockerfile_copies_what_the_build_needs(dockerfile):
    """Every source COPY names exists, and the packages pyproject.toml declares are all copied."""
    copied = set()
    for line in re.findall(r"^COPY (.+)$", dockerfile, re.M):
        *sources, _ = line.split()
        for src in sources:
            assert (ROOT / src).exists(), src
            copied.add(src.rstrip("/"))
    assert "pyproject.toml" in copied and "README.md" in copied  # the project's readme
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    dirs = {tool.get("package-dir", {}).get(pkg, pkg.replace(".", "/")) for pkg in tool["packages"]}
    for folder in dirs:
        assert any(folder == c or folder.startswith(c + "/") for c in copied), folder


def test_dockerfile_applies_the_student_mode(dockerfile):
    env = re.search(r"^ENV JUPYTER_CONFIG_PATH=(\S+)$", dockerfile, re.M)
    assert env and env.group(1) == \
        lab.jupyter_config_path("student", exchange=True).replace(str(lab.CONFIG_DIR), IMAGE_CONFIG)
    assert f"print(lab.CONFIG_DIR)')\" {IMAGE_CONFIG}" in dockerfile  # the link to the installed folders


def test_the_package_carries_the_mode_config(tmp_path):
    """A wheel of the course (what the Dockerfile's pip install builds) holds every config file."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src)
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    for folder in {"course_utils", *tool.get("package-dir", {}).values()}:
        shutil.copytree(ROOT / folder, src / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "--quiet", "-w", str(tmp_path / "dist"), str(src)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    inside = set(zipfile.ZipFile(wheel).namelist())
    wanted = {f"course_utils/grader/{p.relative_to(lab.CONFIG_DIR.parent).as_posix()}"
              for p in lab.CONFIG_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert len(wanted) >= 7
    assert wanted <= inside, sorted(wanted - inside)
