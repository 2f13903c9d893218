-- Sample records of the institute's own archive (residence and profile), so that a request whose
-- declared residence differs from the archive opens a call-back task, and so that logins have a
-- profile to scope services by. Real deployments load the archive instead.
INSERT INTO institute_records (codice_fiscale, residence, profile) VALUES
  ('RSSMRA58C54Z600J', '{"abroad": true, "country": "AR", "address": "Calle Florida 120", "city": "Buenos Aires", "postalCode": "C1005"}',
   '{"category": "pensioner", "scheme": "private"}'),
  ('BNCGPP49S02G273Y', '{"abroad": true, "country": "DE", "address": "Hauptstrasse 5", "city": "Stuttgart", "postalCode": "70173"}',
   '{"category": "pensioner", "scheme": "public"}'),
  ('SPSNNA72L61Z112C', '{"abroad": true, "country": "DE", "address": "Bahnhofstrasse 9", "city": "Munchen", "postalCode": "80335"}',
   '{"category": "employee", "scheme": "private"}'),
  ('RCCLCU85A30F839Y', '{"abroad": true, "country": "BE", "address": "Rue Neuve 14", "city": "Bruxelles", "postalCode": "1000"}',
   '{"category": "self_employed", "scheme": "private"}')
ON CONFLICT (codice_fiscale) DO NOTHING;
