-- grain: account
-- One row per finished stay of a deal of the filtered accounts in an open stage: a stay
-- that ended (the deal entered another stage) by $as_of, in the $history_months months up
-- to it, with its days. pipeline_stage_time reads them as its input `finished_stays`, so a
-- filter change narrows the stays of the viewer's whole scope instead of reading the
-- stage history again.
SELECT account_id, stage_order, (left_on - entered_on)::DOUBLE AS days
FROM deal_stage_spans
WHERE stage_order <= 4 AND entered_on <= $as_of::DATE AND left_on <= $as_of::DATE
  AND left_on > $as_of::DATE - to_months($history_months::INTEGER)
  AND account_id IN (
      SELECT account_id
      FROM scoped_accounts($manager_ids::VARCHAR[], $regions::VARCHAR[], $tiers::VARCHAR[],
                           $kam_stages::VARCHAR[], $visible::VARCHAR[]))
ORDER BY account_id, stage_order, days;
