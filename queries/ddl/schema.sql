-- The canonical portfolio data model (../shared/DATA_MODEL.md), as DuckDB DDL.
-- This file is the one place the schema lives: the demo generator, the importer and the
-- tests all create databases from it. Enumerations are CHECK constraints, keys are
-- PRIMARY KEY / UNIQUE, references are FOREIGN KEY. Tables are listed parents first.
-- Tables only: the business rules the queries share are macros in queries/rules/macros.sql,
-- installed when the dashboard reads a file, so that changing a rule changes no file.

CREATE TABLE managers (
    manager_id  VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    email       VARCHAR,
    region      VARCHAR,
    reports_to  VARCHAR REFERENCES managers (manager_id)
);

CREATE TABLE accounts (
    account_id         VARCHAR PRIMARY KEY,
    name               VARCHAR NOT NULL,
    industry           VARCHAR,
    region             VARCHAR,
    country            VARCHAR,
    parent_account_id  VARCHAR REFERENCES accounts (account_id),
    manager_id         VARCHAR NOT NULL REFERENCES managers (manager_id),
    tier               VARCHAR NOT NULL
        CHECK (tier IN ('strategic', 'key', 'standard')),
    kam_stage          VARCHAR NOT NULL
        CHECK (kam_stage IN ('pre_kam', 'early_kam', 'mid_kam', 'partnership_kam',
                             'synergistic_kam', 'uncoupling_kam')),
    key_since          DATE,
    -- the client's own size as the export gives it (optional): its annual revenue, in the
    -- units named by portfolio_settings `annual_revenue_unit` (default 1 = the database
    -- currency; the CRM data set's mapping gives 1000000: millions), and its employees
    annual_revenue     DECIMAL(18, 2) CHECK (annual_revenue >= 0),
    employees          INTEGER CHECK (employees >= 0)
);

-- Every measure is optional: a row holds what the feeds imported for the account and month
-- know (finance the revenue mix and margin, a credit agency the financial health, market
-- research the market share); NULL = no feed says. Files of several feeds combine by
-- (account_id, month) on import.
CREATE TABLE account_metrics (
    account_id               VARCHAR NOT NULL REFERENCES accounts (account_id),
    month                    DATE NOT NULL CHECK (dayofmonth(month) = 1),
    equipment_revenue        DECIMAL(18, 2) CHECK (equipment_revenue >= 0),
    service_revenue          DECIMAL(18, 2) CHECK (service_revenue >= 0),
    consumables_revenue      DECIMAL(18, 2) CHECK (consumables_revenue >= 0),
    spares_revenue           DECIMAL(18, 2) CHECK (spares_revenue >= 0),
    gross_margin_pct         DECIMAL(5, 2) CHECK (gross_margin_pct BETWEEN -100 AND 100),
    client_market_share_pct  DECIMAL(5, 2) CHECK (client_market_share_pct BETWEEN 0 AND 100),
    financial_health         DECIMAL(5, 2) CHECK (financial_health BETWEEN 0 AND 100),
    share_of_wallet_pct      DECIMAL(5, 2) CHECK (share_of_wallet_pct BETWEEN 0 AND 100),
    PRIMARY KEY (account_id, month)
);

CREATE TABLE deals (
    deal_id            VARCHAR PRIMARY KEY,
    account_id         VARCHAR NOT NULL REFERENCES accounts (account_id),
    name               VARCHAR,
    product_line       VARCHAR,
    value              DECIMAL(18, 2) CHECK (value >= 0),
    stage              VARCHAR NOT NULL
        CHECK (stage IN ('preliminaries', 'investigation', 'demonstrating_capability',
                         'obtaining_commitment', 'won', 'lost')),
    opened_on          DATE NOT NULL,
    stage_entered_on   DATE,
    expected_close_on  DATE,
    closed_on          DATE,
    owner_id           VARCHAR REFERENCES managers (manager_id),
    CHECK (closed_on IS NULL OR closed_on >= opened_on),
    CHECK (stage NOT IN ('won', 'lost') OR closed_on IS NOT NULL)
);

CREATE TABLE deal_stage_history (
    deal_id     VARCHAR NOT NULL REFERENCES deals (deal_id),
    stage       VARCHAR NOT NULL
        CHECK (stage IN ('preliminaries', 'investigation', 'demonstrating_capability',
                         'obtaining_commitment', 'won', 'lost')),
    entered_on  DATE NOT NULL,
    PRIMARY KEY (deal_id, stage, entered_on)
);

CREATE TABLE calls (
    call_id      VARCHAR PRIMARY KEY,
    deal_id      VARCHAR NOT NULL REFERENCES deals (deal_id),
    occurred_on  DATE NOT NULL,
    outcome      VARCHAR NOT NULL
        CHECK (outcome IN ('advance', 'continuation', 'order', 'no_sale')),
    note         VARCHAR
);

CREATE TABLE contacts (
    contact_id  VARCHAR PRIMARY KEY,
    account_id  VARCHAR NOT NULL REFERENCES accounts (account_id),
    name        VARCHAR,
    title       VARCHAR,
    email       VARCHAR,
    left_on     DATE
);

CREATE TABLE deal_contacts (
    deal_id          VARCHAR NOT NULL REFERENCES deals (deal_id),
    contact_id       VARCHAR NOT NULL REFERENCES contacts (contact_id),
    role             VARCHAR NOT NULL
        CHECK (role IN ('initiator', 'user', 'influencer', 'gatekeeper', 'buyer',
                        'decider', 'approver')),
    attitude         VARCHAR
        CHECK (attitude IN ('champion', 'supporter', 'neutral', 'skeptic', 'opponent')),
    last_contact_on  DATE,
    PRIMARY KEY (deal_id, contact_id, role)
);

CREATE TABLE deliveries (
    delivery_id    VARCHAR PRIMARY KEY,
    account_id     VARCHAR NOT NULL REFERENCES accounts (account_id),
    deal_id        VARCHAR REFERENCES deals (deal_id),
    promised_on    DATE NOT NULL,
    delivered_on   DATE,
    quality_issue  BOOLEAN NOT NULL DEFAULT false,
    invoice_issue  BOOLEAN NOT NULL DEFAULT false,
    -- added by this project (optional on import): when the client was told the delivery
    -- would be late (the seed: inform at once); empty = not told, or not recorded
    client_informed_on  DATE,
    CHECK (delivered_on IS NULL OR delivered_on >= promised_on)
);

CREATE TABLE service_cases (
    case_id             VARCHAR PRIMARY KEY,
    account_id          VARCHAR NOT NULL REFERENCES accounts (account_id),
    kind                VARCHAR NOT NULL
        CHECK (kind IN ('installation', 'training', 'maintenance', 'repair', 'upgrade',
                        'complaint', 'invoicing')),
    opened_on           DATE NOT NULL,
    due_on              DATE,
    closed_on           DATE,
    status              VARCHAR NOT NULL
        CHECK (status IN ('open', 'in_progress', 'done', 'cancelled')),
    severity            VARCHAR
        CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    client_informed_on  DATE,
    CHECK (closed_on IS NULL OR closed_on >= opened_on)
);

CREATE TABLE service_contracts (
    contract_id   VARCHAR PRIMARY KEY,
    account_id    VARCHAR NOT NULL REFERENCES accounts (account_id),
    kind          VARCHAR NOT NULL
        CHECK (kind IN ('maintenance', 'consumables', 'spare_parts', 'training', 'support')),
    annual_value  DECIMAL(18, 2) NOT NULL CHECK (annual_value >= 0),
    starts_on     DATE NOT NULL,
    ends_on       DATE,
    auto_renew    BOOLEAN NOT NULL DEFAULT false,
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);

CREATE TABLE relationship_events (
    event_id     VARCHAR PRIMARY KEY,
    account_id   VARCHAR NOT NULL REFERENCES accounts (account_id),
    occurred_on  DATE NOT NULL,
    kind         VARCHAR NOT NULL
        CHECK (kind IN ('kam_changed', 'key_contact_left', 'promise_broken', 'price_dispute',
                        'personal_conflict', 'complaint_escalated', 'culture_clash')),
    severity     VARCHAR CHECK (severity IN ('low', 'medium', 'high')),
    note         VARCHAR
);

-- Derived, not imported (filled by queries/ddl/derive.sql when a database is written): one
-- row per stay of a deal in a stage, from its stage history, with the day it left the
-- stage (the next stage entered; NULL while it is still there). Stored sorted by day, so
-- "the stage on a date" is a range filter instead of a window over the whole history.
CREATE TABLE deal_stage_spans (
    deal_id      VARCHAR NOT NULL,
    account_id   VARCHAR NOT NULL,   -- the deal's, so that history reads need no join
    stage        VARCHAR NOT NULL,
    stage_order  INTEGER NOT NULL,
    entered_on   DATE NOT NULL,
    left_on      DATE
);

-- Derived, not imported (queries/ddl/derive.sql): each deal's stage on every day from its
-- opening, by the rule of `deals_as_of` (queries/rules/macros.sql), as periods: on any day from_on <= d < to_on
-- (to_on NULL: from then on) `deals_as_of(d)` has the deal in `stage` since `stage_since`.
-- Stored sorted by to_on, so "the deals on a date" reads this one table instead of
-- joining the deals with their whole history (`deals_on`, `open_deals_on`). deal_no
-- numbers the deals (by deal_id) so that joins with deal_members compare numbers.
CREATE TABLE deal_periods (
    deal_id      VARCHAR NOT NULL,
    deal_no      INTEGER NOT NULL,
    account_id   VARCHAR NOT NULL,
    value        DECIMAL(18, 2),
    stage        VARCHAR NOT NULL,
    stage_since  DATE NOT NULL,
    closed_on    DATE,               -- the deal's
    from_on      DATE NOT NULL,
    to_on        DATE
);

-- Derived, not imported: deal_contacts with what the buying-center figures read beside
-- it (the deal's number and account, the role's place in the buying center 1-7 from
-- initiator to approver, the day the contact left the client), sorted by deal_no, so a
-- deal's buying center is read without joining deals and contacts on text keys.
CREATE TABLE deal_members (
    deal_no          INTEGER NOT NULL,
    account_id       VARCHAR NOT NULL,
    role             VARCHAR NOT NULL,
    role_order       UTINYINT NOT NULL,
    contact_id       VARCHAR NOT NULL,
    attitude         VARCHAR,
    last_contact_on  DATE,
    left_on          DATE
);

-- Derived, not imported (queries/ddl/derive.sql): the one definition of "revenue" that every
-- query reads. One row per account and month with account_metrics' measures and the
-- revenue mix: from the finance feed where one gives the account's revenue (a row with at
-- least one revenue column; a NULL stream counts 0 beside the others), else, for an
-- account no finance feed covers at all, its won deals' value in the month they closed
-- (as equipment) and its service contracts' annual value spread over their term by day
-- (maintenance, training, support as service; consumables; spare parts as spares; an
-- open-ended contract up to the newest date of the data). revenue_source says which:
-- 'finance', 'won_deals', or NULL (a month without revenue, e.g. a credit feed's row).
-- The sources never mix within one account, so a growth figure never compares finance
-- revenue with won deals.
CREATE TABLE account_months (
    account_id               VARCHAR NOT NULL,
    month                    DATE NOT NULL,
    equipment_revenue        DOUBLE,
    service_revenue          DOUBLE,
    consumables_revenue      DOUBLE,
    spares_revenue           DOUBLE,
    revenue_source           VARCHAR,
    gross_margin_pct         DOUBLE,
    client_market_share_pct  DOUBLE,
    financial_health         DOUBLE,
    share_of_wallet_pct      DOUBLE
);

-- Added by this project (DATA_MODEL allows added tables): facts about the database
-- itself, e.g. its currency and where its data came from.
CREATE TABLE portfolio_settings (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);
