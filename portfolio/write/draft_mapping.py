"""A starting mapping for a new export, drafted from its files' names, headers and values.

`draft_mapping(frames)` recognises each file by its name (Salesforce objects, the canonical
tables, common CRM export names), each canonical column by the file's column names (ids,
names, owners, dates, amounts), the date formats and number spellings by the values, and
writes every distinct value of a column that feeds an enumeration (deal stage,
buying-center role, case kind and status, severity, relationship stage, tier) into a value
map: with a guess where the value is a known spelling (Salesforce's default picklists and
the usual CRM words), else with "TODO", which `portfolio.write.mapping.load_mapping` refuses
until a person answers it. Required columns it finds no source for are TODOs as well, and
listed at the top. The result is TOML in the format of docs/mappings.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from portfolio.core.db import TABLES
from portfolio.write.mapping import NUMBER, NUMBER_COMMA, NUMBER_COMMA_GROUPED, NUMBER_GROUPED, TODO
from portfolio.write.mapping import data_model as mapping_model
from portfolio.write.sources import FILE, ROW
from portfolio.write.validate import table_rules

# ---------------------------------------------------------------------------------------
# Files: which table a file feeds, by its name (lower case, letters and digits only)

SALESFORCE_OBJECTS = {
    "user": "managers", "account": "accounts", "contact": "contacts",
    "opportunity": "deals", "opportunitycontactrole": "deal_contacts",
    "opportunityhistory": "deal_stage_history", "case": "service_cases",
}
# Words of common export names, most specific first (a file named after several takes the
# first: "OpportunityContactRoles" is a buying center, not deals).
FILE_WORDS = (
    ("contactrole", "deal_contacts"), ("buyingcent", "deal_contacts"),
    ("dealcontact", "deal_contacts"),
    ("stagehistor", "deal_stage_history"), ("opportunityhistor", "deal_stage_history"),
    ("dealhistor", "deal_stage_history"),
    ("servicecontract", "service_contracts"), ("contract", "service_contracts"),
    ("metric", "account_metrics"),
    ("servicecase", "service_cases"), ("ticket", "service_cases"), ("case", "service_cases"),
    ("opportunit", "deals"), ("deal", "deals"), ("pipeline", "deals"),
    ("account", "accounts"), ("compan", "accounts"), ("client", "accounts"),
    ("customer", "accounts"), ("organi", "accounts"),
    ("contact", "contacts"), ("people", "contacts"), ("person", "contacts"),
    ("team", "managers"), ("user", "managers"), ("owner", "managers"),
    ("manager", "managers"), ("agent", "managers"), ("employee", "managers"),
    ("deliver", "deliveries"), ("shipment", "deliveries"),
    ("call", "calls"), ("meeting", "calls"),
    ("event", "relationship_events"),
)

# ---------------------------------------------------------------------------------------
# Columns: candidate source names per canonical column, best first (normalised). The
# canonical name itself always comes first.

ID_NAMES = ("id", "guid", "uuid", "externalid")
ACCOUNT_REF = ("accountid", "accountguid", "account", "accountname", "companyid", "company",
               "clientid", "client", "customerid", "customer")
OWNER_REF = ("ownerid", "owner", "ownername", "accountowner", "salesagent", "agent",
             "salesrep", "rep", "accountmanager", "kam")
CANDIDATES: dict[str, dict[str, tuple[str, ...]]] = {
    "managers": {
        "manager_id": (*ID_NAMES, "userid", "employeeid", "agentid"),
        "name": ("name", "fullname", "salesagent", "agent", "username", "owner", "ownername",
                 "employee", "employeename"),
        "email": ("email", "emailaddress", "mail"),
        "region": ("region", "division", "regionaloffice", "office", "territory"),
        "reports_to": ("managerid", "reportsto", "reportstoid", "manager", "supervisor"),
    },
    "accounts": {
        "account_id": (*ID_NAMES, "accountnumber"),
        "name": ("name", "accountname", "account", "company", "companyname", "client",
                 "clientname", "customer", "customername", "organization", "organisation"),
        "industry": ("industry", "sector", "vertical"),
        "region": ("region", "territory", "salesregion"),
        "country": ("country", "billingcountry", "shippingcountry", "officelocation",
                    "location", "countrycode"),
        "parent_account_id": ("parentid", "parentaccountid", "parentguid", "parent",
                              "parentaccount", "subsidiaryof"),
        "manager_id": OWNER_REF,
        "tier": ("tier", "accounttier", "segment", "customertier", "kamtier"),
        "kam_stage": ("kamstage", "relationshipstage", "type", "accounttype"),
        "key_since": ("keysince", "keyaccountsince"),
    },
    "deals": {
        "deal_id": (*ID_NAMES, "opportunityid", "opportunity"),
        "account_id": ACCOUNT_REF,
        "name": ("name", "opportunityname", "dealname", "title", "subject"),
        "product_line": ("productline", "product", "productfamily", "series"),
        "value": ("amount", "value", "closevalue", "dealvalue", "expectedrevenue"),
        "stage": ("stagename", "stage", "dealstage", "salesstage", "status"),
        "opened_on": ("createddate", "createdon", "created", "opendate", "openedon",
                      "engagedate", "startdate", "datecreated"),
        "stage_entered_on": ("laststagechangedate", "stageenteredon", "stagechangedate"),
        "expected_close_on": ("closedate", "expectedclosedate", "expectedcloseon"),
        "closed_on": ("closeddate", "closedon", "actualclosedate", "closedate"),
        "owner_id": OWNER_REF,
    },
    "deal_stage_history": {
        "deal_id": ("opportunityid", "dealid", "opportunity", "deal"),
        "stage": ("stagename", "stage", "dealstage"),
        "entered_on": ("enteredon", "createddate", "changedate", "date"),
    },
    "calls": {
        "call_id": (*ID_NAMES, "activityid"),
        "deal_id": ("opportunityid", "dealid", "whatid"),
        "occurred_on": ("occurredon", "activitydate", "date", "createddate"),
        "outcome": ("outcome", "result", "callresult"),
        "note": ("note", "subject", "description"),
    },
    "contacts": {
        "contact_id": (*ID_NAMES,),
        "account_id": ACCOUNT_REF,
        "name": ("name", "fullname", "contactname"),
        "title": ("title", "jobtitle", "position"),
        "email": ("email", "emailaddress"),
        "left_on": ("lefton", "leftdate", "enddate"),
    },
    "deal_contacts": {
        "deal_id": ("opportunityid", "dealid", "opportunity", "deal"),
        "contact_id": ("contactid", "contact"),
        "role": ("role", "contactrole", "buyingrole"),
        "attitude": ("attitude", "attitudec", "sentiment"),
        "last_contact_on": ("lastcontacton", "lastcontactdate", "lastactivitydate"),
    },
    "deliveries": {
        "delivery_id": (*ID_NAMES, "shipmentid"),
        "account_id": ACCOUNT_REF,
        "deal_id": ("opportunityid", "dealid"),
        "promised_on": ("promisedon", "promiseddate", "duedate"),
        "delivered_on": ("deliveredon", "deliverydate", "shippeddate"),
    },
    "service_cases": {
        "case_id": (*ID_NAMES, "caseid", "ticketid", "casenumber", "number", "ticket"),
        "account_id": ACCOUNT_REF,
        "kind": ("kind", "type", "casetype", "category", "tickettype"),
        "opened_on": ("createddate", "createdon", "created", "openedon", "opendate", "opened"),
        "due_on": ("dueon", "duedate", "sladuedate", "due"),
        "closed_on": ("closeddate", "closedon", "closed", "resolvedon", "resolveddate"),
        "status": ("status", "state"),
        "severity": ("severity", "priority"),
        "client_informed_on": ("clientinformedon", "clientinformedc", "customernotifiedon"),
    },
    "service_contracts": {
        "contract_id": (*ID_NAMES, "contractnumber"),
        "account_id": ACCOUNT_REF,
        "kind": ("kind", "type", "contracttype"),
        "annual_value": ("annualvalue", "value", "amount"),
        "starts_on": ("startson", "startdate"),
        "ends_on": ("endson", "enddate"),
    },
}
NUMBER_COLUMNS = {("deals", "value"), ("service_contracts", "annual_value")}
# Where a table's rows name another table's row: the table they refer to.
REFERS_TO = {"account_id": "accounts", "parent_account_id": "accounts", "deal_id": "deals",
             "contact_id": "contacts", "manager_id": "managers", "owner_id": "managers",
             "reports_to": "managers"}
KEYS = {"managers": "manager_id", "accounts": "account_id", "deals": "deal_id",
        "contacts": "contact_id", "service_cases": "case_id", "calls": "call_id",
        "deliveries": "delivery_id", "service_contracts": "contract_id"}

# ---------------------------------------------------------------------------------------
# Values of enumerations: known spellings (normalised) -> canonical value, with why.

STAGES = {
    "prospecting": "preliminaries", "prospect": "preliminaries", "lead": "preliminaries",
    "new": "preliminaries", "qualification": "preliminaries", "qualify": "preliminaries",
    "initialcontact": "preliminaries", "preliminaries": "preliminaries",
    "needsanalysis": "investigation", "discovery": "investigation",
    "engaging": "investigation", "engaged": "investigation", "investigation": "investigation",
    "valueproposition": "demonstrating_capability",
    "iddecisionmakers": "demonstrating_capability",
    "perceptionanalysis": "demonstrating_capability",
    "demo": "demonstrating_capability", "demonstration": "demonstrating_capability",
    "demonstratingcapability": "demonstrating_capability",
    "proposalpricequote": "obtaining_commitment", "negotiationreview": "obtaining_commitment",
    "negotiation": "obtaining_commitment", "obtainingcommitment": "obtaining_commitment",
    "closedwon": "won", "won": "won", "closedlost": "lost", "lost": "lost",
}
STAGE_HINTS = (("proposal", "obtaining_commitment"), ("quote", "obtaining_commitment"),
               ("negotiat", "obtaining_commitment"), ("contract", "obtaining_commitment"),
               ("demo", "demonstrating_capability"), ("present", "demonstrating_capability"),
               ("trial", "demonstrating_capability"), ("qualif", "preliminaries"),
               ("won", "won"), ("lost", "lost"))
ROLES = {
    # Salesforce's default contact roles onto the seven roles of the buying center.
    "businessuser": "user", "decisionmaker": "decider", "economicdecisionmaker": "decider",
    # the Economic Buyer releases the money: authorises what the deciders chose
    "economicbuyer": "approver", "executivesponsor": "approver",
    # a Technical Buyer and an Evaluator judge the offer against the specification
    "technicalbuyer": "influencer", "evaluator": "influencer", "influencer": "influencer",
    "other": "influencer",
    "initiator": "initiator", "user": "user", "gatekeeper": "gatekeeper", "buyer": "buyer",
    "purchasing": "buyer", "procurement": "buyer", "decider": "decider",
    "approver": "approver",
}
CASE_KINDS = {
    "mechanical": "repair", "electrical": "repair", "electronic": "repair",
    "structural": "repair", "problem": "repair", "repair": "repair", "breakdown": "repair",
    "question": "training", "training": "training", "featurerequest": "upgrade",
    "upgrade": "upgrade", "other": "maintenance", "maintenance": "maintenance",
    "installation": "installation", "complaint": "complaint", "billing": "invoicing",
    "invoice": "invoicing", "invoicing": "invoicing",
}
CASE_STATUSES = {
    "new": "open", "open": "open", "working": "in_progress", "escalated": "in_progress",
    "onhold": "in_progress", "inprogress": "in_progress", "pending": "in_progress",
    "closed": "done", "resolved": "done", "solved": "done", "done": "done",
    "completed": "done", "cancelled": "cancelled", "canceled": "cancelled",
}
SEVERITIES = {"low": "low", "medium": "medium", "normal": "medium", "high": "high",
              "critical": "critical", "urgent": "critical"}
KAM_STAGES = {
    # Salesforce's default account types: how well we know the client
    "prospect": "pre_kam", "customerdirect": "mid_kam", "customerchannel": "early_kam",
    "channelpartnerreseller": "early_kam", "installationpartner": "early_kam",
    "technologypartner": "partnership_kam", "other": "early_kam",
    **{s.replace("_", ""): s for s in ("pre_kam", "early_kam", "mid_kam", "partnership_kam",
                                       "synergistic_kam", "uncoupling_kam")},
}
TIERS = {"strategic": "strategic", "key": "key", "keyaccount": "key", "standard": "standard"}
ATTITUDES = {"champion": "champion", "supporter": "supporter", "neutral": "neutral",
             "skeptic": "skeptic", "sceptic": "skeptic", "opponent": "opponent",
             "detractor": "opponent"}
OUTCOMES = {"advance": "advance", "continuation": "continuation", "order": "order",
            "nosale": "no_sale"}
CONTRACT_KINDS = {"maintenance": "maintenance", "consumables": "consumables",
                  "spareparts": "spare_parts", "spares": "spare_parts",
                  "training": "training", "support": "support"}
VOCABULARIES: dict[tuple[str, str], dict[str, str]] = {
    ("deals", "stage"): STAGES, ("deal_stage_history", "stage"): STAGES,
    ("deal_contacts", "role"): ROLES, ("deal_contacts", "attitude"): ATTITUDES,
    ("service_cases", "kind"): CASE_KINDS, ("service_cases", "status"): CASE_STATUSES,
    ("service_cases", "severity"): SEVERITIES, ("accounts", "kam_stage"): KAM_STAGES,
    ("accounts", "tier"): TIERS, ("calls", "outcome"): OUTCOMES,
    ("service_contracts", "kind"): CONTRACT_KINDS,
}
HINTS = {("deals", "stage"): STAGE_HINTS, ("deal_stage_history", "stage"): STAGE_HINTS,
         ("service_cases", "kind"): (("onboard", "installation"), ("install", "installation"),
                                     ("train", "training"), ("bill", "invoicing"),
                                     ("fault", "repair"), ("defect", "repair"))}
# A column with no values (a header-only file) gets Salesforce's defaults written in.
SALESFORCE_DEFAULTS = {
    ("deals", "stage"): ("Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
                         "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
                         "Negotiation/Review", "Closed Won", "Closed Lost"),
    ("deal_contacts", "role"): ("Business User", "Decision Maker", "Economic Buyer",
                                "Economic Decision Maker", "Evaluator", "Executive Sponsor",
                                "Influencer", "Technical Buyer", "Other"),
    ("service_cases", "kind"): ("Mechanical", "Electrical", "Electronic", "Structural",
                                "Other"),
    ("service_cases", "status"): ("New", "Working", "Escalated", "Closed"),
    ("service_cases", "severity"): ("Low", "Medium", "High"),
}
# Required enumerations a row cannot do without: the value an empty source cell takes.
EMPTY_DEFAULTS = {("deal_contacts", "role"): "influencer",
                  ("service_cases", "kind"): "maintenance",
                  ("accounts", "kam_stage"): "early_kam"}

DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%.fZ", "%Y-%m-%dT%H:%M:%SZ",
                "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y", "%d/%m/%Y",
                "%m/%d/%Y", "%Y/%m/%d", "%d-%m-%Y")
TIME_PARTS = ("%H", "%M", "%S")
REVENUE_NAMES = ("annualrevenue", "revenue", "turnover", "sales")
TIER_SHARES = (0.7, 0.9)   # revenue percentiles: the top 30 % key, the top 10 % strategic


def normalised(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def recognise(file_name: str) -> tuple[str, str] | None:
    """(table, why) for a file name, or None."""
    stem = file_name.rsplit(".", 1)[0]
    word = normalised(stem)
    for table in TABLES:
        if word == normalised(table) or stem.lower().split(".")[0] == table:
            return table, "a table of the data model"
    if word in SALESFORCE_OBJECTS:
        return SALESFORCE_OBJECTS[word], f"the Salesforce object {stem}"
    for part, table in FILE_WORDS:
        if part in word:
            return table, f"its name ({part!r})"
    return None


# ---------------------------------------------------------------------------------------
# The draft


@dataclass
class Source:
    name: str
    frame: pl.DataFrame
    table: str
    why: str

    @property
    def headers(self) -> dict[str, str]:
        """normalised -> the header as written."""
        return {normalised(c): c for c in self.frame.columns if c not in (FILE, ROW)}

    def find(self, candidates: Iterable[str]) -> str | None:
        headers = self.headers
        return next((headers[c] for c in candidates if c in headers), None)

    def values(self, column: str) -> pl.Series:
        """The column's non-empty values, trimmed."""
        values = self.frame[column].str.strip_chars()
        return values.filter(values.is_not_null() & (values != ""))


