"""Generate the product BPMN files (with full diagram DI): bpmn/arbitration, bpmn/mediation and
bpmn/labour_contract_signing.

The processes are declared below as data: lanes, nodes on a grid (column, lane, row) and
sequence flows; the diagram (pool, lanes, shapes, orthogonal edges) is laid out from the grid.
The output is committed; edit this file, then regenerate:

    .venv/bin/python scripts/generate_bpmn.py            # write bpmn/<key>/<key>.bpmn
    .venv/bin/python scripts/generate_bpmn.py --check    # exit 1 if a committed file is stale

Forms (bpmn/<key>/forms/*.json) are maintained by hand.  This script lives outside bpmn/
because every sub-folder of bpmn/ is deployed as a process.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parent.parent
BPMN_DIR = ROOT / "bpmn"

# -- grid geometry ------------------------------------------------------------------------------

POOL_X = 100
POOL_LABEL = 30  # width of the pool's name band
FIRST_COL = 230  # x centre of column 0
COL_W = 130
ROW_H = 120
LANE_PAD = 70  # y of row 0's centre below the lane top
LANE_EXTRA = 30  # space left under the last row of a lane
SIZES = {
    "start": (36, 36),
    "end": (36, 36),
    "user": (100, 80),
    "script": (100, 80),
    "receive": (100, 80),
    "service": (100, 80),
    "xor": (50, 50),
    "and": (50, 50),
    "boundary_timer": (36, 36),
    "boundary_message": (36, 36),
}
BOUNDARIES = ("boundary_timer", "boundary_message")
GATEWAYS = ("xor", "and")


@dataclass
class Lane:
    id: str
    role: str  # lane name = role code (workflows/roles.py)
    label: str  # the role's Chinese label, kept as the lane's documentation
    rows: int = 1
    top: float = 0.0

    @property
    def height(self) -> float:
        return LANE_PAD + (self.rows - 1) * ROW_H + 40 + LANE_EXTRA


@dataclass
class Node:
    id: str
    kind: str
    name: str
    lane: str
    col: float
    row: int = 0
    form: str | None = None
    deadline: str | None = None
    #: process variable (ISO date) the `deadline` period counts from instead of the task's opening
    deadline_from: str | None = None
    doc: str | None = None
    #: document type (workflows/document_kinds.py) the case issues when this task completes
    issues: str | None = None
    script: str | None = None
    message: str | None = None  # receive task: message id
    message_var: str | None = None
    timer: str | None = None  # boundary timer: duration expression
    timer_date: str | None = None  # boundary timer: expression of an ISO 8601 date-time instead
    #: boundary event: False for a non-interrupting one (the host task goes on; e.g. a reminder)
    interrupting: bool = True
    #: domain effect (workflows.runtime.CaseRuntime.register_effect) run when this task completes
    effect: str | None = None
    attached_to: str | None = None
    #: boundary events on the same host sit side by side: the n-th one is shifted right
    slot: int = 0
    service: str | None = None  # service task: the registered function (workflows/service_tasks.py)
    params: dict[str, str] = field(default_factory=dict)  # service task: parameter -> expression
    result_var: str | None = None  # service task: where the result lands
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)
    default: str | None = None
    cx: float = 0.0
    cy: float = 0.0

    @property
    def size(self) -> tuple[int, int]:
        return SIZES[self.kind]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        w, h = self.size
        return self.cx - w / 2, self.cy - h / 2, w, h


Point = tuple[float, float]
#: Hand routing for a flow, computed once the nodes are placed.
Router = Callable[[Node, Node], list[Point]]


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str | None = None
    condition: str | None = None
    default: bool = False
    router: Router | None = None


@dataclass
class Process:
    key: str
    name: str
    doc: str
    lanes: list[Lane]
    messages: dict[str, str] = field(default_factory=dict)  # id -> name
    nodes: dict[str, Node] = field(default_factory=dict)
    flows: list[Flow] = field(default_factory=list)

    def add(self, node: Node) -> Node:
        if node.id in self.nodes:
            raise ValueError(f"duplicate node {node.id}")
        self.nodes[node.id] = node
        return node

    def flow(
        self,
        source: str,
        target: str,
        name: str | None = None,
        condition: str | None = None,
        *,
        default: bool = False,
        router: Router | None = None,
    ) -> None:
        fid = f"flow_{source}_to_{target}"
        self.flows.append(Flow(fid, source, target, name, condition, default, router))


# -- layout -------------------------------------------------------------------------------------


def layout(p: Process) -> None:
    y = 80.0
    lanes = {lane.id: lane for lane in p.lanes}
    for lane in p.lanes:
        lane.top = y
        y += lane.height
    for n in p.nodes.values():
        lane = lanes[n.lane]
        if n.kind in BOUNDARIES:
            continue
        n.cx = FIRST_COL + n.col * COL_W
        n.cy = lane.top + LANE_PAD + n.row * ROW_H
    for n in p.nodes.values():
        if n.kind in BOUNDARIES:
            host = p.nodes[n.attached_to or ""]
            n.cx = host.cx + 30 - 30 * n.slot
            n.cy = host.cy + host.size[1] / 2
    for f in p.flows:
        p.nodes[f.source].outgoing.append(f.id)
        p.nodes[f.target].incoming.append(f.id)
        if f.default:
            p.nodes[f.source].default = f.id


def _side(n: Node, towards: str) -> Point:
    w, h = n.size
    return {
        "left": (n.cx - w / 2, n.cy),
        "right": (n.cx + w / 2, n.cy),
        "top": (n.cx, n.cy - h / 2),
        "bottom": (n.cx, n.cy + h / 2),
    }[towards]


def route(p: Process, f: Flow) -> list[Point]:
    """Orthogonal waypoints from source to target (a flow's own router wins)."""
    s, t = p.nodes[f.source], p.nodes[f.target]
    if f.router is not None:
        return f.router(s, t)
    dx, dy = t.cx - s.cx, t.cy - s.cy
    h_out, h_in = ("right", "left") if dx > 0 else ("left", "right")
    v_out, v_in = ("bottom", "top") if dy > 0 else ("top", "bottom")
    if dy == 0:
        return [_side(s, h_out), _side(t, h_in)]
    if dx == 0:
        return [_side(s, v_out), _side(t, v_in)]
    if s.kind in (*GATEWAYS, *BOUNDARIES):  # leave vertically, arrive horizontally
        start = _side(s, v_out)
        end = _side(t, h_in)
        return [start, (start[0], end[1]), end]
    if t.kind in GATEWAYS:  # leave horizontally, arrive vertically
        start = _side(s, h_out)
        end = _side(t, v_in)
        return [start, (end[0], start[1]), end]
    start, end = _side(s, h_out), _side(t, h_in)
    mid = (start[0] + end[0]) / 2
    return [start, (mid, start[1]), (mid, end[1]), end]


# -- XML ----------------------------------------------------------------------------------------


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def _node_xml(n: Node) -> str:
    tag = {
        "start": "startEvent",
        "end": "endEvent",
        "user": "userTask",
        "script": "scriptTask",
        "receive": "receiveTask",
        "xor": "exclusiveGateway",
        "and": "parallelGateway",
        "boundary_timer": "boundaryEvent",
        "boundary_message": "boundaryEvent",
        "service": "serviceTask",
    }[n.kind]
    attrs = f"id={quoteattr(n.id)}" + (f" name={quoteattr(n.name)}" if n.name else "")
    if n.default:
        attrs += f" default={quoteattr(n.default)}"
    if n.kind == "receive":
        attrs += f" messageRef={quoteattr(n.message or '')}"
    if n.kind in BOUNDARIES:
        cancel = "true" if n.interrupting else "false"
        attrs += f' attachedToRef={quoteattr(n.attached_to or "")} cancelActivity="{cancel}"'
    body: list[str] = []
    if n.doc:
        body.append(f"<bpmn:documentation>{escape(n.doc)}</bpmn:documentation>")
    props: list[str] = []
    if n.kind == "user":
        props.append(
            f'<spiffworkflow:property name="formJsonSchemaFilename" value={quoteattr(n.form or "")} />'
        )
        if n.deadline:
            props.append(f'<spiffworkflow:property name="deadline" value={quoteattr(n.deadline)} />')
        if n.deadline_from:
            if not n.deadline:
                raise ValueError(f"{n.id}: deadline_from without a deadline rule")
            props.append(f'<spiffworkflow:property name="deadlineFrom" value={quoteattr(n.deadline_from)} />')
    if n.issues:
        props.append(f'<spiffworkflow:property name="issues" value={quoteattr(n.issues)} />')
    if n.effect:
        props.append(f'<spiffworkflow:property name="effect" value={quoteattr(n.effect)} />')
    if n.kind == "service":
        params = "".join(
            f'<spiffworkflow:parameter id={quoteattr(k)} type="any" value={quoteattr(v)} />'
            for k, v in n.params.items()
        )
        body.append(
            "<bpmn:extensionElements>"
            f"<spiffworkflow:serviceTaskOperator id={quoteattr(n.service or '')}"
            f" resultVariable={quoteattr(n.result_var or '')}>"
            f"<spiffworkflow:parameters>{params}</spiffworkflow:parameters>"
            "</spiffworkflow:serviceTaskOperator></bpmn:extensionElements>"
        )
    if props:
        body.append(
            "<bpmn:extensionElements><spiffworkflow:properties>"
            + "".join(props)
            + "</spiffworkflow:properties></bpmn:extensionElements>"
        )
    if n.kind == "receive" and n.message_var:
        body.append(
            "<bpmn:extensionElements><spiffworkflow:messageVariable>"
            f"{escape(n.message_var)}</spiffworkflow:messageVariable></bpmn:extensionElements>"
        )
    body += [f"<bpmn:incoming>{i}</bpmn:incoming>" for i in n.incoming]
    body += [f"<bpmn:outgoing>{o}</bpmn:outgoing>" for o in n.outgoing]
    if n.kind == "script":
        body.append(f"<bpmn:script>{escape(n.script or '')}</bpmn:script>")
    if n.kind == "boundary_timer":
        what, expression = ("timeDate", n.timer_date) if n.timer_date else ("timeDuration", n.timer)
        body.append(
            f'<bpmn:timerEventDefinition id="{n.id}_definition">'
            f'<bpmn:{what} xsi:type="bpmn:tFormalExpression">'
            f"{escape(expression or '')}</bpmn:{what}></bpmn:timerEventDefinition>"
        )
    if n.kind == "boundary_message":
        variable = (
            "<bpmn:extensionElements><spiffworkflow:messageVariable>"
            f"{escape(n.message_var)}</spiffworkflow:messageVariable></bpmn:extensionElements>"
            if n.message_var
            else ""
        )
        body.append(
            f'<bpmn:messageEventDefinition id="{n.id}_definition" messageRef={quoteattr(n.message or "")}>'
            f"{variable}</bpmn:messageEventDefinition>"
        )
    inner = "\n      ".join(body)
    return f"    <bpmn:{tag} {attrs}>\n      {inner}\n    </bpmn:{tag}>"


def _flow_xml(f: Flow) -> str:
    attrs = f"id={quoteattr(f.id)} sourceRef={quoteattr(f.source)} targetRef={quoteattr(f.target)}"
    if f.name:
        attrs += f" name={quoteattr(f.name)}"
    if f.condition is None:
        return f"    <bpmn:sequenceFlow {attrs} />"
    cond = escape(f.condition)
    return (
        f"    <bpmn:sequenceFlow {attrs}>\n"
        '      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
        f"{cond}</bpmn:conditionExpression>\n"
        "    </bpmn:sequenceFlow>"
    )


def render(p: Process) -> str:
    layout(p)
    width = max(n.cx for n in p.nodes.values()) + 110 - POOL_X
    total_height = sum(lane.height for lane in p.lanes)
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!-- Generated by scripts/generate_bpmn.py: edit that file and regenerate, not this one. -->",
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        ' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"'
        ' xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"'
        ' xmlns:di="http://www.omg.org/spec/DD/20100524/DI"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
        f' id="definitions_{p.key}" targetNamespace="http://laborcase.example/bpmn/{p.key}"'
        ' exporter="laborcase scripts/generate_bpmn.py" exporterVersion="1">',
    ]
    for mid, mname in p.messages.items():
        out.append(f"  <bpmn:message id={quoteattr(mid)} name={quoteattr(mname)} />")
    out += [
        f'  <bpmn:collaboration id="collaboration_{p.key}">',
        f'    <bpmn:participant id="participant_{p.key}" name={quoteattr(p.name)} processRef="{p.key}" />',
        "  </bpmn:collaboration>",
        f'  <bpmn:process id="{p.key}" name={quoteattr(p.name)} isExecutable="true">',
        f"    <bpmn:documentation>{escape(p.doc)}</bpmn:documentation>",
        f'    <bpmn:laneSet id="laneset_{p.key}">',
    ]
    for lane in p.lanes:
        refs = "".join(
            f"<bpmn:flowNodeRef>{n.id}</bpmn:flowNodeRef>" for n in p.nodes.values() if n.lane == lane.id
        )
        out.append(
            f'      <bpmn:lane id="{lane.id}" name="{lane.role}">'
            f"<bpmn:documentation>{escape(lane.label)}</bpmn:documentation>{refs}</bpmn:lane>"
        )
    out.append("    </bpmn:laneSet>")
    out += [_node_xml(n) for n in p.nodes.values()]
    out += [_flow_xml(f) for f in p.flows]
    out.append("  </bpmn:process>")

    # diagram
    out += [
        f'  <bpmndi:BPMNDiagram id="diagram_{p.key}">',
        f'    <bpmndi:BPMNPlane id="plane_{p.key}" bpmnElement="collaboration_{p.key}">',
        f'      <bpmndi:BPMNShape id="participant_{p.key}_di" bpmnElement="participant_{p.key}"'
        f' isHorizontal="true"><dc:Bounds x="{POOL_X}" y="80" width="{_num(width)}"'
        f' height="{_num(total_height)}" /></bpmndi:BPMNShape>',
    ]
    for lane in p.lanes:
        out.append(
            f'      <bpmndi:BPMNShape id="{lane.id}_di" bpmnElement="{lane.id}" isHorizontal="true">'
            f'<dc:Bounds x="{POOL_X + POOL_LABEL}" y="{_num(lane.top)}" width="{_num(width - POOL_LABEL)}"'
            f' height="{_num(lane.height)}" /></bpmndi:BPMNShape>'
        )
    for n in p.nodes.values():
        x, y, w, h = n.bounds
        marker = ' isMarkerVisible="true"' if n.kind == "xor" else ""
        label = ""
        if n.kind in ("start", "end", *BOUNDARIES, *GATEWAYS) and n.name:
            label = (
                f'<bpmndi:BPMNLabel><dc:Bounds x="{_num(n.cx - 40)}" y="{_num(y + h + 4)}"'
                ' width="80" height="27" /></bpmndi:BPMNLabel>'
            )
            if n.kind == "boundary_message":  # neighbours on one host: labels one under another
                label = label.replace(f'y="{_num(y + h + 4)}"', f'y="{_num(y + h + 4 + 14 * n.slot)}"')
            if n.kind in GATEWAYS:  # gateway labels above, where no flow leaves
                label = label.replace(f'y="{_num(y + h + 4)}"', f'y="{_num(y - 30)}"')
        out.append(
            f'      <bpmndi:BPMNShape id="{n.id}_di" bpmnElement="{n.id}"{marker}>'
            f'<dc:Bounds x="{_num(x)}" y="{_num(y)}" width="{w}" height="{h}" />{label}</bpmndi:BPMNShape>'
        )
    for f in p.flows:
        pts = "".join(f'<di:waypoint x="{_num(x)}" y="{_num(y)}" />' for x, y in route(p, f))
        out.append(f'      <bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">{pts}</bpmndi:BPMNEdge>')
    out += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>", "</bpmn:definitions>", ""]
    return "\n".join(out)


