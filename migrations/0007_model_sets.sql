-- Hand-written: vectors per model. An entry keeps a committed passage set per model
-- (`entry_embeddings` and `entry_passages` gain `model` in their keys), `index_models` says which
-- model serves search, which is a migration's target and which are kept for rollback, and
-- `shadow_queue` holds a migration's work beside `embed_queue`. The two tables are rebuilt by
-- copy (SQLite cannot change a primary key); their triggers are recreated after.
DROP TRIGGER `status_counts_vectors_insert`;
--> statement-breakpoint
DROP TRIGGER `status_counts_vectors_delete`;
--> statement-breakpoint
DROP TRIGGER `status_counts_vectors_update`;
--> statement-breakpoint
DROP TRIGGER `vector_deletes_on_delete`;
--> statement-breakpoint
DROP TRIGGER `vector_deletes_on_model_change`;
--> statement-breakpoint
DROP TRIGGER `status_counts_passages_insert`;
--> statement-breakpoint
DROP TRIGGER `status_counts_passages_delete`;
--> statement-breakpoint
DROP TRIGGER `entries_delete_passages`;
--> statement-breakpoint
CREATE TABLE `entry_embeddings_0007` AS SELECT * FROM `entry_embeddings`;
--> statement-breakpoint
DROP TABLE `entry_embeddings`;
--> statement-breakpoint
CREATE TABLE `entry_embeddings` (
	`kb_name` text NOT NULL,
	`entry_id` text NOT NULL,
	`model` text NOT NULL,
	`dims` integer NOT NULL,
	`content_hash` text NOT NULL,
	`embedded_at` integer NOT NULL,
	`truncated` integer DEFAULT 0 NOT NULL,
	`passages` integer DEFAULT 1 NOT NULL,
	PRIMARY KEY(`kb_name`, `entry_id`, `model`)
);
--> statement-breakpoint
INSERT INTO `entry_embeddings` (`kb_name`, `entry_id`, `model`, `dims`, `content_hash`, `embedded_at`, `truncated`, `passages`)
SELECT `kb_name`, `entry_id`, `model`, `dims`, `content_hash`, `embedded_at`, `truncated`, `passages`
  FROM `entry_embeddings_0007`;
--> statement-breakpoint
DROP TABLE `entry_embeddings_0007`;
--> statement-breakpoint
CREATE INDEX `entry_embeddings_model_time` ON `entry_embeddings` (`model`,`embedded_at`);
--> statement-breakpoint
CREATE TABLE `entry_passages_0007` AS SELECT * FROM `entry_passages`;
--> statement-breakpoint
DROP TABLE `entry_passages`;
--> statement-breakpoint
CREATE TABLE `entry_passages` (
	`kb_name` text NOT NULL,
	`entry_id` text NOT NULL,
	`seq` integer NOT NULL,
	`model` text NOT NULL,
	`hash` text NOT NULL,
	`heading_path` text DEFAULT '[]' NOT NULL,
	`start` integer NOT NULL,
	`end` integer NOT NULL,
	`embedded_at` integer NOT NULL,
	PRIMARY KEY(`kb_name`, `entry_id`, `model`, `seq`)
);
--> statement-breakpoint
INSERT INTO `entry_passages` (`kb_name`, `entry_id`, `seq`, `model`, `hash`, `heading_path`, `start`, `end`, `embedded_at`)
SELECT `kb_name`, `entry_id`, `seq`, `model`, `hash`, `heading_path`, `start`, `end`, `embedded_at`
  FROM `entry_passages_0007`;
