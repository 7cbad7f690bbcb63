"""Answers of the population database, in the QCVN dialect or the one live data shows.

Built by string concatenation with escaping rather than through a tree: an answer is produced per
request on the benchmark's hot path, and a template is several times faster than building lxml
elements (measured in bench/). Every answer is valid against ``contracts/xsd`` (tested).

The two dialects (docs/wire-format.md): ``qcvn`` splits the name into Ho/ChuDem/Ten, writes dates
as yyyy-MM-dd and addresses as one ``MaDonViHanhChinh``; ``live`` puts the whole upper-case name
in ``Ten``, writes yyyyMMdd plus ``Nam``, addresses as MaTinhThanh/MaQuanHuyen/MaPhuongXa, and
leaves ``QuocTich`` empty. ``mixed`` picks one per citizen, always the same for the same citizen.

Two data eras: ``2021`` addresses carry province, district and commune of the 63-province list;
``2025`` ones (records updated since 01/7/2025) the province of 34 and the new ward, no district,
in both dialects (the first candidate of the official conversion table where old→new is 1:N).
``mixed`` picks one per citizen, always the same for the same citizen.

Two envelope styles (``EnvelopeStyle``): ``wrapped`` puts the result in ``dan:<Op>Response`` and
the data namespace (the QCVN 109 shape); ``bare`` puts it directly in the Body and in the service
namespace, as the one public Spring-WS sample of this service answers.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Literal

from contracts.admin_eras import convert
from contracts.wire import Operation, response_element
from mocks.population import Address, Citizen, Household, HouseholdMember, PersonRef
from mocks.population._keyed import mix
from mocks.soap._xml import DAN_NS, DATA_NS, SOAP_NS, escape

__all__ = [
    "DataEra",
    "EnvelopeStyle",
    "dialect_for",
    "era_for",
    "render_citizen",
    "render_collection",
    "render_household",
    "render_lookup",
    "render_verify",
]

_OPEN = (
    f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_NS}" '
    f'xmlns:dan="{DAN_NS}"><soapenv:Header/><soapenv:Body>'
)
_CLOSE = "</soapenv:Body></soapenv:Envelope>"


DataEra = Literal["2021", "2025", "mixed"]


def era_for(setting: str, number: str) -> str:
    """The era of one record's addresses: the setting, or for ``mixed`` a stable choice."""
    if setting != "mixed":
        return setting
    return "2025" if mix(int(number) if number.isdigit() else 0) & 2 else "2021"


@lru_cache(maxsize=16_384)
def _in_2025(commune_code: str) -> tuple[str, str] | None:
    """(province, ward) of a 2021 commune since 01/7/2025; None when the table has no row."""
    conversion = convert(commune_code, "2021")
    if conversion is None or not conversion.candidates:
        return None
    ward = conversion.candidates[0]
    return ward.province_code, ward.code


def dialect_for(setting: str, number: str) -> str:
    """The dialect of one answer: the setting, or for ``mixed`` a stable choice per citizen."""
    if setting != "mixed":
        return setting
    return "live" if mix(int(number) if number.isdigit() else 0) & 1 else "qcvn"


EnvelopeStyle = Literal["wrapped", "bare"]


def _envelope(operation: str, payload: str, style: EnvelopeStyle) -> bytes:
    if style == "bare":
        return f"{_OPEN}{payload}{_CLOSE}".encode()
    wrapper = response_element(operation)
    return f"{_OPEN}<dan:{wrapper}>{payload}</dan:{wrapper}>{_CLOSE}".encode()


def _payload_ns(style: EnvelopeStyle) -> str:
    """The result's namespace: the data's when wrapped, the service's when bare (Spring-WS)."""
    return DAN_NS if style == "bare" else DATA_NS


def _el(name: str, text: str | None) -> str:
    """An element of free text; an empty one when there is no value (as live data does)."""
    return f"<{name}>{escape(text)}</{name}>" if text else f"<{name}/>"


def _code(name: str, value: str | None) -> str:
    """An element whose value is a code or a number the mock made (digits, ISO letters)."""
    return f"<{name}>{value}</{name}>" if value else f"<{name}/>"


# ------------------------------------------------------------------------ shared pieces


def _birth(born: date, year_only: bool, live: bool) -> str:
    year = f"<Nam>{born.year:04d}</Nam>"
    if year_only:
        return f"<NgayThangNamSinh>{year}</NgayThangNamSinh>"
    if live:
        return (
            f"<NgayThangNamSinh>{year}<NgayThangNam>{born:%Y%m%d}</NgayThangNam></NgayThangNamSinh>"
        )
    return f"<NgayThangNamSinh><NgayThangNam>{born.isoformat()}</NgayThangNam></NgayThangNamSinh>"


def _address(name: str, place: Address, live: bool, era: str = "2021") -> str:
    tail = _el("ChiTiet", place.detail) + _code("QuocGia", place.country)
    new = _in_2025(place.commune_code) if era == "2025" else None
    if new is not None:
        codes = f"<MaTinhThanh>{new[0]}</MaTinhThanh><MaPhuongXa>{new[1]}</MaPhuongXa>"
    elif live:
        codes = (
            f"<MaTinhThanh>{place.province_code}</MaTinhThanh>"
            f"<MaQuanHuyen>{place.district_code}</MaQuanHuyen>"
            f"<MaPhuongXa>{place.commune_code}</MaPhuongXa>"
        )
    else:
        codes = f"<MaDonViHanhChinh>{place.commune_code}</MaDonViHanhChinh>"
    return f"<{name}>{codes}{tail}</{name}>"


def _name_text(name: str, live: bool) -> str:
    return name.upper() if live else name


