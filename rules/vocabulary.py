"""Stable keys of SPEC §2 and their Chinese labels (ordered as shown in the UI)."""

from __future__ import annotations

METHOD = {
    "policy_guidance": "政策指引",
    "advice": "意见建议",
    "reminder": "提示提醒",
    "admonition": "劝导警示",
    "commendation": "表扬鼓励",
    "case_revisit": "案件回访",
}
STAGE = {"before": "事前", "during": "事中", "after": "事后"}
FORM = {"written": "书面", "oral": "口头"}
INITIATED_BY = {"ex_officio": "依职权", "application": "依申请"}
TARGET_KIND = {"person": "自然人", "organization": "法人或其他组织"}
RESULT = {
    "pending": "待反馈",
    "adopted": "已采纳",
    "partially_adopted": "部分采纳",
    "not_adopted": "未采纳",
}
CASE_KIND = {"major_penalty": "重大行政处罚案件", "social_impact": "社会影响较大案件"}
PROJECT_KIND = {
    "investment": "重大招商引资项目",
    "construction": "重大工程建设项目",
    "approval": "重大行政审批项目",
    "other": "其他",
}
ORAL_CONFIRMATION = {"confirmed": "已确认", "refused_to_confirm": "拒绝确认"}
STATUS = {
    "draft": "草稿",
    "pending_review": "待审查",
    "filed": "已备案",
    "closed": "已办结",
    "voided": "已作废",
}
SEVERITY = {"error": "错误", "warning": "警告", "info": "提示"}
OUTCOME = {"blocked": "不予通过", "review": "需法制审查", "clean": "通过"}
PHASE = {"submit": "提交", "close": "办结", "both": "提交和办结"}

# SPEC §2 order: findings are sorted by it.
PRINCIPLES = {
    "voluntary": "自愿",
    "lawful": "合法",
    "reasonable": "合理",
    "fair_open": "公正公开",
    "convenient": "便民利民",
    "effective": "效能",
    "catalog": "目录范围",
    "input": "填写规范",
}

VOCABULARIES = {
    "method": METHOD,
    "stage": STAGE,
    "form": FORM,
    "initiated_by": INITIATED_BY,
    "target_kind": TARGET_KIND,
    "result": RESULT,
    "case_kind": CASE_KIND,
    "project_kind": PROJECT_KIND,
    "oral_confirmation": ORAL_CONFIRMATION,
    "status": STATUS,
    "severity": SEVERITY,
    "principle": PRINCIPLES,
}

# Dotted field path → Chinese label, in the order of the entry form.
FIELD_LABELS = {
    "catalog_code": "目录事项",
    "method": "指导方式",
    "stage": "实施环节",
    "form": "指导形式",
    "initiated_by": "启动方式",
    "applied_at": "申请时间",
    "unit": "实施单位",
    "officers": "指导人员",
    "guided_at": "指导时间",
    "place": "指导地点",
    "target": "指导对象",
    "target.name": "指导对象名称",
    "target.kind": "指导对象类型",
    "target.id_number": "指导对象证件号码",
    "target.contact": "指导对象联系人",
    "target.phone": "指导对象联系电话",
    "subject": "指导事项",
    "content": "指导内容",
    "problem": "存在问题",
    "opinion": "指导意见",
    "legal_basis": "法律依据",
    "legal_basis.law": "法律依据的法律名称",
    "legal_basis.articles": "法律依据的条款",
    "informed_of_voluntariness": "已告知自愿原则",
    "written_requested": "当事人要求书面指导",
    "oral_confirmation": "口头指导确认情况",
    "contact_person": "指导联系人",
    "contact_phone": "联系电话",
    "admonition_conditions": "劝导警示适用条件",
    "admonition_conditions.minor": "违法行为轻微",
    "admonition_conditions.no_intent": "无主观故意",
    "admonition_conditions.corrected": "已及时纠正",
    "admonition_conditions.no_harm": "未造成危害后果",
    "case": "回访案件",
    "case.decision_number": "行政处罚决定书文号",
    "case.kind": "回访案件类型",
    "case.closed_on": "案件办结日期",
    "project": "政策指引项目",
    "project.name": "项目名称",
    "project.kind": "项目类型",
    "follow_up_due": "回访期限",
    "result": "指导结果",
    "effect": "指导取得的效益、效果",
}
_FIELD_RANK = {path: i for i, path in enumerate(FIELD_LABELS)}

# Which vocabulary an enum field takes its values from.
FIELD_VOCABULARY = {
    "method": METHOD,
    "stage": STAGE,
    "form": FORM,
    "initiated_by": INITIATED_BY,
    "target.kind": TARGET_KIND,
    "oral_confirmation": ORAL_CONFIRMATION,
    "case.kind": CASE_KIND,
    "project.kind": PROJECT_KIND,
    "result": RESULT,
}


