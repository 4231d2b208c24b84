/**
 * What the relay stores. Addresses and hashes are lower-case 0x hex; task ids are decimal
 * strings (uint256 does not fit a column type both backends share); times are unix ms.
 */
export interface TasksTable {
  task_id: string;
  creator: string;
  task_hash: string;
  /** The selected nodes by round; filled by the three TaskCreated logs. */
  node0: string | null;
  node1: string | null;
  node2: string | null;
  /** The on-chain phase as followed: created → commitments_ready → success → reported | aborted. */
  chain_phase: ChainPhase;
  abort_reason: string | null;
  /** TaskSuccess: the agreed result and the node that uploads the images. */
  result: string | null;
  result_node: string | null;
  /** The exact task-arguments JSON, once uploaded, and its image count. */
  args: string | null;
  num_images: number | null;
  /** The arguments' image size (null for arguments stored before the column existed). */
  image_width: number | null;
  image_height: number | null;
  /** Set once every image is stored and verified. */
  images_uploaded_at: number | null;
  created_block: number;
  seen_at: number;
  ended_at: number | null;
  /** Set when retention deleted the task's data; the row stays so replays cannot bring it back. */
  purged_at: number | null;
  /** The last phase announced to the creator's webhooks. */
  notified_phase: string | null;
}

/**
 * `orphaned`: a reorganisation removed the task's creation. The row (with arguments an
 * application uploaded) waits for the same task to be created again; no route serves it.
 */
export type ChainPhase = "created" | "commitments_ready" | "success" | "reported" | "aborted" | "orphaned";

export interface DisclosuresTable {
  task_id: string;
  round: number;
  node: string;
  result: string;
}

export interface ImagesTable {
  task_id: string;
  idx: number;
  bytes: number;
  /** The PNG itself when images are stored in the database, null when on disk. */
  png: Uint8Array | null;
}

export interface SignaturesTable {
  /** r ‖ s of the signature (64 bytes); flipping v alone recovers another signer, so it adds nothing. */
  signature: Uint8Array;
  /** Unix seconds after which the signature is outside the window anyway and may be forgotten. */
  expires_at: number;
}

export interface CursorsTable {
  name: string;
  block: number;
}

export interface ChainBlocksTable {
  /** The follower's cursor name. */
  name: string;
  number: number;
  hash: string;
}

/** A TaskManager log the relay applied, as it came (topics as a JSON array). */
export interface ChainEventsTable {
  block: number;
  log_index: number;
  task_id: string;
  topics: string;
  data: string;
  tx_hash: string | null;
  /** Unix seconds of its block, when the RPC's logs carry `blockTimestamp`. */
  block_time: number | null;
}

/** What happened to a node, from the NodeRegistry's and the TaskManager's logs. */
export interface NodeEventsTable {
  block: number;
  log_index: number;
  /** Lower-case address. */
  node: string;
  /** joined, status, stake_returned, stake_slashed, paid, slashed, missed. */
  kind: string;
  task_id: string | null;
  /** Wei, a decimal string. */
  amount: string | null;
  /** status: `previous>current`; slashed and missed: the reason. */
  detail: string | null;
  tx_hash: string | null;
  block_time: number | null;
}

/** One node as its events sum up (recomputed from `node_events` after a rollback). */
export interface NodesTable {
  address: string;
  status: string;
  /** Wei held by the registry, a decimal string. */
  stake: string;
  earned: string;
  paid_tasks: number;
  slashes: number;
  missed: number;
  first_block: number;
  last_block: number;
}

export interface WebhooksTable {
  /** 32 hex characters. */
  id: string;
  /** The account whose tasks it announces (lower-case address). */
  owner: string;
  url: string;
  /** HMAC-SHA256 key of its deliveries (hex). */
  secret: string;
  created_at: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  /** The JSON posted. */
  body: string;
  attempts: number;
  /** Unix ms of the next attempt. */
  next_at: number;
  delivered_at: number | null;
  last_error: string | null;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

export interface Database {
  tasks: TasksTable;
  disclosures: DisclosuresTable;
  images: ImagesTable;
  used_signatures: SignaturesTable;
  cursors: CursorsTable;
  leases: LeasesTable;
  chain_blocks: ChainBlocksTable;
  chain_events: ChainEventsTable;
  node_events: NodeEventsTable;
  nodes: NodesTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