def _person(name: str, person: PersonRef | None, live: bool) -> str:
    if person is None:
        return ""
    return (
        f"<{name}>{_el('HoVaTen', _name_text(person.full_name, live))}"
        f"{_code('QuocTich', '' if live else person.nationality)}"
        f"{_code('SoDinhDanh', person.personal_id)}{_code('SoCMND', person.cmnd)}</{name}>"
    )


def _head(relation: str, head: PersonRef, live: bool) -> str:
    return (
        f"<ChuHo><QuanHe>{relation}</QuanHe>{_code('SoDinhDanh', head.personal_id)}"
        f"{_code('SoCMND', head.cmnd)}{_el('HoVaTen', _name_text(head.full_name, live))}</ChuHo>"
    )


# ------------------------------------------------------------------------ CongDan


def _full_name(citizen: Citizen, live: bool) -> str:
    if live:
        return f"<HoVaTen><Ho/><ChuDem/>{_el('Ten', citizen.full_name.upper())}</HoVaTen>"
    return (
        f"<HoVaTen>{_el('Ho', citizen.family_name)}{_el('ChuDem', citizen.middle_name)}"
        f"{_el('Ten', citizen.given_name)}</HoVaTen>"
    )


def _citizen(citizen: Citizen, live: bool, era: str) -> str:
    return "".join(
        (
            "<CongDan>",
            _code("SoDinhDanh", citizen.personal_id),
            _code("SoCMND", citizen.cmnd),
            _full_name(citizen, live),
            f"<GioiTinh>{citizen.sex_code}</GioiTinh>",
            f"<DanToc>{citizen.ethnicity_code}</DanToc>",
            f"<TonGiao>{citizen.religion_code}</TonGiao>",
            f"<TinhTrangHonNhan>{citizen.marital_status_code}</TinhTrangHonNhan>",
            f"<NhomMau>{citizen.blood_group_code}</NhomMau>",
            _birth(citizen.birth_date, citizen.year_only, live),
            _address("NoiDangKyKhaiSinh", citizen.birth_registration_place, live, era),
            _address("QueQuan", citizen.hometown, live, era),
            _address("ThuongTru", citizen.permanent_address, live, era),
            _address("NoiOHienTai", citizen.current_address, live, era),
            _code("QuocTich", "" if live else citizen.nationality),
            _person("Cha", citizen.father, live),
            _person("Me", citizen.mother, live),
            _person("VoChong", citizen.spouse, live),
            _person("NguoiDaiDien", citizen.representative, live),
            _head(citizen.relation_code, citizen.head, live),
            _code("SoSoHoKhau", citizen.household_book_number),
            "</CongDan>",
        )
    )


def render_citizen(citizen: Citizen, dialect: str, era: str = "2021") -> str:
    """One ``CongDan`` element in the ``qcvn`` or ``live`` dialect, addresses in ``era``."""
    return _citizen(citizen, dialect == "live", era)


def render_lookup(
    citizen: Citizen | None, dialect: str, data_time: str, style: EnvelopeStyle = "wrapped"
) -> bytes:
    """``TraCuuThongTinCongDanResponse``: a collection of 0 or 1 ``CongDan``."""
    records = "" if citizen is None else render_citizen(citizen, dialect)
    return render_collection(records, 0 if citizen is None else 1, data_time, style)


def render_collection(
    records: str, count: int, data_time: str, style: EnvelopeStyle = "wrapped"
) -> bytes:
    """``TraCuuThongTinCongDanResponse`` around ``count`` rendered ``CongDan`` elements."""
    payload = (
        f'<CongdanCollection xmlns="{_payload_ns(style)}" SoCongDan="{count}" GhiChu="" '
        f'ThoiDiemDuLieu="{data_time}">{records}</CongdanCollection>'
    )
    return _envelope(Operation.LOOKUP, payload, style)


def render_verify(exists: bool, style: EnvelopeStyle = "wrapped") -> bytes:
    """``XacThucThongTinCongDanResponse``: ``TonTai`` true or false."""
    payload = (
        f'<KetQuaXacThucResponse xmlns="{_payload_ns(style)}">'
        f"<TonTai>{'true' if exists else 'false'}</TonTai></KetQuaXacThucResponse>"
    )
    return _envelope(Operation.VERIFY, payload, style)


def _member(member: HouseholdMember, live: bool) -> str:
    person = member.person
    return (
        f"<ThanhVien><QuanHe>{member.relation_code}</QuanHe>"
        f"{_code('SoDinhDanh', person.personal_id)}{_code('SoCMND', person.cmnd)}"
        f"{_el('HoVaTen', _name_text(person.full_name, live))}"
        f"<GioiTinh>{'1' if member.male else '2'}</GioiTinh>"
        f"{_birth(member.birth_date, member.year_only, live)}</ThanhVien>"
    )


def render_household(
    household: Household | None, dialect: str, style: EnvelopeStyle = "wrapped"
) -> bytes:
    """``CungCapThongTinHoGiaDinhResponse``: the household, or one with no members."""
    if household is None:
        payload = f'<HoGiaDinh xmlns="{_payload_ns(style)}" SoThanhVien="0"/>'
        return _envelope(Operation.HOUSEHOLD, payload, style)
    live = dialect == "live"
    payload = (
        f'<HoGiaDinh xmlns="{_payload_ns(style)}" SoThanhVien="{len(household.members)}">'
        f"{_code('SoSoHoKhau', household.book_number)}"
        f"{_head('CH01', household.head, live)}"
        f"{''.join(_member(member, live) for member in household.members)}</HoGiaDinh>"
    )
    return _envelope(Operation.HOUSEHOLD, payload, style)