def is_index(part: str) -> bool:
    """A list index in a dotted path ("officers.1"); ASCII only: "¹".isdigit() is true too."""
    return part.isascii() and part.isdigit()


def _general_path(path: str) -> str:
    return ".".join(p for p in path.split(".") if not is_index(p))


def field_label(path: str) -> str:
    """Chinese label of a dotted path; list indices become （第N项）."""
    if path in FIELD_LABELS:
        return FIELD_LABELS[path]
    parts = path.split(".")
    label = FIELD_LABELS.get(_general_path(path))
    if label is None:
        return f"“{path}”"
    items = "".join(f"（第{int(p) + 1}项）" for p in parts if is_index(p))
    return label + items


def field_rank(path: str) -> int:
    rank = _FIELD_RANK.get(path)
    if rank is None:
        rank = _FIELD_RANK.get(_general_path(path), len(_FIELD_RANK))
    return rank


def key_for_label(vocabulary: dict[str, str], value: str) -> str | None:
    """Map a Chinese label (or a key itself) to the stable key; None if unknown."""
    if value in vocabulary:
        return value
    for key, label in vocabulary.items():
        if label == value:
            return key
    return None


def label_to_key_map(vocabulary: dict[str, str]) -> dict[str, str]:
    """Lookup table accepting both keys and Chinese labels."""
    table = {label: key for key, label in vocabulary.items()}
    table.update({key: key for key in vocabulary})
    return table

# Workflow words: what a user can do to a record (buttons, refusals) and what the audit shows.
ACTIONS = {"edit": "修改", "submit": "提交", "approve": "审查通过", "return": "退回", "close": "办结",
           "void": "作废", "mark_good_practice": "标记典型经验"}
AUDIT_ACTIONS = {"create": "创建草稿", "update": "修改", "submit": "提交", "file": "备案编号",
                 "approve": "审查通过", "return": "退回修改", "close": "办结", "void": "作废",
                 "document": "生成文书", "export": "导出", "good_practice": "标记典型经验",
                 "good_practice_removed": "取消典型经验", "attachment": "添加附件",
                 "attachment_removed": "删除附件", "archive": "归档"}
DECISIONS = {"approve": "审查通过", "return": "退回修改"}
# A principle's state in the findings panel.
PRINCIPLE_STATES = {"ok": "✓ 符合", "warning": "⚠ 需审查", "error": "✗ 须修改"}
# Methods whose guidance is also issued as a 行政指导意见书 (SPEC §6).
OPINION_LETTER_METHODS = ("advice", "admonition")
# Labels of the record's own bookkeeping fields (not part of SPEC §3).
RECORD_LABELS = {"status": "状态", "number": "文号", "document_sha256": "备案版文书 SHA-256",
                 "sha256": "文件 SHA-256"}
# The six principles of the work plan in one sentence each (home page, rules page).
PRINCIPLE_SUMMARIES = {
    "voluntary": "以相对人自愿为前提，不得强制或变相强制。",
    "lawful": "在法定职责范围内进行，不得以行政指导代替行政执法。",
    "reasonable": "方法必要、适当，避免给相对人带来不必要的负担。",
    "fair_open": "指导事项应当公开，保障知情权、参与权和救济权。",
    "convenient": "简明高效，灵活多样，为相对人提供便利。",
    "effective": "以最小的投入得到最大的收益，能够被当事人认可。",
}

# 档案: a stored document is the version issued in one state of its record (SPEC §6).
DOCUMENT_KINDS = {"guidance": "行政指导文书", "opinion": "行政指导意见书"}
DOCUMENT_STATES = {"filed": "备案版", "closed": "办结版", "voided": "作废版"}
ATTACHMENT_LABELS = {"site_photo": "现场照片", "service_receipt": "送达回证",
                     "party_confirmation": "当事人确认", "other": "其他"}
# A stored file that no longer matches its recorded SHA-256 is shown with one of these, never served.
FILE_PROBLEMS = {"missing": "文件缺失", "changed": "文件已变更"}
JOB_STATUS = {"queued": "排队中", "running": "正在生成", "done": "已完成", "failed": "失败"}
# The upload form's fields and the archive form's.
FILE_FIELDS = {"file": "附件文件", "label": "附件类别", "year": "归档年度", "unit": "归档单位"}
AUDIT_ACTIONS["numbers_skipped"] = "号段说明"  # skipped numbers recorded (e.g. after a restore)
