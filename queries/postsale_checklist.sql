-- grain: account
-- The post-sale checklist (the seed: the seller follows the client after every deal): one
-- row per deal of the filtered accounts won in the $history_days days up to $as_of, with
-- its deliveries (deliveries.deal_id) by $as_of: how many, delivered on time (by the
-- promised day), late (more than $late_delivery_days days, late_delivery in macros.sql, or
-- not delivered that long after the promised day) and still to come; quality and invoice
-- issues; the late ones whose client was not told within $inform_within_days days of the
-- promised day (told_in_time). Installation and training: needed when the deal's product
-- line is one of $installation_lines / $training_lines; then 'done' (a case of that kind at
-- the account opened on or after the deal was won, closed by $as_of), 'pending' (such a
-- case still open), 'missing' (delivered, no such case) or 'not_delivered' (nothing
-- delivered yet); 'not_needed' otherwise. Cancelled cases do not count. A case is matched to
-- every deal of the account won before it was opened (service cases name no deal).
-- open_points counts what is not in order: late deliveries, issues, installation and
-- training missing, problems the client was not told of. portfolio/read/service_totals.py
-- (postsale_checklist) puts the deals with open points first.
WITH scoped AS (
    SELECT a.account_id, a.name AS account_name, m.name AS manager_name
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[]) a
    LEFT JOIN managers m USING (manager_id)
),
won AS (
    SELECT d.deal_id, d.account_id, d.name AS deal_name, d.product_line,
           d.value::DOUBLE AS value, d.closed_on
    FROM deals d
    WHERE d.stage = 'won' AND d.closed_on <= $as_of::DATE
      AND d.closed_on > $as_of::DATE - $history_days::INTEGER
      AND d.account_id IN (SELECT account_id FROM scoped)
),
delivered AS (
    SELECT
        dl.deal_id,
        count(*) FILTER (WHERE dl.promised_on <= $as_of::DATE OR dl.delivered_on <= $as_of::DATE)
            AS deliveries_due,
        count(*) FILTER (WHERE dl.delivered_on <= $as_of::DATE) AS delivered,
        count(*) FILTER (WHERE dl.delivered_on <= $as_of::DATE
                           AND dl.delivered_on <= dl.promised_on) AS on_time,
        count(*) FILTER (WHERE late_delivery(dl.promised_on, dl.delivered_on, $as_of::DATE,
                                             $late_delivery_days::INTEGER)) AS late,
        count(*) FILTER (WHERE coalesce(dl.delivered_on > $as_of::DATE, true)) AS to_come,
        count(*) FILTER (WHERE dl.quality_issue AND dl.delivered_on <= $as_of::DATE)
            AS quality_issues,
        count(*) FILTER (WHERE dl.invoice_issue AND dl.delivered_on <= $as_of::DATE)
            AS invoice_issues,
        count(*) FILTER (WHERE late_delivery(dl.promised_on, dl.delivered_on, $as_of::DATE,
                                             $late_delivery_days::INTEGER)
                           AND NOT told_in_time(dl.client_informed_on, dl.promised_on,
                                                $as_of::DATE, $inform_within_days::INTEGER))
            AS not_told,
        min(dl.delivered_on) FILTER (WHERE dl.delivered_on <= $as_of::DATE) AS first_delivered_on
    FROM deliveries dl
    WHERE dl.deal_id IN (SELECT deal_id FROM won)
    GROUP BY dl.deal_id
),
setup AS (
    SELECT w.deal_id,
           bool_or(c.kind = 'installation' AND c.closed_on <= $as_of::DATE) AS installation_done,
           bool_or(c.kind = 'installation') AS installation_opened,
           bool_or(c.kind = 'training' AND c.closed_on <= $as_of::DATE) AS training_done,
           bool_or(c.kind = 'training') AS training_opened
    FROM won w
    JOIN service_cases c
      ON c.account_id = w.account_id AND c.opened_on >= w.closed_on
     AND c.opened_on <= $as_of::DATE AND c.kind IN ('installation', 'training')
     AND c.status <> 'cancelled'
    GROUP BY w.deal_id
),
checked AS (
    SELECT
        w.*, s.account_name, s.manager_name,
        coalesce(d.deliveries_due, 0) AS deliveries, coalesce(d.delivered, 0) AS delivered,
        coalesce(d.on_time, 0) AS on_time, coalesce(d.late, 0) AS late,
        coalesce(d.to_come, 0) AS to_come,
        coalesce(d.quality_issues, 0) AS quality_issues,
        coalesce(d.invoice_issues, 0) AS invoice_issues,
        CASE WHEN delivery_notices_recorded()
             THEN coalesce(d.not_told, 0) ELSE 0 END AS not_told,
        CASE WHEN NOT list_contains($installation_lines::VARCHAR[], w.product_line)
                  THEN 'not_needed'
             WHEN u.installation_done THEN 'done'
             WHEN u.installation_opened THEN 'pending'
             WHEN coalesce(d.delivered, 0) = 0 THEN 'not_delivered'
             ELSE 'missing' END AS installation,
        CASE WHEN NOT list_contains($training_lines::VARCHAR[], w.product_line)
                  THEN 'not_needed'
             WHEN u.training_done THEN 'done'
             WHEN u.training_opened THEN 'pending'
             WHEN coalesce(d.delivered, 0) = 0 THEN 'not_delivered'
             ELSE 'missing' END AS training
    FROM won w
    JOIN scoped s USING (account_id)
    LEFT JOIN delivered d USING (deal_id)
    LEFT JOIN setup u USING (deal_id)
)
SELECT *,
       late + quality_issues + invoice_issues + not_told
           + (installation = 'missing')::INTEGER + (training = 'missing')::INTEGER AS open_points
FROM checked
ORDER BY account_id, closed_on, deal_id;
