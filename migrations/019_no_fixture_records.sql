-- The four fictitious people migration 002 used to insert into every environment, production
-- included, are removed (reference data comes from an import; docs/decisions/0021). Development
-- gets them back, with more, from dev/data/institute-records.csv at `npm start`.
DELETE FROM health_cards WHERE codice_fiscale IN ('RSSMRA58C54Z600J', 'BNCGPP49S02G273Y', 'SPSNNA72L61Z112C', 'RCCLCU85A30F839Y');
DELETE FROM institute_records WHERE codice_fiscale IN ('RSSMRA58C54Z600J', 'BNCGPP49S02G273Y', 'SPSNNA72L61Z112C', 'RCCLCU85A30F839Y');
