CREATE TABLE `status_counts` (
	`kb_name` text NOT NULL,
	`metric` text NOT NULL,
	`model` text NOT NULL,
	`n` integer DEFAULT 0 NOT NULL,
	`truncated` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`kb_name`, `metric`, `model`)
);
--> statement-breakpoint
DROP INDEX `embed_queue_kb_status`;--> statement-breakpoint
DROP INDEX `embed_queue_status_model`;--> statement-breakpoint
CREATE INDEX `embed_queue_status_queued` ON `embed_queue` (`status`,`queued_at`);--> statement-breakpoint
CREATE INDEX `embed_queue_kb_status_queued` ON `embed_queue` (`kb_name`,`status`,`queued_at`);--> statement-breakpoint
DROP INDEX `entry_embeddings_model`;--> statement-breakpoint
DROP INDEX `entry_embeddings_model_time`;--> statement-breakpoint
CREATE INDEX `entry_embeddings_model_time` ON `entry_embeddings` (`model`,`embedded_at`);