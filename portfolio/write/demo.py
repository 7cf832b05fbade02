"""The built-in demo portfolio: a believable supplier of production equipment.

Deterministic for a seed, vectorised with numpy so that the `large` scale (10,000
accounts, 400,000 deals, millions of buying-center and service rows) builds in well
under a minute. Besides realistic noise it plants the stories the pages exist to reveal
(see `STORIES` below and the README): falling key accounts, an account whose manager was
replaced and whose repair promises were broken, deals living on continuations, late-stage
deals with no decider or approver met, single-threaded deals, overdue repairs the client
was never told about, accounts where after-sales out-sells equipment, Cyrillic names; and
the seeds' after-sales stories: a key account whose last three deliveries were three to four
weeks late without a word to the client, one nobody called after its last delivery, one whose
purchases stopped seven months ago while its record still says mid KAM, and a strategic
account of seven years grown complacent (fewer calls, a falling share of wallet). Contacts'
names agree in language (the client's country) and gender.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from portfolio.core.db import publish_release, served_link_path, write_database

DEMO_AS_OF = date(2026, 11, 22)  # a Sunday: the demo's last complete ISO week
DEFAULT_SEED = 7
STOPPED_SINCE = -236  # the stopped-purchases story: nothing bought after this day (1 Apr 2026)
SILENT_SINCE = -76    # the silence-after-delivery story: no call or contact after this day
MONTHS = 24
CURRENCY = "EUR"

STAGES = ("preliminaries", "investigation", "demonstrating_capability", "obtaining_commitment")
ROLES = ("initiator", "user", "influencer", "gatekeeper", "buyer", "decider", "approver")
ATTITUDES = ("champion", "supporter", "neutral", "skeptic", "opponent")
CASE_KINDS = ("installation", "training", "maintenance", "repair", "upgrade", "complaint",
              "invoicing")
SEVERITIES = ("low", "medium", "high", "critical")
CONTRACT_KINDS = ("maintenance", "consumables", "spare_parts", "training", "support")
EVENT_KINDS = ("kam_changed", "key_contact_left", "promise_broken", "price_dispute",
               "personal_conflict", "complaint_escalated", "culture_clash")


@dataclass(frozen=True)
class Scale:
    """How big the demo is: account count and per-account densities."""

    name: str
    accounts: int
    deal_factor: float
    delivery_factor: float
    case_factor: float
    contact_factor: float


SMALL = Scale("small", 120, 1.0, 1.0, 1.0, 1.0)
LARGE = Scale("large", 10_000, 8.0, 9.0, 10.0, 1.2)


def scale_from_spec(spec: str | int) -> Scale:
    """`small`, `large`, or a number of accounts (with the large scale's densities)."""
    if isinstance(spec, int) or str(spec).isdigit():
        accounts = int(spec)
        if accounts < 20:
            raise ValueError("a demo needs at least 20 accounts")
        return Scale(f"n{accounts}", accounts, LARGE.deal_factor, LARGE.delivery_factor,
                     LARGE.case_factor, LARGE.contact_factor)
    named = {"small": SMALL, "large": LARGE}
    if spec not in named:
        raise ValueError(f"unknown scale {spec!r}: use small, large or a number of accounts")
    return named[spec]


# --- names --------------------------------------------------------------------------

REGIONS = {
    "DACH": ("Germany", "Austria", "Switzerland"),
    "Nordics": ("Sweden", "Finland", "Norway", "Denmark"),
    "CEE": ("Poland", "Czechia", "Bulgaria", "Serbia", "Kazakhstan"),
}
CYRILLIC_COUNTRIES = {"Bulgaria", "Serbia", "Kazakhstan"}
LEGAL_FORMS = {
    "Germany": "GmbH", "Austria": "AG", "Switzerland": "AG", "Sweden": "AB", "Finland": "Oy",
    "Norway": "AS", "Denmark": "A/S", "Poland": "Sp. z o.o.", "Czechia": "s.r.o.",
    "Bulgaria": "ООД", "Serbia": "д.о.о.", "Kazakhstan": "ТОО",
}
LATIN_STEMS = ("Nord", "Alpen", "Rhein", "Baltic", "Vista", "Kessel", "Hansa", "Falk", "Lumen",
               "Orion", "Tauern", "Fjord", "Karpat", "Danub", "Silva", "Aurum", "Ferro",
               "Helio", "Polar", "Granit", "Weser", "Isar", "Odra", "Vltava", "Mälar")
LATIN_ENDINGS = ("werk", "tec", "tronic", "chem", "pharm", "metall", "logistik", "energie",
                 "med", "plast", "food", "pack")
CYRILLIC_STEMS = ("Урал", "Север", "Волга", "Сибир", "Балкан", "Дунав", "Алатау", "Тиса",
                  "Рила", "Морава")
CYRILLIC_ENDINGS = ("маш", "хим", "металл", "энерго", "полимер", "транс", "фарм", "пак")
INDUSTRIES = ("Automotive", "Chemicals", "Food & Beverage", "Logistics", "Healthcare",
              "Energy", "Metals", "Pharma", "Electronics", "Pulp & Paper")
PRODUCT_LINES = ("Production lines", "Automation", "Packaging systems", "Retrofit & upgrades",
                 "Service agreements", "Consumables programme")
FIRST_NAMES = ("Anna", "Lukas", "Sofia", "Jonas", "Mia", "Elias", "Lena", "Noah", "Emma", "Felix",
               "Ida", "Oskar", "Clara", "Mateusz", "Zofia", "Jakub", "Eva", "Tomas", "Astrid",
               "Henrik", "Petra", "Marek", "Julia", "Erik")
LAST_NAMES = ("Berger", "Weber", "Lindqvist", "Nowak", "Hoffmann", "Novak", "Virtanen",
              "Hansen", "Schmid", "Kowalski", "Dvořák", "Nilsson", "Wagner", "Korhonen",
              "Bauer", "Svoboda", "Larsen", "Fischer", "Lehmann", "Andersson")
# The contacts' names, per language of the client's country and per gender, so that a first
# name and a surname always agree: (women's first names, men's first names, surnames as
# (masculine, feminine)). Slavic surnames take their feminine form for women (Kowalski →
# Kowalska, Novák → Nováková, Петров → Петрова, Жуковский → Жуковская); Serbian, German or
# Nordic ones do not change. Cyrillic names carry their Latin spelling for the e-mail
# address: "Мария|maria".
PERSON_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "de": (("Anna", "Lena", "Mia", "Clara", "Julia", "Petra", "Sabine", "Katrin"),
           ("Lukas", "Jonas", "Felix", "Elias", "Tobias", "Stefan", "Michael", "Andreas"),
           tuple((n, n) for n in ("Berger", "Weber", "Hoffmann", "Schmid", "Wagner", "Bauer",
                                  "Fischer", "Lehmann", "Keller", "Richter"))),
    "sv": (("Astrid", "Ida", "Ebba", "Maja", "Karin", "Elin", "Sara", "Linnea"),
           ("Erik", "Oskar", "Henrik", "Johan", "Anders", "Magnus", "Nils", "Gustav"),
           tuple((n, n) for n in ("Lindqvist", "Nilsson", "Andersson", "Berg", "Johansson",
                                  "Karlsson", "Eriksson", "Lindberg", "Holm", "Sandberg"))),
    "fi": (("Aino", "Emma", "Sanna", "Kaisa", "Laura", "Heidi", "Minna", "Riikka"),
           ("Mikko", "Juha", "Eero", "Ville", "Jussi", "Timo", "Antti", "Pekka"),
           tuple((n, n) for n in ("Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Heikkinen",
                                  "Koskinen", "Laine", "Lehtonen", "Salminen", "Hämäläinen"))),
    "no": (("Ingrid", "Kari", "Nora", "Silje", "Hanne", "Marte", "Tone", "Ragnhild"),
           ("Lars", "Magnus", "Ola", "Kjetil", "Sindre", "Håkon", "Eirik", "Torbjørn"),
           tuple((n, n) for n in ("Hansen", "Larsen", "Johansen", "Haugen", "Olsen",
                                  "Pedersen", "Berg", "Dahl", "Lie", "Moen"))),
    "da": (("Mette", "Freja", "Sofie", "Camilla", "Louise", "Anne", "Lene", "Ida"),
           ("Mads", "Rasmus", "Anders", "Søren", "Jesper", "Mikkel", "Henrik", "Frederik"),
           tuple((n, n) for n in ("Jensen", "Nielsen", "Madsen", "Poulsen", "Christensen",
                                  "Sørensen", "Rasmussen", "Kristensen", "Thomsen", "Møller"))),
    "pl": (("Zofia", "Anna", "Katarzyna", "Agnieszka", "Magdalena", "Joanna", "Ewa", "Monika"),
           ("Mateusz", "Jakub", "Piotr", "Tomasz", "Krzysztof", "Paweł", "Marcin", "Łukasz"),
           (("Nowak", "Nowak"), ("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"),
            ("Lewandowski", "Lewandowska"), ("Wójcik", "Wójcik"), ("Kamiński", "Kamińska"),
            ("Zieliński", "Zielińska"), ("Szymański", "Szymańska"), ("Woźniak", "Woźniak"),
            ("Dąbrowski", "Dąbrowska"))),
    "cs": (("Eva", "Petra", "Tereza", "Lucie", "Jana", "Kateřina", "Hana", "Markéta"),
           ("Tomáš", "Jan", "Petr", "Marek", "Jiří", "Martin", "Pavel", "Lukáš"),
           (("Novák", "Nováková"), ("Svoboda", "Svobodová"), ("Dvořák", "Dvořáková"),
            ("Černý", "Černá"), ("Procházka", "Procházková"), ("Kučera", "Kučerová"),
            ("Veselý", "Veselá"), ("Horák", "Horáková"), ("Němec", "Němcová"),
            ("Marek", "Marková"))),
    "bg": (("Мария|maria", "Елена|elena", "Десислава|desislava", "Гергана|gergana",
            "Иванка|ivanka", "Надежда|nadezhda", "Силвия|silvia", "Цветелина|tsvetelina"),
           ("Иван|ivan", "Петър|petar", "Георги|georgi", "Димитър|dimitar", "Николай|nikolay",
            "Стоян|stoyan", "Христо|hristo", "Васил|vasil"),
           (("Петров|petrov", "Петрова|petrova"), ("Георгиев|georgiev", "Георгиева|georgieva"),
            ("Димитров|dimitrov", "Димитрова|dimitrova"), ("Иванов|ivanov", "Иванова|ivanova"),
            ("Стоянов|stoyanov", "Стоянова|stoyanova"), ("Николов|nikolov", "Николова|nikolova"),
            ("Христов|hristov", "Христова|hristova"), ("Тодоров|todorov", "Тодорова|todorova"))),
    "sr": (("Јелена|jelena", "Милица|milica", "Ана|ana", "Марија|marija", "Драгана|dragana",
            "Снежана|snezana", "Ивана|ivana", "Јована|jovana"),
           ("Драган|dragan", "Никола|nikola", "Марко|marko", "Милош|milos", "Стефан|stefan",
            "Небојша|nebojsa", "Зоран|zoran", "Горан|goran"),
           tuple((n, n) for n in ("Јовановић|jovanovic", "Николић|nikolic",
                                  "Петровић|petrovic", "Марковић|markovic", "Ђорђевић|djordjevic",
                                  "Стојановић|stojanovic", "Илић|ilic", "Павловић|pavlovic"))),
    "ru": (("Ольга|olga", "Наталья|natalya", "Айгерим|aigerim", "Анна|anna", "Елена|elena",
            "Динара|dinara", "Татьяна|tatyana", "Гульнара|gulnara"),
           ("Иван|ivan", "Алексей|aleksey", "Ерлан|erlan", "Сергей|sergey", "Дмитрий|dmitry",
            "Нурлан|nurlan", "Андрей|andrey", "Асхат|askhat"),
           (("Смирнов|smirnov", "Смирнова|smirnova"), ("Ахметов|akhmetov", "Ахметова|akhmetova"),
            ("Кузнецов|kuznetsov", "Кузнецова|kuznetsova"),
            ("Жуковский|zhukovsky", "Жуковская|zhukovskaya"),
            ("Сулейменов|suleimenov", "Сулейменова|suleimenova"),
            ("Попов|popov", "Попова|popova"), ("Волков|volkov", "Волкова|volkova"),
            ("Ковальский|kovalsky", "Ковальская|kovalskaya"))),
}
LANGUAGES = {"Germany": "de", "Austria": "de", "Switzerland": "de", "Sweden": "sv",
             "Finland": "fi", "Norway": "no", "Denmark": "da", "Poland": "pl", "Czechia": "cs",
             "Bulgaria": "bg", "Serbia": "sr", "Kazakhstan": "ru"}
