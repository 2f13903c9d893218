-- (Formerly four fictitious people inserted into every environment. Reference data is not part of
-- the schema: production loads the institute's archive with `npm run records:import`, and
-- `npm start` loads the development data set dev/data/institute-records.csv. Migration 019
-- removes the rows this file once inserted.)
SELECT 1;
