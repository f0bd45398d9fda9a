"""Every product process under bpmn/ compiles, deploys and keeps the loader's conventions.

Conventions: one folder per process with `<key>.bpmn` whose executable process id is the key;
every user task in a lane named after a role, with a JSON Schema form (object, closed, titled
in Chinese) and, where the law sets a period, a known statutory rule; a full diagram (DI) so
the file opens in bpmn.io; and the generated files match scripts/generate_bpmn.py.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.support import fixture_system
from workflows.config import Settings
from workflows.contracts import EFFECTS as CONTRACT_EFFECTS
from workflows.db import Database
from workflows.definitions import FORM_PROPERTY, Definitions, read_all, read_folder
from workflows.engine import Engine
from workflows.roles import ALL_ROLES
from workflows.statutes import RULES
from workflows.system import build_system

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
FOLDERS = sorted(p for p in BPMN_DIR.iterdir() if p.is_dir() and not p.name.startswith("."))
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
FLOW_NODES = (
    "startEvent",
    "endEvent",
    "userTask",
    "scriptTask",
    "serviceTask",
    "receiveTask",
    "sendTask",
    "manualTask",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "subProcess",
    "callActivity",
)
HAN = re.compile(r"[\u4e00-\u9fff]")

#: The statutory period each user task must meet (law.md sections 1 and 2); others carry none.
EXPECTED_DEADLINES = {
    "arbitration": {
        "review_application": "arbitration.accept",
        "serve_respondent": "arbitration.serve_respondent",
        "serve_defence": "arbitration.serve_defence",
        "form_tribunal": "arbitration.form_tribunal",
        "form_collegiate_tribunal": "arbitration.form_tribunal",
        "decide_recusal": "arbitration.recusal_decision",
        "draft_award": "arbitration.award",
    },
    "mediation": {"mediate": "mediation.mediate"},
}


def definitions() -> Definitions:
    return Definitions(
        Engine(), known_roles=ALL_ROLES, known_deadline_rules=RULES.keys(), known_effects=CONTRACT_EFFECTS
    )


def tree(folder: Path) -> ET.Element:
    return ET.parse(folder / f"{folder.name}.bpmn").getroot()


def test_the_product_processes_are_there() -> None:
    assert {"arbitration", "mediation"} <= {f.name for f in FOLDERS}


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_folder_compiles_with_its_key_as_process_id(folder: Path) -> None:
    process, forms = definitions().compile(read_folder(folder))
    assert process.process_id == folder.name
    executable = tree(folder).findall("bpmn:process[@isExecutable='true']", NS)
    assert [p.get("id") for p in executable] == [folder.name]
    assert process.user_tasks, "a product process has work for people"
    assert forms


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_every_user_task_has_a_role_lane_a_form_and_the_right_deadline(folder: Path) -> None:
    process, forms = definitions().compile(read_folder(folder))
    deadlines = {}
    for task in process.user_tasks.values():
        assert task.lane in ALL_ROLES, task.name
        form = task.properties.get(FORM_PROPERTY)
        assert form in forms, f"{task.name}: form {form}"
        assert HAN.search(task.title), f"{task.name} needs a Chinese title"
        if rule := task.properties.get("deadline"):
            assert rule in RULES
            deadlines[task.name] = rule
    assert deadlines == EXPECTED_DEADLINES.get(folder.name, deadlines)
    used = {t.properties[FORM_PROPERTY] for t in process.user_tasks.values()}
    assert used == set(forms), "every form belongs to a task"


def _walk_properties(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, sub in schema.get("properties", {}).items():
        found.append((f"{path}/{name}", sub))
        if sub.get("type") == "object":
            found += _walk_properties(sub, f"{path}/{name}")
        items = sub.get("items")
        if isinstance(items, dict) and items.get("type") == "object":
            found += _walk_properties(items, f"{path}/{name}/items")
    return found


@pytest.mark.parametrize(
    "form", sorted(BPMN_DIR.glob("*/forms/*.json")), ids=lambda p: f"{p.parent.parent.name}/{p.name}"
)
def test_forms_are_closed_objects_with_chinese_titles(form: Path) -> None:
    schema = json.loads(form.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert HAN.search(schema["title"]) and HAN.search(schema.get("description", "说明"))
    assert schema.get("required"), "a form asks for something"
    assert set(schema["required"]) <= set(schema["properties"])
    for pointer, prop in _walk_properties(schema):
        assert HAN.search(prop.get("title", "")), f"{pointer} needs a Chinese title"
        for option in prop.get("oneOf", []):
            assert "const" in option and HAN.search(option.get("title", "")), pointer
    for sub in _walk_properties(schema):
        if sub[1].get("type") == "object":
            assert sub[1].get("additionalProperties") is False, sub[0]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_diagram_has_a_shape_for_every_element_and_an_edge_for_every_flow(folder: Path) -> None:
    root = tree(folder)
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane is not None
    shapes = {s.get("bpmnElement"): s for s in plane.findall("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in plane.findall("bpmndi:BPMNEdge", NS)}
    process = root.find(f"bpmn:process[@id='{folder.name}']", NS)
    assert process is not None
    elements = [el for tag in FLOW_NODES for el in process.findall(f"bpmn:{tag}", NS)]
    elements += process.findall("bpmn:laneSet/bpmn:lane", NS)
    elements += root.findall("bpmn:collaboration/bpmn:participant", NS)
    assert plane.get("bpmnElement") in {root.find("bpmn:collaboration", NS).get("id"), folder.name}
    for el in elements:
        shape = shapes.get(el.get("id"))
        assert shape is not None, f"no shape for {el.get('id')}"
        bounds = shape.find("dc:Bounds", NS)
        assert bounds is not None and float(bounds.get("width")) > 0 and float(bounds.get("height")) > 0
    for flow in process.findall("bpmn:sequenceFlow", NS):
        edge = edges.get(flow.get("id"))
        assert edge is not None, f"no edge for {flow.get('id')}"
        assert len(edge.findall("di:waypoint", NS)) >= 2
    assert not set(shapes) - {el.get("id") for el in elements}, "shapes of unknown elements"


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_every_flow_node_lies_in_a_lane_and_inside_its_lane_shape(folder: Path) -> None:
    root = tree(folder)
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane is not None
    bounds = {
        s.get("bpmnElement"): [float(s.find("dc:Bounds", NS).get(k)) for k in ("x", "y", "width", "height")]
        for s in plane.findall("bpmndi:BPMNShape", NS)
    }
    process = root.find(f"bpmn:process[@id='{folder.name}']", NS)
    assert process is not None
    lane_of = {
        ref.text: lane.get("id")
        for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)
        for ref in lane.findall("bpmn:flowNodeRef", NS)
    }
    for tag in FLOW_NODES:
        for el in process.findall(f"bpmn:{tag}", NS):
            lane = lane_of.get(el.get("id"))
            assert lane, f"{el.get('id')} lies in no lane"
            x, y, w, h = bounds[el.get("id")]
            lx, ly, lw, lh = bounds[lane]
            cy = y + h / 2
            assert lx <= x and x + w <= lx + lw and ly <= cy <= ly + lh, f"{el.get('id')} outside {lane}"


def test_generated_files_match_the_generator() -> None:
    spec = importlib.util.spec_from_file_location("generate_bpmn", ROOT / "scripts" / "generate_bpmn.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
        generated = module.build()
    finally:
        del sys.modules[spec.name]
    assert {path.parent.name for path in generated} <= {f.name for f in FOLDERS}
    for path, text in generated.items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run scripts/generate_bpmn.py"


def test_bootstrap_deploys_every_folder_once(db: Database, tmp_path: Path) -> None:
    settings = Settings(instance_dir=tmp_path, database_url=db.url, bpmn_dir=BPMN_DIR, secret_key="x" * 32)
    system = build_system(settings, database=db)
    deployed = system.bootstrap()
    assert sorted(d.process_key for d in deployed) == [f.name for f in FOLDERS]
    assert all(d.version == 1 for d in deployed)
    assert system.bootstrap() == []  # unchanged files: no new version
    with db.transaction() as s:
        for bundle in read_all(BPMN_DIR):
            loaded = system.definitions.latest(s, bundle.process_key)
            assert loaded.process.process_id == bundle.process_key


def test_fixture_system_deploys_the_product_folders(db: Database, tmp_path: Path) -> None:
    system = fixture_system(db, tmp_path, bpmn_dir=BPMN_DIR)
    with db.transaction() as s:
        assert {v.process_key for v in system.definitions.all_versions(s)} == {f.name for f in FOLDERS}
