-- The log's version: the id of the last decision recorded (0 when empty); both engines.
SELECT COALESCE(MAX(id), 0) FROM decisions;