# -- helpers for declaring a process ------------------------------------------------------------


def stage_script(stage: str, label: str, extra: str = "") -> str:
    """Script body recording where the case stands (the case row has no process-set status)."""
    lines = [f"stage = {stage!r}", f"stage_label = {label!r}"]
    if extra:
        lines.append(extra)
    return "\n".join(lines)


# -- 2. Arbitration (调解仲裁法 ch.3; 办案规则) ----------------------------------------------------

#: Process variable: the day the commission accepted the case (ISO date), entered with the
#: acceptance decision (forms/review_application.json).  The periods that run "from acceptance" —
#: service on the respondent (法30), tribunal notice (法31-32) and the award (法43) — count from it
#: (`deadlineFrom`), not from the day their task opens: the award task opens weeks later.
ACCEPTED_ON = "accepted_on"


def arbitration() -> Process:
    p = Process(
        key="arbitration",
        name="劳动人事争议仲裁",
        doc=(
            "劳动争议仲裁（《劳动争议调解仲裁法》第三章）：收到仲裁申请、受理审查（受理/不予受理/补正）、"
            "送达被申请人、答辩期、组成仲裁庭、开庭通知、开庭审理、裁决前调解、裁决书拟定与审批。"
            "过程变量 stage / stage_label 记录案件所处阶段；accepted_on 为受理日期（受理审查时填写），"
            "送达被申请人（法30）、组庭通知（法31、32）和裁决（法43）的期间自该日起算。"
        ),
        lanes=[
            Lane("lane_worker", "worker", "申请人（劳动者）"),
            Lane("lane_clerk", "clerk", "书记员", rows=2),
            Lane("lane_commission_head", "commission_head", "仲裁委员会负责人", rows=3),
            Lane("lane_arbitrator", "arbitrator", "仲裁员（仲裁庭）", rows=3),
        ],
        messages={
            "message_defence_received": "defence_received",
            "message_recusal_requested": "recusal_requested",
            "message_postponement_requested": "postponement_requested",
            "message_advance_execution_requested": "advance_execution_requested",
        },
    )
    W, C, H, A = "lane_worker", "lane_clerk", "lane_commission_head", "lane_arbitrator"
    add = p.add

    # receipt and acceptance review
    add(Node("application_received", "start", "收到仲裁申请", C, 0))
    add(
        Node(
            "record_receipt",
            "script",
            "登记收件",
            C,
            1,
            script=stage_script(
                "application_received",
                "已收到仲裁申请，待受理审查",
                "supplement_rounds = 0\npartial_awards = 0\nhearing_notified = False\n"
                + "".join(
                    f"try:\n    {name}\nexcept NameError:\n    {name} = {default}\n"
                    for name, default in (
                        ("defence_wait", '"P15D"'),
                        ("collective", "False"),
                        ("region_code", "None"),
                    )
                ),
            ),
            doc=(
                "defence_wait：等待答辩书的时长（ISO 8601，默认 P15D）。答辩期为收到副本后十个工作日"
                "（法30，办案规则82），普通两周为14个日历日；跨法定节假日时应在立案数据中调长。"
            ),
        )
    )
    add(Node("review_join", "xor", "", C, 2))
    add(
        Node(
            "review_application",
            "user",
            "受理审查",
            C,
            3,
            form="review_application.json",
            deadline="arbitration.accept",
            doc=(
                "自收到仲裁申请之日起五日内作出受理或不予受理决定（法29）；材料不全的，一次性告知补正，"
                "补正后重新计算审查期限。决定受理的，填写受理日期（accepted_on，受理通知书所载日期），"
                "此后自受理之日起算的期间均以该日为起算日。"
            ),
        )
    )
    add(Node("acceptance_gateway", "xor", "受理决定", C, 4))
    add(
        Node(
            "mark_awaiting_supplement",
            "script",
            "通知补正",
            W,
            4,
            script=stage_script(
                "awaiting_supplement",
                "申请材料需要补正，请按补正通知提交材料",
                "supplement_rounds = supplement_rounds + 1",
            ),
        )
    )
    add(
        Node(
            "supplement_application",
            "user",
            "补正申请材料",
            W,
            3,
            form="supplement_application.json",
            doc="申请人按补正通知一次性补齐材料；提交后重新进行受理审查。",
        )
    )
    add(
        Node(
            "mark_refused",
            "script",
            "出具不予受理通知书",
            C,
            4,
            row=1,
            issues="refusal_notice",
            script=stage_script("refused", "不予受理：申请人可以就该劳动争议事项向人民法院提起诉讼"),
        )
    )
    add(Node("refused", "end", "不予受理", C, 5, row=1))
    add(
        Node(
            "mark_accepted",
            "script",
            "出具受理通知书",
            C,
            5,
            issues="acceptance_notice",
            script=stage_script("accepted", "已受理，正在送达并组成仲裁庭"),
        )
    )
    add(Node("after_acceptance", "and", "", C, 6))

    # service and defence
    add(
        Node(
            "serve_respondent",
            "user",
            "送达仲裁申请书副本",
            C,
            7,
            form="serve_respondent.json",
            deadline="arbitration.serve_respondent",
            deadline_from=ACCEPTED_ON,
            doc="受理后五日内将仲裁申请书副本送达被申请人（法30）；期间自受理日期 accepted_on 起算。",
        )
    )
    add(
        Node(
            "await_defence",
            "receive",
            "等待答辩书",
            C,
            8,
            message="message_defence_received",
            message_var="defence",
            doc=(
                "被申请人收到副本后十日内提交答辩书（法30）；答辩书以消息 defence_received 送达本案。"
                "被申请人未提交答辩书的，不影响仲裁程序的进行。"
            ),
        )
    )
    add(
        Node(
            "defence_period_expired",
            "boundary_timer",
            "答辩期届满",
            C,
            0,
            attached_to="await_defence",
            timer="defence_wait",
        )
    )
    add(
        Node(
            "record_defence",
            "script",
            "登记答辩书",
            C,
            9,
            script='defence_status = "received"',
        )
    )
    add(
        Node(
            "serve_defence",
            "user",
            "送达答辩书副本",
            C,
            10,
            form="serve_defence.json",
            deadline="arbitration.serve_defence",
            doc="收到答辩书后五日内将副本送达申请人（法30）。",
        )
    )
    add(
        Node(
            "record_no_defence",
            "script",
            "登记未答辩",
            C,
            9,
            row=1,
            script='defence_status = "not_received"',
        )
    )
    add(Node("defence_join", "xor", "", C, 11))

    # tribunal: collective disputes always get three arbitrators (法7, 办案规则: no simplified procedure)
    add(Node("tribunal_gateway", "xor", "集体争议？", H, 8))
    add(
        Node(
            "form_tribunal",
            "user",
            "组成仲裁庭",
            H,
            9,
            form="form_tribunal.json",
            issues="form_tribunal_notice",
            deadline="arbitration.form_tribunal",
            deadline_from=ACCEPTED_ON,
            doc=(
                "受理后五日内将仲裁庭组成情况书面通知当事人（法31、32），期间自受理日期 accepted_on 起算；"
                "一般由三名仲裁员组成，简单案件适用简易程序的可由一名仲裁员独任仲裁（办案规则56-61）。"
            ),
        )
    )
    add(
        Node(
            "form_collegiate_tribunal",
            "user",
            "组成仲裁庭（集体争议）",
            H,
            9,
            row=1,
            form="form_collegiate_tribunal.json",
            issues="form_tribunal_notice",
            deadline="arbitration.form_tribunal",
            deadline_from=ACCEPTED_ON,
            doc=(
                "集体劳动争议（劳动者一方在十人以上并有共同请求，法7）优先处理，由三名仲裁员组成仲裁庭，"
                "不适用简易程序；组庭通知期限同法31、32。"
            ),
        )
    )
    add(Node("tribunal_join", "xor", "", H, 10))
    add(Node("ready_for_hearing", "and", "", C, 12))
    add(
        Node(
            "mark_hearing",
            "script",
            "进入开庭准备",
            C,
            13,
            script=stage_script("hearing", "仲裁庭已组成，等待开庭"),
        )
    )

    # hearing: scheduled by the tribunal; recusal and postponement interrupt it
    add(Node("hearing_join", "xor", "", A, 14, row=1))
    add(
        Node(
            "notify_hearing",
            "user",
            "安排开庭并通知",
            A,
            15,
            row=1,
            form="notify_hearing.json",
            issues="hearing_notice",
            doc=(
                "仲裁庭应当在开庭五日前将开庭日期、地点书面通知双方当事人（法35）：按审理室和仲裁员日程"
                "安排开庭（不得重复占用）。该期间按开庭日倒算（规则 arbitration.hearing_notice），"
                "开庭日期在本任务中才确定，故不在此挂接 deadline，由排庭时校验。"
            ),
        )
    )
    add(
        Node(
            "mark_hearing_notified",
            "script",
            "开庭已通知",
            A,
            16,
            row=1,
            script=stage_script("hearing_scheduled", "已通知开庭", "hearing_notified = True"),
        )
    )
    add(Node("conduct_join", "xor", "", A, 17, row=1))
    add(
        Node(
            "conduct_hearing",
            "user",
            "开庭审理",
            A,
            18,
            row=1,
            form="conduct_hearing.json",
            doc=(
                "申请人无正当理由拒不到庭或未经许可中途退庭的，可以视为撤回仲裁申请；"
                "被申请人无正当理由拒不到庭的，可以缺席裁决（法36）。"
            ),
        )
    )
    add(
        Node(
            "recusal_before_notice",
            "boundary_message",
            "申请回避",
            A,
            0,
            attached_to="notify_hearing",
            message="message_recusal_requested",
            message_var="recusal_request",
        )
    )
    add(
        Node(
            "recusal_before_hearing",
            "boundary_message",
            "申请回避",
            A,
            0,
            attached_to="conduct_hearing",
            message="message_recusal_requested",
            message_var="recusal_request",
        )
    )
    add(
        Node(
            "postponement_requested",
            "boundary_message",
            "申请延期开庭",
            A,
            0,
            slot=1,
            attached_to="conduct_hearing",
            message="message_postponement_requested",
            message_var="postponement_request",
        )
    )
    # pre-judgment execution (先予执行): the tribunal decides beside the hearing or the award, then resumes
    for host, slot in (("conduct_hearing", 2), ("draft_award", 0)):
        add(
            Node(
                f"advance_execution_at_{host.split('_')[-1]}",
                "boundary_message",
                "申请先予执行",
                A,
                0,
                slot=slot,
                attached_to=host,
                message="message_advance_execution_requested",
                message_var="advance_execution_request",
            )
        )
    add(Node("advance_execution_join", "xor", "", A, 23, row=0))
    add(
        Node(
            "decide_advance_execution",
            "user",
            "裁决是否先予执行",
            A,
            24,
            row=0,
            form="decide_advance_execution.json",
            doc=(
                "追索劳动报酬、工伤医疗费、经济补偿或者赔偿金的案件，根据当事人的申请，可以裁决先予执行，"
                "移送人民法院执行；条件：当事人之间权利义务关系明确，不先予执行将严重影响申请人的生活；"
                "劳动者申请先予执行的，可以不提供担保（法44）。裁决后继续原来的审理或裁决。"
            ),
        )
    )
    add(Node("advance_execution_return", "xor", "回到", A, 25, row=0))
    add(Node("recusal_join", "xor", "", H, 15, row=1))
    add(
        Node(
            "decide_recusal",
            "user",
            "决定是否回避",
            H,
            16,
            row=1,
            form="decide_recusal.json",
            deadline="arbitration.recusal_decision",
            doc=(
                "当事人提出回避申请的，仲裁委员会应当在三日内作出决定，以口头或者书面方式通知当事人"
                "（法33、34；办案规则11-12）。决定作出前，被申请回避的仲裁员暂停参与本案工作。"
            ),
        )
    )
    add(Node("recusal_gateway", "xor", "回避决定", H, 17, row=1))
    add(
        Node(
            "replace_arbitrator",
            "user",
            "重新组成仲裁庭",
            H,
            18,
            row=1,
            form="form_tribunal.json",
            issues="form_tribunal_notice",
            doc="回避申请成立的，更换仲裁员、重新组成仲裁庭并书面通知当事人，随后重新安排开庭（法31-34）。",
        )
    )
    add(Node("resume_gateway", "xor", "已通知开庭？", H, 18, row=2))
    add(
        Node(
            "decide_postponement",
            "user",
            "决定是否延期开庭",
            H,
            20,
            row=2,
            form="decide_postponement.json",
            doc="当事人有正当理由的，可以在开庭三日前请求延期开庭；是否延期，由仲裁委员会决定（法35）。",
        )
    )
    add(Node("postponement_gateway", "xor", "延期决定", H, 21, row=2))
    add(
        Node(
            "mark_postponed",
            "script",
            "出具延期开庭通知书",
            H,
            22,
            row=2,
            issues="postpone_hearing_notice",
            script=stage_script("hearing_postponed", "开庭已延期，等待重新安排", "hearing_notified = False"),
        )
    )
    add(Node("hearing_gateway", "xor", "庭审情况", A, 19, row=1))
    add(
        Node(
            "mark_withdrawn",
            "script",
            "按撤回仲裁申请处理",
            A,
            19,
            row=0,
            script=stage_script("withdrawn", "申请人无正当理由拒不到庭，视为撤回仲裁申请"),
        )
    )
    add(Node("withdrawn", "end", "视为撤回", A, 20, row=0))

    # mediation before the award
    add(
        Node(
            "mediate",
            "user",
            "裁决前调解",
            A,
            20,
            row=1,
            form="mediate.json",
            doc="仲裁庭在作出裁决前，应当先行调解（法42）。",
        )
    )
    add(Node("mediation_gateway", "xor", "调解结果", A, 21, row=1))
    add(
        Node(
            "serve_mediation_statement",
            "user",
            "送达调解书",
            C,
            22,
            form="serve_mediation_statement.json",
            doc="调解书经双方当事人签收后发生法律效力；调解书送达前一方当事人反悔的，仲裁庭应当及时作出裁决（法42）。",
        )
    )
    add(Node("statement_gateway", "xor", "双方签收？", C, 23))
    add(
        Node(
            "mark_mediated",
            "script",
            "调解书生效",
            C,
            24,
            script=stage_script("mediated", "调解书已经双方签收，发生法律效力，本案调解结案"),
        )
    )
    add(Node("mediated", "end", "调解结案", C, 25))

    # the award: drafted, judged final or not item by item, approved, issued (in parts if need be)
    add(Node("award_join", "xor", "", A, 23, row=2))
    add(
        Node(
            "mark_award_drafting",
            "script",
            "进入裁决",
            A,
            24,
            row=2,
            script=stage_script("award_drafting", "仲裁庭正在制作裁决书"),
        )
    )
    add(
        Node(
            "draft_award",
            "user",
            "制作裁决书",
            A,
            25,
            row=2,
            form="draft_award.json",
            deadline="arbitration.award",
            deadline_from=ACCEPTED_ON,
            doc=(
                "自受理仲裁申请之日起四十五日内结束；案情复杂需要延期的，经仲裁委员会主任批准可以延期"
                "并书面通知当事人，延长期限不得超过十五日（法43）。期间自受理日期 accepted_on 起算，"
                "而非本任务开启之日。部分事实已经清楚的，可以就该部分先行裁决（法43）。"
            ),
        )
    )
    add(Node("approval_join", "xor", "", A, 26, row=2))
    add(
        Node(
            "judge_finality",
            "service",
            "逐项判断终局裁决",
            A,
            27,
            row=2,
            service="award_finality",
            params={"award_items": "award_items", "region_code": "region_code"},
            result_var="finality",
            doc=(
                "逐项判断：追索劳动报酬、工伤医疗费、经济补偿或者赔偿金，不超过当地月最低工资标准十二个月"
                "金额的，以及因执行国家劳动标准在工作时间、休息休假、社会保险等方面发生的争议，裁决为终局"
                "裁决（法47）；各项均属终局的方为终局裁决，终局与非终局事项并存的按非终局裁决处理"
                "（解释(一)19-20）。月最低工资标准按仲裁委员会所在地区和裁决日取值。"
            ),
        )
    )
    add(
        Node(
            "record_finality",
            "script",
            "记录裁决效力",
            A,
            28,
            row=2,
            script=(
                'award_items = finality["award_items"]\n'
                'award_finality = finality["award_finality"]\n'
                'monthly_minimum_wage = finality["monthly_minimum_wage"]'
            ),
        )
    )
    add(
        Node(
            "approve_award",
            "user",
            "审批裁决书",
            H,
            29,
            form="approve_award.json",
            doc="裁决书由仲裁员签名，加盖仲裁委员会印章（法46）；审批后出具。",
        )
    )
    add(Node("approval_gateway", "xor", "审批意见", H, 30))
    add(
        Node(
            "revise_award",
            "user",
            "修改裁决书",
            A,
            30,
            row=2,
            form="draft_award.json",
            doc="按审批意见修改裁决书后重新报批。",
        )
    )
    add(Node("scope_gateway", "xor", "先行裁决？", H, 31))
    add(
        Node(
            "mark_partly_awarded",
            "script",
            "出具先行裁决书",
            H,
            32,
            row=1,
            issues="award_document",
            script=stage_script(
                "partly_awarded",
                "已就部分请求先行裁决，其余请求继续审理",
                "partial_awards = partial_awards + 1",
            ),
        )
    )
    add(
        Node(
            "mark_awarded",
            "script",
            "出具裁决书",
            H,
            32,
            issues="award_document",
            script=stage_script(
                "awarded",
                "裁决书已出具",
                'final_award = award_finality == "final"',
            ),
        )
    )
    add(Node("awarded", "end", "裁决结案", H, 33))

    f = p.flow
    f("application_received", "record_receipt")
    f("record_receipt", "review_join")
    f("review_join", "review_application")
    f("review_application", "acceptance_gateway")
    f("acceptance_gateway", "mark_accepted", "受理", 'acceptance_decision == "accept"')
    f("acceptance_gateway", "mark_refused", "不予受理", 'acceptance_decision == "refuse"')
    f("acceptance_gateway", "mark_awaiting_supplement", "补正", default=True)
    f("mark_awaiting_supplement", "supplement_application")
    f("supplement_application", "review_join")
    f("mark_refused", "refused")
    f("mark_accepted", "after_acceptance")
    f("after_acceptance", "serve_respondent")
    f("after_acceptance", "tribunal_gateway")
    f("tribunal_gateway", "form_collegiate_tribunal", "集体争议", "collective == True")
    f("tribunal_gateway", "form_tribunal", "一般案件", default=True)
    f("form_tribunal", "tribunal_join")
    f("form_collegiate_tribunal", "tribunal_join")
    f("serve_respondent", "await_defence")
    f("await_defence", "record_defence", "收到答辩书")
    f("record_defence", "serve_defence")
    f("serve_defence", "defence_join")
    f("defence_period_expired", "record_no_defence")
    f("record_no_defence", "defence_join")
    f("defence_join", "ready_for_hearing")
    f("tribunal_join", "ready_for_hearing")
    f("ready_for_hearing", "mark_hearing")
    f("mark_hearing", "hearing_join")
    f("hearing_join", "notify_hearing")
    f("notify_hearing", "mark_hearing_notified")
    f("mark_hearing_notified", "conduct_join")
    f("conduct_join", "conduct_hearing")
    f("recusal_before_notice", "recusal_join", router=_from_boundary)
    f("recusal_before_hearing", "recusal_join", router=_from_boundary)
    f("recusal_join", "decide_recusal")
    f("decide_recusal", "recusal_gateway")
    f("recusal_gateway", "replace_arbitrator", "回避", 'recusal_decision == "granted"')
    f("recusal_gateway", "resume_gateway", "驳回申请", default=True)
    f("replace_arbitrator", "hearing_join", router=_back_above)
    f("resume_gateway", "conduct_join", "已通知", "hearing_notified == True", router=_back_above)
    f("resume_gateway", "hearing_join", "未通知", default=True, router=_back_above)
    f("postponement_requested", "decide_postponement", router=_from_boundary)
    f("decide_postponement", "postponement_gateway")
    f("postponement_gateway", "mark_postponed", "准许延期", 'postponement_decision == "granted"')
    f("postponement_gateway", "conduct_join", "不准许", default=True, router=_back_above)
    f("mark_postponed", "hearing_join", router=_back_above)
    f("advance_execution_at_hearing", "advance_execution_join", router=_from_boundary)
    f("advance_execution_at_award", "advance_execution_join", router=_from_boundary)
    f("advance_execution_join", "decide_advance_execution")
    f("decide_advance_execution", "advance_execution_return")
    f(
        "advance_execution_return",
        "award_join",
        "制作裁决书",
        'stage == "award_drafting"',
        router=_back_above,
    )
    f("advance_execution_return", "conduct_join", "开庭审理", default=True, router=_back_above)
    f("conduct_hearing", "hearing_gateway")
    f("hearing_gateway", "mediate", "开庭审理", default=True)
    f("hearing_gateway", "mark_withdrawn", "申请人拒不到庭", 'hearing_outcome == "applicant_absent"')
    f(
        "hearing_gateway",
        "award_join",
        "被申请人缺席",
        'hearing_outcome == "respondent_absent"',
        router=_under_the_award_row,
    )
    f("mark_withdrawn", "withdrawn")
    f("mediate", "mediation_gateway")
    f(
        "mediation_gateway",
        "serve_mediation_statement",
        "达成协议",
        'tribunal_mediation_result == "agreement"',
    )
    f("mediation_gateway", "award_join", "调解不成", default=True, router=_down_then_right)
    f("serve_mediation_statement", "statement_gateway")
    f("statement_gateway", "mark_mediated", "双方签收", "mediation_statement_signed == True")
    f("statement_gateway", "award_join", "一方反悔", default=True)
    f("mark_mediated", "mediated")
    f("award_join", "mark_award_drafting")
    f("mark_award_drafting", "draft_award")
    f("draft_award", "approval_join")
    f("approval_join", "judge_finality")
    f("judge_finality", "record_finality")
    f("record_finality", "approve_award")
    f("approve_award", "approval_gateway")
    f("approval_gateway", "scope_gateway", "批准", 'award_approval == "approve"')
    f("approval_gateway", "revise_award", "退回修改", default=True)
    f("revise_award", "approval_join", router=_under_the_award_row)
    f("scope_gateway", "mark_partly_awarded", "先行裁决", 'award_scope == "partial"')
    f("scope_gateway", "mark_awarded", "全部裁决", default=True)
    f("mark_partly_awarded", "award_join", router=_under_the_award_row)
    f("mark_awarded", "awarded")
    return p