REGION_LANGUAGES = {"DACH": "de", "Nordics": "sv", "CEE": "pl"}
# the draws the contacts' names once took from the main stream, still drawn (and unused) so
# that every table drawn after the contacts stays the same for a seed; names draw from a
# stream of their own
NAME_DRAWS = (24, 20)
LATIN_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "ł": "l", "ß": "ss", "å": "a"})


def person_name(language: str, first_draw: int, last_draw: int) -> tuple[str, str]:
    """A person's name and its Latin spelling for an e-mail ("Мария Петрова",
    "maria.petrova"): gender from the first draw's parity, first name and surname of one
    language."""
    women, men, surnames = PERSON_NAMES[language]
    female = first_draw % 2 == 0
    firsts = women if female else men
    first = firsts[(first_draw // 2) % len(firsts)]
    last = surnames[last_draw % len(surnames)][1 if female else 0]
    (first, first_latin), (last, last_latin) = (_spelled(first), _spelled(last))
    return f"{first} {last}", f"{first_latin}.{last_latin}"


def _spelled(name: str) -> tuple[str, str]:
    import unicodedata

    shown, _, latin = name.partition("|")
    latin = latin or unicodedata.normalize("NFKD", shown.lower().translate(LATIN_LETTERS))
    return shown, latin.encode("ascii", "ignore").decode()
TITLES = ("Head of Procurement", "Plant Manager", "CFO", "CTO", "Maintenance Lead",
          "Production Engineer", "Purchasing Agent", "Quality Manager", "COO",
          "Operations Director", "Managing Director", "IT Security Officer")
EVENT_NOTES = {
    "kam_changed": "Key-account manager changed",
    "key_contact_left": "A key contact left the client",
    "promise_broken": "A delivery or service deadline was missed",
    "price_dispute": "Client disputes the price increase",
    "personal_conflict": "Tension between the client's buyer and our manager",
    "complaint_escalated": "Complaint escalated to management",
    "culture_clash": "Client judges on price, we argue lifetime cost",
}
CALL_NOTES = {
    "advance": ("Demo at the plant booked", "Access to the operations director agreed",
                "Trial run agreed", "Technical workshop scheduled", "Budget owner joins next"),
    "continuation": ("Client will think it over", "Good meeting, no next step agreed",
                     "Asked for more brochures", "Will come back after the budget round"),
    "order": ("Order signed",),
    "no_sale": ("Client chose a competitor", "Project cancelled by the client"),
}

# The named managers of the small demo: head of key accounts, three regional leads and
# eight managers. (id, name, region, reports_to)
SMALL_MANAGERS = (
    ("M01", "Katharina Berger", None, None),
    ("M02", "Jonas Weber", "DACH", "M01"),
    ("M03", "Sofia Lindqvist", "Nordics", "M01"),
    ("M04", "Marek Nowak", "CEE", "M01"),
    ("M05", "Lena Hoffmann", "DACH", "M02"),
    ("M06", "Felix Bauer", "DACH", "M02"),
    ("M07", "Tim Krüger", "DACH", "M02"),
    ("M08", "Astrid Nilsson", "Nordics", "M03"),
    ("M09", "Henrik Larsen", "Nordics", "M03"),
    ("M10", "Zofia Kowalska", "CEE", "M04"),
    ("M11", "Tomas Svoboda", "CEE", "M04"),
    ("M12", "Петър Георгиев", "CEE", "M04"),
)


@dataclass(frozen=True)
class Stories:
    """Which accounts carry the planted stories (indices into the accounts table)."""

    downgrade: np.ndarray
    drop: np.ndarray
    upgrade: np.ndarray
    uncoupling: int
    previous_manager: str
    successor: str
    aftersales: np.ndarray
    # the seeds' after-sales stories: the last deliveries weeks late and the client never
    # told; silence after a delivery; purchases stopped (the uncoupling stage in the data,
    # not in the record); a long-standing key account grown complacent
    late_delivery: int = -1
    silent: int = -1
    stopped: int = -1
    complacent: int = -1


class Demo:
    """Builds every table of one demo portfolio; `tables()` returns them in load order."""

    def __init__(self, scale: Scale, seed: int, as_of: date = DEMO_AS_OF) -> None:
        self.scale = scale
        self.rng = np.random.default_rng(seed)
        # the clients' own sizes draw from a stream of their own, so that adding them left
        # every other table of a seed as it was
        self.size_rng = np.random.default_rng([seed, 1])
        # and so do the lateness of late deliveries and when their clients were told
        self.delivery_rng = np.random.default_rng([seed, 2])
        self.name_rng = np.random.default_rng([seed, 3])
        self.as_of = np.datetime64(as_of, "D")
        self.n = scale.accounts

    # -- helpers --------------------------------------------------------------------

    def day(self, offsets: np.ndarray) -> np.ndarray:
        """Days relative to the as-of date (negative = past) as datetime64[D]."""
        return self.as_of + np.asarray(offsets, dtype="int64").astype("timedelta64[D]")

    def dates(self, offsets: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
        values = self.day(offsets)
        if valid is not None:
            values = np.where(valid, values, np.datetime64("NaT"))
        return pl.Series(values).cast(pl.Date)

    def choice(self, options: tuple, size: int, p: tuple[float, ...] | None = None) -> np.ndarray:
        return np.asarray(options, dtype=object)[
            self.rng.choice(len(options), size=size, p=p)]

    @staticmethod
    def ids(prefix: str, count: int) -> pl.Series:
        width = max(4, len(str(count)))
        numbers = pl.int_range(1, count + 1, eager=True).cast(pl.String).str.zfill(width)
        return (prefix + numbers).rename("id")

    # -- managers -------------------------------------------------------------------

    def managers(self) -> pl.DataFrame:
        if self.scale is SMALL:
            rows = SMALL_MANAGERS
        else:
            rows = self.generated_managers()
        ids, names, regions, bosses = (list(col) for col in zip(*rows, strict=True))
        emails = [self.manager_email(name, mid) for name, mid in zip(names, ids, strict=True)]
        return pl.DataFrame({"manager_id": ids, "name": names, "email": emails,
                             "region": regions, "reports_to": bosses})

    @staticmethod
    def manager_email(name: str, manager_id: str) -> str:
        if name.isascii():
            first, last = name.lower().split(" ", 1)
            return f"{first}.{last.replace(' ', '')}@supplier.example"
        return f"{manager_id.lower()}@supplier.example"

    def generated_managers(self) -> list[tuple[str, str, str | None, str | None]]:
        count = max(12, self.n // 25)
        regions = list(REGIONS)
        rows: list[tuple[str, str, str | None, str | None]] = [
            ("M0001", "Katharina Berger", None, None)]
        for i, region in enumerate(regions):
            rows.append((f"M{i + 2:04d}", f"{FIRST_NAMES[i]} {LAST_NAMES[i]} (lead)", region,
                         "M0001"))
        for i in range(len(rows), count):
            region_index = i % len(regions)
            name, _ = person_name(REGION_LANGUAGES[regions[region_index]], i, i // 7)
            rows.append((f"M{i + 1:04d}", f"{name} {i + 1}", regions[region_index],
                         f"M{region_index + 2:04d}"))
        return rows

    # -- accounts -------------------------------------------------------------------

    def accounts(self, managers: pl.DataFrame) -> pl.DataFrame:
        n, rng = self.n, self.rng
        tier = self.tiers()
        region_names = list(REGIONS)
        region = np.asarray(region_names, dtype=object)[rng.integers(0, len(region_names), n)]
        country = np.array([REGIONS[r][rng.integers(0, len(REGIONS[r]))] for r in region],
                           dtype=object)
        names = self.account_names(country)
        account_managers = self.assign_managers(managers, region, tier)
        kam_stage = self.kam_stages(tier)
        key_since_offset = -rng.integers(300, 3000, n)
        parent = self.parent_accounts(region)
        ids = self.ids("A", n)
        parent_ids = [ids[int(p)] if p >= 0 else None for p in parent]
        return pl.DataFrame({
            "account_id": ids,
            "name": names,
            "industry": self.choice(INDUSTRIES, n).tolist(),
            "region": region.tolist(),
            "country": country.tolist(),
            "parent_account_id": parent_ids,
            "manager_id": account_managers.tolist(),
            "tier": tier.tolist(),
            "kam_stage": kam_stage.tolist(),
            "key_since": self.dates(key_since_offset, tier != "standard"),
        })

    def tiers(self) -> np.ndarray:
        n = self.n
        if self.scale is SMALL:
            tiers = np.array(["strategic"] * 10 + ["key"] * 30 + ["standard"] * (n - 40))
        else:
            strategic, key = int(n * 0.08), int(n * 0.25)
            tiers = np.array(["strategic"] * strategic + ["key"] * key
                             + ["standard"] * (n - strategic - key))
        return self.rng.permutation(tiers.astype(object))

    def account_names(self, country: np.ndarray) -> list[str]:
        rng = self.rng
        names: list[str] = []
        seen: dict[str, int] = {}
        for c in country:
            if c in CYRILLIC_COUNTRIES:
                stem = CYRILLIC_STEMS[rng.integers(0, len(CYRILLIC_STEMS))]
                ending = CYRILLIC_ENDINGS[rng.integers(0, len(CYRILLIC_ENDINGS))]
                base = f"{LEGAL_FORMS[c]} «{stem}{ending}»"
            else:
                stem = LATIN_STEMS[rng.integers(0, len(LATIN_STEMS))]
                ending = LATIN_ENDINGS[rng.integers(0, len(LATIN_ENDINGS))]
                base = f"{stem}{ending} {LEGAL_FORMS[c]}"
            seen[base] = seen.get(base, 0) + 1
            names.append(base if seen[base] == 1 else f"{base} {seen[base]}")
        return names

    def assign_managers(self, managers: pl.DataFrame, region: np.ndarray,
                        tier: np.ndarray) -> np.ndarray:
        """Each account goes to a manager of its region; leads keep a few strategic ones."""
        rng = self.rng
        result = np.empty(self.n, dtype=object)
        for name in REGIONS:
            in_region = managers.filter(pl.col("region") == name)
            leads = in_region.filter(pl.col("reports_to") == managers["manager_id"][0])
            staff = in_region.filter(pl.col("reports_to") != managers["manager_id"][0])
            lead_id = leads["manager_id"][0]
            staff_ids = np.asarray(staff["manager_id"].to_list(), dtype=object)
            mask = region == name
            picks = staff_ids[rng.integers(0, len(staff_ids), mask.sum())]
            strategic = tier[mask] == "strategic"
            to_lead = strategic & (rng.random(mask.sum()) < 0.4)
            picks[to_lead] = lead_id
            result[mask] = picks
        return result

    def kam_stages(self, tier: np.ndarray) -> np.ndarray:
        stages_by_tier = {
            "strategic": (("mid_kam", "partnership_kam", "synergistic_kam"), (0.3, 0.5, 0.2)),
            "key": (("early_kam", "mid_kam", "partnership_kam"), (0.3, 0.5, 0.2)),
            "standard": (("pre_kam", "early_kam"), (0.7, 0.3)),
        }
        result = np.empty(self.n, dtype=object)
        for name, (options, weights) in stages_by_tier.items():
            mask = tier == name
            result[mask] = self.choice(options, int(mask.sum()), weights)
        return result

    def parent_accounts(self, region: np.ndarray) -> np.ndarray:
        """About 5 % of accounts belong to a group headed by another account of the region."""
        rng = self.rng
        parent = np.full(self.n, -1)
        heads = np.flatnonzero(rng.random(self.n) < 0.04)
        is_head = np.zeros(self.n, dtype=bool)
        is_head[heads] = True
        for i in np.flatnonzero((rng.random(self.n) < 0.06) & ~is_head):
            same_region = heads[region[heads] == region[i]]
            if len(same_region):
                parent[i] = same_region[rng.integers(0, len(same_region))]
        return parent

    # -- stories --------------------------------------------------------------------

    def pick_stories(self, accounts: pl.DataFrame, managers: pl.DataFrame) -> Stories:
        """Choose (deterministically) which accounts carry each planted story."""
        tier = accounts["tier"].to_numpy()
        strategic = np.flatnonzero(tier == "strategic")
        key = np.flatnonzero(tier == "key")
        standard = np.flatnonzero(tier == "standard")
        share = max(1, self.n // 120)
        downgrade = np.concatenate([strategic[:share], key[: 2 * share]])
        drop = key[2 * share: 3 * share]
        uncoupling = int(strategic[share])
        upgrade = standard[: 2 * share]
        aftersales_key = key[3 * share: 8 * share]
        others = np.flatnonzero(self.rng.random(self.n) < 0.15)
        aftersales = np.unique(np.concatenate([aftersales_key, others]))
        aftersales = np.setdiff1d(aftersales, np.concatenate([downgrade, drop, [uncoupling]]))
        region = accounts["region"][uncoupling]
        region_staff = managers.filter((pl.col("region") == region)
                                       & pl.col("reports_to").is_not_null()
                                       & (pl.col("reports_to") != managers["manager_id"][0]))
        previous, successor = (str(m) for m in region_staff["manager_id"][:2])
        taken = set(np.concatenate([downgrade, drop, upgrade, [uncoupling]]).tolist())
        spare_key = [int(i) for i in key[8 * share:] if int(i) not in taken]
        spare_strategic = [int(i) for i in strategic[2 * share:] if int(i) not in taken]
        return Stories(downgrade, drop, upgrade, uncoupling, previous, successor, aftersales,
                       late_delivery=spare_key[0], silent=spare_key[1], stopped=spare_key[2],
                       complacent=spare_strategic[0])

    @staticmethod
    def apply_account_stories(accounts: pl.DataFrame, stories: Stories) -> pl.DataFrame:
        """The uncoupling-risk account is an attractive, established strategic client, now
        handled by a manager who took over from a colleague of the same region."""
        stage = accounts["kam_stage"].to_list()
        stage[stories.uncoupling] = "partnership_kam"
        stage[stories.stopped] = "mid_kam"  # the record does not say uncoupling
        stage[stories.complacent] = "partnership_kam"
        manager = accounts["manager_id"].to_list()
        manager[stories.uncoupling] = stories.successor
        key_since = accounts["key_since"].to_list()
        key_since[stories.complacent] = date(2019, 3, 1)  # a key account for over seven years
        return accounts.with_columns(pl.Series("kam_stage", stage),
                                     pl.Series("manager_id", manager),
                                     pl.Series("key_since", key_since, dtype=pl.Date))

    def client_sizes(self, accounts: pl.DataFrame, stories: Stories) -> pl.DataFrame:
        """The clients' own annual revenue (in the database currency) and employees: key
        clients are large companies; the collapsing ones (drop) have shrunk, the standard
        accounts grown attractive (upgrade) are large companies buying little so far."""
        rng, n = self.size_rng, self.n
        tier = accounts["tier"].to_numpy()
        base = {"strategic": 2.0e9, "key": 6.0e8, "standard": 8.0e7}
        revenue = np.array([base[t] for t in tier]) * rng.lognormal(0, 0.7, n)
        revenue[stories.drop] *= 0.2
        revenue[stories.upgrade] *= 10
        employees = revenue / 250_000 * rng.lognormal(0, 0.4, n)
        return accounts.with_columns(
            pl.Series("annual_revenue", np.round(revenue, -3)),
            pl.Series("employees", np.maximum(np.round(employees), 1).astype(np.int64)))

    # -- account metrics ------------------------------------------------------------

    def account_metrics(self, accounts: pl.DataFrame, stories: Stories) -> pl.DataFrame:
        rng, n = self.rng, self.n
        tier = accounts["tier"].to_numpy()
        base_by_tier = {"strategic": 5.0e6, "key": 1.6e6, "standard": 2.2e5}
        annual = np.array([base_by_tier[t] for t in tier]) * rng.lognormal(0, 0.45, n)
        growth_early = rng.normal(0.04, 0.08, n)
        growth_late = growth_early + rng.normal(0, 0.04, n)
        share0 = rng.uniform(6, 32, n)
        share_drift = rng.normal(0, 0.025, n)  # relative change per year
        health0 = rng.uniform(58, 90, n)
        health_drift = rng.normal(0, 4, n)  # points per year
        wallet0 = rng.uniform(15, 65, n)
        equipment_share = rng.uniform(0.45, 0.70, n)
        margin0 = rng.normal(27, 5, n)

        share_end = share0 * (1 + share_drift * 2)
        health_end = health0 + health_drift * 2

        d, dr, up, unc = stories.downgrade, stories.drop, stories.upgrade, stories.uncoupling
        growth_early[d], growth_late[d] = 0.02, -0.35
        share0[d], share_end[d] = 18.0, 11.2
        health0[d], health_end[d] = 72.0, 41.0
        growth_early[dr], growth_late[dr] = -0.05, -0.6
        share0[dr], share_end[dr] = 9.0, 4.0
        health0[dr], health_end[dr] = 55.0, 22.0
        growth_early[up], growth_late[up] = 0.35, 0.55
        annual[up] *= 5
        share0[up], share_end[up] = 15.0, 21.0
        health0[up], health_end[up] = 70.0, 82.0
        growth_early[unc], growth_late[unc] = 0.08, 0.10
        share0[unc], share_end[unc] = 24.0, 25.5
        health0[unc], health_end[unc] = 80.0, 81.0
        equipment_share[stories.aftersales] = rng.uniform(0.15, 0.33, len(stories.aftersales))

        t = np.arange(MONTHS)
        first_month = (self.as_of.astype("datetime64[M]") - MONTHS).astype("datetime64[D]")
        months = (first_month.astype("datetime64[M]") + t).astype("datetime64[D]")
        # the last 12 months follow growth_late, the 12 before growth_early
        level = np.where(t[None, :] < 12,
                         (1 + growth_early[:, None]) ** ((t[None, :] - 12) / 12),
                         (1 + growth_late[:, None]) ** ((t[None, :] - 12) / 12))
        seasonal = 1 + 0.08 * np.sin(2 * np.pi * (t + 2) / 12)
        noise = rng.lognormal(0, 0.08, (n, MONTHS))
        total = annual[:, None] / 12 * level * seasonal[None, :] * noise
        lumpy = rng.gamma(2.0, 0.5, (n, MONTHS))
        equipment = total * equipment_share[:, None] * lumpy
        after = total * (1 - equipment_share[:, None])
        split = rng.dirichlet((9, 7, 4), n)
        frac = np.clip((t - 11) / 12, 0, 1)[None, :]  # ramps over the last 12 months
        share = share0[:, None] + (share_end - share0)[:, None] * np.where(
            np.isin(np.arange(n), np.concatenate([d, dr, up]))[:, None], frac, t[None, :] / 23)
        health = health0[:, None] + (health_end - health0)[:, None] * np.where(
            np.isin(np.arange(n), np.concatenate([d, dr, up]))[:, None], frac, t[None, :] / 23)
        wallet = wallet0[:, None] + rng.normal(0, 1.5, (n, MONTHS)).cumsum(axis=1) * 0.5
        margin = (margin0[:, None] + 8 * (1 - equipment_share[:, None])
                  + rng.normal(0, 2, (n, MONTHS)))
        margin[d] -= frac[0] * 6
        # purchases stopped: nothing bought in the last seven months
        equipment[stories.stopped, -7:] = 0.0
        after[stories.stopped, -7:] = 0.0
        # complacency: the share of wallet slides by eight points over the last 12 months
        c = stories.complacent
        wallet[c, 12:] = wallet[c, 11] - 8.0 * (t[12:] - 11) / 12

        def flat(a: np.ndarray) -> np.ndarray:
            return a.reshape(-1)

        return pl.DataFrame({
            "account_id": np.repeat(accounts["account_id"].to_numpy(), MONTHS),
            "month": pl.Series(np.tile(months, n)).cast(pl.Date),
            "equipment_revenue": flat(np.round(equipment, 2)),
            "service_revenue": flat(np.round(after * split[:, 0:1], 2)),
            "consumables_revenue": flat(np.round(after * split[:, 1:2], 2)),
            "spares_revenue": flat(np.round(after * split[:, 2:3], 2)),
            "gross_margin_pct": flat(np.round(np.clip(margin, -100, 100), 2)),
            "client_market_share_pct": flat(np.round(np.clip(
                share + rng.normal(0, 0.3, (n, MONTHS)), 0.5, 100), 2)),
            "financial_health": flat(np.round(np.clip(
                health + rng.normal(0, 1.2, (n, MONTHS)), 0, 100), 2)),
            "share_of_wallet_pct": flat(np.round(np.clip(wallet, 2, 98), 2)),
        })

    # -- deals, stage history, calls ------------------------------------------------

    def deals(self, accounts: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
        """Deals with a simulated path through the four stages up to the as-of date."""
        rng = self.rng
        tier = accounts["tier"].to_numpy()
        rate = np.select([tier == "strategic", tier == "key"], [14.0, 9.0], 3.0)
        per_account = rng.poisson(rate * self.scale.deal_factor)
        owner = np.repeat(np.arange(self.n), per_account)
        m = len(owner)
        recent = rng.random(m) < 0.45  # large sales take months: keep a live pipeline
        opened = np.where(recent, -rng.integers(5, 240, m), -rng.integers(5, 900, m))
        mean_days = np.array([30, 60, 50, 45])
        durations = np.ceil(rng.gamma(2.0, mean_days / 2, (m, 4))).astype(int) + 1
        entries = opened[:, None] + np.concatenate(
            [np.zeros((m, 1), dtype=int), durations[:, :3].cumsum(axis=1)], axis=1)
        reached = rng.choice(4, size=m, p=(0.08, 0.12, 0.15, 0.65))  # last stage index reached
        close = entries[np.arange(m), reached] + durations[np.arange(m), reached]
        won = (reached == 3) & (rng.random(m) < 0.62)
        closed = close <= 0
        entered = entries <= 0
        current = np.where(closed, reached, np.minimum(entered.sum(axis=1) - 1, reached))
        stage = np.where(closed, np.where(won, "won", "lost"),
                         np.asarray(STAGES, dtype=object)[current]).astype(object)
        stage_entered = np.where(closed, close, entries[np.arange(m), current])
        remaining = np.maximum(close, rng.integers(-30, 10, m))
        expected_close = np.where(closed, close + rng.integers(-20, 20, m), remaining)
        expected_close = np.maximum(expected_close, opened)
        product = self.choice(PRODUCT_LINES, m)
        value_by_tier = np.select([tier[owner] == "strategic", tier[owner] == "key"],
                                  [600_000.0, 250_000.0], 60_000.0)
        value = np.round(value_by_tier * rng.lognormal(0, 0.7, m), -3)
        ids = self.ids("D", m)
        account_ids = accounts["account_id"].to_numpy()[owner]
        deals = pl.DataFrame({
            "deal_id": ids,
            "account_id": account_ids,
            "name": [f"{p} {2024 + int((o + 900) // 365)}-{i % 97 + 1:02d}"
                     for i, (p, o) in enumerate(zip(product, opened, strict=True))],
            "product_line": product.tolist(),
            "value": value,
            "stage": stage.tolist(),
            "opened_on": self.dates(opened),
            "stage_entered_on": self.dates(stage_entered),
            "expected_close_on": self.dates(expected_close),
            "closed_on": self.dates(close, closed),
            "owner_id": accounts["manager_id"].to_numpy()[owner].tolist(),
        })
        plan = {"account": owner, "opened": opened, "entries": entries, "current": current,
                "closed": closed, "close": close, "won": won, "entered": entered}
        return deals, plan

    def stage_history(self, deals: pl.DataFrame, plan: dict[str, np.ndarray]) -> pl.DataFrame:
        entries, current, closed = plan["entries"], plan["current"], plan["closed"]
        m = len(current)
        rows_deal, rows_stage, rows_day = [], [], []
        for k, name in enumerate(STAGES):
            has = k <= current
            rows_deal.append(np.flatnonzero(has))
            rows_stage.append(np.full(has.sum(), name, dtype=object))
            rows_day.append(entries[has, k])
        final = np.flatnonzero(closed)
        rows_deal.append(final)
        rows_stage.append(np.where(plan["won"][final], "won", "lost").astype(object))
        rows_day.append(plan["close"][final])
        index = np.concatenate(rows_deal)
        assert index.max(initial=0) < m
        return pl.DataFrame({
            "deal_id": deals["deal_id"].to_numpy()[index],
            "stage": np.concatenate(rows_stage).tolist(),
            "entered_on": self.dates(np.concatenate(rows_day)),
        }).sort("deal_id", "entered_on")

    def calls(self, deals: pl.DataFrame, plan: dict[str, np.ndarray],
              stalling: np.ndarray) -> pl.DataFrame:
        rng = self.rng
        entries, current, closed = plan["entries"], plan["current"], plan["closed"]
        opened, close = plan["opened"], plan["close"]
        m = len(current)
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for k in range(1, 4):  # the call that moved the deal into stage k
            has = k <= current
            deal = np.flatnonzero(has)
            parts.append((deal, entries[has, k], np.full(len(deal), "advance", dtype=object)))
        final = np.flatnonzero(closed)
        parts.append((final, close[final],
                      np.where(plan["won"][final], "order", "no_sale").astype(object)))
        extra = rng.poisson(1.2, m)
        deal = np.repeat(np.arange(m), extra)
        end = np.where(closed, close, 0)[deal]
        day = opened[deal] + (rng.random(len(deal)) * (end - opened[deal])).astype(int)
        parts.append((deal, day, np.full(len(deal), "continuation", dtype=object)))
        # stalling deals: three or four continuations since the stage was entered, no advance
        stall_count = rng.integers(3, 5, len(stalling))
        deal = np.repeat(stalling, stall_count)
        since = entries[stalling, current[stalling]]
        step = np.arange(len(deal)) - np.repeat(stall_count.cumsum() - stall_count, stall_count)
        span = np.repeat(-since, stall_count)
        spacing = span / (np.repeat(stall_count, stall_count) + 1)
        day = np.repeat(since, stall_count) + ((step + 1) * spacing).astype(int)
        parts.append((deal, day, np.full(len(deal), "continuation", dtype=object)))
        deal = np.concatenate([p[0] for p in parts])
        day = np.concatenate([p[1] for p in parts])
        outcome = np.concatenate([p[2] for p in parts])
        order = np.lexsort((day, deal))
        deal, day, outcome = deal[order], day[order], outcome[order]
        notes = np.empty(len(outcome), dtype=object)
        for kind, options in CALL_NOTES.items():
            mask = outcome == kind
            notes[mask] = self.choice(options, int(mask.sum()))
        return pl.DataFrame({
            "call_id": self.ids("C", len(deal)),
            "deal_id": deals["deal_id"].to_numpy()[deal],
            "occurred_on": self.dates(day),
            "outcome": outcome.tolist(),
            "note": notes.tolist(),
        })

    def stalling_deals(self, plan: dict[str, np.ndarray], accounts: pl.DataFrame) -> np.ndarray:
        """Open deals that entered their stage 60+ days ago and live on continuations."""
        entries, current = plan["entries"], plan["current"]
        open_ = ~plan["closed"]
        since = entries[np.arange(len(current)), current]
        candidates = np.flatnonzero(open_ & (since <= -60))
        return candidates[self.rng.random(len(candidates)) < 0.3]

    # -- contacts and buying centers ------------------------------------------------

    def contacts(self, accounts: pl.DataFrame) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
        rng = self.rng
        tier = accounts["tier"].to_numpy()
        base = np.select([tier == "strategic", tier == "key"], [10.0, 6.0], 2.0)
        per_account = rng.poisson(base * self.scale.contact_factor) + 3
        account = np.repeat(np.arange(self.n), per_account)
        starts = np.concatenate([[0], per_account.cumsum()[:-1]])
        k = len(account)
        rng.integers(0, NAME_DRAWS[0], k), rng.integers(0, NAME_DRAWS[1], k)
        rng.integers(0, 8, k), rng.integers(0, 8, k)
        first_draws = self.name_rng.integers(0, 1 << 16, k)
        last_draws = self.name_rng.integers(0, 1 << 16, k)
        domains = [self.domain(name) for name in accounts["name"].to_list()]
        languages = [LANGUAGES[c] for c in accounts["country"].to_list()]
        names, emails = [], []
        for i in range(k):
            name, latin = person_name(languages[account[i]], int(first_draws[i]),
                                      int(last_draws[i]))
            names.append(name)
            emails.append(f"{latin}{i}@{domains[account[i]]}")
        left = rng.random(k) < 0.1
        left_on = -rng.integers(10, 500, k)
        frame = pl.DataFrame({
            "contact_id": self.ids("P", k),
            "account_id": accounts["account_id"].to_numpy()[account],
            "name": names,
            "title": self.choice(TITLES, k).tolist(),
            "email": emails,
            "left_on": self.dates(left_on, left),
        })
        return frame, starts, per_account

    @staticmethod
    def ascii(text: str) -> str:
        return text.lower().encode("ascii", "ignore").decode()

    def domain(self, account_name: str) -> str:
        cleaned = "".join(ch for ch in self.ascii(account_name) if ch.isalnum())
        return f"{cleaned or 'client'}.example"

    def deal_contacts(self, deals: pl.DataFrame, plan: dict[str, np.ndarray],
                      contacts: pl.DataFrame, starts: np.ndarray,
                      per_account: np.ndarray) -> pl.DataFrame:
        rng = self.rng
        m = len(plan["current"])
        account = plan["account"]
        progress = np.where(plan["closed"], 3, plan["current"])
        p_cover = 0.5 + 0.12 * progress
        covered = rng.random((m, 7)) < p_cover[:, None]
        covered[:, 0] |= True  # somebody started every purchase
        open_late = ~plan["closed"] & (plan["current"] >= 2)
        # late-stage deals where no decider or approver was ever met
        no_top = open_late & (rng.random(m) < 0.15)
        covered[no_top, 5:] = False
        offset = (rng.random((m, 7)) * per_account[account][:, None]).astype(int)
        pick = starts[account][:, None] + offset
        # single-threaded deals: one person holds every covered role
        single = ~plan["closed"] & (rng.random(m) < 0.1) & ~no_top
        pick[single] = pick[single, :1]
        deal_i, role_i = np.nonzero(covered)
        contact_i = pick[deal_i, role_i]
        left_on = contacts["left_on"].to_numpy()
        opened = self.day(plan["opened"])[deal_i]
        end = np.where(plan["closed"], plan["close"], 0)[deal_i]
        start = plan["opened"][deal_i]
        last = self.day(start + (rng.random(len(deal_i)) * (end - start)).astype(int))
        contact_left = left_on[contact_i]
        has_left = ~np.isnat(contact_left)
        last = np.where(has_left & (contact_left < last), contact_left, last)
        keep = ~(has_left & (contact_left < opened))
        attitude = self.choice(ATTITUDES, len(deal_i), (0.15, 0.3, 0.3, 0.15, 0.1))
        frame = pl.DataFrame({
            "deal_id": deals["deal_id"].to_numpy()[deal_i],
            "contact_id": contacts["contact_id"].to_numpy()[contact_i],
            "role": np.asarray(ROLES, dtype=object)[role_i].tolist(),
            "attitude": attitude.tolist(),
            "last_contact_on": pl.Series(last).cast(pl.Date),
        })
        return frame.filter(pl.Series(keep))

    # -- deliveries, service --------------------------------------------------------

    def deliveries(self, accounts: pl.DataFrame, deals: pl.DataFrame,
                   plan: dict[str, np.ndarray]) -> pl.DataFrame:
        rng = self.rng
        won = np.flatnonzero(plan["won"] & plan["closed"])
        per_deal = rng.integers(1, 4, len(won))
        deal = np.repeat(won, per_deal)
        promised_deal = plan["close"][deal] + rng.integers(20, 120, len(deal))
        tier = accounts["tier"].to_numpy()
        rate = np.select([tier == "strategic", tier == "key"], [4.0, 2.0], 0.5)
        per_account = rng.poisson(rate * MONTHS * self.scale.delivery_factor)
        account = np.repeat(np.arange(self.n), per_account)
        promised_recurring = -rng.integers(-45, MONTHS * 30, len(account))
        all_account = np.concatenate([plan["account"][deal], account])
        promised = np.concatenate([promised_deal, promised_recurring])
        deal_ids = np.concatenate([deals["deal_id"].to_numpy()[deal],
                                   np.full(len(account), None, dtype=object)])
        k = len(promised)
        late = rng.random(k) < 0.14
        lateness = np.where(late, rng.integers(1, 35, k), 0)
        # most late deliveries are a few days late; about one in 33 is weeks late
        weeks_late = self.delivery_rng.random(k) < 0.03
        lateness = np.where(late & ~weeks_late, 1 + (lateness - 1) % 5, lateness)
        delivered = promised + lateness
        done = delivered <= 0
        # the client of a late delivery is told a few days before the promised day, 1 in 12
        # never
        told = late & (self.delivery_rng.random(k) >= 1 / 12)
        informed = promised - self.delivery_rng.integers(1, 6, k)
        order = np.lexsort((promised, all_account))
        return pl.DataFrame({
            "delivery_id": self.ids("L", k),
            "account_id": accounts["account_id"].to_numpy()[all_account[order]],
            "deal_id": deal_ids[order].tolist(),
            "promised_on": self.dates(promised[order]),
            "delivered_on": self.dates(delivered[order], done[order]),
            "quality_issue": (rng.random(k) < 0.04) & done[order],
            "invoice_issue": (rng.random(k) < 0.03) & done[order],
            "client_informed_on": self.dates(np.minimum(informed, 0)[order],
                                             (told & (informed <= 0))[order]),
        })

    def planted_deliveries(self, accounts: pl.DataFrame, stories: Stories) -> pl.DataFrame:
        """The late-delivery story's last three deliveries, three to four weeks late and
        the client never told; the silent story's delivery, after which nobody called."""
        promised = np.array([-80, -60, -45, SILENT_SINCE])
        delivered = promised + np.array([24, 27, 22, 0])
        account = np.array([stories.late_delivery] * 3 + [stories.silent])
        return pl.DataFrame({
            "delivery_id": [f"LP{i + 1:03d}" for i in range(len(promised))],
            "account_id": accounts["account_id"].to_numpy()[account].tolist(),
            "deal_id": pl.Series([None] * len(promised), dtype=pl.String),
            "promised_on": self.dates(promised),
            "delivered_on": self.dates(delivered),
            "quality_issue": [False] * len(promised),
            "invoice_issue": [False] * len(promised),
            "client_informed_on": pl.Series([None] * len(promised), dtype=pl.Date),
        })

    def after_sale_stories(self, tables: dict[str, pl.DataFrame], accounts: pl.DataFrame,
                           stories: Stories) -> dict[str, pl.DataFrame]:
        """Nobody called the silent account after its delivery; the complacent account's
        calls thinned out to a tenth over the last 12 months; the stopped account lost
        the deals it would have won since STOPPED_SINCE (drawn before the story: the
        order becomes no sale), and its deliveries ended with its purchases; the late
        account's last three deliveries due are the story's."""
        ids = accounts["account_id"]
        silent, complacent, stopped = (ids[stories.silent], ids[stories.complacent],
                                       ids[stories.stopped])
        deal_account = tables["deals"].select("deal_id", "account_id")
        silent_since = (self.as_of + SILENT_SINCE).astype(date)
        year_ago = (self.as_of - 365).astype(date)
        calls = tables["calls"].join(deal_account, on="deal_id", how="left")
        calls = calls.filter(
            ~((pl.col("account_id") == silent) & (pl.col("occurred_on") >= silent_since))
            & ~((pl.col("account_id") == complacent) & (pl.col("occurred_on") > year_ago)
                & (pl.int_range(pl.len()) % 10 != 0))).drop("account_id")
        members = tables["deal_contacts"].join(deal_account, on="deal_id", how="left")
        members = members.with_columns(
            pl.when((pl.col("account_id") == silent)
                    & (pl.col("last_contact_on") >= silent_since))
            .then(pl.lit(silent_since - timedelta(days=1))).otherwise(pl.col("last_contact_on"))
            .alias("last_contact_on")).drop("account_id")
        stopped_since = (self.as_of + STOPPED_SINCE).astype(date)
        lost = tables["deals"].filter((pl.col("account_id") == stopped) & (pl.col("stage") == "won")
                                      & (pl.col("closed_on") > stopped_since))["deal_id"]
        deals = tables["deals"].with_columns(
            pl.when(pl.col("deal_id").is_in(lost.implode())).then(pl.lit("lost"))
            .otherwise(pl.col("stage")).alias("stage"))
        history = tables["deal_stage_history"].with_columns(
            pl.when(pl.col("deal_id").is_in(lost.implode()) & (pl.col("stage") == "won"))
            .then(pl.lit("lost")).otherwise(pl.col("stage")).alias("stage"))
        lost_order = pl.col("deal_id").is_in(lost.implode()) & (pl.col("outcome") == "order")
        calls = calls.with_columns(
            pl.when(lost_order).then(pl.lit("Client chose a competitor"))
            .otherwise(pl.col("note")).alias("note"),
            pl.when(lost_order).then(pl.lit("no_sale")).otherwise(pl.col("outcome"))
            .alias("outcome"))
        # the late account's last three deliveries due are the story's (its others due
        # since then are dropped)
        late, late_since = ids[stories.late_delivery], (self.as_of - 80).astype(date)
        deliveries = pl.concat([
            tables["deliveries"].filter(
                ~((pl.col("account_id") == stopped) & (pl.col("promised_on") > stopped_since))
                & ~((pl.col("account_id") == late) & (pl.col("promised_on") >= late_since)
                    & (pl.col("promised_on") <= self.as_of.astype(date)))),
            self.planted_deliveries(accounts, stories)])
        return {**tables, "deals": deals, "deal_stage_history": history, "calls": calls,
                "deal_contacts": members, "deliveries": deliveries}

    def service_cases(self, accounts: pl.DataFrame, stories: Stories) -> pl.DataFrame:
        rng = self.rng
        tier = accounts["tier"].to_numpy()
        rate = np.select([tier == "strategic", tier == "key"], [2.0, 1.0], 0.25)
        per_account = rng.poisson(rate * MONTHS * self.scale.case_factor)
        account = np.repeat(np.arange(self.n), per_account)
        k = len(account)
        kind = self.choice(CASE_KINDS, k, (0.12, 0.1, 0.3, 0.2, 0.08, 0.1, 0.1))
        severity = self.choice(SEVERITIES, k, (0.35, 0.4, 0.2, 0.05))
        opened = -rng.integers(0, MONTHS * 30, k)
        sla = np.select([kind == "installation", kind == "training", kind == "maintenance",
                         kind == "repair", kind == "upgrade"], [30, 21, 14, 7, 45], 10)
        sla = np.where(severity == "critical", np.minimum(sla, 3), sla)
        resolution = np.ceil(rng.gamma(2.0, sla * 0.38)).astype(int)
        closed_day = opened + resolution
        closed = closed_day <= 0
        cancelled = closed & (rng.random(k) < 0.03)
        status = np.where(closed, np.where(cancelled, "cancelled", "done"),
                          np.where(opened <= -3, "in_progress", "open")).astype(object)
        problem = np.isin(kind, ("maintenance", "repair", "complaint", "invoicing"))
        delay = np.where(rng.random(k) < 0.12, rng.integers(3, 12, k), rng.integers(0, 2, k))
        informed = np.where(problem, opened + delay, opened)
        never_told = problem & (rng.random(k) < 0.04)
        frame = pl.DataFrame({
            "account": account, "kind": kind.tolist(), "opened": opened,
            "due": opened + sla, "closed": closed_day, "is_closed": closed,
            "status": status.tolist(), "severity": severity.tolist(),
            "informed": np.minimum(informed, 0), "told": ~never_told,
        })
        frame = pl.concat([frame, self.broken_repair_promises(stories)])
        frame = frame.sort("account", "opened")
        account_ids = accounts["account_id"].to_numpy()
        return pl.DataFrame({
            "case_id": self.ids("S", frame.height),
            "account_id": account_ids[frame["account"].to_numpy()],
            "kind": frame["kind"],
            "opened_on": self.dates(frame["opened"].to_numpy()),
            "due_on": self.dates(frame["due"].to_numpy()),
            "closed_on": self.dates(frame["closed"].to_numpy(), frame["is_closed"].to_numpy()),
            "status": frame["status"],
            "severity": frame["severity"],
            "client_informed_on": self.dates(frame["informed"].to_numpy(),
                                             frame["told"].to_numpy()),
        })

    def broken_repair_promises(self, stories: Stories) -> pl.DataFrame:
        """Overdue repairs the client was never told about (and one told late).

        The uncoupling-risk account gets three; a few other key accounts get one each.
        """
        targets = [stories.uncoupling] * 3 + [int(i) for i in stories.downgrade[:2]]
        opened = np.array([-41, -26, -15, -33, -19])
        told = np.array([False, True, False, False, False])
        return pl.DataFrame({
            "account": np.array(targets), "kind": ["repair"] * 5, "opened": opened,
            "due": opened + 7, "closed": np.zeros(5, dtype=int),
            "is_closed": np.zeros(5, dtype=bool), "status": ["in_progress"] * 5,
            "severity": ["critical", "high", "high", "high", "medium"],
            "informed": opened + 9, "told": told,
        })

    def service_contracts(self, accounts: pl.DataFrame) -> pl.DataFrame:
        rng = self.rng
        tier = accounts["tier"].to_numpy()
        per_account = np.select([tier == "strategic", tier == "key"],
                                [rng.integers(3, 6, self.n), rng.integers(1, 4, self.n)],
                                rng.integers(0, 2, self.n))
        account = np.repeat(np.arange(self.n), per_account)
        k = len(account)
        value_by_tier = np.select([tier[account] == "strategic", tier[account] == "key"],
                                  [180_000.0, 60_000.0], 12_000.0)
        starts = -rng.integers(30, 1400, k)
        term_years = rng.integers(1, 4, k)
        ends = starts + term_years * 365 - 1
        # a contract that ran out was usually renewed: move it to its current term
        renewed = ends < -60
        cycles = np.where(renewed, np.ceil(-ends / (term_years * 365)), 0).astype(int)
        starts = starts + cycles * term_years * 365
        ends = ends + cycles * term_years * 365
        return pl.DataFrame({
            "contract_id": self.ids("K", k),
            "account_id": accounts["account_id"].to_numpy()[account],
            "kind": self.choice(CONTRACT_KINDS, k).tolist(),
            "annual_value": np.round(value_by_tier * rng.lognormal(0, 0.5, k), -2),
            "starts_on": self.dates(starts),
            "ends_on": self.dates(ends),
            "auto_renew": rng.random(k) < 0.4,
        })

    def relationship_events(self, accounts: pl.DataFrame, managers: pl.DataFrame,
                            stories: Stories) -> pl.DataFrame:
        rng = self.rng
        tier = accounts["tier"].to_numpy()
        rate = np.where(tier == "standard", 0.3, 1.5)
        per_account = rng.poisson(rate)
        account = np.repeat(np.arange(self.n), per_account)
        k = len(account)
        kind = self.choice(EVENT_KINDS, k, (0.1, 0.2, 0.2, 0.15, 0.1, 0.15, 0.1))
        frame = pl.DataFrame({
            "account": account,
            "day": -rng.integers(1, MONTHS * 30, k),
            "kind": kind.tolist(),
            "severity": self.choice(("low", "medium", "high"), k, (0.5, 0.35, 0.15)).tolist(),
            "note": [EVENT_NOTES[kind_] for kind_ in kind],
        })
        frame = pl.concat([frame, self.uncoupling_events(accounts, managers, stories)])
        frame = frame.sort("account", "day")
        return pl.DataFrame({
            "event_id": self.ids("E", frame.height),
            "account_id": accounts["account_id"].to_numpy()[frame["account"].to_numpy()],
            "occurred_on": self.dates(frame["day"].to_numpy()),
            "kind": frame["kind"],
            "severity": frame["severity"],
            "note": frame["note"],
        })

    @staticmethod
    def uncoupling_events(accounts: pl.DataFrame, managers: pl.DataFrame,
                          stories: Stories) -> pl.DataFrame:
        names = dict(zip(managers["manager_id"], managers["name"], strict=True))
        new = names[accounts["manager_id"][stories.uncoupling]]
        old = names[stories.previous_manager]
        events = (
            (-75, "kam_changed", "high", f"Key-account manager changed: {old} → {new}"),
            (-52, "key_contact_left", "high", "Head of maintenance, our champion, left"),
            (-34, "promise_broken", "high",
             "Repair of line 3 promised within a week, not done; client not told"),
            (-19, "promise_broken", "high",
             "Second repair deadline missed; client told two days later"),
            (-6, "complaint_escalated", "medium", "Plant director escalated to our CEO"),
        )
        return pl.DataFrame({
            "account": [stories.uncoupling] * len(events),
            "day": [e[0] for e in events],
            "kind": [e[1] for e in events],
            "severity": [e[2] for e in events],
            "note": [e[3] for e in events],
        })

    def mark_uncoupling_contact_left(self, contacts: pl.DataFrame,
                                     accounts: pl.DataFrame, stories: Stories) -> pl.DataFrame:
        account_id = accounts["account_id"][stories.uncoupling]
        first = contacts.with_row_index("i").filter(pl.col("account_id") == account_id)["i"][0]
        left = contacts["left_on"].to_list()
        left[first] = (self.as_of - 52).astype(date)
        titles = contacts["title"].to_list()
        titles[first] = "Head of Maintenance"
        return contacts.with_columns(pl.Series("left_on", left, dtype=pl.Date),
                                     pl.Series("title", titles))

    # -- everything -----------------------------------------------------------------

    def tables(self) -> dict[str, pl.DataFrame]:
        managers = self.managers()
        accounts = self.accounts(managers)
        stories = self.pick_stories(accounts, managers)
        accounts = self.client_sizes(self.apply_account_stories(accounts, stories), stories)
        deals, plan = self.deals(accounts)
        contacts, starts, per_account = self.contacts(accounts)
        contacts = self.mark_uncoupling_contact_left(contacts, accounts, stories)
        stalling = self.stalling_deals(plan, accounts)
        tables = {
            "managers": managers,
            "accounts": accounts,
            "account_metrics": self.account_metrics(accounts, stories),
            "deals": deals,
            "deal_stage_history": self.stage_history(deals, plan),
            "calls": self.calls(deals, plan, stalling),
            "contacts": contacts,
            "deal_contacts": self.deal_contacts(deals, plan, contacts, starts, per_account),
            "deliveries": self.deliveries(accounts, deals, plan),
            "service_cases": self.service_cases(accounts, stories),
            "service_contracts": self.service_contracts(accounts),
            "relationship_events": self.relationship_events(accounts, managers, stories),
            "portfolio_settings": pl.DataFrame({
                "key": ["currency", "source", "as_of_hint"],
                "value": [CURRENCY, f"demo scale={self.scale.name} seed", str(self.as_of)],
            }),
        }
        return self.after_sale_stories(tables, accounts, stories)


def generate(scale: str | int = "small", seed: int = DEFAULT_SEED) -> dict[str, pl.DataFrame]:
    """All tables of the demo portfolio as Polars frames (deterministic for a seed)."""
    tables = Demo(scale_from_spec(scale), seed).tables()
    settings = tables["portfolio_settings"]
    tables["portfolio_settings"] = settings.with_columns(
        pl.when(pl.col("key") == "source").then(pl.col("value") + f"={seed}")
        .otherwise(pl.col("value")).alias("value"))
    return tables


def build_demo_database(path: Path, scale: str | int = "small",
                        seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Write the demo portfolio to `path` atomically; returns the row count per table."""
    tables = generate(scale, seed)
    write_database(path, tables)
    return {name: frame.height for name, frame in tables.items()}


_build_lock = threading.Lock()


def ensure_served_database(link: Path | None = None) -> Path:
    """Return the served database (the real file), publishing the demo portfolio as the
    first release when there is none."""
    link = link or served_link_path()
    if link.exists():
        return link.resolve()
    with _build_lock:
        if not link.exists():
            tables = generate()
            publish_release(link, lambda target: write_database(target, tables))
    return link.resolve()
