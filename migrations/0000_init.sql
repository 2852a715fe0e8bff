CREATE TABLE `embed_queue` (
	`kb_name` text NOT NULL,
	`entry_id` text NOT NULL,
	`queued_at` integer NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`error` text,
	`next_attempt_at` integer NOT NULL,
	`lease_until` integer,
	`content_hash` text NOT NULL,
	`model` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`kb_name`, `entry_id`)
);
--> statement-breakpoint
CREATE INDEX `embed_queue_due` ON `embed_queue` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `embed_queue_lease` ON `embed_queue` (`status`,`lease_until`);--> statement-breakpoint
CREATE INDEX `embed_queue_kb_status` ON `embed_queue` (`kb_name`,`status`,`model`);--> statement-breakpoint
CREATE INDEX `embed_queue_status_model` ON `embed_queue` (`status`,`model`);--> statement-breakpoint
CREATE TABLE `entries` (
	`kb_name` text NOT NULL,
	`id` text NOT NULL,
	`entry_type` text DEFAULT 'note' NOT NULL,
	`title` text NOT NULL,
	`body` text DEFAULT '' NOT NULL,
	`summary` text DEFAULT '' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`importance` integer DEFAULT 5 NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`content_hash` text NOT NULL,
	PRIMARY KEY(`kb_name`, `id`)
);
--> statement-breakpoint
CREATE TABLE `entry_embeddings` (
	`kb_name` text NOT NULL,
	`entry_id` text NOT NULL,
	`model` text NOT NULL,
	`dims` integer NOT NULL,
	`content_hash` text NOT NULL,
	`vector` blob NOT NULL,
	`embedded_at` integer NOT NULL,
	`truncated` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`kb_name`, `entry_id`)
);
--> statement-breakpoint
CREATE INDEX `entry_embeddings_model` ON `entry_embeddings` (`model`,`kb_name`);