-- input: conversion_accounts = pipeline_conversion_accounts
-- One row per open stage, in order: what became of the deals of the filtered accounts that
-- entered the stage in the $history_months months up to $as_of (from the stage history;
-- deals without history rows are left out). By $as_of each of them has either advanced (reached
-- a later stage or won), been lost while this was its furthest stage, or is still in the stage.
-- conversion = advanced / entered; loss_rate = lost / entered; values are deal values.
WITH stages(stage, stage_order) AS (
    VALUES ('preliminaries', 1), ('investigation', 2), ('demonstrating_capability', 3),
           ('obtaining_commitment', 4)
),
in_view AS (
    SELECT *
    FROM conversion_accounts
),
per_stage AS (
    SELECT s.stage, s.stage_order,
           coalesce(sum(c.entered), 0)::BIGINT AS entered,
           coalesce(sum(c.advanced), 0)::BIGINT AS advanced,
           coalesce(sum(c.lost), 0)::BIGINT AS lost,
           coalesce(sum(c.still_open), 0)::BIGINT AS still_open,
           coalesce(sum(c.value_entered), 0)::DOUBLE AS value_entered,
           coalesce(sum(c.value_advanced), 0)::DOUBLE AS value_advanced,
           coalesce(sum(c.value_lost), 0)::DOUBLE AS value_lost
    FROM stages s
    LEFT JOIN in_view c USING (stage_order)
    GROUP BY s.stage, s.stage_order
)
SELECT *, advanced / nullif(entered, 0) AS conversion, lost / nullif(entered, 0) AS loss_rate
FROM per_stage
ORDER BY stage_order;