def _back_above(s: Node, t: Node) -> list[Point]:
    """A flow back to the left or down a lane: down out of the source, along the gap above the
    target's row, down into its top."""
    above = t.cy - t.size[1] / 2 - 20
    return [(s.cx, s.cy + s.size[1] / 2), (s.cx, above), (t.cx, above), (t.cx, t.cy - t.size[1] / 2)]


def _from_boundary(s: Node, t: Node) -> list[Point]:
    """Out of a boundary event: down into the gap under the host's row, across to just left of
    the target, then into its left side, so the flow never crosses its own host."""
    gap = s.cy + s.size[1] / 2 + 12 + 6 * s.slot
    x = t.cx - t.size[0] / 2 - 15
    return [(s.cx, s.cy + s.size[1] / 2), (s.cx, gap), (x, gap), (x, t.cy), (t.cx - t.size[0] / 2, t.cy)]


def _under_the_award_row(s: Node, t: Node) -> list[Point]:
    """Gateway down below the award row, then up into the join from underneath."""
    below = t.cy + 55
    return [(s.cx, s.cy + 25), (s.cx, below), (t.cx, below), (t.cx, t.cy + 25)]


def _down_then_right(s: Node, t: Node) -> list[Point]:
    """Gateway down to the target's row, then right into its left corner."""
    return [(s.cx, s.cy + 25), (s.cx, t.cy), (t.cx - t.size[0] / 2, t.cy)]


