"""The five themes of the codebook (corpus/CODEBOOK.md) and their cue words."""

from __future__ import annotations

THEME_IDS: tuple[str, ...] = (
    "party_building",
    "consultation",
    "supervision",
    "poverty_alleviation",
    "member_management",
)

THEME_NAMES: dict[str, str] = {
    "party_building": "党的建设",
    "consultation": "协商议政",
    "supervision": "民主监督",
    "poverty_alleviation": "脱贫攻坚",
    "member_management": "委员管理",
}

# one colour per theme, for every picture and highlighted text
THEME_COLORS: dict[str, str] = {
    "party_building": "#c0392b",
    "consultation": "#2874a6",
    "supervision": "#7d3c98",
    "poverty_alleviation": "#d68910",
    "member_management": "#239b56",
}

# Cue words taken from the codebook's "Includes" lists; the keyword baseline
# gives a unit a theme when the unit contains one of them.
CUE_WORDS: dict[str, tuple[str, ...]] = {
    "party_building": (
        "党的领导", "党组", "党支部", "机关党组", "党员委员", "双重组织生活", "全覆盖", "请示汇报",
        "党建", "理论学习", "习近平新时代中国特色社会主义思想", "理论武装", "四个意识", "四个自信", "两个维护",
    ),
    "consultation": (
        "协商", "议政", "大会发言", "专题议政", "协商计划", "调研", "视察", "问计于民", "提案",
        "建言献策", "建言", "社情民意", "协商工作程序",
    ),
    "supervision": (
        "民主监督", "专项监督", "视察监督", "民主评议", "提案办理监督", "督办", "跟踪督办", "满意度",
        "微监督", "打分评判", "监督",
    ),
    "poverty_alleviation": (
        "脱贫攻坚", "精准扶贫", "扶贫", "帮扶", "结对帮扶", "驻村", "贫困村", "贫困户", "贫困群众", "贫困", "脱贫",
    ),
    "member_management": (
        "履职档案", "履职考核", "记分", "量化计分", "履职报告", "委员培训", "大讲堂", "委员工作室", "委员之家",
        "履职平台", "履职管理系统", "APP", "直通车", "绿色通道", "委员人才库", "联系委员", "委员服务管理",
    ),
}

# Cue words of the decision rules (corpus/CODEBOOK.md, rules 3-20), added to the includes lists above
# by the model's "extended" cue features; the keyword baseline keeps the includes lists alone.
RULE_CUES: dict[str, tuple[str, ...]] = {
    "party_building": (
        "党中央", "坚持党的领导", "党的全面领导", "主题教育", "两个确立", "学习贯彻", "政治引领", "思想政治引领",
        "中心组", "党员",
    ),
    "consultation": (
        "建议", "发言", "讨论", "座谈会", "协商会", "议政建言", "献策", "意见和建议", "共商", "专题调研",
    ),
    "supervision": ("监督性", "评议", "办理情况", "督查", "接受政协", "民主监督"),
    "poverty_alleviation": ("扶贫车间", "易地扶贫搬迁", "搬迁", "建档立卡", "攻坚", "摘帽"),
    "member_management": (
        "履职", "委员资格", "增补", "委员队伍", "履职能力", "履职本领", "培训", "讲座", "集体学习", "读书",
        "委员讲堂", "考核",
    ),
}


def cue_list(extended: bool = False) -> list[str]:
    """The sorted cue words of every theme: the codebook's includes, and with ``extended`` its rules' too."""
    cues = {cue for words in CUE_WORDS.values() for cue in words}
    if extended:
        cues |= {cue for words in RULE_CUES.values() for cue in words}
    return sorted(cues)
