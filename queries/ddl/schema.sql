-- The canonical portfolio data model (../shared/DATA_MODEL.md), as DuckDB DDL.
-- This file is the one place the schema lives: the demo generator, the importer and the
-- tests all create databases from it. Enumerations are CHECK constraints, keys are
-- PRIMARY KEY / UNIQUE, references are FOREIGN KEY. Tables are listed parents first.

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
    key_since          DATE
);

CREATE TABLE account_metrics (
    account_id               VARCHAR NOT NULL REFERENCES accounts (account_id),
    month                    DATE NOT NULL CHECK (dayofmonth(month) = 1),
    equipment_revenue        DECIMAL(18, 2) NOT NULL CHECK (equipment_revenue >= 0),
    service_revenue          DECIMAL(18, 2) NOT NULL CHECK (service_revenue >= 0),
    consumables_revenue      DECIMAL(18, 2) NOT NULL CHECK (consumables_revenue >= 0),
    spares_revenue           DECIMAL(18, 2) NOT NULL CHECK (spares_revenue >= 0),
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

-- Added by this project (DATA_MODEL allows added tables): facts about the database
-- itself, e.g. its currency and where its data came from.
CREATE TABLE portfolio_settings (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);

-- The shared filters, in one place: the accounts in view for a manager selection (a
-- manager selects their whole team below them), regions, tiers and relationship stages.
-- An empty list means "no filter". Every dataset query reads accounts through this.
CREATE MACRO scoped_accounts(manager_ids, regions, tiers, kam_stages) AS TABLE
    WITH RECURSIVE team(manager_id) AS (
        SELECT manager_id FROM managers WHERE list_contains(manager_ids, manager_id)
        UNION
        SELECT m.manager_id FROM managers m JOIN team t ON m.reports_to = t.manager_id
    )
    SELECT a.*
    FROM accounts a
    WHERE (len(manager_ids) = 0 OR a.manager_id IN (SELECT manager_id FROM team))
      AND (len(regions) = 0 OR list_contains(regions, a.region))
      AND (len(tiers) = 0 OR list_contains(tiers, a.tier))
      AND (len(kam_stages) = 0 OR list_contains(kam_stages, a.kam_stage));

-- Every deal opened by `as_of`, with the stage it was in on that day (`stage_on`) and
-- since when (`stage_since`), from its stage history. Without history rows the deal's
-- current stage is used, unless the deal reached it after `as_of`: then all we know is
-- that it was open, and it counts as being in `preliminaries` since it was opened.
CREATE MACRO deals_as_of(as_of) AS TABLE
    SELECT
        d.*,
        CASE WHEN h.stage IS NOT NULL THEN h.stage
             WHEN d.closed_on > as_of OR d.stage_entered_on > as_of THEN 'preliminaries'
             ELSE d.stage END AS stage_on,
        CASE WHEN h.stage IS NOT NULL THEN h.entered_on
             WHEN d.closed_on > as_of OR d.stage_entered_on > as_of THEN d.opened_on
             ELSE coalesce(d.closed_on, d.stage_entered_on, d.opened_on) END AS stage_since
    FROM deals d
    LEFT JOIN (
        SELECT deal_id, arg_max(stage, entered_on) AS stage, max(entered_on) AS entered_on
        FROM deal_stage_history
        WHERE entered_on <= as_of
        GROUP BY deal_id
    ) h USING (deal_id)
    WHERE d.opened_on <= as_of;
