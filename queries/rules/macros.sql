-- The business rules the dataset queries share, as table macros: which accounts are in
-- view, a deal's stage on a date, the open deals, the rated buying centers. They are not
-- part of a database file: every cursor of the dashboard's read-only connections installs
-- them as TEMP macros (portfolio/core/db.py `rules_cursor`; a read-only file refuses macros
-- in its own catalog, and a temp macro lives in one cursor only). So a changed rule takes
-- effect when the dashboard restarts, without importing the data again: the schema
-- fingerprint covers the tables (queries/ddl/) only, and the results stored beside a
-- release key on this file's text too (portfolio/read/stored.py).

-- The shared filters, in one place: the accounts in view for a manager selection (a
-- manager selects their whole team below them), regions, tiers and relationship stages.
-- An empty list means "no filter". `visible` is who may be seen at all (access control):
-- NULL for everything, else the managers whose portfolios (and teams below) the signed-in
-- person may see; an empty list sees nothing. Every dataset query reads accounts through this.
CREATE TEMP MACRO scoped_accounts(manager_ids, regions, tiers, kam_stages, visible) AS TABLE
    WITH RECURSIVE team(manager_id) AS (
        SELECT manager_id FROM managers WHERE list_contains(manager_ids, manager_id)
        UNION
        SELECT m.manager_id FROM managers m JOIN team t ON m.reports_to = t.manager_id
    ),
    allowed(manager_id) AS (
        SELECT manager_id FROM managers WHERE list_contains(visible, manager_id)
        UNION
        SELECT m.manager_id FROM managers m JOIN allowed t ON m.reports_to = t.manager_id
    )
    SELECT a.*
    FROM accounts a
    WHERE (visible IS NULL OR a.manager_id IN (SELECT manager_id FROM allowed))
      AND (len(manager_ids) = 0 OR a.manager_id IN (SELECT manager_id FROM team))
      AND (len(regions) = 0 OR list_contains(regions, a.region))
      AND (len(tiers) = 0 OR list_contains(tiers, a.tier))
      AND (len(kam_stages) = 0 OR list_contains(kam_stages, a.kam_stage));

-- Every deal opened by `as_of`, with the stage it was in on that day (`stage_on`) and
-- since when (`stage_since`), from its stage history. Without history rows the deal's
-- current stage is used, unless the deal reached it after `as_of`: then all we know is
-- that it was open, and it counts as being in `preliminaries` since it was opened.
CREATE TEMP MACRO deals_as_of(as_of) AS TABLE
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
        SELECT deal_id, stage, entered_on
        FROM deal_stage_spans
        WHERE entered_on <= as_of AND (left_on IS NULL OR left_on > as_of)
    ) h USING (deal_id)
    WHERE d.opened_on <= as_of;

-- `deals_as_of` for the queries that need only these columns, read from the derived
-- periods: at large scale 5-10 ms instead of 30-75 ms.
CREATE TEMP MACRO deals_on(as_of) AS TABLE
    SELECT deal_id, deal_no, account_id, value, stage AS stage_on, stage_since, closed_on
    FROM deal_periods
    WHERE from_on <= as_of AND (to_on IS NULL OR to_on > as_of);

-- The deals open on `as_of`: stage_on neither won nor lost.
CREATE TEMP MACRO open_deals_on(as_of) AS TABLE
    SELECT * FROM deals_on(as_of) WHERE stage_on NOT IN ('won', 'lost');