# -- 1. Mediation (调解仲裁法 ch.2) ----------------------------------------------------------------


def mediation() -> Process:
    p = Process(
        key="mediation",
        name="劳动争议调解",
        doc=(
            "劳动争议调解（《劳动争议调解仲裁法》第二章）：登记调解申请，"
            "调解员自收到申请之日起十五日内调解；达成协议的制作调解协议书，"
            "未达成的当事人可以依法申请仲裁。过程变量 stage / stage_label 记录结果。"
        ),
        lanes=[Lane("lane_mediator", "mediator", "调解员", rows=2)],
    )
    M = "lane_mediator"
    add = p.add
    add(Node("application_received", "start", "收到调解申请", M, 0))
    add(
        Node(
            "record_application",
            "script",
            "登记调解申请",
            M,
            1,
            script=stage_script(
                "mediating",
                "调解组织已收到调解申请，正在调解",
                'try:\n    application_mode\nexcept NameError:\n    application_mode = "written"',
            ),
            doc="书面申请或口头申请；口头申请的，调解组织当场记录申请人基本情况、申请调解的争议事项、理由和时间（法12）。",
        )
    )
    add(
        Node(
            "mediate",
            "user",
            "调解",
            M,
            2,
            form="mediate.json",
            deadline="mediation.mediate",
            doc="自劳动争议调解组织收到调解申请之日起十五日内未达成调解协议的，当事人可以依法申请仲裁（法14）。",
        )
    )
    add(Node("mediation_gateway", "xor", "调解结果", M, 3))
    add(
        Node(
            "record_agreement",
            "user",
            "制作调解协议书",
            M,
            4,
            form="record_agreement.json",
            doc="调解协议书由双方当事人签名或者盖章，经调解员签名并加盖调解组织印章后生效（法14）。",
        )
    )
    add(Node("agreement_gateway", "xor", "协议生效？", M, 5))
    add(
        Node(
            "mark_agreement",
            "script",
            "调解协议书生效",
            M,
            6,
            script=stage_script(
                "agreement",
                "已达成调解协议，调解协议书对双方具有约束力；一方不履行的，另一方可以依法申请仲裁",
            ),
        )
    )
    add(Node("agreement_reached", "end", "达成调解协议", M, 7))
    add(
        Node(
            "mark_no_agreement",
            "script",
            "调解不成",
            M,
            5,
            row=1,
            script=stage_script(
                "no_agreement",
                "未达成调解协议，当事人可以依法向劳动人事争议仲裁委员会申请仲裁",
                "may_apply_for_arbitration = True",
            ),
        )
    )
    add(Node("no_agreement", "end", "调解不成", M, 6, row=1))
    f = p.flow
    f("application_received", "record_application")
    f("record_application", "mediate")
    f("mediate", "mediation_gateway")
    f("mediation_gateway", "record_agreement", "达成协议", 'mediation_result == "agreement"')
    f("mediation_gateway", "mark_no_agreement", "未达成协议", default=True)
    f("record_agreement", "agreement_gateway")
    f("agreement_gateway", "mark_agreement", "双方签字", "agreement_signed == True")
    f("agreement_gateway", "mark_no_agreement", "一方拒签", default=True)
    f("mark_agreement", "agreement_reached")
    f("mark_no_agreement", "no_agreement")
    return p


