"""Reference tables the synthetic population draws from, each with its source.

- Ethnic groups: codes of the GSO list (Quyết định 1019/QĐ-TCTK, 12/11/2008), the list QCVN
  109:2017/BTTTT reproduces in its appendix E; weights are the 2019 census shares (GSO, completed
  results of the 2019 Population and Housing Census, population by ethnic group), rounded.
- Religions: 2019 census counts of followers (same source), as shares of the whole population.
  There is no published code table for ``TonGiao``: codes are ours (``00`` = no religion), in the
  order the census tables list the religions.
- Family names: shares of the most common Vietnamese family names (Lê Trung Hoa, *Họ và tên người
  Việt Nam*, 2005, as summarised by the Wikipedia article "Vietnamese name"); the regional variants
  Hoàng/Huỳnh and Vũ/Võ follow the north/south split.
- Province weights: 2019 census population by province, in thousands (rounded).
- Relation, marital-status and blood-group codes are not public: the codes here are ours and are
  documented in docs/wire-format.md.
"""

from __future__ import annotations

from itertools import accumulate

__all__ = [
    "BLOOD_GROUPS",
    "ETHNIC_GROUPS",
    "FAMILY_NAMES_NORTH",
    "FAMILY_NAMES_SOUTH",
    "FEMALE_GIVEN",
    "FEMALE_MIDDLE",
    "MALE_GIVEN",
    "MALE_MIDDLE",
    "PROVINCE_POPULATION_K",
    "RELIGIONS",
    "Relation",
    "Weighted",
]


class Weighted:
    """Values with weights, ready for :meth:`mocks.population._keyed.Stream.pick`."""

    __slots__ = ("cumulative", "values")

    def __init__(self, pairs: list[tuple[str, float]]) -> None:
        self.values = tuple(value for value, _ in pairs)
        self.cumulative = tuple(accumulate(weight for _, weight in pairs))


# Relation to the head of household (QuanHe). Ours: the real code list is not public.
class Relation:
    HEAD = "CH01"  # chủ hộ
    WIFE = "CH02"  # vợ
    HUSBAND = "CH03"  # chồng
    CHILD = "CH04"  # con
    FATHER = "CH05"  # cha
    MOTHER = "CH06"  # mẹ


# (code, name, share of the 2019 population in %). 00 = unknown.
ETHNIC_TABLE: tuple[tuple[str, str, float], ...] = (
    ("01", "Kinh", 85.32),
    ("02", "Tày", 1.92),
    ("03", "Thái", 1.89),
    ("04", "Mường", 1.51),
    ("05", "Khơ me", 1.37),
    ("06", "Hoa", 0.78),
    ("07", "Nùng", 1.13),
    ("08", "Mông", 1.45),
    ("09", "Dao", 0.93),
    ("10", "Gia Rai", 0.53),
    ("11", "Ê Đê", 0.41),
    ("12", "Ba Na", 0.30),
    ("13", "Sán Chay", 0.21),
    ("14", "Chăm", 0.19),
    ("15", "Cơ Ho", 0.21),
    ("16", "Xơ Đăng", 0.22),
    ("17", "Sán Dìu", 0.19),
    ("18", "Hrê", 0.16),
    ("19", "Ra Glai", 0.15),
    ("20", "Mnông", 0.13),
    ("21", "Thổ", 0.10),
    ("22", "Xtiêng", 0.10),
    ("23", "Khơ Mú", 0.09),
    ("24", "Bru Vân Kiều", 0.10),
    ("25", "Cơ Tu", 0.08),
    ("26", "Giáy", 0.07),
    ("27", "Tà Ôi", 0.05),
    ("28", "Mạ", 0.05),
    ("29", "Giẻ Triêng", 0.07),
    ("30", "Co", 0.04),
    ("31", "Chơ Ro", 0.03),
    ("32", "Xinh Mun", 0.03),
    ("33", "Hà Nhì", 0.03),
    ("34", "Chu Ru", 0.02),
    ("35", "Lào", 0.02),
    ("36", "La Chí", 0.02),
    ("37", "Kháng", 0.02),
    ("38", "Phù Lá", 0.01),
    ("39", "La Hủ", 0.01),
    ("40", "La Ha", 0.01),
    ("41", "Pà Thẻn", 0.01),
    ("42", "Lự", 0.006),
    ("43", "Ngái", 0.001),
    ("44", "Chứt", 0.008),
    ("45", "Lô Lô", 0.005),
    ("46", "Mảng", 0.005),
    ("47", "Cơ Lao", 0.004),
    ("48", "Bố Y", 0.003),
    ("49", "Cống", 0.002),
    ("50", "Si La", 0.001),
    ("51", "Pu Péo", 0.001),
    ("52", "Rơ Măm", 0.0005),
    ("53", "Brâu", 0.0005),
    ("54", "Ơ Đu", 0.0005),
)
ETHNIC_GROUPS = Weighted([(code, share) for code, _, share in ETHNIC_TABLE])

# (code, name, share of the 2019 population in %). Codes ours; 00 = no religion.
RELIGION_TABLE: tuple[tuple[str, str, float], ...] = (
    ("00", "Không", 86.32),
    ("01", "Công giáo", 6.10),
    ("02", "Phật giáo", 4.79),
    ("03", "Tin lành", 1.00),
    ("04", "Cao Đài", 0.58),
    ("05", "Phật giáo Hòa Hảo", 1.02),
    ("06", "Hồi giáo", 0.07),
    ("07", "Tôn giáo khác", 0.12),
)
RELIGIONS = Weighted([(code, share) for code, _, share in RELIGION_TABLE])

