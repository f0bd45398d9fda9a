"""Sample data for every document type: tests, layout review and benchmarks.

The data has the shape the issuing service passes (JSON values: dates and amounts as
strings).  `sample_award()` is a two-page 裁决书, the document the benchmarks render.
Names, numbers and places are invented; identity numbers carry valid check characters.
"""

from __future__ import annotations

import copy
import re
from datetime import date
from typing import Any

from documents.schemas import _ID_CHECK, _ID_WEIGHTS, _USCC_ALPHABET, _USCC_WEIGHTS

ISSUER = "江城市劳动人事争议仲裁委员会"
SHORT = "江劳人"
VERIFY_BASE = "https://laborcase.example.cn/verify"


def resident_id(first17: str) -> str:
    """Complete a 17-digit prefix with its GB 11643 check character."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + _ID_CHECK[total % 11]


def uscc(first17: str) -> str:
    """Complete a 17-character prefix with its GB 32100 check character."""
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return first17 + _USCC_ALPHABET[(31 - total % 31) % 31]


WORKER = {
    "role": "applicant",
    "name": "张晓珺",
    "kind": "person",
    "gender": "female",
    "ethnicity": "汉族",
    "birth_date": "1992-03-14",
    "resident_id": resident_id("42010619920314202"),
    "address": "湖北省江城市江岸区解放大道1088号3栋2单元501室",
    "agents": [{"name": "李德堃", "description": "湖北江城某某律师事务所律师"}],
}
EMPLOYER = {
    "role": "respondent",
    "name": "江城市星河电子科技有限公司",
    "kind": "organisation",
    "uscc": uscc("91420100MA4K8XY83"),
    "address": "湖北省江城市东湖新技术开发区光谷大道77号",
    "legal_representative": "王建国",
    "legal_representative_title": "执行董事",
    "agents": [{"name": "陈思远", "description": "该公司人力资源部经理"}],
}


def _common(kind: str, serial: int, series: str) -> dict[str, Any]:
    code = f"K7M{serial:03d}Q9XR"[:10]
    return {
        "issuer": ISSUER,
        "document_number": f"{SHORT}{series}〔2026〕第{serial}号",
        "issue_date": "2026-11-23",
        "verification_code": code,
        "verification_url": f"{VERIFY_BASE}/{code}",
        "case_number": f"{SHORT}仲案字〔2026〕第1207号",
        "case_title": "张晓珺与江城市星河电子科技有限公司劳动争议",
        "parties": [copy.deepcopy(WORKER), copy.deepcopy(EMPLOYER)],
        "claims": [
            {
                "position": 1,
                "claim_type": "wages",
                "description": "支付2026年6月至8月拖欠工资",
                "amount": "18600.00",
            },
            {
                "position": 2,
                "claim_type": "overtime",
                "description": "支付2025年9月至2026年8月延时加班工资",
                "amount": "9450.00",
            },
            {
                "position": 3,
                "claim_type": "compensation",
                "description": "支付违法解除劳动合同赔偿金",
                "amount": "37200.00",
            },
            {
                "position": 4,
                "claim_type": "leave",
                "description": "支付2025年度未休年休假工资",
                "amount": "2850.00",
            },
        ],
    }


def sample_mediation_agreement() -> dict[str, Any]:
    d = _common("mediation_agreement", 31, "调协字")
    d["issuer"] = "江城市江岸区劳动人事争议调解委员会"
    d["document_number"] = "江岸劳调协字〔2026〕第31号"
    d.update(
        mediator="周文静",
        mediation_summary=(
            "申请人于2023年4月入职被申请人处担任测试工程师，双方因2026年6月至8月工资支付及劳动合同"
            "解除发生争议，申请人于2026年9月2日申请调解。"
        ),
        agreement_terms=[
            "双方确认劳动关系于2026年8月31日解除。",
            "被申请人于2026年12月10日前一次性支付申请人2026年6月至8月工资人民币18,600.00元，"
            "经济补偿人民币15,500.00元，合计人民币34,100.00元，汇入申请人指定的银行账户。",
            "被申请人于2026年12月10日前为申请人出具解除劳动合同的证明，并办理档案和社会保险关系转移手续。",
            "双方就劳动关系存续期间及解除事宜再无其他争议。",
        ],
        performance_due_on="2026-12-10",
    )
    return d


def sample_supplement_notice() -> dict[str, Any]:
    d = _common("supplement_notice", 58, "仲补字")
    d.update(
        application_received_on="2026-09-15",
        supplement_items=[
            "被申请人的准确名称、住所地及统一社会信用代码（可通过国家企业信用信息公示系统查询打印）；",
            "仲裁请求中第二项延时加班工资的计算期间、计算基数和计算方式；",
            "申请人的身份证复印件（正反面），以及按被申请人人数提交的仲裁申请书副本一份。",
        ],
        supplement_due_on="2026-11-30",
    )
    return d


def sample_acceptance_notice() -> dict[str, Any]:
    d = _common("acceptance_notice", 1207, "仲受字")
    d.update(
        accepted_on="2026-09-20",
        evidence_due_on="2026-10-15",
        contact="联系人：刘书记员；联系电话：027-85551234；地址：江城市江岸区沿江大道188号仲裁院二楼。",
    )
    return d


def sample_refusal_notice() -> dict[str, Any]:
    d = _common("refusal_notice", 96, "仲不受字")
    d.update(
        application_received_on="2026-11-17",
        refusal_ground="not_labour_dispute",
        refusal_reason="申请人请求确认其与被申请人之间的股权转让协议无效，该请求属于民商事纠纷，不属于劳动人事争议处理范围。",
    )
    return d


def sample_form_tribunal_notice() -> dict[str, Any]:
    d = _common("form_tribunal_notice", 1207, "仲组字")
    d.update(
        tribunal_kind="collegiate",
        presiding_arbitrator="孙立平",
        other_arbitrators=["赵海燕", "钱志强"],
        clerk="刘洋",
    )
    return d


def sample_hearing_notice() -> dict[str, Any]:
    d = _common("hearing_notice", 1207, "仲开字")
    d.update(
        hearing_date="2026-12-08",
        hearing_time="09:30",
        hearing_place="江城市劳动人事争议仲裁院第三仲裁庭（江岸区沿江大道188号）",
    )
    return d


def sample_postpone_hearing_notice() -> dict[str, Any]:
    d = _common("postpone_hearing_notice", 1207, "仲延字")
    d.update(
        original_hearing_date="2026-12-08",
        requested_by="被申请人江城市星河电子科技有限公司",
        postponement_reason="其委托代理人因病住院、无法按期出庭",
        new_hearing_date="2026-12-22",
        new_hearing_time="14:30",
        hearing_place="江城市劳动人事争议仲裁院第三仲裁庭",
    )
    return d


def sample_extension_notice() -> dict[str, Any]:
    d = _common("extension_notice", 1207, "仲延限字")
    d.update(
        accepted_on="2026-09-20",
        extension_days=15,
        new_deadline="2026-11-19",
        extension_reason="本案需要对加班事实调取考勤及门禁记录",
    )
    d["issue_date"] = "2026-10-30"
    return d


def sample_mediation_statement() -> dict[str, Any]:
    d = _common("mediation_statement", 1207, "仲调字")
    d.update(
        accepted_on="2026-09-20",
        hearing_held_on="2026-11-02",
        tribunal_kind="collegiate",
        presiding_arbitrator="孙立平",
        other_arbitrators=["赵海燕", "钱志强"],
        clerk="刘洋",
        case_summary=(
            "申请人于2023年4月10日入职被申请人处，担任测试工程师，月工资人民币6,200元。"
            "2026年8月31日被申请人以经营困难为由解除劳动合同，申请人认为属违法解除，遂申请仲裁。"
        ),
        mediation_statement_terms=[
            "被申请人于2026年12月10日前支付申请人2026年6月至8月工资人民币18,600.00元；",
            "被申请人于2026年12月10日前支付申请人解除劳动合同经济补偿人民币21,700.00元；",
            "申请人放弃其他仲裁请求，双方再无劳动争议。",
        ],
    )
    return d


def sample_award_full() -> dict[str, Any]:
    """A fuller 裁决书 (five pages): statements, findings, reasoning, five items, non-final."""
    d = _common("award_document", 1207, "仲裁字")
    d.update(
        accepted_on="2026-09-20",
        hearing_held_on="2026-11-02",
        tribunal_kind="collegiate",
        presiding_arbitrator="孙立平",
        other_arbitrators=["赵海燕", "钱志强"],
        clerk="刘洋",
        applicant_statement=(
            "申请人于2023年4月10日入职被申请人处，担任测试工程师，月工资6,200元。被申请人自2026年6月起"
            "拖欠工资，并于2026年8月31日以“经营困难”为由口头通知解除劳动合同，未提前三十日通知，也未"
            "与申请人协商。申请人在职期间经常延时加班，被申请人未支付加班工资。故请求支持全部仲裁请求。"
        ),
        respondent_defence=(
            "被申请人确认拖欠申请人2026年6月至8月工资，但认为解除劳动合同系因公司业务调整，已与申请人"
            "协商一致，不属于违法解除；申请人主张的加班事实缺乏证据，公司实行弹性工作制；申请人2025年度"
            "年休假已由公司统一安排在春节期间休完。"
        ),
        findings=[
            "申请人于2023年4月10日入职被申请人处，双方签订了期限至2026年4月9日的劳动合同，到期后续签至"
            "2029年4月9日。申请人解除前十二个月平均工资为6,200元。",
            "被申请人未支付申请人2026年6月至8月工资共计18,600元，双方对此无异议。2026年8月31日，被申请人"
            "向申请人发出《解除劳动合同通知书》，载明解除理由为“公司经营困难、岗位调整”，被申请人未能"
            "提交与申请人协商一致或者依法履行相关程序的证据。",
            "申请人提交的考勤记录显示其2025年9月至2026年8月存在延时加班共计210小时，被申请人对考勤记录"
            "的真实性予以认可，但主张已通过调休抵扣，未提交调休记录。被申请人提交的2026年春节放假通知"
            "未载明系安排员工休年休假。",
        ],
        award_reasoning=[
            "用人单位应当按照劳动合同约定和国家规定，向劳动者及时足额支付劳动报酬。被申请人拖欠申请人"
            "2026年6月至8月工资18,600元，应予支付。",
            "被申请人解除劳动合同，既未证明与申请人协商一致，亦未证明存在法定解除事由，属于违法解除，"
            "应当依照经济补偿标准的二倍支付赔偿金。申请人工作年限为三年四个月，经济补偿按3.5个月计算，"
            "赔偿金为6,200元×3.5×2=43,400元；申请人主张37,200元，未超出法定标准，仲裁庭予以支持。",
            "被申请人认可考勤记录的真实性，但未能证明已安排调休，应当支付延时加班工资。经核算，"
            "延时加班工资为6,200元÷21.75÷8×150%×210小时=11,227.59元；申请人主张9,450元，予以支持。",
            "被申请人未能证明已安排申请人休2025年度年休假，申请人主张的未休年休假工资，依据相关规定"
            "核算为2,850元，予以支持。申请人要求被申请人支付2026年度年终奖，双方劳动合同及规章制度"
            "均无约定，申请人亦未举证证明，不予支持。",
        ],
        legal_basis=(
            "《中华人民共和国劳动合同法》第三十条、第三十一条、第四十七条、第四十八条、第八十七条，"
            "《职工带薪年休假条例》第五条"
        ),
        award_items=[
            {
                "claim": "支付2026年6月至8月拖欠工资",
                "ruling": "granted",
                "claimed_amount": "18600.00",
                "amount": "18600.00",
                "category": "labour_remuneration",
                "order": "被申请人于本裁决生效之日起五日内支付申请人2026年6月至8月工资人民币18,600.00元；",
            },
            {
                "claim": "支付2025年9月至2026年8月延时加班工资",
                "ruling": "granted",
                "claimed_amount": "9450.00",
                "amount": "9450.00",
                "category": "labour_remuneration",
                "order": "被申请人于本裁决生效之日起五日内支付申请人延时加班工资人民币9,450.00元；",
            },
            {
                "claim": "支付违法解除劳动合同赔偿金",
                "ruling": "granted",
                "claimed_amount": "37200.00",
                "amount": "37200.00",
                "category": "damages",
                "order": (
                    "被申请人于本裁决生效之日起五日内支付申请人违法解除劳动合同赔偿金人民币37,200.00元；"
                ),
            },
            {
                "claim": "支付2025年度未休年休假工资",
                "ruling": "granted",
                "claimed_amount": "2850.00",
                "amount": "2850.00",
                "category": "rest_and_leave",
                "order": "被申请人于本裁决生效之日起五日内支付申请人2025年度未休年休假工资人民币2,850.00元；",
            },
            {
                "claim": "支付2026年度年终奖",
                "ruling": "dismissed",
                "claimed_amount": "12400.00",
                "amount": "0",
                "category": "labour_remuneration",
                "order": "驳回申请人的其他仲裁请求。",
            },
        ],
        award_finality="non_final",
        monthly_minimum_wage="2210.00",
        basic_court="江城市江岸区人民法院",
        intermediate_court="江城市中级人民法院",
    )
    return d


def sample_award() -> dict[str, Any]:
    """A two-page 裁决书, as for a simple case: three items, one over art.47's bound (non-final).

    The benchmarks render this one.
    """
    d = _common("award_document", 1207, "仲裁字")
    d["parties"][0]["address"] = "湖北省江城市江岸区解放大道1088号"
    d["parties"][0]["agents"] = []
    d["parties"][1]["agents"] = []
    d["claims"] = [{**c, "amount": None} for c in (d["claims"][0], d["claims"][2], d["claims"][3])]
    d.update(
        accepted_on="2026-09-20",
        hearing_held_on="2026-11-02",
        tribunal_kind="collegiate",
        presiding_arbitrator="孙立平",
        other_arbitrators=["赵海燕", "钱志强"],
        clerk="刘洋",
        findings=(
            "被申请人未支付申请人2026年6月至8月工资共计18,600元；其于2026年8月31日以经营困难为由解除"
            "劳动合同，未能举证证明解除依据。"
        ),
        award_reasoning="被申请人拖欠工资、违法解除劳动合同，且未能证明已安排申请人休年休假，应当依法支付。",
        award_orders=[
            "被申请人于本裁决生效之日起五日内支付申请人2026年6月至8月工资18,600.00元、违法解除劳动合同"
            "赔偿金37,200.00元、2025年度未休年休假工资1,900.00元，合计57,700.00元；",
            "驳回申请人的其他仲裁请求。",
        ],
        legal_basis="《中华人民共和国劳动合同法》第三十条、第四十八条、第八十七条",
        award_items=[
            {
                "claim": "支付2026年6月至8月拖欠工资",
                "ruling": "granted",
                "claimed_amount": "18600.00",
                "amount": "18600.00",
                "category": "labour_remuneration",
                "order": "被申请人于本裁决生效之日起五日内支付申请人2026年6月至8月工资18,600.00元；",
            },
            {
                "claim": "支付违法解除劳动合同赔偿金",
                "ruling": "granted",
                "claimed_amount": "37200.00",
                "amount": "37200.00",
                "category": "damages",
                "order": "被申请人于本裁决生效之日起五日内支付申请人违法解除劳动合同赔偿金37,200.00元；",
            },
            {
                "claim": "支付2025年度未休年休假工资",
                "ruling": "partly_granted",
                "claimed_amount": "2850.00",
                "amount": "1900.00",
                "category": "rest_and_leave",
                "order": "被申请人于本裁决生效之日起五日内支付申请人2025年度未休年休假工资1,900.00元。",
            },
        ],
        award_finality="non_final",
        monthly_minimum_wage="2210.00",
        basic_court="江城市江岸区人民法院",
    )
    return d


def sample_final_award() -> dict[str, Any]:
    """A wage-only award within art.47: final for the employer (一裁终局)."""
    d = sample_award()
    d["document_number"] = f"{SHORT}仲裁字〔2026〕第1311号"
    d["claims"] = d["claims"][:1]
    d["award_items"] = d["award_items"][:1]
    d["award_orders"] = [d["award_items"][0]["order"].replace("；", "。")]
    d["award_reasoning"] = "被申请人拖欠申请人2026年6月至8月工资，应予支付。"
    d["legal_basis"] = "《中华人民共和国劳动合同法》第三十条"
    d["award_finality"] = "final"
    d["intermediate_court"] = "江城市中级人民法院"
    return d


SAMPLES = {
    "mediation_agreement": sample_mediation_agreement,
    "supplement_notice": sample_supplement_notice,
    "acceptance_notice": sample_acceptance_notice,
    "refusal_notice": sample_refusal_notice,
    "form_tribunal_notice": sample_form_tribunal_notice,
    "hearing_notice": sample_hearing_notice,
    "postpone_hearing_notice": sample_postpone_hearing_notice,
    "extension_notice": sample_extension_notice,
    "mediation_statement": sample_mediation_statement,
    "award_document": sample_award,
}


def sample(document_type: str) -> dict[str, Any]:
    """Fresh sample data for a document type (a deep copy: mutate it freely)."""
    return SAMPLES[document_type]()


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def sample_issued_on(document_type: str, issue_date: date) -> dict[str, Any]:
    """Sample data moved in time so the document is issued on `issue_date`: every date shifts by
    the same number of days, so periods keep their length and order (a notice issued today must
    not name a supplement deadline already past)."""
    data = sample(document_type)
    delta = issue_date - date.fromisoformat(data["issue_date"])

    def shift(value: Any) -> Any:
        if isinstance(value, str) and _ISO_DATE.match(value):
            return (date.fromisoformat(value) + delta).isoformat()
        if isinstance(value, dict):
            return {k: shift(v) for k, v in value.items()}
        if isinstance(value, list):
            return [shift(v) for v in value]
        return value

    return {k: shift(v) for k, v in data.items()}
