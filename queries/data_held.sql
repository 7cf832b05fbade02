-- One row: which facts beyond deals the database holds at all (and so which uncoupling-risk
-- signals can speak: portfolio/read/overview.py, RISK_SOURCES). A CRM export of deals alone
-- holds no post-sale facts and no buying centers: the pages then say so instead of counting
-- "0 broken promises" or "0 % coverage" over records that were never imported. Revenue by
-- stream (equipment, service, consumables, spares) is known from a finance feed, or stood
-- in for by won deals (equipment) and service contracts (after-sales): with neither feed
-- nor contracts, after-sales is not known.
SELECT
    (SELECT count(*) > 0 FROM deliveries) AS has_deliveries,
    (SELECT count(*) > 0 FROM service_cases) AS has_service_cases,
    (SELECT count(*) > 0 FROM service_contracts) AS has_contracts,
    (SELECT count(*) > 0 FROM account_months WHERE revenue_source = 'finance')
        AS has_finance_revenue,
    buying_centers_recorded() AS has_buying_centers,
    (SELECT count(*) > 0 FROM contacts) AS has_contacts,
    (SELECT count(*) > 0 FROM calls) AS has_calls,
    (SELECT count(*) > 0 FROM relationship_events) AS has_relationship_events,
    coalesce((SELECT bool_or(expected_close_on IS NOT NULL) FROM deals), false)
        AS has_close_dates;
