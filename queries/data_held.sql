-- One row: which facts beyond deals the database holds at all. A CRM export of deals alone
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
    buying_centers_recorded() AS has_buying_centers;
