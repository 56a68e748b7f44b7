"""The words every page shows for the workflow's codes, as (zh, en) pairs, in one place.

Plain text keyed by the stored values (not the features' enums), so the kit imports no
feature: a status, a decision or a role (`STATUSES`), an audit verb or a status change's
action (`VERBS`), a credit event's rectification (`RECTIFICATION`), a vehicle field's
English name (`VEHICLE_FIELDS_EN`; the Chinese ones are the vehicle list's own columns).
Templates reach them through the kit's globals (status_label, verb_label, …).
"""

from __future__ import annotations

STATUSES: dict[str, tuple[str, str]] = {
    "draft": ("草稿", "Draft"),
    "submitted": ("已提交", "Submitted"),
    "countersign": ("待会签", "Countersign"),
    "returned": ("已退回补正", "Returned"),
    "approved": ("已批准", "Approved"),
    "refused": ("不予批准", "Refused"),
    "withdrawn": ("已撤回", "Withdrawn"),
    "pass": ("通过", "Pass"),
    "review": ("需人工审核", "Review"),
    "fail": ("不通过", "Fail"),
    "issued": ("已签发", "Issued"),
    "extended": ("已延期", "Extended"),
    "cancelled": ("已注销", "Cancelled"),
    "expired": ("已过期", "Expired"),
    "used": ("已使用", "Used"),
    "applicant": ("申请人", "Applicant"),
    "issuer": ("生产企业确认人", "Issuer"),
    "reviewer": ("审核员", "Reviewer"),
    "senior_reviewer": ("高级审核员", "Senior reviewer"),
    "monitor": ("商务部监管", "Monitor"),
    "admin": ("系统管理员", "Administrator"),
    "exporter": ("出口企业", "Exporter"),
    "manufacturer": ("生产企业", "Manufacturer"),
    "agency": ("发证机构", "Issuing agency"),
}

# The audit chain's verbs (the agency's timeline, the license's record) and the actions
# of the status changes (the exporter's status history): the same events, two spellings.
VERBS: dict[str, tuple[str, str]] = {
    "application.create": ("创建草稿", "Draft created"),
    "application.edit": ("修改内容", "Content edited"),
    "application.submit": ("提交", "Submitted"),
    "application.withdraw": ("撤回", "Withdrawn"),
    "application.recommended": ("建议批准，送会签", "Recommended for approval (countersign)"),
    "application.approved": ("批准", "Approved"),
    "application.refused": ("不予批准", "Refused"),
    "application.returned": ("退回补正", "Returned for correction"),
    "application.note.internal": ("内部备注", "Internal note"),
    "application.note.shared": ("给企业的备注", "Note to the exporter"),
    "application.material.attached": ("上传附件2材料", "Annex 2 material attached"),
    "application.material.removed": ("移除附件2材料", "Annex 2 material removed"),
    # issue 18: the submission's FILL / BAN findings put on the exporter's credit record
    "credit.event.record.from_findings": ("记入企业信用记录", "Put on the credit record"),
    "license.issued": ("签发许可证", "License issued"),
    "license.extended": ("许可证延期", "License extended"),
}
_ACTIONS = {
    "create": "application.create",
    "edit": "application.edit",
    "submit": "application.submit",
    "withdraw": "application.withdraw",
    "approve": "application.approved",
    "refuse": "application.refused",
    "return": "application.returned",
}
VERBS.update({action: VERBS[verb] for action, verb in _ACTIONS.items()})

RECTIFICATION: dict[str, tuple[str, str]] = {
    "none": ("无", "none"),
    "submitted": ("已提交", "submitted"),
    "accepted": ("已验收", "accepted"),
}

VEHICLE_FIELDS_EN: dict[str, str] = {
    "vin": "VIN",
    "brand": "Brand",
    "model": "Model",
    "registration_date": "Registered on",
    "transfer_for_export_date": "Transferred for export on",
    "confirmation_id": "After-sales confirmation no.",
    "hs_code": "HS code",
    "modified": "Modified",
    "chassis_brand": "Chassis brand",
    "modified_brand": "Modified-vehicle brand",
}


def label(table: dict[str, tuple[str, str]], value: object, lang: str) -> str:
    """`value`'s words in `lang`; an unknown value is shown as it is."""
    key = "" if value is None else str(value)
    zh, en = table.get(key, (key, key))
    return en if lang == "en" else zh
