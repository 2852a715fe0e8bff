-- Hand-written: triggers keep `status_counts` exact in the same transaction as every write, so
-- the status endpoint reads a handful of rows instead of counting 100k+ (see schema.ts).
-- Backfill from whatever is already stored.
INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
SELECT `kb_name`, 'entries', '', count(*), 0 FROM `entries` GROUP BY `kb_name`;
--> statement-breakpoint
INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
SELECT `kb_name`, 'queue:' || `status`, coalesce(`model`, ''), count(*), 0
  FROM `embed_queue` GROUP BY `kb_name`, `status`, coalesce(`model`, '');
--> statement-breakpoint
INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
SELECT `kb_name`, 'vectors', `model`, count(*), sum(`truncated`)
  FROM `entry_embeddings` GROUP BY `kb_name`, `model`;
--> statement-breakpoint
CREATE TRIGGER `status_counts_entries_insert` AFTER INSERT ON `entries` BEGIN
	INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
	VALUES (new.`kb_name`, 'entries', '', 1, 0)
	ON CONFLICT (`kb_name`, `metric`, `model`) DO UPDATE SET
		`n` = `n` + excluded.`n`, `truncated` = `truncated` + excluded.`truncated`;
END;
--> statement-breakpoint
CREATE TRIGGER `status_counts_entries_delete` AFTER DELETE ON `entries` BEGIN
	INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
	VALUES (old.`kb_name`, 'entries', '', -1, 0)
	ON CONFLICT (`kb_name`, `metric`, `model`) DO UPDATE SET
		`n` = `n` + excluded.`n`, `truncated` = `truncated` + excluded.`truncated`;
END;
--> statement-breakpoint
CREATE TRIGGER `status_counts_queue_insert` AFTER INSERT ON `embed_queue` BEGIN
	INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
	VALUES (new.`kb_name`, 'queue:' || new.`status`, coalesce(new.`model`, ''), 1, 0)
	ON CONFLICT (`kb_name`, `metric`, `model`) DO UPDATE SET
		`n` = `n` + excluded.`n`, `truncated` = `truncated` + excluded.`truncated`;
END;
--> statement-breakpoint
CREATE TRIGGER `status_counts_queue_delete` AFTER DELETE ON `embed_queue` BEGIN
	INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
	VALUES (old.`kb_name`, 'queue:' || old.`status`, coalesce(old.`model`, ''), -1, 0)
	ON CONFLICT (`kb_name`, `metric`, `model`) DO UPDATE SET
		`n` = `n` + excluded.`n`, `truncated` = `truncated` + excluded.`truncated`;
END;
--> statement-breakpoint
CREATE TRIGGER `status_counts_queue_update` AFTER UPDATE OF `status`, `model` ON `embed_queue`
	WHEN old.`status` IS NOT new.`status` OR old.`model` IS NOT new.`model` BEGIN
	INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
	VALUES (old.`kb_name`, 'queue:' || old.`status`, coalesce(old.`model`, ''), -1, 0)
	ON CONFLICT (`kb_name`, `metric`, `model`) DO UPDATE SET
		`n` = `n` + excluded.`n`, `truncated` = `truncated` + excluded.`truncated`;
	INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
	VALUES (new.`kb_name`, 'queue:' || new.`status`, coalesce(new.`model`, ''), 1, 0)
	ON CONFLICT (`kb_name`, `metric`, `model`) DO UPDATE SET
		`n` = `n` + excluded.`n`, `truncated` = `truncated` + excluded.`truncated`;
END;
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
CREATE TRIGGER `status_counts_vectors_update` AFTER UPDATE OF `model`, `truncated` ON `entry_embeddings`
	WHEN old.`model` IS NOT new.`model` OR old.`truncated` IS NOT new.`truncated` BEGIN
	INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
	VALUES (old.`kb_name`, 'vectors', old.`model`, -1, -old.`truncated`)
	ON CONFLICT (`kb_name`, `metric`, `model`) DO UPDATE SET
		`n` = `n` + excluded.`n`, `truncated` = `truncated` + excluded.`truncated`;
	INSERT INTO `status_counts` (`kb_name`, `metric`, `model`, `n`, `truncated`)
	VALUES (new.`kb_name`, 'vectors', new.`model`, 1, new.`truncated`)
	ON CONFLICT (`kb_name`, `metric`, `model`) DO UPDATE SET
		`n` = `n` + excluded.`n`, `truncated` = `truncated` + excluded.`truncated`;
END;