-- The buying center of every deal open on `as_of` at the accounts in view, rated: roles
-- covered (an active contact engaged in the `recent_days` days up to `as_of`), whether a
-- decider and an approver were met, the gaps (no_decider, no_approver, decider_left,
-- approver_left, has_doubters, opponent_at_top, single_threaded, dark), late_stage (a
-- stage in `late_stages`) and risk high / medium / low (see queries/buying_center_rated.sql
-- for the rules), with the stage's start (`stage_since`) and the number of people engaged
-- recently (`people_covering`). `only_account`: one account's deals (the account page), else
-- NULL for every account in view. Shared by the buying-center queries and the account page.
CREATE TEMP MACRO rated_open_deals(manager_ids, regions, tiers, kam_stages, as_of, recent_days,
                              late_stages, min_roles_covered, visible,
                              only_account) AS TABLE
    WITH scoped AS (
        SELECT account_id, name AS account_name, manager_id
        FROM scoped_accounts(manager_ids, regions, tiers, kam_stages, visible)
        WHERE only_account IS NULL OR account_id = only_account
    ),
    stages(stage, stage_order) AS (
        VALUES ('preliminaries', 1), ('investigation', 2), ('demonstrating_capability', 3),
               ('obtaining_commitment', 4)
    ),
    open_deals AS (
        SELECT o.deal_id, o.deal_no, d.name AS deal_name, o.account_id, s.account_name,
               o.stage_on AS stage, o.stage_since,
               st.stage_order, o.value::DOUBLE AS value, coalesce(d.owner_id, s.manager_id) AS owner_id
        FROM open_deals_on(as_of) o
        JOIN scoped s USING (account_id)
        JOIN deals d USING (deal_id)
        JOIN stages st ON st.stage = o.stage_on
    ),
    members AS (
        -- reach: 3 recent, 2 long ago, 1 left
        SELECT m.deal_no, m.role_order::INTEGER AS role_order, m.contact_id, m.attitude,
               CASE WHEN m.left_on <= as_of THEN 1
                    WHEN m.last_contact_on >= as_of - to_days(recent_days) THEN 3
                    ELSE 2 END AS reach
        FROM deal_members m
        WHERE m.deal_no IN (SELECT deal_no FROM open_deals)
          AND (m.last_contact_on IS NULL OR m.last_contact_on <= as_of)
    ),
    deal_facts AS (
        SELECT deal_no,
               bit_count(bit_or(1 << role_order) FILTER (WHERE reach = 3)) AS roles_covered,
               count(DISTINCT contact_id) FILTER (WHERE reach = 3) AS people_covering,
               -- one person or more: enough to tell "single-threaded" from "dark"
               min(contact_id) FILTER (WHERE reach = 3) AS first_engaged,
               max(contact_id) FILTER (WHERE reach = 3) AS last_engaged,
               bool_or(role_order = 6) AS decider_known,
               bool_or(role_order = 6 AND reach >= 2) AS decider_met,
               bool_or(role_order = 7) AS approver_known,
               bool_or(role_order = 7 AND reach >= 2) AS approver_met,
               bool_or(role_order >= 6 AND reach >= 2 AND attitude = 'opponent') AS opponent_at_top,
               bool_or(role_order >= 6 AND reach >= 2
                       AND attitude IN ('skeptic', 'opponent')) AS has_doubters
        FROM members
        GROUP BY deal_no
    ),
    assessed AS (
        SELECT o.*,
               coalesce(f.roles_covered, 0) AS roles_covered,
               coalesce(f.roles_covered, 0) / 7 AS coverage,
               coalesce(f.people_covering, 0) AS people_covering,
               coalesce(f.decider_met, false) AS decider_met,
               coalesce(f.approver_met, false) AS approver_met,
               NOT coalesce(f.decider_known, false) AS no_decider,
               NOT coalesce(f.approver_known, false) AS no_approver,
               coalesce(f.decider_known AND NOT f.decider_met, false) AS decider_left,
               coalesce(f.approver_known AND NOT f.approver_met, false) AS approver_left,
               coalesce(f.has_doubters, false) AS has_doubters,
               coalesce(f.opponent_at_top, false) AS opponent_at_top,
               coalesce(f.first_engaged = f.last_engaged, false) AS single_threaded,
               f.first_engaged IS NULL AS dark,
               list_contains(late_stages, o.stage) AS late_stage
        FROM open_deals o
        LEFT JOIN deal_facts f USING (deal_no)
    ),
    rated AS (
        SELECT *,
               CASE WHEN (late_stage AND NOT (decider_met AND approver_met)) OR opponent_at_top
                         OR decider_left THEN 'high'
                    WHEN single_threaded OR dark OR roles_covered < min_roles_covered
                         OR has_doubters THEN 'medium'
                    ELSE 'low' END AS risk
        FROM assessed
    )
    SELECT * EXCLUDE (deal_no) FROM rated;

-- The revenue of an account_metrics row from its streams (any of which a feed may leave
-- NULL): the sum of the streams given, NULL when none is (that row says nothing about
-- revenue, e.g. a credit agency's financial health alone). For after-sales revenue pass
-- NULL as equipment.
CREATE TEMP MACRO revenue_of(equipment, service, consumables, spares) AS
    CASE WHEN coalesce(equipment, service, consumables, spares) IS NOT NULL
         THEN coalesce(equipment, 0) + coalesce(service, 0) + coalesce(consumables, 0)
              + coalesce(spares, 0) END;

-- Whether the client was told of a problem in time: told by `as_of`, within `within_days`
-- days of the day the problem became known (a service case: the day it was opened). The one
-- rule for the service page's "told late or never", its broken promises and the uncoupling
-- risk's "client not told in time" ([service] inform_within_days in settings.toml).
CREATE TEMP MACRO told_in_time(informed_on, known_on, as_of, within_days) AS
    coalesce(informed_on <= as_of AND informed_on - known_on <= within_days, false);

-- How many days a delivery is late on `as_of`: delivered after the promised day (counted to
-- the delivery), or not delivered by `as_of` although the promised day has passed (counted
-- to `as_of`); 0 when on time or not yet due. A delivery more than [service]
-- late_delivery_days late is a broken promise (late_delivery): the service page's broken
-- promises and the uncoupling risk count it alike.
CREATE TEMP MACRO delivery_days_late(promised_on, delivered_on, as_of) AS
    CASE WHEN delivered_on <= as_of THEN greatest(delivered_on - promised_on, 0)
         WHEN promised_on < as_of THEN as_of - promised_on
         ELSE 0 END;

CREATE TEMP MACRO late_delivery(promised_on, delivered_on, as_of, late_days) AS
    delivery_days_late(promised_on, delivered_on, as_of) > late_days;

-- Whether the database holds buying centers at all (contacts on deals): a CRM export of
-- deals alone holds none, and then no role can be known to be met or missed.
CREATE TEMP MACRO buying_centers_recorded() AS
    (SELECT count(*) > 0 FROM deal_contacts);

-- Whether the database records when clients were told of deliveries at all: an export
-- without delivery notices cannot tell "never told" from "not recorded", so the queries
-- count late deliveries' notices only where this holds.
CREATE TEMP MACRO delivery_notices_recorded() AS
    coalesce((SELECT bool_or(client_informed_on IS NOT NULL) FROM deliveries), false);
