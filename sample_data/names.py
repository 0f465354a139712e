"""Pools for made-up people, companies and Shanghai addresses.

Everything generated from these pools is fictitious: names, brands and house numbers are
random combinations, never copied records. Pinyin is kept beside each character so that
e-mail addresses look like the ones people really use.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import accumulate

# Common surnames with pinyin, roughly by frequency; Shanghai favourites (沈, 顾, 陆, 钱)
# are moved up.
SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"), ("张", "zhang"), ("李", "li"), ("陈", "chen"), ("刘", "liu"),
    ("徐", "xu"), ("杨", "yang"), ("朱", "zhu"), ("沈", "shen"), ("周", "zhou"),
    ("吴", "wu"), ("黄", "huang"), ("顾", "gu"), ("陆", "lu"), ("赵", "zhao"),
    ("孙", "sun"), ("钱", "qian"), ("胡", "hu"), ("金", "jin"), ("马", "ma"),
    ("郭", "guo"), ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"),
    ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"),
    ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"),
    ("袁", "yuan"), ("潘", "pan"), ("于", "yu"), ("蒋", "jiang"), ("蔡", "cai"),
    ("余", "yu"), ("杜", "du"), ("叶", "ye"), ("程", "cheng"), ("苏", "su"),
    ("魏", "wei"), ("吕", "lv"), ("丁", "ding"), ("任", "ren"), ("姚", "yao"),
    ("卢", "lu"), ("姜", "jiang"), ("崔", "cui"), ("钟", "zhong"), ("谭", "tan"),
    ("汪", "wang"), ("范", "fan"), ("石", "shi"), ("廖", "liao"), ("贾", "jia"),
    ("夏", "xia"), ("方", "fang"), ("白", "bai"), ("邹", "zou"), ("孟", "meng"),
    ("熊", "xiong"), ("秦", "qin"), ("邱", "qiu"), ("江", "jiang"), ("尹", "yin"),
    ("薛", "xue"), ("闫", "yan"), ("段", "duan"), ("雷", "lei"), ("侯", "hou"),
    ("龙", "long"), ("史", "shi"), ("陶", "tao"), ("贺", "he"), ("毛", "mao"),
    ("郝", "hao"), ("龚", "gong"), ("邵", "shao"), ("万", "wan"), ("严", "yan"),
    ("戴", "dai"), ("莫", "mo"), ("孔", "kong"), ("汤", "tang"), ("倪", "ni"),
    ("俞", "yu"), ("施", "shi"), ("浦", "pu"), ("费", "fei"), ("葛", "ge"),
)
_SURNAME_CUM = tuple(accumulate(1 / (rank + 4) for rank in range(len(SURNAMES))))

GIVEN_CHARS: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
    ("丽", "li"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"),
    ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"),
    ("明", "ming"), ("超", "chao"), ("秀", "xiu"), ("霞", "xia"), ("平", "ping"),
    ("刚", "gang"), ("英", "ying"), ("华", "hua"), ("玉", "yu"), ("萍", "ping"),
    ("红", "hong"), ("燕", "yan"), ("文", "wen"), ("辉", "hui"), ("建", "jian"),
    ("国", "guo"), ("婷", "ting"), ("雪", "xue"), ("琳", "lin"), ("晨", "chen"),
    ("欣", "xin"), ("怡", "yi"), ("佳", "jia"), ("宇", "yu"), ("浩", "hao"),
    ("凯", "kai"), ("俊", "jun"), ("帆", "fan"), ("鹏", "peng"), ("倩", "qian"),
    ("颖", "ying"), ("蕾", "lei"), ("洁", "jie"), ("琦", "qi"), ("悦", "yue"),
    ("梦", "meng"), ("雯", "wen"), ("诗", "shi"), ("晓", "xiao"), ("海", "hai"),
    ("亮", "liang"), ("斌", "bin"), ("峰", "feng"), ("宁", "ning"), ("丹", "dan"),
    ("莉", "li"), ("慧", "hui"), ("君", "jun"), ("睿", "rui"), ("博", "bo"),
    ("轩", "xuan"), ("哲", "zhe"), ("彬", "bin"), ("蓉", "rong"), ("嘉", "jia"),
    ("思", "si"), ("雨", "yu"), ("瑶", "yao"), ("玲", "ling"), ("岚", "lan"),
    ("宏", "hong"), ("志", "zhi"), ("昊", "hao"), ("天", "tian"), ("子", "zi"),
    ("一", "yi"), ("依", "yi"), ("泽", "ze"), ("晴", "qing"), ("逸", "yi"),
    ("然", "ran"), ("安", "an"), ("可", "ke"), ("妍", "yan"), ("茜", "qian"),
    ("露", "lu"), ("冰", "bing"), ("菲", "fei"), ("立", "li"), ("成", "cheng"),
    ("新", "xin"), ("永", "yong"), ("春", "chun"), ("荣", "rong"), ("益", "yi"),
    ("舒", "shu"), ("韵", "yun"), ("旭", "xu"), ("晖", "hui"), ("毅", "yi"),
    ("瑾", "jin"), ("璐", "lu"), ("婧", "jing"), ("骏", "jun"), ("昕", "xin"),
)

# Characters for trade names (字号).
BRAND_CHARS: tuple[tuple[str, str], ...] = (
    ("华", "hua"), ("信", "xin"), ("达", "da"), ("昌", "chang"), ("盛", "sheng"),
    ("泰", "tai"), ("鑫", "xin"), ("源", "yuan"), ("宏", "hong"), ("远", "yuan"),
    ("恒", "heng"), ("嘉", "jia"), ("瑞", "rui"), ("丰", "feng"), ("腾", "teng"),
    ("锦", "jin"), ("博", "bo"), ("创", "chuang"), ("亿", "yi"), ("汇", "hui"),
    ("星", "xing"), ("辰", "chen"), ("澜", "lan"), ("禾", "he"), ("沐", "mu"),
    ("云", "yun"), ("峰", "feng"), ("启", "qi"), ("明", "ming"), ("德", "de"),
    ("润", "run"), ("欣", "xin"), ("佳", "jia"), ("和", "he"), ("安", "an"),
    ("康", "kang"), ("诚", "cheng"), ("铭", "ming"), ("凯", "kai"), ("晟", "sheng"),
    ("弘", "hong"), ("立", "li"), ("卓", "zhuo"), ("越", "yue"), ("臻", "zhen"),
    ("翊", "yi"), ("璟", "jing"), ("沁", "qin"), ("朗", "lang"), ("墨", "mo"),
    ("川", "chuan"), ("知", "zhi"), ("行", "xing"), ("合", "he"), ("众", "zhong"),
    ("晶", "jing"), ("策", "ce"), ("途", "tu"), ("麦", "mai"), ("芮", "rui"),
    ("谷", "gu"), ("蓝", "lan"), ("森", "sen"), ("果", "guo"), ("青", "qing"),
    ("橙", "cheng"), ("乐", "le"), ("享", "xiang"), ("悦", "yue"), ("优", "you"),
    ("智", "zhi"), ("联", "lian"), ("科", "ke"), ("通", "tong"), ("景", "jing"),
    ("木", "mu"), ("泉", "quan"), ("涵", "han"), ("骏", "jun"), ("帆", "fan"),
    ("航", "hang"), ("睿", "rui"), ("捷", "jie"), ("迅", "xun"), ("旗", "qi"),
    ("宸", "chen"), ("煜", "yu"), ("沣", "feng"), ("杉", "shan"), ("橡", "xiang"),
    ("麒", "qi"), ("鹿", "lu"), ("鲸", "jing"), ("岩", "yan"), ("溪", "xi"),
    ("易", "yi"), ("拓", "tuo"),
)


@dataclass(frozen=True)
class Industry:
    word: str  # in the company name
    category: str  # 行业 column
    general_share: float  # share of 一般纳税人 among such clients
    weight: float


INDUSTRIES: tuple[Industry, ...] = (
    Industry("信息科技", "信息传输、软件和信息技术服务业", 0.15, 9),
    Industry("网络科技", "信息传输、软件和信息技术服务业", 0.12, 6),
    Industry("软件", "信息传输、软件和信息技术服务业", 0.2, 2),
    Industry("电子商务", "批发和零售业", 0.2, 5),
    Industry("贸易", "批发和零售业", 0.35, 9),
    Industry("商贸", "批发和零售业", 0.3, 5),
    Industry("国际贸易", "批发和零售业", 0.45, 2),
    Industry("医疗器械", "批发和零售业", 0.35, 2),
    Industry("服饰", "批发和零售业", 0.15, 2),
    Industry("食品", "批发和零售业", 0.25, 2),
    Industry("餐饮管理", "住宿和餐饮业", 0.1, 4),
    Industry("建筑工程", "建筑业", 0.4, 3),
    Industry("装饰工程", "建筑业", 0.2, 3),
    Industry("文化传媒", "文化、体育和娱乐业", 0.1, 5),
    Industry("影视文化", "文化、体育和娱乐业", 0.1, 1),
    Industry("广告", "租赁和商务服务业", 0.1, 3),
    Industry("企业管理咨询", "租赁和商务服务业", 0.08, 6),
    Industry("商务咨询", "租赁和商务服务业", 0.05, 5),
    Industry("人力资源", "租赁和商务服务业", 0.2, 2),
    Industry("供应链管理", "租赁和商务服务业", 0.4, 2),
    Industry("物流", "交通运输、仓储和邮政业", 0.3, 3),
    Industry("生物科技", "科学研究和技术服务业", 0.25, 2),
    Industry("环保科技", "科学研究和技术服务业", 0.25, 2),
    Industry("新能源科技", "科学研究和技术服务业", 0.3, 1),
    Industry("设计", "科学研究和技术服务业", 0.08, 3),
    Industry("教育科技", "教育", 0.1, 2),
    Industry("机械设备", "制造业", 0.45, 2),
    Industry("电子科技", "制造业", 0.35, 2),
    Industry("物业管理", "房地产业", 0.15, 1),
    Industry("房地产经纪", "房地产业", 0.1, 1),
    Industry("健康管理", "居民服务、修理和其他服务业", 0.05, 2),
    Industry("汽车服务", "居民服务、修理和其他服务业", 0.1, 1),
)
_INDUSTRY_CUM = tuple(accumulate(i.weight for i in INDUSTRIES))

# Sole traders (个体工商户, category 92) trade under shop names.
SHOP_WORDS: tuple[tuple[str, str], ...] = (
    ("餐饮店", "住宿和餐饮业"), ("便利店", "批发和零售业"), ("服装店", "批发和零售业"),
    ("美容店", "居民服务、修理和其他服务业"), ("五金店", "批发和零售业"),
    ("汽车维修部", "居民服务、修理和其他服务业"),
)


@dataclass(frozen=True)
class District:
    name: str
    short: str
    code: str  # administrative division code, the USCC region
    weight: float
    roads: tuple[str, ...]


DISTRICTS: tuple[District, ...] = (
    District("浦东新区", "浦东", "310115", 22,
             ("张江路", "碧波路", "世纪大道", "川沙路", "康桥路", "秀浦路", "金科路", "东方路")),
    District("闵行区", "闵行", "310112", 10, ("七莘路", "沪闵路", "申富路", "颛兴路", "春申路")),
    District("徐汇区", "徐汇", "310104", 7, ("漕溪北路", "虹桥路", "宜山路", "田林路", "钦州路")),
    District("静安区", "静安", "310106", 7,
             ("南京西路", "延安中路", "共和新路", "江场路", "万荣路")),
    District("嘉定区", "嘉定", "310114", 8, ("博乐路", "城北路", "叶城路", "曹安公路", "墨玉路")),
    District("松江区", "松江", "310117", 7, ("新松江路", "荣乐东路", "沪松公路", "茸梅路")),
    District("宝山区", "宝山", "310113", 6, ("牡丹江路", "友谊路", "沪太路", "长江西路")),
    District("杨浦区", "杨浦", "310110", 5, ("国定路", "政立路", "黄兴路", "长阳路", "控江路")),
    District("普陀区", "普陀", "310107", 5, ("真北路", "中山北路", "金沙江路", "武宁路")),
    District("长宁区", "长宁", "310105", 4, ("延安西路", "天山路", "仙霞路", "长宁路")),
    District("虹口区", "虹口", "310109", 3, ("四川北路", "东大名路", "广粤路", "飞虹路")),
    District("黄浦区", "黄浦", "310101", 3, ("西藏中路", "河南南路", "中山南路", "蒙自路")),
    District("青浦区", "青浦", "310118", 5, ("华腾路", "盈港东路", "诸光路", "崧泽大道")),
    District("奉贤区", "奉贤", "310120", 4, ("望园路", "金海公路", "环城东路", "南桥路")),
    District("金山区", "金山", "310116", 3, ("卫零路", "龙胜路", "亭卫公路", "环东一路")),
    District("崇明区", "崇明", "310151", 4, ("八一路", "新申路", "潘园公路", "陈海公路")),
)
_DISTRICT_CUM = tuple(accumulate(d.weight for d in DISTRICTS))

MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "166", "173", "176", "177", "178",
    "180", "181", "182", "183", "185", "186", "187", "188", "189", "191", "195", "198", "199",
)
MAIL_PROVIDERS = ("163.com", "126.com", "sina.com", "139.com", "aliyun.com", "foxmail.com")
CHINESE_NUMERALS = "一二三四五六七八九十"


def pick(rng: random.Random, pool, cum_weights):
    return rng.choices(pool, cum_weights=cum_weights)[0]


def person(rng: random.Random) -> tuple[str, str, str]:
    """(Chinese name, surname pinyin, given-name pinyin) of a made-up person."""
    surname, sur_py = pick(rng, SURNAMES, _SURNAME_CUM)
    n_given = 1 if rng.random() < 0.3 else 2
    given = [rng.choice(GIVEN_CHARS) for _ in range(n_given)]
    return surname + "".join(g[0] for g in given), sur_py, "".join(g[1] for g in given)


def industry(rng: random.Random) -> Industry:
    return pick(rng, INDUSTRIES, _INDUSTRY_CUM)


def district(rng: random.Random) -> District:
    return pick(rng, DISTRICTS, _DISTRICT_CUM)


def brand(rng: random.Random) -> tuple[str, str]:
    """A made-up trade name (字号) of 2 or 3 characters and its pinyin."""
    chars = rng.sample(BRAND_CHARS, 3 if rng.random() < 0.15 else 2)
    return "".join(c[0] for c in chars), "".join(c[1] for c in chars)


def chinese_ordinal(n: int) -> str:
    """1 -> 一, 10 -> 十, 14 -> 十四, 23 -> 二十三 (up to 99)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CHINESE_NUMERALS[tens - 1] + "十")
    return head + (CHINESE_NUMERALS[ones - 1] if ones else "")