--> statement-breakpoint
DROP TABLE `entry_passages_0007`;
--> statement-breakpoint
CREATE INDEX `entry_passages_model_time` ON `entry_passages` (`model`,`embedded_at`);
--> statement-breakpoint
CREATE TABLE `index_models` (
	`model` text PRIMARY KEY NOT NULL,
	`role` text NOT NULL,
	`switch_at` real DEFAULT 1 NOT NULL,
	`since` integer NOT NULL,
	`retired_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `index_models_one_per_role` ON `index_models` (`role`) WHERE role <> 'kept';
--> statement-breakpoint
-- What served before: the model with the most committed sets.
INSERT INTO `index_models` (`model`, `role`, `switch_at`, `since`, `retired_at`)
SELECT `model`, 'serving', 1, CAST(strftime('%s', 'now') AS integer) * 1000, NULL
  FROM `entry_embeddings` GROUP BY `model` ORDER BY count(*) DESC LIMIT 1;
--> statement-breakpoint
CREATE TABLE `shadow_queue` (
	`kb_name` text NOT NULL,
	`entry_id` text NOT NULL,
	`model` text NOT NULL,
	`queued_at` integer NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`error` text,
	`next_attempt_at` integer NOT NULL,
	`lease_until` integer,
	`content_hash` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`kb_name`, `entry_id`, `model`)
);
--> statement-breakpoint
CREATE INDEX `shadow_queue_due` ON `shadow_queue` (`model`,`status`,`queued_at`);
--> statement-breakpoint
CREATE INDEX `shadow_queue_lease` ON `shadow_queue` (`model`,`status`,`lease_until`);
--> statement-breakpoint
CREATE TRIGGER `status_counts_vectors_insert` AFTER INSERT ON `entry_embeddings` BEGIN
	INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
	VALUES (new.`kb_name`, 'vectors', new.`model`, 1, new.`truncated`)
	ON CONFLICT (`kb_name`, `metric`, `model`) DO UPDATE SET
		`n` = `n` + excluded.`n`, `truncated` = `truncated` + excluded.`truncated`;
END;
--> statement-breakpoint
CREATE TRIGGER `status_counts_vectors_delete` AFTER DELETE ON `entry_embeddings` BEGIN
	INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
	VALUES (old.`kb_name`, 'vectors', old.`model`, -1, -old.`truncated`)
	ON CONFLICT (`kb_name`, `metric`, `model`) DO UPDATE SET
		`n` = `n` + excluded.`n`, `truncated` = `truncated` + excluded.`truncated`;
END;
--> statement-breakpoint
CREATE TRIGGER `status_counts_vectors_update` AFTER UPDATE OF `truncated` ON `entry_embeddings`
	WHEN old.`truncated` IS NOT new.`truncated` BEGIN
	INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
	VALUES (new.`kb_name`, 'vectors', new.`model`, 0, new.`truncated` - old.`truncated`)
	ON CONFLICT (`kb_name`, `metric`, `model`) DO UPDATE SET
		`n` = `n` + excluded.`n`, `truncated` = `truncated` + excluded.`truncated`;
END;
--> statement-breakpoint
CREATE TRIGGER `vector_deletes_on_delete` AFTER DELETE ON `entry_embeddings` BEGIN
	INSERT INTO `vector_deletes` (`kb_name`, `entry_id`, `model`, `embedded_at`)
	VALUES (old.`kb_name`, old.`entry_id`, old.`model`, old.`embedded_at`);
	DELETE FROM `vector_deletes` WHERE `id` <= last_insert_rowid() - 10000;
END;
--> statement-breakpoint
CREATE TRIGGER `status_counts_passages_insert` AFTER INSERT ON `entry_passages` BEGIN
	INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
	VALUES (new.`kb_name`, 'passages', new.`model`, 1, 0)
	ON CONFLICT (`kb_name`, `metric`, `model`) DO UPDATE SET `n` = `n` + excluded.`n`;
END;
--> statement-breakpoint
CREATE TRIGGER `status_counts_passages_delete` AFTER DELETE ON `entry_passages` BEGIN
	INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
	VALUES (old.`kb_name`, 'passages', old.`model`, -1, 0)
	ON CONFLICT (`kb_name`, `metric`, `model`) DO UPDATE SET `n` = `n` + excluded.`n`;
END;
--> statement-breakpoint
-- Deleting an entry removes every passage, vector and shadow row of it, of every model.
CREATE TRIGGER `entries_delete_passages` AFTER DELETE ON `entries` BEGIN
	DELETE FROM `entry_passages` WHERE `kb_name` = old.`kb_name` AND `entry_id` = old.`id`;
	DELETE FROM `passage_vectors` WHERE `kb_name` = old.`kb_name` AND `entry_id` = old.`id`;
	DELETE FROM `entry_embeddings` WHERE `kb_name` = old.`kb_name` AND `entry_id` = old.`id`;
	DELETE FROM `shadow_queue` WHERE `kb_name` = old.`kb_name` AND `entry_id` = old.`id`;
END;
--> statement-breakpoint
-- A write that queues an entry for the serving model (a fresh version: `queued_at` moves) queues
-- it for a migration's target too, so the shadow set never falls behind.
CREATE TRIGGER `shadow_queue_on_enqueue` AFTER INSERT ON `embed_queue`
	WHEN new.`status` = 'pending' BEGIN
	INSERT INTO `shadow_queue` (`kb_name`, `entry_id`, `model`, `queued_at`, `status`, `attempts`,
	                            `error`, `next_attempt_at`, `lease_until`, `content_hash`, `updated_at`)
	SELECT new.`kb_name`, new.`entry_id`, m.`model`, new.`queued_at`, 'pending', 0, NULL,
	       new.`queued_at`, NULL, new.`content_hash`, new.`queued_at`
	  FROM `index_models` m WHERE m.`role` = 'target'
	ON CONFLICT (`kb_name`, `entry_id`, `model`) DO UPDATE SET
		`queued_at` = excluded.`queued_at`, `status` = 'pending', `attempts` = 0, `error` = NULL,
		`next_attempt_at` = excluded.`next_attempt_at`, `lease_until` = NULL,
		`content_hash` = excluded.`content_hash`, `updated_at` = excluded.`updated_at`;
END;
--> statement-breakpoint
CREATE TRIGGER `shadow_queue_on_requeue` AFTER UPDATE OF `queued_at` ON `embed_queue`
	WHEN new.`status` = 'pending' AND old.`queued_at` IS NOT new.`queued_at` BEGIN
	INSERT INTO `shadow_queue` (`kb_name`, `entry_id`, `model`, `queued_at`, `status`, `attempts`,
	                            `error`, `next_attempt_at`, `lease_until`, `content_hash`, `updated_at`)
	SELECT new.`kb_name`, new.`entry_id`, m.`model`, new.`queued_at`, 'pending', 0, NULL,
	       new.`queued_at`, NULL, new.`content_hash`, new.`queued_at`
	  FROM `index_models` m WHERE m.`role` = 'target'
	ON CONFLICT (`kb_name`, `entry_id`, `model`) DO UPDATE SET
		`queued_at` = excluded.`queued_at`, `status` = 'pending', `attempts` = 0, `error` = NULL,
		`next_attempt_at` = excluded.`next_attempt_at`, `lease_until` = NULL,
		`content_hash` = excluded.`content_hash`, `updated_at` = excluded.`updated_at`;
END;
