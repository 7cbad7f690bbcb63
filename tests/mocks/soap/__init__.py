"""Building SOAP requests for the mock in tests (the adapter's builder is not ours to import)."""

from __future__ import annotations

from xml.sax.saxutils import escape

ENVELOPE = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:dan="http://dancuquocgia.bca"><soapenv:Header/><soapenv:Body>'
    "<dan:{operation}>{fields}</dan:{operation}></soapenv:Body></soapenv:Envelope>"
)
PATH = "/dancu/1.0/CongDan"  # the population service on the mock
LOOKUP = "TraCuuThongTinCongDan"
VERIFY = "XacThucThongTinCongDan"
HOUSEHOLD = "CungCapThongTinHoGiaDinh"


def soap_request(
    operation: str = LOOKUP,
    *,
    number: str | None = None,
    full_name: str | None = None,
    birth: str | None = None,
    year: str | None = None,
    sex: str | None = None,
    header: dict[str, str] | None = None,
    extra: str = "",
) -> bytes:
    """A request with the header fields of docs/wire-format.md, in order; ``header`` overrides."""
    fields = {"MaYeuCau": "req-1", "MaDVC": "1.001612", "MaTichHop": "LGSP-PY", "MaCanBo": "o-17"}
    fields.update(header or {})
    parts = [f"<dan:{k}>{escape(v)}</dan:{k}>" for k, v in fields.items() if v]
    if number is not None:
        tag = "SoDinhDanh" if len(number) != 9 else "SoCMND"
        parts.append(f"<dan:{tag}>{escape(number)}</dan:{tag}>")
    if full_name is not None:
        parts.append(f"<dan:HoVaTen>{escape(full_name)}</dan:HoVaTen>")
    if birth is not None or year is not None:
        inner = (
            f"<dan:NgayThangNam>{birth}</dan:NgayThangNam>"
            if birth
            else f"<dan:Nam>{year}</dan:Nam>"
        )
        parts.append(f"<dan:NgayThangNamSinh>{inner}</dan:NgayThangNamSinh>")
    if sex is not None:
        parts.append(f"<dan:GioiTinh>{sex}</dan:GioiTinh>")
    return ENVELOPE.format(operation=operation, fields="".join(parts) + extra).encode()