@dataclass
class Entry:
    source: Source | None
    table: str
    simple: list[str] = field(default_factory=list)       # lines under [<table>.columns]
    blocks: list[list[str]] = field(default_factory=list)  # sub-tables with their comments
    head: list[str] = field(default_factory=list)         # lines after [[<table>]]
    used: set[str] = field(default_factory=set)

    def put(self, target: str, spec: str, comment: str = "") -> None:
        self.simple.append(f"{target} = {spec}" + (f"   # {comment}" if comment else ""))


@dataclass
class Draft:
    entries: list[Entry] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)     # required columns not found
    constants: list[str] = field(default_factory=list)   # required columns made constant
    todos: int = 0


def quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def inline(**parts: str) -> str:
    return "{ " + ", ".join(f"{k} = {v}" for k, v in parts.items()) + " }"


def draft_mapping(frames: dict[str, pl.DataFrame], sources_label: str) -> tuple[str, Draft]:
    """The TOML text of a starting mapping for these files (name -> read_table_file frame)."""
    recognised = {}
    for name, frame in frames.items():
        found = recognise(name)
        if found is not None:
            recognised[name] = Source(name, frame, *found)
    drafter = _Drafter(list(recognised.values()))
    draft = drafter.run()
    return render(draft, recognised, frames, sources_label), draft


