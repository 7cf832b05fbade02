-- Tables derived from the imported ones, filled once when a database is written
-- (portfolio.db.write_database), so that pages do not recompute them on every query.

-- Each stay of a deal in a stage: entered_on up to the next stage entered (left_on). On
-- a day with two entries the later stage in Rackham's order counts as the one the deal
-- was in at the end of the day (the earlier one gets a stay of zero days).
INSERT INTO deal_stage_spans
SELECT h.deal_id, d.account_id, h.stage, s.stage_order, h.entered_on,
       lead(h.entered_on) OVER (PARTITION BY h.deal_id
                                ORDER BY h.entered_on, s.stage_order) AS left_on
FROM deal_stage_history h
JOIN (SELECT deal_id, account_id FROM deals) d USING (deal_id)
JOIN (VALUES ('preliminaries', 1), ('investigation', 2), ('demonstrating_capability', 3),
             ('obtaining_commitment', 4), ('won', 5), ('lost', 6)) s(stage, stage_order)
    USING (stage)
ORDER BY h.entered_on, h.deal_id;
