"""Synthetic canonical CSV folders (``kg synth``): realistic structure, any size, reproducible.

``generate(out, firms=N, seed=S)`` writes the six files of the canonical layout (DESIGN.md
"Canonical CSV input"; headers as in loaders/canonical.yaml) for N firms. The same N and seed
give byte-identical files. What the data looks like:

- Ownership: heavy-tailed business groups (most firms independent; groups of 2-51 firms,
  P(size = k) ~ k^-1.8) with up to four levels (group -> holding -> subsidiary ->
  sub-subsidiary), shares 1.0 / 0.51-0.9 / 0.05-0.35; state-owned groups owned by the central
  SASAC, provincial SASACs, the Ministry of Finance or city governments; private firms and
  groups owned by persons; a few cross-holdings (cycles, ~0.5% of firms).
- State capital: national guidance funds owned in part by the Ministry of Finance
  (DOMAIN.md), one provincial guidance fund per province, sub-funds with LP commitments from
  both, and minority equity stakes of the funds in certified firms (an OWNS row and an equity
  FUNDED row each); loans from state-owned and private banks (many state loans below the
  4.35% benchmark), subsidies from city, provincial and central bodies, a few bonds.
- Certifications: a ladder (innovative SME -> specialized SME -> Little Giant -> Manufacturing
  Champion, lower tiers earlier) with about 60% / 35% / 12% / 1% of the firms holding each,
  Little Giant batches 1-7 in the national proportions 248:1744:2930:4357:3671:3012:3482, ~40%
  of Champions drawn from the Little Giants, three-year validity (valid_to left empty on about
  half the rows) and re-reviews three years on for ~87% of the early batches.
- Listings on SSE, SZSE and BSE with tickers in their exchange's code ranges (~5% of firms;
  the code ranges cap the count near 53,000), financial years 2016-2024 for every
  certified firm and group company (group parents are large firms; ~3% of certified firms
  breach the SME size thresholds; ~10% perform poorly).
- Values in the spellings analysts meet: ~10% of amounts as 万元/亿元, shares as 0.51 / 51% /
  51, dates mostly ISO with some 2021-07 or 2021, some Chinese type/programme/instrument words.

Names of government bodies, banks and national funds are real; every identifier (USCC, LEI,
ticker) and every firm, person and link is made up. Rows carry ``source`` ``kg-synth``.

``bad_rows=F`` spoils a fraction F of the rows of each file with one bad value each (a USCC
with a wrong check character, a share of 130%, an amount "abc", a reference to no entity, the
date 2021-13-01, an unknown instrument or programme, a ticker on the wrong exchange, ...) and
lists them in ``planted-bad-rows.json`` (file, row, column, value; rows as a spreadsheet
numbers them, header = 1). JSON so that the loader does not read the list as a table. In
entities.csv only rows that no other file refers to are spoiled (a rejected entity would
reject every row naming it), so the count there is capped by how many such rows exist.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> counts = generate(out, firms=200, seed=1)
>>> sorted(counts) == sorted(FILES), counts["entities.csv"] > 200
(True, True)
"""

from __future__ import annotations

import csv
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kg.values import lei as lei_mod
from kg.values import uscc as uscc_mod

__all__ = ["generate", "planted_rows", "make_usccs", "FILES", "COLUMNS", "PLANTED_FILE", "SOURCE"]

SOURCE = "kg-synth"
PLANTED_FILE = "planted-bad-rows.json"

# The canonical layout's English headers (loaders/canonical.yaml; tests check they agree).
COLUMNS: dict[str, tuple[str, ...]] = {
    "entities.csv": ("id", "type", "name", "name_zh", "uscc", "lei", "ticker", "country",
                     "province", "city", "sector", "founded", "state_owned", "source"),
    "ownership.csv": ("owner", "owned", "share", "start", "end", "source"),
    "funding.csv": ("funder", "recipient", "instrument", "amount", "currency", "date",
                    "interest_rate", "source"),
    "certifications.csv": ("firm", "programme", "batch", "year", "issuer", "valid_from",
                           "valid_to", "source"),
    "listings.csv": ("firm", "exchange", "ticker", "board", "listed", "delisted", "source"),
    "financials.csv": ("firm", "year", "revenue", "net_profit", "employees", "rd_expense",
                       "exports", "source"),
}  # fmt: skip
FILES: tuple[str, ...] = tuple(COLUMNS)

# ---------------------------------------------------------------------------------------------
# Reference tables (data, not code). Division codes are real GB/T 2260 codes; the weights are a
# rough, unsourced guess at where China's specialised SMEs cluster (synthetic data only).

# (division, province, 省, city, 市, weight)
DIVISIONS: tuple[tuple[str, str, str, str, str, int], ...] = (
    ("110000", "Beijing", "北京市", "Beijing", "北京", 8),
    ("120000", "Tianjin", "天津市", "Tianjin", "天津", 3),
    ("310000", "Shanghai", "上海市", "Shanghai", "上海", 8),
    ("500000", "Chongqing", "重庆市", "Chongqing", "重庆", 3),
    ("130100", "Hebei", "河北省", "Shijiazhuang", "石家庄", 2),
    ("140100", "Shanxi", "山西省", "Taiyuan", "太原", 1),
    ("210100", "Liaoning", "辽宁省", "Shenyang", "沈阳", 2),
    ("210200", "Liaoning", "辽宁省", "Dalian", "大连", 2),
    ("220100", "Jilin", "吉林省", "Changchun", "长春", 1),
    ("230100", "Heilongjiang", "黑龙江省", "Harbin", "哈尔滨", 1),
    ("320100", "Jiangsu", "江苏省", "Nanjing", "南京", 4),
    ("320200", "Jiangsu", "江苏省", "Wuxi", "无锡", 4),
    ("320400", "Jiangsu", "江苏省", "Changzhou", "常州", 3),
    ("320500", "Jiangsu", "江苏省", "Suzhou", "苏州", 6),
    ("330100", "Zhejiang", "浙江省", "Hangzhou", "杭州", 6),
    ("330200", "Zhejiang", "浙江省", "Ningbo", "宁波", 5),
    ("340100", "Anhui", "安徽省", "Hefei", "合肥", 3),
    ("350100", "Fujian", "福建省", "Fuzhou", "福州", 2),
    ("350200", "Fujian", "福建省", "Xiamen", "厦门", 2),
    ("360100", "Jiangxi", "江西省", "Nanchang", "南昌", 1),
    ("370100", "Shandong", "山东省", "Jinan", "济南", 3),
    ("370200", "Shandong", "山东省", "Qingdao", "青岛", 3),
    ("410100", "Henan", "河南省", "Zhengzhou", "郑州", 2),
    ("420100", "Hubei", "湖北省", "Wuhan", "武汉", 3),
    ("430100", "Hunan", "湖南省", "Changsha", "长沙", 3),
    ("440100", "Guangdong", "广东省", "Guangzhou", "广州", 5),
    ("440300", "Guangdong", "广东省", "Shenzhen", "深圳", 8),
    ("440600", "Guangdong", "广东省", "Foshan", "佛山", 3),
    ("441900", "Guangdong", "广东省", "Dongguan", "东莞", 3),
    ("450100", "Guangxi", "广西壮族自治区", "Nanning", "南宁", 1),
    ("510100", "Sichuan", "四川省", "Chengdu", "成都", 3),
    ("530100", "Yunnan", "云南省", "Kunming", "昆明", 1),
    ("610100", "Shaanxi", "陕西省", "Xi'an", "西安", 2),
)
_MUNICIPALITIES = {"Beijing", "Tianjin", "Shanghai", "Chongqing"}

# Little Giant batches (DOMAIN.md "Little Giant batches"): batch -> (year, firms, announced).
# The announcement dates are approximations (synthetic data).
LITTLE_GIANT_BATCHES: dict[int, tuple[int, int, str]] = {
    1: (2019, 248, "2019-06-01"),
    2: (2020, 1744, "2020-11-13"),
    3: (2021, 2930, "2021-07-19"),
    4: (2022, 4357, "2022-08-02"),
    5: (2023, 3671, "2023-07-14"),
    6: (2024, 3012, "2024-08-09"),
    7: (2025, 3482, "2025-07-11"),
}
RE_REVIEW_PASS = 0.8704  # 3,916 firms of batches 1 and 4 passed the 2025 re-review (DOMAIN.md)
CHAMPION_FIRST_YEAR = 2016  # Manufacturing Champion batch b is taken to be year 2015 + b

# National guidance funds (DOMAIN.md "Guidance funds"): name, 中文名, founded, registered
# capital (yuan), Ministry of Finance share. MoF shares of Big Fund I and II are approximate.
NATIONAL_FUNDS: tuple[tuple[str, str, str, float, float], ...] = (
    ("China Integrated Circuit Industry Investment Fund Co., Ltd.",
     "国家集成电路产业投资基金股份有限公司", "2014-09-26", 98.72e9, 0.3647),
    ("China Integrated Circuit Industry Investment Fund Phase II Co., Ltd.",
     "国家集成电路产业投资基金二期股份有限公司", "2019-10-22", 204.15e9, 0.1102),
    ("China Integrated Circuit Industry Investment Fund Phase III Co., Ltd.",
     "国家集成电路产业投资基金三期股份有限公司", "2024-05-24", 344e9, 0.1744),
    ("National SME Development Fund Co., Ltd.",
     "国家中小企业发展基金有限公司", "2020-06-22", 35.7e9, 0.4266),
    ("National Manufacturing Transformation and Upgrading Fund Co., Ltd.",
     "国家制造业转型升级基金股份有限公司", "2019-11-18", 147.2e9, 0.153),
)  # fmt: skip

