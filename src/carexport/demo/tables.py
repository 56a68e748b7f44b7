"""The fixed tables the demo world is drawn from.

Where a figure is public it says so and `docs/data-sources.md` (section "Demo world")
names the source; every weight below is SYNTHETIC: DATA.md found no destination shares
by country, no brand shares and no province ranking, so these only put the known
leaders first. Names are real brands and real places; every code, key, VIN, person and
company below the brand level is invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The checker's regimes: 648号 applies from this day (near-new, filling, modified, credit).
LAW_2026 = date(2026, 1, 1)

# The demo's "now": the generator never reads the clock, so a world is reproducible.
DEMO_TODAY = date(2026, 11, 23)

# Submissions are spread from here to `today`, so both regimes show (DATA.md: the
# near-new share "should fall sharply" after 2026-01-01).
FIRST_SUBMISSION = date(2025, 1, 2)

# The demo's signing keys are valid from here: before every confirmation the world seals
# (near-new cars of the first submissions were registered up to 180 days earlier) and
# every license the workflow issues (docs/decisions/0019-signing-keys.md).
DEMO_KEYS_FROM = date(2024, 1, 1)

# DATA.md: about 90 % of 2024 exports were near-new ("zero-kilometre") cars (CADA via
# Reuters). The 2026 share is SYNTHETIC: DATA.md says only that it should fall sharply.
NEAR_NEW_SHARE_BEFORE_2026 = 0.90
NEAR_NEW_SHARE_FROM_2026 = 0.15

# 公告2024年第6号 (as reported): at most 20 vehicles of one HS code per license. The
# distribution within 1..20 is unconfirmed; a Zipf-like curve (weight 1/k^1.3) skewed to
# small batches is the stand-in DATA.md calls defensible. SYNTHETIC.
MAX_BATCH = 20
BATCH_SIZE_EXPONENT = 1.3

# Share of applications that are modified special vehicles (改装车). SYNTHETIC.
MODIFIED_APPLICATION_SHARE = 0.03


@dataclass(frozen=True)
class Province:
    name: str
    code: str  # prefix of application IDs, e.g. TJ-2026-000123
    agency: str  # the issuing agency (商务主管部门)
    districts: tuple[tuple[str, str], ...]  # (GB/T 2260 code, place name)
    weight: float  # SYNTHETIC share of applications


# DATA.md: the 2019–2020 pilots covered 30 regions in 25 provinces; Tianjin, Guangdong,
# Zhejiang, Shandong, Sichuan, Chongqing and Xinjiang are among the largest. Tianjin
# (≈39,000 in Jan–Oct 2025) and Sichuan (>10,000 in Jan–Apr 2025) are the only provincial
# volumes found, so the weights only keep the named leaders on top. SYNTHETIC.
PROVINCES: tuple[Province, ...] = (
    Province("天津", "TJ", "天津市商务局", (("120116", "天津滨海"), ("120104", "天津南开")), 16),
    Province("广东", "GD", "广东省商务厅", (("440305", "深圳南山"), ("440115", "广州南沙")), 14),
    Province("浙江", "ZJ", "浙江省商务厅", (("330782", "义乌"), ("330206", "宁波北仑")), 11),
    Province("山东", "SD", "山东省商务厅", (("370211", "青岛黄岛"), ("370102", "济南历下")), 10),
    Province("四川", "SC", "四川省商务厅", (("510112", "成都龙泉驿"), ("510107", "成都武侯")), 10),
    Province(
        "新疆", "XJ", "新疆维吾尔自治区商务厅", (("650104", "乌鲁木齐"), ("654004", "霍尔果斯")), 8
    ),
    Province(
        "重庆", "CQ", "重庆市商务委员会", (("500112", "重庆渝北"), ("500107", "重庆九龙坡")), 8
    ),
    Province("上海", "SH", "上海市商务委员会", (("310115", "上海浦东"),), 4),
    Province("江苏", "JS", "江苏省商务厅", (("320583", "昆山"),), 4),
    Province("海南", "HI", "海南省商务厅", (("460106", "海口龙华"),), 2),
    Province("福建", "FJ", "福建省商务厅", (("350206", "厦门湖里"),), 2),
    Province("河南", "HA", "河南省商务厅", (("410122", "郑州中牟"),), 2),
    Province("湖北", "HB", "湖北省商务厅", (("420115", "武汉江夏"),), 2),
    Province("安徽", "AH", "安徽省商务厅", (("340207", "芜湖鸠江"),), 2),
    Province("辽宁", "LN", "辽宁省商务厅", (("210213", "大连金州"),), 2),
    Province("广西", "GX", "广西壮族自治区商务厅", (("450108", "南宁良庆"),), 1),
    Province("云南", "YN", "云南省商务厅", (("530111", "昆明官渡"),), 1),
    Province("黑龙江", "HL", "黑龙江省商务厅", (("230108", "哈尔滨平房"),), 1),
    Province("内蒙古", "NM", "内蒙古自治区商务厅", (("152501", "二连浩特"),), 1),
)


@dataclass(frozen=True)
class Destination:
    code: str  # ISO 3166-1 alpha-2
    alpha3: str  # what an exporter types by mistake (APP.COUNTRY_UNKNOWN)
    weight: float  # SYNTHETIC share of applications
    cities: tuple[str, ...]  # where outlets of the after-sales networks sit
    phone_prefix: str
    neighbour: str  # for "outlet only in a neighbouring country"


# Russia and Central Asia first (DATA.md: main markets Russia, Central Asia, the Middle
# East; Tianjin sent over 70 % of Jan–Oct 2025 to SCO states such as Russia and
# Kazakhstan; Kyrgyzstan imported 57,000 Chinese cars in Jan–Nov 2023, many re-exported
# to Russia), then the Middle East, Africa and Latin America. The SCO members below sum
# to about 70 % to match Tianjin's figure; every number is SYNTHETIC.
DESTINATIONS: tuple[Destination, ...] = (
    Destination(
        "RU", "RUS", 32, ("Moscow", "Saint Petersburg", "Novosibirsk", "Yekaterinburg"), "+7", "KZ"
    ),
    Destination("KZ", "KAZ", 15, ("Almaty", "Astana", "Shymkent"), "+7", "RU"),
    Destination("KG", "KGZ", 11, ("Bishkek", "Osh"), "+996", "KZ"),
    Destination("UZ", "UZB", 8, ("Tashkent", "Samarkand"), "+998", "KZ"),
    Destination("AE", "ARE", 6, ("Dubai", "Abu Dhabi"), "+971", "SA"),
    Destination("TJ", "TJK", 3, ("Dushanbe",), "+992", "UZ"),
    Destination("SA", "SAU", 3, ("Riyadh", "Jeddah"), "+966", "AE"),
    Destination("IQ", "IRQ", 3, ("Baghdad", "Erbil"), "+964", "JO"),
    Destination("JO", "JOR", 2, ("Amman",), "+962", "SA"),
    Destination("EG", "EGY", 2, ("Cairo", "Alexandria"), "+20", "SA"),
    Destination("AZ", "AZE", 2, ("Baku",), "+994", "GE"),
    Destination("GE", "GEO", 2, ("Tbilisi", "Batumi"), "+995", "AZ"),
    Destination("MN", "MNG", 2, ("Ulaanbaatar",), "+976", "RU"),
    Destination("MX", "MEX", 2, ("Mexico City", "Monterrey"), "+52", "CL"),
    Destination("NG", "NGA", 1.5, ("Lagos", "Abuja"), "+234", "GH"),
    Destination("BY", "BLR", 1, ("Minsk",), "+375", "RU"),
    Destination("LB", "LBN", 1, ("Beirut",), "+961", "JO"),
    Destination("LY", "LBY", 1, ("Tripoli", "Benghazi"), "+218", "EG"),
    Destination("GH", "GHA", 1, ("Accra", "Kumasi"), "+233", "NG"),
    Destination("PE", "PER", 1, ("Lima",), "+51", "CL"),
    Destination("EC", "ECU", 1, ("Guayaquil", "Quito"), "+593", "PE"),
    Destination("MA", "MAR", 0.5, ("Casablanca",), "+212", "EG"),
    Destination("SN", "SEN", 0.5, ("Dakar",), "+221", "CI"),
    Destination("CI", "CIV", 0.5, ("Abidjan",), "+225", "GH"),
    Destination("KE", "KEN", 0.5, ("Nairobi", "Mombasa"), "+254", "TZ"),
    Destination("TZ", "TZA", 0.5, ("Dar es Salaam",), "+255", "KE"),
    Destination("CL", "CHL", 0.5, ("Santiago",), "+56", "PE"),
)

# Exporters on the Xinjiang border (Horgos, Urumqi) ship mostly overland to Central
# Asia: their destination weights for these are multiplied. SYNTHETIC.
CENTRAL_ASIA = ("KZ", "KG", "UZ", "TJ")
XINJIANG_CENTRAL_ASIA_FACTOR = 3.0


@dataclass(frozen=True)
class CarModel:
    brand: str  # as on the registration certificate
    code: str  # 车辆型号; SYNTHETIC, in the style of MIIT model codes
    powertrain: str  # ice | bev | phev


@dataclass(frozen=True)
class Maker:
    key: str
    name: str
    district: str  # GB/T 2260 code of its seat
    models: tuple[CarModel, ...]
    weight: float  # SYNTHETIC share of exported vehicles
    wmi: str  # SYNTHETIC world manufacturer identifier (not checked against the register)
    sales_company: str | None = None  # the group sales company (may not issue confirmations)


def _models(brand: str, *specs: tuple[str, str]) -> tuple[CarModel, ...]:
    return tuple(CarModel(brand, code, powertrain) for code, powertrain in specs)


# Real brand names; everything else about them (codes, keys, weights) is invented.
MAKERS: tuple[Maker, ...] = (
    Maker(
        "byd",
        "比亚迪汽车工业有限公司",
        "440310",
        _models(
            "比亚迪",
            ("BYD7150WTHEV3", "phev"),
            ("BYD6460STHEV", "phev"),
            ("BYD7005BEVA", "bev"),
            ("BYD7008BEV2", "bev"),
        ),
        22,
        "LGX",
        "比亚迪汽车销售有限公司",
    ),
    Maker(
        "geely",
        "浙江吉利汽车有限公司",
        "330212",
        _models("吉利", ("MR7153A01", "ice"), ("MR6471A04", "ice"), ("MR7005BEV12", "bev")),
        12,
        "L6T",
        "吉利汽车销售有限公司",
    ),
    Maker(
        "changan",
        "重庆长安汽车股份有限公司",
        "500105",
        _models("长安", ("SC7164AAA6", "ice"), ("SC6483BBA6", "ice"), ("SC7000BEV", "bev")),
        10,
        "LS5",
        "长安汽车销售有限公司",
    ),
    Maker(
        "chery",
        "奇瑞汽车股份有限公司",
        "340207",
        _models("奇瑞", ("SQR7151T1T", "ice"), ("SQR6471T1TG", "ice"), ("SQR7000BEV", "bev")),
        10,
        "LVV",
        "奇瑞汽车销售有限公司",
    ),
    Maker(
        "gwm",
        "长城汽车股份有限公司",
        "130602",
        (
            *_models("哈弗", ("CC6470UM01", "ice"), ("CC6460UM0H", "phev")),
            *_models(
                "长城",
                ("CC7150FM02", "ice"),
            ),
        ),
        8,
        "LGW",
    ),
    Maker(
        "saic",
        "上海汽车集团股份有限公司乘用车分公司",
        "310114",
        (
            *_models(
                "荣威",
                ("CSA7154TDPS", "ice"),
            ),
            *_models(
                "名爵",
                ("CSA6451NDAS", "ice"),
            ),
        ),
        7,
        "LSJ",
    ),
    Maker(
        "gac",
        "广汽乘用车有限公司",
        "440115",
        _models("传祺", ("GAC7150A6", "ice"), ("GAC6450J1A6", "ice")),
        5,
        "LMG",
    ),
    Maker(
        "faw",
        "中国第一汽车股份有限公司",
        "220104",
        _models("红旗", ("CA7200AT6", "ice"), ("CA6480BEV", "bev")),
        4,
        "LFP",
    ),
    Maker(
        "li",
        "重庆理想汽车有限公司",
        "500112",
        _models("理想", ("LXA6500SHEVM", "phev"), ("LXA6510SHEVL", "phev")),
        6,
        "LW4",
    ),
    Maker(
        "nio",
        "蔚来汽车（安徽）有限公司",
        "340104",
        _models("蔚来", ("HFC6483ECEV", "bev"), ("HFC7001BEV", "bev")),
        3,
        "LJ1",
    ),
    Maker(
        "xpeng",
        "肇庆小鹏汽车有限公司",
        "441203",
        _models("小鹏", ("NHQ7000BEV", "bev"), ("NHQ6470BEV", "bev")),
        4,
        "LMX",
    ),
    Maker(
        "leapmotor",
        "浙江零跑科技股份有限公司",
        "330108",
        _models("零跑", ("FZ6470BEV", "bev"), ("FZ6470PHEV", "phev")),
        5,
        "LFZ",
    ),
)

# How the brand is often written in Latin letters: an annex that uses it mismatches the
# record (RULES.md: no brand aliases, 比亚迪 ≠ BYD).
LATIN_BRANDS = {
    "比亚迪": "BYD",
    "吉利": "GEELY",
    "长安": "CHANGAN",
    "奇瑞": "CHERY",
    "哈弗": "HAVAL",
    "长城": "GWM",
    "荣威": "ROEWE",
    "名爵": "MG",
    "传祺": "TRUMPCHI",
    "红旗": "HONGQI",
    "理想": "LI AUTO",
    "蔚来": "NIO",
    "小鹏": "XPENG",
    "零跑": "LEAPMOTOR",
}


@dataclass(frozen=True)
class ModifiedProduct:
    model: str  # SYNTHETIC; the MIIT product-type letters are real: XXY 厢式, XLC 冷藏
    product_type: str
    chassis_brand: str


@dataclass(frozen=True)
class Modifier:
    key: str
    name: str  # SYNTHETIC company name
    district: str
    brand: str  # SYNTHETIC modified-vehicle brand
    products: tuple[ModifiedProduct, ...]


MODIFIERS: tuple[Modifier, ...] = (
    Modifier(
        "hengtong",
        "随州恒通专用汽车有限公司",
        "421303",
        "恒通",
        (
            ModifiedProduct("HTQ5041XLCBJ6", "冷藏车", "福田"),
            ModifiedProduct("HTQ5041XXYJX6", "厢式运输车", "江铃"),
            ModifiedProduct("HTQ5042XLCJX6", "冷藏车", "江铃"),
        ),
    ),
    Modifier(
        "yuanhang",
        "济宁远航专用车制造有限公司",
        "370811",
        "远航",
        (
            ModifiedProduct("YHZ5040XXYDF6", "厢式运输车", "东风"),
            ModifiedProduct("YHZ5041XLCDF6", "冷藏车", "东风"),
            ModifiedProduct("YHZ5043XXYJF6", "厢式运输车", "解放"),
        ),
    ),
    Modifier(
        "silu",
        "梁山丝路专用汽车有限公司",
        "370832",
        "丝路",
        (
            ModifiedProduct("SLK5045XLCBJ6", "冷藏车", "福田"),
            ModifiedProduct("SLK5046XXYQL6", "厢式运输车", "庆铃"),
        ),
    ),
    Modifier(
        "huaruida",
        "十堰华瑞达专用汽车有限公司",
        "420302",
        "华瑞达",
        (
            ModifiedProduct("HRD5040XXYDF6", "厢式运输车", "东风"),
            ModifiedProduct("HRD5041XLCDF6", "冷藏车", "东风"),
        ),
    ),
)

# 10-digit customs codes by powertrain. ILLUSTRATIVE: 8703239000 is the contract's own
# example; the others follow the tariff's headings (8703.40/60/80 hybrids and electrics,
# 8704 goods vehicles) but were not checked against the current 进出口税则.
HS_CODES = {
    "ice": "8703239000",
    "phev": "8703600090",
    "bev": "8703800090",
    "special": "8704210000",
}

# SYNTHETIC vocabularies for invented exporter and inspection-body names.
TRADE_WORDS = (
    "鑫达",
    "恒远",
    "丝路",
    "海纳",
    "中亚",
    "亚欧",
    "启航",
    "华瑞",
    "远通",
    "联运",
    "天弘",
    "凯越",
    "博远",
    "金桥",
    "瑞丰",
    "锦程",
    "万通",
    "正和",
    "汇川",
    "东来",
    "长风",
    "汇通",
    "嘉禾",
    "新程",
)
TRADE_SUFFIXES = (
    "二手车出口有限公司",
    "国际贸易有限公司",
    "汽车贸易有限公司",
    "供应链管理有限公司",
)
INSPECTION_WORDS = ("华测", "正信", "中检", "诚信", "安达", "通标", "国正", "信达")


# --- after-sales outlet networks (售后服务网点) ---------------------------------------

# What an outlet offers. 648号 asks a near-new export to carry the manufacturer's
# commitment to after-sales service in the destination (repair data, parts, warranty:
# 附件1 item 2 names the first two). The mix below is SYNTHETIC.
SERVICES_FULL = ("repair", "parts", "warranty")
SERVICES_NO_WARRANTY = ("repair", "parts")
SERVICES_PARTS = ("parts",)
# Share of the outlets a confirmation names that offer all three services; the rest do
# repair and parts only. SYNTHETIC.
NAMED_OUTLET_FULL_SHARE = 0.85
# Beyond the one or two service centres a confirmation names, a network has up to this
# many further outlets per destination (repair stations, parts depots), in the other
# cities of the destination. SYNTHETIC.
MAX_EXTRA_OUTLETS = 2


# --- after the license: customs declarations and deregistrations --------------------

# Days from submission to the license (the agency's review). SYNTHETIC.
REVIEW_DAYS = (1, 7)
# Of the licenses issued: declared at customs within validity (on time), declared after
# the license expired (late: REC.LICENSE_EXPIRED), never declared (missing: returned or
# lapsed unused). No public figure exists; the shares are SYNTHETIC.
CUSTOMS_ON_TIME_SHARE = 0.85
CUSTOMS_LATE_SHARE = 0.05  # the rest (0.10) never reach customs
# Days from issue to the export clearance for an on-time declaration (capped at the
# license's last day), and days past expiry for a late one. SYNTHETIC.
CUSTOMS_DAYS = (3, 75)
CUSTOMS_LATE_DAYS = (1, 45)
# Of the exported batches: deregistered within rec.deregister_months = 2 months of
# clearance (on time), later (late: REC.OVERDUE_DEREGISTRATION), or not at all
# (missing). SYNTHETIC; the 2-month limit is 公告2024年第6号's, the checker reads it from
# its parameter table.
DEREGISTER_ON_TIME_SHARE = 0.80
DEREGISTER_LATE_SHARE = 0.12  # the rest (0.08) are never deregistered
DEREGISTER_DAYS = (5, 55)
DEREGISTER_LATE_DAYS = (1, 90)

# The port of exit by province (overland for Xinjiang and Inner Mongolia, by rail from
# Chongqing and Sichuan). Port names are real; which a province uses is SYNTHETIC.
PORTS = {
    "TJ": ("天津新港",),
    "GD": ("深圳蛇口", "广州南沙"),
    "ZJ": ("宁波北仑", "义乌铁路口岸"),
    "SD": ("青岛前湾",),
    "SC": ("成都铁路口岸",),
    "XJ": ("霍尔果斯", "阿拉山口"),
    "CQ": ("重庆铁路口岸",),
    "SH": ("上海外高桥",),
    "JS": ("太仓港",),
    "HI": ("海口港",),
    "FJ": ("厦门海天",),
    "HA": ("郑州铁路口岸",),
    "HB": ("武汉阳逻",),
    "AH": ("芜湖港",),
    "LN": ("大连大窑湾",),
    "GX": ("钦州港",),
    "YN": ("磨憨",),
    "HL": ("绥芬河",),
    "NM": ("二连浩特",),
}