class _Drafter:
    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        self.by_table: dict[str, list[Source]] = {}
        for source in sources:
            self.by_table.setdefault(source.table, []).append(source)
        self.model = mapping_model()
        self.enums = {name: rules.enums for name, rules in table_rules().items()}
        self.draft = Draft()
        # tables whose ids this draft derives from names (slug = true): references by
        # name to them are slugged the same way
        self.slugged: set[str] = set()
        self.owner_managers: Source | None = None   # managers made from owners' ids

    def run(self) -> Draft:
        for table in KEYS:
            for source in self.by_table.get(table, []):
                if source.find(key_candidates(source)) is None:
                    self.slugged.add(table)
        if "managers" not in self.by_table:
            self.managers_from_owners()
        entries = []
        for table in TABLES:
            for source in self.by_table.get(table, []):
                entries += self.entries_for(source)
        if self.owner_managers is not None:
            entries.insert(0, self.owners_entry(self.owner_managers))
        self.draft.entries = entries
        return self.draft

    # -- managers when the export has no user file ------------------------------------

    def managers_from_owners(self) -> None:
        for source in self.by_table.get("accounts", []):
            if source.find(CANDIDATES["accounts"]["manager_id"]) is not None:
                self.owner_managers = source
                return

    def owners_entry(self, source: Source) -> Entry:
        owner = source.find(CANDIDATES["accounts"]["manager_id"])
        assert owner is not None
        entry = Entry(source, "managers")
        entry.head += [f"# No user file: the managers are the owners named in {source.name}'s "
                       f"{owner} column,", "# with that text as their name until a user "
                       "export (or a lookup into one) gives names.",
                       "distinct = true"]
        slug = "managers" in self.slugged or not _is_id(owner)
        spec = inline(column=quoted(owner), slug="true") if slug else quoted(owner)
        entry.put("manager_id", spec)
        entry.put("name", quoted(owner))
        entry.used.add(owner)
        if slug:
            self.slugged.add("managers")
        return entry

    # -- one source file ----------------------------------------------------------------

    def entries_for(self, source: Source) -> list[Entry]:
        entry = Entry(source, source.table)
        entry.head.append('on_unplaced = "report"   # "skip": leave out (and list) the rows '
                          "that cannot be placed")
        if source.table == "deal_contacts":
            entry.head.append('distinct = ["deal_id", "contact_id", "role"]   # two source '
                              "roles may map onto one")
        shape = self.model[source.table]
        for target in shape.columns:
            self.column(entry, target, target in shape.required)
        extra = []
        if source.table == "managers":
            extra = self.bosses_entry(source)
        return [entry, *extra]

    def column(self, entry: Entry, target: str, required: bool) -> None:
        source = entry.source
        assert source is not None
        table = source.table
        candidates = (key_candidates(source) if target == KEYS.get(table)
                      else (normalised(target), *CANDIDATES.get(table, {}).get(target, ())))
        if table == "managers" and target == "reports_to":
            candidates = tuple(c for c in candidates if c != "id")
        special = getattr(self, f"col_{table}_{target}", None)
        if special is not None and special(entry, candidates):
            return
        found = source.find(candidates)
        if found is None:
            if target == KEYS.get(table) and table in self.slugged:
                name = source.find(CANDIDATES[table]["name"])
                if name is not None:
                    entry.used.add(name)
                    entry.put(target, inline(column=quoted(name), slug="true"),
                              f"no id column: an id derived from {name}")
                    return
            if target == "name" and table in ("managers", "contacts"):
                first, last = source.find(("firstname",)), source.find(("lastname",))
                if first and last:
                    entry.put(target, inline(concat=f"[{quoted(first)}, {quoted(last)}]"))
                    entry.used |= {first, last}
                    return
            if required:
                self.missing(entry, target)
            return
        entry.used.add(found)
        enum = self.enums.get(table, {}).get(target)
        empties = source.frame.height - source.values(found).len()
        if required and empties and not enum:
            entry.simple.append(f"# {rows(empties)} no {found}, and {table}.{target} is "
                                'required: they are refused (on_unplaced = "skip" leaves them '
                                "out, listed), unless a default = ... is given")
        if enum:
            self.value_map(entry, target, found, required)
        elif target.endswith("_on") or target in ("month", "key_since"):
            entry.put(target, self.date_spec(source, found))
        elif (table, target) in NUMBER_COLUMNS:
            entry.put(target, self.number_spec(source, found))
        elif self.refers_by_name(table, target, found):
            entry.put(target, inline(column=quoted(found), slug="true"),
                      f"the id derived from the name, as in the {REFERS_TO[target]} entry")
        else:
            entry.put(target, quoted(found))

    def refers_by_name(self, table: str, target: str, column: str) -> bool:
        """A reference written as a name to a table whose ids this draft derives from
        names: derived the same way."""
        referred = REFERS_TO.get(target)
        return (referred is not None and target != KEYS.get(table)
                and referred in self.slugged and not _is_id(column))

    def missing(self, entry: Entry, target: str) -> None:
        assert entry.source is not None
        entry.put(target, quoted(TODO), f"TODO: which column of {entry.source.name} gives "
                  f"{entry.table}.{target}? (required)")
        self.draft.missing.append(f"{entry.table}.{target} (from {entry.source.name})")
        self.draft.todos += 1

    # -- columns with their own rules ---------------------------------------------------

    def col_accounts_manager_id(self, entry: Entry, candidates: tuple[str, ...]) -> bool:
        """The owner column, else the owner with the most deals on the account."""
        source = entry.source
        assert source is not None
        if source.find(candidates) is not None:
            return False
        key = self.key_source_column(source)
        for deals in self.by_table.get("deals", []):
            account = deals.find(ACCOUNT_REF)
            owner = deals.find(OWNER_REF)
            if key and account and owner:
                spec = inline(lookup=quoted(deals.name), on=quoted(key), match=quoted(account),
                              take=quoted(owner), pick='"most_frequent"',
                              **({"slug": "true"} if "managers" in self.slugged else {}))
                entry.put("manager_id", spec, f"no owner column: the {owner} with the most "
                          f"rows in {deals.name} (ties: the alphabetically first)")
                return True
        return False

    def col_accounts_tier(self, entry: Entry, candidates: tuple[str, ...]) -> bool:
        """A tier column's values, else bins of the annual revenue."""
        source = entry.source
        assert source is not None
        if source.find(candidates) is not None:
            return False
        revenue = source.find(REVENUE_NAMES)
        if revenue is None:
            return False
        numbers = _numbers(source.values(revenue))
        if numbers.len() == 0:
            return False
        edges = [_round(float(numbers.quantile(q, "nearest"))) for q in TIER_SHARES]
        if edges[0] >= edges[1]:
            edges = [edges[0], edges[0] * 2 or 1]
        bins = inline(edges=f"[{_number(edges[0])}, {_number(edges[1])}]",
                      labels='["standard", "key", "strategic"]')
        entry.put("tier", inline(column=quoted(revenue), bins=bins, default='"standard"'),
                  f"by {revenue}: the top 10 % strategic, the next 20 % key (edit the edges)")
        entry.used.add(revenue)
        return True

    def col_accounts_kam_stage(self, entry: Entry, candidates: tuple[str, ...]) -> bool:
        source = entry.source
        assert source is not None
        if source.find(candidates) is not None:
            return False
        entry.put("kam_stage", quoted_value("mid_kam"), "no relationship-stage column: every "
                  "account starts in mid_kam (pre_kam, early_kam, mid_kam, partnership_kam, "
                  "synergistic_kam, uncoupling_kam)")
        self.draft.constants.append(f"accounts.kam_stage = \"mid_kam\" (from {source.name}: "
                                    "no relationship-stage column)")
        return True

    def col_deals_closed_on(self, entry: Entry, candidates: tuple[str, ...]) -> bool:
        """A close date counts as closed only for won and lost deals (else it is planned)."""
        source = entry.source
        assert source is not None
        column = source.find(candidates)
        if column is None:
            return False
        date = self.date_spec(source, column, inner=True)
        entry.used.add(column)
        closed = source.find(("isclosed", "closed"))
        if closed is not None:
            entry.put("closed_on", "{ " + date + ", when = " + inline(
                column=quoted(closed), **{"in": '["true", "TRUE", "1"]'}) + " }",
                f"the close date is the planned one while {closed} is false")
            entry.used.add(closed)
            return True
        stage = source.find(CANDIDATES["deals"]["stage"])
        if stage is None:
            return False
        finished = [v for v in _distinct(source.values(stage))
                    if STAGES.get(normalised(v)) in ("won", "lost")]
        if not finished:
            return False
        entry.used.add(stage)
        entry.put("closed_on", "{ " + date + ", when = " + inline(
            column=quoted(stage), **{"in": "[" + ", ".join(quoted(v) for v in finished) + "]"})
            + " }", "the close date of won and lost deals only")
        return True

    def col_deals_owner_id(self, entry: Entry, candidates: tuple[str, ...]) -> bool:
        source = entry.source
        assert source is not None
        owner = source.find(candidates)
        if owner is None or self.owner_managers is None:
            return False
        entry.simple.append(f"# owner_id = {quoted(owner)}   # not mapped: without a user file "
                            "the managers are the account owners only, so an owner of deals "
                            "alone would match no manager; the account's manager stands in")
        entry.used.add(owner)
        return True

    def key_source_column(self, source: Source) -> str | None:
        """The column of the source its rows' ids come from (the name, when slugged)."""
        table = source.table
        if table in self.slugged:
            return source.find(CANDIDATES[table]["name"])
        return source.find(key_candidates(source))

    def bosses_entry(self, source: Source) -> list[Entry]:
        """Managers named only as someone's boss (reports_to) get rows of their own."""
        boss = source.find(tuple(c for c in CANDIDATES["managers"]["reports_to"] if c != "id"))
        own = self.key_source_column(source)
        if boss is None or own is None:
            return []
        missing = set(_distinct(source.values(boss))) - set(_distinct(source.values(own)))
        if not missing:
            return []
        extra = Entry(source, "managers")
        extra.head += [f"# The {boss} column names {len(missing)} people who have no row of "
                       "their own: they become managers too.",
                       'distinct = ["manager_id"]']
        slug = "managers" in self.slugged
        extra.used.add(boss)
        extra.put("manager_id", inline(column=quoted(boss), slug="true") if slug
                  else quoted(boss))
        if slug:
            extra.put("name", quoted(boss))
        else:
            extra.put("name", quoted(boss), "an id as the name until names are known")
        region = source.find(CANDIDATES["managers"]["region"])
        if region is not None:
            extra.put("region", quoted(region))
        return [extra]

    # -- values -------------------------------------------------------------------------

    def value_map(self, entry: Entry, target: str, column: str, required: bool) -> None:
        source = entry.source
        assert source is not None
        table = source.table
        allowed = self.enums[table][target]
        counts = (source.values(column).value_counts(sort=True, name="n")
                  .sort(["n", column], descending=[True, False]))
        lines = []
        vocabulary = VOCABULARIES.get((table, target), {})
        values = [(v, int(n)) for v, n in counts.iter_rows()]
        note = ""
        if not values:
            defaults = SALESFORCE_DEFAULTS.get((table, target), allowed)
            values = [(v, 0) for v in defaults]
            note = (f"# {source.name} has no values in {column}: Salesforce's defaults (or the "
                    "canonical values) are written in; add your own")
        for value, n in values:
            guess = vocabulary.get(normalised(value))
            if guess is None and value in allowed:
                guess = value
            count = f"{n:,} row{'s' if n != 1 else ''}" if n else "no rows yet"
            if guess is not None:
                lines.append(f"{quoted(value)} = {quoted(guess)}   # {count}")
                continue
            hint = next((h for part, h in HINTS.get((table, target), ())
                         if part in normalised(value)), None)
            perhaps = f"; perhaps {hint}" if hint else ""
            lines.append(f"{quoted(value)} = {quoted(TODO)}   # TODO ({count}): one of "
                         f"{', '.join(allowed)}{perhaps}")
            self.draft.todos += 1
        key = f"{table}.columns.{target}"
        block = [f"[{key}]", f"column = {quoted(column)}"]
        empties = source.frame.height - source.values(column).len()
        if required and empties:
            fallback = EMPTY_DEFAULTS.get((table, target))
            if fallback is not None:
                block.append(f"default = {quoted(fallback)}   # {rows(empties)} no "
                             f"{column}")
        block += [f"[{key}.map]"] + ([note] if note else []) + lines
        entry.blocks.append(block)

    def date_spec(self, source: Source, column: str, inner: bool = False) -> str:
        formats = _date_formats(source.values(column))
        if formats is None:
            self.draft.todos += 1
            text = f"column = {quoted(column)}, date = {quoted(TODO)}"
        else:
            shown = (quoted(formats[0]) if len(formats) == 1
                     else "[" + ", ".join(quoted(f) for f in formats) + "]")
            text = f"column = {quoted(column)}, date = {shown}"
        return text if inner else "{ " + text + " }"

    def number_spec(self, source: Source, column: str) -> str:
        values = source.values(column).str.replace_all(r"[ \u00a0\u202f']", "")
        dot = values.str.contains(NUMBER) | values.str.contains(NUMBER_GROUPED)
        comma = values.str.contains(NUMBER_COMMA) | values.str.contains(NUMBER_COMMA_GROUPED)
        if values.len() and not dot.all() and comma.all():
            return inline(column=quoted(column), number="true", decimal_comma="true")
        return inline(column=quoted(column), number="true")


