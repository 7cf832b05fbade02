-- One row: which post-sale facts the database holds at all. A CRM export of deals alone
-- holds none: the Service page then says so instead of counting "0 broken promises" over
-- records that were never imported.
SELECT
    (SELECT count(*) > 0 FROM deliveries) AS has_deliveries,
    (SELECT count(*) > 0 FROM service_cases) AS has_service_cases,
    (SELECT count(*) > 0 FROM service_contracts) AS has_contracts;
