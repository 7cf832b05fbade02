"""Writes the CSV files of this folder: a small export shaped like a Salesforce
data-seeding export (run it from anywhere; the output is committed beside it).

What makes it unlike the standard export of tests/data/salesforce/: ids in a `Guid`
column instead of `Id` (references hold those Guids), no User object (owners only as the
text of OwnerId), `#N/A` for empty values, amounts and AnnualRevenue partly in scientific
notation, an OpportunityContactRole.csv with a header and no rows, and picklist values
outside Salesforce's defaults: the stage "Proposal Sent", the case type "Onboarding" and
the case status "Waiting on Customer".
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).parent
OWNERS = ("0057Q00000A1bCdQAJ", "0057Q00000A1bCeQAJ", "0057Q00000A1bCfQAJ")
NA = "#N/A"


def guid(kind: int, n: int) -> str:
    return f"6f1c{kind:04x}-2b7e-4c1a-9d3e-{n:012x}"


# name, type, industry, AnnualRevenue, employees, country, parent (index), owner (index)
ACCOUNTS = [
    ("Nordwerk Maschinenbau AG", "Customer - Direct", "Machinery", "1.03444E11", "98000",
     "Germany", None, 0),
    ("Nordwerk Service GmbH", "Customer - Direct", "Machinery", "8.5E7", "420", "Germany",
     0, 0),
    ("Baltic Foods AB", "Customer - Channel", "Food & Beverage", "7.9e8", "2300", "Sweden",
     None, 1),
    ("Iberia Pharma SA", "Prospect", "Pharmaceuticals", "2.5E9", "5100", "Spain", None, 1),
    ("ООО «Северсталь-Сервис»", "Customer - Direct", "Steel", "450000000", "3900",
     "Russia", None, 2),
    ("Alpine Labs GmbH", NA, "Biotechnology", NA, NA, "Austria", None, 2),
    ("Cascade Mining Ltd", "Technology Partner", "Mining", "1.2E10", "15000", "Canada",
     None, 0),
    ("Delta Logistics BV", "Customer - Channel", "Transportation", "6.4E8", "1800",
     "Netherlands", None, 1),
]
# account, name, stage, amount, created, close, owner
OPPORTUNITIES = [
    (0, "Press line 4", "Prospecting", "4.5E5", "2024-02-12", "2024-09-30", 0),
    (0, "Spare parts 2024", "Qualification", "80000", "2024-01-22", "2024-06-28", 0),
    (0, "Robot cell retrofit", "Needs Analysis", "1.2E6", "2023-11-02", "2024-07-31", 0),
    (0, "Service contract 2024", "Closed Won", "3.6E5", "2023-09-14", "2023-12-20", 0),
    (1, "Hydraulic overhaul", "Value Proposition", "2.2E5", "2024-01-08", "2024-05-31", 0),
    (1, "Training package", "Closed Lost", "45000", "2023-06-01", "2023-10-15", 1),
    (2, "Packaging line", "Proposal Sent", "9.8E5", "2023-12-04", "2024-04-30", 1),
    (2, "Consumables 2024", "Closed Won", "1.5e5", "2023-10-10", "2024-01-15", 1),
    (2, "Line 2 upgrade", "Negotiation/Review", "6.1E5", "2023-08-21", "2024-03-29", 1),
    (3, "Clean room press", "Prospecting", NA, "2024-03-01", "2024-12-15", 1),
    (3, "Pilot plant", "Proposal Sent", "2.75E6", "2023-11-20", "2024-06-30", 1),
    (3, "Validation service", "Closed Lost", "1.8E5", "2023-05-05", "2023-09-30", 2),
    (4, "Rolling mill service", "Closed Won", "7.2E5", "2023-04-17", "2023-08-31", 2),
    (4, "Crane modernisation", "Needs Analysis", "1.9E6", "2024-01-29", "2024-10-31", 2),
    (4, "Spare parts framework", "Proposal Sent", "3.3E5", "2024-02-02", "2024-05-15", 2),
    (5, "Bioreactor line", "Qualification", "5.5E5", "2024-02-19", "2024-11-29", 2),
    (5, "Lab automation", "Closed Lost", "2.4E5", "2023-07-11", "2023-11-30", 2),
    (6, "Conveyor system", "Value Proposition", "3.1E6", "2023-10-30", "2024-06-14", 0),
    (6, "Drill rig service", "Closed Won", "8.8E5", "2023-03-13", "2023-07-31", 0),
    (6, "Remote monitoring", "Proposal Sent", "4.2E5", "2024-01-15", "2024-04-30", 0),
    (6, "Wear parts 2024", "Negotiation/Review", "2.6E5", "2023-12-11", "2024-03-31", 1),
    (7, "Warehouse robots", "Needs Analysis", "1.4E6", "2024-02-26", "2024-09-30", 1),
    (7, "Fleet service", "Closed Won", "3.9E5", "2023-02-06", "2023-06-30", 1),
    (7, "Sorting line", "Prospecting", "7.0E5", "2024-03-11", "2025-01-31", 1),
    (7, "Dock upgrade", "Closed Lost", "1.1E5", "2023-08-07", "2023-12-15", 2),
]
# account, first, last, title, email user
CONTACTS = [
    (0, "Jens", "Falk", "Head of Production", "jens.falk"),
    (0, "Petra", "Lindqvist", "Chief Financial Officer", "petra.lindqvist"),
    (0, "Marco", "Bauer", NA, "marco.bauer"),
    (1, "Sabine", "Ott", "Service Manager", "sabine.ott"),
    (2, "Erik", "Nilsson", "Plant Director", "erik.nilsson"),
    (2, "Karin", "Berg", "Purchasing", NA),
    (3, "Lucía", "Moreno", "Head of Engineering", "lucia.moreno"),
    (4, "Ирина", "Соколова", "Главный инженер", "irina.sokolova"),
    (5, "Thomas", "Huber", "Lab Manager", "thomas.huber"),
    (6, "Grace", "Tremblay", "VP Operations", "grace.tremblay"),
    (7, "Pieter", "de Vries", "Logistics Director", "pieter.devries"),
]
# account, type, status, priority, created, closed, subject
CASES = [
    (0, "Mechanical", "Closed", "High", "2024-01-08", "2024-01-10", "Hydraulic leak"),
    (0, "Electrical", "Working", "Medium", "2024-02-19", NA, "Drive cabinet overheating"),
    (2, "Onboarding", "Waiting on Customer", "Medium", "2024-02-01", NA, "Line 2 start-up"),
    (3, "Question", "New", "Low", "2024-03-04", NA, "Documentation request"),
    (4, NA, "Closed", "High", "2023-11-15", "2023-11-30", "Mill vibration"),
    (6, "Onboarding", "Closed", "Low", "2023-08-02", "2023-08-25", "Drill rig handover"),
    (7, "Electrical", "Escalated", "High", "2024-02-27", NA, "Sorter PLC faults"),
]


def write(name: str, header: list[str], rows: list[list[str]]) -> None:
    with (HERE / name).open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    write("Account.csv", ["Guid", "Name", "Type", "Industry", "AnnualRevenue",
                          "NumberOfEmployees", "BillingCountry", "ParentId", "OwnerId",
                          "CreatedDate"],
          [[guid(1, i), name, kind, industry, revenue, employees, country,
            guid(1, parent) if parent is not None else NA, OWNERS[owner],
            f"2019-0{1 + i % 9}-1{i}T09:30:00.000Z"]
           for i, (name, kind, industry, revenue, employees, country, parent, owner)
           in enumerate(ACCOUNTS)])
    write("Opportunity.csv", ["Guid", "AccountId", "Name", "StageName", "Amount",
                              "CloseDate", "CreatedDate", "IsClosed", "IsWon", "OwnerId"],
          [[guid(6, i), guid(1, account), f"{ACCOUNTS[account][0]} – {name}", stage, amount,
            close, f"{created}T08:15:00.000Z", str(stage.startswith("Closed")).lower(),
            str(stage == "Closed Won").lower(), OWNERS[owner]]
           for i, (account, name, stage, amount, created, close, owner)
           in enumerate(OPPORTUNITIES)])
    write("Contact.csv", ["Guid", "AccountId", "FirstName", "LastName", "Title", "Email"],
          [[guid(3, i), guid(1, account), first, last, title,
            f"{user}@example.com" if user != NA else NA]
           for i, (account, first, last, title, user) in enumerate(CONTACTS)])
    write("OpportunityContactRole.csv", ["Guid", "OpportunityId", "ContactId", "Role",
                                         "IsPrimary"], [])
    write("Case.csv", ["Guid", "AccountId", "Type", "Status", "Priority", "CreatedDate",
                       "ClosedDate", "Subject"],
          [[guid(5, i), guid(1, account), kind, status, priority, f"{created}T10:00:00.000Z",
            f"{closed}T16:00:00.000Z" if closed != NA else NA, subject]
           for i, (account, kind, status, priority, created, closed, subject)
           in enumerate(CASES)])


if __name__ == "__main__":
    main()