def key_candidates(source: Source) -> tuple[str, ...]:
    """Names of the column holding a file's own ids: the canonical name, the usual ones, and
    the file's name in the singular with "id" (clients.csv: client_id, ClientID)."""
    key = KEYS[source.table]
    stem = normalised(source.name.rsplit(".", 1)[0])
    singular = (stem[:-3] + "y" if stem.endswith("ies")
                else stem[:-1] if stem.endswith("s") else stem)
    return (normalised(key), *CANDIDATES[source.table][key], f"{singular}id", f"{stem}id")


def rows(n: int) -> str:
    """'1 row has', '3 rows have'."""
    return f"{n:,} row has" if n == 1 else f"{n:,} rows have"


def quoted_value(value: str) -> str:
    return inline(value=quoted(value))


def _is_id(column: str) -> bool:
    word = normalised(column)
    return word.endswith(("id", "guid", "uuid")) or word in ("id", "guid")


def _distinct(values: pl.Series) -> list[str]:
    return sorted(values.unique().to_list())


def _numbers(values: pl.Series) -> pl.Series:
    """The values that read as numbers (thousands separators and spaces ignored)."""
    numbers = values.str.replace_all(r"[ \u00a0\u202f',]", "").cast(pl.Float64, strict=False)
    return numbers.filter(numbers.is_finite().fill_null(False))