# -- 8. Electronic labour contracts (电子劳动合同订立指引, 2021) ----------------------------------------

#: The domain effects of the signing process (workflows.contracts registers their handlers).
CONTRACT_SENT, CONTRACT_REMIND, CONTRACT_EXPIRE, CONTRACT_CONCLUDE = (
    "labour_contract.sent",
    "labour_contract.remind",
    "labour_contract.expire",
    "labour_contract.conclude",
)


def _over_the_top(height: float) -> Router:
    """Out of the source's top, along a line `height` above the row, down into the target's top."""

    def router(s: Node, t: Node) -> list[Point]:
        above = min(s.cy - s.size[1] / 2, t.cy - t.size[1] / 2) - height
        return [(s.cx, s.cy - s.size[1] / 2), (s.cx, above), (t.cx, above), (t.cx, t.cy - t.size[1] / 2)]

    return router


def _left_and_up(s: Node, t: Node) -> list[Point]:
    """Out of the lower left of the source, left to under the target, up into its bottom."""
    y = s.cy + 20
    return [(s.cx - s.size[0] / 2, y), (t.cx, y), (t.cx, t.cy + t.size[1] / 2)]


def labour_contract_signing() -> Process:
    p = Process(
        key="labour_contract_signing",
        name="电子劳动合同签署",
        doc=(
            "电子劳动合同的签署（《电子劳动合同订立指引》）：用人单位发出合同并告知劳动者签署流程、"
            "查看和下载方式且不收取费用；按签署顺序（劳动者先签、用人单位先签或仅用人单位盖章）由劳动者"
            "核验身份后签名、用人单位加盖电子印章；双方签署后加盖可信时间戳、归档并办理用工备案，"
            "合同订立。签署截止前提醒；逾期未签的合同过期；劳动者可拒签，用人单位可在劳动者签名前作废。"
            "过程变量：contract_id、signing_order、due_at（签署截止，ISO 8601）、remind_at（提醒时间）、"
            "worker_signed、employer_sealed。"
        ),
        lanes=[
            Lane("lane_employer_agent", "employer_agent", "用人单位经办人", rows=3),
            Lane("lane_worker", "worker", "劳动者", rows=2),
        ],
        messages={
            "message_contract_declined": "contract_declined",
            "message_contract_voided": "contract_voided",
        },
    )
    E, W = "lane_employer_agent", "lane_worker"
    add = p.add
    add(Node("contract_sent", "start", "发出劳动合同", E, 0))
    add(
        Node(
            "record_sending",
            "script",
            "告知签署流程",
            E,
            1,
            effect=CONTRACT_SENT,
            script=stage_script(
                "awaiting_signatures",
                "待签署",
                "worker_signed = False\nemployer_sealed = False",
            ),
            doc="以短信告知劳动者签署流程及查看、下载合同的方式，签署不收取任何费用（指引第三条）。",
        )
    )
    add(Node("signing_join", "xor", "", E, 2))
    add(Node("next_signer", "xor", "下一签署方", E, 3))
    add(
        Node(
            "employer_seal",
            "user",
            "用人单位盖章",
            E,
            4,
            form="employer_seal.json",
            doc="用人单位以其电子印章（CA 证书）签署合同，并加盖可信时间戳。",
        )
    )
    add(
        Node(
            "worker_sign",
            "user",
            "劳动者签名",
            W,
            4,
            form="worker_sign.json",
            doc="劳动者通过实名信息与短信验证码核验身份后，以个人数字证书签名；核验过程作为证据留存。",
        )
    )
    add(
        Node(
            "conclude",
            "script",
            "订立：时间戳、归档、备案",
            E,
            6,
            effect=CONTRACT_CONCLUDE,
            script=stage_script("concluded", "已订立"),
            doc=(
                "双方签署后合同生效：核验签名与可信时间戳，存入防篡改电子档案（保存至合同解除或终止后"
                "至少二年），出具签署完成证明，办理用工备案，并通知劳动者随时可免费查看、下载和打印。"
            ),
        )
    )
    add(Node("concluded", "end", "合同订立", E, 7))
    # the signing deadline, on whichever signature is awaited
    for host, slot in (("employer_seal", 0), ("worker_sign", 0)):
        add(
            Node(
                f"{host}_deadline",
                "boundary_timer",
                "签署截止",
                E if host == "employer_seal" else W,
                0,
                slot=slot,
                attached_to=host,
                timer_date="due_at",
            )
        )
    add(
        Node(
            "record_expired",
            "script",
            "合同过期",
            E,
            6,
            row=1,
            effect=CONTRACT_EXPIRE,
            script=stage_script("expired", "超过签署期限，合同未订立"),
        )
    )
    add(Node("expired", "end", "过期", E, 7, row=1))
    # the employer may void the contract while the worker has not signed
    for host, slot in (("employer_seal", 1), ("worker_sign", 3)):
        add(
            Node(
                f"{host}_voided",
                "boundary_message",
                "用人单位作废",
                E if host == "employer_seal" else W,
                0,
                slot=slot,
                attached_to=host,
                message="message_contract_voided",
                message_var="voiding",
            )
        )
    add(
        Node(
            "record_voided",
            "script",
            "合同作废",
            E,
            6,
            row=2,
            script=stage_script("voided", "用人单位已作废合同"),
        )
    )
    add(Node("voided", "end", "作废", E, 7, row=2))
    add(
        Node(
            "worker_sign_reminder",
            "boundary_timer",
            "签署提醒",
            W,
            0,
            slot=1,
            attached_to="worker_sign",
            timer_date="remind_at",
            interrupting=False,
        )
    )
    add(
        Node(
            "remind_worker",
            "script",
            "提醒劳动者签署",
            W,
            6,
            effect=CONTRACT_REMIND,
            script="reminded = True",
            doc="签署截止前以短信提醒劳动者尚未签署的合同及截止时间。",
        )
    )
    add(Node("reminded", "end", "已提醒", W, 7))
    add(
        Node(
            "worker_declined",
            "boundary_message",
            "劳动者拒签",
            W,
            0,
            slot=2,
            attached_to="worker_sign",
            message="message_contract_declined",
            message_var="declining",
        )
    )
    add(
        Node(
            "record_declined",
            "script",
            "劳动者拒签",
            W,
            6,
            row=1,
            script=stage_script("declined", "劳动者拒绝签署"),
        )
    )
    add(Node("declined", "end", "拒签", W, 7, row=1))

    f = p.flow
    needs_worker = (
        "not worker_signed and signing_order != 'employer_only'"
        " and (signing_order == 'worker_first' or employer_sealed)"
    )
    needs_employer = "not employer_sealed and (signing_order != 'worker_first' or worker_signed)"
    f("contract_sent", "record_sending")
    f("record_sending", "signing_join")
    f("signing_join", "next_signer")
    f("next_signer", "employer_seal", "用人单位盖章", needs_employer)
    f("next_signer", "worker_sign", "劳动者签名", needs_worker)
    f("next_signer", "conclude", "签署完毕", default=True, router=_over_the_top(40))
    f("employer_seal", "signing_join", router=_over_the_top(20))
    f("worker_sign", "signing_join", router=_left_and_up)
    f("conclude", "concluded")
    for host in ("employer_seal", "worker_sign"):
        f(f"{host}_deadline", "record_expired", router=_from_boundary)
        f(f"{host}_voided", "record_voided", router=_from_boundary)
    f("record_expired", "expired")
    f("record_voided", "voided")
    f("worker_sign_reminder", "remind_worker", router=_from_boundary)
    f("remind_worker", "reminded")
    f("worker_declined", "record_declined", router=_from_boundary)
    f("record_declined", "declined")
    return p


PROCESSES: tuple[Callable[[], Process], ...] = (arbitration, mediation, labour_contract_signing)


def build() -> dict[Path, str]:
    """The text of every generated file, by path."""
    result = {}
    for declare in PROCESSES:
        proc = declare()
        result[BPMN_DIR / proc.key / f"{proc.key}.bpmn"] = render(proc)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a committed file differs")
    args = parser.parse_args(argv)
    stale = []
    for path, text in build().items():
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run scripts/generate_bpmn.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
