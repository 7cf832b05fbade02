-- grain: account
-- One row per account in view: the uncoupling-risk signals of the recent window, the
-- $recent_days days up to $as_of (the dashboard's one meaning of "recent", settings.toml);
-- portfolio/scoring.py weighs them into a risk level and puts them in words.
-- Relationship events are counted per kind, with the date and note of the latest and the
-- highest severity (1 low, 2 medium or unknown, 3 high); key contacts who left = contacts
-- who were a decider, approver or champion on one of the account's deals and left
-- within the window; broken promises = service cases of high or critical severity (the
-- ones the client feels) open on $as_of past their due date; "not told in time" = overdue
-- cases of any severity whose client was not told within $inform_within_days days of the
-- case's opening (told_in_time, queries/rules/macros.sql); decider
-- silence = days since any decider or approver still at the client was last engaged on
-- any deal, for accounts with deals open on $as_of (NULL: none ever engaged);
-- has_buying_centers: whether the database holds any deal_contacts at all.
-- Late deliveries = deliveries promised in the window more than $late_delivery_days days late
-- on $as_of (late_delivery, macros.sql); late_not_told = those whose client was not told
-- within $inform_within_days days of the promised day (told_in_time), counted only where
-- the database records when clients were told of deliveries at all (delivery_told_known).
-- Silence after delivery = for each delivery delivered in the window, the days from it to
-- the first engagement of the account on or after it (a call on any of its deals, or a
-- buying-center contact's last engagement), or to $as_of when none followed; the longest.
-- Purchases = months with revenue (account_months) or a deal won; last_purchase_month and
-- months_without_purchase (complete months after it up to the last complete month on
-- $as_of), purchase_months = months with a purchase in the twelve up to the last one.
-- Complacency facts: years in the key-account programme (key_since), calls on the account's
-- deals in the 12 months up to $as_of and in the 12 before, and the latest share of wallet
-- in each of those years (calls: strategic and key accounts only). Key-account traits of
-- the standard accounts (the seed's table 6.3, read by the upgrade rule): over the deals
-- closed (won or lost) by $as_of, calls per deal, people in the buying center per deal and
-- the mean value of the deals won; years since the first deal or revenue month (every
-- account). portfolio/read/scoring.py applies the thresholds of scoring.toml.
WITH scoped AS (
    SELECT account_id, tier, key_since
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[])
),
-- (the scans of the large tables compare with $as_of itself: joined with `bounds` they
-- run as a nested loop)
bounds AS (
    SELECT $as_of::DATE AS as_of,
           $as_of::DATE - to_days($recent_days::INTEGER) AS window_start
),
events_in_window AS (
    SELECT e.account_id, e.kind, e.occurred_on, e.note,
           CASE e.severity WHEN 'low' THEN 1 WHEN 'high' THEN 3 ELSE 2 END AS severity
    FROM relationship_events e, bounds b
    WHERE e.occurred_on <= b.as_of AND e.occurred_on > b.window_start
      AND e.account_id IN (SELECT account_id FROM scoped)
),
events AS (
    SELECT
        account_id,
        count(*) FILTER (WHERE kind = 'kam_changed') AS kam_changed,
        max(occurred_on) FILTER (WHERE kind = 'kam_changed') AS kam_changed_on,
        max(severity) FILTER (WHERE kind = 'kam_changed') AS kam_changed_severity,
        count(*) FILTER (WHERE kind = 'key_contact_left') AS contact_left_events,
        max(occurred_on) FILTER (WHERE kind = 'key_contact_left') AS contact_left_event_on,
        max(severity) FILTER (WHERE kind = 'key_contact_left') AS contact_left_severity,
        count(*) FILTER (WHERE kind = 'promise_broken') AS promise_broken,
        max(occurred_on) FILTER (WHERE kind = 'promise_broken') AS promise_broken_on,
        max(severity) FILTER (WHERE kind = 'promise_broken') AS promise_broken_severity,
        count(*) FILTER (WHERE kind = 'price_dispute') AS price_dispute,
        max(occurred_on) FILTER (WHERE kind = 'price_dispute') AS price_dispute_on,
        max(severity) FILTER (WHERE kind = 'price_dispute') AS price_dispute_severity,
        count(*) FILTER (WHERE kind = 'personal_conflict') AS personal_conflict,
        max(occurred_on) FILTER (WHERE kind = 'personal_conflict') AS personal_conflict_on,
        max(severity) FILTER (WHERE kind = 'personal_conflict') AS personal_conflict_severity,
        count(*) FILTER (WHERE kind = 'complaint_escalated') AS complaint_escalated,
        max(occurred_on) FILTER (WHERE kind = 'complaint_escalated') AS complaint_escalated_on,
        max(severity) FILTER (WHERE kind = 'complaint_escalated')
            AS complaint_escalated_severity,
        count(*) FILTER (WHERE kind = 'culture_clash') AS culture_clash,
        max(occurred_on) FILTER (WHERE kind = 'culture_clash') AS culture_clash_on,
        max(severity) FILTER (WHERE kind = 'culture_clash') AS culture_clash_severity,
        arg_max(note, (occurred_on, note)) FILTER (WHERE kind = 'kam_changed') AS kam_changed_note,
        arg_max(note, (occurred_on, note)) FILTER (WHERE kind = 'key_contact_left')
            AS contact_left_note
    FROM events_in_window
    GROUP BY account_id
),
contacts_left AS (
    SELECT
        c.account_id,
        count(*) AS contacts_left,
        max(c.left_on) AS contact_left_on,
        arg_max(coalesce(c.name, 'a contact') || coalesce(' (' || c.title || ')', ''),
                (c.left_on, c.contact_id))
            AS contact_left_who
    FROM contacts c, bounds b
    WHERE c.left_on <= b.as_of AND c.left_on > b.window_start
      AND c.account_id IN (SELECT account_id FROM scoped)
      AND c.contact_id IN (SELECT contact_id FROM deal_members
                           WHERE left_on <= $as_of::DATE
                             AND (role_order >= 6 OR attitude = 'champion'))
    GROUP BY c.account_id
),
overdue AS (
    SELECT
        sc.account_id,
        count(*) FILTER (WHERE sc.severity IN ('high', 'critical')) AS overdue_cases,
        max($as_of::DATE - sc.due_on) FILTER (WHERE sc.severity IN ('high', 'critical'))
            AS oldest_overdue_days,
        string_agg(DISTINCT sc.kind, ', ' ORDER BY sc.kind)
            FILTER (WHERE sc.severity IN ('high', 'critical')) AS overdue_kinds,
        count(*) FILTER (WHERE NOT told_in_time(sc.client_informed_on, sc.opened_on,
                                                $as_of::DATE, $inform_within_days::INTEGER))
            AS not_told_in_time,
        count(*) FILTER (WHERE sc.client_informed_on IS NULL
                            OR sc.client_informed_on > $as_of::DATE) AS never_told
    FROM service_cases sc
    WHERE sc.opened_on <= $as_of::DATE AND sc.due_on < $as_of::DATE
      AND (sc.closed_on IS NULL OR sc.closed_on > $as_of::DATE)
      AND sc.status <> 'cancelled'
      AND sc.account_id IN (SELECT account_id FROM scoped)
    GROUP BY sc.account_id
),
open_deals AS (
    SELECT d.account_id, count(*) AS open_deals
    FROM open_deals_on($as_of::DATE) d
    WHERE d.account_id IN (SELECT account_id FROM scoped)
    GROUP BY d.account_id
),
deciders AS (
    SELECT m.account_id, max(m.last_contact_on) AS last_decider_contact_on
    FROM deal_members m
    WHERE m.role_order >= 6  -- decider, approver
      AND m.last_contact_on <= $as_of::DATE
      AND (m.left_on IS NULL OR m.left_on > $as_of::DATE)
    GROUP BY m.account_id
    HAVING m.account_id IN (SELECT account_id FROM open_deals)
),
late_deliveries AS (
    SELECT
        dl.account_id,
        count(*) AS late_deliveries,
        max(delivery_days_late(dl.promised_on, dl.delivered_on, $as_of::DATE)) AS most_days_late,
        count(*) FILTER (WHERE coalesce(dl.delivered_on > $as_of::DATE, true))
            AS late_outstanding,
        count(*) FILTER (WHERE NOT told_in_time(dl.client_informed_on, dl.promised_on,
                                                $as_of::DATE, $inform_within_days::INTEGER))
            AS late_not_told
    FROM deliveries dl
    WHERE dl.promised_on <= $as_of::DATE
      AND dl.promised_on > $as_of::DATE - to_days($recent_days::INTEGER)
      AND late_delivery(dl.promised_on, dl.delivered_on, $as_of::DATE,
                        $late_delivery_days::INTEGER)
      AND dl.account_id IN (SELECT account_id FROM scoped)
    GROUP BY dl.account_id
),
delivered AS (
    SELECT DISTINCT dl.account_id, dl.delivered_on
    FROM deliveries dl
    WHERE dl.delivered_on <= $as_of::DATE
      AND dl.delivered_on > $as_of::DATE - to_days($recent_days::INTEGER)
      AND dl.account_id IN (SELECT account_id FROM scoped)
),
-- only engagements from the window's start on can follow a delivery of the window
engagements AS (
    -- (the calls of the window first, then their deals' accounts: filtering after the
    -- join cost four times as much)
    SELECT d.account_id, c.occurred_on AS engaged_on
    FROM (SELECT deal_id, occurred_on FROM calls
          WHERE occurred_on <= $as_of::DATE
            AND occurred_on > $as_of::DATE - to_days($recent_days::INTEGER)) c
    JOIN (SELECT deal_id, account_id FROM deals) d ON c.deal_id = d.deal_id
    UNION ALL
    SELECT m.account_id, m.last_contact_on
    FROM deal_members m
    WHERE m.last_contact_on <= $as_of::DATE
      AND m.last_contact_on > $as_of::DATE - to_days($recent_days::INTEGER)
),
-- the days of the window with an engagement, per account, as a string of 0 and 1 (position
-- 1 = the window's first day, $recent_days = $as_of): the first engagement on or after a
-- delivery is the first 1 from the delivery's position on (a third of the cost of joining
-- every delivery with the engagements after it)
engaged_days AS (
    SELECT account_id,
           bitstring_agg($recent_days::INTEGER - ($as_of::DATE - engaged_on), 1,
                         $recent_days::INTEGER)::VARCHAR AS days
    FROM engagements
    WHERE account_id IN (SELECT account_id FROM delivered)
    GROUP BY account_id
),
followed AS (
    SELECT d.account_id, d.delivered_on,
           coalesce(instr(substr(e.days, $recent_days::INTEGER
                                         - ($as_of::DATE - d.delivered_on)), '1'), 0) AS next_in
    FROM delivered d
    LEFT JOIN engaged_days e USING (account_id)
),
silence AS (
    SELECT account_id,
           max(CASE WHEN next_in > 0 THEN next_in - 1 ELSE $as_of::DATE - delivered_on END)
               AS silent_days_after_delivery,
           -- the longest silence; of equally long ones the latest delivery's (a tie
           -- broken by chance would name another delivery on every run)
           arg_max(delivered_on, (CASE WHEN next_in > 0 THEN next_in - 1
                                       ELSE $as_of::DATE - delivered_on END, delivered_on))
               AS silent_delivery_on,
           arg_max(next_in = 0, (CASE WHEN next_in > 0 THEN next_in - 1
                                      ELSE $as_of::DATE - delivered_on END, delivered_on))
               AS still_silent
    FROM followed
    GROUP BY account_id
),
purchase_months AS (
    SELECT account_id, month
    FROM account_months
    WHERE month <= $as_of::DATE
      AND revenue_of(equipment_revenue, service_revenue, consumables_revenue, spares_revenue) > 0
      AND account_id IN (SELECT account_id FROM scoped)
    UNION
    SELECT account_id, date_trunc('month', closed_on)::DATE
    FROM deals
    WHERE stage = 'won' AND closed_on <= $as_of::DATE
      AND account_id IN (SELECT account_id FROM scoped)
),
last_purchase AS (
    SELECT account_id, max(month) AS last_purchase_month
    FROM purchase_months
    GROUP BY account_id
),
purchases AS (
    SELECT l.account_id, l.last_purchase_month,
           greatest(date_diff('month', l.last_purchase_month,
                              CASE WHEN $as_of::DATE = last_day($as_of::DATE)
                                   THEN date_trunc('month', $as_of::DATE)
                                   ELSE date_trunc('month', $as_of::DATE) - INTERVAL 1 MONTH
                              END::DATE), 0) AS months_without_purchase,
           count(p.month) AS purchase_months
    FROM last_purchase l
    JOIN purchase_months p
      ON p.account_id = l.account_id AND p.month > l.last_purchase_month - INTERVAL 12 MONTH
    GROUP BY l.account_id, l.last_purchase_month
),
contact_years AS (  -- for the key tiers only: complacency is theirs
    SELECT d.account_id,
           count(*) FILTER (WHERE c.occurred_on > $as_of::DATE - INTERVAL 12 MONTH) AS calls_12m,
           count(*) FILTER (WHERE c.occurred_on <= $as_of::DATE - INTERVAL 12 MONTH)
               AS calls_prior_12m
    FROM (SELECT deal_id, occurred_on FROM calls
          WHERE occurred_on <= $as_of::DATE
            AND occurred_on > $as_of::DATE - INTERVAL 24 MONTH) c
    JOIN (SELECT deal_id, account_id FROM deals
          WHERE account_id IN (SELECT account_id FROM scoped
                               WHERE tier IN ('strategic', 'key'))) d
      ON c.deal_id = d.deal_id
    GROUP BY d.account_id
),
wallet AS (
    SELECT account_id,
           arg_max(share_of_wallet_pct, month)
               FILTER (WHERE month > $as_of::DATE - INTERVAL 12 MONTH)::DOUBLE AS wallet_now,
           arg_max(share_of_wallet_pct, month)
               FILTER (WHERE month <= $as_of::DATE - INTERVAL 12 MONTH)::DOUBLE AS wallet_before
    FROM account_months
    WHERE month <= $as_of::DATE AND month > $as_of::DATE - INTERVAL 24 MONTH
      AND share_of_wallet_pct IS NOT NULL
      AND account_id IN (SELECT account_id FROM scoped)
    GROUP BY account_id
),
closed_deals AS (  -- of the standard accounts only: the upgrade rule's
    SELECT d.deal_id, d.deal_no, d.account_id, d.stage_on AS stage, d.value::DOUBLE AS value
    FROM deals_on($as_of::DATE) d
    WHERE d.stage_on IN ('won', 'lost')
      AND d.account_id IN (SELECT account_id FROM scoped WHERE tier = 'standard')
),
deal_calls AS (
    SELECT deal_id, count(*) AS calls
    FROM calls
    WHERE occurred_on <= $as_of::DATE
    GROUP BY deal_id
),
deal_people AS (
    SELECT m.deal_no, count(DISTINCT m.contact_id) AS people
    FROM deal_members m
    WHERE m.account_id IN (SELECT account_id FROM scoped WHERE tier = 'standard')
    GROUP BY m.deal_no
),
traits AS (
    SELECT
        cd.account_id,
        count(*) AS closed_deals,
        -- not measured where the database holds no calls / buying centers at all
        CASE WHEN (SELECT count(*) FROM calls) > 0
             THEN avg(coalesce(dc.calls, 0)) END AS calls_per_deal,
        CASE WHEN buying_centers_recorded()
             THEN avg(coalesce(dp.people, 0)) END AS people_per_deal,
        avg(cd.value) FILTER (WHERE cd.stage = 'won') AS won_deal_value
    FROM closed_deals cd
    LEFT JOIN deal_calls dc USING (deal_id)
    LEFT JOIN deal_people dp USING (deal_no)
    GROUP BY cd.account_id
),
first_business AS (
    SELECT account_id, min(first_on) AS first_business_on
    FROM (
        SELECT account_id, min(opened_on) AS first_on FROM deals
        WHERE opened_on <= $as_of::DATE GROUP BY account_id
        UNION ALL
        SELECT account_id, min(month) FROM account_months
        WHERE month <= $as_of::DATE
          AND revenue_of(equipment_revenue, service_revenue, consumables_revenue,
                         spares_revenue) > 0
        GROUP BY account_id
    )
    WHERE account_id IN (SELECT account_id FROM scoped)
    GROUP BY account_id
)
SELECT
    s.account_id,
    coalesce(e.kam_changed, 0) AS kam_changed, e.kam_changed_on, e.kam_changed_severity,
    coalesce(e.contact_left_events, 0) AS contact_left_events, e.contact_left_event_on,
    e.contact_left_severity,
    coalesce(e.promise_broken, 0) AS promise_broken, e.promise_broken_on, e.promise_broken_severity,
    coalesce(e.price_dispute, 0) AS price_dispute, e.price_dispute_on, e.price_dispute_severity,
    coalesce(e.personal_conflict, 0) AS personal_conflict, e.personal_conflict_on,
    e.personal_conflict_severity,
    coalesce(e.complaint_escalated, 0) AS complaint_escalated, e.complaint_escalated_on,
    e.complaint_escalated_severity,
    coalesce(e.culture_clash, 0) AS culture_clash, e.culture_clash_on, e.culture_clash_severity,
    e.kam_changed_note, e.contact_left_note,
    coalesce(cl.contacts_left, 0) AS contacts_left, cl.contact_left_on, cl.contact_left_who,
    coalesce(o.overdue_cases, 0) AS overdue_cases, o.oldest_overdue_days, o.overdue_kinds,
    coalesce(o.not_told_in_time, 0) AS not_told_in_time,
    coalesce(o.never_told, 0) AS never_told,
    coalesce(od.open_deals, 0) AS open_deals,
    dd.last_decider_contact_on,
    CASE WHEN od.open_deals > 0
         THEN (SELECT as_of FROM bounds) - dd.last_decider_contact_on END
        AS days_since_decider_contact,
    -- whether the database holds buying centers at all: without them no decider can be
    -- known to be unmet (a CRM export of deals alone)
    buying_centers_recorded() AS has_buying_centers,
    coalesce(ld.late_deliveries, 0) AS late_deliveries, ld.most_days_late,
    coalesce(ld.late_outstanding, 0) AS late_outstanding,
    $late_delivery_days::INTEGER AS late_delivery_days,
    CASE WHEN delivery_notices_recorded()
         THEN coalesce(ld.late_not_told, 0) ELSE 0 END AS late_not_told,
    delivery_notices_recorded()
        AS delivery_told_known,
    si.silent_days_after_delivery, si.silent_delivery_on, si.still_silent,
    pu.last_purchase_month, pu.months_without_purchase, pu.purchase_months,
    s.tier, s.key_since,
    CASE WHEN s.key_since <= $as_of::DATE
         THEN ($as_of::DATE - s.key_since) / 365.25 END AS key_years,
    coalesce(cy.calls_12m, 0) AS calls_12m, coalesce(cy.calls_prior_12m, 0) AS calls_prior_12m,
    w.wallet_now, w.wallet_before,
    coalesce(t.closed_deals, 0) AS closed_deals, t.calls_per_deal, t.people_per_deal,
    t.won_deal_value,
    ($as_of::DATE - fb.first_business_on) / 365.25 AS relationship_years
FROM scoped s
LEFT JOIN events e USING (account_id)
LEFT JOIN contacts_left cl USING (account_id)
LEFT JOIN overdue o USING (account_id)
LEFT JOIN open_deals od USING (account_id)
LEFT JOIN deciders dd USING (account_id)
LEFT JOIN late_deliveries ld USING (account_id)
LEFT JOIN silence si USING (account_id)
LEFT JOIN purchases pu USING (account_id)
LEFT JOIN contact_years cy USING (account_id)
LEFT JOIN wallet w USING (account_id)
LEFT JOIN traits t USING (account_id)
LEFT JOIN first_business fb USING (account_id)
ORDER BY s.account_id;
