-- private models: ordinary roles train, serve, share and drop their own
-- models; nobody changes another role's model, through the functions or
-- through DML on the catalog; a model is seen and served only by its owner
-- (and the owner's members), the roles it is shared with and superusers
SET recsys.threads = 1;
SET recsys.epoch_notices = off;
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_recsys_alice, regress_recsys_bob, regress_recsys_team,
                    regress_recsys_alice_member;
RESET client_min_messages;
CREATE ROLE regress_recsys_alice;
CREATE ROLE regress_recsys_bob;
CREATE ROLE regress_recsys_team;
CREATE ROLE regress_recsys_alice_member IN ROLE regress_recsys_alice;
GRANT regress_recsys_team TO regress_recsys_bob;

CREATE TABLE acc_ratings AS SELECT * FROM recsys_synthetic_ratings(40, 30, 600, 3);
GRANT SELECT ON acc_ratings TO regress_recsys_alice;

-- an ordinary role trains with its own rights on the source, and owns the model
SET ROLE regress_recsys_alice;
SELECT recsys_train('mf', 'acc_ratings', 'acc_alice', '{"seed": 1, "factors": 4, "epochs": 3}');
SELECT name, owner, readers FROM recsys_models;
SELECT count(*) > 0 AS reads_own_tensors FROM recsys_tensors;
SELECT count(*) AS k FROM recsys_recommend('acc_alice', 1, 3, false);
RESET ROLE;

-- a role without SELECT on the source cannot train from it
SET ROLE regress_recsys_bob;
\set VERBOSITY terse
SELECT recsys_train('mf', 'acc_ratings', 'acc_bob');
\set VERBOSITY default

-- nor see, serve, replace, drop or share alice's model
SELECT count(*) AS models_seen FROM recsys_models;
SELECT count(*) AS tensors_seen FROM recsys_tensors;
SELECT recsys_predict('acc_alice', 1, 1);
SELECT * FROM recsys_recommend('acc_alice', 1, 3);
SELECT * FROM recsys_recommend_all('acc_alice', 3);
SELECT recsys_drop('acc_alice');
SELECT recsys_drop('acc_alice', true);
SELECT recsys_grant('acc_alice', 'regress_recsys_bob');
SELECT recsys_revoke('acc_alice', 'regress_recsys_bob');
SELECT recsys_store('acc_alice', recsys_fit('mf', u, i, 3.0, '{"epochs": 1}'))
  FROM generate_series(1, 3) u, generate_series(1, 3) i;
-- nor write the catalog directly, whatever the statement
UPDATE recsys_models SET owner = 'regress_recsys_bob';
DELETE FROM recsys_models;
INSERT INTO recsys_models (name, kind, n_users, n_items, n_ratings) VALUES ('x', 'mf', 0, 0, 0);
UPDATE recsys_tensors SET data = '\x00';
DELETE FROM recsys_tensors;
TRUNCATE recsys_tensors;
-- a model of bob's own, from ratings bob may read
SELECT recsys_store('acc_bob', recsys_fit('mf', u, i, (u + i) % 5 + 1.0, '{"epochs": 2, "factors": 2}'))
  FROM generate_series(1, 6) u, generate_series(1, 5) i;
SELECT name, owner FROM recsys_models;
RESET ROLE;

-- alice's model is unchanged
SELECT name, owner, readers FROM recsys_models ORDER BY name;

-- a member of the owner role acts as the owner
SET ROLE regress_recsys_alice_member;
SELECT count(*) AS k FROM recsys_recommend('acc_alice', 1, 3, false);
RESET ROLE;

-- shared with a group: its members serve the model and read its rows
SET ROLE regress_recsys_alice;
SELECT recsys_grant('acc_alice', 'regress_recsys_team');
SELECT recsys_grant('acc_alice', 'regress_recsys_team');	-- once is enough
SELECT readers FROM recsys_models WHERE name = 'acc_alice';
RESET ROLE;
SET ROLE regress_recsys_bob;
SELECT name FROM recsys_models ORDER BY name;
SELECT count(*) AS k FROM recsys_recommend('acc_alice', 1, 3, false);
SELECT recsys_predict('acc_alice', 1, 1) BETWEEN 1 AND 5 AS predicts;
-- a reader still may not change it
SELECT recsys_drop('acc_alice');
SELECT recsys_grant('acc_alice', 'regress_recsys_bob');
RESET ROLE;

-- a retraining by the owner keeps the owner and the readers
SET ROLE regress_recsys_alice;
SELECT recsys_train('mf', 'acc_ratings', 'acc_alice', '{"seed": 2, "factors": 4, "epochs": 2}');
SELECT owner, readers FROM recsys_models WHERE name = 'acc_alice';
-- taken back: bob sees it no more, in the same session that served it
SELECT recsys_revoke('acc_alice', 'regress_recsys_team');
SELECT readers FROM recsys_models WHERE name = 'acc_alice';
RESET ROLE;
SET ROLE regress_recsys_bob;
SELECT recsys_predict('acc_alice', 1, 1);
RESET ROLE;

-- a superuser sees every model and may drop any
SELECT name, owner FROM recsys_models ORDER BY name;
SELECT recsys_grant('acc_bob', 'no_such_role');
SELECT recsys_grant('acc_bob', 0::regrole);
SELECT recsys_grant('acc_bob', 4294967295::oid::regrole);
SELECT recsys_grant('no_such_model', 'regress_recsys_bob');
SELECT recsys_grant(NULL, 'regress_recsys_bob') IS NULL AS strict_grant;

-- a dropped reader stays as its OID, which recsys_revoke takes out
CREATE ROLE regress_recsys_gone;
SELECT recsys_grant('acc_bob', 'regress_recsys_gone');
SELECT cardinality(readers) AS readers FROM recsys_models WHERE name = 'acc_bob';
CREATE TEMP TABLE acc_gone AS SELECT 'regress_recsys_gone'::regrole::oid AS gone;
DROP ROLE regress_recsys_gone;
SELECT recsys_revoke('acc_bob', (SELECT gone::regrole FROM acc_gone));
SELECT cardinality(readers) AS readers FROM recsys_models WHERE name = 'acc_bob';

-- the owner drops its own model
SET ROLE regress_recsys_alice;
SELECT recsys_drop('acc_alice');
RESET ROLE;
SELECT recsys_drop('acc_bob');
SELECT count(*) AS models_left FROM recsys_models;

-- writes run as the catalog's owner with a pinned search_path, and
-- serving's lookup names every operator with its schema: an operator of
-- the caller's in a schema ahead of pg_catalog is not used (it would make
-- every name compare false: the model would not be found)
CREATE SCHEMA acc_evil;
GRANT USAGE, CREATE ON SCHEMA acc_evil TO regress_recsys_alice;
SET ROLE regress_recsys_alice;
CREATE FUNCTION acc_evil.texteq(text, text) RETURNS boolean
  LANGUAGE sql AS $$ SELECT pg_catalog.texteq($1, $2) AND false $$;
CREATE OPERATOR acc_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = acc_evil.texteq);
SET search_path = acc_evil, pg_catalog, public;
SELECT recsys_train('mf', 'acc_ratings', 'acc_evil', '{"seed": 1, "factors": 2, "epochs": 1}');
SELECT recsys_predict('acc_evil', user_id, item_id) IS NOT NULL AS served
  FROM acc_ratings LIMIT 1;
SELECT recsys_drop('acc_evil');
RESET search_path;
RESET ROLE;
DROP SCHEMA acc_evil CASCADE;

DROP TABLE acc_ratings;
DROP ROLE regress_recsys_alice_member, regress_recsys_alice, regress_recsys_bob,
          regress_recsys_team;