# Banks: name, 中文名, division of the head office, state-owned.
BANKS: tuple[tuple[str, str, str, bool], ...] = (
    ("Industrial and Commercial Bank of China Limited", "中国工商银行股份有限公司", "110000", True),
    ("China Construction Bank Corporation", "中国建设银行股份有限公司", "110000", True),
    ("Agricultural Bank of China Limited", "中国农业银行股份有限公司", "110000", True),
    ("Bank of China Limited", "中国银行股份有限公司", "110000", True),
    ("Bank of Communications Co., Ltd.", "交通银行股份有限公司", "310000", True),
    ("Postal Savings Bank of China Co., Ltd.", "中国邮政储蓄银行股份有限公司", "110000", True),
    ("China Development Bank", "国家开发银行", "110000", True),
    ("Export-Import Bank of China", "中国进出口银行", "110000", True),
    ("Agricultural Development Bank of China", "中国农业发展银行", "110000", True),
    ("China CITIC Bank Corporation Limited", "中信银行股份有限公司", "110000", True),
    ("China Everbright Bank Company Limited", "中国光大银行股份有限公司", "110000", True),
    ("Bank of Beijing Co., Ltd.", "北京银行股份有限公司", "110000", True),
    ("Bank of Shanghai Co., Ltd.", "上海银行股份有限公司", "310000", True),
    ("Bank of Jiangsu Co., Ltd.", "江苏银行股份有限公司", "320100", True),
    ("Bank of Nanjing Co., Ltd.", "南京银行股份有限公司", "320100", True),
    ("Bank of Hangzhou Co., Ltd.", "杭州银行股份有限公司", "330100", True),
    ("Huishang Bank Corporation Limited", "徽商银行股份有限公司", "340100", True),
    ("Bank of Chengdu Co., Ltd.", "成都银行股份有限公司", "510100", True),
    ("Chongqing Rural Commercial Bank Co., Ltd.", "重庆农村商业银行股份有限公司", "500000", True),
    ("China Minsheng Banking Corp., Ltd.", "中国民生银行股份有限公司", "110000", False),
    ("WeBank Co., Ltd.", "深圳前海微众银行股份有限公司", "440300", False),
    ("MYbank Co., Ltd.", "浙江网商银行股份有限公司", "330100", False),
    ("Shanghai Huarui Bank Co., Ltd.", "上海华瑞银行股份有限公司", "310000", False),
    ("Tianjin Kincheng Bank Co., Ltd.", "天津金城银行股份有限公司", "120000", False),
    ("Sichuan XW Bank Co., Ltd.", "四川新网银行股份有限公司", "510100", False),
    ("Hunan Sanxiang Bank Co., Ltd.", "湖南三湘银行股份有限公司", "430100", False),
    ("Jilin Yillion Bank Co., Ltd.", "吉林亿联银行股份有限公司", "220100", False),
    ("Fujian Huatong Bank Co., Ltd.", "福建华通银行股份有限公司", "350100", False),
    ("Jiangsu Suning Bank Co., Ltd.", "江苏苏宁银行股份有限公司", "320100", False),
)

BENCHMARK_RATE = 0.0435  # PBoC one-year benchmark lending rate (2015-2019)

# Name parts. Every syllable starts with a consonant other than g, n, r and has one character,
# so "brand" strings (two syllables) split one way only and names stay unique after
# normalisation (see kg.values.text.normalise_name); tests check it.
BRAND_SYLLABLES = (
    "bai百 bao宝 bei贝 ben本 bin滨 bo博 cai彩 can灿 chang昌 chao超 chen辰 cheng诚 chuang创 chun春 "
    "cong聪 da达 de德 ding鼎 dong东 du度 fa发 fan帆 fang方 fei飞 feng丰 fu富 hai海 han瀚 hang航 "
    "hao浩 he合 heng恒 hong宏 hua华 hui汇 jia嘉 jian健 jie捷 jin金 jing晶 jun骏 kai凯 kang康 ke科 "
    "kun坤 lan蓝 li立 lian联 lin霖 ling领 long隆 lu路 mei美 meng盟 ming明 mu沐 pei沛 peng鹏 "
    "ping平 pu浦 qi启 qian乾 qing清 quan泉 sai赛 sen森 shan山 sheng盛 shi世 shuo硕 tai泰 tian天 "
    "tong通 wei维 wen文 xiang翔 xin信 xing星 xu旭 ya雅 yang扬 yao耀 yi亿 ying英 yong永 yu宇 "
    "yuan源 yue悦 zhan展 zhi智 zhong中 zhuo卓 zi紫"
).split()
SURNAMES = (
    "wang王 li李 zhang张 liu刘 chen陈 yang杨 huang黄 zhao赵 wu吴 zhou周 xu徐 sun孙 ma马 zhu朱 "
    "hu胡 guo郭 he何 lin林 luo罗 gao高 zheng郑 liang梁 xie谢 song宋 tang唐 han韩 feng冯 deng邓 "
    "cao曹 peng彭 zeng曾 xiao肖 tian田 dong董 pan潘 yuan袁 cai蔡 jiang蒋 yu余 du杜 ye叶 cheng程 "
    "wei魏 su苏 ding丁 ren任 lu卢 yao姚 shen沈 zhong钟 cui崔 tan谭 fan范 liao廖 shi石 jin金 jia贾 "
    "xia夏 fu付 fang方 zou邹 xiong熊 bai白 meng孟 qin秦 qiu邱 hou侯 yin尹 xue薛 yan闫 duan段 lei雷 "
    "long龙 tao陶 mao毛 hao郝 gu顾 gong龚 shao邵 wan万 qian钱 dai戴 mo莫 kong孔 xiang向 chang常"
).split()
GIVEN_SYLLABLES = (
    "jian建 hua华 wei伟 ming明 li丽 jun军 qiang强 ping平 bo波 tao涛 hui慧 jie杰 lei磊 yan燕 "
    "xia霞 fang芳 min敏 jing静 chao超 yong勇 yi毅 hong红 xiu秀 mei梅 lan兰 feng峰 bin斌 hao浩 "
    "kai凯 peng鹏 fei飞 yu宇 xin欣 jia佳 qian倩 ting婷 xue雪 yun云 zhi志 dong东 hai海 lin林 "
    "song松 bing冰 wen文 qing清 chun春 zhen振 xiang祥 long龙 shan山 cheng成 sheng胜 de德 fu福 "
    "shu淑 zhong忠 yang阳 kun坤 tian天 xu旭 jin金 dan丹 lu璐 chen晨 hang航 yuan源 zhuo卓 shuai帅 "
    "pei培 mu慕 kang康 wu武 tong彤 su素 qi琪 ying颖 meng萌 xi曦 ke可"
).split()
# Modifiers: one English word (none a prefix of another) and two characters each.
MODIFIERS = (
    ("Precision", "精密"), ("Smart", "智能"), ("Digital", "数字"), ("Power", "动力"),
    ("Photonic", "光电"), ("Thermal", "热能"), ("Fluid", "流体"), ("Marine", "海洋"),
    ("Vision", "视觉"), ("Laser", "激光"), ("Quantum", "量子"), ("Cloud", "云端"),
    ("Tech", "科技"), ("Micro", "微纳"), ("Bio", "生物"), ("Hydro", "水力"),
)  # fmt: skip
# Industries: English, 中文, sector.
INDUSTRIES = (
    ("Robotics", "机器人", "industry"), ("Machinery", "机械", "industry"),
    ("Sensors", "传感器", "industry"), ("Semiconductors", "半导体", "industry"),
    ("Instruments", "仪器", "industry"), ("Materials", "材料", "industry"),
    ("Electronics", "电子", "industry"), ("Optics", "光学", "industry"),
    ("Automation", "自动化", "industry"), ("Motors", "电机", "industry"),
    ("Bearings", "轴承", "industry"), ("Reducers", "减速器", "industry"),
    ("Valves", "阀门", "industry"), ("Pumps", "泵业", "industry"),
    ("Batteries", "电池", "industry"), ("Software", "软件", "software"),
    ("Systems", "系统", "software"), ("Equipment", "装备", "industry"),
    ("Devices", "器件", "industry"), ("Components", "元件", "industry"),
    ("Chemicals", "化工", "industry"), ("Coatings", "涂料", "industry"),
    ("Ceramics", "陶瓷", "industry"), ("Alloys", "合金", "industry"),
    ("Castings", "铸造", "industry"), ("Tools", "工具", "industry"),
    ("Medical", "医疗器械", "industry"), ("Pharmaceuticals", "制药", "industry"),
    ("Energy", "能源", "industry"), ("Telecom", "通信", "industry"),
    ("Networks", "网络", "software"), ("Displays", "显示", "industry"),
    ("Lighting", "照明", "industry"), ("Magnetics", "磁性材料", "industry"),
    ("Fibers", "纤维", "industry"), ("Plastics", "塑业", "industry"),
    ("Gears", "齿轮", "industry"), ("Hydraulics", "液压", "industry"),
    ("Composites", "复合材料", "industry"), ("Data", "数据", "software"),
)  # fmt: skip

# Spellings of vocabulary values (the first is the canonical code; the others appear in ~10%).
_TYPE_ZH = {
    "Firm": "企业",
    "Bank": "银行",
    "Fund": "基金",
    "GuidanceFund": "政府引导基金",
    "GovernmentBody": "政府机构",
    "Person": "自然人",
}
_INSTRUMENT_ZH = {
    "equity": "股权投资",
    "loan": "贷款",
    "subsidy": "补贴",
    "lp_commitment": "出资承诺",
    "bond": "债券",
}
_PROGRAMME_ZH = {
    "innovative_sme": "创新型中小企业",
    "specialized_sme": "专精特新中小企业",
    "little_giant": '专精特新"小巨人"',
    "manufacturing_champion": "制造业单项冠军",
}
_EXCHANGE_SPELLINGS = {
    "SSE": ("SSE", "上交所", "XSHG"),
    "SZSE": ("SZSE", "深交所", "XSHE"),
    "BSE": ("BSE", "北交所", "BJSE"),
}
# Stock code prefixes (DOMAIN.md "Stock codes"): prefix -> exchange, board, suffix, first day.
_PREFIXES: dict[str, tuple[str, str, str, str]] = {
    "600": ("SSE", "main", "SH", "2010-01-01"), "601": ("SSE", "main", "SH", "2010-01-01"),
    "603": ("SSE", "main", "SH", "2010-01-01"), "605": ("SSE", "main", "SH", "2019-01-01"),
    "688": ("SSE", "star", "SH", "2019-07-22"), "689": ("SSE", "star", "SH", "2020-01-01"),
    "000": ("SZSE", "main", "SZ", "2010-01-01"), "001": ("SZSE", "main", "SZ", "2010-01-01"),
    "002": ("SZSE", "main", "SZ", "2010-01-01"), "003": ("SZSE", "main", "SZ", "2020-01-01"),
    "300": ("SZSE", "chinext", "SZ", "2010-01-01"), "301": ("SZSE", "chinext", "SZ", "2020-08-24"),
    "83": ("BSE", "bse", "BJ", "2021-11-15"), "87": ("BSE", "bse", "BJ", "2021-11-15"),
    "920": ("BSE", "bse", "BJ", "2024-01-01"), "43": ("BSE", "bse", "BJ", "2021-11-15"),
    "88": ("BSE", "bse", "BJ", "2021-11-15"),
}  # fmt: skip
# Board wishes per kind of firm: (prefixes, weights); full prefixes overflow to the BSE ones.
_BOARD_PLAN = {
    "group": (("600", "601", "603", "605", "000", "001", "002", "003", "300", "688"),
              (14, 12, 14, 5, 10, 6, 16, 3, 10, 10)),
    "tech": (("688", "689", "300", "301", "83", "87", "920", "603", "002"),
             (26, 6, 14, 14, 12, 8, 3, 9, 8)),
    "other": (("83", "87", "920", "300", "301", "603", "002", "605", "001"),
              (30, 18, 4, 10, 10, 10, 10, 4, 4)),
}  # fmt: skip
_OVERFLOW = ("83", "87", "43", "88", "920")

