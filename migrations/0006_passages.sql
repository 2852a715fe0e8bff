-- Hand-written: entries are embedded as passages (see src/passages). Vectors move from
-- `entry_embeddings` (which keeps one row per entry: the committed set's model, hash, time and
-- passage count) to `passage_vectors`, and each committed set lists its passages in
-- `entry_passages`. Triggers keep `status_counts` exact and record vanished sets in
-- `vector_deletes` for the in-memory vector index.
CREATE TABLE `passage_vectors` (
	`kb_name` text NOT NULL,
	`entry_id` text NOT NULL,
	`model` text NOT NULL,
	`hash` text NOT NULL,
	`dims` integer NOT NULL,
	`vector` blob NOT NULL,
	`truncated` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`kb_name`, `entry_id`, `model`, `hash`)
);
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
	PRIMARY KEY(`kb_name`, `entry_id`, `seq`)
);
--> statement-breakpoint
CREATE INDEX `entry_passages_model_time` ON `entry_passages` (`model`,`embedded_at`);
--> statement-breakpoint
CREATE TABLE `vector_deletes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kb_name` text NOT NULL,
	`entry_id` text NOT NULL,
	`model` text NOT NULL,
	`embedded_at` integer NOT NULL
);
--> statement-breakpoint
-- Every stored whole-entry vector becomes its entry's one passage (searchable at once), and the
-- entry is queued again so the worker splits it into real passages.
INSERT INTO `passage_vectors` (`kb_name`, `entry_id`, `model`, `hash`, `dims`, `vector`, `truncated`, `created_at`)
SELECT `kb_name`, `entry_id`, `model`, 'entry:' || `content_hash`, `dims`, `vector`, `truncated`, `embedded_at`
  FROM `entry_embeddings`;
--> statement-breakpoint
INSERT INTO `entry_passages` (`kb_name`, `entry_id`, `seq`, `model`, `hash`, `heading_path`, `start`, `end`, `embedded_at`)
SELECT v.`kb_name`, v.`entry_id`, 0, v.`model`, 'entry:' || v.`content_hash`, '[]', 0, length(e.`body`), v.`embedded_at`
  FROM `entry_embeddings` v JOIN `entries` e ON e.`kb_name` = v.`kb_name` AND e.`id` = v.`entry_id`;
--> statement-breakpoint
ALTER TABLE `entry_embeddings` DROP COLUMN `vector`;
--> statement-breakpoint
ALTER TABLE `entry_embeddings` ADD COLUMN `passages` integer DEFAULT 1 NOT NULL;
--> statement-breakpoint
UPDATE `embed_queue` SET `status` = 'pending', `attempts` = 0, `error` = NULL, `next_attempt_at` = 0,
	`lease_until` = NULL, `model` = NULL
 WHERE `status` = 'done';
--> statement-breakpoint
INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
SELECT `kb_name`, 'passages', `model`, count(*), 0 FROM `entry_passages` GROUP BY `kb_name`, `model`;
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
-- Deleting an entry removes every passage and vector of it, whoever deletes it.
CREATE TRIGGER `entries_delete_passages` AFTER DELETE ON `entries` BEGIN
	DELETE FROM `entry_passages` WHERE `kb_name` = old.`kb_name` AND `entry_id` = old.`id`;
	DELETE FROM `passage_vectors` WHERE `kb_name` = old.`kb_name` AND `entry_id` = old.`id`;
	DELETE FROM `entry_embeddings` WHERE `kb_name` = old.`kb_name` AND `entry_id` = old.`id`;
END;
--> statement-breakpoint
-- A set that stops being searchable under its model is recorded for the in-memory indexes; only
-- the latest 10,000 records are kept (an index further behind than that reloads).
CREATE TRIGGER `vector_deletes_on_delete` AFTER DELETE ON `entry_embeddings` BEGIN
	INSERT INTO `vector_deletes` (`kb_name`, `entry_id`, `model`, `embedded_at`)
	VALUES (old.`kb_name`, old.`entry_id`, old.`model`, old.`embedded_at`);
	DELETE FROM `vector_deletes` WHERE `id` <= last_insert_rowid() - 10000;
END;
--> statement-breakpoint
CREATE TRIGGER `vector_deletes_on_model_change` AFTER UPDATE OF `model` ON `entry_embeddings`
	WHEN old.`model` IS NOT new.`model` BEGIN
	INSERT INTO `vector_deletes` (`kb_name`, `entry_id`, `model`, `embedded_at`)
	VALUES (old.`kb_name`, old.`entry_id`, old.`model`, old.`embedded_at`);
	DELETE FROM `vector_deletes` WHERE `id` <= last_insert_rowid() - 10000;
END;
