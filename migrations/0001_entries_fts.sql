-- Hand-written: drizzle cannot express FTS5 virtual tables or triggers.
-- An external-content FTS5 index over the embedded fields of `entries` (no second copy of the
-- text), kept in step by triggers so every write and every D1 batch updates both atomically.
-- It is keyed by `entries.rowid`; if rowids are ever renumbered (VACUUM, an export/import), run
-- `INSERT INTO entries_fts(entries_fts) VALUES ('rebuild')` to rebuild it from `entries`.
CREATE VIRTUAL TABLE `entries_fts` USING fts5(
	`title`,
	`summary`,
	`body`,
	content = 'entries',
	content_rowid = 'rowid',
	tokenize = 'porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `entries_fts_insert` AFTER INSERT ON `entries` BEGIN
	INSERT INTO `entries_fts` (`rowid`, `title`, `summary`, `body`)
	VALUES (new.`rowid`, new.`title`, new.`summary`, new.`body`);
END;
--> statement-breakpoint
CREATE TRIGGER `entries_fts_delete` AFTER DELETE ON `entries` BEGIN
	INSERT INTO `entries_fts` (`entries_fts`, `rowid`, `title`, `summary`, `body`)
	VALUES ('delete', old.`rowid`, old.`title`, old.`summary`, old.`body`);
END;
--> statement-breakpoint
CREATE TRIGGER `entries_fts_update` AFTER UPDATE OF `title`, `summary`, `body` ON `entries` BEGIN
	INSERT INTO `entries_fts` (`entries_fts`, `rowid`, `title`, `summary`, `body`)
	VALUES ('delete', old.`rowid`, old.`title`, old.`summary`, old.`body`);
	INSERT INTO `entries_fts` (`rowid`, `title`, `summary`, `body`)
	VALUES (new.`rowid`, new.`title`, new.`summary`, new.`body`);
END;