# Shares in % (Lê Trung Hoa 2005). Nguyễn alone is close to four in ten.
_FAMILY_NAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38.4),
    ("Trần", 12.1),
    ("Lê", 9.5),
    ("Phạm", 7.0),
    ("Hoàng", 5.1),
    ("Phan", 4.5),
    ("Vũ", 3.9),
    ("Đặng", 2.1),
    ("Bùi", 2.0),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1.0),
    ("Lý", 0.5),
    ("Đinh", 0.6),
    ("Trương", 0.6),
    ("Đoàn", 0.5),
    ("Lương", 0.4),
    ("Mai", 0.4),
    ("Trịnh", 0.4),
    ("Cao", 0.3),
    ("Lâm", 0.3),
    ("Tạ", 0.2),
    ("Hà", 0.4),
    ("Tô", 0.2),
)
_SOUTHERN = {"Hoàng": "Huỳnh", "Vũ": "Võ"}
FAMILY_NAMES_NORTH = Weighted(list(_FAMILY_NAMES))
FAMILY_NAMES_SOUTH = Weighted([(_SOUTHERN.get(name, name), w) for name, w in _FAMILY_NAMES])

MALE_MIDDLE = Weighted(
    [
        ("Văn", 40.0),
        ("Hữu", 6.0),
        ("Đức", 8.0),
        ("Minh", 10.0),
        ("Quang", 6.0),
        ("Công", 5.0),
        ("Thanh", 5.0),
        ("Xuân", 3.0),
        ("Ngọc", 3.0),
        ("Hoàng", 4.0),
        ("Tuấn", 3.0),
        ("Gia", 3.0),
        ("Bảo", 2.0),
        ("Trọng", 2.0),
    ]
)
FEMALE_MIDDLE = Weighted(
    [
        ("Thị", 50.0),
        ("Ngọc", 9.0),
        ("Thu", 5.0),
        ("Thanh", 6.0),
        ("Minh", 5.0),
        ("Kim", 4.0),
        ("Mỹ", 3.0),
        ("Bảo", 3.0),
        ("Phương", 3.0),
        ("Hồng", 4.0),
        ("Khánh", 2.0),
        ("Diệu", 2.0),
        ("Hải", 2.0),
        ("Quỳnh", 2.0),
    ]
)
MALE_GIVEN = Weighted(
    [
        (name, 1.0)
        for name in [
            "An",
            "Anh",
            "Bình",
            "Cường",
            "Dũng",
            "Duy",
            "Đạt",
            "Đông",
            "Đức",
            "Hải",
            "Hiếu",
            "Hòa",
            "Hoàng",
            "Hùng",
            "Huy",
            "Hưng",
            "Khang",
            "Khánh",
            "Khoa",
            "Kiên",
            "Lâm",
            "Long",
            "Lộc",
            "Lợi",
            "Minh",
            "Nam",
            "Nghĩa",
            "Nhân",
            "Phát",
            "Phong",
            "Phúc",
            "Phương",
            "Quân",
            "Quang",
            "Quốc",
            "Sơn",
            "Tài",
            "Tâm",
            "Tân",
            "Thái",
            "Thắng",
            "Thành",
            "Thịnh",
            "Thuận",
            "Tiến",
            "Toàn",
            "Trung",
            "Tuấn",
            "Tùng",
            "Việt",
            "Vinh",
            "Vũ",
        ]
    ]
)
FEMALE_GIVEN = Weighted(
    [
        (name, 1.0)
        for name in [
            "An",
            "Anh",
            "Ánh",
            "Bích",
            "Châu",
            "Chi",
            "Cúc",
            "Dung",
            "Duyên",
            "Giang",
            "Hà",
            "Hạnh",
            "Hằng",
            "Hiền",
            "Hoa",
            "Hồng",
            "Huệ",
            "Hương",
            "Hường",
            "Lan",
            "Liên",
            "Linh",
            "Loan",
            "Mai",
            "My",
            "Nga",
            "Ngân",
            "Ngọc",
            "Nhi",
            "Nhung",
            "Oanh",
            "Phương",
            "Quyên",
            "Quỳnh",
            "Tâm",
            "Thảo",
            "Thanh",
            "Thủy",
            "Thư",
            "Thương",
            "Trang",
            "Trâm",
            "Trinh",
            "Tuyết",
            "Uyên",
            "Vân",
            "Vy",
            "Xuân",
            "Yến",
        ]
    ]
)

# ABO groups as shares in % for Vietnam (O is the most frequent). Codes ours: 1 A, 2 B, 3 AB, 4 O.
BLOOD_GROUPS = Weighted([("1", 21.0), ("2", 30.0), ("3", 6.0), ("4", 43.0), ("00", 20.0)])

# 2019 census population by province (GSO code), thousands, rounded.
PROVINCE_POPULATION_K: dict[int, int] = {
    1: 8054, 2: 854, 4: 530, 6: 314, 8: 785, 10: 731, 11: 599, 12: 460, 14: 1248, 15: 822,
    17: 854, 19: 1287, 20: 782, 22: 1320, 24: 1804, 25: 1464, 26: 1152, 27: 1369, 30: 1893,
    31: 2029, 33: 1253, 34: 1861, 35: 852, 36: 1781, 37: 983, 38: 3641, 40: 3327, 42: 1289,
    44: 896, 45: 633, 46: 1129, 48: 1135, 49: 1496, 51: 1232, 52: 1487, 54: 873, 56: 1232,
    58: 591, 60: 1231, 62: 541, 64: 1514, 66: 1870, 67: 623, 68: 1297, 70: 995, 72: 1170,
    74: 2456, 75: 3097, 77: 1149, 79: 8993, 80: 1689, 82: 1765, 83: 1289, 84: 1010, 86: 1023,
    87: 1600, 89: 1908, 91: 1723, 92: 1236, 93: 734, 94: 1200, 95: 907, 96: 1194,
}  # fmt: skip
