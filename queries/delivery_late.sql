-- grain: account
-- One row per late delivery of the filtered accounts promised in the $history_days days
-- up to $as_of: delivered after the promised day (state 'late', by $as_of) or not delivered
-- by $as_of although the promised day has passed (state 'outstanding'). days_late counts
-- to the delivery, or to $as_of while outstanding. With the deal it belongs to and whether
-- it had a quality or an invoice issue; account_late and account_outstanding count the
-- account's. portfolio/service_totals.py (late_deliveries) merges the accounts into one
-- list, outstanding first, then the most days late, and the totals.
WITH scoped AS (
    SELECT a.account_id, a.name AS account_name, m.name AS manager_name
    FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                         $kam_stages::VARCHAR[], $visible::VARCHAR[]) a
    LEFT JOIN managers m USING (manager_id)
),
late AS (
    SELECT
        dl.delivery_id, dl.account_id, dl.deal_id, dl.promised_on,
        CASE WHEN dl.delivered_on <= $as_of::DATE THEN dl.delivered_on END AS delivered_on,
        CASE WHEN dl.delivered_on <= $as_of::DATE THEN 'late' ELSE 'outstanding' END AS state,
        CASE WHEN dl.delivered_on <= $as_of::DATE THEN dl.delivered_on ELSE $as_of::DATE END
            - dl.promised_on AS days_late,
        dl.quality_issue AND dl.delivered_on <= $as_of::DATE AS quality_issue,
        dl.invoice_issue AND dl.delivered_on <= $as_of::DATE AS invoice_issue
    FROM deliveries dl
    WHERE dl.promised_on > $as_of::DATE - $history_days::INTEGER
      AND dl.promised_on < $as_of::DATE
      AND (dl.delivered_on IS NULL OR dl.delivered_on > dl.promised_on)
      AND dl.account_id IN (SELECT account_id FROM scoped)
),
counts AS (
    SELECT account_id,
           count(*) FILTER (WHERE state = 'late') AS account_late,
           count(*) FILTER (WHERE state = 'outstanding') AS account_outstanding
    FROM late
    GROUP BY account_id
)
SELECT
    l.delivery_id, l.account_id, s.account_name, s.manager_name, l.deal_id,
    d.name AS deal_name, l.promised_on, l.delivered_on, l.state, l.days_late,
    l.quality_issue, l.invoice_issue, c.account_late, c.account_outstanding
FROM late l
JOIN counts c USING (account_id)
JOIN scoped s USING (account_id)
LEFT JOIN deals d USING (deal_id)
ORDER BY l.account_id, l.delivery_id;