def _round(value: float) -> float:
    """Two significant digits: an edge a person reads at a glance."""
    if value <= 0:
        return 0.0
    return float(f"{value:.2g}")


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _date_formats(values: pl.Series) -> list[str] | None:
    """Formats (as few as possible, the commonest first) that read every value."""
    if values.len() == 0:
        return ["%Y-%m-%d"]
    remaining = values
    chosen: list[str] = []
    while remaining.len():
        best, best_read = None, None
        for fmt in DATE_FORMATS:
            if fmt in chosen:
                continue
            read = _parses(remaining, fmt)
            if read.sum() and (best_read is None or read.sum() > best_read.sum()):
                best, best_read = fmt, read
        if best is None or best_read is None:
            return None
        chosen.append(best)
        remaining = remaining.filter(~best_read)
    return chosen


def _parses(values: pl.Series, fmt: str) -> pl.Series:
    kind = pl.Datetime if any(p in fmt for p in TIME_PARTS) else pl.Date
    return values.str.strptime(kind, fmt, strict=False).is_not_null()


# ---------------------------------------------------------------------------------------
# Writing the TOML


def render(draft: Draft, recognised: dict[str, Source], frames: dict[str, pl.DataFrame],
           sources_label: str) -> str:
    lines = [
        "# A starting mapping drafted by `python -m portfolio draft-mapping` from",
        f"# {sources_label}. Check every guess, answer every TODO, then import:",
        f"#   python -m portfolio import {sources_label} --mapping THIS_FILE",
        f"# The import refuses this file while a TODO is left ({draft.todos} now). The format is",
        "# explained in docs/mappings.md.",
        "#",
        "# Files:",
    ]
    width = max((len(n) for n in frames), default=0)
    for name, frame in frames.items():
        rows = f"{frame.height:,} row{'s' if frame.height != 1 else ''}"
        if name in recognised:
            source = recognised[name]
            lines.append(f"#   {name:<{width}}  {rows:>12}  -> {source.table} "
                         f"(recognised by {source.why})")
        else:
            lines.append(f"#   {name:<{width}}  {rows:>12}  -> not recognised: no entry (a "
                         "lookup may read it)")
    if draft.missing:
        lines += ["#", "# Required columns not found (TODO in their entry):"]
        lines += [f"#   {m}" for m in draft.missing]
    if draft.constants:
        lines += ["#", "# Required columns given a constant (no column found; check them):"]
        lines += [f"#   {c}" for c in draft.constants]
    lines += ["", "[import]", f"description = {quoted('Drafted from ' + sources_label)}",
              "carry_over = true   # tables without an entry are kept from the current release;"
              " false: they start empty"]
    for entry in draft.entries:
        lines += ["", f"[[{entry.table}]]"]
        if entry.source is not None:
            lines.append(f"file = {quoted(entry.source.name)}")
        lines += entry.head
        lines += [f"[{entry.table}.columns]", *entry.simple]
        for block in entry.blocks:
            lines += block
        if entry.source is not None and entry.head and entry.head[0].startswith("on_unplaced"):
            unused = [c for c in entry.source.frame.columns
                      if c not in (FILE, ROW) and c not in entry.used]
            if unused:
                lines.append(f"# not used from {entry.source.name}: {', '.join(unused)}")
    return "\n".join(lines) + "\n"
