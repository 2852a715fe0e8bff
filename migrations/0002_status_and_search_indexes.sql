DROP INDEX `embed_queue_kb_status`;--> statement-breakpoint
DROP INDEX `embed_queue_status_model`;--> statement-breakpoint
CREATE INDEX `embed_queue_kb_status` ON `embed_queue` (`kb_name`,`status`,`model`,`queued_at`,`lease_until`);--> statement-breakpoint
CREATE INDEX `embed_queue_status_model` ON `embed_queue` (`status`,`model`,`queued_at`,`lease_until`);--> statement-breakpoint
DROP INDEX `entry_embeddings_model`;--> statement-breakpoint
CREATE INDEX `entry_embeddings_model_time` ON `entry_embeddings` (`model`,`embedded_at`,`truncated`);--> statement-breakpoint
CREATE INDEX `entry_embeddings_model` ON `entry_embeddings` (`model`,`kb_name`,`truncated`);