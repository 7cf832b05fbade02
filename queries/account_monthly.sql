-- One row per month for account $account_id over the 24 months up to $as_of: the revenue
-- mix (account_months: revenue_source 'won_deals' when it stands in for a finance feed),
-- gross margin, the client's market share and financial health, share of wallet.
SELECT month, revenue_source,
       equipment_revenue::DOUBLE AS equipment, service_revenue::DOUBLE AS service,
       consumables_revenue::DOUBLE AS consumables, spares_revenue::DOUBLE AS spares,
       gross_margin_pct::DOUBLE AS gross_margin_pct,
       client_market_share_pct::DOUBLE AS client_market_share_pct,
       financial_health::DOUBLE AS financial_health,
       share_of_wallet_pct::DOUBLE AS share_of_wallet_pct
FROM account_months
WHERE account_id = $account_id::VARCHAR
  AND account_id IN (SELECT account_id
                     FROM scoped_accounts([]::VARCHAR[], []::VARCHAR[], []::VARCHAR[],
                                          []::VARCHAR[], $visible::VARCHAR[]))
  AND month <= $as_of::DATE
  AND month > date_trunc('month', $as_of::DATE) - INTERVAL 24 MONTH
ORDER BY month;