_FIRST_YEAR, _LAST_YEAR = 2016, 2024  # financial years
_EPOCH = np.datetime64("1970-01-01", "D")


# ---------------------------------------------------------------------------------------------
# Small helpers


def _rng(seed: int, stream: str) -> np.random.Generator:
    """An independent random stream per component, so one part's draws never shift another's."""
    return np.random.default_rng([int(seed) % (1 << 64), zlib.crc32(stream.encode())])


def _syllables(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    en = np.array([w[:-1].capitalize() for w in words], dtype=object)
    zh = np.array([w[-1] for w in words], dtype=object)
    return en, zh


_BRAND_EN, _BRAND_ZH = _syllables(BRAND_SYLLABLES)
_SUR_EN, _SUR_ZH = _syllables(SURNAMES)
_GIV_EN, _GIV_ZH = _syllables(GIVEN_SYLLABLES)


def _days(text: str) -> int:
    return int((np.datetime64(text, "D") - _EPOCH).astype(np.int64))


def _year_of(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("M8[D]").astype("M8[Y]").astype(np.int64) + 1970


def _random_day(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    """A random day (1st-28th of a random month) in each of `years`."""
    years = np.asarray(years, dtype=np.int64)
    months = (years - 1970) * 12 + rng.integers(0, 12, len(years))
    return months.astype("M8[M]").astype("M8[D]").astype(np.int64) + rng.integers(0, 28, len(years))


def _plus_years_minus_day(days: np.ndarray, years: int) -> np.ndarray:
    """`years` years after each day, minus one day (a 3-year status from 2019-07-01 runs to
    2022-06-30). Days are 1st-28th, so month arithmetic is exact."""
    d = np.asarray(days, dtype=np.int64).astype("M8[D]")
    month = d.astype("M8[M]")
    dom = d - month.astype("M8[D]")
    return ((month + 12 * years).astype("M8[D]") + dom).astype(np.int64) - 1


def _fmt_dates(days: np.ndarray, precision: np.ndarray | int = 2) -> np.ndarray:
    """ISO dates with a precision per row: 2 day, 1 month ('2021-07'), 0 year, -1 empty."""
    days = np.asarray(days, dtype=np.int64)
    full = np.datetime_as_string(days.astype("M8[D]"), unit="D")
    prec = np.broadcast_to(np.asarray(precision), days.shape)
    out = np.where(prec >= 2, full, np.where(prec == 1, full.astype("U7"), full.astype("U4")))
    out = out.astype(object)
    out[prec < 0] = ""
    return out


def _precision(
    rng: np.random.Generator, n: int, month: float = 0.12, year: float = 0.06
) -> np.ndarray:
    u = rng.random(n)
    return np.where(u < year, 0, np.where(u < year + month, 1, 2)).astype(np.int8)


def _num(x: float, decimals: int) -> str:
    s = f"{x:.{decimals}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _str(values: np.ndarray) -> np.ndarray:
    """Integers as text (an object array; faster than numpy's astype(str))."""
    return np.array(list(map(str, np.asarray(values).tolist())), dtype=object)


def _fmt_money(
    values: np.ndarray, spelled: np.ndarray, empty: np.ndarray | None = None
) -> np.ndarray:
    """Integer yuan as plain numbers, or as 万元 / 亿元 where `spelled`."""
    values = np.asarray(values, dtype=np.int64)
    out = _str(values)
    idx = np.flatnonzero(spelled)
    out[idx] = [
        _num(v / 1e8, 2) + "亿元"
        if abs(v) >= 100_000_000 and (v // 1000) % 3
        else _num(v / 1e4, 2) + "万元"
        for v in values[idx].tolist()
    ]
    if empty is not None:
        out[np.asarray(empty, dtype=bool)] = ""
    return out


def _fmt_share(bp: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Shares given in basis points as 0.51 (style 0), 51% (1) or 51 (2; only above 2%, since a
    bare number up to 1 reads as a fraction)."""
    out = np.empty(len(bp), dtype=object)
    for i, (b, s) in enumerate(
        zip(np.asarray(bp).tolist(), np.asarray(style).tolist(), strict=True)
    ):
        if s == 0 or (s == 2 and b < 200):
            out[i] = "1" if b == 10000 else "0." + f"{b:04d}".rstrip("0")
        else:
            pct = str(b // 100) if b % 100 == 0 else f"{b // 100}.{b % 100:02d}".rstrip("0")
            out[i] = pct + "%" if s == 1 else pct
    return out


def _fmt_rate(bp: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Interest rates (basis points, below 100%) as 0.0285 or 2.85%."""
    out = np.empty(len(bp), dtype=object)
    for i, (b, s) in enumerate(
        zip(np.asarray(bp).tolist(), np.asarray(style).tolist(), strict=True)
    ):
        out[i] = (
            "0." + f"{b:04d}".rstrip("0")
            if s == 0
            else (f"{b // 100}.{b % 100:02d}".rstrip("0").rstrip(".") + "%")
        )
    return out


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    width = max(width, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _quota(total: int, weights) -> np.ndarray:
    """Split `total` in proportion to `weights` (largest remainders), exactly."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    q = np.floor(raw).astype(np.int64)
    rest = total - int(q.sum())
    if rest:
        q[np.argsort(-(raw - q), kind="stable")[:rest]] += 1
    return q


def _choice(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """k distinct indices of range(n), sorted (fewer if n < k)."""
    k = min(k, n)
    return np.sort(rng.choice(n, size=k, replace=False)) if k else np.empty(0, dtype=np.int64)


def _digits(values: np.ndarray, base: int, width: int) -> np.ndarray:
    """Base-`base` digits of each value, most significant first (shape n x width)."""
    powers = base ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (np.asarray(values, dtype=np.int64)[:, None] // powers[None, :]) % base


def _distinct(rng: np.random.Generator, space: int, k: int) -> np.ndarray:
    """k distinct random values from range(space), in random order."""
    return rng.choice(space, size=k, replace=False) if k else np.empty(0, dtype=np.int64)


_ALPHA = np.array(list(uscc_mod.ALPHABET))
_ALPHA_36 = np.array([int(c, 36) for c in uscc_mod.ALPHABET], dtype=np.int64)
_X = uscc_mod.ALPHABET.index("X")


def make_usccs(divisions: np.ndarray, org8: np.ndarray) -> np.ndarray:
    """Valid USCCs ('91' + division + organisation code) for many firms at once; `org8` holds
    the first 8 characters of each organisation code as indices into the USCC alphabet.
    Same result as :func:`kg.values.uscc.make`, vectorised.

    >>> make_usccs(np.array(["350200"]), np.array([[7, 7, 6, 0, 4, 9, 6, 5]]))[0]
    '91350200776049653A'
    """
    org8 = np.asarray(org8, dtype=np.int64)
    n = len(org8)
    c9 = 11 - (_ALPHA_36[org8] * np.array(uscc_mod.ORG_CODE_WEIGHTS)).sum(axis=1) % 11
    c9 = np.where(c9 == 10, _X, np.where(c9 == 11, 0, c9))
    uniq, inv = np.unique(np.asarray(divisions).astype(str), return_inverse=True)
    div = np.array([[int(ch) for ch in d] for d in uniq.tolist()], dtype=np.int64).reshape(
        len(uniq), 6
    )[inv.ravel()]
    first17 = np.hstack(
        [np.full((n, 1), 9), np.ones((n, 1), dtype=np.int64), div, org8, c9[:, None]]
    )
    check = (31 - (first17 * np.array(uscc_mod.WEIGHTS)).sum(axis=1) % 31) % 31
    chars = np.ascontiguousarray(_ALPHA[np.hstack([first17, check[:, None]])])
    return chars.view("U18").ravel().astype(object)


# ---------------------------------------------------------------------------------------------
# The model, built in stages. Entities have global indices in this order: government bodies,
# banks, funds, firms, persons; link tables hold those indices until they are written.


@dataclass
class _Table:
    """Rows of one output file as parallel arrays; `refs` columns hold global entity indices."""

    columns: dict[str, np.ndarray]
    refs: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))


def _cat(parts: list[np.ndarray], dtype=np.int64) -> np.ndarray:
    return (
        np.concatenate([np.asarray(p, dtype=dtype) for p in parts])
        if parts
        else np.empty(0, dtype=dtype)
    )


class _Rows:
    """Collects rows column by column, then concatenates."""

    def __init__(self, **dtypes):
        self.dtypes = dtypes
        self.parts: dict[str, list] = {c: [] for c in dtypes}

    def add(self, **cols) -> None:
        k = max(len(v) for v in cols.values() if not np.isscalar(v))
        for c, dt in self.dtypes.items():
            v = cols[c]
            self.parts[c].append(
                np.full(k, v, dtype=dt) if np.isscalar(v) else np.asarray(v, dtype=dt)
            )

    def done(self) -> dict[str, np.ndarray]:
        return {c: _cat(p, self.dtypes[c]) for c, p in self.parts.items()}


class _World:
    """All entities and links of one synthetic data set."""

    def __init__(self, firms: int, seed: int):
        self.n = int(firms)
        self.seed = int(seed)
        self.div_code = np.array([d[0] for d in DIVISIONS])
        self.div_prov_en = np.array([d[1] for d in DIVISIONS], dtype=object)
        self.div_city_en = np.array([d[3] for d in DIVISIONS], dtype=object)
        self.div_city_zh = np.array([d[4] for d in DIVISIONS], dtype=object)
        w = np.array([d[5] for d in DIVISIONS], dtype=float)
        self.div_p = w / w.sum()
        self.provinces = list(dict.fromkeys(d[1] for d in DIVISIONS))
        self.prov_zh = {d[1]: d[2] for d in DIVISIONS}
        self.div_prov = np.array([self.provinces.index(d[1]) for d in DIVISIONS])
        self.prov_capital_div = np.array(
            [next(i for i, d in enumerate(DIVISIONS) if d[1] == p) for p in self.provinces]
        )
        self.tables: dict[str, _Table] = {}
        self._government()
        self._banks()
        self._funds()
        self._firms()
        self._certifications()
        self._ownership()
        self._funding()
        self._listings()
        self._financials_plan()

    def rng(self, stream: str) -> np.random.Generator:
        return _rng(self.seed, stream)

    # -- entities without firms -------------------------------------------------------------

    def _government(self) -> None:
        rows = [
            ("State-owned Assets Supervision and Administration Commission of the State Council",
             "国务院国有资产监督管理委员会", "Beijing", "Beijing"),
            ("Ministry of Finance of the People's Republic of China", "中华人民共和国财政部", "Beijing", "Beijing"),
            ("Ministry of Industry and Information Technology", "中华人民共和国工业和信息化部", "Beijing", "Beijing"),
            ("National Development and Reform Commission", "国家发展和改革委员会", "Beijing", "Beijing"),
        ]  # fmt: skip
        self.gb_central_sasac, self.gb_mof, self.gb_miit = 0, 1, 2
        sasac, finance, diit, diit_names = [], [], [], []
        for p in self.provinces:
            muni = p in _MUNICIPALITIES
            level = "Municipal" if muni else "Autonomous Region" if p == "Guangxi" else "Provincial"
            zh = self.prov_zh[p]
            sasac.append(len(rows))
            rows.append((f"{p} {level} SASAC", f"{zh}人民政府国有资产监督管理委员会", p, ""))
            finance.append(len(rows))
            rows.append(
                (
                    f"{p} {level} Department of Finance",
                    f"{zh}{'财政局' if muni else '财政厅'}",
                    p,
                    "",
                )
            )
            diit.append(len(rows))
            name = (
                f"{p} {level} Department of Industry and Information Technology",
                f"{zh}{'经济和信息化局' if muni else '工业和信息化厅'}",
            )
            rows.append((*name, p, ""))
            diit_names.append(name)
        self.gb_prov_sasac, self.gb_prov_finance, self.gb_prov_diit = (
            np.array(x) for x in (sasac, finance, diit)
        )
        self.prov_diit_names = np.array(diit_names, dtype=object)
        self.gb_city = np.arange(len(rows), len(rows) + len(DIVISIONS))
        rows += [
            (f"{d[3]} Municipal People's Government", f"{d[4]}市人民政府", d[1], d[3])
            for d in DIVISIONS
        ]
        self.gov = rows
        self.bank_off = len(rows)

    def _banks(self) -> None:
        self.n_banks = len(BANKS)
        self.bank_state = np.array([b[3] for b in BANKS])
        self.bank_div = np.array([[d[0] for d in DIVISIONS].index(b[2]) for b in BANKS])
        self.fund_off = self.bank_off + self.n_banks

    def _funds(self) -> None:
        """National and provincial guidance funds, and sub-funds (local fund indices)."""
        rng = self.rng("funds")
        n_nat, n_prov = len(NATIONAL_FUNDS), len(self.provinces)
        n_sub = max(3, self.n // 250)
        self.nat_funds = np.arange(n_nat)
        self.prov_funds = n_nat + np.arange(n_prov)
        self.sub_funds = n_nat + n_prov + np.arange(n_sub)
        self.n_funds = n_nat + n_prov + n_sub
        self.sub_div = rng.choice(len(DIVISIONS), size=n_sub, p=self.div_p)
        self.sub_prov = self.div_prov[self.sub_div]
        self.sub_size = np.round(np.exp(rng.normal(np.log(1.2e9), 0.7, n_sub)), -6).astype(np.int64)
        self.prov_size = np.round(np.exp(rng.normal(np.log(5e9), 0.5, n_prov)), -7).astype(np.int64)
        self.fund_div = np.concatenate(
            [np.zeros(n_nat, dtype=np.int64), self.prov_capital_div, self.sub_div]
        )
        self.fund_founded = np.concatenate(
            [
                [_days(f[2]) for f in NATIONAL_FUNDS],
                _random_day(rng, rng.integers(2015, 2021, n_prov)),
                _random_day(rng, rng.integers(2015, 2024, n_sub)),
            ]
        ).astype(np.int64)
        # LP commitments into each sub-fund: its provincial fund 20-40%, often a national one 10-30%
        self.sub_c_prov = rng.integers(2000, 4001, n_sub)
        self.sub_has_nat = rng.random(n_sub) < 0.7
        self.sub_c_nat = np.where(self.sub_has_nat, rng.integers(1000, 3001, n_sub), 0)
        self.sub_nat = np.where(
            rng.random(n_sub) < 0.6, 3, 4
        )  # SME Development / Manufacturing fund
        self.sub_names = _name_triples(rng, n_sub)
        order = np.argsort(self.sub_prov, kind="stable")
        self.sub_by_prov = order
        self.sub_prov_start = np.searchsorted(self.sub_prov[order], np.arange(n_prov))
        self.sub_prov_count = np.bincount(self.sub_prov, minlength=n_prov)
        self.firm_off = self.fund_off + self.n_funds

    def fund(self, local) -> np.ndarray:
        return self.fund_off + np.asarray(local, dtype=np.int64)

    def firm(self, local) -> np.ndarray:
        return self.firm_off + np.asarray(local, dtype=np.int64)

    def local_sub_fund(self, rng: np.random.Generator, prov: np.ndarray) -> np.ndarray:
        """A sub-fund of the given province where there is one (80%), else any sub-fund."""
        n_sub = len(self.sub_funds)
        cnt = self.sub_prov_count[prov]
        pick = self.sub_prov_start[prov] + (rng.random(len(prov)) * np.maximum(cnt, 1)).astype(
            np.int64
        )
        local = self.sub_by_prov[np.minimum(pick, n_sub - 1)]
        anywhere = rng.integers(0, n_sub, len(prov))
        return self.sub_funds[np.where((cnt > 0) & (rng.random(len(prov)) < 0.8), local, anywhere)]

    # -- firms --------------------------------------------------------------------------------

    def _firms(self) -> None:
        """Groups (heavy-tailed sizes, up to four levels) first, then independent firms."""
        rng = self.rng("firms")
        n = self.n
        target = int(round(0.2 * n))
        ks = np.arange(2, 52)
        p = ks**-1.8
        sizes = rng.choice(ks, size=max(1, target // 2), p=p / p.sum())
        sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), target)) + 1].copy()
        sizes[-1] -= max(0, int(sizes.sum()) - target)
        sizes = sizes[sizes >= 2]
        t = int(sizes.sum())
        starts = np.cumsum(sizes) - sizes
        grp = np.repeat(np.arange(len(sizes)), sizes)
        k = np.arange(t) - starts[grp]
        m = sizes[grp] - 1
        h1 = np.maximum(1, np.ceil(m * 0.3)).astype(np.int64)  # holdings under the parent
        h2 = np.ceil((m - h1) * 0.6).astype(np.int64)  # subsidiaries under the holdings
        level = np.where(k == 0, 0, np.where(k <= h1, 1, np.where(k <= h1 + h2, 2, 3)))
        u = rng.random(t)
        local = np.where(
            level == 1,
            0,
            np.where(level == 2, 1 + np.floor(u * h1), 1 + h1 + np.floor(u * np.maximum(h2, 1))),
        )
        parent = np.where(level == 0, -1, starts[grp] + local.astype(np.int64))

        self.group_sizes, self.group_root = sizes, starts.astype(np.int64)
        self.firm_group = np.concatenate([grp, np.full(n - t, -1)]).astype(np.int64)
        self.firm_level = np.concatenate([level, np.full(n - t, -1)]).astype(np.int64)
        self.firm_parent = np.concatenate([parent, np.full(n - t, -1)]).astype(np.int64)
        self.is_root = self.firm_level == 0
        self.independent = self.firm_group < 0
        self.group_state = rng.random(len(sizes)) < 0.35

        # parent shares (basis points): holdings mostly 100%; others 100% / 51-90% / 5-35%
        u = rng.random(n)
        holding = self.firm_level == 1
        full = np.where(holding, u < 0.7, u < 0.5)
        minority = ~holding & (u >= 0.85)
        bp = np.where(
            full, 10000, np.where(minority, rng.integers(500, 3501, n), rng.integers(5100, 9001, n))
        )
        self.parent_bp = np.where(self.firm_parent >= 0, bp, 0)

        # state ownership: state groups down majority links; 3% of independent firms
        self.ind_state = self.independent & (rng.random(n) < 0.03)
        state = self.ind_state.copy()
        state[:t] = self.group_state[grp] & ((self.parent_bp[:t] >= 5000) | (level == 0))
        self.firm_state = state

        # places: a group's members stay in its city 70% of the time
        div = rng.choice(len(DIVISIONS), size=n, p=self.div_p)
        div[:t] = np.where((rng.random(t) < 0.7) | (level == 0), div[starts][grp], div[:t])
        self.firm_div = div

        # founding: parents 1985-2005, members after their parent, the others 1990-2020
        yrs = np.arange(1990, 2021)
        yw = np.exp(-(((yrs - 2010) / 7.0) ** 2))
        year = rng.choice(yrs, size=n, p=yw / yw.sum())
        root_year = rng.integers(1985, 2006, len(sizes))
        year[:t] = np.where(
            level == 0, root_year[grp], np.minimum(2020, root_year[grp] + rng.integers(1, 16, t))
        )
        self.firm_founded = _random_day(rng, year)
        self.founded_prec = _precision(rng, n, 0.10, 0.06)

        self.firm_names = _name_triples(rng, n, groups=(self.firm_group, starts))
        self.firm_sector = np.array([i[2] for i in INDUSTRIES], dtype=object)[self.firm_names[2]]
        ids = np.empty(n, dtype=object)
        ids[self.is_root] = _ids("g", int(self.is_root.sum()), 5)
        ids[~self.is_root] = _ids("f", int((~self.is_root).sum()), 7)
        self.firm_ids = ids
        self.person_off = self.firm_off + n

    # -- certifications -----------------------------------------------------------------------

    def _certifications(self) -> None:
        """Top tier per firm, then the ladder of rows below it."""
        rng = self.rng("certifications")
        n = self.n
        eligible = np.flatnonzero(~self.is_root)
        order = eligible[rng.permutation(len(eligible))]
        n_champ = int(round(0.01 * n))
        n_champ_lg = int(round(0.4 * n_champ))
        sizes = [
            n_champ - n_champ_lg,
            int(round(0.12 * n)),
            int(round(0.23 * n)),
            int(round(0.37 * n)),
        ]
        b = np.minimum(np.cumsum([0, *sizes]), len(order))
        champ_only, lg, spec_top, innov_top = (order[b[i] : b[i + 1]] for i in range(4))
        tier = np.zeros(n, dtype=np.int64)  # 0 none, 1 innovative, 2 specialized, 3 LG, 4 champion
        tier[innov_top], tier[spec_top], tier[lg], tier[champ_only] = 1, 2, 3, 4

        # Little Giant batches in the national proportions (exact quotas, shuffled)
        batch = np.repeat(
            np.arange(1, 8), _quota(len(lg), [v[1] for v in LITTLE_GIANT_BATCHES.values()])
        )
        rng.shuffle(batch)
        lg_year = np.array([v[0] for v in LITTLE_GIANT_BATCHES.values()])[batch - 1]
        lg_day = np.array([_days(v[2]) for v in LITTLE_GIANT_BATCHES.values()])[batch - 1]
        self.lg_firms, self.lg_batch = lg, batch

        rows = _Rows(
            firm=np.int64,
            programme=object,
            batch=np.int64,
            year=np.int64,
            day=np.int64,
            issuer=object,
        )
        miit = np.array(["MIIT", "工业和信息化部"], dtype=object)

        def national(k):
            return miit[(rng.random(k) < 0.15).astype(np.int64)]

        def provincial(firms):
            return self.prov_diit_names[
                self.div_prov[self.firm_div[firms]],
                (rng.random(len(firms)) < 0.15).astype(np.int64),
            ]

        rows.add(
            firm=lg,
            programme="little_giant",
            batch=batch,
            year=lg_year,
            day=lg_day,
            issuer=national(len(lg)),
        )
        again = (batch <= 4) & (rng.random(len(lg)) < RE_REVIEW_PASS)  # re-reviewed 3 years on
        rows.add(
            firm=lg[again],
            programme="little_giant",
            batch=batch[again],
            year=lg_year[again] + 3,
            day=_plus_years_minus_day(lg_day[again], 3) + 1,
            issuer=national(int(again.sum())),
        )
        early = np.flatnonzero(batch <= 5)
        pick = early[_choice(rng, len(early), n_champ_lg)]
        c_year = np.minimum(2024, lg_year[pick] + 1 + rng.integers(0, 3, len(pick)))
        c_year = np.concatenate([c_year, rng.integers(CHAMPION_FIRST_YEAR, 2025, len(champ_only))])
        champs = np.concatenate([lg[pick], champ_only])
        rows.add(
            firm=champs,
            programme="manufacturing_champion",
            batch=c_year - (CHAMPION_FIRST_YEAR - 1),
            year=c_year,
            day=_random_day(rng, c_year),
            issuer=national(len(champs)),
        )
        self.champions = champs
        tier[lg[pick]] = 4

        # the ladder: specialized 1-3 years before the Little Giant status, innovative before that
        has_spec = rng.random(len(lg)) < 0.95
        s_year = np.maximum(2013, lg_year - rng.integers(1, 4, len(lg)))
        sy = np.arange(2018, 2026)
        sw = np.linspace(1.0, 2.5, len(sy))
        st_year = rng.choice(sy, size=len(spec_top), p=sw / sw.sum())
        spec = np.concatenate([lg[has_spec], spec_top])
        spec_year = np.concatenate([s_year[has_spec], st_year])
        rows.add(
            firm=spec,
            programme="specialized_sme",
            batch=-1,
            year=spec_year,
            day=_random_day(rng, spec_year),
            issuer=provincial(spec),
        )
        has_innov = np.concatenate([rng.random(len(lg)) < 0.6, rng.random(len(spec_top)) < 0.7])
        below = np.concatenate([np.where(has_spec, s_year, lg_year - 2), st_year])[has_innov]
        innov = np.concatenate([lg, spec_top])[has_innov]
        innov_year = np.maximum(2012, below - rng.integers(1, 3, len(below)))
        innov = np.concatenate([innov, innov_top])
        innov_year = np.concatenate([innov_year, rng.integers(2022, 2026, len(innov_top))])
        rows.add(
            firm=innov,
            programme="innovative_sme",
            batch=-1,
            year=innov_year,
            day=_random_day(rng, innov_year),
            issuer=provincial(innov),
        )

        r = rows.done()
        o = np.lexsort((r["day"], r["firm"]))  # by firm, then date
        r = {c: v[o] for c, v in r.items()}
        k = len(o)
        prec = np.where(rng.random(k) < 0.08, -1, _precision(rng, k, 0.15, 0.0))  # -1: from `year`
        to_empty = (prec != 2) | (rng.random(k) < 0.45)
        programme = r["programme"].copy()
        zh = np.flatnonzero(rng.random(k) < 0.1)
        programme[zh] = [_PROGRAMME_ZH[p] for p in r["programme"][zh]]
        self.tier = tier
        self.certified = np.zeros(n, dtype=bool)
        self.certified[r["firm"]] = True
        self.tables["certifications.csv"] = _Table(
            {
                "firm": self.firm(r["firm"]),
                "programme": programme,
                "batch": np.where(r["batch"] > 0, r["batch"].astype(str), "").astype(object),
                "year": _str(r["year"]),
                "issuer": r["issuer"],
                "valid_from": _fmt_dates(r["day"], prec),
                "valid_to": _fmt_dates(
                    _plus_years_minus_day(r["day"], 3), np.where(to_empty, -1, 2)
                ),
                "source": np.full(k, SOURCE, dtype=object),
            },
            refs=("firm",),
        )

    # -- ownership ----------------------------------------------------------------------------

    def _ownership(self) -> None:
        rng = self.rng("ownership")
        n = self.n
        rows = _Rows(owner=np.int64, owned=np.int64, bp=np.int64, start=np.int64)

        members = np.flatnonzero(self.firm_parent >= 0)
        rows.add(
            owner=self.firm(self.firm_parent[members]),
            owned=self.firm(members),
            bp=self.parent_bp[members],
            start=self.firm_founded[members],
        )

        # cross-holdings between private independent firms: A owns 5-15% of B, B owns 2-8% of A
        ext = np.zeros(n, dtype=np.int64)  # basis points held by funds and cross-holders
        private = np.flatnonzero(self.independent & ~self.ind_state)
        pair = private[_choice(rng, len(private), 2 * int(round(0.0025 * n)))]
        pair = pair[rng.permutation(len(pair))]
        h = len(pair) // 2
        a, b = pair[:h], pair[h : 2 * h]
        x, y = rng.integers(500, 1501, h), rng.integers(200, 801, h)
        when = _random_day(rng, rng.integers(2016, 2025, h))
        rows.add(owner=self.firm(a), owned=self.firm(b), bp=x, start=when)
        rows.add(owner=self.firm(b), owned=self.firm(a), bp=y, start=when)
        np.add.at(ext, b, x)
        np.add.at(ext, a, y)
        self.cross_pairs = np.stack([a, b], axis=1)

        # minority stakes of funds in certified firms that have room for them
        room = np.where(
            self.independent & ~self.ind_state,
            3000 - ext,
            np.where(self.firm_parent >= 0, 10000 - self.parent_bp, 0),
        )
        prob = np.array([0.0, 0.04, 0.10, 0.35, 0.30])[self.tier]
        f = np.flatnonzero((rng.random(n) < prob) & (room >= 200))
        stake = np.minimum(rng.integers(100, 1501, len(f)), room[f] - 100)
        u = rng.random(len(f))
        national = np.where(
            rng.random(len(f)) < 0.5, 3, rng.integers(0, len(NATIONAL_FUNDS), len(f))
        )
        prov = self.div_prov[self.firm_div[f]]
        fund = np.where(
            u < 0.75,
            self.local_sub_fund(rng, prov),
            np.where(u < 0.95, self.prov_funds[prov], national),
        )
        lo = (
            np.maximum(
                np.maximum(self.firm_founded[f], self.fund_founded[fund]), _days("2016-01-01")
            )
            + 180
        )
        hi = _days("2025-06-30")
        lo = np.minimum(lo, hi)
        when = lo + (rng.random(len(f)) * (hi - lo)).astype(np.int64)
        rows.add(owner=self.fund(fund), owned=self.firm(f), bp=stake, start=when)
        np.add.at(ext, f, stake)
        self.fund_stakes = (fund, f, stake, when)

        # governments own the state groups and the state-owned independent firms
        roots, st = self.group_root, self.group_state
        u = rng.random(len(roots))
        rdiv = self.firm_div[roots]
        gov = np.where(
            u < 0.10,
            self.gb_central_sasac,
            np.where(
                u < 0.15,
                self.gb_mof,
                np.where(u < 0.75, self.gb_prov_sasac[self.div_prov[rdiv]], self.gb_city[rdiv]),
            ),
        )
        g_bp = np.where(rng.random(len(roots)) < 0.6, 10000, rng.integers(5100, 7601, len(roots)))
        rows.add(
            owner=gov[st],
            owned=self.firm(roots[st]),
            bp=g_bp[st],
            start=self.firm_founded[roots[st]],
        )
        ind = np.flatnonzero(self.ind_state)
        s_bp = np.where(rng.random(len(ind)) < 0.7, 10000, rng.integers(5100, 9001, len(ind)))
        rows.add(
            owner=self.gb_city[self.firm_div[ind]],
            owned=self.firm(ind),
            bp=s_bp,
            start=self.firm_founded[ind],
        )

        # persons own the private groups and 65% of the private independent firms (1-3 each)
        known = self.independent & ~self.ind_state & (rng.random(n) < 0.65)
        targets = np.concatenate([roots[~st], np.flatnonzero(known)])
        avail = 10000 - ext[targets]
        n_owners = rng.choice([1, 2, 3], size=len(targets), p=[0.55, 0.35, 0.10])
        self.n_persons = min(
            len(SURNAMES) * len(GIVEN_SYLLABLES) ** 2, max(3, int(round(0.25 * n)))
        )
        slot = np.repeat(np.arange(len(targets)), n_owners)
        rank = np.arange(len(slot)) - (np.cumsum(n_owners) - n_owners)[slot]
        w = rng.uniform(0.2, 1.0, len(slot)) * np.where(rank == 0, 3.0, 1.0)
        tot = np.bincount(slot, weights=w, minlength=len(targets))
        sbp = np.floor(w / tot[slot] * avail[slot]).astype(np.int64)
        sbp[rank == 0] += avail - np.bincount(slot, weights=sbp, minlength=len(targets)).astype(
            np.int64
        )
        person = (
            rng.integers(0, self.n_persons, len(targets))[slot] + rank * 7919
        ) % self.n_persons
        rows.add(
            owner=self.person_off + person,
            owned=self.firm(targets[slot]),
            bp=sbp,
            start=self.firm_founded[targets[slot]],
        )

        # guidance funds: the MoF in the national funds, provincial finance in the provincial
        # ones, and the guidance funds' LP shares in the sub-funds (so state share flows through)
        rows.add(
            owner=np.full(len(NATIONAL_FUNDS), self.gb_mof),
            owned=self.fund(self.nat_funds),
            bp=[int(round(f[4] * 10000)) for f in NATIONAL_FUNDS],
            start=self.fund_founded[self.nat_funds],
        )
        rows.add(
            owner=self.gb_prov_finance,
            owned=self.fund(self.prov_funds),
            bp=10000,
            start=self.fund_founded[self.prov_funds],
        )
        sub = self.sub_funds
        rows.add(
            owner=self.fund(self.prov_funds[self.sub_prov]),
            owned=self.fund(sub),
            bp=self.sub_c_prov,
            start=self.fund_founded[sub],
        )
        hn = self.sub_has_nat
        rows.add(
            owner=self.fund(self.sub_nat[hn]),
            owned=self.fund(sub[hn]),
            bp=self.sub_c_nat[hn],
            start=np.maximum(self.fund_founded[sub[hn]], self.fund_founded[self.sub_nat[hn]]),
        )

        r = rows.done()
        k = len(r["owner"])
        prec = np.where(rng.random(k) < 0.1, -1, _precision(rng, k, 0.2, 0.15))
        self.tables["ownership.csv"] = _Table(
            {
                "owner": r["owner"],
                "owned": r["owned"],
                "share": _fmt_share(r["bp"], rng.choice(3, size=k, p=[0.7, 0.15, 0.15])),
                "start": _fmt_dates(r["start"], prec),
                "end": np.full(k, "", dtype=object),
                "source": np.full(k, SOURCE, dtype=object),
            },
            refs=("owner", "owned"),
        )

    # -- funding ------------------------------------------------------------------------------

    def _funding(self) -> None:
        rng = self.rng("funding")
        n = self.n
        rows = _Rows(
            funder=np.int64,
            recipient=np.int64,
            instrument=object,
            amount=np.int64,
            day=np.int64,
            rate=np.int64,
        )
        first, last = _days("2016-01-01"), _days("2025-06-30")

        def lognormal(median, sigma, k, lo, hi, digits=-4):
            return np.round(
                np.clip(np.exp(rng.normal(np.log(median), sigma, k)), lo, hi), digits
            ).astype(np.int64)

        def after(start):
            lo = np.minimum(np.maximum(start, first), last)
            return lo + (rng.random(len(lo)) * (last - lo)).astype(np.int64)

        # capital of the guidance funds and LP commitments down the fund-of-funds chain
        nat, pf, sub, hn = self.nat_funds, self.prov_funds, self.sub_funds, self.sub_has_nat
        rows.add(
            funder=np.full(len(nat), self.gb_mof),
            recipient=self.fund(nat),
            instrument="equity",
            amount=[int(round(f[3] * f[4], -6)) for f in NATIONAL_FUNDS],
            day=self.fund_founded[nat],
            rate=-1,
        )
        rows.add(
            funder=self.gb_prov_finance,
            recipient=self.fund(pf),
            instrument="lp_commitment",
            amount=self.prov_size,
            day=self.fund_founded[pf],
            rate=-1,
        )
        rows.add(
            funder=self.fund(pf[self.sub_prov]),
            recipient=self.fund(sub),
            instrument="lp_commitment",
            amount=np.round(self.sub_size * self.sub_c_prov / 10000, -4),
            day=self.fund_founded[sub],
            rate=-1,
        )
        rows.add(
            funder=self.fund(self.sub_nat[hn]),
            recipient=self.fund(sub[hn]),
            instrument="lp_commitment",
            amount=np.round(self.sub_size[hn] * self.sub_c_nat[hn] / 10000, -4),
            day=np.maximum(self.fund_founded[sub[hn]], self.fund_founded[self.sub_nat[hn]]),
            rate=-1,
        )

        # the equity behind every fund stake
        fund, f, stake, when = self.fund_stakes
        valuation = np.exp(rng.normal(np.log(6e8), 0.8, len(f)))
        rows.add(
            funder=self.fund(fund),
            recipient=self.firm(f),
            instrument="equity",
            amount=np.round(valuation * stake / 10000, -4),
            day=when,
            rate=-1,
        )

        # loans: certified firms and group companies borrow most; state banks lend cheaply to
        # certified firms (below the 4.35% benchmark), private banks mostly above it
        weight = np.array([0.12, 0.3, 0.5, 1.0, 1.0])[self.tier] + np.where(
            self.firm_group >= 0, 0.4, 0.0
        )
        k = int(round(0.25 * n))
        borrower = rng.choice(n, size=k, p=weight / weight.sum())
        state_bank = rng.random(k) < 0.7
        st, pr = np.flatnonzero(self.bank_state), np.flatnonzero(~self.bank_state)
        bank = np.where(
            state_bank, st[rng.integers(0, len(st), k)], pr[rng.integers(0, len(pr), k)]
        )
        p_cheap = np.where(state_bank, np.where(self.tier[borrower] >= 2, 0.75, 0.45), 0.15)
        rate = np.where(
            rng.random(k) < p_cheap, rng.integers(250, 401, k), rng.integers(435, 751, k)
        )
        amount = lognormal(2e7, 1.0, k, 5e5, 2e9) * np.where(self.firm_group[borrower] >= 0, 5, 1)
        rows.add(
            funder=self.bank_off + bank,
            recipient=self.firm(borrower),
            instrument="loan",
            amount=amount,
            day=after(self.firm_founded[borrower]),
            rate=rate,
        )

        # bonds of group parents, taken up by state banks
        issuers = self.group_root[rng.random(len(self.group_root)) < 0.3]
        kb = len(issuers)
        rows.add(
            funder=self.bank_off + st[rng.integers(0, len(st), kb)],
            recipient=self.firm(issuers),
            instrument="bond",
            amount=lognormal(1.5e9, 0.7, kb, 2e8, 2e10, -6),
            day=after(self.firm_founded[issuers]),
            rate=rng.integers(220, 521, kb),
        )

        # subsidies: city governments, provincial departments, and MIIT for Little Giants
        sw = np.array([0.02, 0.1, 0.25, 1.0, 0.5])[self.tier]
        ks = int(round(0.15 * n))
        rec = rng.choice(n, size=ks, p=sw / sw.sum())
        u = rng.random(ks)
        rdiv = self.firm_div[rec]
        giver = np.where(
            (u < 0.25) & (self.tier[rec] == 3),
            self.gb_miit,
            np.where(u < 0.55, self.gb_prov_diit[self.div_prov[rdiv]], self.gb_city[rdiv]),
        )
        rows.add(
            funder=giver,
            recipient=self.firm(rec),
            instrument="subsidy",
            amount=lognormal(1e6, 1.0, ks, 5e4, 5e7, -3),
            day=after(self.firm_founded[rec]),
            rate=-1,
        )

        r = rows.done()
        k = len(r["funder"])
        instrument = r["instrument"].copy()
        zh = np.flatnonzero(rng.random(k) < 0.1)
        instrument[zh] = [_INSTRUMENT_ZH[i] for i in r["instrument"][zh]]
        rate_text = np.full(k, "", dtype=object)
        has = np.flatnonzero(r["rate"] >= 0)
        rate_text[has] = _fmt_rate(r["rate"][has], (rng.random(len(has)) < 0.3).astype(np.int64))
        self.tables["funding.csv"] = _Table(
            {
                "funder": r["funder"],
                "recipient": r["recipient"],
                "instrument": instrument,
                "amount": _fmt_money(r["amount"], rng.random(k) < 0.1),
                "currency": np.array(["", "CNY", "人民币"], dtype=object)[
                    rng.choice(3, size=k, p=[0.75, 0.2, 0.05])
                ],
                "date": _fmt_dates(r["day"], _precision(rng, k, 0.15, 0.08)),
                "interest_rate": rate_text,
                "source": np.full(k, SOURCE, dtype=object),
            },
            refs=("funder", "recipient"),
        )

    # -- listings -----------------------------------------------------------------------------

    def _listings(self) -> None:
        rng = self.rng("listings")
        n = self.n
        p = np.where(self.is_root, 0.35, np.array([0.005, 0.01, 0.03, 0.2, 0.4])[self.tier])
        listed = np.flatnonzero(rng.random(n) < p)
        kind = np.where(
            self.is_root[listed], "group", np.where(self.tier[listed] >= 2, "tech", "other")
        )
        prefix = np.empty(len(listed), dtype=object)
        for name, (prefs, w) in _BOARD_PLAN.items():
            sel = np.flatnonzero(kind == name)
            w = np.asarray(w, dtype=float)
            prefix[sel] = np.array(prefs, dtype=object)[
                rng.choice(len(prefs), size=len(sel), p=w / w.sum())
            ]
        # unique codes in each prefix's range; a full range spills over to the BSE ranges
        code = np.full(len(listed), -1, dtype=np.int64)
        pools: dict[str, list] = {}

        def take(pref: str, rows: np.ndarray) -> np.ndarray:
            if pref not in pools:
                lowest = 1 if len(pref) == 3 else 0
                pools[pref] = [
                    _rng(self.seed, f"codes-{pref}").permutation(
                        np.arange(lowest, 10 ** (6 - len(pref)))
                    ),
                    0,
                ]
            pool, used = pools[pref]
            fit = min(len(rows), len(pool) - used)
            code[rows[:fit]] = pool[used : used + fit]
            prefix[rows[:fit]] = pref
            pools[pref][1] = used + fit
            return rows[fit:]

        for pref in _PREFIXES:
            spill = take(pref, np.flatnonzero((prefix == pref) & (code < 0)))
            for alt in _OVERFLOW:
                if len(spill):
                    spill = take(alt, spill)
        keep = code >= 0
        listed, prefix, code = listed[keep], prefix[keep], code[keep]
        k = len(listed)
        meta = [_PREFIXES[x] for x in prefix]
        exchange = np.array([m[0] for m in meta], dtype=object)
        board = np.array([m[1] for m in meta], dtype=object)
        bare = np.array(
            [f"{x}{c:0{6 - len(x)}d}" for x, c in zip(prefix, code.tolist(), strict=True)],
            dtype=object,
        )
        suffix = np.array([m[2] for m in meta], dtype=object)
        ticker = bare + "." + suffix
        # listing day: after the board opened and 3 years after founding; 2021-2023 busiest
        yrs = np.arange(2010, 2026)
        yw = np.where((yrs >= 2021) & (yrs <= 2023), 3.0, 1.0)
        day = _random_day(rng, rng.choice(yrs, size=k, p=yw / yw.sum()))
        lo = np.maximum(
            np.array([_days(m[3]) for m in meta], dtype=np.int64),
            self.firm_founded[listed] + 3 * 365,
        )
        hi = _days("2025-12-28")
        lo = np.minimum(lo, hi)
        day = np.where(day < lo, lo + (rng.random(k) * (hi - lo)).astype(np.int64), day)
        form = rng.choice(3, size=k, p=[0.75, 0.2, 0.05])  # 688123.SH, 688123, sh688123
        ticker_text = np.where(
            form == 0,
            ticker,
            np.where(form == 1, bare, np.char.lower(suffix.astype(str)).astype(object) + bare),
        )
        spelling = rng.choice(3, size=k, p=[0.8, 0.12, 0.08])
        self.listed, self.ticker, self.listed_exchange = listed, ticker, exchange
        self.entity_ticker = rng.random(k) < 0.5  # these firms show the ticker in entities.csv too
        self.tables["listings.csv"] = _Table(
            {
                "firm": self.firm(listed),
                "exchange": np.array(
                    [
                        _EXCHANGE_SPELLINGS[e][s]
                        for e, s in zip(exchange, spelling.tolist(), strict=True)
                    ],
                    dtype=object,
                ),
                "ticker": ticker_text.astype(object),
                "board": np.where(rng.random(k) < 0.5, board, "").astype(object),
                "listed": _fmt_dates(day, _precision(rng, k, 0.1, 0.03)),
                "delisted": np.full(k, "", dtype=object),
                "source": np.full(k, SOURCE, dtype=object),
            },
            refs=("firm",),
        )

    # -- financial years ----------------------------------------------------------------------

    def _financials_plan(self) -> None:
        """Per-firm parameters; the rows themselves are made chunk by chunk."""
        rng = self.rng("financials")
        firms = np.flatnonzero(self.certified | (self.firm_group >= 0))
        k = len(firms)
        root = self.is_root[firms]
        cert = self.certified[firms]
        member = (self.firm_group[firms] >= 0) & ~root & ~cert
        large = cert & (rng.random(k) < 0.03)  # certified, yet above the SME thresholds
        weak = cert & ~large & (rng.random(k) < 0.10)  # shrinking and losing money
        r0 = np.exp(rng.normal(np.log(8e7), 0.9, k))
        r0 = np.where(member, np.exp(rng.normal(np.log(2.5e8), 0.8, k)), r0)
        r0 = np.where(large, np.exp(rng.normal(np.log(1.2e9), 0.5, k)), r0)
        r0 = np.clip(np.where(root, np.exp(rng.normal(np.log(5e9), 1.0, k)), r0), 3e6, 5e11)
        start = np.maximum(_FIRST_YEAR, _year_of(self.firm_founded[firms]) + 1)
        self.fin = {
            "firms": firms,
            "root": root,
            "large": large,
            "r0": r0,
            "growth": np.where(weak, rng.normal(-0.12, 0.04, k), rng.normal(0.08, 0.08, k)),
            "margin": np.where(weak, rng.normal(-0.08, 0.04, k), rng.normal(0.08, 0.04, k)),
            "per_emp": rng.uniform(4e5, 1.5e6, k),
            "rd": rng.uniform(0.03, 0.12, k),
            "export": np.where(rng.random(k) < 0.45, rng.uniform(0.05, 0.6, k), 0.0),
            "start": start,
            "years": _LAST_YEAR - start + 1,
        }
        self.fin_large, self.fin_weak = firms[large], firms[weak]
        self.fin_rows = int(self.fin["years"].sum())

    def financial_chunks(self, chunk: int = 50_000) -> Iterator[_Table]:
        """The financial years, `chunk` firms at a time (rows by firm, then year)."""
        f = self.fin
        for c0 in range(0, len(f["firms"]), chunk):
            rng = _rng(self.seed, f"financials-{c0}")
            sl = slice(c0, c0 + chunk)
            years = f["years"][sl]
            k = int(years.sum())
            i = np.repeat(np.arange(len(years)), years)
            year = f["start"][sl][i] + (np.arange(k) - (np.cumsum(years) - years)[i])
            root, large = f["root"][sl][i], f["large"][sl][i]
            rev = f["r0"][sl][i] * np.exp(
                f["growth"][sl][i] * (year - _FIRST_YEAR) + rng.normal(0, 0.06, k)
            )
            rev = np.where(
                root, np.maximum(rev, 4.2e8), np.where(large, np.maximum(rev, 4.5e8), rev)
            )
            rev = np.round(rev, -3)
            emp = rev / f["per_emp"][sl][i] * np.exp(rng.normal(0, 0.1, k))
            emp = np.where(
                root | large, np.maximum(emp, 1000 + rng.integers(0, 400, k)), np.clip(emp, 20, 980)
            )
            profit = np.round(rev * (f["margin"][sl][i] + rng.normal(0, 0.02, k)), -3)
            rd = np.round(rev * f["rd"][sl][i] * np.exp(rng.normal(0, 0.1, k)), -3)
            exports = np.round(rev * f["export"][sl][i], -3)
            spelled = rng.random((4, k)) < 0.1
            yield _Table(
                {
                    "firm": self.firm(f["firms"][sl][i]),
                    "year": _str(year),
                    "revenue": _fmt_money(rev, spelled[0]),
                    "net_profit": _fmt_money(profit, spelled[1]),
                    "employees": _str(np.round(emp).astype(np.int64)),
                    "rd_expense": _fmt_money(rd, spelled[2], rng.random(k) < 0.02),
                    "exports": _fmt_money(exports, spelled[3], exports <= 0),
                    "source": np.full(k, SOURCE, dtype=object),
                },
                refs=("firm",),
            )

    # -- the entities table -------------------------------------------------------------------

    def entities(self) -> _Table:
        rng = self.rng("entities")
        n = self.n
        cols = COLUMNS["entities.csv"]
        parts: list[dict[str, np.ndarray]] = []

        def block(k: int, **values) -> None:
            b = {c: np.full(k, "", dtype=object) for c in cols}
            b["country"][:] = "CN"
            b["source"][:] = SOURCE
            for c, v in values.items():
                if np.isscalar(v):
                    b[c][:] = v
                else:
                    b[c] = np.asarray(v, dtype=object)
            parts.append(b)

        g = self.gov
        block(
            len(g),
            id=_ids("gb", len(g), 3),
            type="GovernmentBody",
            name=[r[0] for r in g],
            name_zh=[r[1] for r in g],
            province=[r[2] for r in g],
            city=[r[3] for r in g],
            sector="government",
            state_owned="true",
        )

        # USCCs for banks, funds and firms from one pool of organisation codes: half new-style
        # "MA..." codes, half 8 digits, all distinct
        coded = self.n_banks + self.n_funds + n
        new = rng.random(coded) < 0.5
        org = np.empty((coded, 8), dtype=np.int64)
        ma, dg = np.flatnonzero(new), np.flatnonzero(~new)
        org[ma, 0], org[ma, 1] = uscc_mod.ALPHABET.index("M"), uscc_mod.ALPHABET.index("A")
        org[ma, 2:] = _digits(_distinct(rng, 31**6, len(ma)), 31, 6)
        org[dg] = _digits(_distinct(rng, 10**8, len(dg)), 10, 8)
        div = np.concatenate([self.bank_div, self.fund_div, self.firm_div])
        uscc = make_usccs(self.div_code[div], org)
        self.coded_uscc = uscc

        nb, nf = self.n_banks, self.n_funds
        bd = self.bank_div
        block(
            nb,
            id=_ids("bank", nb, 3),
            type="Bank",
            name=[b[0] for b in BANKS],
            name_zh=[b[1] for b in BANKS],
            uscc=uscc[:nb],
            province=self.div_prov_en[bd],
            city=self.div_city_en[bd],
            sector="finance",
            state_owned=np.where(self.bank_state, "true", "false"),
        )

        brand, mod, ind = self.sub_names
        sd = self.sub_div
        names = [f[0] for f in NATIONAL_FUNDS] + [
            f"{p} Specialized and Innovative SME Guidance Fund" for p in self.provinces
        ]
        names += [
            f"{c} {b} {MODIFIERS[m][0]} {INDUSTRIES[i][0]} Industry Investment Fund (Limited Partnership)"
            for c, b, m, i in zip(
                self.div_city_en[sd], _brand_en(brand), mod.tolist(), ind.tolist(), strict=True
            )
        ]
        names_zh = [f[1] for f in NATIONAL_FUNDS] + [
            f"{self.prov_zh[p]}专精特新中小企业发展基金" for p in self.provinces
        ]
        names_zh += [
            f"{c}{b}{MODIFIERS[m][1]}{INDUSTRIES[i][1]}产业投资基金合伙企业（有限合伙）"
            for c, b, m, i in zip(
                self.div_city_zh[sd], _brand_zh(brand), mod.tolist(), ind.tolist(), strict=True
            )
        ]
        n_gf = len(NATIONAL_FUNDS) + len(self.provinces)
        fcity = self.div_city_en[self.fund_div].copy()
        fcity[len(NATIONAL_FUNDS) : n_gf] = ""
        sub_state = np.where(self.sub_c_prov + self.sub_c_nat >= 5000, "true", "false")
        block(
            nf,
            id=_ids("fund", nf, 4),
            type=np.array(["GuidanceFund"] * n_gf + ["Fund"] * (nf - n_gf), dtype=object),
            name=names,
            name_zh=names_zh,
            uscc=uscc[nb : nb + nf],
            province=self.div_prov_en[self.fund_div],
            city=fcity,
            sector="finance",
            founded=_fmt_dates(self.fund_founded),
            state_owned=np.concatenate([np.full(n_gf, "true", dtype=object), sub_state]),
        )

        brand, mod, ind = self.firm_names
        fd = self.firm_div
        level = self.firm_level
        suffix = np.where(
            level == 0, " Group Co., Ltd.", np.where(level == 1, " Holding Co., Ltd.", " Co., Ltd.")
        )
        suffix_zh = np.where(
            level == 0, "集团股份有限公司", np.where(level == 1, "控股有限公司", "有限公司")
        )
        mods = np.array(MODIFIERS, dtype=object)
        inds = np.array([i[:2] for i in INDUSTRIES], dtype=object)
        name = [
            f"{c} {b} {m} {i}{s}"
            for c, b, m, i, s in zip(
                self.div_city_en[fd],
                _brand_en(brand),
                mods[mod, 0],
                inds[ind, 0],
                suffix,
                strict=True,
            )
        ]
        name_zh = [
            f"{c}{b}{m}{i}{s}"
            for c, b, m, i, s in zip(
                self.div_city_zh[fd],
                _brand_zh(brand),
                mods[mod, 1],
                inds[ind, 1],
                suffix_zh,
                strict=True,
            )
        ]
        ticker = np.full(n, "", dtype=object)
        ticker[self.listed[self.entity_ticker]] = self.ticker[self.entity_ticker]
        lei = np.full(n, "", dtype=object)
        with_lei = np.flatnonzero(rng.random(n) < 0.05)
        stems = _digits(_distinct(rng, 36**10, len(with_lei)), 36, 10)
        b36 = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        lei[with_lei] = [lei_mod.make("300300CN" + "".join(r)) for r in b36[stems].tolist()]
        u = rng.random(n)
        state = np.where(
            self.firm_state, np.where(u < 0.08, "是", "true"), np.where(u < 0.08, "否", "false")
        ).astype(object)
        state[rng.random(n) < 0.12] = ""
        block(
            n,
            id=self.firm_ids,
            type="Firm",
            name=name,
            name_zh=name_zh,
            uscc=uscc[nb + nf :],
            lei=lei,
            ticker=ticker,
            province=self.div_prov_en[fd],
            city=self.div_city_en[fd],
            sector=self.firm_sector,
            founded=_fmt_dates(self.firm_founded, self.founded_prec),
            state_owned=state,
        )

        npn = self.n_persons
        ng = len(GIVEN_SYLLABLES)
        pidx = _distinct(rng, len(SURNAMES) * ng * ng, npn)
        s, g1, g2 = pidx // (ng * ng), (pidx // ng) % ng, pidx % ng
        block(
            npn,
            id=_ids("p", npn, 5),
            type="Person",
            name=[
                f"{a} {b}{c.lower()}"
                for a, b, c in zip(_SUR_EN[s], _GIV_EN[g1], _GIV_EN[g2], strict=True)
            ],
            name_zh=[
                a + b + c for a, b, c in zip(_SUR_ZH[s], _GIV_ZH[g1], _GIV_ZH[g2], strict=True)
            ],
        )

        out = {c: np.concatenate([p[c] for p in parts]) for c in cols}
        zh = np.flatnonzero(rng.random(len(out["id"])) < 0.05)
        out["type"][zh] = [_TYPE_ZH[t] for t in out["type"][zh]]
        return _Table(out)


def _name_triples(
    rng: np.random.Generator, n: int, groups: tuple[np.ndarray, np.ndarray] | None = None
):
    """Distinct (brand, modifier, industry) index triples; the firms of a group share a brand.

    Triples are numbered brand-major and cut into blocks of 64 (10 blocks a brand); each group
    gets a block of its own, every other firm a random triple outside those blocks.
    """
    per_brand = len(MODIFIERS) * len(INDUSTRIES)
    space = len(BRAND_SYLLABLES) ** 2 * per_brand
    block = 64
    triple = np.empty(n, dtype=np.int64)
    taken = np.zeros(space, dtype=bool)
    rest = np.arange(n)
    if groups is not None:
        group_of, starts = groups
        blocks = _distinct(rng, space // block, len(starts))
        members = np.flatnonzero(group_of >= 0)
        g = group_of[members]
        triple[members] = blocks[g] * block + (members - starts[g])
        taken[(blocks[:, None] * block + np.arange(block)).ravel()] = True
        rest = np.flatnonzero(group_of < 0)
    free = np.flatnonzero(~taken)
    if len(rest) > len(free):
        raise ValueError(f"too many firms to name: at most about {space:,}")
    triple[rest] = free[_distinct(rng, len(free), len(rest))]
    return triple // per_brand, (triple % per_brand) // len(INDUSTRIES), triple % len(INDUSTRIES)


def _brand_en(brand: np.ndarray) -> list[str]:
    nb = len(BRAND_SYLLABLES)
    return [
        a + b.lower() for a, b in zip(_BRAND_EN[brand // nb], _BRAND_EN[brand % nb], strict=True)
    ]


def _brand_zh(brand: np.ndarray) -> list[str]:
    nb = len(BRAND_SYLLABLES)
    return [a + b for a, b in zip(_BRAND_ZH[brand // nb], _BRAND_ZH[brand % nb], strict=True)]


# ---------------------------------------------------------------------------------------------
# Writing, with the planted bad rows

_BAD_DATE = "2021-13-01"


def _missing(v: str, rng) -> str:
    return f"missing-{v}"


def _wrong_check(v: str, rng) -> str:
    i = uscc_mod.ALPHABET.index(v[17])
    return v[:17] + uscc_mod.ALPHABET[(i + 1 + int(rng.integers(0, 30))) % 31]


def _wrong_exchange(v: str, rng) -> str:
    code = "".join(ch for ch in v if ch.isdigit())
    return f"{code}.{'SZ' if code.startswith(('6', '9')) and not code.startswith('92') else 'SH'}"


# file -> (column, bad value or maker); one per spoiled row, chosen at random
_BAD_KINDS: dict[str, tuple[tuple[str, object], ...]] = {
    "entities.csv": (("uscc", _wrong_check), ("founded", _BAD_DATE), ("type", "Company Limited")),
    "ownership.csv": (("share", "130%"), ("owner", _missing), ("owned", _missing), ("start", _BAD_DATE)),
    "funding.csv": (("amount", "abc"), ("instrument", "barter"), ("recipient", _missing), ("funder", _missing),
                    ("date", _BAD_DATE)),
    "certifications.csv": (("firm", _missing), ("programme", "gold_medal"), ("valid_from", _BAD_DATE)),
    "listings.csv": (("firm", _missing), ("listed", _BAD_DATE), ("ticker", _wrong_exchange)),
    "financials.csv": (("revenue", "abc"), ("firm", _missing), ("employees", "abc"), ("year", "20x1")),
}  # fmt: skip


def _plant(
    name: str,
    cols: dict[str, np.ndarray],
    rows: np.ndarray,
    rng: np.random.Generator,
    first_row: int = 0,
) -> list[dict]:
    """Spoil `rows` (indices into `cols`) of file `name`; return what was planted."""
    kinds = _BAD_KINDS[name]
    planted = []
    for r, kind in zip(rows.tolist(), rng.integers(0, len(kinds), len(rows)).tolist(), strict=True):
        col, bad = kinds[kind]
        value = bad(str(cols[col][r]), rng) if callable(bad) else bad
        cols[col][r] = value
        planted.append({"file": name, "row": first_row + r + 2, "column": col, "value": value})
    return planted


def _write(path: Path, cols: dict[str, np.ndarray], name: str, header: bool = True) -> None:
    """Write (or with header=False append) rows as UTF-8 CSV: comma, minimal quoting, LF."""
    with path.open("w" if header else "a", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        if header:
            w.writerow(COLUMNS[name])
        w.writerows(zip(*(cols[c] for c in COLUMNS[name]), strict=True))


def _generate(
    out: Path, firms: int, seed: int, bad_rows: float
) -> tuple[dict[str, int], list[dict]]:
    if int(firms) < 1:
        raise ValueError(f"firms must be at least 1, not {firms}")
    if not 0.0 <= float(bad_rows) <= 1.0:
        raise ValueError(f"bad_rows must be a fraction between 0 and 1, not {bad_rows}")
    world = _World(firms, seed)
    entities = world.entities()
    ids = entities.columns["id"].copy()
    n_ent = len(ids)
    uscc = np.full(n_ent, "", dtype=object)
    uscc[world.bank_off : world.firm_off + world.n] = world.coded_uscc
    referenced = np.zeros(n_ent, dtype=bool)
    for table in world.tables.values():
        for c in table.refs:
            referenced[table.columns[c]] = True
    referenced[world.firm(world.fin["firms"])] = True

    def spell_refs(table: _Table, rng: np.random.Generator) -> None:
        """Entity indices -> ids; 3% of firm/bank/fund references by USCC instead."""
        for c in table.refs:
            idx = table.columns[c]
            text = ids[idx]
            by_uscc = np.flatnonzero((rng.random(len(idx)) < 0.03) & (uscc[idx] != ""))
            text[by_uscc] = uscc[idx[by_uscc]]
            table.columns[c] = text

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    bad = float(bad_rows)
    counts: dict[str, int] = {}
    planted: list[dict] = []

    cols = entities.columns
    k = min(
        int(round(bad * n_ent)), int((~referenced[world.firm_off : world.firm_off + world.n]).sum())
    )
    if k:
        rng = _rng(world.seed, "bad-entities.csv")
        candidates = world.firm_off + np.flatnonzero(
            ~referenced[world.firm_off : world.firm_off + world.n]
        )
        planted += _plant(
            "entities.csv", cols, np.sort(rng.choice(candidates, size=k, replace=False)), rng
        )
    _write(out / "entities.csv", cols, "entities.csv")
    counts["entities.csv"] = n_ent

    for name in ("ownership.csv", "funding.csv", "certifications.csv", "listings.csv"):
        table = world.tables[name]
        spell_refs(table, _rng(world.seed, f"refs-{name}"))
        rng = _rng(world.seed, f"bad-{name}")
        planted += _plant(
            name, table.columns, _choice(rng, len(table), int(round(bad * len(table)))), rng
        )
        _write(out / name, table.columns, name)
        counts[name] = len(table)

    name = "financials.csv"
    rng = _rng(world.seed, f"bad-{name}")
    spoil = _choice(rng, world.fin_rows, int(round(bad * world.fin_rows)))
    done = 0
    _write(out / name, {c: () for c in COLUMNS[name]}, name)
    for table in world.financial_chunks():
        spell_refs(table, _rng(world.seed, f"refs-{name}-{done}"))
        mine = spoil[(spoil >= done) & (spoil < done + len(table))] - done
        planted += _plant(name, table.columns, mine, rng, first_row=done)
        _write(out / name, table.columns, name, header=False)
        done += len(table)
    counts[name] = done

    report = out / PLANTED_FILE
    if planted:
        report.write_text(
            json.dumps(planted, ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
        )
    elif report.exists():
        report.unlink()  # a stale list from an earlier run would mislead
    return counts, planted


def generate(out: Path, firms: int, seed: int = 0, bad_rows: float = 0.0) -> dict[str, int]:
    """Write a synthetic canonical CSV folder for `firms` firms to `out`; return the row count
    of each file. Same `firms` and `seed`, same bytes. With `bad_rows` > 0 that fraction of the
    rows of each file is spoiled and listed in ``out/planted-bad-rows.json``.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> generate(out, firms=100, seed=7)["listings.csv"] >= 0
    True
    >>> bad = generate(out, firms=300, seed=7, bad_rows=0.05)
    >>> len(json.loads((out / PLANTED_FILE).read_text(encoding="utf-8"))) > 0
    True
    """
    return _generate(Path(out), firms, seed, bad_rows)[0]


def planted_rows(out: Path) -> list[dict]:
    """The bad rows planted in the folder `out` (empty if none were).

    >>> planted_rows(Path("/nonexistent"))
    []
    """
    p = Path(out) / PLANTED_FILE
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else []
