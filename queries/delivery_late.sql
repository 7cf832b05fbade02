-- One row per late delivery of the filtered accounts promised in the $history_days days
-- up to $as_of: delivered after the promised day (state 'late', by $as_of) or not delivered
-- by $as_of although the promised day has passed (state 'outstanding'). days_late counts
-- to the delivery, or to $as_of while outstanding. With the deal it belongs to and whether
-- it had a quality or an invoice issue. Outstanding first, then the most days late; at
-- most $limit rows; late_total and outstanding_total count them all, before that cut.
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
totals AS (
    SELECT count(*) FILTER (WHERE state = 'late') AS late_total,
           count(*) FILTER (WHERE state = 'outstanding') AS outstanding_total
    FROM late
),
shown AS (
    SELECT * FROM late
    ORDER BY state DESC, days_late DESC, delivery_id
    LIMIT $limit::INTEGER
)
SELECT
    l.delivery_id, l.account_id, s.account_name, s.manager_name, l.deal_id,
    d.name AS deal_name, l.promised_on, l.delivered_on, l.state, l.days_late,
    l.quality_issue, l.invoice_issue, t.late_total, t.outstanding_total
FROM shown l
JOIN scoped s USING (account_id)
LEFT JOIN deals d USING (deal_id)
CROSS JOIN totals t
ORDER BY l.state DESC, l.days_late DESC, l.delivery_id;
