"""Facility master data: YAML and CSV registries, errors that name file and line, lookups by
event location, and the facility record built from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sink.untp import Facility, FacilityError, Issuer, build_dfr, find_facility, load_facilities
from tests.untp_inputs import ISSUED

MINE = "https://id.gs1.org/414/0950600012340"
REFINERY = "https://id.gs1.org/414/0950600022349"

YAML = """\
# the operator's registry
facilities:
  - id: https://id.gs1.org/414/0950600012340
    name: Kolwezi cobalt mine
    country: CD
    description: Open-pit copper-cobalt mine
    operator_id: https://id.gs1.org/417/0950600000002
    operator_name: Example Mining SARL
    locality: Kolwezi
    region: Lualaba
    latitude: -10.7167
    longitude: 25.4667
    process_id: https://unstats.un.org/isic/0729
    process_name: Mining of other non-ferrous metal ores
    process_code: "0729"
  - id: urn:epc:id:sgln:0950600.02234.0
    name: Example cobalt refinery
    country: FI
"""

CSV = """\
id,name,country,street_address,postal_code,locality,latitude,longitude
https://id.gs1.org/414/0950600012340,Kolwezi cobalt mine,CD,,,Kolwezi,-10.7167,25.4667
https://id.gs1.org/414/0950600022349,"Refinery, Kokkola",FI,Satamatie 1,67900,Kokkola,,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_registry(tmp_path: Path) -> None:
    facilities = load_facilities(write(tmp_path, "facilities.yaml", YAML))
    assert list(facilities) == [MINE, REFINERY]  # the SGLN URN became its Digital Link
    mine = facilities[MINE]
    assert (mine.country, mine.latitude, mine.process_code) == ("CD", -10.7167, "0729")
    assert facilities[REFINERY].name == "Example cobalt refinery"


def test_yaml_plain_list_and_empty_file(tmp_path: Path) -> None:
    text = "- id: https://id.gs1.org/414/0950600012340\n  name: Mine\n"
    assert list(load_facilities(write(tmp_path, "f.yml", text))) == [MINE]
    assert load_facilities(write(tmp_path, "empty.yaml", "# nothing yet\n")) == {}


def test_csv_registry(tmp_path: Path) -> None:
    facilities = load_facilities(write(tmp_path, "facilities.csv", CSV))
    refinery = facilities[REFINERY]
    assert refinery.name == "Refinery, Kokkola"
    assert (refinery.latitude, refinery.street_address) == (None, "Satamatie 1")
    assert facilities[MINE].longitude == 25.4667


@pytest.mark.parametrize(
    ("name", "text", "where", "message"),
    [
        ("f.yaml", YAML.replace("latitude: -10.7167", "latitude: -97"), ":11:", "latitude"),
        ("f.yaml", YAML.replace("country: FI", "country: Finland"), ":18:", "alpha-2"),
        ("f.yaml", YAML.replace("    longitude: 25.4667\n", ""), ":3:", "go together"),
        ("f.yaml", YAML.replace("country: FI", "colour: blue"), ":18:", "colour"),
        ("f.yaml", YAML.replace("02234.0", "01234.0"), ":16:", "already defined on line 3"),
        ("f.yaml", YAML.replace("0950600012340", "0950600012341"), ":3:", "check digit"),
        ("f.yaml", "facilities: [\n  - id: x\n", ":2:", "not valid YAML"),
        ("f.yaml", "facilities: {a: 1}\n", ":1:", "expected a list"),
        ("f.yaml", "- just a string\n", ":1:", "mapping of fields"),
        ("f.csv", CSV.replace(",67900,", ",67900,,extra,"), ":3:", "more cells"),
        ("f.csv", CSV.replace("25.4667", "east"), ":2:", "longitude"),
        ("f.csv", CSV + "\n\nhttps://id.gs1.org/414/0950600022349,Again,,,,,,\n", ":6:", "line 3"),
        ("f.json", "[]", ": facility master data", ".yaml, .yml or .csv"),
    ],
)
def test_errors_name_file_and_line(
    tmp_path: Path, name: str, text: str, where: str, message: str
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(FacilityError) as caught:
        load_facilities(path)
    assert str(caught.value).startswith(f"{path}{where}")
    assert message in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FacilityError, match="cannot read"):
        load_facilities(tmp_path / "absent.yaml")


def test_event_locations_find_their_facility(tmp_path: Path) -> None:
    facilities = load_facilities(write(tmp_path, "facilities.yaml", YAML))
    assert find_facility(facilities, MINE) is facilities[MINE]
    assert find_facility(facilities, MINE + "/254/PIT-3") is facilities[MINE]
    assert find_facility(facilities, "https://id.gs1.org/414/0950600033345") is None


def test_facility_record(tmp_path: Path) -> None:
    mine = load_facilities(write(tmp_path, "facilities.yaml", YAML))[MINE]
    record = build_dfr(
        mine,
        issuer=Issuer("did:web:example.com", "Example"),
        credential_id="https://example.com/facilities/1",
        status={"type": "BitstringStatusListEntry"},
        valid_from=ISSUED,
    )
    assert record["type"] == ["DigitalFacilityRecord", "VerifiableCredential"]
    facility = record["credentialSubject"]["facility"]
    assert (facility["id"], facility["registeredId"]) == (MINE, "0950600012340")
    assert facility["countryOfOperation"] == "CD"
    assert facility["locationInformation"]["geoLocation"] == {
        "type": "Point",
        "coordinates": [25.4667, -10.7167],  # GeoJSON: longitude, latitude
    }
    assert facility["address"] == {
        "addressLocality": "Kolwezi",
        "addressRegion": "Lualaba",
        "addressCountry": "CD",
    }
    assert facility["processCategory"][0]["code"] == "0729"
    assert facility["operatedByParty"]["name"] == "Example Mining SARL"
    bare = build_dfr(
        Facility(id=REFINERY, name="Refinery"),
        issuer=Issuer("did:web:example.com", "Example"),
        credential_id="https://example.com/facilities/2",
        status={"type": "BitstringStatusListEntry"},
        valid_from=ISSUED,
    )
    assert bare["credentialSubject"]["facility"] == {
        "type": ["Facility"],
        "id": REFINERY,
        "name": "Refinery",
        "registeredId": "0950600022349",
        "idScheme": {
            "type": ["IdentifierScheme"],
            "id": "https://id.gs1.org/414/",
            "name": "Global Location Number (GLN)",
        },
    }


def test_csv_lines_count_quoted_line_breaks(tmp_path: Path) -> None:
    text = (
        "id,name,description,latitude,longitude\n"
        'https://id.gs1.org/414/0950600012340,Mine,"Open pit,\nsecond line",1,2\n'
        "\n"
        "https://id.gs1.org/414/0950600022349,Refinery,,91,2\n"
    )
    path = write(tmp_path, "f.csv", text)
    with pytest.raises(FacilityError, match=r"f\.csv:5: .*latitude"):
        load_facilities(path)
