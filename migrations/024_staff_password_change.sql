-- A staff account whose password was generated (a new account, or one whose credentials an
-- administrator reset) must choose its own at the first login, before any other console page
-- works (docs/decisions/0013-staff-accounts-and-console.md, amendment). Accounts made before keep
-- their password: nothing forces them.
ALTER TABLE staff_accounts ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
